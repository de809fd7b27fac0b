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
if run serve --test-clock-file "$dir/clock" --workers 0 2>"$dir/hooks.err"; then
  fail "serve accepted --test-clock-file"
fi
grep -q "test-clock-file" "$dir/hooks.err" || fail "this build accepts --test-clock-file (test hooks on)"

run db migrate >/dev/null || fail "db migrate on a scratch database"
run db check >/dev/null || fail "db check"

run serve --listen 127.0.0.1:0 --workers 2 >"$dir/serve.log" 2>&1 &
pid=$!
i=0
until run health >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -lt 200 ] || fail "serve did not become ready in 20 s"
  kill -0 "$pid" 2>/dev/null || fail "serve exited"
  sleep 0.1
done
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
