-- cogdb revision 0022 (sharing_entities): written by `python -m tools.freeze 0022` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> step 10_entity_grants.sql
-- A grant may name entities: entity_types (any of them) and entity_ids, beside the memory
-- criteria. A grant's memory criteria choose memories, its entity criteria entities; a grant
-- needs at least one criterion of either kind. The grantee's copy carries the same.
ALTER TABLE cogdb.share_grants
    ADD COLUMN entity_types text[] CHECK (cardinality(entity_types) BETWEEN 1 AND 64),
    ADD COLUMN entity_ids   text[] CHECK (cardinality(entity_ids) BETWEEN 1 AND 10000);
ALTER TABLE cogdb.share_grants DROP CONSTRAINT share_grants_has_scope;
ALTER TABLE cogdb.share_grants ADD CONSTRAINT share_grants_has_scope
    CHECK (context_types IS NOT NULL OR tags IS NOT NULL OR memory_ids IS NOT NULL
           OR entity_types IS NOT NULL OR entity_ids IS NOT NULL);
ALTER TABLE cogdb.share_receipts
    ADD COLUMN entity_types text[],
    ADD COLUMN entity_ids   text[];
ALTER TABLE cogdb.share_receipts DROP CONSTRAINT share_receipts_has_scope;
ALTER TABLE cogdb.share_receipts ADD CONSTRAINT share_receipts_has_scope
    CHECK (context_types IS NOT NULL OR tags IS NOT NULL OR memory_ids IS NOT NULL
           OR entity_types IS NOT NULL OR entity_ids IS NOT NULL);
COMMENT ON TABLE cogdb.share_grants IS
    'Read grants a tenant gives another (context types, tags, memory ids, entity types, entity ids; optional expiry; revocation). Fenced by the granting tenant (RLS); written by grant_share/revoke_share only.';
-- <<< step 10_entity_grants.sql

-- >>> step 20_entities_owner_index.sql
-- The owner index holds owned entities only. With the widened entities fence
-- (`tenant_id = ANY (readable_tenants())` as an index condition) the planner estimated both
-- indexes that lead with tenant_id alike and read a tenant's entities by (tenant_id,
-- owner_user_id), filtering the id, instead of probing the primary key (tenant_id, id): an
-- own key lookup went from 0.09 to 11.6 ms with 2,000 entities (bench sharing --part
-- entities). A partial index serves only queries that name an owner (erase, export, purge:
-- owner_user_id = …), which is all it is for.
DROP INDEX cogdb.entities_tenant_owner_idx;
CREATE INDEX entities_tenant_owner_idx ON cogdb.entities (tenant_id, owner_user_id)
    WHERE owner_user_id IS NOT NULL;
-- <<< step 20_entities_owner_index.sql

-- >>> sql/functions/sharing/live_grants.sql
-- The grants the context tenant holds and may read through now, for the memories and
-- entities fences, by source tenant: {"<source uuid>": {"g": [{"c": [context types], "g":
-- [tags], "i": [memory ids]}, …], "e": [{"t": [entity types], "i": [entity ids]}, …], "h":
-- <epoch seconds>}} ("g": the grants that name memory criteria, "e": those that name entity
-- criteria, each always an array, possibly empty, so that a grant naming entities only never
-- matches a memory and the other way round; a grant leaves out a criterion it does not
-- narrow by; "h" is the source's retention_horizon(), the youngest of its age cutoffs, -1e15
-- without one). NULL unless the transaction asked for shared rows (app.include_shared holds
-- this transaction's stamp: set by search, get, get_entity, list_entities and hybrid_search
-- for their own statements, see share_request) or when no live grant exists. Live: not
-- revoked, not expired (read at each statement, so a revocation or an expiry applies to the
-- next one). "h" goes with the grants so that grant_covers hides what the source's retention
-- hides (memories__retained computes the context tenant's cutoffs only): conservatively,
-- every shared memory older than the source's shortest max_age (unless anonymised), even
-- where a more specific policy of the source keeps it longer. Definer: FORCE RLS fences the
-- owner too, so it reads the grantee's copies in the caller's context and each source's
-- policies inside the source (enter_tenant), then puts the context back. Called once per
-- query (an InitPlan in memories__tenant_fence and entities__tenant_fence), and only for a
-- row of another tenant.
CREATE OR REPLACE FUNCTION cogdb.live_grants() RETURNS jsonb
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_out jsonb := '{}';
    v_saved text[];
    r record;
BEGIN
    IF v_tenant IS NULL
       OR current_setting('app.include_shared', true) IS DISTINCT FROM cogdb.context_stamp() THEN
        RETURN NULL;
    END IF;
    FOR r IN
        SELECT s.source_tenant_id AS source,
               coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   'c', to_jsonb(s.context_types), 'g', to_jsonb(s.tags),
                   'i', to_jsonb(s.memory_ids))))
                   FILTER (WHERE s.context_types IS NOT NULL OR s.tags IS NOT NULL
                              OR s.memory_ids IS NOT NULL), '[]') AS grants,
               coalesce(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                   't', to_jsonb(s.entity_types), 'i', to_jsonb(s.entity_ids))))
                   FILTER (WHERE s.entity_types IS NOT NULL OR s.entity_ids IS NOT NULL),
                   '[]') AS entity_grants
          FROM cogdb.share_receipts s
         WHERE s.tenant_id = v_tenant AND s.revoked_at IS NULL
           AND (s.expires_at IS NULL OR s.expires_at > now())
         GROUP BY s.source_tenant_id
    LOOP
        v_saved := cogdb.enter_tenant(r.source);
        v_out := v_out || jsonb_build_object(r.source::text, jsonb_build_object(
            'g', r.grants, 'e', r.entity_grants,
            'h', greatest(extract(epoch FROM cogdb.retention_horizon()), -1e15)));
        PERFORM cogdb.restore_context(v_saved);
    END LOOP;
    RETURN nullif(v_out, '{}');
END
$$;

REVOKE ALL ON FUNCTION cogdb.live_grants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.live_grants() TO cogdb_app;
COMMENT ON FUNCTION cogdb.live_grants() IS
    'The context tenant''s live read grants by source tenant (memory and entity criteria apart), with each source''s retention horizon, when the transaction asked for shared rows (else NULL); read once per query by the memories and entities fences.';
-- <<< sql/functions/sharing/live_grants.sql

-- >>> sql/functions/sharing/readable_tenants.sql
-- The tenants whose rows the context may read in this statement: its own, then the source
-- tenants of its live grants when the transaction asked for shared rows (live_grants' keys;
-- none otherwise). memories__tenant_fence compares tenant_id with it first, as an InitPlan:
-- `tenant_id = ANY (…)` is an index condition and a partition-pruning key, so a query that
-- names another tenant reads none of its rows, and EXPLAIN ANALYZE has nothing to count
-- ("Rows Removed by Filter"); the per-row grant test (grant_covers) only ever sees rows of
-- this list. Inlinable (LANGUAGE sql, no SET clause, every name qualified). A statement of
-- a transaction that did not ask (app.include_shared is not its stamp) gets the context
-- tenant alone without calling live_grants() (a definer, which would return NULL then):
-- every fence that reads this list pays one plpgsql call less per query (revision 0022).
CREATE OR REPLACE FUNCTION cogdb.readable_tenants() RETURNS uuid[]
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('app.include_shared', true)
                     IS DISTINCT FROM cogdb.context_stamp()
                THEN ARRAY[cogdb.current_tenant_id()]
                ELSE pg_catalog.array_prepend(
                         cogdb.current_tenant_id(),
                         ARRAY(SELECT k::uuid
                                 FROM pg_catalog.jsonb_object_keys(cogdb.live_grants()) AS k))
           END
$$;

REVOKE ALL ON FUNCTION cogdb.readable_tenants() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.readable_tenants() TO cogdb_app;
COMMENT ON FUNCTION cogdb.readable_tenants() IS
    'The context tenant and, when the transaction asked for shared rows, the sources of its live grants: the tenants memories__tenant_fence lets a statement read.';
-- <<< sql/functions/sharing/readable_tenants.sql

-- >>> sql/functions/sharing/entity_grant_covers.sql
-- Whether a source tenant's entry of live_grants() (NULL: no grant from it) covers an entity:
-- tenant-visible (a private entity is never shared) and inside every entity criterion one of
-- its grants names (entity type: any of them; entity id). Only the entry's "e" list counts:
-- a grant that names memory criteria only shares no entity. The per-row half of
-- entities__tenant_fence's sharing branch, as grant_covers is memories__tenant_fence's: no
-- table is read, only the value the InitPlan computed once, and rows of the context's own
-- tenant never reach it. Entities have no retention (nothing ages them out), so no horizon.
-- One expression, each argument used once, so the planner inlines it (LANGUAGE sql, no SET
-- clause; docs/conventions.md rule 2): one jsonpath test per row.
CREATE OR REPLACE FUNCTION cogdb.entity_grant_covers(entry jsonb, visibility text, id text,
                                                     entity_type text)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT visibility = 'tenant'
       AND pg_catalog.jsonb_path_exists(
               entry,
               '$.e[*] ? ((!(exists(@.t)) || @.t[*] == $t) && (!(exists(@.i)) || @.i[*] == $id))',
               pg_catalog.jsonb_build_object('t', entity_type, 'id', id))
$$;

REVOKE ALL ON FUNCTION cogdb.entity_grant_covers(jsonb, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.entity_grant_covers(jsonb, text, text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.entity_grant_covers(jsonb, text, text, text) IS
    'Whether a source tenant''s live grants cover an entity (tenant-visible, inside each entity criterion a grant names); the per-row test of entities__tenant_fence.';
-- <<< sql/functions/sharing/entity_grant_covers.sql

-- the signature or result changed since revision 0020
DROP FUNCTION cogdb.note_shared_read(uuid, text, integer);
-- >>> sql/functions/sharing/note_shared_read.sql
-- Leaves a note in the source tenant's audit chain that the context tenant read `memories` of
-- its shared memories and `entities` of its shared entities through `via` (search, get,
-- neighbors, get_entity, list_entities, hybrid_search): counts, never ids or content
-- (audit_note). Only for a source whose live grant the context holds, else nothing (so
-- the app, which search and get run as, can add notes only to the chains of tenants that
-- share with it). Definer:
-- it enters the source tenant to write its note (enter_tenant) and puts the caller's
-- context back.
CREATE OR REPLACE FUNCTION cogdb.note_shared_read(source_tenant uuid, via text, memories integer,
                                                  entities integer DEFAULT 0)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_grantee uuid := cogdb.require_tenant('a shared read');
    v_user uuid := cogdb.current_user_id();
    v_saved text[];
BEGIN
    IF memories IS NULL OR memories < 0 OR entities IS NULL OR entities < 0
       OR memories + entities < 1 OR via IS NULL
       OR via NOT IN ('search', 'get', 'neighbors', 'get_entity', 'list_entities', 'hybrid_search')
       OR NOT EXISTS (SELECT FROM cogdb.share_receipts r
                       WHERE r.tenant_id = v_grantee AND r.source_tenant_id = source_tenant
                         AND r.revoked_at IS NULL
                         AND (r.expires_at IS NULL OR r.expires_at > now())) THEN
        RETURN;
    END IF;
    v_saved := cogdb.enter_tenant(source_tenant);
    PERFORM cogdb.audit_note('share.read', jsonb_build_object(
        'grantee', v_grantee, 'user', v_user, 'via', via, 'memories', memories)
        || CASE WHEN entities > 0 THEN jsonb_build_object('entities', entities)
                ELSE '{}' END);
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.note_shared_read(uuid, text, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.note_shared_read(uuid, text, integer, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.note_shared_read(uuid, text, integer, integer) IS
    'Notes a shared read (grantee, user, path, counts of memories and entities; never content) in the source tenant''s audit chain.';
-- <<< sql/functions/sharing/note_shared_read.sql

-- the signature or result changed since revision 0015
DROP FUNCTION cogdb.grant_share(text, text, text[], text[], text[], timestamptz);
-- >>> sql/functions/sharing/grant_share.sql
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
-- <<< sql/functions/sharing/grant_share.sql

-- the signature or result changed since revision 0015
DROP FUNCTION cogdb.list_shares(text);
-- >>> sql/functions/sharing/list_shares.sql
-- A tenant's grants, given (direction 'given': it is source_tenant_id) and received
-- ('received': it is grantee_id), newest first, revoked and expired ones included (`live` says which still
-- apply; entity criteria last, revision 0022). Definer for cogdb_admin: it reads each side inside its own tenant (enter_tenant).
CREATE OR REPLACE FUNCTION cogdb.list_shares(tenant_id text)
    RETURNS TABLE (direction text, id uuid, source_tenant_id uuid, grantee_id uuid,
                   context_types text[], tags text[], memory_ids text[],
                   expires_at timestamptz, created_at timestamptz, revoked_at timestamptz,
                   live boolean, entity_types text[], entity_ids text[])
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := cogdb.known_tenant(list_shares.tenant_id);
    v_saved text[] := cogdb.enter_tenant(v_tenant);
BEGIN
    RETURN QUERY
    SELECT x.* FROM (
        SELECT 'given'::text, g.id, g.tenant_id, g.grantee_id, g.context_types, g.tags,
               g.memory_ids, g.expires_at, g.created_at, g.revoked_at,
               g.revoked_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > now()),
               g.entity_types, g.entity_ids
          FROM cogdb.share_grants g WHERE g.tenant_id = v_tenant
        UNION ALL
        SELECT 'received'::text, r.id, r.source_tenant_id, r.tenant_id, r.context_types, r.tags,
               r.memory_ids, r.expires_at, r.created_at, r.revoked_at,
               r.revoked_at IS NULL AND (r.expires_at IS NULL OR r.expires_at > now()),
               r.entity_types, r.entity_ids
          FROM cogdb.share_receipts r WHERE r.tenant_id = v_tenant) x
     ORDER BY x.created_at DESC, x.id;
    PERFORM cogdb.restore_context(v_saved);
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_shares(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_shares(text) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.list_shares(text) IS
    'A tenant''s read grants, given and received, with whether each is still live.';
-- <<< sql/functions/sharing/list_shares.sql

-- the signature or result changed since revision 0015
DROP FUNCTION cogdb.share_report();
-- >>> sql/functions/sharing/share_report.sql
-- The DBA's list of every live grant in the deployment (not revoked, not expired): who
-- shares with whom, what, since when, until when, granted by which login. Not findings:
-- policy_report stays about the deployment's safety, this lists the sharing it allows on
-- purpose. Definer for cogdb_admin and cogdb_auditor: FORCE RLS fences the owner too, so it
-- reads each sharing tenant's grants inside that tenant (enter_tenant), strict ones skipped.
CREATE OR REPLACE FUNCTION cogdb.share_report()
    RETURNS TABLE (id uuid, tenant_id uuid, tenant_name text, grantee_id uuid,
                   grantee_name text, context_types text[], tags text[], memory_ids text[],
                   expires_at timestamptz, created_at timestamptz, granted_by text,
                   entity_types text[], entity_ids text[])
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    t record;
    v_saved text[];
BEGIN
    FOR t IN SELECT x.id, x.name FROM cogdb.tenants x
              WHERE x.isolation_level <> 'strict' ORDER BY x.name, x.id LOOP
        v_saved := cogdb.enter_tenant(t.id);
        RETURN QUERY
        SELECT g.id, g.tenant_id, t.name, g.grantee_id,
               (SELECT e.name FROM cogdb.tenants e WHERE e.id = g.grantee_id),
               g.context_types, g.tags, g.memory_ids, g.expires_at, g.created_at, g.granted_by,
               g.entity_types, g.entity_ids
          FROM cogdb.share_grants g
         WHERE g.tenant_id = t.id AND g.revoked_at IS NULL
           AND (g.expires_at IS NULL OR g.expires_at > now())
         ORDER BY g.created_at, g.id;
        PERFORM cogdb.restore_context(v_saved);
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION cogdb.share_report() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.share_report() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.share_report() IS
    'Every live read grant between tenants (who, to whom, what, until when, granted by): the DBA''s list of what sharing the deployment allows.';
-- <<< sql/functions/sharing/share_report.sql

-- >>> sql/policies/entities__tenant_fence.sql
-- The tenant fence on entities: a row is readable only inside its own tenant's context, or
-- where a live grant of its tenant covers it and the caller asked for shared rows (get_entity,
-- list_entities, hybrid_search with include_shared); writable only inside its own tenant's
-- context (WITH CHECK; entities__own_updates and entities__own_deletes keep UPDATE, row locks
-- and DELETE to the own tenant too, so a shared entity is read-only). RESTRICTIVE, so no
-- permissive policy added later can widen it. Two conjuncts, as in memories__tenant_fence:
-- - `tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])`: the context tenant, plus
--   the sources of its live grants only when it asked. An InitPlan, once per query, and an
--   index condition: a query that names another tenant reads none of its rows.
-- - the own tenant, or cogdb.entity_grant_covers on the value live_grants() computed once
--   (tenant-visible, inside the entity criteria of one of the source's grants): no per-row
--   table lookup; rows of the own tenant never reach it.
DROP POLICY IF EXISTS entities__tenant_fence ON cogdb.entities;
CREATE POLICY entities__tenant_fence ON cogdb.entities
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
           AND (tenant_id = (SELECT cogdb.current_tenant_id())
                OR cogdb.entity_grant_covers((SELECT cogdb.live_grants()) -> tenant_id::text,
                                             visibility, id, entity_type)))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/entities__tenant_fence.sql

-- >>> sql/policies/entities__own_updates.sql
-- A shared entity is never updated or locked: UPDATE (and SELECT … FOR UPDATE/SHARE, which
-- reads the UPDATE policies) reaches the own tenant's rows only, even in a transaction that
-- asked for shared rows (entities__tenant_fence lets a covered row of another tenant through
-- for reads). RESTRICTIVE; the (SELECT …) is an InitPlan.
DROP POLICY IF EXISTS entities__own_updates ON cogdb.entities;
CREATE POLICY entities__own_updates ON cogdb.entities
    AS RESTRICTIVE FOR UPDATE TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/entities__own_updates.sql

-- >>> sql/policies/entities__own_deletes.sql
-- A shared entity is never deleted: DELETE reaches the own tenant's rows only, even in a
-- transaction that asked for shared rows (entities__tenant_fence lets a covered row of
-- another tenant through for reads). RESTRICTIVE; the (SELECT …) is an InitPlan.
DROP POLICY IF EXISTS entities__own_deletes ON cogdb.entities;
CREATE POLICY entities__own_deletes ON cogdb.entities
    AS RESTRICTIVE FOR DELETE TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/entities__own_deletes.sql

-- >>> sql/policies/entity_observations__tenant_fence.sql
-- The tenant fence on entity_observations: a row is readable only inside its own tenant's
-- context, or, when the caller asked for shared rows, an observation of an entity the caller
-- reads in the observation's own tenant (under entities__tenant_fence: a live grant covers
-- the entity); writable only inside its own tenant's context (WITH CHECK;
-- entity_observations__own_deletes keeps DELETE there; the app has no UPDATE).
-- RESTRICTIVE, so no permissive policy added later can widen it.
-- - `tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])` first: an InitPlan and an
--   index condition, as in memories__tenant_fence: a statement that did not ask reads no
--   other tenant's row.
-- - another tenant's observation: its entity, looked up in that tenant by primary key, must
--   pass the entities fence (the grant test on live_grants() computed once). The lookup runs
--   for other tenants' rows only; the own tenant's take the first branch. OFFSET 0 keeps it a
--   primary-key probe per row (not a hash of every covered entity of the source).
DROP POLICY IF EXISTS entity_observations__tenant_fence ON cogdb.entity_observations;
CREATE POLICY entity_observations__tenant_fence ON cogdb.entity_observations
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = ANY ((SELECT cogdb.readable_tenants())::uuid[])
           AND (tenant_id = (SELECT cogdb.current_tenant_id())
                OR EXISTS (SELECT FROM cogdb.entities e
                            WHERE e.tenant_id = entity_observations.tenant_id
                              AND e.id = entity_observations.entity_id
                           OFFSET 0)))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/entity_observations__tenant_fence.sql

-- >>> sql/policies/entity_observations__visible_entity.sql
-- Observations share their entity's visibility: an own-tenant row is visible (and writable)
-- when the caller can see its entity, read under the entities policies. Another tenant's
-- row (a shared one) is left to the fence, which has checked its entity in that tenant
-- (entity_observations__tenant_fence). The only permissive policy on entity_observations.
-- The own-tenant sub-select names the context's tenant (an InitPlan): one partition, one
-- shard on a cluster distributed by tenant (docs/scale-out.md); not the row's own tenant_id,
-- which would make the fence redundant (and its loosening untestable). WITH CHECK: the own
-- tenant's entity only. OFFSET 0 keeps the sub-select a probe of the primary key per row:
-- inside the OR the planner may otherwise hash every entity of the tenant for each query
-- (measured: 2,000 entities read for one get_entity, bench sharing --part entities).
DROP POLICY IF EXISTS entity_observations__visible_entity ON cogdb.entity_observations;
CREATE POLICY entity_observations__visible_entity ON cogdb.entity_observations
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (tenant_id <> (SELECT cogdb.current_tenant_id())
           OR EXISTS (SELECT FROM cogdb.entities e
                       WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                         AND e.id = entity_observations.entity_id
                      OFFSET 0))
    WITH CHECK (EXISTS (SELECT FROM cogdb.entities e
                         WHERE e.tenant_id = (SELECT cogdb.current_tenant_id())
                           AND e.id = entity_observations.entity_id));
-- <<< sql/policies/entity_observations__visible_entity.sql

-- >>> sql/policies/entity_observations__own_deletes.sql
-- A shared observation is never deleted: DELETE (the app holds it, for forget_observations)
-- reaches the own tenant's rows only, even in a transaction that asked for shared rows.
-- RESTRICTIVE; the (SELECT …) is an InitPlan. (The app has no UPDATE on this table.)
DROP POLICY IF EXISTS entity_observations__own_deletes ON cogdb.entity_observations;
CREATE POLICY entity_observations__own_deletes ON cogdb.entity_observations
    AS RESTRICTIVE FOR DELETE TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/entity_observations__own_deletes.sql

-- >>> sql/functions/knowledge/upsert_entity.sql
-- Creates or updates the entity keyed (system, external_id) and returns its id, whether this
-- call created it, and its update_count. system '' (the default) keys the entity by name: external_id
-- is the name, as assistants name entities. On an existing entity:
--   data          merged with cogdb.jsonb_merge: nested objects key by key (recursively),
--                 everything else (scalars, lists, a conflict of types such as an object
--                 replaced by a scalar) replaced by the newer value; nothing else is lost;
--   entity_type, name, visibility, embedding
--                 replaced when given, kept when NULL;
--   observations  added, each kept once (cogdb.entity_observations);
--   update_count  +1 for every upsert; last_seen = now().
-- Race-free: one INSERT … ON CONFLICT DO UPDATE, so concurrent upserts of one key each merge
-- into the latest version and none is lost. The key of a merged entity (an alias) updates its
-- survivor. A key taken by an entity the caller cannot see (another user's private one) is
-- refused with CGA02, which tells the caller the key is taken (docs/trust-model.md, known
-- limits).
CREATE OR REPLACE FUNCTION cogdb.upsert_entity(external_id text, system text DEFAULT '',
                                               entity_type text DEFAULT NULL,
                                               name text DEFAULT NULL,
                                               data jsonb DEFAULT NULL,
                                               observations text[] DEFAULT NULL,
                                               visibility text DEFAULT NULL,
                                               embedding public.vector DEFAULT NULL,
                                               model text DEFAULT NULL)
    RETURNS TABLE (id text, created boolean, update_count bigint)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    p_external constant text := upsert_entity.external_id;
    p_system constant text := coalesce(upsert_entity.system, '');
    p_type constant text := upsert_entity.entity_type;
    p_name constant text := upsert_entity.name;
    p_data constant jsonb := upsert_entity.data;
    p_visibility constant text := upsert_entity.visibility;
    p_embedding constant public.vector := upsert_entity.embedding;
    v_model text;
    v_id text;
    v_target text;
    v_count bigint;
    v_created boolean;
BEGIN
    PERFORM cogdb.require_tenant('writing entities');
    IF p_external IS NULL OR length(p_external) NOT BETWEEN 1 AND 500 THEN
        RAISE EXCEPTION 'external_id (the name, for name-keyed entities) must be 1-500 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'external_id',
                  HINT = 'e.g. cogdb.upsert_entity(''Acme Corp'', entity_type => ''customer'')';
    END IF;
    IF p_system <> '' AND p_system !~ '^[a-z0-9][a-z0-9_.-]{0,63}$' THEN
        RAISE EXCEPTION 'system must be '''' (name-keyed) or 1-64 of a-z 0-9 _ . - starting with a letter or digit, got %',
                        quote_literal(left(p_system, 60))
            USING ERRCODE = 'CGV01', COLUMN = 'system',
                  HINT = 'e.g. crm, github, jira; leave it out to key the entity by its name.';
    END IF;
    IF p_visibility IS NOT NULL AND p_visibility NOT IN ('private', 'tenant') THEN
        RAISE EXCEPTION 'visibility must be private or tenant, got %', quote_literal(left(p_visibility, 60))
            USING ERRCODE = 'CGV01', COLUMN = 'visibility',
                  HINT = 'private: the context''s user only; tenant: everyone in the tenant.';
    END IF;
    IF p_data IS NOT NULL AND jsonb_typeof(p_data) <> 'object' THEN
        RAISE EXCEPTION 'data must be a JSON object, got %', jsonb_typeof(p_data)
            USING ERRCODE = 'CGV01', COLUMN = 'data',
                  HINT = 'e.g. {"plan": "enterprise", "address": {"city": "Berlin"}}';
    END IF;
    IF EXISTS (SELECT FROM unnest(observations) o
                WHERE o IS NULL OR length(btrim(o)) NOT BETWEEN 1 AND 2000) THEN
        RAISE EXCEPTION 'each observation must be 1-2000 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'observations',
                  HINT = 'An observation is one short fact, e.g. ''prefers email''.';
    END IF;
    IF p_embedding IS NOT NULL THEN
        v_model := (cogdb.resolve_model(upsert_entity.model)).name;
    END IF;
    v_id := cogdb.entity_id_for(p_system, p_external);

    BEGIN
        LOOP
            SELECT e.merged_into INTO v_target FROM cogdb.entities e
             WHERE e.tenant_id = cogdb.current_tenant_id() AND e.id = v_id;
            IF v_target IS NOT NULL THEN  -- an alias: the survivor takes the upsert
                UPDATE cogdb.entities e
                   SET entity_type = coalesce(p_type, e.entity_type), name = coalesce(p_name, e.name),
                       data = cogdb.jsonb_merge(e.data, p_data),
                       visibility = coalesce(p_visibility, e.visibility),
                       update_count = e.update_count + 1, last_seen = greatest(e.last_seen, now()),
                       model = CASE WHEN p_embedding IS NULL THEN e.model ELSE v_model END,
                       embedding = coalesce(p_embedding, e.embedding)
                 WHERE e.tenant_id = cogdb.current_tenant_id() AND e.id = v_target
                   AND e.merged_into IS NULL
                RETURNING e.update_count INTO v_count;
                IF NOT FOUND THEN
                    RAISE EXCEPTION 'the key % was merged into an entity this context cannot see',
                                    quote_literal(left(p_external, 60))
                        USING ERRCODE = 'CGA02', COLUMN = 'external_id',
                              HINT = 'Upsert it in the context of the survivor''s owner.';
                END IF;
                v_created := false;
                v_id := v_target;
                EXIT;
            END IF;
            INSERT INTO cogdb.entities AS e (id, system, external_id, entity_type, name, data,
                                             visibility, model, embedding)
            VALUES (v_id, p_system, p_external, coalesce(p_type, 'thing'), coalesce(p_name, p_external),
                    coalesce(p_data, '{}'), coalesce(p_visibility, 'tenant'), v_model, p_embedding)
            ON CONFLICT ON CONSTRAINT entities_pkey DO UPDATE
               SET entity_type = coalesce(p_type, e.entity_type), name = coalesce(p_name, e.name),
                   data = cogdb.jsonb_merge(e.data, p_data),
                   visibility = coalesce(p_visibility, e.visibility),
                   update_count = e.update_count + 1, last_seen = greatest(e.last_seen, now()),
                   model = CASE WHEN p_embedding IS NULL THEN e.model ELSE v_model END,
                   embedding = coalesce(p_embedding, e.embedding)
             WHERE e.merged_into IS NULL
            RETURNING e.update_count, e.xmax = 0 INTO v_count, v_created;
            EXIT WHEN FOUND;
            -- The key became an alias after the first look (a concurrent merge): go again.
        END LOOP;
    EXCEPTION WHEN insufficient_privilege THEN
        -- ON CONFLICT met a row that the update policy hides: another user's private entity.
        RAISE EXCEPTION 'the key % is taken by an entity this context cannot see',
                        quote_literal(left(p_external, 60))
            USING ERRCODE = 'CGA02', COLUMN = 'external_id',
                  HINT = 'Keys are unique in the tenant; use another key or system.';
    END;

    IF observations IS NOT NULL THEN
        INSERT INTO cogdb.entity_observations AS o (entity_id, observation)
        SELECT v_id, x.observation
          FROM (SELECT btrim(u.o) AS observation, min(u.n) AS n
                  FROM unnest(observations) WITH ORDINALITY AS u(o, n) GROUP BY 1) x
         ORDER BY x.n
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN QUERY SELECT v_id, v_created, v_count;
END
$$;

REVOKE ALL ON FUNCTION cogdb.upsert_entity(text, text, text, text, jsonb, text[], text, public.vector, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.upsert_entity(text, text, text, text, jsonb, text[], text, public.vector, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.upsert_entity(text, text, text, text, jsonb, text[], text, public.vector, text) IS
    'Creates or updates the entity keyed (system, external_id), merging its data key by key; race-free, every upsert counted.';
-- <<< sql/functions/knowledge/upsert_entity.sql

-- >>> sql/functions/knowledge/merge_entities.sql
-- Merges entity `other` into `survivor` (references as for resolve_node; both visible to the
-- caller, two different entities) and returns the survivor's id with what moved:
--   * the survivor's data becomes jsonb_merge(other.data, survivor.data) (the survivor's
--     values win; keys only the other had are kept), update_count the sum, first_seen the
--     earlier and last_seen the later of the two;
--   * the other's observations move to the survivor (each kept once);
--   * relationships of the other move to the survivor: re-pointed (history too), or
--     superseded when the survivor already has the same active fact, or when they joined
--     the two (a self-loop); relationships_moved counts the current ones re-pointed;
--   * the other stays as an alias: merged_into = survivor, so lookups by its key (and by the
--     keys of entities merged into it before) return the survivor.
-- A shared (tenant) entity can only be merged into a shared one: its users would lose it
-- otherwise.
--
-- Definer, because relationships of the other that the caller cannot see (private to another
-- user, or to a node only another user sees) must move too: it takes, in turn, the context of
-- the tenant without a user and of each of its users (enter_tenant), moves what each one
-- sees, and restores the caller's context. The counts returned are what the caller can see.
-- Besides the audit records of the rows it changes, it appends an audit note 'entity.merge'.
CREATE OR REPLACE FUNCTION cogdb.merge_entities(survivor text, other text)
    RETURNS TABLE (id text, merged text, observations_moved integer,
                   relationships_moved integer, relationships_superseded integer)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('merging entities');
    v_caller text[];
    v_user uuid;
    v_sk text;
    v_sid text;
    v_ok text;
    v_oid text;
    v_s cogdb.entities;
    v_o cogdb.entities;
    v_obs integer;
    v_moved integer := 0;
    v_superseded integer := 0;
    v_mine boolean;
    v_n integer;
BEGIN
    SELECT r.kind, r.id INTO v_sk, v_sid FROM cogdb.resolve_node(survivor, 'survivor') r;
    SELECT r.kind, r.id INTO v_ok, v_oid FROM cogdb.resolve_node(other, 'other') r;
    IF v_sid IS NULL OR v_oid IS NULL OR v_sk <> 'entity' OR v_ok <> 'entity' THEN
        RAISE EXCEPTION 'no entity % in this context',
                        quote_literal(left(CASE WHEN v_sid IS NULL OR v_sk <> 'entity' THEN survivor
                                                ELSE other END, 80))
            USING ERRCODE = 'CGN01',
                  COLUMN = CASE WHEN v_sid IS NULL OR v_sk <> 'entity' THEN 'survivor' ELSE 'other' END,
                  HINT = 'Both must be entities the context can see.';
    END IF;
    IF v_sid = v_oid THEN
        RAISE EXCEPTION 'survivor and other are the same entity'
            USING ERRCODE = 'CGV01', COLUMN = 'other',
                  HINT = 'The other may already have been merged into the survivor.';
    END IF;
    -- Lock both, in id order (two merges of the same pair cannot deadlock).
    PERFORM FROM cogdb.entities e WHERE e.tenant_id = v_tenant AND e.id IN (v_sid, v_oid)
     ORDER BY e.id FOR UPDATE;
    SELECT * INTO v_s FROM cogdb.entities e WHERE e.tenant_id = v_tenant AND e.id = v_sid;
    SELECT * INTO v_o FROM cogdb.entities e WHERE e.tenant_id = v_tenant AND e.id = v_oid;
    IF v_o.visibility = 'tenant' AND v_s.visibility = 'private' THEN
        RAISE EXCEPTION 'a shared entity can only be merged into a shared one'
            USING ERRCODE = 'CGV01', COLUMN = 'survivor',
                  HINT = 'Make the survivor shared first (upsert it with visibility tenant).';
    END IF;

    UPDATE cogdb.entities e
       SET data = cogdb.jsonb_merge(v_o.data, e.data),
           update_count = e.update_count + v_o.update_count,
           first_seen = least(e.first_seen, v_o.first_seen),
           last_seen = greatest(e.last_seen, v_o.last_seen, now())
     WHERE e.tenant_id = v_tenant AND e.id = v_sid;
    WITH gone AS (
        DELETE FROM cogdb.entity_observations o WHERE o.tenant_id = v_tenant AND o.entity_id = v_oid
        RETURNING o.observation, o.created_at
    ), added AS (
        INSERT INTO cogdb.entity_observations AS o (entity_id, observation, created_at)
        SELECT v_sid, g.observation, g.created_at FROM gone g
        ON CONFLICT DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO v_obs FROM gone;

    -- Relationships and aliases of the other, in every context that sees some of them.
    v_caller := cogdb.enter_tenant(v_tenant, NULL);
    -- The caller's own context first, so the counts returned are what it sees.
    FOR v_user, v_mine IN
        SELECT x.id, m.mine FROM (
            SELECT NULL::uuid AS id
            UNION ALL
            SELECT u.id FROM cogdb.users u) x
         CROSS JOIN LATERAL (SELECT x.id IS NOT DISTINCT FROM nullif(v_caller[2], '')::uuid AS mine) m
         ORDER BY m.mine DESC, x.id NULLS FIRST
    LOOP
        PERFORM cogdb.enter_tenant(v_tenant, v_user);
        -- Superseded instead of moved: self-loops, and facts the survivor already has.
        UPDATE cogdb.relationships r SET superseded_at = now(), superseded_by = (
                   SELECT s.id FROM cogdb.relationships s
                    WHERE s.superseded_at IS NULL AND s.valid_to IS NULL AND s.type = r.type
                      AND s.visibility = r.visibility
                      AND s.owner_user_id IS NOT DISTINCT FROM
                          CASE WHEN r.visibility = 'private' THEN r.owner_user_id ELSE s.owner_user_id END
                      AND (s.from_memory_id, s.from_entity_id, s.to_memory_id, s.to_entity_id)
                          IS NOT DISTINCT FROM
                          (r.from_memory_id,
                           CASE WHEN r.from_entity_id = v_oid THEN v_sid ELSE r.from_entity_id END,
                           r.to_memory_id,
                           CASE WHEN r.to_entity_id = v_oid THEN v_sid ELSE r.to_entity_id END)
                    LIMIT 1)
         WHERE (r.from_entity_id = v_oid OR r.to_entity_id = v_oid) AND r.superseded_at IS NULL
           AND ((r.from_entity_id = v_oid AND r.to_entity_id = v_sid)
                OR (r.from_entity_id = v_sid AND r.to_entity_id = v_oid)
                OR (r.valid_to IS NULL AND EXISTS (
                    SELECT FROM cogdb.relationships s
                     WHERE s.superseded_at IS NULL AND s.valid_to IS NULL AND s.type = r.type
                       AND s.visibility = r.visibility
                       AND (r.visibility = 'tenant' OR s.owner_user_id = r.owner_user_id)
                       AND (s.from_memory_id, s.from_entity_id, s.to_memory_id, s.to_entity_id)
                           IS NOT DISTINCT FROM
                           (r.from_memory_id,
                            CASE WHEN r.from_entity_id = v_oid THEN v_sid ELSE r.from_entity_id END,
                            r.to_memory_id,
                            CASE WHEN r.to_entity_id = v_oid THEN v_sid ELSE r.to_entity_id END))));
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_superseded := v_superseded + CASE WHEN v_mine THEN v_n ELSE 0 END;
        -- Re-pointed: everything else, history included (counted: the current ones).
        WITH moved AS (
            UPDATE cogdb.relationships r
               SET from_entity_id = CASE WHEN r.from_entity_id = v_oid THEN v_sid ELSE r.from_entity_id END,
                   to_entity_id = CASE WHEN r.to_entity_id = v_oid THEN v_sid ELSE r.to_entity_id END
             WHERE (r.from_entity_id = v_oid OR r.to_entity_id = v_oid)
               AND NOT (r.superseded_at IS NOT NULL
                        AND (r.from_entity_id = v_sid OR r.to_entity_id = v_sid))
            RETURNING r.superseded_at
        )
        SELECT count(*) FILTER (WHERE m.superseded_at IS NULL) INTO v_n FROM moved m;
        v_moved := v_moved + CASE WHEN v_mine THEN v_n ELSE 0 END;
        UPDATE cogdb.entities e SET merged_into = v_sid
         WHERE e.tenant_id = v_tenant AND e.merged_into = v_oid;
    END LOOP;
    PERFORM cogdb.restore_context(v_caller);

    UPDATE cogdb.entities e SET merged_into = v_sid WHERE e.tenant_id = v_tenant AND e.id = v_oid;
    -- The merge as one audit note beside the records of the rows it changed.
    PERFORM cogdb.audit_note('entity.merge', jsonb_build_object(
        'survivor', v_sid, 'merged', v_oid, 'observations_moved', v_obs,
        'relationships_moved', v_moved, 'relationships_superseded', v_superseded));
    RETURN QUERY SELECT v_sid, v_oid, v_obs, v_moved, v_superseded;
END
$$;

REVOKE ALL ON FUNCTION cogdb.merge_entities(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.merge_entities(text, text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.merge_entities(text, text) IS
    'Merges one entity into another: data, observations and relationships move to the survivor, and the other becomes an alias that resolves to it.';
-- <<< sql/functions/knowledge/merge_entities.sql

-- >>> sql/functions/knowledge/forget_entity.sql
-- Deletes the entity a reference names (entity:<id>, name:<name>, key:<system>:<external id>;
-- an alias resolves to its survivor) if the caller can see it; true if one was deleted. Its
-- observations, aliases and relationships go with it (foreign keys, ON DELETE CASCADE). An
-- entity the caller cannot see returns false, exactly like a missing one.
CREATE OR REPLACE FUNCTION cogdb.forget_entity(ref text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_kind text;
    v_id text;
BEGIN
    PERFORM cogdb.require_tenant('forgetting an entity');
    SELECT r.kind, r.id INTO v_kind, v_id FROM cogdb.resolve_node(ref, 'ref') r;
    IF v_kind IS DISTINCT FROM 'entity' THEN
        RETURN false;
    END IF;
    DELETE FROM cogdb.entities e WHERE e.tenant_id = cogdb.current_tenant_id() AND e.id = v_id;
    RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION cogdb.forget_entity(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.forget_entity(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.forget_entity(text) IS
    'Deletes an entity the caller can see, with its observations, aliases and relationships; false for a missing or invisible one.';
-- <<< sql/functions/knowledge/forget_entity.sql

-- >>> sql/functions/knowledge/get_shared_entity.sql
-- The shared half of get_entity(ref, include_shared => true): when the context's own tenant
-- has no entity of the key a reference names (entity:<id>, name:<name>, key:<system>:<external
-- id>), the entities of that key that live grants share with the context, one per source
-- tenant (tenant_id says which; an alias resolves to its survivor in the source, shown only if
-- a grant covers the survivor too), with the observations and aliases the grants cover, each
-- noted in its source's audit chain (note_shared_read: a count, never the id). The request
-- lasts for this call only (share_request(true), then share_request(false)). Every statement
-- names its tenants (docs/conventions.md rule 3). The app may call it: it shows exactly what
-- get_entity(ref, true) shows.
CREATE OR REPLACE FUNCTION cogdb.get_shared_entity(ref text)
    RETURNS TABLE (id text, system text, external_id text, entity_type text, name text,
                   data jsonb, visibility text, owner_user_id uuid, update_count bigint,
                   first_seen timestamptz, last_seen timestamptz, model text,
                   observations text[], aliases text[], tenant_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_kind text;
    v_prefix text;
    v_rest text;
    v_entity text;
    v_sources uuid[];
    v_found uuid[];
    v_ids text[];
    v_source uuid;
BEGIN
    -- resolve_node checks the reference (CGV01): an own entity of the key comes first.
    SELECT r.kind INTO v_kind FROM cogdb.resolve_node(ref, 'ref') r;
    IF v_tenant IS NULL THEN
        RETURN;
    END IF;
    v_prefix := split_part(ref, ':', 1);
    IF v_prefix = 'memory' OR v_kind IS NOT NULL THEN
        RETURN;
    END IF;
    v_rest := substr(ref, length(v_prefix) + 2);
    v_entity := CASE v_prefix
        WHEN 'entity' THEN v_rest
        WHEN 'name' THEN cogdb.entity_id_for('', v_rest)
        ELSE cogdb.entity_id_for(split_part(v_rest, ':', 1),
                                 substr(v_rest, length(split_part(v_rest, ':', 1)) + 2)) END;
    v_sources := cogdb.share_request(true);
    IF cardinality(v_sources) = 0 THEN
        PERFORM cogdb.share_request(false);
        RETURN;
    END IF;
    -- Each source's survivor of the key, where the grants cover both the key's entity and
    -- its survivor (the fence reads both).
    SELECT coalesce(array_agg(e.tenant_id ORDER BY e.tenant_id), '{}'),
           coalesce(array_agg(coalesce(e.merged_into, e.id) ORDER BY e.tenant_id), '{}')
      INTO v_found, v_ids
      FROM cogdb.entities e
     WHERE e.tenant_id = ANY (v_sources) AND e.id = v_entity
       AND EXISTS (SELECT FROM cogdb.entities s
                    WHERE s.tenant_id = e.tenant_id AND s.id = coalesce(e.merged_into, e.id));
    IF cardinality(v_found) = 0 THEN
        PERFORM cogdb.share_request(false);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT e.id, e.system, e.external_id, e.entity_type, e.name, e.data, e.visibility,
           e.owner_user_id, e.update_count, e.first_seen, e.last_seen, e.model,
           ARRAY(SELECT o.observation FROM cogdb.entity_observations o
                  WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                  ORDER BY o.created_at, o.observation),
           ARRAY(SELECT CASE WHEN a.system = '' THEN a.external_id
                             ELSE a.system || ':' || a.external_id END
                   FROM cogdb.entities a
                  WHERE a.tenant_id = e.tenant_id AND a.merged_into = e.id ORDER BY 1),
           e.tenant_id
      FROM unnest(v_found, v_ids) AS f(tenant_id, id)
      JOIN cogdb.entities e ON e.tenant_id = f.tenant_id AND e.id = f.id
     ORDER BY e.tenant_id;
    FOREACH v_source IN ARRAY v_found LOOP
        PERFORM cogdb.note_shared_read(v_source, 'get_entity', 0, 1);
    END LOOP;
    PERFORM cogdb.share_request(false);
END
$$;

REVOKE ALL ON FUNCTION cogdb.get_shared_entity(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_shared_entity(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_shared_entity(text) IS
    'The entities of a key that live grants share with the caller (when its own tenant has none), with the observations and aliases the grants cover, labelled with their tenant and noted in the source''s audit chain: get_entity(ref, include_shared => true)''s shared half.';
-- <<< sql/functions/knowledge/get_shared_entity.sql

-- the signature or result changed since revision 0008
DROP FUNCTION cogdb.get_entity(text);
-- >>> sql/functions/knowledge/get_entity.sql
-- The entity a reference names (entity:<id>, name:<name>, key:<system>:<external id>; an
-- alias resolves to its survivor), if the caller can see it; else no row, exactly as for a
-- missing one. With its observations (oldest first), the keys of the entities merged into
-- it (aliases, as 'system:external_id', or the name for name-keyed ones), and tenant_id, the
-- tenant it lives in.
-- include_shared => true: when the context's own tenant has no such entity, the entities of
-- that key that live grants share with the context (get_shared_entity: labelled, noted in
-- each source's audit chain). The own lookup is one SQL statement, as before revision 0022;
-- the shared half runs only when asked and the own tenant has nothing.
CREATE OR REPLACE FUNCTION cogdb.get_entity(ref text, include_shared boolean DEFAULT false)
    RETURNS TABLE (id text, system text, external_id text, entity_type text, name text,
                   data jsonb, visibility text, owner_user_id uuid, update_count bigint,
                   first_seen timestamptz, last_seen timestamptz, model text,
                   observations text[], aliases text[], tenant_id uuid)
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH own AS MATERIALIZED (
        SELECT e.id, e.system, e.external_id, e.entity_type, e.name, e.data, e.visibility,
               e.owner_user_id, e.update_count, e.first_seen, e.last_seen, e.model,
               ARRAY(SELECT o.observation FROM cogdb.entity_observations o
                      WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                      ORDER BY o.created_at, o.observation) AS observations,
               ARRAY(SELECT CASE WHEN a.system = '' THEN a.external_id
                                 ELSE a.system || ':' || a.external_id END
                       FROM cogdb.entities a
                      WHERE a.tenant_id = e.tenant_id AND a.merged_into = e.id
                      ORDER BY 1) AS aliases,
               e.tenant_id
          FROM cogdb.entities e
         -- The resolved id as a value (an InitPlan), so the lookup probes the primary key:
         -- joined to the function scan, the planner read the tenant's entities and filtered.
         WHERE e.tenant_id = cogdb.current_tenant_id()
           AND e.id = (SELECT r.id FROM cogdb.resolve_node(ref, 'ref') r WHERE r.kind = 'entity')
    )
    SELECT * FROM own
    UNION ALL
    SELECT s.* FROM cogdb.get_shared_entity(ref) s
     WHERE include_shared IS TRUE AND NOT EXISTS (SELECT FROM own)
$$;

REVOKE ALL ON FUNCTION cogdb.get_entity(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.get_entity(text, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.get_entity(text, boolean) IS
    'The entity a reference names (aliases resolve to their survivor), with its observations, aliases and tenant, if the caller can see it; include_shared adds the entities of that key that live grants share with the caller.';
-- <<< sql/functions/knowledge/get_entity.sql

-- the signature or result changed since revision 0010
DROP FUNCTION cogdb.list_entities(text, integer, text);
-- >>> sql/functions/knowledge/list_entities.sql
-- The name-keyed entities (system '') the caller can see, in name order (by their key, the
-- name a name:<name> reference resolves; COLLATE "C", so pages are stable whatever the
-- database's collation), with type and observations (oldest first): a page of at most
-- max_rows (1-1000) after the name `after` (NULL: from the start). `containing` keeps the
-- entities whose name, type or any observation contains that text, ignoring case (the MCP
-- memory server's search_nodes). Aliases (entities merged into another) are left out: their
-- survivor is listed. tenant_id: the tenant the entity lives in. Reads only; no context, no
-- rows.
-- include_shared => true adds the name-keyed entities live grants share with the context
-- (with the observations the grants cover), ordered with the own ones by name and then
-- tenant id; a name can then repeat, so the next page starts after (after, after_tenant),
-- the last row's name and tenant. Each source tenant whose entities a page shows gets a note
-- in its audit chain (note_shared_read: a count, never ids); the request lasts for this call
-- only. Every statement names its tenants (docs/conventions.md rule 3).
-- The MCP server's read_graph pages through this; an entity key index is not needed while a
-- tenant's name-keyed entities fit a sort (every page sorts them).
CREATE OR REPLACE FUNCTION cogdb.list_entities(after text DEFAULT NULL,
                                               max_rows integer DEFAULT 100,
                                               containing text DEFAULT NULL,
                                               include_shared boolean DEFAULT false,
                                               after_tenant uuid DEFAULT NULL)
    RETURNS TABLE (id text, external_id text, name text, entity_type text,
                   observations text[], visibility text, owner_user_id uuid,
                   update_count bigint, first_seen timestamptz, last_seen timestamptz,
                   tenant_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_needle constant text := lower(nullif(containing, ''));
    v_tenant uuid := cogdb.current_tenant_id();
    v_tenants uuid[];
    v_counts jsonb := '{}';
    r record;
BEGIN
    IF max_rows IS NULL OR max_rows NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 1000, got %', coalesce(max_rows::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'max_rows',
                  HINT = 'Page on with after => the last name of the previous page.';
    END IF;
    IF v_tenant IS NULL THEN
        RETURN;
    END IF;
    IF include_shared IS NOT TRUE THEN
        RETURN QUERY
        SELECT e.id, e.external_id, e.name, e.entity_type,
               ARRAY(SELECT o.observation FROM cogdb.entity_observations o
                      WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                      ORDER BY o.created_at, o.observation),
               e.visibility, e.owner_user_id, e.update_count, e.first_seen, e.last_seen,
               e.tenant_id
          FROM cogdb.entities e
         WHERE e.tenant_id = v_tenant AND e.system = '' AND e.merged_into IS NULL
           AND (after IS NULL OR e.external_id COLLATE "C" > after COLLATE "C")
           AND (v_needle IS NULL
                OR strpos(lower(e.external_id), v_needle) > 0
                OR strpos(lower(e.entity_type), v_needle) > 0
                OR EXISTS (SELECT FROM cogdb.entity_observations o
                            WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                              AND strpos(lower(o.observation), v_needle) > 0))
         ORDER BY e.external_id COLLATE "C"
         LIMIT max_rows;
        RETURN;
    END IF;
    v_tenants := array_prepend(v_tenant, cogdb.share_request(true));
    FOR r IN
        SELECT e.id, e.external_id, e.name, e.entity_type,
               ARRAY(SELECT o.observation FROM cogdb.entity_observations o
                      WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                      ORDER BY o.created_at, o.observation) AS observations,
               e.visibility, e.owner_user_id, e.update_count, e.first_seen, e.last_seen,
               e.tenant_id
          FROM cogdb.entities e
         WHERE e.tenant_id = ANY (v_tenants) AND e.system = '' AND e.merged_into IS NULL
           AND (after IS NULL OR e.external_id COLLATE "C" > after COLLATE "C"
                OR e.external_id = after AND e.tenant_id > after_tenant)
           AND (v_needle IS NULL
                OR strpos(lower(e.external_id), v_needle) > 0
                OR strpos(lower(e.entity_type), v_needle) > 0
                OR EXISTS (SELECT FROM cogdb.entity_observations o
                            WHERE o.tenant_id = e.tenant_id AND o.entity_id = e.id
                              AND strpos(lower(o.observation), v_needle) > 0))
         ORDER BY e.external_id COLLATE "C", e.tenant_id
         LIMIT max_rows
    LOOP
        id := r.id; external_id := r.external_id; name := r.name;
        entity_type := r.entity_type; observations := r.observations;
        visibility := r.visibility; owner_user_id := r.owner_user_id;
        update_count := r.update_count; first_seen := r.first_seen; last_seen := r.last_seen;
        tenant_id := r.tenant_id;
        RETURN NEXT;
        IF r.tenant_id <> v_tenant THEN
            v_counts := jsonb_set(v_counts, ARRAY[r.tenant_id::text],
                                  to_jsonb(coalesce((v_counts ->> r.tenant_id::text)::integer, 0) + 1));
        END IF;
    END LOOP;
    FOR r IN SELECT c.key::uuid AS source, c.value::integer AS n
               FROM jsonb_each_text(v_counts) c ORDER BY 1 LOOP
        PERFORM cogdb.note_shared_read(r.source, 'list_entities', 0, r.n);
    END LOOP;
    PERFORM cogdb.share_request(false);
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_entities(text, integer, text, boolean, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_entities(text, integer, text, boolean, uuid) TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_entities(text, integer, text, boolean, uuid) IS
    'A page of the name-keyed entities the caller can see, in name order, with type, observations and tenant; optionally only those containing a text; include_shared adds those live grants share with the caller.';
-- <<< sql/functions/knowledge/list_entities.sql

-- >>> sql/functions/knowledge/shared_text_candidates.sql
-- The text half of hybrid_search(…, include_shared => true) in the tenants that share with
-- the context: for each source tenant of its live grants (none unless the transaction asked
-- for shared rows: readable_tenants()), the nodes whose text matches `query` and that a
-- live grant covers, best first (then by id), at most max_rows (1-1000) per source: tenant,
-- kind ('memory' or 'entity'), id and rank, nothing else. The same bounded matching as
-- text_candidates (all the words first, then each word up to `scan`), run in each source on
-- its own, so shared text is matched and ranked exactly as own text is.
--
-- Covered exactly: every scan joins the index row to its memory or entity read through the
-- fences in the caller's context (memories__tenant_fence, entities__tenant_fence: the grant
-- test on live_grants() once per query; tenant-visible only) *before* the LIMIT, so a row a
-- grant does not cover never matches, never ranks and never uses up a scan. A shared memory
-- past its expires_at is left out too. ts_rank reads the row's own vector only (no corpus
-- statistics), so a rank says nothing about other rows.
-- Definer over the owner-only cogdb.text_index (FORCE RLS fences the owner too, so the joins
-- see what the caller's context sees, retention of the caller's own policies aside:
-- hybrid_search joins the ids back as the caller, under memories__retained).
CREATE OR REPLACE FUNCTION cogdb.shared_text_candidates(query tsquery, max_rows integer DEFAULT 100)
    RETURNS TABLE (tenant_id uuid, kind text, id text, rank real)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.current_tenant_id();
    v_rows integer := least(greatest(coalesce(max_rows, 100), 1), 1000);
    v_scan integer := least(greatest(2 * least(greatest(coalesce(max_rows, 100), 1), 1000), 100), 2000);
    v_words text[] := '{}';
    v_any tsquery := query;
    v_source uuid;
    v_kinds text[];
    v_ids text[];
    v_ranks real[];
    v_each text[];
BEGIN
    IF v_tenant IS NULL OR query IS NULL OR numnode(query) = 0 THEN
        RETURN;
    END IF;
    IF query::text !~ '[|!()]' THEN
        v_words := ARRAY(SELECT DISTINCT w FROM unnest(string_to_array(query::text, ' & ')) w);
        v_any := array_to_string(v_words, ' | ')::tsquery;
    END IF;
    IF cardinality(v_words) < 2 THEN
        v_words := '{}';
    END IF;
    FOREACH v_source IN ARRAY cogdb.readable_tenants() LOOP
        CONTINUE WHEN v_source = v_tenant;
        SELECT coalesce(array_agg(a.kind), '{}'), coalesce(array_agg(a.id), '{}'),
               coalesce(array_agg(a.rank), '{}')
          INTO v_kinds, v_ids, v_ranks
          FROM (SELECT CASE WHEN t.memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END AS kind,
                       coalesce(t.memory_id, t.entity_id) AS id, ts_rank(t.tsv, v_any) AS rank
                  FROM cogdb.text_index t
                 WHERE t.tenant_id = v_source AND t.visibility = 'tenant' AND t.tsv @@ query
                   AND (t.memory_id IS NULL
                        OR EXISTS (SELECT FROM cogdb.memories m
                                    WHERE m.tenant_id = v_source AND m.id = t.memory_id
                                      AND (m.expires_at IS NULL OR m.expires_at > now())))
                   AND (t.entity_id IS NULL
                        OR EXISTS (SELECT FROM cogdb.entities e
                                    WHERE e.tenant_id = v_source AND e.id = t.entity_id))
                 LIMIT v_scan) a;
        v_each := CASE WHEN cardinality(v_ids) >= v_rows THEN '{}' ELSE v_words END;
        RETURN QUERY
        SELECT v_source, h.kind, h.id, max(h.rank)
          FROM (SELECT * FROM unnest(v_kinds, v_ids, v_ranks) AS a(kind, id, rank)
                UNION ALL
                SELECT w.* FROM unnest(v_each) AS b(word)
                 CROSS JOIN LATERAL (
                    SELECT CASE WHEN t.memory_id IS NOT NULL THEN 'memory' ELSE 'entity' END AS kind,
                           coalesce(t.memory_id, t.entity_id) AS id, ts_rank(t.tsv, v_any) AS rank
                      FROM cogdb.text_index t
                     WHERE t.tenant_id = v_source AND t.visibility = 'tenant'
                       AND t.tsv @@ b.word::tsquery
                       AND (t.memory_id IS NULL
                            OR EXISTS (SELECT FROM cogdb.memories m
                                        WHERE m.tenant_id = v_source AND m.id = t.memory_id
                                          AND (m.expires_at IS NULL OR m.expires_at > now())))
                       AND (t.entity_id IS NULL
                            OR EXISTS (SELECT FROM cogdb.entities e
                                        WHERE e.tenant_id = v_source AND e.id = t.entity_id))
                     LIMIT v_scan) w) h
         GROUP BY h.kind, h.id
         ORDER BY 4 DESC, 3
         LIMIT v_rows;
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION cogdb.shared_text_candidates(tsquery, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.shared_text_candidates(tsquery, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.shared_text_candidates(tsquery, integer) IS
    'The text half of hybrid search in the tenants sharing with the context (when it asked): ids and ranks of the nodes live grants cover that match a tsquery, per source tenant.';
-- <<< sql/functions/knowledge/shared_text_candidates.sql

-- the signature or result changed since revision 0011
DROP FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean);
-- >>> sql/functions/knowledge/hybrid_search.sql
-- Hybrid search: full-text and vector ranking fused by reciprocal rank fusion (RRF), over the
-- memories, entity names and observations the caller may see. Returns the k best, best first
-- (ties by kind, then id), with the score, each half's rank (NULL where a half did not find
-- the node), the cosine similarity and the text rank, and the node's display fields (a
-- memory's, or an entity's name and type; the other kind's are NULL).
--
--   score = text_weight / (rrf_k + text rank) + vector_weight / (rrf_k + vector rank)
--
-- query_text alone runs the text half, query_vector alone the vector half, both run both.
-- The text half: cogdb.text_query (web-search syntax, the tenant's search.language, words
-- OR-ed) against the owner-only text index through cogdb.text_candidates, joined back to
-- memories and entities under their policies and the filters. The vector half: cogdb.search
-- itself for memories (its plan, exact or the tenant's ANN index, is in `plan`) and an exact
-- scan of the entities that have an embedding of the same model. Each half contributes its
-- best `candidates` (default 50, at least k, at most 1000); with filters the text half
-- fetches four times as many before filtering.
-- Filters are search's; they narrow memories. Entities have no conversation, source, context
-- type, tags or metadata: any of those filters leaves entities out; owner and visibility
-- apply to them, created_after/before to their first_seen. include_entities => false leaves
-- them out. Every row carries tenant_id, the tenant the node lives in. Reads only (but for
-- the audit note below); no context, no rows.
--
-- include_shared => true adds what the live grants the context holds share with it: the text
-- half also runs in each source tenant (shared_text_candidates: the same matching, over the
-- rows a grant covers only), the vector half searches each source's memories on its own
-- (search_tenant, as search(include_shared) does) and the covered entities, and nodes are
-- told apart by (kind, tenant, id). The request lasts for this call only (share_request(true),
-- then share_request(false)); each source tenant whose nodes are returned gets a note in its
-- audit chain (note_shared_read: how many memories and entities, never which). Every
-- statement names its tenants (docs/conventions.md rule 3).
CREATE OR REPLACE FUNCTION cogdb.hybrid_search(query_text text DEFAULT NULL,
                                               query_vector public.vector DEFAULT NULL,
                                               k integer DEFAULT 10,
                                               model text DEFAULT NULL,
                                               only_conversation text DEFAULT NULL,
                                               only_source text DEFAULT NULL,
                                               only_context_type text DEFAULT NULL,
                                               tags_any text[] DEFAULT NULL,
                                               created_after timestamptz DEFAULT NULL,
                                               created_before timestamptz DEFAULT NULL,
                                               only_owner uuid DEFAULT NULL,
                                               only_visibility text DEFAULT NULL,
                                               ef_search integer DEFAULT NULL,
                                               metadata_filter jsonb DEFAULT NULL,
                                               rrf_k integer DEFAULT 60,
                                               text_weight double precision DEFAULT 1,
                                               vector_weight double precision DEFAULT 1,
                                               candidates integer DEFAULT 50,
                                               include_entities boolean DEFAULT true,
                                               include_shared boolean DEFAULT false)
    RETURNS TABLE (kind text, id text, score double precision, text_rank integer,
                   vector_rank integer, similarity double precision, text_score real,
                   name text, entity_type text, conversation_id text, human_content text,
                   assistant_content text, summary text, context_type text, source text,
                   created_at timestamptz, visibility text, owner_user_id uuid, tags jsonb,
                   metadata jsonb, plan text, tenant_id uuid)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_max_k integer := cogdb.int_setting('search.max_k');
    v_text tsquery;
    v_use_text boolean;
    v_use_vector boolean := query_vector IS NOT NULL AND vector_weight > 0;
    v_cand integer;
    v_text_fetch integer;
    v_model text;
    v_entities boolean;
    v_filtered boolean;
    v_plan text;
    v_tenant uuid := cogdb.current_tenant_id();
    v_tenants uuid[];
    v_asked boolean := false;
    v_tkind text[] := '{}';
    v_ttenant uuid[] := '{}';
    v_tid text[] := '{}';
    v_trank real[] := '{}';
    v_keep text[];
    v_vid text[] := '{}';
    v_vtenant uuid[] := '{}';
    v_vsim double precision[] := '{}';
    v_vplan text;
BEGIN
    IF v_tenant IS NULL THEN
        RETURN;  -- no context: nothing is visible
    END IF;
    IF k IS NULL OR k NOT BETWEEN 1 AND v_max_k THEN
        RAISE EXCEPTION 'k must be between 1 and %, got %', v_max_k, coalesce(k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'k',
                  HINT = 'k is how many results to return; the maximum is settings.search.max_k.';
    END IF;
    IF rrf_k IS NULL OR rrf_k < 1 THEN
        RAISE EXCEPTION 'rrf_k must be at least 1, got %', coalesce(rrf_k::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'rrf_k',
                  HINT = 'The fusion constant; 60 is the usual value. Larger flattens the ranks.';
    END IF;
    IF text_weight IS NULL OR vector_weight IS NULL OR text_weight < 0 OR vector_weight < 0
       OR text_weight = 'NaN' OR vector_weight = 'NaN' THEN
        RAISE EXCEPTION 'text_weight and vector_weight must be numbers >= 0'
            USING ERRCODE = 'CGV01',
                  COLUMN = CASE WHEN text_weight IS NULL OR NOT text_weight >= 0 OR text_weight = 'NaN'
                                THEN 'text_weight' ELSE 'vector_weight' END,
                  HINT = 'Both default to 1; 0 turns a half off.';
    END IF;
    IF candidates IS NULL OR candidates NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'candidates must be between 1 and 1000, got %', coalesce(candidates::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'candidates',
                  HINT = 'How many results each half contributes to the fusion (default 50).';
    END IF;
    IF only_visibility IS NOT NULL AND NOT only_visibility = ANY (cogdb.allowed_values('visibility')) THEN
        RAISE EXCEPTION 'only_visibility must be private or tenant, got %', quote_literal(only_visibility)
            USING ERRCODE = 'CGV01', COLUMN = 'only_visibility',
                  HINT = 'Leave it out to search everything the context may see.';
    END IF;
    IF nullif(btrim(query_text), '') IS NULL AND query_vector IS NULL THEN
        RAISE EXCEPTION 'hybrid search needs query_text, query_vector or both'
            USING ERRCODE = 'CGV01', COLUMN = 'query_text',
                  HINT = 'Pass the text (full-text half) and its embedding (vector half).';
    END IF;
    IF text_weight = 0 AND vector_weight = 0 THEN
        RAISE EXCEPTION 'text_weight and vector_weight are both 0: nothing would rank'
            USING ERRCODE = 'CGV01', COLUMN = 'text_weight', HINT = 'Leave them out for 1 each.';
    END IF;
    IF nullif(btrim(query_text), '') IS NOT NULL AND text_weight > 0 THEN
        v_text := cogdb.text_query(query_text);
    END IF;
    v_use_text := v_text IS NOT NULL AND numnode(v_text) > 0;
    v_cand := greatest(candidates, k);
    v_filtered := NOT (only_conversation IS NULL AND only_source IS NULL
                       AND only_context_type IS NULL AND tags_any IS NULL
                       AND created_after IS NULL AND created_before IS NULL
                       AND only_owner IS NULL AND only_visibility IS NULL
                       AND (metadata_filter IS NULL OR metadata_filter = '{}'::jsonb));
    v_text_fetch := CASE WHEN v_filtered THEN least(1000, v_cand * 4) ELSE v_cand END;
    v_entities := coalesce(include_entities, true) AND only_conversation IS NULL
                  AND only_source IS NULL AND only_context_type IS NULL AND tags_any IS NULL
                  AND (metadata_filter IS NULL OR metadata_filter = '{}'::jsonb);
    IF v_use_vector THEN
        v_model := (cogdb.resolve_model(hybrid_search.model)).name;
        PERFORM cogdb.check_vector(query_vector, 'query_vector');
    END IF;
    v_plan := concat_ws('+', CASE WHEN v_use_text THEN 'text' END,
                        CASE WHEN v_use_vector THEN 'vector' END);
    v_tenants := ARRAY[v_tenant];
    IF include_shared IS TRUE THEN
        v_tenants := v_tenant || cogdb.share_request(true);
        v_asked := true;
    END IF;

    -- The text half: candidates from the text index (ids and ranks of the context's visible
    -- rows), then only the memories that pass the filters. Static statements (their plans are
    -- kept); the filters need dynamic SQL only when some are given.
    IF v_use_text THEN
        SELECT coalesce(array_agg(c.kind), '{}'), coalesce(array_agg(c.id), '{}'),
               coalesce(array_agg(c.rank), '{}'), coalesce(array_agg(c.tenant), '{}')
          INTO v_tkind, v_tid, v_trank, v_ttenant
          FROM (SELECT o.kind, o.id, o.rank, v_tenant AS tenant
                  FROM cogdb.text_candidates(v_text, v_text_fetch) o
                UNION ALL
                SELECT s.kind, s.id, s.rank, s.tenant_id
                  FROM cogdb.shared_text_candidates(v_text, v_text_fetch) s
                 WHERE v_asked) c;
        IF v_filtered THEN
            -- The filtered memories' keys ('<tenant>/<id>'): ids can repeat across tenants.
            EXECUTE 'SELECT coalesce(array_agg(m.tenant_id::text || ''/'' || m.id), ''{}'')'
                    ' FROM cogdb.memories m WHERE m.id = ANY ($1) AND m.tenant_id = ANY ($2)'
                    || cogdb.memory_filters_sql(3, metadata_filter)
               INTO v_keep
              USING ARRAY(SELECT u.id FROM unnest(v_tkind, v_tid) AS u(kind, id)
                           WHERE u.kind = 'memory'),
                    v_tenants, only_conversation, only_source, only_context_type, tags_any,
                    created_after, created_before, only_owner, only_visibility;
        END IF;
    END IF;
    -- The vector half: search's own search, each tenant on its own (search_tenant, as
    -- search does: each keeps its partition, ANN index and recall), the best v_cand of all.
    IF v_use_vector THEN
        SELECT coalesce(array_agg(s.id ORDER BY s.similarity DESC, s.id, s.tenant), '{}'),
               coalesce(array_agg(s.similarity ORDER BY s.similarity DESC, s.id, s.tenant), '{}'),
               coalesce(array_agg(s.tenant ORDER BY s.similarity DESC, s.id, s.tenant), '{}'),
               min(s.plan)
          INTO v_vid, v_vsim, v_vtenant, v_vplan
          FROM (SELECT h.id, h.similarity, h.plan, t.tenant
                  FROM unnest(v_tenants) AS t(tenant),
                       LATERAL cogdb.search_tenant(t.tenant, query_vector, v_cand, v_model,
                                                   only_conversation, only_source,
                                                   only_context_type, tags_any, created_after,
                                                   created_before, only_owner, only_visibility,
                                                   ef_search, metadata_filter) h
                 ORDER BY h.similarity DESC, h.id, t.tenant
                 LIMIT v_cand) s;
    END IF;

    RETURN QUERY
    WITH text_hits AS (
        SELECT u.kind, u.tenant, u.id, u.rank
          FROM unnest(v_tkind, v_ttenant, v_tid, v_trank) AS u(kind, tenant, id, rank)
         WHERE (u.kind = 'memory'
                AND (NOT v_filtered OR u.tenant::text || '/' || u.id = ANY (v_keep))
                AND EXISTS (SELECT FROM cogdb.memories m
                             WHERE m.tenant_id = u.tenant AND m.id = u.id
                               AND (m.expires_at IS NULL OR m.expires_at > now())))
            OR (u.kind = 'entity' AND v_entities
                AND EXISTS (SELECT FROM cogdb.entities e
                             WHERE e.tenant_id = u.tenant AND e.id = u.id
                               AND e.merged_into IS NULL
                               AND (only_owner IS NULL OR e.owner_user_id = only_owner)
                               AND (only_visibility IS NULL OR e.visibility = only_visibility)
                               AND (created_after IS NULL OR e.first_seen >= created_after)
                               AND (created_before IS NULL OR e.first_seen < created_before)))
    ), text_ranked AS (
        SELECT t.kind, t.tenant, t.id, t.rank,
               row_number() OVER (ORDER BY t.rank DESC, t.kind, t.id, t.tenant) AS pos
          FROM text_hits t
         ORDER BY t.rank DESC, t.kind, t.id, t.tenant
         LIMIT v_cand
    ), vector_hits AS (
        SELECT 'memory' AS kind, u.tenant, u.id, u.similarity
          FROM unnest(v_vid, v_vsim, v_vtenant) AS u(id, similarity, tenant)
        UNION ALL
        (SELECT 'entity', e.tenant_id, e.id, 1 - (e.embedding OPERATOR(public.<=>) query_vector)
           FROM cogdb.entities e
          WHERE v_use_vector AND v_entities AND e.tenant_id = ANY (v_tenants)
            AND e.model = v_model AND e.embedding IS NOT NULL
            AND e.merged_into IS NULL
            AND (only_owner IS NULL OR e.owner_user_id = only_owner)
            AND (only_visibility IS NULL OR e.visibility = only_visibility)
            AND (created_after IS NULL OR e.first_seen >= created_after)
            AND (created_before IS NULL OR e.first_seen < created_before)
          ORDER BY e.embedding OPERATOR(public.<=>) query_vector, e.id, e.tenant_id
          LIMIT v_cand)
    ), vector_ranked AS (
        SELECT v.kind, v.tenant, v.id, v.similarity,
               row_number() OVER (ORDER BY v.similarity DESC, v.kind, v.id, v.tenant) AS pos
          FROM vector_hits v
    ), fused AS (
        SELECT coalesce(t.kind, v.kind) AS kind, coalesce(t.tenant, v.tenant) AS tenant,
               coalesce(t.id, v.id) AS id,
               coalesce(text_weight / (rrf_k + t.pos), 0)
               + coalesce(vector_weight / (rrf_k + v.pos), 0) AS score,
               t.pos AS tpos, v.pos AS vpos, v.similarity, t.rank
          FROM text_ranked t
          FULL JOIN vector_ranked v ON v.kind = t.kind AND v.tenant = t.tenant AND v.id = t.id
         ORDER BY 4 DESC, 1, 3, 2
         LIMIT k
    ), found AS MATERIALIZED (
        -- Joined back through the policies of memories and entities: only visible rows return.
        SELECT f.kind, f.id, f.score, f.tpos::integer AS tpos, f.vpos::integer AS vpos,
               f.similarity, f.rank, e.name, e.entity_type, m.conversation_id,
               m.human_content, m.assistant_content, m.summary, m.context_type, m.source,
               coalesce(m.created_at, e.first_seen) AS created_at,
               coalesce(m.visibility, e.visibility) AS visibility,
               coalesce(m.owner_user_id, e.owner_user_id) AS owner_user_id,
               m.tags, m.metadata, v_plan || coalesce(':' || v_vplan, '') AS plan, f.tenant
          FROM fused f
          LEFT JOIN cogdb.memories m
                 ON f.kind = 'memory' AND m.tenant_id = f.tenant AND m.id = f.id
          LEFT JOIN cogdb.entities e
                 ON f.kind = 'entity' AND e.tenant_id = f.tenant AND e.id = f.id
         WHERE m.id IS NOT NULL OR e.id IS NOT NULL
    ), noted AS (
        SELECT cogdb.note_shared_read(x.tenant, 'hybrid_search',
                                      (count(*) FILTER (WHERE x.kind = 'memory'))::integer,
                                      (count(*) FILTER (WHERE x.kind = 'entity'))::integer)
          FROM found x WHERE v_asked AND x.tenant <> v_tenant GROUP BY x.tenant
    )
    SELECT x.* FROM found x
     WHERE (SELECT count(*) FROM noted) >= 0
     ORDER BY x.score DESC, x.kind, x.id, x.tenant;
    IF v_asked THEN
        PERFORM cogdb.share_request(false);
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.hybrid_search(text, public.vector, integer, text, text, text, text, text[], timestamptz, timestamptz, uuid, text, integer, jsonb, integer, double precision, double precision, integer, boolean, boolean) IS
    'Full-text and vector ranking fused by reciprocal rank fusion over the memories, entity names and observations the caller may see, labelled with their tenant; include_shared adds what live grants share with the caller.';
-- <<< sql/functions/knowledge/hybrid_search.sql

-- >>> sql/functions/governance/policy_report.sql
-- The DBA report: one row per finding, none when the deployment is as docs/trust-model.md
-- describes it. `cogdb audit policies` prints it and exits non-zero on any row. Checks:
--   rls_not_forced       a table of schema cogdb without row security enabled and forced
--                        (partitions of cogdb.memories are fenced by their parent's policies;
--                        global registries are on policy_report_allowlist());
--   no_tenant_fence      a table without the RESTRICTIVE policy for all commands and roles
--                        `tenant_id = (SELECT cogdb.current_tenant_id())` (allowlist: exempt;
--                        memories: tenant_id among cogdb.readable_tenants() AND (that
--                        comparison OR its live read grants, cogdb.grant_covers),
--                        for reads only — WITH CHECK stays the comparison; the grants
--                        themselves are listed by cogdb.share_report(), not findings;
--                        relationships: the same, for another tenant's tenant-visible
--                        memory-to-memory relationships whose memories the caller reads;
--                        entities: the same with cogdb.entity_grant_covers;
--                        entity_observations: the same, for another tenant's observations
--                        whose entity the caller reads in that tenant);
--   definer_search_path  a SECURITY DEFINER function of schema cogdb without a pinned
--                        search_path ending in pg_temp (docs/conventions.md rule 2);
--   definer_public_execute  a SECURITY DEFINER function that PUBLIC may execute;
--   app_login_privileged a login that is a member of cogdb_app (directly or through other
--                        roles) and is superuser, BYPASSRLS or a member of cogdb_owner: RLS
--                        would not apply to it;
--   app_login_timeouts   a login member of cogdb_app without lock_timeout or
--                        idle_in_transaction_session_timeout (ALTER ROLE … SET, for this
--                        database or all; 0 counts as unset): it could stall every tenant
--                        behind a lock (docs/trust-model.md, Known limits);
--   public_database_access  CONNECT or TEMPORARY on the current database granted to PUBLIC
--                        (PostgreSQL's default on a new database);
--   policy_per_row_helper a policy of schema cogdb that calls a context helper
--                        (current_tenant_id, current_user_id, context_stamp,
--                        retention_horizon, retention_cutoffs) or reads app.* settings per row, not once per
--                        query inside a sub-select (an InitPlan; docs/conventions.md rule 3).
-- Invoker: it reads only catalogs that every login may read, so the auditor runs it as itself.
CREATE OR REPLACE FUNCTION cogdb.policy_report()
    RETURNS TABLE (finding text, object text, detail text, hint text)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH RECURSIVE
    allow AS (SELECT * FROM cogdb.policy_report_allowlist()),
    tabs AS (
        SELECT c.oid, c.relname::text AS relname, c.relrowsecurity, c.relforcerowsecurity
          FROM pg_class c
         WHERE c.relnamespace = 'cogdb'::regnamespace AND c.relkind IN ('r', 'p')
           AND NOT EXISTS (SELECT FROM pg_inherits i
                            WHERE i.inhrelid = c.oid
                              AND i.inhparent = 'cogdb.memories'::regclass)),
    -- every (member, role) pair of pg_auth_members, transitively
    membership(member, roleid) AS (
        SELECT a.member, a.roleid FROM pg_auth_members a
        UNION
        SELECT a.member, m.roleid FROM pg_auth_members a JOIN membership m ON m.member = a.roleid),
    app_logins AS (
        SELECT r.oid, r.rolname::text AS rolname, r.rolsuper, r.rolbypassrls,
               EXISTS (SELECT FROM membership m WHERE m.member = r.oid
                          AND m.roleid = 'cogdb_owner'::regrole) AS owner_member
          FROM pg_roles r
         WHERE r.rolcanlogin
           AND EXISTS (SELECT FROM membership m WHERE m.member = r.oid
                          AND m.roleid = 'cogdb_app'::regrole)),
    login_settings AS (
        SELECT l.oid, split_part(cfg, '=', 1) AS name, substr(cfg, strpos(cfg, '=') + 1) AS value
          FROM app_logins l
          JOIN pg_db_role_setting s
            ON s.setrole IN (l.oid, 0)
           AND s.setdatabase IN (0, (SELECT d.oid FROM pg_database d
                                      WHERE d.datname = current_database()))
          CROSS JOIN LATERAL unnest(s.setconfig) cfg),
    definers AS (
        SELECT p.oid, p.oid::regprocedure::text AS signature, p.proacl,
               (SELECT substr(cfg, 13) FROM unnest(p.proconfig) cfg
                 WHERE cfg LIKE 'search_path=%') AS search_path
          FROM pg_proc p
         WHERE p.pronamespace = 'cogdb'::regnamespace AND p.prosecdef),
    helpers(pattern) AS (
        VALUES ('(current_tenant_id|current_user_id|context_stamp|retention_cutoffs|retention_horizon)\(|current_setting\(''app\.')),
    policies AS (
        SELECT p.tablename::text || '.' || p.policyname::text AS name,
               -- the helpers read once per query: ( SELECT cogdb.h() AS h), removed
               regexp_replace(coalesce(p.qual, '') || ' ' || coalesce(p.with_check, ''),
                              '\( SELECT cogdb\.(current_tenant_id|current_user_id|context_stamp|retention_cutoffs|retention_horizon)\(\) AS \1\)',
                              '', 'g') AS rest
          FROM pg_policies p WHERE p.schemaname = 'cogdb')
    SELECT 'rls_not_forced', 'cogdb.' || t.relname,
           CASE WHEN NOT t.relrowsecurity THEN 'row level security is not enabled'
                ELSE 'row level security is enabled but not forced (the owner bypasses it)' END,
           format('ALTER TABLE cogdb.%I ENABLE ROW LEVEL SECURITY; ALTER TABLE cogdb.%I FORCE ROW LEVEL SECURITY;',
                  t.relname, t.relname)
      FROM tabs t
     WHERE NOT (t.relrowsecurity AND t.relforcerowsecurity)
       AND NOT EXISTS (SELECT FROM allow a WHERE a.table_name = t.relname AND a.exempt = 'rls')
    UNION ALL
    SELECT 'no_tenant_fence', 'cogdb.' || t.relname,
           'no RESTRICTIVE policy FOR ALL TO PUBLIC USING (tenant_id = (SELECT cogdb.current_tenant_id()))',
           format('CREATE POLICY %I ON cogdb.%I AS RESTRICTIVE FOR ALL TO PUBLIC USING (tenant_id = (SELECT cogdb.current_tenant_id())) WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id())); or list it in cogdb.policy_report_allowlist() with the reason',
                  t.relname || '__tenant_fence', t.relname)
      FROM tabs t
     WHERE NOT EXISTS (SELECT FROM allow a WHERE a.table_name = t.relname)
       AND NOT EXISTS (
           SELECT FROM pg_policies p
            WHERE p.schemaname = 'cogdb' AND p.tablename = t.relname
              AND p.permissive = 'RESTRICTIVE' AND p.cmd = 'ALL' AND p.roles = '{public}'
              AND (p.qual = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   AND (p.with_check IS NULL OR p.with_check = p.qual)
                   -- memories: the fence widened by live read grants (sharing), never for
                   -- writes; every live grant is listed by cogdb.share_report()
                   OR t.relname = 'memories'
                   AND p.qual = '((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR cogdb.grant_covers((( SELECT cogdb.live_grants() AS live_grants) -> (tenant_id)::text), visibility, id, context_type, tags, created_at, anonymised_at)))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- relationships: widened the same way for the memory-to-memory
                   -- relationships of a tenant that shares both memories (traversal)
                   OR t.relname = 'relationships'
                   AND p.qual = E'((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR ((visibility = \'tenant\'::text) AND (from_entity_id IS NULL) AND (to_entity_id IS NULL) AND (EXISTS ( SELECT\n   FROM cogdb.memories m\n  WHERE ((m.tenant_id = relationships.tenant_id) AND (m.id = relationships.from_memory_id)))) AND (EXISTS ( SELECT\n   FROM cogdb.memories m\n  WHERE ((m.tenant_id = relationships.tenant_id) AND (m.id = relationships.to_memory_id)))))))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- entities: widened by the entity criteria of live read grants
                   OR t.relname = 'entities'
                   AND p.qual = '((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR cogdb.entity_grant_covers((( SELECT cogdb.live_grants() AS live_grants) -> (tenant_id)::text), visibility, id, entity_type)))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'
                   -- entity_observations: another tenant's, when the caller reads its entity there
                   OR t.relname = 'entity_observations'
                   AND p.qual = E'((tenant_id = ANY (( SELECT cogdb.readable_tenants() AS readable_tenants)::uuid[])) AND ((tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id)) OR (EXISTS ( SELECT\n   FROM cogdb.entities e\n  WHERE ((e.tenant_id = entity_observations.tenant_id) AND (e.id = entity_observations.entity_id))\n OFFSET 0))))'
                   AND p.with_check = '(tenant_id = ( SELECT cogdb.current_tenant_id() AS current_tenant_id))'))
    UNION ALL
    SELECT 'definer_search_path', d.signature,
           coalesce('search_path is ' || d.search_path, 'search_path is not set'),
           format('ALTER FUNCTION %s SET search_path = pg_catalog, pg_temp;', d.signature)
      FROM definers d
     WHERE d.search_path IS NULL
        OR btrim((string_to_array(d.search_path, ','))[cardinality(string_to_array(d.search_path, ','))], ' "') <> 'pg_temp'
    UNION ALL
    SELECT 'definer_public_execute', d.signature,
           'PUBLIC may execute this SECURITY DEFINER function',
           format('REVOKE ALL ON FUNCTION %s FROM PUBLIC; then GRANT EXECUTE to the roles that need it', d.signature)
      FROM definers d
     WHERE d.proacl IS NULL
        OR EXISTS (SELECT FROM aclexplode(d.proacl) x
                    WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE')
    UNION ALL
    SELECT 'app_login_privileged', l.rolname,
           'member of cogdb_app and ' || concat_ws(', ',
               CASE WHEN l.rolsuper THEN 'superuser' END,
               CASE WHEN l.rolbypassrls THEN 'BYPASSRLS' END,
               CASE WHEN l.owner_member THEN 'a member of cogdb_owner' END)
               || ': row level security does not apply to it',
           format('Use a separate login for the app: ALTER ROLE %I NOSUPERUSER NOBYPASSRLS; REVOKE cogdb_owner FROM %I;',
                  l.rolname, l.rolname)
      FROM app_logins l
     WHERE l.rolsuper OR l.rolbypassrls OR l.owner_member
    UNION ALL
    SELECT 'app_login_timeouts', l.rolname,
           'member of cogdb_app without ' || concat_ws(' and ',
               CASE WHEN NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                                        AND s.name = 'lock_timeout' AND s.value NOT IN ('0', ''))
                    THEN 'lock_timeout' END,
               CASE WHEN NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                                        AND s.name = 'idle_in_transaction_session_timeout'
                                        AND s.value NOT IN ('0', ''))
                    THEN 'idle_in_transaction_session_timeout' END),
           format('ALTER ROLE %I SET lock_timeout = ''5s''; ALTER ROLE %I SET idle_in_transaction_session_timeout = ''60s'';',
                  l.rolname, l.rolname)
      FROM app_logins l
     WHERE NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                          AND s.name = 'lock_timeout' AND s.value NOT IN ('0', ''))
        OR NOT EXISTS (SELECT FROM login_settings s WHERE s.oid = l.oid
                          AND s.name = 'idle_in_transaction_session_timeout'
                          AND s.value NOT IN ('0', ''))
    UNION ALL
    SELECT 'public_database_access', 'database ' || d.datname::text,
           'PUBLIC has ' || string_agg(x.privilege_type, ' and ' ORDER BY x.privilege_type)
               || ' on the database',
           format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC; GRANT CONNECT ON DATABASE %I TO cogdb_app, cogdb_admin, cogdb_auditor; GRANT TEMPORARY ON DATABASE %I TO cogdb_app, cogdb_owner;',
                  d.datname, d.datname, d.datname)
      FROM pg_database d
      CROSS JOIN LATERAL aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) x
     WHERE d.datname = current_database() AND x.grantee = 0
       AND x.privilege_type IN ('CONNECT', 'TEMPORARY')
     GROUP BY d.datname
    UNION ALL
    SELECT 'policy_per_row_helper', 'policy ' || p.name,
           'calls a context helper (or reads app.* settings) per row, outside a sub-select',
           'Wrap the helper in a sub-select, (SELECT cogdb.current_tenant_id()), so it is an InitPlan read once per query'
      FROM policies p
     WHERE p.rest ~ (SELECT h.pattern FROM helpers h)
    ORDER BY 1, 2
$$;

REVOKE ALL ON FUNCTION cogdb.policy_report() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.policy_report() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report() IS
    'The DBA report: one row per finding (tables without forced RLS or a tenant fence, definer functions without a pinned search_path or executable by PUBLIC, privileged or timeout-less app logins, PUBLIC access to the database, policies that read the context per row); none when all is well.';
-- <<< sql/functions/governance/policy_report.sql

RESET ROLE;
