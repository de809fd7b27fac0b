#!/bin/sh
# Smoke test of a freshly built hypersdk before `make deploy` puts it in place: everything on
# a scratch database in a temporary directory and a free loopback port, nothing of the host's
# installation touched. Checks that the binary runs, creates and checks a database, serves,
# runs a job submitted through the CLI (which finds the server in the registry), answers
# health, drains on SIGTERM and exits 0, and has no test hooks.
#
#   packaging/smoke_test.sh build-release/hypersdk
set -eu

bin=$(readlink -f "$1")
dir=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
mkdir "$dir/home"
: >"$dir/config.yaml"
run() {
  env -i HOME="$dir/home" PATH=/usr/bin:/bin LANG=C.UTF-8 \
    "$bin" --config "$dir/config.yaml" --db "$dir/smoke.db" "$@"
}
fail() {
  echo "smoke test FAILED: $*" >&2
  [ -f "$dir/serve.log" ] && tail -n 20 "$dir/serve.log" >&2
  exit 1
}

"$bin" --version >/dev/null || fail "--version"
# Release builds have no test hooks: the fake-clock flag is an unknown argument.
if run serve --test-clock-file "$dir/clock" --listen not-an-address 2>"$dir/hooks.err"; then
  fail "serve accepted --test-clock-file"
fi
grep -q "test-clock-file" "$dir/hooks.err" || fail "this build accepts --test-clock-file (test hooks on)"

run db migrate >/dev/null || fail "db migrate on a scratch database"
run db check >/dev/null || fail "db check"

# A free port: a few pseudo-random high ones, the next one when serve finds it taken.
ready=
for attempt in 1 2 3 4 5; do
  port=$((20000 + ($$ * 7 + attempt * 7919) % 40000))
  # Not through run(): $! must be serve's own pid (env execs it) for the SIGTERM below.
  env -i HOME="$dir/home" PATH=/usr/bin:/bin LANG=C.UTF-8 "$bin" --config "$dir/config.yaml" \
    --db "$dir/smoke.db" serve --listen "127.0.0.1:$port" --workers 2 >"$dir/serve.log" 2>&1 &
  pid=$!
  i=0
  while [ "$i" -lt 200 ]; do
    if run health >/dev/null 2>&1; then
      ready=1
      break
    fi
    kill -0 "$pid" 2>/dev/null || break
    i=$((i + 1))
    sleep 0.1
  done
  [ -n "$ready" ] && break
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
  grep -q "address already in use" "$dir/serve.log" || fail "serve did not become ready"
done
[ -n "$ready" ] || fail "no free port found for serve"
run --verbose list 2>&1 >/dev/null | grep -q "using the server at" || fail "the CLI did not find the server"
id=$(run submit --type noop) || fail "submit"
i=0
until run query --id "$id" --json | grep -q '"status": *"succeeded"'; do
  i=$((i + 1))
  [ "$i" -lt 200 ] || fail "job $id did not succeed in 20 s"
  sleep 0.1
done
kill -TERM "$pid"
wait "$pid" || fail "serve exited $? after SIGTERM"
pid=
echo "smoke test passed: $bin"
