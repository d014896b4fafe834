#!/usr/bin/env bash
# RabbitMQ from Debian (`rabbitmq-server`, which brings Erlang and the management plugin), installed system-wide
# when its server is missing. Idempotent; prints nothing when it is already there.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
dir="${SCIMGATE_PRODUCTS:-$repo/target/products}/rabbitmq"
mkdir -p "$dir"
exec 9>"$dir/install.lock"
flock 9
if [ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends rabbitmq-server >&2
  # The package starts a system node; the tests run private nodes of their own.
  (service rabbitmq-server stop || systemctl stop rabbitmq-server || true) >/dev/null 2>&1
fi
