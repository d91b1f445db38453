#!/bin/sh
# Nightly backup: every CouchDB database with couchbackup, PostgreSQL with pg_dump.
# COUCH_URL=http://admin:pw@host:5984 PG_URL=postgresql://thidua:pw@host/thidua OUT=/backups
set -eu
day=$(date -u +%Y-%m-%d)
dir="$OUT/$day"
mkdir -p "$dir"
curl -fsS "$COUCH_URL/_all_dbs" | tr -d '[]"' | tr ',' '\n' | grep -v '^_' | while read -r db; do
    npx couchbackup --url "$COUCH_URL" --db "$db" | gzip > "$dir/$db.txt.gz"
done
pg_dump --format=custom --file="$dir/thidua.pgdump" "$PG_URL"
echo "backed up to $dir"
