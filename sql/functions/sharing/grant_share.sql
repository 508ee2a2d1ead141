-- The granting tenant's admin lets grantee_id read the subset of tenant_id's tenant-visible
-- memories that every given memory criterion covers (context_types; tags: any of them;
-- memory_ids), and of its tenant-visible entities (with their observations) that every given
-- entity criterion covers (entity_types: any of them; entity_ids), until expires_at (NULL:
-- until revoked). Memory criteria choose memories and entity criteria entities: a grant that
-- names only one kind shares nothing of the other. Both tenants must be at isolation level shared or
-- federated (a strict one is refused, CGF01 naming the field). At least one criterion; a
-- private memory is never shared whatever the criteria. Writes the grant (tenant_id's
-- share_grants) and the grantee's copy (share_receipts), both audited, and returns the grant's
-- id. Re-asserting a live grant of the same scope returns it and keeps the earlier expiry:
-- a re-assertion never removes or extends an expiry (revoke it and grant anew to extend).
-- Definer for cogdb_admin, like the retention functions (known_tenant); the app can neither
-- call it nor write either table, so a recipient cannot extend, widen or re-share a grant.
CREATE OR REPLACE FUNCTION cogdb.grant_share(tenant_id text, grantee_id text,
                                             context_types text[] DEFAULT NULL,
                                             tags text[] DEFAULT NULL,
                                             memory_ids text[] DEFAULT NULL,
                                             expires_at timestamptz DEFAULT NULL,
                                             entity_types text[] DEFAULT NULL,
                                             entity_ids text[] DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_grantee uuid := cogdb.parse_uuid(grantee_id, 'grantee_id');
    v_types text[];
    v_tags text[];
    v_ids text[];
    v_etypes text[];
    v_eids text[];
    v_level text;
    v_id uuid;
    v_old timestamptz;
    v_saved text[];
BEGIN
    IF v_grantee IS NULL OR NOT EXISTS (SELECT FROM cogdb.tenants t WHERE t.id = v_grantee) THEN
        RAISE EXCEPTION 'no tenant with id %', coalesce(v_grantee::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'grantee_id',
                  HINT = 'List tenants with cogdb.list_tenants().';
    END IF;
    IF v_grantee = v_tenant THEN
        RAISE EXCEPTION 'grantee_id must be another tenant than tenant_id'
            USING ERRCODE = 'CGV01', COLUMN = 'grantee_id',
                  HINT = 'A tenant reads its own memories without a grant.';
    END IF;
    SELECT t.isolation_level INTO v_level FROM cogdb.tenants t WHERE t.id = v_tenant;
    IF v_level = 'strict' THEN
        RAISE EXCEPTION 'tenant % is at isolation level strict: it cannot share', v_tenant
            USING ERRCODE = 'CGF01', COLUMN = 'tenant_id',
                  HINT = 'Only tenants at isolation level shared or federated grant or receive.';
    END IF;
    SELECT t.isolation_level INTO v_level FROM cogdb.tenants t WHERE t.id = v_grantee;
    IF v_level = 'strict' THEN
        RAISE EXCEPTION 'tenant % is at isolation level strict: it cannot receive', v_grantee
            USING ERRCODE = 'CGF01', COLUMN = 'grantee_id',
                  HINT = 'Only tenants at isolation level shared or federated grant or receive.';
    END IF;
    v_types := ARRAY(SELECT DISTINCT x FROM unnest(context_types) x ORDER BY 1);
    v_tags := ARRAY(SELECT DISTINCT x FROM unnest(tags) x ORDER BY 1);
    v_ids := ARRAY(SELECT DISTINCT x FROM unnest(memory_ids) x ORDER BY 1);
    IF cardinality(v_types) = 0 THEN v_types := NULL; END IF;
    IF cardinality(v_tags) = 0 THEN v_tags := NULL; END IF;
    v_etypes := ARRAY(SELECT DISTINCT x FROM unnest(entity_types) x ORDER BY 1);
    v_eids := ARRAY(SELECT DISTINCT x FROM unnest(entity_ids) x ORDER BY 1);
    IF cardinality(v_ids) = 0 THEN v_ids := NULL; END IF;
    IF cardinality(v_etypes) = 0 THEN v_etypes := NULL; END IF;
    IF cardinality(v_eids) = 0 THEN v_eids := NULL; END IF;
    IF v_types IS NULL AND v_tags IS NULL AND v_ids IS NULL AND v_etypes IS NULL
       AND v_eids IS NULL THEN
        RAISE EXCEPTION 'a grant needs at least one of context_types, tags, memory_ids, entity_types, entity_ids'
            USING ERRCODE = 'CGV01', COLUMN = 'context_types',
                  HINT = 'Name what is shared: context types, tags (any of them) or memory ids; entity types or entity ids.';
    END IF;
    IF EXISTS (SELECT FROM unnest(v_etypes) x WHERE coalesce(length(x), 0) NOT BETWEEN 1 AND 100)
       OR cardinality(v_etypes) > 64 THEN
        RAISE EXCEPTION 'entity_types must be at most 64 entity types of 1-100 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'entity_types',
                  HINT = 'An entity is covered when its type is any of these (e.g. person, project).';
    END IF;
    IF EXISTS (SELECT FROM unnest(v_eids) x WHERE x IS NULL OR x !~ '^ent_[0-9a-f]{32}$')
       OR cardinality(v_eids) > 10000 THEN
        RAISE EXCEPTION 'entity_ids must be at most 10000 entity ids (ent_ and 32 hex digits)'
            USING ERRCODE = 'CGV01', COLUMN = 'entity_ids',
                  HINT = 'Ids as upsert_entity and get_entity return them.';
    END IF;
    IF EXISTS (SELECT FROM unnest(v_types) x
                WHERE x IS NULL OR NOT x = ANY (cogdb.allowed_values('context_type')))
       OR cardinality(v_types) > 64 THEN
        RAISE EXCEPTION 'context_types must be at most 64 of %',
                        array_to_string(cogdb.allowed_values('context_type'), ', ')
            USING ERRCODE = 'CGV01', COLUMN = 'context_types',
                  HINT = 'List the values with `cogdb vocabulary list context_type`.';
    END IF;
    IF EXISTS (SELECT FROM unnest(v_tags) x WHERE coalesce(length(x), 0) NOT BETWEEN 1 AND 255)
       OR cardinality(v_tags) > 256 THEN
        RAISE EXCEPTION 'tags must be at most 256 tags of 1-255 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'tags',
                  HINT = 'A memory is covered when it carries any of these tags.';
    END IF;
    IF EXISTS (SELECT FROM unnest(v_ids) x
                WHERE x IS NULL OR length(x) > 128 OR x !~ '^[A-Za-z0-9][A-Za-z0-9_.:-]*$')
       OR cardinality(v_ids) > 10000 THEN
        RAISE EXCEPTION 'memory_ids must be at most 10000 memory ids'
            USING ERRCODE = 'CGV01', COLUMN = 'memory_ids',
                  HINT = 'Ids as remember() returned them (letters, digits, _ . : -).';
    END IF;
    IF expires_at <= now() THEN
        RAISE EXCEPTION 'expires_at must be in the future, got %', expires_at
            USING ERRCODE = 'CGV01', COLUMN = 'expires_at',
                  HINT = 'Leave it out for a grant that lasts until it is revoked.';
    END IF;

    v_saved := cogdb.enter_tenant(v_tenant);
    SELECT g.id, g.expires_at INTO v_id, v_old
      FROM cogdb.share_grants g
     WHERE g.tenant_id = v_tenant AND g.grantee_id = v_grantee AND g.revoked_at IS NULL
       AND (g.expires_at IS NULL OR g.expires_at > now())
       AND g.context_types IS NOT DISTINCT FROM v_types AND g.tags IS NOT DISTINCT FROM v_tags
       AND g.memory_ids IS NOT DISTINCT FROM v_ids
       AND g.entity_types IS NOT DISTINCT FROM v_etypes AND g.entity_ids IS NOT DISTINCT FROM v_eids
     ORDER BY g.created_at LIMIT 1
       FOR UPDATE;
    IF v_id IS NOT NULL THEN
        -- A re-assertion: the earlier of the two expiries, NULL (none) only if both are.
        IF v_old IS NULL AND expires_at IS NOT NULL OR v_old > expires_at THEN
            UPDATE cogdb.share_grants g SET expires_at = grant_share.expires_at
             WHERE g.tenant_id = v_tenant AND g.id = v_id;
            PERFORM cogdb.restore_context(v_saved);
            v_saved := cogdb.enter_tenant(v_grantee);
            UPDATE cogdb.share_receipts r SET expires_at = grant_share.expires_at
             WHERE r.tenant_id = v_grantee AND r.id = v_id;
        END IF;
        PERFORM cogdb.restore_context(v_saved);
        RETURN v_id;
    END IF;
    INSERT INTO cogdb.share_grants AS g
           (tenant_id, grantee_id, context_types, tags, memory_ids, expires_at, entity_types,
            entity_ids)
    VALUES (v_tenant, v_grantee, v_types, v_tags, v_ids, expires_at, v_etypes, v_eids)
    RETURNING g.id INTO v_id;
    PERFORM cogdb.restore_context(v_saved);
    v_saved := cogdb.enter_tenant(v_grantee);
    INSERT INTO cogdb.share_receipts AS r
           (tenant_id, id, source_tenant_id, context_types, tags, memory_ids, expires_at,
            entity_types, entity_ids)
    VALUES (v_grantee, v_id, v_tenant, v_types, v_tags, v_ids, expires_at, v_etypes, v_eids);
    PERFORM cogdb.restore_context(v_saved);
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.grant_share(text, text, text[], text[], text[], timestamptz, text[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.grant_share(text, text, text[], text[], text[], timestamptz, text[], text[]) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.grant_share(text, text, text[], text[], text[], timestamptz, text[], text[]) IS
    'Lets grantee_id read tenant_id''s tenant-visible memories that every given memory criterion covers (context types, tags, memory ids) and entities that every given entity criterion covers (entity types, entity ids), until expires_at; both at isolation level shared or federated. Returns the grant id.';
