#!/usr/bin/env bash
# JupyterHub from PyPI (`jupyterhub`, in a virtualenv) and the proxy it starts, `configurable-http-proxy` from npm,
# installed under ${SCIMGATE_PRODUCTS:-<repo>/target/products}/jupyterhub. Idempotent; prints nothing when it is
# already there.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
dir="${SCIMGATE_PRODUCTS:-$repo/target/products}/jupyterhub"
jupyterhub_version="6.1.1"
proxy_version="5.3.0"
mkdir -p "$dir"
exec 9>"$dir/install.lock"
flock 9
if [ ! -x "$dir/venv/bin/jupyterhub" ] || [ "$(cat "$dir/venv/.version" 2>/dev/null)" != "$jupyterhub_version" ]; then
  rm -rf "$dir/venv"
  python3 -m venv "$dir/venv" >&2
  "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "jupyterhub==$jupyterhub_version" >&2
  echo "$jupyterhub_version" >"$dir/venv/.version"
fi
if [ ! -x "$dir/node/node_modules/.bin/configurable-http-proxy" ]; then
  mkdir -p "$dir/node"
  npm install --silent --no-audit --no-fund --prefix "$dir/node" "configurable-http-proxy@$proxy_version" >&2
fi
