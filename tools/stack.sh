#!/usr/bin/env bash
# The local TDPF stack without Docker: PostgreSQL and Redis from Debian packages, Solr 9 from
# Maven Central artifacts (tools/solr-launcher), CKAN 2.12 and the suite in .venv/.
#
#   tools/stack.sh install   install what is missing (apt, .venv, Maven build of the launcher)
#   tools/stack.sh up        install, then start PostgreSQL, Redis and Solr; create databases
#   tools/stack.sh run       up, write .dev/ckan.ini, migrate, admin user, worker, demo data, serve
#   tools/stack.sh test ...  up, then run the test suite (arguments go to pytest)
#   tools/stack.sh stop      stop everything this checkout started
#   tools/stack.sh status    what is running
#   tools/stack.sh cloud-up|cloud-down|cloud-status|cloud-test|cloud-ctl
#                            cloud mode: SolrCloud, 2 web processes behind nginx, 2 workers,
#                            gather + 2 fetch consumers (tools/cloud/cloud.sh, README "Scale-out")
#
# Every step is idempotent: re-running only does what is missing. State lives in .dev/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEV=$ROOT/.dev
VENV=$ROOT/.venv
LOGS=$DEV/logs
PG_PORT=${TDPF_PG_PORT:-5432}
REDIS_PORT=${TDPF_REDIS_PORT:-6379}
SOLR_PORT=${TDPF_SOLR_PORT:-8983}
CKAN_PORT=${TDPF_CKAN_PORT:-5000}
MAIL_PORT=${TDPF_MAIL_PORT:-8025}
REPLAY_PORT=${TDPF_REPLAY_PORT:-8900}  # make run's recorded Tokyo catalog (the demo harvest source)
PG_BIN=/usr/lib/postgresql/15/bin
LAUNCHER_DIR=$ROOT/tools/solr-launcher
LAUNCHER_JAR=$LAUNCHER_DIR/target/ckan-solr-launcher-1.0.0.jar
APT_PACKAGES=(postgresql-15 redis-server maven openjdk-17-jdk-headless chromium gettext
  libpq-dev libmagic1 python3 python3-venv python3-dev build-essential curl fonts-noto-cjk wrk)
# Debian's Python, built with PGO and LTO like the production image's (python:3.11-slim),
# not whichever python3 comes first on PATH: a build without them (pyenv's default) runs
# CKAN's validation and dictization about 12% slower.
PYTHON=${TDPF_PYTHON:-/usr/bin/python3}

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# PostgreSQL refuses to run as root; when we are root it runs as the "postgres" user, whose
# data directory must be reachable. A checkout under an unreachable home gets one in /var/lib.
pg_user() { if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_data_dir() {
  if [ -f "$DEV/pgdata.path" ]; then cat "$DEV/pgdata.path"; return; fi
  local dir=$DEV/pgdata
  if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$DEV"; then
    dir=/var/lib/postgresql/tdpf-$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)
  fi
  echo "$dir" > "$DEV/pgdata.path"
  echo "$dir"
}

install_system() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >"$LOGS/apt.log" 2>&1 || { tail -20 "$LOGS/apt.log"; die "apt-get failed"; }
  fi
}

install_python() {
  local stamp=$VENV/.tdpf-installed
  local want
  local interpreter='import sys; print(sys.base_prefix, sys.version)'
  want=$({ "$PYTHON" -c "$interpreter"; cat "$ROOT/requirements.txt" \
           "$ROOT/dev-requirements.txt" "$ROOT/setup.py"; } | sha1sum)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  if [ -x "$VENV/bin/python" ] &&
     [ "$("$VENV/bin/python" -c "$interpreter")" != "$("$PYTHON" -c "$interpreter")" ]; then
    say "$VENV was made with another Python; making it again with $PYTHON"
    rm -rf "$VENV"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  say "installing Python packages (requirements.txt, dev-requirements.txt)"
  "$VENV/bin/pip" install -q --upgrade pip==25.3
  "$VENV/bin/pip" install -q -r "$ROOT/requirements.txt" -r "$ROOT/dev-requirements.txt"
  "$VENV/bin/pip" install -q --no-deps -e "$ROOT"
  echo "$want" > "$stamp"
}

build_solr() {
  if [ -f "$LAUNCHER_JAR" ] &&
     [ -z "$(find "$LAUNCHER_DIR/pom.xml" "$LAUNCHER_DIR/src" -newer "$LAUNCHER_JAR" | head -1)" ]; then
    return
  fi
  say "building the Solr launcher with Maven (first run downloads Solr from Maven Central)"
  (cd "$LAUNCHER_DIR" && mvn -B -q package) >"$LOGS/maven.log" 2>&1 ||
    { tail -30 "$LOGS/maven.log"; die "Maven build of tools/solr-launcher failed"; }
}

install_all() {
  mkdir -p "$DEV" "$LOGS"
  install_system
  install_python
  build_solr
}

start_postgres() {
  local data
  data=$(pg_data_dir)
  if [ ! -f "$data/PG_VERSION" ]; then
    say "initializing PostgreSQL in $data"
    as_root mkdir -p "$data"
    as_root chown "$(pg_user)" "$data"
    as_root chmod 700 "$data"
    # Trust on loopback only: a single-user development cluster, no password to leak.
    as_pg "$PG_BIN/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$LOGS/initdb.log" 2>&1 || { cat "$LOGS/initdb.log"; die "initdb failed"; }
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    port_open "$PG_PORT" && die "port $PG_PORT is taken by another PostgreSQL; stop it or set TDPF_PG_PORT"
    say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$data" -w -t 60 -l "$data/server.log" \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$data" start >/dev/null ||
      { tail -20 "$data/server.log"; die "PostgreSQL did not start"; }
  fi
  local psql=("$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qtA)
  for role in ckan_default datastore_default; do
    if [ "$("${psql[@]}" -c "select 1 from pg_roles where rolname='$role'")" != 1 ]; then
      "${psql[@]}" -c "create role $role login"
    fi
  done
  for db in ckan_default ckan_test ckan_live_test ckan_bench $DATASTORE_DBS; do
    if [ "$("${psql[@]}" -c "select 1 from pg_database where datname='$db'")" != 1 ]; then
      "${psql[@]}" -c "create database $db owner ckan_default encoding 'UTF8' template template0"
    fi
  done
}

DATASTORE_DBS="datastore_default datastore_test datastore_live_test"

# The DataStore's read-only user may only read: CKAN writes the grants for a config.
datastore_permissions() {
  local stamp=$DEV/datastore-permissions.done
  [ -f "$stamp" ] && return
  local ini=$DEV/datastore-permissions.ini
  printf '[app:main]\nuse = config:%s\nckan.plugins = datastore\n' "$ROOT/test.ini" > "$ini"
  for db in $DATASTORE_DBS; do
    CKAN_SQLALCHEMY_URL="postgresql://ckan_default@127.0.0.1:$PG_PORT/ckan_test" \
      CKAN_DATASTORE_WRITE_URL="postgresql://ckan_default@127.0.0.1:$PG_PORT/$db" \
      CKAN_DATASTORE_READ_URL="postgresql://datastore_default@127.0.0.1:$PG_PORT/$db" \
      "$VENV/bin/ckan" -c "$ini" datastore set-permissions 2>/dev/null |
      "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$db" -q --set ON_ERROR_STOP=1 \
        >/dev/null || die "setting the DataStore permissions of $db failed"
  done
  touch "$stamp"
}

start_redis() {
  if [ -f "$DEV/redis.pid" ] && kill -0 "$(cat "$DEV/redis.pid")" 2>/dev/null; then return; fi
  port_open "$REDIS_PORT" && die "port $REDIS_PORT is taken by another Redis; stop it or set TDPF_REDIS_PORT"
  say "starting Redis on 127.0.0.1:$REDIS_PORT"
  mkdir -p "$DEV/redis"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --dir "$DEV/redis" \
    --pidfile "$DEV/redis.pid" --logfile "$LOGS/redis.log" --save 60 1000
  for _ in $(seq 50); do port_open "$REDIS_PORT" && return; sleep 0.1; done
  die "Redis did not start (see $LOGS/redis.log)"
}

SOLR_CORES=(ckan ckan_test ckan_live_test ckan_bench ckan_bench_stock)

solr_cores_answer() {
  for core in "${SOLR_CORES[@]}"; do
    curl -fsS -o /dev/null "http://127.0.0.1:$SOLR_PORT/solr/$core/admin/ping" 2>/dev/null || return 1
  done
}

start_solr() {
  if [ -f "$DEV/solr.ready" ] && kill -0 "$(sed -n 2p "$DEV/solr.ready")" 2>/dev/null; then
    solr_cores_answer && return
    say "restarting Solr: a core is missing"
    stop_pidfile "$DEV/solr.ready" 2
  fi
  rm -f "$DEV/solr.ready"
  port_open "$SOLR_PORT" && die "port $SOLR_PORT is taken by another Solr; stop it or set TDPF_SOLR_PORT"
  local schema
  schema=$("$VENV/bin/python" -c \
    "import ckan, os; print(os.path.join(os.path.dirname(ckan.__file__), 'config', 'solr', 'schema.xml'))")
  say "starting Solr 9 on 127.0.0.1:$SOLR_PORT (cores ${SOLR_CORES[*]})"
  nohup java -Xms256m -Xmx2g -XX:+UseParallelGC -jar "$LAUNCHER_JAR" --home "$DEV/solr" \
    --schema "$schema" --port "$SOLR_PORT" --cores "$(IFS=,; echo "${SOLR_CORES[*]}")" \
    --ready-file "$DEV/solr.ready" >"$LOGS/solr.log" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 240); do
    [ -f "$DEV/solr.ready" ] && return
    kill -0 "$pid" 2>/dev/null || { tail -20 "$LOGS/solr.log"; die "Solr failed to start"; }
    sleep 0.5
  done
  die "Solr did not become ready in 120 s (see $LOGS/solr.log)"
}

service_env() {
  export CKAN_SQLALCHEMY_URL="postgresql://ckan_default@127.0.0.1:$PG_PORT/$1"
  export CKAN_DATASTORE_WRITE_URL="postgresql://ckan_default@127.0.0.1:$PG_PORT/datastore_test"
  export CKAN_DATASTORE_READ_URL="postgresql://datastore_default@127.0.0.1:$PG_PORT/datastore_test"
  export CKAN_SOLR_URL="http://127.0.0.1:$SOLR_PORT/solr/$2"
  export CKAN_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/$3"
}

up() {
  install_all
  start_postgres
  datastore_permissions
  start_redis
  start_solr
}

ckan_dev() { "$VENV/bin/ckan" -c "$DEV/ckan.ini" "$@"; }

write_config() {
  [ -f "$DEV/ckan.ini" ] || say "writing $DEV/ckan.ini"
  CKAN_SITE_URL="http://127.0.0.1:$CKAN_PORT" CKAN_SITE_ID=tdpf-dev CKAN_STORAGE_PATH="$DEV/storage" \
    CKAN_SQLALCHEMY_URL="postgresql://ckan_default@127.0.0.1:$PG_PORT/ckan_default" \
    CKAN_SOLR_URL="http://127.0.0.1:$SOLR_PORT/solr/ckan" CKAN_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" \
    CKAN_DATASTORE_WRITE_URL="postgresql://ckan_default@127.0.0.1:$PG_PORT/datastore_default" \
    CKAN_DATASTORE_READ_URL="postgresql://datastore_default@127.0.0.1:$PG_PORT/datastore_default" \
    TDPF_EXTRA_CONFIG=$'ckan.auth.create_user_via_web=true\n'"smtp.server=127.0.0.1:$MAIL_PORT"$'\nsmtp.mail_from=tdpf@example.invalid' \
    "$VENV/bin/python" "$ROOT/docker/ckan_config.py" "$DEV/ckan.ini"
}

migrate() {
  say "migrating the database (CKAN core and every plugin)"
  ckan_dev db upgrade >"$LOGS/db-upgrade.log" 2>&1 || { tail -30 "$LOGS/db-upgrade.log"; die "ckan db upgrade failed"; }
}

ensure_admin() {
  if ! ckan_dev user show admin 2>/dev/null | grep -q "name=admin"; then
    local password
    password=$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 16)
    say "creating the sysadmin 'admin'"
    ckan_dev user add admin email=admin@example.invalid password="$password" >/dev/null
    ckan_dev sysadmin add admin >/dev/null
    umask 077
    echo "$password" > "$DEV/admin-password"
  fi
  if [ ! -s "$DEV/admin-token" ] || ! curl -fsS -o /dev/null -H "Authorization: $(cat "$DEV/admin-token")" \
      "http://127.0.0.1:$CKAN_PORT/api/3/action/dashboard_new_activities_count" 2>/dev/null; then
    (umask 077; ckan_dev user token add admin tdpf-dev | tail -1 | tr -d '[:space:]' > "$DEV/admin-token")
  fi
}

# Background processes of the dev site: the job worker (data rate) and ckanext-harvest's
# gather and fetch consumers (jobs started from the harvest pages).
WORKERS=("worker:jobs worker default tdpf_bulk" "gather:harvester gather-consumer" "fetch:harvester fetch-consumer")

# ckanext-harvest's consumers wait on the queue with a BLPOP without a timeout, and redis-py 8
# times a read out after 5 s: an idle consumer would exit. As in docker/entrypoint.sh, they
# connect through ckan.redis.url (ckan.harvest.mq.hostname left empty, in their own config
# that extends the site's) with a long socket timeout and TCP keepalive.
start_workers() {
  printf '[app:main]\nuse = config:%s\nckan.harvest.mq.hostname =\n' "$DEV/ckan.ini" > "$DEV/consumer.ini"
  for entry in "${WORKERS[@]}"; do
    local name=${entry%%:*} command=${entry#*:}
    if [ -f "$DEV/$name.pid" ] && kill -0 "$(cat "$DEV/$name.pid")" 2>/dev/null; then continue; fi
    if [[ $command == harvester* ]]; then
      # shellcheck disable=SC2086
      CKAN_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0?socket_timeout=31536000&socket_keepalive=true" \
        nohup "$VENV/bin/ckan" -c "$DEV/consumer.ini" $command >"$LOGS/$name.log" 2>&1 </dev/null &
    else
      # shellcheck disable=SC2086
      nohup "$VENV/bin/ckan" -c "$DEV/ckan.ini" $command >"$LOGS/$name.log" 2>&1 </dev/null &
    fi
    echo $! > "$DEV/$name.pid"
  done
  # docker/crontab's ticks, every 15 minutes as there: the harvest's starts due jobs and marks
  # finished ones finished (without it a job started from the UI would show 実行中 for
  # ever). The rating's returns the batches of a killed worker to the waiting set.
  if ! { [ -f "$DEV/cron.pid" ] && kill -0 "$(cat "$DEV/cron.pid")" 2>/dev/null; }; then
    nohup bash -c "while sleep 900; do '$VENV/bin/ckan' -c '$DEV/ckan.ini' harvester run;
      '$VENV/bin/ckan' -c '$DEV/ckan.ini' tdpf-schema rating-recover; done" \
      >"$LOGS/cron.log" 2>&1 </dev/null &
    echo $! > "$DEV/cron.pid"
  fi
  say "started the job worker and the harvest consumers"
}

# The site's mail (access requests, decisions, expiry notices) goes to a local SMTP server
# that keeps every message in the maildir .dev/mail/ (aiosmtpd, a dev requirement).
start_mail() {
  if [ -f "$DEV/mail.pid" ] && kill -0 "$(cat "$DEV/mail.pid")" 2>/dev/null; then return; fi
  port_open "$MAIL_PORT" && die "port $MAIL_PORT is taken; stop the other server or set TDPF_MAIL_PORT"
  mkdir -p "$DEV/mail/cur" "$DEV/mail/new" "$DEV/mail/tmp"  # a maildir
  nohup "$VENV/bin/python" -m aiosmtpd -n -l "127.0.0.1:$MAIL_PORT" -c aiosmtpd.handlers.Mailbox \
    "$DEV/mail" >"$LOGS/mail.log" 2>&1 </dev/null &
  echo $! > "$DEV/mail.pid"
}

stop_pidfile() {
  local file=$1
  [ -f "$file" ] || return 0
  local pid
  pid=$(sed -n "${2:-1}p" "$file")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$file"
}

run() {
  local started
  started=$(date +%s)
  up
  unset CKAN_SQLALCHEMY_URL CKAN_SOLR_URL CKAN_REDIS_URL CKAN_DATASTORE_WRITE_URL CKAN_DATASTORE_READ_URL
  write_config
  migrate
  start_workers
  start_mail
  port_open "$CKAN_PORT" && die "port $CKAN_PORT is taken; stop the other server or set TDPF_CKAN_PORT"
  say "starting CKAN on http://127.0.0.1:$CKAN_PORT"
  "$VENV/bin/ckan" -c "$DEV/ckan.ini" run -H 127.0.0.1 -p "$CKAN_PORT" --disable-reloader \
    >"$LOGS/ckan.log" 2>&1 &
  local server=$!
  trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; echo; say "CKAN stopped (make stop stops the services)"; exit 0' INT TERM
  for _ in $(seq 240); do
    curl -fsS -o /dev/null "http://127.0.0.1:$CKAN_PORT/api/3/action/status_show" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { tail -30 "$LOGS/ckan.log"; die "CKAN failed to start"; }
    sleep 0.5
  done
  ensure_admin
  # the demo harvest source's catalog, up while the site is (再収集 on its page reaches it)
  if ! { [ -f "$DEV/replay.pid" ] && kill -0 "$(cat "$DEV/replay.pid")" 2>/dev/null; }; then
    port_open "$REPLAY_PORT" && die "port $REPLAY_PORT is taken; stop the other server or set TDPF_REPLAY_PORT"
    nohup "$VENV/bin/python" "$ROOT/tools/demo_data.py" --url "http://127.0.0.1:$CKAN_PORT" \
      --token-file "$DEV/admin-token" --config "$DEV/ckan.ini" --serve-replay \
      --replay-port "$REPLAY_PORT" >"$LOGS/replay.log" 2>&1 </dev/null &
    echo $! > "$DEV/replay.pid"
    for _ in $(seq 50); do port_open "$REPLAY_PORT" && break; sleep 0.2; done
  fi
  say "loading the demo data: harvesting the recorded Tokyo catalog from a local replay"
  "$VENV/bin/python" "$ROOT/tools/demo_data.py" --url "http://127.0.0.1:$CKAN_PORT" \
    --token-file "$DEV/admin-token" --config "$DEV/ckan.ini" --log "$LOGS/demo-harvest.log" \
    --replay-port "$REPLAY_PORT" ||
    die "loading the demo data failed (see the harvest summary above)"
  cat <<EOF

  東京データプラットフォーム (TDPF) is running: http://127.0.0.1:$CKAN_PORT
  Log in as: admin / $(cat "$DEV/admin-password")   (API token: .dev/admin-token)
  Shared data demo (/dataset/meguro-shared-demo): $(awk '{printf "%s / %s   ", $1, $2}' "$DEV/demo-passwords")
    (demo_provider edits 目黒区's data and decides its requests; demo_user can request access)
  Mail the site sends (requests, decisions, expiry notices): .dev/mail/new/ (SMTP 127.0.0.1:$MAIL_PORT)
  Logs: .dev/logs/   Ready in $(( $(date +%s) - started )) s.   Ctrl-C stops CKAN; 'make stop' stops the services.

EOF
  tail -n 0 -f "$LOGS/ckan.log" &
  wait "$server"
}

run_tests() {
  up
  service_env ckan_test ckan_test 1
  cd "$ROOT"
  "$VENV/bin/python" -m pytest "$@"
}

stop() {
  for entry in "${WORKERS[@]}"; do stop_pidfile "$DEV/${entry%%:*}.pid"; done
  stop_pidfile "$DEV/mail.pid"
  stop_pidfile "$DEV/cron.pid"
  stop_pidfile "$DEV/replay.pid"
  stop_pidfile "$DEV/solr.ready" 2
  if [ -f "$DEV/redis.pid" ]; then stop_pidfile "$DEV/redis.pid"; fi
  if [ -f "$DEV/pgdata.path" ]; then
    local data
    data=$(cat "$DEV/pgdata.path")
    if [ -f "$data/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast stop >/dev/null || true; fi
  fi
  say "stopped"
}

status() {
  local ok
  for svc in "PostgreSQL:$PG_PORT" "Redis:$REDIS_PORT" "Solr:$SOLR_PORT" "CKAN:$CKAN_PORT"; do
    ok=down; port_open "${svc#*:}" && ok=up
    printf '%-11s 127.0.0.1:%-5s %s\n' "${svc%%:*}" "${svc#*:}" "$ok"
  done
}

mkdir -p "$DEV" "$LOGS"
cmd=${1:-run}
shift || true
case "$cmd" in
  install) install_all ;;
  up) up ;;
  run) run ;;
  test) run_tests "$@" ;;
  stop) stop ;;
  status) status ;;
  cloud-up|cloud-test) up; source "$ROOT/tools/cloud/cloud.sh"; cloud_main "$cmd" "$@" ;;
  cloud-*) source "$ROOT/tools/cloud/cloud.sh"; cloud_main "$cmd" "$@" ;;
  *) die "unknown command: $cmd (install, up, run, test, stop, status)" ;;
esac
