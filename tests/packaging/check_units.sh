#!/bin/sh
# Checks packaging/ with the real tools operators use:
#   - systemd-analyze verify on hypervisord.service and hypersdk-user.service
#   - systemd-analyze security --offline=true: exposure of hypervisord.service <= 1.5
#   - systemd-sysusers and systemd-tmpfiles apply our configs (into a scratch root)
#   - logrotate rotates with our config and runs the postrotate signal command
#
# Usage: tests/packaging/check_units.sh [PATH/TO/hypersdk]
#   The binary (default: $HYPERSDK_BIN, else build/hypersdk) replaces ExecStart's installed
#   path in a copy of each unit, because `verify` requires ExecStart to exist.
# Exit status 0 when every check passes; the failures are printed otherwise.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
pkg="$repo/packaging"
max_exposure=1.5

bin=${1:-${HYPERSDK_BIN:-$repo/build/hypersdk}}
if [ ! -x "$bin" ]; then
    echo "FAIL: binary $bin not found or not executable (build first, or pass its path)" >&2
    exit 1
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# serve is what `hypervisord` runs; the link sits next to the binary in the build tree.
daemon="$(dirname "$bin")/hypervisord"
[ -x "$daemon" ] || daemon="$bin serve"

for tool in systemd-analyze systemd-sysusers systemd-tmpfiles logrotate; do
    command -v "$tool" >/dev/null 2>&1 || { echo "FAIL: $tool not installed (make deps)" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# ---- systemd units --------------------------------------------------------------------
mkdir -p "$tmp/system" "$tmp/user" "$tmp/run"
sed "s#^ExecStart=/usr/local/bin/hypervisord#ExecStart=$daemon#" \
    "$pkg/systemd/hypervisord.service" >"$tmp/system/hypervisord.service"
sed "s#^ExecStart=/usr/local/bin/hypervisord#ExecStart=$daemon#" \
    "$pkg/systemd/hypersdk-user.service" >"$tmp/user/hypersdk.service"

if out=$(systemd-analyze verify --man=no "$tmp/system/hypervisord.service" 2>&1) && [ -z "$out" ]; then
    pass "systemd-analyze verify hypervisord.service"
else
    fail "systemd-analyze verify hypervisord.service: $out"
fi

if out=$(XDG_RUNTIME_DIR="$tmp/run" systemd-analyze --user verify --man=no \
        "$tmp/user/hypersdk.service" 2>&1) && [ -z "$out" ]; then
    pass "systemd-analyze --user verify hypersdk-user.service"
else
    fail "systemd-analyze --user verify hypersdk-user.service: $out"
fi

report=$(systemd-analyze security --offline=true "$tmp/system/hypervisord.service" 2>&1) || true
exposure=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for hypervisord.service: \([0-9.]*\).*/\1/p')
if [ -z "$exposure" ]; then
    fail "systemd-analyze security printed no exposure level: $report"
elif awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e <= m) }'; then
    pass "security exposure $exposure <= $max_exposure"
else
    printf '%s\n' "$report" | grep '✗' >&2 || true
    fail "security exposure $exposure > $max_exposure"
fi

# ---- sysusers.d and tmpfiles.d, applied to a scratch root ---------------------------------
root="$tmp/root"
mkdir -p "$root/etc"
if systemd-sysusers --root="$root" "$pkg/sysusers.d/hypersdk.conf" >/dev/null 2>&1 &&
    grep -q '^hypersdk:x:[0-9]*:[0-9]*:.*:/var/lib/hypersdk:/usr/sbin/nologin$' "$root/etc/passwd" &&
    grep -q '^hypersdk:x:' "$root/etc/group"; then
    pass "sysusers.d creates the hypersdk user and group"
else
    fail "sysusers.d/hypersdk.conf did not create user and group hypersdk"
fi

if systemd-tmpfiles --root="$root" --create "$pkg/tmpfiles.d/hypersdk.conf" >/dev/null 2>&1 &&
    [ "$(stat -c %a "$root/var/lib/hypersdk")" = 750 ] &&
    [ "$(stat -c %a "$root/var/log/hypersdk")" = 750 ] &&
    [ "$(stat -c %a "$root/etc/hypersdk")" = 750 ]; then
    pass "tmpfiles.d creates /var/lib, /var/log and /etc/hypersdk with mode 0750"
else
    fail "tmpfiles.d/hypersdk.conf did not create the directories with mode 0750"
fi

# ---- logrotate ------------------------------------------------------------------------------
# Our config with the log directory and user moved to the scratch area, and a stand-in
# systemctl on PATH that records how the postrotate script signals the service.
logs="$tmp/logs"
mkdir -p "$logs" "$tmp/fakebin"
cat >"$tmp/fakebin/systemctl" <<EOF
#!/bin/sh
echo "\$*" >>"$tmp/systemctl.calls"
EOF
chmod +x "$tmp/fakebin/systemctl"
sed -e "s#/var/log/hypersdk#$logs#" -e "s#su hypersdk hypersdk#su $(id -un) $(id -gn)#" \
    -e "s#create 0640 hypersdk hypersdk#create 0640 $(id -un) $(id -gn)#" \
    "$pkg/logrotate/hypersdk" >"$tmp/logrotate.conf"
chmod 0644 "$tmp/logrotate.conf"
echo '{"message":"before rotation"}' >"$logs/hypersdk.log"
if out=$(PATH="$tmp/fakebin:$PATH" logrotate -s "$tmp/logrotate.state" -f "$tmp/logrotate.conf" 2>&1) &&
    grep -q 'before rotation' "$logs/hypersdk.log.1" &&
    [ -f "$logs/hypersdk.log" ] && [ ! -s "$logs/hypersdk.log" ] &&
    grep -qx 'kill --kill-whom=main --signal=USR1 hypervisord.service' "$tmp/systemctl.calls"; then
    pass "logrotate rotates /var/log/hypersdk/*.log and sends USR1 to the main process"
else
    fail "logrotate: $out $(cat "$tmp/systemctl.calls" 2>/dev/null)"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures packaging check(s) failed" >&2
    exit 1
fi
echo "all packaging checks passed (exposure $exposure)"
