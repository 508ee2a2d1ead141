-- The tenant's prefix in the text index's keys (cogdb.text_keys): 8 hex digits of the md5 of
-- the tenant id. Two tenants may share a prefix (among 1,000 tenants, a shared one is about
-- a one-in-ten-thousand chance); that costs them a shared posting list, never a match:
-- text_candidates compares tenant_id itself on every row it returns.
-- Immutable (an index expression calls it through text_keys), standard-SQL body.
CREATE OR REPLACE FUNCTION cogdb.text_tenant_key(tenant_id uuid) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
RETURN pg_catalog.left(pg_catalog.md5(tenant_id::text), 8);

REVOKE ALL ON FUNCTION cogdb.text_tenant_key(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.text_tenant_key(uuid) IS
    'The tenant''s 8-character prefix in the text index''s keys (md5 of the id); shared prefixes cost speed, not isolation.';
