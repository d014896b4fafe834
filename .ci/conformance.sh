#!/usr/bin/env bash
# The external conformance suite: scim2-tester (PyPI, not written here) against `scimgate demo`.
# Usage: .ci/conformance.sh PATH_TO_SCIMGATE_BINARY
# Installs python3 and venv through apt when they are missing, scim2-tester into a venv under target/, starts the
# demo on a free loopback port, reads its base URL, token and CA path from its output, runs the checks, and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$1"

if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3 python3-venv python3-pip >/dev/null
fi
venv=target/conformance-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check 'scim2-tester[httpx2]>=0.5,<0.6'

work=$(mktemp -d)
"$bin" demo --listen 127.0.0.1:0 --dir "$work/demo" >"$work/out" 2>"$work/err" &
demo=$!
trap 'kill "$demo" 2>/dev/null || true; wait "$demo" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  grep -q 'Press Ctrl-C' "$work/out" && break
  kill -0 "$demo" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
  sleep 0.1
done
value() { grep "^$1" "$work/out" | head -n1 | sed "s/^$1 *//"; }
base=$(value 'SCIM base URL:')
token=$(value 'Bearer token:')
ca=$(value 'CA certificate:')
[ -n "$base" ] && [ -n "$token" ] && [ -n "$ca" ] || { echo "demo did not print its URL, token and CA" >&2; exit 1; }
timeout 600 "$venv/bin/python" .ci/conformance.py "$base" "$token" "$ca"
