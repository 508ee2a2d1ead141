-- cogdb revision 0012 (audit): written by `python -m tools.freeze 0012` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> sql/functions/audit/audit_refuse_change.sql
-- Trigger (BEFORE UPDATE OR DELETE, row; BEFORE TRUNCATE, statement; on audit_records and
-- audit_seals): the audit trail is append-only for every role, the owner and superusers
-- included (no other role has any privilege on these tables to begin with). Refuses with
-- CGA04. Nothing is exempt, not even a tenant's deletion: its chain stays. A superuser can
-- still disable this trigger (or skip triggers with session_replication_role); what they then
-- change, cogdb.audit_verify reports.
CREATE OR REPLACE FUNCTION cogdb.audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % of % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'CGA04',
              HINT = 'Audit records and seals are never changed or deleted; record a '
                     'correction with cogdb.audit_note(action, details).';
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_refuse_change() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_refuse_change() IS
    'Trigger on audit_records and audit_seals: refuses UPDATE, DELETE and TRUNCATE for every role (append-only).';
-- <<< sql/functions/audit/audit_refuse_change.sql

-- >>> sql/tables/audit_records.sql
-- The audit trail: one record per audited statement (and per note), per tenant, numbered
-- 1, 2, 3, … and hash-chained: each record carries the hash of the one before it
-- (prev_hash; 32 zero bytes for the first) and its own hash over all of its fields
-- (cogdb.audit_record_hash). The statement trigger cogdb.audit_rows and cogdb.audit_note
-- queue records in cogdb.audit_pending; at commit cogdb.audit_flush appends them here
-- (cogdb.audit_append), serialised per tenant by the row lock on the tenant's
-- cogdb.audit_heads row, so the chain is in commit order and never forks.
--
-- Never content: the row keys, the names of the changed columns (updates), how many rows, and
-- content_hash, a SHA-256 over the new rows (sha256 of each row's binary form, in key order;
-- NULL for deletes). An erasure therefore leaves no content behind here.
--
-- Append-only for every role, the owner included (trigger cogdb.audit_refuse_change; no
-- grants at all: the auditor reads through cogdb.audit_log and cogdb.audit_verify). No foreign
-- key to cogdb.tenants: a deleted tenant's chain stays, ending with the record of its deletion.
CREATE TABLE cogdb.audit_records (
    tenant_id       uuid NOT NULL,
    seq             bigint NOT NULL CHECK (seq >= 1),
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- session_user: the login that connected (a definer function does not change it)
    login           text NOT NULL,
    -- the context's user (cogdb.current_user_id()) when the write happened, if any
    context_user    uuid,
    -- INSERT, UPDATE or DELETE of table_name's rows; NOTE for cogdb.audit_note (action, details)
    operation       text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'NOTE')),
    table_name      text,
    action          text CHECK (length(action) <= 64),
    row_count       integer NOT NULL DEFAULT 0 CHECK (row_count >= 0),
    row_keys        text[],
    changed_columns text[],
    content_hash    bytea,
    details         jsonb,
    prev_hash       bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash            bytea NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (tenant_id, seq),
    CONSTRAINT audit_records_kind_check CHECK (
        (operation = 'NOTE') = (action IS NOT NULL AND table_name IS NULL))
);
-- `cogdb audit log --since`: a tenant's records by time.
CREATE INDEX audit_records_tenant_recorded_idx ON cogdb.audit_records (tenant_id, recorded_at);
-- No value statistics: the planner's estimates are visible through EXPLAIN to every login.
ALTER TABLE cogdb.audit_records ALTER COLUMN row_keys SET STATISTICS 0;
ALTER TABLE cogdb.audit_records ALTER COLUMN details SET STATISTICS 0;
CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON cogdb.audit_records
    FOR EACH ROW EXECUTE FUNCTION cogdb.audit_refuse_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON cogdb.audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_refuse_change();
ALTER TABLE cogdb.audit_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.audit_records FORCE ROW LEVEL SECURITY;
REVOKE ALL ON cogdb.audit_records FROM PUBLIC;
COMMENT ON TABLE cogdb.audit_records IS
    'The tamper-evident audit trail: one hash-chained record per audited statement or note, per tenant; row keys, changed column names and content hashes, never content. Append-only for every role; fenced by tenant (RLS).';
-- <<< sql/tables/audit_records.sql

-- >>> sql/tables/audit_heads.sql
-- The head of each tenant's audit chain: how many records it has and the last one's hash.
-- cogdb.audit_append locks the tenant's row (FOR UPDATE) before it appends, at commit
-- (cogdb.audit_flush), which serialises a tenant's audited commits (other tenants never
-- wait): the next writer reads the head its predecessor committed, so the chain never forks. Under REPEATABLE READ
-- or SERIALIZABLE a concurrent append is a serialization failure (retry), never a fork.
-- Owner-only, like memory_counts: written and read by the audit definer functions only,
-- which name the tenant; no other role has any privilege on it. verify compares it with the
-- chain, so records appended or cut off behind the trigger's back show.
CREATE TABLE cogdb.audit_heads (
    tenant_id   uuid PRIMARY KEY,
    seq         bigint NOT NULL CHECK (seq >= 0),
    hash        bytea NOT NULL CHECK (length(hash) = 32),
    updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
ALTER TABLE cogdb.audit_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.audit_heads FORCE ROW LEVEL SECURITY;
REVOKE ALL ON cogdb.audit_heads FROM PUBLIC;
COMMENT ON TABLE cogdb.audit_heads IS
    'The head (record count and last hash) of each tenant''s audit chain; its row lock serialises a tenant''s audited writers. Owner-only.';
-- <<< sql/tables/audit_heads.sql

-- >>> sql/tables/audit_seals.sql
-- Seals anchor a tenant's audit chain: at sealing time, how many records it had (seq) and
-- the hash of the last one (head_hash). Written by cogdb.audit_seal (`cogdb audit seal`,
-- `cogdb maintain`); cogdb.audit_verify checks that the record at each sealed seq still
-- exists and still has the sealed hash, so cutting off the newest records, or rewriting a
-- record and recomputing the hashes after it, is reported. Seals are append-only like the
-- records. A superuser can rewrite
-- seals too: copy the head hashes out of the database for an anchor one cannot.
CREATE TABLE cogdb.audit_seals (
    tenant_id      uuid NOT NULL,
    seq            bigint NOT NULL CHECK (seq >= 0),
    head_hash      bytea NOT NULL CHECK (length(head_hash) = 32),
    sealed_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    sealed_by      text NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON cogdb.audit_seals
    FOR EACH ROW EXECUTE FUNCTION cogdb.audit_refuse_change();
CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON cogdb.audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_refuse_change();
ALTER TABLE cogdb.audit_seals ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.audit_seals FORCE ROW LEVEL SECURITY;
REVOKE ALL ON cogdb.audit_seals FROM PUBLIC;
COMMENT ON TABLE cogdb.audit_seals IS
    'Seals of each tenant''s audit chain (record count and head hash at sealing time), which audit_verify checks; append-only; fenced by tenant (RLS).';
-- <<< sql/tables/audit_seals.sql

-- >>> sql/functions/audit/audit_flush.sql
-- Deferred constraint trigger (AFTER INSERT on audit_pending, row, INITIALLY DEFERRED): at
-- commit, moves the committing transaction's pending audit records into their tenants'
-- chains (cogdb.audit_append), tenant by tenant in id order (so two transactions that wrote
-- to the same tenants lock their heads in the same order), each tenant's in statement order.
-- The first firing moves them all; the others find nothing. A transaction that runs
-- `SET CONSTRAINTS ALL IMMEDIATE` chains at that statement instead, and holds its tenants'
-- heads from then on. Definer: the app has no privilege on the audit tables.
CREATE OR REPLACE FUNCTION cogdb.audit_flush() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p record;
BEGIN
    FOR p IN WITH moved AS (
                 DELETE FROM cogdb.audit_pending ap WHERE ap.xact = pg_current_xact_id()
                 RETURNING ap.*)
             SELECT * FROM moved ORDER BY moved.tenant_id, moved.ord
    LOOP
        PERFORM cogdb.audit_append(p.tenant_id, p.recorded_at, p.login, p.context_user,
                                   p.operation, p.table_name, p.action, p.row_count,
                                   p.row_keys, p.changed_columns, p.content_hash, p.details);
    END LOOP;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_flush() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_flush() IS
    'Deferred trigger on audit_pending: at commit, appends the transaction''s pending audit records to their tenants'' hash chains.';
-- <<< sql/functions/audit/audit_flush.sql

-- >>> sql/tables/audit_pending.sql
-- Audit records of the transactions in flight, before they join their tenant's chain. The
-- statement trigger cogdb.audit_rows (and cogdb.audit_note) write here, with everything but
-- the chain fields (seq, prev_hash, hash): when, who, what, the keys, the content hash. At
-- commit, the deferred constraint trigger audit_pending_flush (cogdb.audit_flush) moves the
-- transaction's rows into cogdb.audit_records, in statement order, under the lock of each
-- tenant's chain head: a tenant's writers queue only for the moment of their commit, not
-- from their first write, and a rolled-back transaction leaves nothing. Rows never outlive
-- their transaction: the table is empty for every other reader. Owner-only, like
-- memory_counts: no other role has any privilege on it.
CREATE TABLE cogdb.audit_pending (
    tenant_id       uuid NOT NULL,
    -- the writing transaction and the order of its records
    xact            xid8 NOT NULL DEFAULT pg_current_xact_id(),
    ord             integer NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    login           text NOT NULL DEFAULT session_user,
    context_user    uuid,
    operation       text NOT NULL,
    table_name      text,
    action          text,
    row_count       integer NOT NULL DEFAULT 0,
    row_keys        text[],
    changed_columns text[],
    content_hash    bytea,
    details         jsonb,
    PRIMARY KEY (tenant_id, xact, ord)
);
CREATE INDEX audit_pending_xact_idx ON cogdb.audit_pending (xact, ord);
CREATE CONSTRAINT TRIGGER audit_pending_flush AFTER INSERT ON cogdb.audit_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION cogdb.audit_flush();
ALTER TABLE cogdb.audit_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.audit_pending FORCE ROW LEVEL SECURITY;
REVOKE ALL ON cogdb.audit_pending FROM PUBLIC;
COMMENT ON TABLE cogdb.audit_pending IS
    'Audit records of transactions in flight, moved into their tenants'' chains at commit (cogdb.audit_flush); owner-only.';
-- <<< sql/tables/audit_pending.sql

-- >>> sql/policies/audit_records__tenant_fence.sql
-- The tenant fence on audit_records: the audit definer functions act inside one tenant's context
-- (enter_tenant) and see and write only its rows; their reads rely on this fence.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS audit_records__tenant_fence ON cogdb.audit_records;
CREATE POLICY audit_records__tenant_fence ON cogdb.audit_records
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/audit_records__tenant_fence.sql

-- >>> sql/policies/audit_records__owner_access.sql
-- Inside the fence, only the owner (the audit definer functions) reads and appends; no other
-- role has any privilege on audit_records either. Never widens the fence: it is restrictive.
DROP POLICY IF EXISTS audit_records__owner_access ON cogdb.audit_records;
CREATE POLICY audit_records__owner_access ON cogdb.audit_records
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/audit_records__owner_access.sql

-- >>> sql/policies/audit_seals__tenant_fence.sql
-- The tenant fence on audit_seals: the audit definer functions act inside one tenant's context
-- (enter_tenant) and see and write only its rows; their reads rely on this fence.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS audit_seals__tenant_fence ON cogdb.audit_seals;
CREATE POLICY audit_seals__tenant_fence ON cogdb.audit_seals
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/audit_seals__tenant_fence.sql

-- >>> sql/policies/audit_seals__owner_access.sql
-- Inside the fence, only the owner (the audit definer functions) reads and appends; no other
-- role has any privilege on audit_seals either. Never widens the fence: it is restrictive.
DROP POLICY IF EXISTS audit_seals__owner_access ON cogdb.audit_seals;
CREATE POLICY audit_seals__owner_access ON cogdb.audit_seals
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/audit_seals__owner_access.sql

-- >>> sql/policies/audit_heads__registry_owner.sql
-- Chain heads are read and written by the owner only (cogdb.audit_append, which names the
-- tenant, and cogdb.audit_verify); no other role has any privilege on the table.
DROP POLICY IF EXISTS audit_heads__registry_owner ON cogdb.audit_heads;
CREATE POLICY audit_heads__registry_owner ON cogdb.audit_heads
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/audit_heads__registry_owner.sql

-- >>> sql/policies/audit_pending__registry_owner.sql
-- Records in flight are written and moved by the owner only (cogdb.audit_rows,
-- cogdb.audit_note, cogdb.audit_flush); no other role has any privilege on the table.
DROP POLICY IF EXISTS audit_pending__registry_owner ON cogdb.audit_pending;
CREATE POLICY audit_pending__registry_owner ON cogdb.audit_pending
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/audit_pending__registry_owner.sql

-- >>> sql/functions/audit/audit_record_hash.sql
-- The hash of an audit record: SHA-256 over every field but the hash itself, prev_hash
-- included, so each record vouches for the whole chain before it. Each field is rendered by
-- quote_nullable (NULL and '' differ) and the timestamp as epoch seconds (independent of
-- TimeZone and DateStyle); fields are joined by '|'. cogdb.audit_append computes it when it
-- appends, cogdb.audit_verify recomputes it. Owner-only, like the records.
CREATE OR REPLACE FUNCTION cogdb.audit_record_hash(r cogdb.audit_records) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.concat_ws('|',
        'cogdb-audit-v1', quote_nullable(r.tenant_id), quote_nullable(r.seq),
        quote_nullable(extract(epoch FROM r.recorded_at)), quote_nullable(r.login),
        quote_nullable(r.context_user), quote_nullable(r.operation),
        quote_nullable(r.table_name), quote_nullable(r.action), quote_nullable(r.row_count),
        quote_nullable(r.row_keys), quote_nullable(r.changed_columns),
        quote_nullable(encode(r.content_hash, 'hex')), quote_nullable(r.details),
        quote_nullable(encode(r.prev_hash, 'hex'))), 'UTF8'))
$$;

REVOKE ALL ON FUNCTION cogdb.audit_record_hash(cogdb.audit_records) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_record_hash(cogdb.audit_records) IS
    'SHA-256 over every field of an audit record but its own hash (prev_hash included): what chains the records.';
-- <<< sql/functions/audit/audit_record_hash.sql

-- >>> sql/functions/audit/audit_append.sql
-- Appends one record to a tenant's audit chain and returns its number. Locks the tenant's
-- chain head (cogdb.audit_heads, created at the first record) FOR UPDATE until the caller's
-- transaction ends; called at commit (cogdb.audit_flush), so a tenant's audited writers
-- queue only for their commits: each reads the head the previous one committed and the
-- chain never forks (other tenants never wait). Enters the tenant's context for its own
-- statements when the caller's is another tenant's or none (the fence on audit_records).
-- recorded_at, login and context_user are what cogdb.audit_pend captured at the write.
-- Internal: called by cogdb.audit_flush, which runs as the owner; no other grants.
CREATE OR REPLACE FUNCTION cogdb.audit_append(tenant_id uuid, recorded_at timestamptz,
                                              login text, context_user uuid, operation text,
                                              table_name text, action text, row_count integer,
                                              row_keys text[], changed_columns text[],
                                              content_hash bytea, details jsonb)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_enter boolean := cogdb.current_tenant_id() IS DISTINCT FROM tenant_id;
    v_caller text[];
    v_seq bigint;
    v_prev bytea;
    v_rec cogdb.audit_records;
BEGIN
    IF v_enter THEN
        v_caller := cogdb.enter_tenant(tenant_id, NULL);
    END IF;
    SELECT h.seq, h.hash INTO v_seq, v_prev
      FROM cogdb.audit_heads h WHERE h.tenant_id = tenant_id FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO cogdb.audit_heads AS h (tenant_id, seq, hash)
        VALUES (tenant_id, 0, decode(repeat('00', 32), 'hex'))
        ON CONFLICT ON CONSTRAINT audit_heads_pkey DO NOTHING;
        SELECT h.seq, h.hash INTO v_seq, v_prev
          FROM cogdb.audit_heads h WHERE h.tenant_id = tenant_id FOR UPDATE;
    END IF;
    v_rec := ROW(tenant_id, v_seq + 1, recorded_at, login, context_user, operation,
                 table_name, action, row_count, row_keys, changed_columns, content_hash,
                 details, v_prev, NULL)::cogdb.audit_records;
    v_rec.hash := cogdb.audit_record_hash(v_rec);
    INSERT INTO cogdb.audit_records SELECT v_rec.*;
    UPDATE cogdb.audit_heads h SET seq = v_rec.seq, hash = v_rec.hash, updated_at = v_rec.recorded_at
     WHERE h.tenant_id = tenant_id;
    IF v_enter THEN
        PERFORM cogdb.restore_context(v_caller);
    END IF;
    RETURN v_rec.seq;
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_append(uuid, timestamptz, text, uuid, text, text, text, integer, text[], text[], bytea, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_append(uuid, timestamptz, text, uuid, text, text, text, integer, text[], text[], bytea, jsonb) IS
    'Appends one record to a tenant''s hash-chained audit trail under the lock of its chain head; internal (audit_rows, audit_note).';
-- <<< sql/functions/audit/audit_append.sql

-- >>> sql/functions/audit/audit_pend.sql
-- Queues one audit record of the current transaction for its tenant (cogdb.audit_pending),
-- numbered after the transaction's earlier ones; cogdb.audit_flush appends it to the chain
-- at commit. Captures now what the record says about the write: when (clock_timestamp),
-- session_user and the context's user. Internal: called by cogdb.audit_rows and
-- cogdb.audit_note, which run as the owner; no other grants.
CREATE OR REPLACE FUNCTION cogdb.audit_pend(tenant_id uuid, operation text, table_name text,
                                            action text, row_count integer, row_keys text[],
                                            changed_columns text[], content_hash bytea,
                                            details jsonb)
    RETURNS void
    LANGUAGE sql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO cogdb.audit_pending (tenant_id, ord, context_user, operation, table_name,
                                     action, row_count, row_keys, changed_columns,
                                     content_hash, details)
    SELECT audit_pend.tenant_id,
           (SELECT count(*) + 1 FROM cogdb.audit_pending ap
             WHERE ap.xact = pg_current_xact_id()),
           cogdb.current_user_id(), audit_pend.operation, audit_pend.table_name,
           audit_pend.action, audit_pend.row_count, audit_pend.row_keys,
           audit_pend.changed_columns, audit_pend.content_hash, audit_pend.details
$$;

REVOKE ALL ON FUNCTION cogdb.audit_pend(uuid, text, text, text, integer, text[], text[], bytea, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_pend(uuid, text, text, text, integer, text[], text[], bytea, jsonb) IS
    'Queues one audit record of the current transaction (audit_pending); audit_flush chains it at commit. Internal.';
-- <<< sql/functions/audit/audit_pend.sql

-- >>> sql/functions/audit/audit_rows.sql
-- Statement trigger (AFTER INSERT, UPDATE or DELETE, with its transition table) on every
-- tenant table: appends one audit record per tenant the statement wrote, not one per row
-- (remember_many writes thousands of rows in one statement). The record holds the row keys,
-- the row count, for an UPDATE the names of the columns that changed in any row (compared as
-- JSON, old against new, joined on the key), and for INSERT and UPDATE content_hash: SHA-256
-- over the SHA-256 of each new row's binary form (record_send), in key order. Never content.
-- The record is queued (cogdb.audit_pend) and joins the tenant's chain at commit
-- (cogdb.audit_flush): a rolled-back write leaves no record.
-- Arguments: TG_ARGV[0] the key as an SQL expression over the row `r` (e.g. 'r.id::text');
-- TG_ARGV[1] the tenant (default 'r.tenant_id'). Rows of a tenant that no longer exists are
-- a tenant's deletion cascading: its record is the one on cogdb.tenants, nothing else is
-- appended. Definer: the app has no privilege on the audit tables.
CREATE OR REPLACE FUNCTION cogdb.audit_rows() RETURNS trigger
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key text := TG_ARGV[0];
    v_tenant text := coalesce(TG_ARGV[1], 'r.tenant_id');
    v_rows text := CASE TG_OP WHEN 'DELETE' THEN 'old_rows' ELSE 'new_rows' END;
    g record;
BEGIN
    FOR g IN EXECUTE format($q$
        WITH keyed AS (
            SELECT %1$s AS t, %2$s AS k%3$s FROM %4$I r
        ), changed AS (%5$s
        )
        SELECT x.t AS tenant_id, count(*)::integer AS n, array_agg(x.k ORDER BY x.k) AS keys,
               %6$s AS content_hash,
               (SELECT array_agg(DISTINCT c.key ORDER BY c.key) FROM changed c WHERE c.t = x.t)
                   AS changed
          FROM keyed x
         WHERE %7$s
         GROUP BY x.t
         ORDER BY x.t$q$,
        v_tenant, v_key,
        CASE WHEN TG_OP = 'DELETE' THEN '' ELSE ', sha256(record_send(r)) AS h' END,
        v_rows,
        -- only an UPDATE has both tables: the columns that changed in any row
        CASE WHEN TG_OP <> 'UPDATE' THEN 'SELECT NULL::uuid AS t, NULL::text AS key WHERE false'
             ELSE format($c$
            SELECT o.t, e.key
              FROM (SELECT %1$s AS t, %2$s AS k, to_jsonb(r) AS j FROM old_rows r) o
              JOIN (SELECT %1$s AS t, %2$s AS k, to_jsonb(r) AS j FROM new_rows r) n
                ON n.t = o.t AND n.k = o.k
             CROSS JOIN LATERAL jsonb_each(n.j) e
             WHERE o.j -> e.key IS DISTINCT FROM e.value$c$, v_tenant, v_key) END,
        CASE WHEN TG_OP = 'DELETE' THEN 'NULL::bytea'
             ELSE 'sha256(string_agg(x.h, ''''::bytea ORDER BY x.k))' END,
        CASE WHEN TG_TABLE_NAME = 'tenants' THEN 'true'
             ELSE 'EXISTS (SELECT FROM cogdb.tenants tn WHERE tn.id = x.t)' END)
    LOOP
        PERFORM cogdb.audit_pend(g.tenant_id, TG_OP, TG_TABLE_NAME, NULL, g.n, g.keys,
                                 g.changed, g.content_hash, NULL);
    END LOOP;
    RETURN NULL;
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_rows() FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_rows() IS
    'Statement trigger on every tenant table: appends one audit record per tenant and statement (keys, count, changed columns, content hash; never content).';
-- <<< sql/functions/audit/audit_rows.sql

-- >>> sql/functions/audit/audit_note.sql
-- Appends a note to the context tenant's audit chain (at commit, in order with the
-- transaction's other records, like them: cogdb.audit_pend, cogdb.audit_flush): what other
-- layers record beside the row records, e.g. a purge's or an erasure's receipt
-- (`cogdb.audit_note('erase.user', jsonb_build_object('user', u, 'memories', 12))`), an
-- entity merge. `action`: a lower-case dotted name (e.g. 'retention.purge'), at most 64
-- characters; `details`: a JSON object of counts and ids, at most 16 kB — never content, the
-- trail keeps it forever. Needs a tenant context (CGA01): the owner's definer functions call
-- it inside the tenant they act on (enter_tenant). Definer, and granted to no other role: no
-- role writes the audit tables directly.
CREATE OR REPLACE FUNCTION cogdb.audit_note(action text, details jsonb DEFAULT '{}')
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.require_tenant('writing an audit note');
BEGIN
    IF action IS NULL OR length(action) > 64 OR action !~ '^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$' THEN
        RAISE EXCEPTION 'action must be a lower-case dotted name of at most 64 characters, got %',
                        coalesce(quote_literal(left(action, 80)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'action',
                  HINT = 'e.g. ''retention.purge'' or ''erase.user''.';
    END IF;
    IF details IS NULL OR jsonb_typeof(details) <> 'object' OR pg_column_size(details) > 16384 THEN
        RAISE EXCEPTION 'details must be a JSON object of at most 16 kB'
            USING ERRCODE = 'CGV01', COLUMN = 'details',
                  HINT = 'Counts and ids only, e.g. ''{"memories": 12}''; never content.';
    END IF;
    PERFORM cogdb.audit_pend(v_tenant, 'NOTE', NULL, action, 0, NULL, NULL, NULL, details);
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_note(text, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.audit_note(text, jsonb) IS
    'Appends a note (action, details: counts and ids, never content) to the context tenant''s audit chain, e.g. a purge''s or an erasure''s receipt.';
-- <<< sql/functions/audit/audit_note.sql

-- >>> sql/functions/audit/audit_seal.sql
-- Seals the audit chain of one tenant (or of every tenant with a chain): records its current
-- head (record count and last hash) in cogdb.audit_seals, unless that head is sealed
-- already. Returns one row per tenant: the sealed count and head hash (hex; copy it out of the
-- database for an anchor that a superuser cannot rewrite) and whether a new seal was written.
-- Reads each head as committed (the statement's snapshot sees a head and the records it
-- counts together), so it waits for no writer. Run by `cogdb maintain` and `cogdb audit seal`.
-- Definer: no role writes the audit tables directly.
CREATE OR REPLACE FUNCTION cogdb.audit_seal(tenant uuid DEFAULT NULL)
    RETURNS TABLE (tenant_id uuid, seq bigint, head_hash text, sealed boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller text[] := ARRAY[coalesce(current_setting('app.tenant_id', true), ''),
                             coalesce(current_setting('app.user_id', true), ''),
                             coalesce(current_setting('app.context_xact', true), '')];
    h record;
    v_new boolean;
BEGIN
    FOR h IN SELECT ah.tenant_id, ah.seq, ah.hash FROM cogdb.audit_heads ah
              WHERE (audit_seal.tenant IS NULL OR ah.tenant_id = audit_seal.tenant)
                AND ah.seq > 0
              ORDER BY ah.tenant_id
    LOOP
        PERFORM cogdb.enter_tenant(h.tenant_id, NULL);
        INSERT INTO cogdb.audit_seals AS s (tenant_id, seq, head_hash, sealed_by)
        VALUES (h.tenant_id, h.seq, h.hash, session_user)
        ON CONFLICT ON CONSTRAINT audit_seals_pkey DO NOTHING;
        v_new := FOUND;
        tenant_id := h.tenant_id;
        seq := h.seq;
        head_hash := encode(h.hash, 'hex');
        sealed := v_new;
        RETURN NEXT;
    END LOOP;
    PERFORM cogdb.restore_context(v_caller);
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_seal(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.audit_seal(uuid) TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.audit_seal(uuid) IS
    'Seals the audit chain of a tenant (or of every tenant): records its record count and head hash, which audit_verify checks.';
-- <<< sql/functions/audit/audit_seal.sql

-- >>> sql/functions/audit/audit_verify.sql
-- Verifies the audit chain of one tenant (or of every tenant with a chain or a row in
-- cogdb.tenants) and returns one row per tenant: its record count, its head as
-- cogdb.audit_heads holds it, the newest sealed count, the number of seals, and ok, or the
-- first broken record (broken_seq) and why (problem). Checked in this order:
--   1. the chain, record by record in seq order: numbers without gaps from 1 (a deleted
--      record), prev_hash equal to the previous record's hash (a record moved or replaced),
--      hash equal to the record's recomputed hash (an edited record);
--   2. the head: as many records as it counts and the same last hash (records cut off the
--      end, or appended behind the audit trigger's back);
--   3. the seals, oldest first: the record at each sealed count exists and still has the
--      sealed hash (the newest records cut off, head and all; or records rewritten with
--      recomputed hashes, which no seal made before can match).
-- What it cannot see: changes made after the newest seal by someone who also rewrote the
-- head (a superuser); seal often and keep the head hashes outside the database.
-- Definer: the auditor reads the chain without any privilege on the tables; each tenant is
-- read inside its own context (the fences of audit_records and audit_seals).
CREATE OR REPLACE FUNCTION cogdb.audit_verify(tenant uuid DEFAULT NULL)
    RETURNS TABLE (tenant_id uuid, records bigint, head_seq bigint, sealed_seq bigint,
                   seals integer, head_hash text, ok boolean, broken_seq bigint,
                   problem text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller text[] := ARRAY[coalesce(current_setting('app.tenant_id', true), ''),
                             coalesce(current_setting('app.user_id', true), ''),
                             coalesce(current_setting('app.context_xact', true), '')];
    v_zero CONSTANT bytea := decode(repeat('00', 32), 'hex');
    v_tenant uuid;
    v_last_hash bytea;
    v_head_hash bytea;
    v_good_seal bigint;
    s record;
BEGIN
    FOR v_tenant IN
        SELECT t.id FROM (SELECT ah.tenant_id AS id FROM cogdb.audit_heads ah
                          UNION SELECT tn.id FROM cogdb.tenants tn) t
         WHERE audit_verify.tenant IS NULL OR t.id = audit_verify.tenant
         ORDER BY 1
    LOOP
        PERFORM cogdb.enter_tenant(v_tenant, NULL);
        tenant_id := v_tenant;
        ok := true;
        broken_seq := NULL;
        problem := NULL;
        SELECT count(*) INTO records FROM cogdb.audit_records r;
        SELECT r.hash INTO v_last_hash FROM cogdb.audit_records r ORDER BY r.seq DESC LIMIT 1;
        SELECT count(*)::integer, max(se.seq) INTO seals, sealed_seq FROM cogdb.audit_seals se;
        SELECT ah.seq, ah.hash INTO head_seq, v_head_hash
          FROM cogdb.audit_heads ah WHERE ah.tenant_id = v_tenant;
        head_seq := coalesce(head_seq, 0);
        head_hash := encode(v_head_hash, 'hex');
        -- 1. the chain
        SELECT x.at, x.problem INTO broken_seq, problem
          FROM (SELECT r.seq,
                       -- a gap names the first missing record, anything else the record
                       CASE WHEN r.seq <> row_number() OVER w THEN row_number() OVER w
                            ELSE r.seq END AS at,
                       CASE WHEN r.seq <> row_number() OVER w THEN
                                format('record %s is missing: the chain goes from %s to %s',
                                       row_number() OVER w, coalesce(lag(r.seq) OVER w, 0), r.seq)
                            WHEN r.prev_hash <> coalesce(lag(r.hash) OVER w, v_zero) THEN
                                'its prev_hash is not the hash of the record before it '
                                '(records were moved, replaced or removed)'
                            WHEN r.hash <> cogdb.audit_record_hash(r) THEN
                                'its hash does not match its fields (the record was edited)'
                       END AS problem
                  FROM cogdb.audit_records r
                WINDOW w AS (ORDER BY r.seq)) x
         WHERE x.problem IS NOT NULL
         ORDER BY x.seq LIMIT 1;
        -- 2. the head
        IF problem IS NULL THEN
            IF head_seq > records THEN
                broken_seq := records + 1;
                problem := format('records %s to %s are missing: the chain head counts %s',
                                  records + 1, head_seq, head_seq);
            ELSIF head_seq < records THEN
                broken_seq := head_seq + 1;
                problem := format('records %s to %s are beyond the chain head (%s): not '
                                  'appended by the audit', head_seq + 1, records, head_seq);
            ELSIF records > 0 AND v_head_hash IS DISTINCT FROM v_last_hash THEN
                broken_seq := records;
                problem := 'the last record''s hash differs from the chain head''s';
            END IF;
        END IF;
        -- 3. the seals
        IF problem IS NULL THEN
            v_good_seal := 0;
            FOR s IN SELECT se.seq, se.head_hash, se.sealed_at, r.hash AS record_hash
                       FROM cogdb.audit_seals se
                       LEFT JOIN cogdb.audit_records r ON r.tenant_id = se.tenant_id
                                                      AND r.seq = se.seq
                      ORDER BY se.seq
            LOOP
                IF s.record_hash IS NULL AND s.seq > 0 THEN
                    broken_seq := records + 1;
                    problem := format('records %s to %s are missing: a seal of %s counted %s',
                                      records + 1, s.seq, s.sealed_at, s.seq);
                    EXIT;
                ELSIF s.record_hash IS DISTINCT FROM s.head_hash AND s.seq > 0 THEN
                    broken_seq := v_good_seal + 1;
                    problem := format('record %s differs from its seal of %s: records %s to '
                                      '%s were rewritten after they were sealed', s.seq,
                                      s.sealed_at, v_good_seal + 1, s.seq);
                    EXIT;
                END IF;
                v_good_seal := s.seq;
            END LOOP;
        END IF;
        ok := problem IS NULL;
        RETURN NEXT;
    END LOOP;
    PERFORM cogdb.restore_context(v_caller);
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_verify(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.audit_verify(uuid) TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.audit_verify(uuid) IS
    'Verifies the audit chain of a tenant (or of every tenant): sequence, hashes, chain head and seals; names the first broken record and why.';
-- <<< sql/functions/audit/audit_verify.sql

-- >>> sql/functions/audit/audit_log.sql
-- A tenant's audit records, oldest first: when, which login and context user, the operation
-- and table (or a note's action and details), the row count and keys, the changed columns,
-- the content hash and the record's own hash (hex). Never content: the records hold none.
-- `since`: only records from that time on; `after_seq`: only records after that number (to
-- page); at most `max_rows` (1-100000). For the auditor (cogdb_auditor), who has no
-- privilege on any table: definer, reading inside the tenant's context (the fence of
-- audit_records is what keeps other tenants' records out).
CREATE OR REPLACE FUNCTION cogdb.audit_log(tenant uuid, since timestamptz DEFAULT NULL,
                                           after_seq bigint DEFAULT 0,
                                           max_rows integer DEFAULT 1000)
    RETURNS TABLE (seq bigint, recorded_at timestamptz, login text, context_user uuid,
                   operation text, table_name text, action text, row_count integer,
                   row_keys text[], changed_columns text[], content_hash text, details jsonb,
                   hash text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_caller text[];
BEGIN
    IF audit_log.tenant IS NULL THEN
        RAISE EXCEPTION 'tenant is required' USING ERRCODE = 'CGV01', COLUMN = 'tenant',
              HINT = 'Pass the tenant whose audit records to list.';
    END IF;
    IF audit_log.max_rows IS NULL OR audit_log.max_rows NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'max_rows must be between 1 and 100000, got %',
                        coalesce(audit_log.max_rows::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'max_rows',
                  HINT = 'Page with after_seq (the last seq you got).';
    END IF;
    v_caller := cogdb.enter_tenant(audit_log.tenant, NULL);
    RETURN QUERY
        SELECT r.seq, r.recorded_at, r.login, r.context_user, r.operation, r.table_name,
               r.action, r.row_count, r.row_keys, r.changed_columns,
               encode(r.content_hash, 'hex'), r.details, encode(r.hash, 'hex')
          FROM cogdb.audit_records r
         WHERE r.seq > coalesce(audit_log.after_seq, 0)
           AND (audit_log.since IS NULL OR r.recorded_at >= audit_log.since)
         ORDER BY r.seq
         LIMIT audit_log.max_rows;
    PERFORM cogdb.restore_context(v_caller);
END
$$;

REVOKE ALL ON FUNCTION cogdb.audit_log(uuid, timestamptz, bigint, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.audit_log(uuid, timestamptz, bigint, integer) TO cogdb_auditor;
COMMENT ON FUNCTION cogdb.audit_log(uuid, timestamptz, bigint, integer) IS
    'A tenant''s audit records, oldest first (keys, changed columns, hashes; never content), for the auditor.';
-- <<< sql/functions/audit/audit_log.sql

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
    PERFORM FROM cogdb.entities e WHERE e.id IN (v_sid, v_oid) ORDER BY e.id FOR UPDATE;
    SELECT * INTO v_s FROM cogdb.entities e WHERE e.id = v_sid;
    SELECT * INTO v_o FROM cogdb.entities e WHERE e.id = v_oid;
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
     WHERE e.id = v_sid;
    WITH gone AS (
        DELETE FROM cogdb.entity_observations o WHERE o.entity_id = v_oid
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
        UPDATE cogdb.entities e SET merged_into = v_sid WHERE e.merged_into = v_oid;
    END LOOP;
    PERFORM cogdb.restore_context(v_caller);

    UPDATE cogdb.entities e SET merged_into = v_sid WHERE e.id = v_oid;
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

-- >>> step 20_triggers.sql
-- The audit triggers on every tenant table and on cogdb.tenants (provisioning): see
-- sql/functions/audit/audit_rows.sql. Three per table: a trigger with transition tables has
-- one event.
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER tenants_audit_inserts AFTER INSERT ON cogdb.tenants
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.id');
CREATE TRIGGER tenants_audit_updates AFTER UPDATE ON cogdb.tenants
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.id');
CREATE TRIGGER tenants_audit_deletes AFTER DELETE ON cogdb.tenants
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.id');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER users_audit_inserts AFTER INSERT ON cogdb.users
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER users_audit_updates AFTER UPDATE ON cogdb.users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER users_audit_deletes AFTER DELETE ON cogdb.users
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.user_id::text || '/' || r.auth_provider.
CREATE TRIGGER identities_audit_inserts AFTER INSERT ON cogdb.identities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.user_id::text || ''/'' || r.auth_provider');
CREATE TRIGGER identities_audit_updates AFTER UPDATE ON cogdb.identities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.user_id::text || ''/'' || r.auth_provider');
CREATE TRIGGER identities_audit_deletes AFTER DELETE ON cogdb.identities
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.user_id::text || ''/'' || r.auth_provider');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id.
CREATE TRIGGER memories_audit_inserts AFTER INSERT ON cogdb.memories
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER memories_audit_updates AFTER UPDATE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER memories_audit_deletes AFTER DELETE ON cogdb.memories
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER sessions_audit_inserts AFTER INSERT ON cogdb.sessions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER sessions_audit_updates AFTER UPDATE ON cogdb.sessions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER sessions_audit_deletes AFTER DELETE ON cogdb.sessions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER events_audit_inserts AFTER INSERT ON cogdb.events
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER events_audit_updates AFTER UPDATE ON cogdb.events
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER events_audit_deletes AFTER DELETE ON cogdb.events
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id::text.
CREATE TRIGGER working_context_audit_inserts AFTER INSERT ON cogdb.working_context
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER working_context_audit_updates AFTER UPDATE ON cogdb.working_context
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');
CREATE TRIGGER working_context_audit_deletes AFTER DELETE ON cogdb.working_context
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.memory_id.
CREATE TRIGGER offloaded_contexts_audit_inserts AFTER INSERT ON cogdb.offloaded_contexts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id');
CREATE TRIGGER offloaded_contexts_audit_updates AFTER UPDATE ON cogdb.offloaded_contexts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id');
CREATE TRIGGER offloaded_contexts_audit_deletes AFTER DELETE ON cogdb.offloaded_contexts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.memory_id');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id.
CREATE TRIGGER entities_audit_inserts AFTER INSERT ON cogdb.entities
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER entities_audit_updates AFTER UPDATE ON cogdb.entities
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER entities_audit_deletes AFTER DELETE ON cogdb.entities
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.entity_id || '/' || r.digest.
CREATE TRIGGER entity_observations_audit_inserts AFTER INSERT ON cogdb.entity_observations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.entity_id || ''/'' || r.digest');
CREATE TRIGGER entity_observations_audit_updates AFTER UPDATE ON cogdb.entity_observations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.entity_id || ''/'' || r.digest');
CREATE TRIGGER entity_observations_audit_deletes AFTER DELETE ON cogdb.entity_observations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.entity_id || ''/'' || r.digest');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.id.
CREATE TRIGGER relationships_audit_inserts AFTER INSERT ON cogdb.relationships
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER relationships_audit_updates AFTER UPDATE ON cogdb.relationships
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');
CREATE TRIGGER relationships_audit_deletes AFTER DELETE ON cogdb.relationships
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.name.
CREATE TRIGGER relationship_types_audit_inserts AFTER INSERT ON cogdb.relationship_types
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.name');
CREATE TRIGGER relationship_types_audit_updates AFTER UPDATE ON cogdb.relationship_types
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.name');
CREATE TRIGGER relationship_types_audit_deletes AFTER DELETE ON cogdb.relationship_types
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.name');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.namespace || '/' || r.key.
CREATE TRIGGER store_items_audit_inserts AFTER INSERT ON cogdb.store_items
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key');
CREATE TRIGGER store_items_audit_updates AFTER UPDATE ON cogdb.store_items
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key');
CREATE TRIGGER store_items_audit_deletes AFTER DELETE ON cogdb.store_items
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key');

-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.namespace || '/' || r.key || '/' || r.field.
CREATE TRIGGER store_vectors_audit_inserts AFTER INSERT ON cogdb.store_vectors
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key || ''/'' || r.field');
CREATE TRIGGER store_vectors_audit_updates AFTER UPDATE ON cogdb.store_vectors
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key || ''/'' || r.field');
CREATE TRIGGER store_vectors_audit_deletes AFTER DELETE ON cogdb.store_vectors
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.namespace || ''/'' || r.key || ''/'' || r.field');
-- <<< step 20_triggers.sql

RESET ROLE;
