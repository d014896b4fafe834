#!/usr/bin/env bash
# OpenStack Keystone (PyPI `keystone`) and a WSGI server (PyPI `gunicorn`) in a venv under
# ${SCIMGATE_PRODUCTS:-<repo>/target/products}/keystone. Idempotent; silent when already installed.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
dir="${SCIMGATE_PRODUCTS:-$repo/target/products}/keystone"
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9
if [ -x "$dir/venv/bin/keystone-manage" ] && [ -x "$dir/venv/bin/gunicorn" ]; then
  exit 0
fi
rm -rf "$dir/venv"
python3 -m venv "$dir/venv"
if ! "$dir/venv/bin/pip" install --quiet --disable-pip-version-check keystone gunicorn >"$dir/pip.log" 2>&1; then
  cat "$dir/pip.log" >&2
  echo "keystone: pip install failed" >&2
  exit 1
fi
