-- No statistics on tenant_id again, in every partition of memories (as before 0034).
SELECT pg_catalog.pg_clear_attribute_stats('cogdb', c.relname::text, 'tenant_id', false)
  FROM pg_catalog.pg_inherits i
  JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'cogdb.memories'::regclass;
