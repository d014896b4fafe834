#!/usr/bin/env bash
# Start OpenStack Keystone (identity API v3, SQLite, fernet tokens) on a free loopback port with its data under
# <state-dir>; mint a long-lived admin token for the gateway's X-Auth-Token header; write product.env and pids.
set -euo pipefail
state="${1:?usage: start.sh <state-dir>}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
bash "$here/install.sh"
venv="${SCIMGATE_PRODUCTS:-$repo/target/products}/keystone/venv"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
port="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')"
password="admin-$(python3 -c 'import secrets;print(secrets.token_hex(12))')"
conf="$state/keystone.conf"
cat >"$conf" <<CONF
[DEFAULT]
use_stderr = true
[database]
connection = sqlite:///$state/keystone.db
[token]
provider = fernet
# One token serves a whole test run.
expiration = 604800
[fernet_tokens]
key_repository = $state/fernet-keys
[fernet_receipts]
key_repository = $state/fernet-keys
[credential]
key_repository = $state/credential-keys
CONF
manage() { "$venv/bin/keystone-manage" --config-file "$conf" "$@" >>"$state/manage.log" 2>&1; }
if ! { manage db_sync &&
  manage fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" &&
  manage credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" &&
  manage bootstrap --bootstrap-password "$password" --bootstrap-public-url "http://127.0.0.1:$port/"; }; then
  cat "$state/manage.log" >&2
  echo "keystone: keystone-manage failed" >&2
  exit 1
fi
OS_KEYSTONE_CONFIG_FILES="$conf" setsid "$venv/bin/gunicorn" --workers 1 --threads 8 \
  --bind "127.0.0.1:$port" --chdir "$here" --control-socket "$state/gunicorn.ctl" \
  app:application >"$state/keystone.log" 2>&1 </dev/null &
pid=$!
echo "-$pid" >"$state/pids"
base="http://127.0.0.1:$port"
auth="{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"id\":\"default\"},\"password\":\"$password\"}}},\"scope\":{\"system\":{\"all\":true}}}}"
token=""
for _ in $(seq 1 120); do
  if ! kill -0 "$pid" 2>/dev/null; then
    cat "$state/keystone.log" >&2
    echo "keystone: the server exited" >&2
    exit 1
  fi
  token="$(curl -s -m 5 -D - -o /dev/null -H 'Content-Type: application/json' -d "$auth" "$base/v3/auth/tokens" |
    tr -d '\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p')" || true
  [ -n "$token" ] && break
  sleep 0.5
done
if [ -z "$token" ]; then
  cat "$state/keystone.log" >&2
  echo "keystone: no token from $base/v3/auth/tokens within 60 s" >&2
  exit 1
fi
printf 'BASE_URL=%s\nTOKEN=%s\n' "$base" "$token" >"$state/product.env"
