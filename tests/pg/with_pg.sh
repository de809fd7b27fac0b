#!/bin/sh
# Runs a command beside a throwaway PostgreSQL: initdb into a temporary directory, pg_ctl start
# on a free high port on 127.0.0.1 (and a unix socket in that directory), trust auth, then the
# command with HYPERSDK_TEST_PG_URL=postgres://postgres@127.0.0.1:PORT/postgres; the server is
# stopped and its directory removed afterwards, also when the command fails or is interrupted.
# Exits with the command's status.
#
#   tests/pg/with_pg.sh build/hypersdk_unit -sf='*store_jobs_test.cpp'
#
# PostgreSQL refuses to run as root: as root the server runs as `nobody` (runuser). Debian's
# binaries live in /usr/lib/postgresql/<version>/bin, which is not on PATH.
# fsync is off: the data is thrown away, and the tests measure the store, not the disk.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }

bindir=${HYPERSDK_PG_BINDIR:-}
if [ -z "$bindir" ]; then
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/pg_ctl" ] && bindir=$d && break
  done
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "with_pg.sh: no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (make deps installs the postgresql package)" >&2
  exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/hypersdk-pg.XXXXXX")
if [ "$(id -u)" = 0 ]; then
  chown nobody "$dir"
  as_pg() { (cd "$dir" && runuser -u nobody -- "$@"); }
else
  as_pg() { (cd "$dir" && "$@"); }
fi

cleanup() {
  as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_pg "$bindir/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }

# A free port: the kernel names one; a race with another starter only costs a retry.
started=
for attempt in 1 2 3 4 5; do
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null 2>&1; then
    started=1
    break
  fi
done
if [ -z "$started" ]; then
  echo "with_pg.sh: PostgreSQL did not start; its log:" >&2
  cat "$dir/server.log" >&2 || true
  exit 1
fi

export HYPERSDK_TEST_PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
status=0
"$@" || status=$?
exit $status
