#!/usr/bin/env bash
# Makes the local PostgreSQL ready for Sextant: pgvector built from Debian's source package (no binary package
# exists for PostgreSQL 15 on Debian 12), the cluster started, role 'sextant' and the databases created.
# Idempotent: a second run changes nothing. Needs root (apt-get) the first time on a fresh machine.
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)}"
PG_MAJOR="${PG_MAJOR:-15}"
PG_CONFIG="/usr/lib/postgresql/${PG_MAJOR}/bin/pg_config"
DATABASES=(sextant_retrieval sextant_ingestion sextant_retrieval_test sextant_ingestion_test)

log() { printf '[setup-postgres] %s\n' "$*" >&2; }

psql_super() { su postgres -c "psql -v ON_ERROR_STOP=1 -qtA $*"; }

pgvector_installed() {
  [ -f "$("$PG_CONFIG" --sharedir 2>/dev/null)/extension/vector.control" ]
}

install_pgvector() {
  log "building pgvector from Debian's trixie source package"
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -f /etc/apt/sources.list.d/trixie-src.sources ]; then
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      > /etc/apt/sources.list.d/trixie-src.sources
  fi
  apt-get update -qq
  apt-get install -y -qq "postgresql-server-dev-${PG_MAJOR}" build-essential dpkg-dev >/dev/null
  local work; work="$(mktemp -d)"
  (cd "$work" && apt-get source -qq pgvector >/dev/null 2>&1)
  local src; src="$(find "$work" -maxdepth 1 -type d -name 'pgvector-*' | head -1)"
  [ -n "$src" ] || { log "apt-get source pgvector produced no folder"; exit 1; }
  make -s -C "$src" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null
  make -s -C "$src" install PG_CONFIG="$PG_CONFIG" >/dev/null
  rm -rf "$work"
}

pgvector_installed || install_pgvector

if ! pg_lsclusters -h 2>/dev/null | awk '{print $4}' | grep -q online; then
  log "starting PostgreSQL ${PG_MAJOR}"
  pg_ctlcluster --skip-systemctl-redirect "$PG_MAJOR" main start
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done

psql_super "-c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sextant') THEN CREATE ROLE sextant LOGIN PASSWORD 'sextant' NOSUPERUSER NOCREATEDB NOCREATEROLE; END IF; END \\\$\\\$;\""
for db in "${DATABASES[@]}"; do
  if [ -z "$(psql_super "-c \"SELECT 1 FROM pg_database WHERE datname = '$db'\"")" ]; then
    psql_super "-c \"CREATE DATABASE $db OWNER sextant\""
  fi
  su postgres -c "psql -v ON_ERROR_STOP=1 -qtA -d $db -c 'CREATE EXTENSION IF NOT EXISTS vector'"
done
log "PostgreSQL ${PG_MAJOR} ready with pgvector $(su postgres -c "psql -qtA -d sextant_retrieval -c \"SELECT extversion FROM pg_extension WHERE extname='vector'\"")"
