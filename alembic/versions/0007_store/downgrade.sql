-- cogdb revision 0007 (store): downgrade, written by `python -m tools.freeze 0007` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- sql/functions/store/plan_store_maintenance.sql: new in this revision
DROP FUNCTION cogdb.plan_store_maintenance();

-- sql/functions/store/store_sweep_all.sql: new in this revision
DROP FUNCTION cogdb.store_sweep_all();

-- sql/functions/store/store_sweep.sql: new in this revision
DROP FUNCTION cogdb.store_sweep();

-- sql/functions/store/store_list_namespaces.sql: new in this revision
DROP FUNCTION cogdb.store_list_namespaces(jsonb, integer, integer, integer, boolean);

-- sql/functions/store/store_search.sql: new in this revision
DROP FUNCTION cogdb.store_search(text[], public.vector, jsonb, integer, integer, boolean, boolean);

-- sql/functions/store/store_ann_index_name.sql: new in this revision
DROP FUNCTION cogdb.store_ann_index_name(uuid, integer);

-- sql/functions/store/store_get.sql: new in this revision
DROP FUNCTION cogdb.store_get(text[], text, boolean, boolean);

-- sql/functions/store/store_put.sql: new in this revision
DROP FUNCTION cogdb.store_put(jsonb, jsonb, public.vector[]);

-- sql/functions/store/store_namespace_matches.sql: new in this revision
DROP FUNCTION cogdb.store_namespace_matches(text[], jsonb);

-- sql/functions/store/store_namespace.sql: new in this revision
DROP FUNCTION cogdb.store_namespace(text[]);

-- sql/policies/store_vectors__inside_fence.sql: new in this revision
DROP POLICY store_vectors__inside_fence ON cogdb.store_vectors;

-- sql/policies/store_vectors__tenant_fence.sql: new in this revision
DROP POLICY store_vectors__tenant_fence ON cogdb.store_vectors;

-- sql/policies/store_items__inside_fence.sql: new in this revision
DROP POLICY store_items__inside_fence ON cogdb.store_items;

-- sql/policies/store_items__tenant_fence.sql: new in this revision
DROP POLICY store_items__tenant_fence ON cogdb.store_items;

-- sql/tables/store_vectors.sql: new in this revision
DROP TABLE cogdb.store_vectors;

-- sql/tables/store_items.sql: new in this revision
DROP TABLE cogdb.store_items;

RESET ROLE;
