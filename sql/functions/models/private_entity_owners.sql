-- The users of `tenant_id` who own private entities, in id order. FORCE RLS fences the owner
-- too, and a private entity is visible to its owner only (entities__visible_to_user), so a
-- definer that must handle every entity of a tenant (a model migration's batches and
-- cutover) reads the tenant-visible ones in the tenant's context without a user and then
-- each of these owners' in that owner's context. Read from the owner-only text index, which
-- the entities' triggers keep (index_text: every entity has its row, with its owner and
-- visibility), so a tenant's many users without private entities cost nothing. Call it inside
-- the tenant's context (the text index's fence). Owner-only.
CREATE OR REPLACE FUNCTION cogdb.private_entity_owners(tenant_id uuid) RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(DISTINCT x.owner_user_id ORDER BY x.owner_user_id), '{}')
      FROM cogdb.text_index x
     WHERE x.tenant_id = private_entity_owners.tenant_id AND x.entity_id IS NOT NULL
       AND x.visibility = 'private' AND x.owner_user_id IS NOT NULL
$$;

REVOKE ALL ON FUNCTION cogdb.private_entity_owners(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.private_entity_owners(uuid) IS
    'The users of a tenant who own private entities (from the text index), for definers that handle every entity of the tenant one owner''s context at a time.';
