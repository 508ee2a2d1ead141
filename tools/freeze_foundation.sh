#!/usr/bin/env bash
# Rebuilds the frozen copies of sql/ inside revision 0001. Used only while 0001 was being
# written; once released, its files never change (tests/test_migrations.py checks hashes).
set -euo pipefail
cd "$(dirname "$0")/.."
rev=alembic/versions/0001_foundation
{
  echo "-- cogdb revision 0001 (foundation): functions, copied from sql/functions/ when the revision"
  echo "-- was written. FROZEN: never edit; a later revision carries its own copy of what it changes."
  for f in context_stamp current_tenant_id current_user_id allowed_values parse_uuid new_memory_id set_context \
           check_memory_row purge_private_memories remember_many remember forget search \
           create_tenant create_user delete_user register_model resolve_identity; do
    echo; echo "-- sql/functions/$f.sql"; cat "sql/functions/$f.sql"
  done
} > "$rev/10_functions.sql"
{
  echo "-- cogdb revision 0001 (foundation): functions whose signature names a table's row type,"
  echo "-- so they follow 20_tables.sql. Copied from sql/functions/. FROZEN: never edit."
  echo "SET LOCAL ROLE cogdb_owner;"
  echo; echo "-- sql/functions/get.sql"; cat sql/functions/get.sql
} > "$rev/25_functions_on_tables.sql"
{
  echo "-- cogdb revision 0001 (foundation): policies, copied from sql/policies/. FROZEN: never edit."
  echo "SET LOCAL ROLE cogdb_owner;"
  for f in sql/policies/*.sql; do echo; echo "-- $f"; cat "$f"; done
} > "$rev/30_policies.sql"
