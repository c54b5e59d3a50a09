#!/usr/bin/env bash
# Container roles of the TDPF image: web | worker | jobs | gather | fetch | cron | ckan ARGS...
set -euo pipefail
cd /srv/app
python docker/ckan_config.py "$CKAN_INI"
# The config (with the secrets `ckan generate config` made) lives on the shared config
# volume: web writes it first (worker and cron wait for web), every replica reads the same.
AS_CKAN=()
if [ "$(id -u)" = 0 ]; then
  chown -R ckan "$(dirname "$CKAN_INI")" "$CKAN_STORAGE_PATH"
  AS_CKAN=(setpriv --reuid=ckan --regid=ckan --init-groups)
fi

# ckanext-harvest's consumers block on the queue (BLPOP without a timeout) and redis-py 8
# times a read out after 5 s, so an idle consumer would exit every 5 s. They connect with
# ckan.redis.url (ckan.harvest.mq.hostname left empty) and a long socket timeout with TCP
# keepalive, in their own config that extends the shared one.
consumer() {
  local overlay
  overlay=$(dirname "$CKAN_INI")/consumer.ini
  printf '[app:main]\nuse = config:%s\nckan.harvest.mq.hostname =\n' "$CKAN_INI" > "$overlay"
  CKAN_REDIS_URL="${CKAN_REDIS_URL%%\?*}?socket_timeout=31536000&socket_keepalive=true" \
    "${AS_CKAN[@]}" ckan -c "$overlay" harvester "$1"
}

case "${1:-web}" in
  web)
    # Migrations run here only: one writer, before the app serves.
    ckan -c "$CKAN_INI" db upgrade
    # The DataStore's read-only user may only read (idempotent grants).
    ckan -c "$CKAN_INI" datastore set-permissions | python -c '
import os, sys, psycopg2
with psycopg2.connect(os.environ["CKAN_DATASTORE_WRITE_URL"]) as connection:
    connection.cursor().execute(sys.stdin.read())
'
    if [ -n "${CKAN_SYSADMIN_NAME:-}" ] && ! ckan -c "$CKAN_INI" user show "$CKAN_SYSADMIN_NAME" | grep -q "name=$CKAN_SYSADMIN_NAME"; then
      ckan -c "$CKAN_INI" user add "$CKAN_SYSADMIN_NAME" email="$CKAN_SYSADMIN_EMAIL" password="$CKAN_SYSADMIN_PASSWORD"
      ckan -c "$CKAN_INI" sysadmin add "$CKAN_SYSADMIN_NAME"
    fi
    exec "${AS_CKAN[@]}" gunicorn --chdir /srv/app/docker wsgi:application --bind 0.0.0.0:5000 \
      --workers "${GUNICORN_WORKERS:-4}" --threads "${GUNICORN_THREADS:-2}" \
      --timeout "${GUNICORN_TIMEOUT:-60}" --max-requests 2000 --max-requests-jitter 200 \
      --access-logfile - --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
    ;;
  worker)
    # Background jobs (data rate, notifications) and the harvest queues; if one dies the
    # container exits and Docker restarts it. Rating is CPU-bound: one job worker per core
    # unless JOB_WORKERS says otherwise.
    for _ in $(seq "${JOB_WORKERS:-$(nproc)}"); do
      "${AS_CKAN[@]}" ckan -c "$CKAN_INI" jobs worker default tdpf_bulk &
    done
    consumer gather-consumer &
    consumer fetch-consumer &
    wait -n
    exit 1
    ;;
  jobs)
    # docker/compose.scale.yaml: job workers alone (scale the service, JOB_WORKERS each).
    for _ in $(seq "${JOB_WORKERS:-1}"); do
      "${AS_CKAN[@]}" ckan -c "$CKAN_INI" jobs worker default tdpf_bulk &
    done
    wait -n
    exit 1
    ;;
  gather)
    consumer gather-consumer
    ;;
  fetch)
    consumer fetch-consumer
    ;;
  cron)
    # /etc/cron.d/tdpf-harvest runs `ckan harvester run` every 15 minutes.
    exec cron -f
    ;;
  ckan)
    shift
    exec ckan -c "$CKAN_INI" "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
