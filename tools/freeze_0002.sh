#!/usr/bin/env bash
# Rebuilds the frozen SQL of revision 0002 (import) from sql/. Used only while 0002 is being
# written; once released, its files never change (tests/test_migrations.py checks hashes),
# and FROZEN.sha256 is regenerated here for the same reason.
set -euo pipefail
cd "$(dirname "$0")/.."
rev=alembic/versions/0002_import
# New functions first (check_memory_row calls effective_settings), then the replaced ones.
functions=(effective_settings set_tenant_setting list_tenants list_users check_memory_row)
{
  echo "-- cogdb revision 0002 (import): the chat-import toggle enforced by check_memory_row,"
  echo "-- tenant settings and provisioning listings for cogdb_admin. Copied from sql/functions/"
  echo "-- when the revision was written. FROZEN: never edit; a later revision carries its own copy."
  echo "SET LOCAL ROLE cogdb_owner;"
  for f in "${functions[@]}"; do
    echo; echo "-- sql/functions/$f.sql"; cat "sql/functions/$f.sql"
  done
  echo
  echo "-- A 1024-d memory is over 4 kB, so rows pass the default 2 kB TOAST target and their"
  echo "-- text went out of line (a TOAST insert per row on import, a detoast per read). Keep"
  echo "-- rows inline up to a page; only longer ones are moved out."
  echo "ALTER TABLE cogdb.memories SET (toast_tuple_target = 8160);"
  echo
  echo "-- The same id rule without a bounded repetition: PostgreSQL's regex engine spent ~35 us"
  echo "-- per row on {0,127} (measured), more than the rest of the row's checks together."
  echo "ALTER TABLE cogdb.memories DROP CONSTRAINT memories_id_check;"
  echo "ALTER TABLE cogdb.memories ADD CONSTRAINT memories_id_check"
  echo "    CHECK (length(id) <= 128 AND id ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*\$') NOT VALID;"
  echo "ALTER TABLE cogdb.memories VALIDATE CONSTRAINT memories_id_check;"
  echo; echo "RESET ROLE;"
} > "$rev/upgrade.sql"
{
  echo "-- cogdb revision 0002 (import): back to 0001. check_memory_row as 0001 had it, then the"
  echo "-- functions 0002 added. FROZEN: never edit."
  echo "SET LOCAL ROLE cogdb_owner;"
  echo; echo "-- check_memory_row as in 0001_foundation/10_functions.sql"
  awk '/^-- sql\/functions\/check_memory_row.sql$/ {on=1; next} /^-- sql\/functions\// {on=0} on' \
      alembic/versions/0001_foundation/10_functions.sql
  echo
  echo "ALTER TABLE cogdb.memories RESET (toast_tuple_target);"
  echo "ALTER TABLE cogdb.memories DROP CONSTRAINT memories_id_check;"
  echo "ALTER TABLE cogdb.memories ADD CONSTRAINT memories_id_check"
  echo "    CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}\$');"
  echo "DROP FUNCTION cogdb.list_users(text);"
  echo "DROP FUNCTION cogdb.list_tenants();"
  echo "DROP FUNCTION cogdb.set_tenant_setting(text, text, jsonb);"
  echo "DROP FUNCTION cogdb.effective_settings(text, jsonb);"
  echo; echo "RESET ROLE;"
} > "$rev/downgrade.sql"
cd alembic/versions
find . -path ./__pycache__ -prune -o -type f ! -name FROZEN.sha256 -print | sed 's|^\./||' \
  | LC_ALL=C sort | xargs sha256sum > FROZEN.sha256
