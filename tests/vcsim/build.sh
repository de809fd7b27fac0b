#!/bin/sh
# Builds tests/vcsim (the vCenter simulator harness) offline from Debian's govmomi sources:
#   tests/vcsim/build.sh OUT_BINARY
# Needs golang-go and golang-github-vmware-govmomi-dev (make deps installs both).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT_BINARY}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/vcsim-hypersdk"
cp "$here/main.go" "$work/src/vcsim-hypersdk/"
cd "$work/src/vcsim-hypersdk"
GO111MODULE=off GOPATH="$work:/usr/share/gocode" \
  go build -o "$out.tmp" .
mv "$out.tmp" "$out"
