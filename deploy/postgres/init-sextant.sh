#!/usr/bin/env bash
# First start of the pgvector/pgvector:pg16 container (docker-entrypoint-initdb.d, run as the superuser):
# the application role is NOT a superuser, so PostgreSQL row-level security (tenant isolation in retrieval)
# applies to it; one database per service that owns data, with pgvector created by the superuser.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_user="$SEXTANT_DB_USER" -v app_password="$SEXTANT_DB_PASSWORD" <<'EOSQL'
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password';
CREATE DATABASE sextant_retrieval OWNER :"app_user";
CREATE DATABASE sextant_ingestion OWNER :"app_user";
\connect sextant_retrieval
CREATE EXTENSION IF NOT EXISTS vector;
\connect sextant_ingestion
CREATE EXTENSION IF NOT EXISTS vector;
EOSQL
