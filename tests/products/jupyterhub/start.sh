#!/usr/bin/env bash
# Start a private JupyterHub with all its state under <state-dir>: the hub's REST API on a free 127.0.0.1 port,
# its proxy (configurable-http-proxy, which the hub starts) on two more. The gateway's credential is the token of a
# service, `scimgate`, given a role with the user and group admin scopes in the hub's config file.
# Writes <state-dir>/product.env (BASE_URL, TOKEN) and <state-dir>/pids, and leaves the hub running.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
state="${1:?usage: start.sh <state-dir>}"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
dir="${SCIMGATE_PRODUCTS:-$repo/target/products}/jupyterhub"
bash "$here/install.sh"

port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
hub_port="$(port)"
proxy_port="$(port)"
proxy_api_port="$(port)"
token="$(python3 -c 'import secrets;print(secrets.token_hex(32))')"

cat >"$state/jupyterhub_config.py" <<PY
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = $proxy_port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = $hub_port
c.JupyterHub.db_url = "sqlite:///$state/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "$state/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "$state/jupyterhub.pid"
# Users exist only in the hub's database: no system accounts are looked up or created.
c.JupyterHub.authenticator_class = "null"
c.ConfigurableHTTPProxy.command = ["$dir/node/node_modules/.bin/configurable-http-proxy"]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:$proxy_api_port"
c.ConfigurableHTTPProxy.pid_file = "$state/proxy.pid"
c.ConfigurableHTTPProxy.auth_token = "$(python3 -c 'import secrets;print(secrets.token_hex(16))')"
c.JupyterHub.services = [{"name": "scimgate", "api_token": "$token"}]
c.JupyterHub.load_roles = [
    {"name": "scim-provisioning", "scopes": ["admin:users", "admin:groups"], "services": ["scimgate"]},
]
PY

cd "$state"
setsid "$dir/venv/bin/jupyterhub" -f "$state/jupyterhub_config.py" >"$state/jupyterhub.log" 2>&1 </dev/null &
hub=$!
echo "$hub" >"$state/pids"

base="http://127.0.0.1:$hub_port/hub/api"
for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null -H "Authorization: token $token" "$base/users?limit=1" 2>/dev/null; then
    [ -s "$state/proxy.pid" ] && echo "$(cat "$state/proxy.pid")" >>"$state/pids"
    printf 'BASE_URL=%s\nTOKEN=%s\n' "$base" "$token" >"$state/product.env"
    exit 0
  fi
  if ! kill -0 "$hub" 2>/dev/null; then
    break
  fi
  sleep 0.5
done
echo "JupyterHub did not answer on $base within 60 s; its log:" >&2
cat "$state/jupyterhub.log" >&2
kill -- -"$hub" 2>/dev/null || true
exit 1
