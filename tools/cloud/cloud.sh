# Cloud mode of the local stack (sourced by tools/stack.sh; see README "Scale-out").
#
# The same engines a scaled-out CKAN runs on, as separate processes on this machine:
#   ZooKeeper (9983) and two SolrCloud nodes (8990, 8991) from the Maven Central artifacts
#   tools/solr-launcher already fetches; the collection "ckan" made from CKAN 2.12's schema.xml
#   as a configset, 1 shard x 2 replicas; nginx balancing the Solr nodes (8989) and the
#   two CKAN web processes (gunicorn on 5101, 5102) behind one address (5100);
#   two job workers, one harvest gather consumer and two fetch consumers;
#   a PostgreSQL streaming replica (5433) of the shared server serving ckan.datastore.read_url.
# PostgreSQL (5432) and Redis (6379) are the standalone stack's, with the database ckan_cloud,
# the DataStore database datastore_cloud and Redis db 11. State and logs: .dev/cloud/.
#
# Commands (tools/stack.sh ...): cloud-up, cloud-down, cloud-status, cloud-test [pytest args],
# cloud-ctl stop|start|restart NAME (NAME: zk solr1 solr2 web1 web2 worker1 worker2 gather
# fetch1 fetch2 proxy replica).

CLOUD=$DEV/cloud
CLOUD_LOGS=$CLOUD/logs
CLOUD_PIDS=$CLOUD/pids
CLOUD_DB=${TDPF_CLOUD_DB:-ckan_cloud}
CLOUD_DATASTORE_DB=${TDPF_CLOUD_DATASTORE_DB:-datastore_cloud}
CLOUD_REDIS_DB=${TDPF_CLOUD_REDIS_DB:-11}
CLOUD_ZK_PORT=${TDPF_CLOUD_ZK_PORT:-9983}
CLOUD_SOLR_PORTS=(${TDPF_CLOUD_SOLR_PORTS:-8990 8991})
CLOUD_SOLR_LB_PORT=${TDPF_CLOUD_SOLR_LB_PORT:-8989}
CLOUD_WEB_PORTS=(${TDPF_CLOUD_WEB_PORTS:-5101 5102})
CLOUD_PROXY_PORT=${TDPF_CLOUD_PROXY_PORT:-5100}
CLOUD_REPLICA_PORT=${TDPF_CLOUD_REPLICA_PORT:-5433}
CLOUD_COLLECTION=ckan
CLOUD_INI=$CLOUD/ckan.ini
CLOUD_CP="$LAUNCHER_DIR/target/lib/*:$CLOUD/classes"
CLOUD_LOG4J=-Dlog4j2.configurationFile=$LAUNCHER_DIR/src/main/resources/log4j2.xml
# Background processes: name and the ckan command it runs.
CLOUD_CKAN_PROCS=("worker1:jobs worker default tdpf_bulk" "worker2:jobs worker default tdpf_bulk"
  "gather:harvester gather-consumer" "fetch1:harvester fetch-consumer"
  "fetch2:harvester fetch-consumer")

cloud_pid() { cat "$CLOUD_PIDS/$1.pid" 2>/dev/null; }
cloud_alive() { local pid; pid=$(cloud_pid "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

# A process and all its descendants (a supervisor loop, gunicorn's or rq's children).
cloud_tree() {
  local pid=$1 child
  echo "$pid"
  for child in $(pgrep -P "$pid" 2>/dev/null); do cloud_tree "$child"; done
}

# Stop NAME: its supervisor loop first (so nothing restarts it), then the process tree;
# with -KILL everything at once, as when a host dies.
cloud_stop_one() {
  local name=$1 signal=${2:--TERM} pid pids
  pid=$(cloud_pid "$name")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    pids=$(cloud_tree "$pid")
    if [ -f "$CLOUD_PIDS/$name.loop" ] || [ "$signal" = -KILL ]; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
    # shellcheck disable=SC2086
    kill "$signal" $pids 2>/dev/null || true
    for _ in $(seq 300); do
      # shellcheck disable=SC2086
      kill -0 $pids 2>/dev/null || break
      sleep 0.1
    done
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
  fi
  rm -f "$CLOUD_PIDS/$name.pid" "$CLOUD_PIDS/$name.loop"
}

cloud_wait_port() {
  for _ in $(seq "${2:-240}"); do port_open "$1" && return 0; sleep 0.5; done
  return 1
}

# --- ZooKeeper and SolrCloud -----------------------------------------------------------
cloud_build() {
  build_solr
  mkdir -p "$CLOUD/classes"
  local class=$CLOUD/classes/jp/tokyo/tdpf/cloud/SolrCloudNode.class
  if [ ! -f "$class" ] || [ "$ROOT/tools/cloud/SolrCloudNode.java" -nt "$class" ]; then
    javac -d "$CLOUD/classes" -cp "$LAUNCHER_DIR/target/lib/*" "$ROOT/tools/cloud/SolrCloudNode.java" ||
      die "compiling tools/cloud/SolrCloudNode.java failed"
  fi
}

cloud_start_zk() {
  cloud_alive zk && return
  port_open "$CLOUD_ZK_PORT" && die "port $CLOUD_ZK_PORT is taken; set TDPF_CLOUD_ZK_PORT"
  mkdir -p "$CLOUD/zk"
  # Apache ZooKeeper's own server (the zookeeper jar Solr depends on), without its admin
  # web server (it would take port 8080).
  nohup java -Xms64m -Xmx128m "$CLOUD_LOG4J" -Dzookeeper.admin.enableServer=false \
    -cp "$CLOUD_CP" org.apache.zookeeper.server.ZooKeeperServerMain "$CLOUD_ZK_PORT" "$CLOUD/zk" \
    >"$CLOUD_LOGS/zk.log" 2>&1 </dev/null &
  echo $! > "$CLOUD_PIDS/zk.pid"
  cloud_wait_port "$CLOUD_ZK_PORT" 60 || { tail -20 "$CLOUD_LOGS/zk.log"; die "ZooKeeper did not start"; }
}

cloud_start_solr() {
  local n=$1 port=${CLOUD_SOLR_PORTS[$(($1 - 1))]}
  cloud_alive "solr$n" && return
  port_open "$port" && die "port $port is taken; set TDPF_CLOUD_SOLR_PORTS"
  mkdir -p "$CLOUD/solr$n"
  rm -f "$CLOUD/solr$n.ready"
  nohup java -Xms128m -Xmx512m -XX:+UseParallelGC "$CLOUD_LOG4J" -cp "$CLOUD_CP" \
    jp.tokyo.tdpf.cloud.SolrCloudNode --home "$CLOUD/solr$n" --port "$port" \
    --zk "127.0.0.1:$CLOUD_ZK_PORT" --ready-file "$CLOUD/solr$n.ready" \
    >"$CLOUD_LOGS/solr$n.log" 2>&1 </dev/null &
  echo $! > "$CLOUD_PIDS/solr$n.pid"
}

cloud_wait_solr() {
  local n=$1
  for _ in $(seq 240); do
    [ -f "$CLOUD/solr$n.ready" ] && return
    cloud_alive "solr$n" || { tail -20 "$CLOUD_LOGS/solr$n.log"; die "Solr node $n failed to start"; }
    sleep 0.5
  done
  die "Solr node $n did not become ready (see $CLOUD_LOGS/solr$n.log)"
}

# CKAN 2.12's schema.xml (from the installed ckan package) and the stack's solrconfig.xml
# as the configset "ckan_2_12", then the collection with a replica on each node.
# One field changes: CKAN declares _version_ a string, but SolrCloud reads a document's
# version from the index as a long (VersionInfo.getVersionFromIndex): updating a document
# already in the index fails on the shard leader (HTTP 500, UnsupportedOperationException)
# and the replicas drift apart. The configset declares it a plong with docValues, as Solr's
# own configsets do (docker/solr/Dockerfile.cloud does the same).
CLOUD_VERSION_FIELD='<field name="_version_" type="plong" indexed="true" stored="true" docValues="true"/>'

cloud_collection() {
  local solr=http://127.0.0.1:${CLOUD_SOLR_PORTS[0]}/solr
  if curl -fsS "$solr/admin/collections?action=LIST&wt=json" | grep -q "\"$CLOUD_COLLECTION\""; then
    return
  fi
  local schema conf=$CLOUD/configset
  schema=$("$VENV/bin/python" -c \
    "import ckan, os; print(os.path.join(os.path.dirname(ckan.__file__), 'config', 'solr', 'schema.xml'))")
  rm -rf "$conf" && mkdir -p "$conf"
  cp "$LAUNCHER_DIR/src/main/resources/solr-home/conf/"* "$conf/"
  sed "s#<field name=\"_version_\" type=\"string\" indexed=\"true\" stored=\"true\"/>#$CLOUD_VERSION_FIELD#" \
    "$schema" > "$conf/schema.xml"
  grep -qF "$CLOUD_VERSION_FIELD" "$conf/schema.xml" || die "CKAN's schema.xml changed: _version_ not found"
  "$VENV/bin/python" - "$conf" "$CLOUD/configset.zip" <<'PY'
import pathlib, sys, zipfile
conf, target = pathlib.Path(sys.argv[1]), sys.argv[2]
with zipfile.ZipFile(target, "w") as archive:
    for path in sorted(conf.iterdir()):
        archive.write(path, path.name)
PY
  say "creating the SolrCloud collection '$CLOUD_COLLECTION' (CKAN 2.12 schema, 1 shard x 2 replicas)"
  curl -fsS -X POST -H 'Content-Type: application/octet-stream' --data-binary "@$CLOUD/configset.zip" \
    "$solr/admin/configs?action=UPLOAD&name=ckan_2_12&overwrite=true" >/dev/null ||
    die "uploading the configset failed"
  curl -fsS "$solr/admin/collections?action=CREATE&name=$CLOUD_COLLECTION&numShards=1&replicationFactor=2&collection.configName=ckan_2_12&waitForFinalState=true" \
    >"$CLOUD_LOGS/collection-create.log" || { cat "$CLOUD_LOGS/collection-create.log"; die "creating the collection failed"; }
}

# --- nginx: the web proxy and the Solr balancer ----------------------------------------
cloud_nginx_conf() {
  local web="" solr="" port
  for port in "${CLOUD_WEB_PORTS[@]}"; do web+="    server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"$'\n'; done
  # max_fails=0: a stopped node refuses at once, and a node that answers one request with
  # an error (while a leader is elected) must not be taken out of the rotation for seconds
  for port in "${CLOUD_SOLR_PORTS[@]}"; do solr+="    server 127.0.0.1:$port max_fails=0;"$'\n'; done
  mkdir -p "$CLOUD/nginx/tmp"
  cat > "$CLOUD/nginx/nginx.conf" <<EOF
# Written by tools/cloud/cloud.sh: the reverse proxy of the two CKAN web processes and the
# balancer of the two SolrCloud nodes (CKAN's solr_url takes one address).
daemon on;
worker_processes 1;
pid $CLOUD/nginx/nginx.pid;
error_log $CLOUD_LOGS/nginx-error.log warn;
events { worker_connections 512; }
http {
  access_log $CLOUD_LOGS/nginx-access.log;
  client_body_temp_path $CLOUD/nginx/tmp/body;
  proxy_temp_path $CLOUD/nginx/tmp/proxy;
  fastcgi_temp_path $CLOUD/nginx/tmp/fastcgi;
  uwsgi_temp_path $CLOUD/nginx/tmp/uwsgi;
  scgi_temp_path $CLOUD/nginx/tmp/scgi;
  client_max_body_size 100m;
  upstream ckan_web {
$web    keepalive 16;
  }
  upstream solr_nodes {
$solr    keepalive 16;
  }
  server {
    listen 127.0.0.1:$CLOUD_PROXY_PORT;
    location / {
      proxy_pass http://ckan_web;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_read_timeout 120s;
      add_header X-TDPF-Upstream \$upstream_addr always;
    }
  }
  server {
    listen 127.0.0.1:$CLOUD_SOLR_LB_PORT;
    location /solr/ {
      proxy_pass http://solr_nodes;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # A node that is down, has no leader yet or cannot reach the old one (500 "Error
      # trying to proxy request"): the other one (Solr updates are
      # idempotent by index_id, so a retried POST cannot double a document).
      proxy_next_upstream error timeout http_500 http_502 http_503 non_idempotent;
      proxy_next_upstream_tries 4;
      proxy_connect_timeout 2s;
      proxy_read_timeout 120s;
    }
  }
}
EOF
}

cloud_start_proxy() {
  if [ -f "$CLOUD/nginx/nginx.pid" ] && kill -0 "$(cat "$CLOUD/nginx/nginx.pid")" 2>/dev/null; then
    cp "$CLOUD/nginx/nginx.pid" "$CLOUD_PIDS/proxy.pid"; return
  fi
  command -v nginx >/dev/null || { as_root apt-get install -y -qq --no-install-recommends nginx \
    >"$CLOUD_LOGS/apt.log" 2>&1 || die "installing nginx failed"; }
  for port in "$CLOUD_PROXY_PORT" "$CLOUD_SOLR_LB_PORT"; do
    port_open "$port" && die "port $port is taken; set TDPF_CLOUD_PROXY_PORT / TDPF_CLOUD_SOLR_LB_PORT"
  done
  cloud_nginx_conf
  nginx -c "$CLOUD/nginx/nginx.conf" -p "$CLOUD/nginx" -e "$CLOUD_LOGS/nginx-error.log" ||
    die "nginx did not start (see $CLOUD_LOGS/nginx-error.log)"
  for _ in $(seq 50); do [ -s "$CLOUD/nginx/nginx.pid" ] && break; sleep 0.1; done
  cp "$CLOUD/nginx/nginx.pid" "$CLOUD_PIDS/proxy.pid"
}

# --- PostgreSQL: the database, and a streaming replica for the DataStore's reads ---------
cloud_psql() { "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qtA "$@"; }

cloud_databases() {
  for db in "$CLOUD_DB" "$CLOUD_DATASTORE_DB"; do
    if [ "$(cloud_psql -c "select 1 from pg_database where datname='$db'")" != 1 ]; then
      cloud_psql -c "create database $db owner ckan_default encoding 'UTF8' template template0"
    fi
  done
}

cloud_replica_dir() { echo "$(dirname "$(pg_data_dir)")/$(basename "$(pg_data_dir)")-cloud-replica"; }

cloud_start_replica() {
  local data
  data=$(cloud_replica_dir)
  if [ ! -f "$data/PG_VERSION" ]; then
    say "making a streaming replica of PostgreSQL in $data (port $CLOUD_REPLICA_PORT)"
    as_root mkdir -p "$data" && as_root chown "$(pg_user)" "$data" && as_root chmod 700 "$data"
    as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -D "$data" -R -X stream \
      -c fast >"$CLOUD_LOGS/pg_basebackup.log" 2>&1 ||
      { tail -20 "$CLOUD_LOGS/pg_basebackup.log"; die "pg_basebackup failed"; }
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    port_open "$CLOUD_REPLICA_PORT" && die "port $CLOUD_REPLICA_PORT is taken; set TDPF_CLOUD_REPLICA_PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$data" -w -t 60 -l "$data/server.log" \
      -o "-p $CLOUD_REPLICA_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$data -c hot_standby=on" \
      start >/dev/null || { tail -20 "$data/server.log"; die "the PostgreSQL replica did not start"; }
  fi
  head -1 "$data/postmaster.pid" > "$CLOUD_PIDS/replica.pid"
}

cloud_stop_replica() {
  local data
  data=$(cloud_replica_dir)
  if [ -f "$data/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" -D "$data" -m fast stop >/dev/null || true; fi
  rm -f "$CLOUD_PIDS/replica.pid"
}

# --- CKAN --------------------------------------------------------------------------------
cloud_env() {
  export CKAN_INI=$CLOUD_INI
  export CKAN_SQLALCHEMY_URL="postgresql://ckan_default@127.0.0.1:$PG_PORT/$CLOUD_DB"
  export CKAN_DATASTORE_WRITE_URL="postgresql://ckan_default@127.0.0.1:$PG_PORT/$CLOUD_DATASTORE_DB"
  export CKAN_DATASTORE_READ_URL="postgresql://datastore_default@127.0.0.1:$CLOUD_REPLICA_PORT/$CLOUD_DATASTORE_DB"
  export CKAN_SOLR_URL="http://127.0.0.1:$CLOUD_SOLR_LB_PORT/solr/$CLOUD_COLLECTION"
  export CKAN_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/$CLOUD_REDIS_DB"
  export CKAN_SITE_URL="http://127.0.0.1:$CLOUD_PROXY_PORT"
  export CKAN_SITE_ID=tdpf-cloud
  # Uploads: one storage directory every web process and worker shares (the shared
  # volume of docker/compose.scale.yaml).
  export CKAN_STORAGE_PATH=$CLOUD/storage
  export TDPF_EXTRA_CONFIG="ckanext.tdpf.access.rate_limit.trusted_proxies=127.0.0.1"
}

cloud_ckan() { "$VENV/bin/ckan" -c "$CLOUD_INI" "$@"; }

cloud_configure() {
  cloud_env
  "$VENV/bin/python" "$ROOT/docker/ckan_config.py" "$CLOUD_INI"
  cloud_ckan db upgrade >"$CLOUD_LOGS/db-upgrade.log" 2>&1 ||
    { tail -30 "$CLOUD_LOGS/db-upgrade.log"; die "ckan db upgrade (cloud) failed"; }
  if [ ! -f "$CLOUD/datastore-permissions.done" ]; then
    cloud_ckan datastore set-permissions 2>/dev/null |
      "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$CLOUD_DATASTORE_DB" -q \
        --set ON_ERROR_STOP=1 >/dev/null || die "setting the DataStore permissions failed"
    touch "$CLOUD/datastore-permissions.done"
  fi
  if ! cloud_ckan user show admin 2>/dev/null | grep -q "name=admin"; then
    local password
    password=$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 16)
    cloud_ckan user add admin email=admin@example.invalid password="$password" >/dev/null 2>&1
    cloud_ckan sysadmin add admin >/dev/null 2>&1
    (umask 077; echo "$password" > "$CLOUD/admin-password")
  fi
  if [ ! -s "$CLOUD/admin-token" ]; then
    (umask 077; cloud_ckan user token add admin tdpf-cloud 2>/dev/null | tail -1 | tr -d '[:space:]' > "$CLOUD/admin-token")
  fi
}

# ckanext-harvest 1.6.3's consumers wait on the queue with a BLPOP without a timeout, and
# redis-py 8 gives every connection a 5 s socket timeout: an idle consumer dies after 5 s
# ("Timeout reading from socket"). Their queue connection is therefore made from a URL that
# sets a long socket timeout with TCP keepalive (what redis-py 7 did by default); with
# ckan.harvest.mq.hostname empty, ckanext-harvest connects with ckan.redis.url. Only the
# consumers read this file (and CKAN_REDIS_URL, which wins over the file); web processes
# keep redis-py's 5 s.
cloud_consumer_ini() {
  cat > "$CLOUD/consumer.ini" <<EOF
[app:main]
use = config:$CLOUD_INI
ckan.harvest.mq.hostname =
EOF
}
CLOUD_CONSUMER_REDIS_QUERY="socket_timeout=31536000&socket_keepalive=true"

cloud_start_web() {
  local n=$1 port=${CLOUD_WEB_PORTS[$(($1 - 1))]}
  cloud_alive "web$n" && return
  port_open "$port" && die "port $port is taken; set TDPF_CLOUD_WEB_PORTS"
  cloud_env
  # The docker/ web service's gunicorn, one worker process each (two web "hosts").
  nohup "$VENV/bin/gunicorn" --chdir "$ROOT/docker" wsgi:application --bind "127.0.0.1:$port" \
    --workers "${TDPF_CLOUD_GUNICORN_WORKERS:-1}" --threads 4 --timeout 120 \
    --forwarded-allow-ips 127.0.0.1 --access-logfile "$CLOUD_LOGS/web$n-access.log" \
    >"$CLOUD_LOGS/web$n.log" 2>&1 </dev/null &
  echo $! > "$CLOUD_PIDS/web$n.pid"
}

cloud_start_ckan_proc() {
  local entry name command
  for entry in "${CLOUD_CKAN_PROCS[@]}"; do
    name=${entry%%:*} command=${entry#*:}
    [ "$name" = "$1" ] || continue
    cloud_alive "$name" && return
    cloud_env
    local ini=$CLOUD_INI
    local redis_url=$CKAN_REDIS_URL
    case "$command" in
      harvester*) cloud_consumer_ini; ini=$CLOUD/consumer.ini
                  redis_url="$CKAN_REDIS_URL?$CLOUD_CONSUMER_REDIS_QUERY" ;;
    esac
    # Supervised like the containers of docker/compose.scale.yaml (restart: unless-stopped):
    # a consumer or worker that exits (ckanext-harvest's consumers exit on an exception in
    # an import, such as a Solr error) is started again.
    # shellcheck disable=SC2086
    nohup bash -c 'while :; do "$@"; echo "tdpf-cloud: exited with status $?, restarting" >&2; sleep 2; done' \
      supervise env CKAN_REDIS_URL="$redis_url" "$VENV/bin/ckan" -c "$ini" $command \
      >>"$CLOUD_LOGS/$name.log" 2>&1 </dev/null &
    echo $! > "$CLOUD_PIDS/$name.pid"
    disown  # its later stop is no news to this shell
    touch "$CLOUD_PIDS/$name.loop"
    return
  done
  die "unknown cloud process: $1"
}

cloud_wait_web() {
  local port
  for port in "${CLOUD_WEB_PORTS[@]}" "$CLOUD_PROXY_PORT"; do
    for _ in $(seq 240); do
      curl -fsS -o /dev/null "http://127.0.0.1:$port/api/3/action/status_show" 2>/dev/null && continue 2
      sleep 0.5
    done
    die "CKAN on port $port did not answer (see $CLOUD_LOGS/)"
  done
}

cloud_up() {
  local started
  started=$(date +%s)
  mkdir -p "$CLOUD_LOGS" "$CLOUD_PIDS"
  cloud_build
  cloud_databases
  say "starting ZooKeeper (:$CLOUD_ZK_PORT) and SolrCloud nodes (:${CLOUD_SOLR_PORTS[*]})"
  cloud_start_zk
  cloud_start_solr 1
  cloud_start_solr 2
  cloud_wait_solr 1
  cloud_wait_solr 2
  cloud_collection
  cloud_start_replica
  cloud_start_proxy
  cloud_configure
  say "starting 2 web processes (:${CLOUD_WEB_PORTS[*]}) behind nginx (:$CLOUD_PROXY_PORT), 2 job workers, gather + 2 fetch consumers"
  cloud_start_web 1
  cloud_start_web 2
  local entry
  for entry in "${CLOUD_CKAN_PROCS[@]}"; do cloud_start_ckan_proc "${entry%%:*}"; done
  cloud_wait_web
  say "cloud mode is up in $(( $(date +%s) - started )) s: http://127.0.0.1:$CLOUD_PROXY_PORT (token: .dev/cloud/admin-token)"
}

cloud_ctl() {
  local action=$1 name=$2
  [ -n "$name" ] || die "usage: cloud-ctl stop|start|restart|kill NAME"
  mkdir -p "$CLOUD_LOGS" "$CLOUD_PIDS"
  case "$action" in
    stop|kill|restart)
      case "$name" in
        replica) cloud_stop_replica ;;
        proxy) [ -f "$CLOUD/nginx/nginx.pid" ] && nginx -c "$CLOUD/nginx/nginx.conf" -p "$CLOUD/nginx" -s quit; sleep 1; rm -f "$CLOUD_PIDS/proxy.pid" ;;
        *) if [ "$action" = kill ]; then cloud_stop_one "$name" -KILL; else cloud_stop_one "$name"; fi ;;
      esac
      [ "$action" = restart ] && cloud_ctl start "$name"
      ;;
    start)
      case "$name" in
        zk) cloud_start_zk ;;
        solr[0-9]) cloud_start_solr "${name#solr}"; cloud_wait_solr "${name#solr}" ;;
        web[0-9]) cloud_start_web "${name#web}" ;;
        proxy) cloud_start_proxy ;;
        replica) cloud_start_replica ;;
        *) cloud_start_ckan_proc "$name" ;;
      esac
      ;;
    *) die "usage: cloud-ctl stop|start|restart|kill NAME" ;;
  esac
  return 0
}

cloud_down() {
  local name
  for name in web1 web2 worker1 worker2 gather fetch1 fetch2; do cloud_stop_one "$name"; done
  cloud_ctl stop proxy >/dev/null 2>&1 || true
  cloud_stop_one solr1
  cloud_stop_one solr2
  cloud_stop_one zk
  cloud_stop_replica
  say "cloud mode stopped"
}

cloud_status() {
  local name
  for name in zk solr1 solr2 replica proxy web1 web2 worker1 worker2 gather fetch1 fetch2; do
    if [ "$name" = proxy ] && [ -f "$CLOUD/nginx/nginx.pid" ] && kill -0 "$(cat "$CLOUD/nginx/nginx.pid")" 2>/dev/null; then
      printf '%-8s up (pid %s)\n' "$name" "$(cat "$CLOUD/nginx/nginx.pid")"
    elif [ "$name" = replica ] && port_open "$CLOUD_REPLICA_PORT"; then
      printf '%-8s up (:%s)\n' "$name" "$CLOUD_REPLICA_PORT"
    elif cloud_alive "$name"; then
      printf '%-8s up (pid %s)\n' "$name" "$(cloud_pid "$name")"
    else
      printf '%-8s down\n' "$name"
    fi
  done
}

cloud_test() {
  cloud_up
  cloud_env
  cd "$ROOT"
  local arg has_path=""
  for arg in "$@"; do [[ "$arg" != -* && -e "$ROOT/${arg%%::*}" ]] && has_path=1; done
  [ -n "$has_path" ] || set -- "$@" "$ROOT/tools/cloud/tests"
  "$VENV/bin/python" -m pytest -c "$ROOT/tools/cloud/tests/pytest.ini" \
    --rootdir "$ROOT/tools/cloud/tests" "$@"
}

cloud_main() {
  local cmd=$1
  shift
  case "$cmd" in
    cloud-up) cloud_up ;;
    cloud-down) cloud_down ;;
    cloud-status) cloud_status ;;
    cloud-test) cloud_test "$@" ;;
    cloud-ctl) cloud_ctl "$@" ;;
    cloud-env) cloud_env; env | grep -E '^(CKAN_|TDPF_EXTRA)' ;;
    *) die "unknown cloud command: $cmd" ;;
  esac
}
