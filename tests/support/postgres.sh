#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1 (a free port) for the test suite.
# Prints the SQLAlchemy URL on stdout; `postgres.sh stop DIR` stops it through pg_ctl.
set -euo pipefail
if [ "${1:-}" = "stop" ]; then
  runuser -u postgres -- pg_ctl -D "$2/data" -m fast -w stop >/dev/null
  exit 0
fi
dir=$(mktemp -d /tmp/govbot-pg.XXXXXX)
chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
runuser -u postgres -- initdb -D "$dir/data" -A trust -U postgres >/dev/null
runuser -u postgres -- pg_ctl -D "$dir/data" -l "$dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null
echo "$dir postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
