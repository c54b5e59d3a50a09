#!/usr/bin/env bash
# Upload the configset to ZooKeeper and create the CKAN collection if it is missing.
# Idempotent: a second run changes nothing (the configset is uploaded again, which a
# collection RELOAD would pick up).
set -euo pipefail
: "${ZK_HOST:?}" "${SOLR_URL:?}"
replicas=${SOLR_REPLICAS:-2}
solr zk upconfig -z "$ZK_HOST" -n ckan_2_12 -d /opt/tdpf-configset/conf
if wget -q -O - "$SOLR_URL/admin/collections?action=LIST&wt=json" | grep -q '"ckan"'; then
  echo "collection ckan exists"
  exit 0
fi
wget -q -O - "$SOLR_URL/admin/collections?action=CREATE&name=ckan&numShards=1&replicationFactor=$replicas&maxShardsPerNode=1&collection.configName=ckan_2_12&waitForFinalState=true&wt=json"
echo "collection ckan created with $replicas replicas"
