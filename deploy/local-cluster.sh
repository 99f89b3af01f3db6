#!/usr/bin/env bash
# The topology of deploy/docker-compose.yml without containers, on one machine, from Debian's
# packages (`make setup-cluster`): PostgreSQL, Redis, a migrate job, API x$API_REPLICAS and
# Rasa x$RASA_REPLICAS behind round-robin proxies (deploy/proxy.py), one action server.
#
#   deploy/local-cluster.sh start     # prints the address; state under $CLUSTER_DIR
#   deploy/local-cluster.sh stop
#   deploy/local-cluster.sh env       # the settings every replica runs with (to source)
#
# Ports from PORT_BASE (default 8000): proxy = PORT_BASE, API replica i = PORT_BASE+10+i,
# Rasa proxy = +20, Rasa replica i = +20+i, actions = +30, PostgreSQL = +40, Redis = +41.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
CLUSTER_DIR=${CLUSTER_DIR:-$REPO/var/cluster}
PORT_BASE=${PORT_BASE:-8000}
API_REPLICAS=${API_REPLICAS:-2}
RASA_REPLICAS=${RASA_REPLICAS:-2}
PY=${PY:-$REPO/.venv/bin/python}
GOVBOT=${GOVBOT:-$REPO/.venv/bin/govbot}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
PG_PORT=$((PORT_BASE + 40))
REDIS_PORT=$((PORT_BASE + 41))
PIDS=$CLUSTER_DIR/pids
LOGS=$CLUSTER_DIR/logs

as_postgres() {  # PostgreSQL refuses to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cluster_env() {
  local token_file=$CLUSTER_DIR/secrets
  if [ ! -f "$token_file" ]; then
    mkdir -p "$CLUSTER_DIR"
    umask 077
    {
      echo "GOVBOT_RASA_TOKEN=$($PY -c 'import secrets; print(secrets.token_urlsafe(32))')"
      echo "GOVBOT_VAULT_KEY=$($PY -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())')"
    } >"$token_file"
  fi
  cat "$token_file"
  echo "GOVBOT_DATABASE_URL=postgresql://postgres@127.0.0.1:$PG_PORT/govbot"
  echo "GOVBOT_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
  echo "GOVBOT_RASA_URL=http://127.0.0.1:$((PORT_BASE + 20))"
  echo "GOVBOT_ACTION_URL=http://127.0.0.1:$((PORT_BASE + 30))"
  echo "GOVBOT_HOST_ACTIONS=false"
}

start_bg() {  # name, command...: in the background, pid and log under $CLUSTER_DIR
  local name=$1
  shift
  nohup "$@" >"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
}

wait_for() {  # url, seconds
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "not up within $2 s: $1 (logs in $LOGS)" >&2
      return 1
    fi
    sleep 1
  done
}

start() {
  mkdir -p "$PIDS" "$LOGS"
  test -x "$PG_BIN/pg_ctl" || { echo "PostgreSQL is not installed: make setup-cluster" >&2; exit 2; }
  command -v redis-server >/dev/null || { echo "redis-server is not installed: make setup-cluster" >&2; exit 2; }
  # PostgreSQL: a cluster of its own under $CLUSTER_DIR, trusted on loopback only
  if [ ! -f "$CLUSTER_DIR/pg/PG_VERSION" ]; then
    mkdir -p "$CLUSTER_DIR/pg"
    [ "$(id -u)" = 0 ] && chown postgres "$CLUSTER_DIR/pg" && chmod 700 "$CLUSTER_DIR/pg"
    as_postgres "$PG_BIN/initdb" -D "$CLUSTER_DIR/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log"
  fi
  [ "$(id -u)" = 0 ] && chown postgres "$LOGS" && touch "$LOGS/postgresql.log" && chown postgres "$LOGS/postgresql.log"
  as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/pg" -l "$LOGS/postgresql.log" -w \
    -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null
  as_postgres "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='govbot'" | grep -q 1 ||
    as_postgres "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres govbot
  # Redis: in memory only (what it holds lives minutes to hours)
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$PIDS/redis.pid" --logfile "$LOGS/redis.log" --dir "$CLUSTER_DIR"

  set -a
  # shellcheck disable=SC1090
  source <(cluster_env)
  set +a
  mkdir -p "$CLUSTER_DIR/home"
  # the migrate job, then the sample knowledge base (embedded once: the replicas reuse its vectors)
  GOVBOT_HOME=$CLUSTER_DIR/home/setup "$GOVBOT" migrate >"$LOGS/migrate.log"
  [ "${LOAD_SAMPLE:-1}" = 1 ] && GOVBOT_HOME=$CLUSTER_DIR/home/setup "$GOVBOT" load-sample --if-empty >"$LOGS/load-sample.log" 2>&1

  start_bg actions env GOVBOT_HOME="$CLUSTER_DIR/home/actions" "$GOVBOT" serve --only actions --port $((PORT_BASE + 30))
  local rasa_upstreams=() api_upstreams=()
  for i in $(seq 1 "$RASA_REPLICAS"); do
    start_bg "rasa$i" env GOVBOT_HOME="$CLUSTER_DIR/home/rasa$i" "$GOVBOT" serve --only rasa --port $((PORT_BASE + 20 + i))
    rasa_upstreams+=(--upstream "127.0.0.1:$((PORT_BASE + 20 + i))")
  done
  start_bg rasa-proxy "$PY" deploy/proxy.py --listen "127.0.0.1:$((PORT_BASE + 20))" "${rasa_upstreams[@]}"
  for i in $(seq 1 "$API_REPLICAS"); do
    start_bg "api$i" env GOVBOT_HOME="$CLUSTER_DIR/home/api$i" "$GOVBOT" serve --only api --port $((PORT_BASE + 10 + i)) --proxy-headers 127.0.0.1
    api_upstreams+=(--upstream "127.0.0.1:$((PORT_BASE + 10 + i))")
  done
  start_bg proxy "$PY" deploy/proxy.py --listen "127.0.0.1:$PORT_BASE" "${api_upstreams[@]}"
  # up means every process answers: Rasa loads its model before it listens, so a replica that
  # listens is ready (on a busy machine the API replicas can be up minutes before the Rasa ones)
  for i in $(seq 1 "$API_REPLICAS"); do
    wait_for "http://127.0.0.1:$((PORT_BASE + 10 + i))/api/health" "${START_TIMEOUT_S:-600}"
  done
  for i in $(seq 1 "$RASA_REPLICAS"); do
    wait_for "http://127.0.0.1:$((PORT_BASE + 20 + i))/" "${START_TIMEOUT_S:-600}"
  done
  wait_for "http://127.0.0.1:$((PORT_BASE + 30))/health" "${START_TIMEOUT_S:-600}"
  echo "govbot cluster: http://127.0.0.1:$PORT_BASE (API x$API_REPLICAS, Rasa x$RASA_REPLICAS, PostgreSQL :$PG_PORT, Redis :$REDIS_PORT; logs in $LOGS)"
}

stop() {
  for name in proxy $(cd "$PIDS" 2>/dev/null && ls api*.pid rasa*.pid actions.pid 2>/dev/null | sed 's/\.pid$//'); do
    local file=$PIDS/$name.pid
    [ -f "$file" ] || continue
    kill "$(cat "$file")" 2>/dev/null || true
  done
  for file in "$PIDS"/*.pid; do
    [ -f "$file" ] || continue
    [ "$(basename "$file")" = redis.pid ] && continue
    local pid deadline=$((SECONDS + 30))
    pid=$(cat "$file")
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$file"
  done
  [ -f "$PIDS/redis.pid" ] && { kill "$(cat "$PIDS/redis.pid")" 2>/dev/null || true; rm -f "$PIDS/redis.pid"; }
  [ -f "$CLUSTER_DIR/pg/postmaster.pid" ] && as_postgres "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/pg" -m fast -w stop >/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) cluster_env ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
