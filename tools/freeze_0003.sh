#!/usr/bin/env bash
# Rebuilds the frozen copies of sql/ inside revision 0003 (adaptive search). Used only while
# 0003 was being written; once released its files never change (FROZEN.sha256).
set -euo pipefail
cd "$(dirname "$0")/.."
rev=alembic/versions/0003_search
{
  echo "-- cogdb revision 0003 (adaptive scoped search): functions, copied from sql/functions/."
  echo "-- FROZEN: never edit. search() changes its signature, so the old one is dropped first."
  echo "SET LOCAL ROLE cogdb_owner;"
  echo "DROP FUNCTION cogdb.search(public.vector, integer, text, text, text, text, text[],"
  echo "                           timestamptz, timestamptz);"
  for f in int_setting ann_index_name count_memory_changes compact_memory_counts \
           plan_maintenance search; do
    echo; echo "-- sql/functions/$f.sql"; cat "sql/functions/$f.sql"
  done
  echo; echo "-- sql/policies/memory_counts__registry_owner.sql"
  cat sql/policies/memory_counts__registry_owner.sql
  echo; echo "-- Policies that now read the context through an InitPlan, (SELECT helper()), once per"
  echo "-- query instead of once per row."
  for f in memories__tenant_fence memories__visible_to_user memories__owner_updates \
           memories__owner_deletes users__tenant_fence tenants__own_row; do
    echo; echo "-- sql/policies/$f.sql"; cat "sql/policies/$f.sql"
  done
} > "$rev/20_functions.sql"
