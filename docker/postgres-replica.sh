#!/bin/bash
# db-replica (docker/compose.scale.yaml): on first start copy the primary with
# pg_basebackup (-R writes standby.signal and primary_conninfo), then run as a hot standby
# that streams from the primary. ckan.datastore.read_url points here.
set -euo pipefail
: "${PGDATA:?}" "${PRIMARY_HOST:?}" "${REPLICATION_PASSWORD:?}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  until pg_isready -h "$PRIMARY_HOST" -U replicator; do sleep 2; done
  PGPASSWORD=$REPLICATION_PASSWORD pg_basebackup -h "$PRIMARY_HOST" -U replicator \
    -D "$PGDATA" -R -X stream -c fast
fi
exec postgres -c hot_standby=on -c listen_addresses='*'
