#!/usr/bin/env bash
# Start a private RabbitMQ node with the management API: its own node name, Erlang cookie (HOME), epmd, AMQP,
# distribution and management ports on 127.0.0.1, and all data, logs and config under <state-dir>. Writes
# <state-dir>/product.env (BASE_URL, USERNAME, PASSWORD) and <state-dir>/pids, and leaves the node running.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="${1:?usage: start.sh <state-dir>}"
mkdir -p "$state"
state="$(cd "$state" && pwd)"
bash "$here/install.sh"

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
amqp=$(free_port); dist=$(free_port); mgmt=$(free_port); epmd=$(free_port)
user=scimgate
pass=$(python3 -c 'import secrets;print(secrets.token_hex(16))')

mkdir -p "$state/home" "$state/mnesia" "$state/log"
cat >"$state/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$amqp
management.tcp.ip = 127.0.0.1
management.tcp.port = $mgmt
default_user = $user
default_pass = $pass
default_user_tags.administrator = true
loopback_users = none
log.console = false
log.file.level = warning
CONF
echo '[rabbitmq_management].' >"$state/enabled_plugins"
: >"$state/rabbitmq-env.conf"

export HOME="$state/home"
export ERL_EPMD_PORT=$epmd
export ERL_EPMD_ADDRESS=127.0.0.1
export RABBITMQ_NODENAME="scimgate-$$-$mgmt@localhost"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$amqp
export RABBITMQ_DIST_PORT=$dist
export RABBITMQ_CONFIG_FILE="$state/rabbitmq.conf"
export RABBITMQ_CONF_ENV_FILE="$state/rabbitmq-env.conf"
export RABBITMQ_ADVANCED_CONFIG_FILE="$state/advanced.config"
export RABBITMQ_ENABLED_PLUGINS_FILE="$state/enabled_plugins"
export RABBITMQ_MNESIA_BASE="$state/mnesia"
export RABBITMQ_LOG_BASE="$state/log"
export RABBITMQ_PID_FILE="$state/rabbitmq.pid"

# A private epmd on its own port, so the node neither needs nor leaves behind a shared one.
setsid /usr/lib/erlang/erts-*/bin/epmd -port "$epmd" -address 127.0.0.1 >"$state/epmd.log" 2>&1 </dev/null &
epmd_pid=$!
setsid /usr/lib/rabbitmq/bin/rabbitmq-server >"$state/server.log" 2>&1 </dev/null &
pid=$!
# Every process of the node's group (the script and the Erlang VM), and epmd.
pids() { { ps -o pid= -g "$pid" 2>/dev/null || true; echo "$epmd_pid"; } | tr -d ' ' | grep -v '^$' >"$state/pids"; }
pids

base="http://127.0.0.1:$mgmt"
for _ in $(seq 1 120); do
  if curl -fsS -u "$user:$pass" "$base/api/overview" >/dev/null 2>&1; then
    pids
    printf 'BASE_URL=%s\nUSERNAME=%s\nPASSWORD=%s\n' "$base" "$user" "$pass" >"$state/product.env"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.5
done
echo "rabbitmq: the management API did not answer at $base within 60 s" >&2
tail -n 50 "$state/server.log" "$state"/log/*.log >&2 2>/dev/null || true
kill -- "-$pid" 2>/dev/null || true
kill "$epmd_pid" 2>/dev/null || true
exit 1
