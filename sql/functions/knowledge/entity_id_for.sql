-- The id of the entity keyed (system, external_id): 'ent_' and the first 32 hex digits of the
-- SHA-256 of the key text. Derived from the key, so the same key names the same entity
-- however it is written (the primary key alone keeps keys unique, which makes upserts
-- race-free), and an id reveals nothing that a caller who can see the row does not already
-- see. system '' is the name-keyed space; a system never contains ':', so the key text is
-- unambiguous. IMMUTABLE although convert_to is STABLE: the target encoding is fixed (UTF8),
-- so the result never changes.
CREATE OR REPLACE FUNCTION cogdb.entity_id_for(system text, external_id text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT 'ent_' || left(encode(sha256(convert_to(system || ':' || external_id, 'UTF8')), 'hex'), 32)
$$;

REVOKE ALL ON FUNCTION cogdb.entity_id_for(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.entity_id_for(text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.entity_id_for(text, text) IS
    'The id of the entity keyed (system, external_id): ent_ and 32 hex digits of the SHA-256 of the key.';
