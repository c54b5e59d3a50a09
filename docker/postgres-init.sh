#!/bin/bash
# First start of the db container: the DataStore database and its read-only user.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<-SQL
  CREATE ROLE datastore_ro LOGIN PASSWORD '${DATASTORE_READONLY_PASSWORD}';
  CREATE DATABASE datastore OWNER "$POSTGRES_USER" ENCODING 'UTF8';
SQL
