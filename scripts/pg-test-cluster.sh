#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on loopback for the test suite and print its URL.
# Usage: eval "$(scripts/pg-test-cluster.sh start DIR)"   ->  exports RECBOT_TEST_PG_URL
#        scripts/pg-test-cluster.sh stop DIR
# Installs Debian's postgresql package when no server binaries are found (CI on a fresh machine).
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data dir}
# A free loopback port unless one is given, so a developer's own server never collides with it.
port=${PGPORT_TEST:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ "$cmd" = stop ]; then
  [ -n "$bin" ] && [ -d "$dir/data" ] && runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  exit 0
fi
if [ -z "$bin" ]; then
  echo "installing postgresql (Debian package)..." >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
mkdir -p "$dir"; chown postgres "$dir"
if [ ! -d "$dir/data" ]; then
  runuser -u postgres -- "$bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
fi
runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null
echo "export RECBOT_TEST_PG_URL=postgresql://postgres@127.0.0.1:$port/postgres"
