-- cogdb revision 0016 (federated): written by `python -m tools.freeze 0016` from carries.txt.
-- FROZEN: never edit; a later revision carries its own copy of what it changes.
SET LOCAL ROLE cogdb_owner;

-- >>> step 10_settings.sql
-- Federated insights' deployment-wide settings (docs/federated.md).
INSERT INTO cogdb.settings (key, value, description) VALUES
    ('federated.min_k', '5',
     'The least k a federated session may have: buckets need at least this many distinct contributing tenants (never below 5)'),
    ('federated.epsilon_budget', '1.0',
     'The privacy budget (total epsilon) a tenant gets when it first joins a federated session; cogdb.set_privacy_budget changes it per tenant');
-- <<< step 10_settings.sql

-- >>> sql/tables/federated_sessions.sql
-- Federated sessions: a topic on which tenants at isolation_level 'federated' pool aggregate
-- insights (docs/federated.md). A session spans tenants, so it belongs to none: owner-only
-- (policy federated_sessions__registry_owner, no grants), reached through the federated
-- definer functions, which never return opener_tenant_id to another tenant (named for the
-- tenant it holds: a column ending in _by or _user is a user's, docs/governance.md). k is the
-- least number of distinct contributing tenants a bucket needs to be shown (never below 5, nor below the
-- deployment's federated.min_k); max_buckets and max_per_bucket bound one tenant's
-- contribution to a noisy histogram (the Laplace scale is their product over epsilon).
CREATE TABLE cogdb.federated_sessions (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    topic          text NOT NULL CHECK (length(topic) BETWEEN 1 AND 200),
    opener_tenant_id uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    k              integer NOT NULL CHECK (k BETWEEN 5 AND 1000),
    max_buckets    integer NOT NULL DEFAULT 10 CHECK (max_buckets BETWEEN 1 AND 1000),
    max_per_bucket integer NOT NULL DEFAULT 100 CHECK (max_per_bucket BETWEEN 1 AND 1000000),
    opened_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX federated_sessions_opener_tenant_id_idx ON cogdb.federated_sessions (opener_tenant_id);
ALTER TABLE cogdb.federated_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.federated_sessions FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.federated_sessions IS
    'Federated sessions: a topic, the opening tenant, k and the contribution bounds; owner-only, reached through the federated definer functions.';
-- The audit trail (cogdb.audit_rows): one record per statement, in the opening tenant's chain.
CREATE TRIGGER federated_sessions_audit_inserts AFTER INSERT ON cogdb.federated_sessions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.opener_tenant_id');
CREATE TRIGGER federated_sessions_audit_updates AFTER UPDATE ON cogdb.federated_sessions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.opener_tenant_id');
CREATE TRIGGER federated_sessions_audit_deletes AFTER DELETE ON cogdb.federated_sessions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.id::text', 'r.opener_tenant_id');
-- <<< sql/tables/federated_sessions.sql

-- >>> sql/tables/federated_participants.sql
-- Which tenants take part in which federated session: joined_at, and withdrawn_at once the
-- tenant withdrew (its data then no longer counts; joining again clears it). Owner-only
-- (policy federated_participants__registry_owner, no grants): the aggregate definer functions
-- enumerate a session's participants across tenants, which a tenant fence would hide from
-- them; a tenant reads its own participation through list_federated_sessions().
CREATE TABLE cogdb.federated_participants (
    tenant_id    uuid NOT NULL REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    session_id   uuid NOT NULL REFERENCES cogdb.federated_sessions (id) ON DELETE CASCADE,
    joined_at    timestamptz NOT NULL DEFAULT now(),
    withdrawn_at timestamptz CHECK (withdrawn_at >= joined_at),
    PRIMARY KEY (tenant_id, session_id)
);
CREATE INDEX federated_participants_session_idx ON cogdb.federated_participants (session_id);
ALTER TABLE cogdb.federated_participants ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.federated_participants FORCE ROW LEVEL SECURITY;
COMMENT ON TABLE cogdb.federated_participants IS
    'The tenants of each federated session, with when they joined and withdrew; owner-only, reached through the federated definer functions.';
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.session_id::text.
CREATE TRIGGER federated_participants_audit_inserts AFTER INSERT ON cogdb.federated_participants
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.session_id::text');
CREATE TRIGGER federated_participants_audit_updates AFTER UPDATE ON cogdb.federated_participants
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.session_id::text');
CREATE TRIGGER federated_participants_audit_deletes AFTER DELETE ON cogdb.federated_participants
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.session_id::text');
-- <<< sql/tables/federated_participants.sql

-- >>> sql/tables/privacy_budgets.sql
-- Each tenant's differential-privacy budget for federated insights: epsilon_total (set by an
-- admin, cogdb.set_privacy_budget; the deployment's federated.epsilon_budget when the tenant
-- first joins a session) and epsilon_spent, which every noisy aggregate over the tenant's
-- data raises by its epsilon (cogdb.charge_privacy_budget). The CHECK is the last word: spent
-- never exceeds total, whatever runs. Fenced by tenant (RLS); the app reads its own row.
CREATE TABLE cogdb.privacy_budgets (
    tenant_id     uuid PRIMARY KEY DEFAULT cogdb.current_tenant_id()
                  REFERENCES cogdb.tenants (id) ON DELETE CASCADE,
    epsilon_total numeric NOT NULL CHECK (epsilon_total >= 0 AND epsilon_total <= 1000),
    epsilon_spent numeric NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT privacy_budgets_within_total
        CHECK (epsilon_spent >= 0 AND epsilon_spent <= epsilon_total)
);
ALTER TABLE cogdb.privacy_budgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE cogdb.privacy_budgets FORCE ROW LEVEL SECURITY;
-- The app may read its tenant's budget; only the federated definer functions change it.
GRANT SELECT ON cogdb.privacy_budgets TO cogdb_app;
COMMENT ON TABLE cogdb.privacy_budgets IS
    'Each tenant''s differential-privacy budget (epsilon total and spent) for federated insights. Fenced by tenant (RLS).';
-- The audit trail (cogdb.audit_rows): one record per tenant and statement; the key is r.tenant_id::text.
CREATE TRIGGER privacy_budgets_audit_inserts AFTER INSERT ON cogdb.privacy_budgets
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.tenant_id::text');
CREATE TRIGGER privacy_budgets_audit_updates AFTER UPDATE ON cogdb.privacy_budgets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.tenant_id::text');
CREATE TRIGGER privacy_budgets_audit_deletes AFTER DELETE ON cogdb.privacy_budgets
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION cogdb.audit_rows('r.tenant_id::text');
-- <<< sql/tables/privacy_budgets.sql

-- >>> sql/policies/federated_sessions__registry_owner.sql
-- federated_sessions is read and written by the owner only (the federated definer functions); no other
-- role has any privilege on the table.
DROP POLICY IF EXISTS federated_sessions__registry_owner ON cogdb.federated_sessions;
CREATE POLICY federated_sessions__registry_owner ON cogdb.federated_sessions
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/federated_sessions__registry_owner.sql

-- >>> sql/policies/federated_participants__registry_owner.sql
-- federated_participants is read and written by the owner only (the federated definer functions); no other
-- role has any privilege on the table.
DROP POLICY IF EXISTS federated_participants__registry_owner ON cogdb.federated_participants;
CREATE POLICY federated_participants__registry_owner ON cogdb.federated_participants
    AS PERMISSIVE FOR ALL TO cogdb_owner
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/federated_participants__registry_owner.sql

-- >>> sql/policies/privacy_budgets__tenant_fence.sql
-- The tenant fence on privacy_budgets: a row is readable and writable only inside its own
-- tenant's context; the budget charge enters each contributing tenant (enter_tenant) to lock
-- and raise its row. RESTRICTIVE, so no permissive policy added later can widen it.
-- (SELECT …) makes the helper an InitPlan: evaluated once per query, not once per row.
DROP POLICY IF EXISTS privacy_budgets__tenant_fence ON cogdb.privacy_budgets;
CREATE POLICY privacy_budgets__tenant_fence ON cogdb.privacy_budgets
    AS RESTRICTIVE FOR ALL TO PUBLIC
    USING (tenant_id = (SELECT cogdb.current_tenant_id()))
    WITH CHECK (tenant_id = (SELECT cogdb.current_tenant_id()));
-- <<< sql/policies/privacy_budgets__tenant_fence.sql

-- >>> sql/policies/privacy_budgets__inside_fence.sql
-- Lets rows through the fence: RLS shows nothing without at least one permissive policy.
-- All filtering is the fence's (privacy_budgets__tenant_fence): a tenant's budget is its own
-- to read; only definer functions write it.
DROP POLICY IF EXISTS privacy_budgets__inside_fence ON cogdb.privacy_budgets;
CREATE POLICY privacy_budgets__inside_fence ON cogdb.privacy_budgets
    AS PERMISSIVE FOR ALL TO PUBLIC
    USING (true)
    WITH CHECK (true);
-- <<< sql/policies/privacy_budgets__inside_fence.sql

-- >>> sql/functions/federated/laplace_noise.sql
-- One draw of Laplace(0, scale) noise for the federated aggregates. The uniform variate is 48
-- bits of a version-4 UUID (gen_random_uuid(): pg_strong_random, the server's cryptographic
-- random source; bytes 0-5 carry no version or variant bits), shifted by half a step so that
-- it is never 0 or 1; inverse CDF: -scale * sign(u) * ln(1 - 2|u|), u in (-1/2, 1/2).
-- Floating-point Laplace has known weaknesses (docs/federated.md, "What it does not give").
CREATE OR REPLACE FUNCTION cogdb.laplace_noise(scale double precision)
    RETURNS double precision
    LANGUAGE sql VOLATILE PARALLEL RESTRICTED SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT -scale * sign(u) * ln(1 - 2 * abs(u))
      FROM (SELECT (('x' || left(replace(gen_random_uuid()::text, '-', ''), 12))::bit(48)::bigint
                    + 0.5) / 281474976710656.0 - 0.5 AS u) r
$$;

REVOKE ALL ON FUNCTION cogdb.laplace_noise(double precision) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.laplace_noise(double precision) IS
    'One draw of Laplace(0, scale) noise from 48 bits of gen_random_uuid() (the server''s strong random source).';
-- <<< sql/functions/federated/laplace_noise.sql

-- >>> sql/functions/federated/is_retained.sql
-- Whether retention keeps a memory, as memories__retained decides for the app: not expired,
-- and created after the tenant's youngest cutoff (horizon), anonymised already, or younger
-- than the cutoff of its most specific policy (cutoffs, {context_type: {source: cutoff}}).
-- The federated aggregates run as the owner, whom memories__retained (TO cogdb_app) does not
-- fence, so they apply it themselves with the horizon and cutoffs of the tenant they read.
-- Inlinable (LANGUAGE sql, no SET clause).
CREATE OR REPLACE FUNCTION cogdb.is_retained(created_at timestamptz, expires_at timestamptz,
                                             anonymised_at timestamptz, context_type text,
                                             source text, horizon timestamptz, cutoffs jsonb)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
AS $$
    SELECT (expires_at IS NULL OR expires_at > pg_catalog.now())
           AND (created_at > horizon
                OR anonymised_at IS NOT NULL
                OR cutoffs IS NULL
                OR created_at > coalesce(cutoffs -> context_type ->> source,
                                         cutoffs -> context_type ->> '*',
                                         cutoffs -> '*' ->> source,
                                         cutoffs -> '*' ->> '*',
                                         '-infinity')::timestamptz)
$$;

REVOKE ALL ON FUNCTION cogdb.is_retained(timestamptz, timestamptz, timestamptz, text, text,
                                         timestamptz, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.is_retained(timestamptz, timestamptz, timestamptz, text, text,
                                      timestamptz, jsonb) IS
    'Whether retention keeps a memory (not expired, not over its policy''s age), as memories__retained decides for the app.';
-- <<< sql/functions/federated/is_retained.sql

-- >>> sql/functions/federated/check_epsilon.sql
-- The epsilon of a noisy federated aggregate: NULL (no noise) or a number above 0 and at most
-- 10, else CGV01 naming epsilon. One rule for every aggregate.
CREATE OR REPLACE FUNCTION cogdb.check_epsilon(epsilon numeric) RETURNS numeric
    LANGUAGE plpgsql IMMUTABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF epsilon IS NOT NULL AND NOT (epsilon > 0 AND epsilon <= 10) THEN
        RAISE EXCEPTION 'epsilon must be above 0 and at most 10, got %', epsilon
            USING ERRCODE = 'CGV01', COLUMN = 'epsilon',
                  HINT = 'Smaller is more private and noisier; 0.1 to 1 is usual. Omit it for '
                         'exact counts shown only above k.';
    END IF;
    RETURN epsilon;
END
$$;

REVOKE ALL ON FUNCTION cogdb.check_epsilon(numeric) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.check_epsilon(numeric) IS
    'The epsilon of a noisy federated aggregate: NULL or in (0, 10], else CGV01 naming epsilon.';
-- <<< sql/functions/federated/check_epsilon.sql

-- >>> sql/functions/federated/federated_tenant.sql
-- The context's tenant, if it may take part in federated insights: a context (else CGA01)
-- whose tenant is at isolation_level 'federated' (else CGF01 naming isolation_level). Reads
-- the tenant's own row as its caller (the definer functions run it as the owner, inside the
-- caller's context). `action` says what was attempted.
CREATE OR REPLACE FUNCTION cogdb.federated_tenant(action text) RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant uuid := cogdb.require_tenant(action);
    v_level text;
BEGIN
    SELECT t.isolation_level INTO v_level FROM cogdb.tenants t WHERE t.id = v_tenant;
    IF v_level IS DISTINCT FROM 'federated' THEN
        RAISE EXCEPTION '% needs a tenant at isolation_level federated; this tenant is %',
                        action, coalesce(v_level, 'unknown')
            USING ERRCODE = 'CGF01', COLUMN = 'isolation_level',
                  HINT = 'An administrator sets the level when creating the tenant '
                         '(cogdb tenant create --isolation-level federated).';
    END IF;
    RETURN v_tenant;
END
$$;

REVOKE ALL ON FUNCTION cogdb.federated_tenant(text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.federated_tenant(text) IS
    'The context''s tenant if it is at isolation_level federated, else CGA01 (no context) or CGF01 naming isolation_level.';
-- <<< sql/functions/federated/federated_tenant.sql

-- >>> sql/functions/federated/federated_member.sql
-- The federated session `session_id` names, if `tenant` takes part in it now: parsed (CGV01),
-- existing (CGN01) and with the tenant an active participant (CGF01: never joined, or
-- withdrawn). The aggregates call it first: only a participant may ask.
CREATE OR REPLACE FUNCTION cogdb.federated_member(session_id text, tenant uuid)
    RETURNS cogdb.federated_sessions
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_id uuid := cogdb.parse_uuid(session_id, 'session_id');
    v_row cogdb.federated_sessions;
BEGIN
    SELECT * INTO v_row FROM cogdb.federated_sessions s WHERE s.id = v_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no federated session with id %', coalesce(v_id::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'session_id',
                  HINT = 'List sessions with `cogdb federated list`.';
    END IF;
    IF NOT EXISTS (SELECT FROM cogdb.federated_participants p
                    WHERE p.tenant_id = tenant AND p.session_id = v_id
                      AND p.withdrawn_at IS NULL) THEN
        RAISE EXCEPTION 'this tenant does not take part in federated session %', v_id
            USING ERRCODE = 'CGF01', COLUMN = 'session_id',
                  HINT = 'Join it first (`cogdb federated join`); a withdrawn tenant joins again.';
    END IF;
    RETURN v_row;
END
$$;

REVOKE ALL ON FUNCTION cogdb.federated_member(text, uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.federated_member(text, uuid) IS
    'The federated session named by session_id if the tenant takes part in it now, else CGV01/CGN01/CGF01 naming session_id.';
-- <<< sql/functions/federated/federated_member.sql

-- >>> sql/functions/federated/federated_contributors.sql
-- The tenants whose data a federated session's aggregates read, in id order (the order the
-- budget charge locks them in): active participants (not withdrawn) still at isolation_level
-- 'federated'. Owner-only: the ids never leave the definer functions.
CREATE OR REPLACE FUNCTION cogdb.federated_contributors(session_id uuid) RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(array_agg(p.tenant_id ORDER BY p.tenant_id), '{}')
      FROM cogdb.federated_participants p
      JOIN cogdb.tenants t ON t.id = p.tenant_id AND t.isolation_level = 'federated'
     WHERE p.session_id = federated_contributors.session_id AND p.withdrawn_at IS NULL
$$;

REVOKE ALL ON FUNCTION cogdb.federated_contributors(uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.federated_contributors(uuid) IS
    'The active, still-federated participants of a federated session, in id order; owner-only.';
-- <<< sql/functions/federated/federated_contributors.sql

-- >>> sql/functions/federated/charge_privacy_budget.sql
-- Charges epsilon to the privacy budget of every tenant in `tenants` (the contributors of a
-- noisy aggregate: it is their data's privacy loss), or to none. Each row is raised in its
-- tenant's context (enter_tenant; the budgets are fenced) by one UPDATE that checks and adds
-- at once, in tenant id order: the row lock serialises concurrent charges of one tenant, and
-- READ COMMITTED re-checks the condition on the row it waited for, so no interleaving
-- overspends; the order rules out deadlocks between charges. A budget that cannot pay raises
-- CGP01, which aborts the caller's statement and undoes every charge made before it. The
-- message names whether the caller's own budget or another contributor's is short, never
-- which tenant. The caller's context is put back. Owner-only.
CREATE OR REPLACE FUNCTION cogdb.charge_privacy_budget(tenants uuid[], epsilon numeric,
                                                       caller uuid)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_saved text[];
    v_tenant uuid;
    v_left numeric;
BEGIN
    FOREACH v_tenant IN ARRAY tenants LOOP
        IF v_saved IS NULL THEN
            v_saved := cogdb.enter_tenant(v_tenant);
        ELSE
            PERFORM cogdb.enter_tenant(v_tenant);
        END IF;
        UPDATE cogdb.privacy_budgets b
           SET epsilon_spent = b.epsilon_spent + epsilon, updated_at = now()
         WHERE b.tenant_id = v_tenant AND b.epsilon_spent + epsilon <= b.epsilon_total;
        IF NOT FOUND THEN
            IF v_tenant = caller THEN
                SELECT b.epsilon_total - b.epsilon_spent INTO v_left
                  FROM cogdb.privacy_budgets b WHERE b.tenant_id = v_tenant;
                RAISE EXCEPTION 'this tenant''s privacy budget cannot pay epsilon % (% left)',
                                epsilon, coalesce(v_left, 0)
                    USING ERRCODE = 'CGP01', COLUMN = 'epsilon',
                          HINT = 'Ask without noise, with a smaller epsilon, or ask an '
                                 'administrator to raise the budget (cogdb federated set-budget).';
            END IF;
            RAISE EXCEPTION 'the privacy budget of a contributing tenant cannot pay epsilon %', epsilon
                USING ERRCODE = 'CGP01', COLUMN = 'epsilon',
                      HINT = 'Nothing was charged. Ask without noise or with a smaller epsilon; '
                             'each contributor''s budget pays for a noisy aggregate.';
        END IF;
    END LOOP;
    IF v_saved IS NOT NULL THEN
        PERFORM cogdb.restore_context(v_saved);
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.charge_privacy_budget(uuid[], numeric, uuid) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.charge_privacy_budget(uuid[], numeric, uuid) IS
    'Charges epsilon to every contributing tenant''s privacy budget, or to none (CGP01); owner-only.';
-- <<< sql/functions/federated/charge_privacy_budget.sql

-- >>> sql/functions/federated/list_federated_sessions.sql
-- The federated sessions the context's tenant (at isolation_level 'federated', else CGF01)
-- may join or takes part in, newest first: topic, k and contribution bounds, whether this
-- tenant opened it, how many tenants take part now (active and still federated; a number,
-- never who), and this tenant's joined_at and withdrawn_at (NULL if it never joined).
-- Definer for the app: sessions and participants are owner-only; no other tenant's id leaves.
CREATE OR REPLACE FUNCTION cogdb.list_federated_sessions()
    RETURNS TABLE (id uuid, topic text, k integer, max_buckets integer, max_per_bucket integer,
                   opened_at timestamptz, opened_here boolean, participants integer,
                   joined_at timestamptz, withdrawn_at timestamptz)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_me uuid := cogdb.federated_tenant('listing federated sessions');
BEGIN
    RETURN QUERY
    SELECT s.id, s.topic, s.k, s.max_buckets, s.max_per_bucket, s.opened_at,
           s.opener_tenant_id = v_me,
           cardinality(cogdb.federated_contributors(s.id)),
           mine.joined_at, mine.withdrawn_at
      FROM cogdb.federated_sessions s
      LEFT JOIN cogdb.federated_participants mine
        ON mine.session_id = s.id AND mine.tenant_id = v_me
     ORDER BY s.opened_at DESC, s.id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.list_federated_sessions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.list_federated_sessions() TO cogdb_app;
COMMENT ON FUNCTION cogdb.list_federated_sessions() IS
    'The federated sessions a federated tenant may join or takes part in, with k, the participant count and its own participation; never another tenant''s id.';
-- <<< sql/functions/federated/list_federated_sessions.sql

-- >>> sql/functions/federated/join_federated_session.sql
-- Makes the context's tenant (at isolation_level 'federated', else CGF01) a participant of a
-- federated session, or a participant again after it withdrew (a withdrawn tenant's
-- joined_at restarts), and gives it a privacy budget if it has none (the deployment's
-- federated.epsilon_budget). Returns the session as list_federated_sessions() shows it.
-- Definer for the app: the participants are owner-only.
CREATE OR REPLACE FUNCTION cogdb.join_federated_session(session_id text)
    RETURNS TABLE (id uuid, topic text, k integer, max_buckets integer, max_per_bucket integer,
                   opened_at timestamptz, opened_here boolean, participants integer,
                   joined_at timestamptz, withdrawn_at timestamptz)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_me uuid := cogdb.federated_tenant('joining a federated session');
    v_id uuid := cogdb.parse_uuid(session_id, 'session_id');
BEGIN
    IF NOT EXISTS (SELECT FROM cogdb.federated_sessions s WHERE s.id = v_id) THEN
        RAISE EXCEPTION 'no federated session with id %', coalesce(v_id::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'session_id',
                  HINT = 'List sessions with `cogdb federated list`.';
    END IF;
    INSERT INTO cogdb.federated_participants AS p (tenant_id, session_id)
    VALUES (v_me, v_id)
    ON CONFLICT ON CONSTRAINT federated_participants_pkey DO UPDATE
       SET joined_at = now(), withdrawn_at = NULL
     WHERE p.withdrawn_at IS NOT NULL;
    -- in the caller's context: the budgets are fenced
    INSERT INTO cogdb.privacy_budgets (tenant_id, epsilon_total)
    SELECT v_me, coalesce((SELECT (s.value #>> '{}')::numeric FROM cogdb.settings s
                            WHERE s.key = 'federated.epsilon_budget'), 1)
    ON CONFLICT ON CONSTRAINT privacy_budgets_pkey DO NOTHING;
    RETURN QUERY SELECT * FROM cogdb.list_federated_sessions() l WHERE l.id = v_id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.join_federated_session(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.join_federated_session(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.join_federated_session(text) IS
    'Makes the context''s (federated) tenant a participant of a federated session again or for the first time; returns the session.';
-- <<< sql/functions/federated/join_federated_session.sql

-- >>> sql/functions/federated/open_federated_session.sql
-- Opens a federated session on `topic` for the context's tenant (at isolation_level
-- 'federated', else CGF01), which joins it, and returns the session's id. k, the least number of
-- distinct contributing tenants a bucket needs, defaults to the deployment's federated.min_k
-- and is refused below it or below 5 (CGV01 naming k); max_buckets and max_per_bucket bound one
-- tenant's contribution to a noisy histogram (docs/federated.md). The topic is visible to
-- every federated tenant (list_federated_sessions); the opener's id to none. Definer for the
-- app: sessions are owner-only.
CREATE OR REPLACE FUNCTION cogdb.open_federated_session(topic text, k integer DEFAULT NULL,
                                                        max_buckets integer DEFAULT 10,
                                                        max_per_bucket integer DEFAULT 100)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_me uuid := cogdb.federated_tenant('opening a federated session');
    v_floor integer := greatest(5, coalesce(cogdb.int_setting('federated.min_k'), 5));
    v_k integer := coalesce(k, v_floor);
    v_id uuid;
BEGIN
    IF topic IS NULL OR length(btrim(topic)) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'topic must be 1 to 200 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'topic',
                  HINT = 'A short subject every participant sees, e.g. ''postgres tuning''.';
    END IF;
    IF v_k < v_floor OR v_k > 1000 THEN
        RAISE EXCEPTION 'k must be between % and 1000, got %', v_floor, v_k
            USING ERRCODE = 'CGV01', COLUMN = 'k',
                  HINT = 'A bucket is shown only when at least k distinct tenants contribute '
                         'to it; the deployment allows no fewer than ' || v_floor || '.';
    END IF;
    IF max_buckets IS NULL OR max_buckets NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'max_buckets must be between 1 and 1000'
            USING ERRCODE = 'CGV01', COLUMN = 'max_buckets',
                  HINT = 'How many buckets one tenant may add to in a noisy histogram; 10 is usual.';
    END IF;
    IF max_per_bucket IS NULL OR max_per_bucket NOT BETWEEN 1 AND 1000000 THEN
        RAISE EXCEPTION 'max_per_bucket must be between 1 and 1000000'
            USING ERRCODE = 'CGV01', COLUMN = 'max_per_bucket',
                  HINT = 'How much one tenant may add to one bucket of a noisy histogram; 100 is usual.';
    END IF;
    INSERT INTO cogdb.federated_sessions (topic, opener_tenant_id, k, max_buckets, max_per_bucket)
    VALUES (btrim(topic), v_me, v_k, max_buckets, max_per_bucket)
    RETURNING id INTO v_id;
    PERFORM cogdb.join_federated_session(v_id::text);
    RETURN v_id;
END
$$;

REVOKE ALL ON FUNCTION cogdb.open_federated_session(text, integer, integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.open_federated_session(text, integer, integer, integer) TO cogdb_app;
COMMENT ON FUNCTION cogdb.open_federated_session(text, integer, integer, integer) IS
    'Opens a federated session on a topic for the context''s (federated) tenant, which joins it; k at least 5.';
-- <<< sql/functions/federated/open_federated_session.sql

-- >>> sql/functions/federated/withdraw_federated_session.sql
-- Withdraws the context's tenant from a federated session: from its next statement on, no
-- aggregate of the session reads the tenant's data or charges its budget. Returns false if
-- it had withdrawn already; CGN01 if it never joined (or the session does not exist).
-- Allowed whatever the tenant's isolation level now: leaving must always be possible.
-- Definer for the app: the participants are owner-only.
CREATE OR REPLACE FUNCTION cogdb.withdraw_federated_session(session_id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_me uuid := cogdb.require_tenant('withdrawing from a federated session');
    v_id uuid := cogdb.parse_uuid(session_id, 'session_id');
    v_withdrawn timestamptz;
BEGIN
    SELECT p.withdrawn_at INTO v_withdrawn FROM cogdb.federated_participants p
     WHERE p.tenant_id = v_me AND p.session_id = v_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'this tenant never joined federated session %', coalesce(v_id::text, 'NULL')
            USING ERRCODE = 'CGN01', COLUMN = 'session_id',
                  HINT = 'List the sessions this tenant takes part in with `cogdb federated list`.';
    END IF;
    IF v_withdrawn IS NOT NULL THEN
        RETURN false;
    END IF;
    UPDATE cogdb.federated_participants p SET withdrawn_at = now()
     WHERE p.tenant_id = v_me AND p.session_id = v_id;
    RETURN true;
END
$$;

REVOKE ALL ON FUNCTION cogdb.withdraw_federated_session(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.withdraw_federated_session(text) TO cogdb_app;
COMMENT ON FUNCTION cogdb.withdraw_federated_session(text) IS
    'Withdraws the context''s tenant from a federated session: its data no longer counts; false if it had withdrawn already.';
-- <<< sql/functions/federated/withdraw_federated_session.sql

-- >>> sql/functions/federated/federated_counts.sql
-- Counts of a federated session's memories by `dimension` ('tag', 'cluster' (cluster_label),
-- 'intent' (intent_type) or 'context_type'), over the data of its contributors (active,
-- still-federated participants), asked by one of them in its own context. Only buckets to
-- which at least k distinct tenants contribute are returned; no row, id or content of any
-- tenant leaves, only bucket labels that k tenants share and sums.
-- Without epsilon: exact counts, and how many tenants contribute to each bucket.
-- With epsilon (> 0, at most 10): each contributor's count per bucket is clipped to the
-- session's max_per_bucket and kept for its max_buckets largest buckets only, Laplace noise of
-- scale max_buckets * max_per_bucket / epsilon is added to each sum (rounded, at least 0),
-- tenants is NULL, and every contributor's privacy budget pays epsilon first, or none does
-- (charge_privacy_budget, CGP01). Whose budget, and what this does and does not protect:
-- docs/federated.md.
-- Each contributor is read in its own context (enter_tenant: FORCE RLS fences the owner too),
-- its tenant-visible memories only (never private ones), as retention keeps them
-- (is_retained), naming the tenant (docs/conventions.md rule 3). Definer for the app.
CREATE OR REPLACE FUNCTION cogdb.federated_counts(session_id text, dimension text,
                                                  epsilon numeric DEFAULT NULL)
    RETURNS TABLE (bucket text, tenants integer, count bigint, noisy boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_me uuid := cogdb.federated_tenant('federated insights');
    v_session cogdb.federated_sessions := cogdb.federated_member(session_id, v_me);
    v_dim text := dimension;
    v_eps numeric := cogdb.check_epsilon(epsilon);
    v_tenants uuid[];
    v_tenant uuid;
    v_saved text[];
    v_i integer := 0;
    v_idx integer[] := '{}';
    v_buckets text[] := '{}';
    v_counts bigint[] := '{}';
    v_horizon timestamptz;
    v_cutoffs jsonb;
    v_cap bigint;
    v_top integer;
BEGIN
    IF v_dim IS NULL OR v_dim NOT IN ('tag', 'cluster', 'intent', 'context_type') THEN
        RAISE EXCEPTION 'dimension must be tag, cluster, intent or context_type, got %',
                        coalesce(quote_literal(left(v_dim, 40)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'dimension',
                  HINT = 'e.g. cogdb federated counts --by tag';
    END IF;
    v_tenants := cogdb.federated_contributors(v_session.id);
    IF v_eps IS NOT NULL THEN
        PERFORM cogdb.charge_privacy_budget(v_tenants, v_eps, v_me);
        v_cap := v_session.max_per_bucket;
        v_top := v_session.max_buckets;
    END IF;
    FOREACH v_tenant IN ARRAY v_tenants LOOP
        v_i := v_i + 1;
        IF v_saved IS NULL THEN
            v_saved := cogdb.enter_tenant(v_tenant);
        ELSE
            PERFORM cogdb.enter_tenant(v_tenant);
        END IF;
        v_horizon := cogdb.retention_horizon();
        v_cutoffs := cogdb.retention_cutoffs();
        WITH per_bucket AS (
            SELECT b.bucket, least(count(*), coalesce(v_cap, count(*))) AS n
              FROM cogdb.memories m
             CROSS JOIN LATERAL (
                 SELECT DISTINCT x AS bucket
                   FROM unnest(CASE v_dim
                        WHEN 'context_type' THEN ARRAY[m.context_type]
                        WHEN 'intent' THEN ARRAY[m.intent_type]
                        WHEN 'cluster' THEN ARRAY[m.cluster_label]
                        WHEN 'tag' THEN CASE jsonb_typeof(m.tags)
                            WHEN 'array' THEN ARRAY(SELECT jsonb_array_elements_text(m.tags))
                            ELSE ARRAY(SELECT jsonb_object_keys(m.tags)) END
                        END) x
                  WHERE x IS NOT NULL AND x <> '') b
             WHERE m.tenant_id = v_tenant AND m.visibility = 'tenant'
               AND cogdb.is_retained(m.created_at, m.expires_at, m.anonymised_at,
                                     m.context_type, m.source, v_horizon, v_cutoffs)
             GROUP BY b.bucket
             ORDER BY n DESC, b.bucket
             LIMIT v_top
        )
        SELECT v_idx || coalesce(array_agg(v_i), '{}'),
               v_buckets || coalesce(array_agg(p.bucket), '{}'),
               v_counts || coalesce(array_agg(p.n), '{}')
          INTO v_idx, v_buckets, v_counts
          FROM per_bucket p;
    END LOOP;
    IF v_saved IS NOT NULL THEN
        PERFORM cogdb.restore_context(v_saved);
    END IF;
    RETURN QUERY
    SELECT g.bucket,
           CASE WHEN v_eps IS NULL THEN g.tenants END,
           CASE WHEN v_eps IS NULL THEN g.total
                ELSE greatest(0, round(g.total + cogdb.laplace_noise(
                         (v_session.max_buckets * v_session.max_per_bucket / v_eps)::float8)))::bigint
           END,
           v_eps IS NOT NULL
      FROM (SELECT u.bucket, count(DISTINCT u.i)::integer AS tenants, sum(u.n)::bigint AS total
              FROM unnest(v_idx, v_buckets, v_counts) u(i, bucket, n)
             GROUP BY u.bucket
            HAVING count(DISTINCT u.i) >= v_session.k) g
     ORDER BY 3 DESC, 1;
END
$$;

REVOKE ALL ON FUNCTION cogdb.federated_counts(text, text, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.federated_counts(text, text, numeric) TO cogdb_app;
COMMENT ON FUNCTION cogdb.federated_counts(text, text, numeric) IS
    'Counts of a federated session''s memories by tag, cluster, intent or context type, only for buckets with at least k contributing tenants; with epsilon, clipped, Laplace-noised and charged to every contributor''s privacy budget.';
-- <<< sql/functions/federated/federated_counts.sql

-- >>> sql/functions/federated/federated_top_topics.sql
-- The `n` (1 to 100) most frequent tags of a federated session: federated_counts by tag,
-- largest first, with its k threshold, noise and budget charge (one charge for the whole
-- list). Runs as its caller; federated_counts is the definer.
CREATE OR REPLACE FUNCTION cogdb.federated_top_topics(session_id text, n integer DEFAULT 10,
                                                      epsilon numeric DEFAULT NULL)
    RETURNS TABLE (bucket text, tenants integer, count bigint, noisy boolean)
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
BEGIN
    IF n IS NULL OR n NOT BETWEEN 1 AND 100 THEN
        RAISE EXCEPTION 'n must be between 1 and 100, got %', coalesce(n::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'n',
                  HINT = 'How many topics to list; 10 is a good start.';
    END IF;
    RETURN QUERY SELECT c.bucket, c.tenants, c.count, c.noisy
                   FROM cogdb.federated_counts(session_id, 'tag', epsilon) c
                  ORDER BY c.count DESC, c.bucket
                  LIMIT n;
END
$$;

REVOKE ALL ON FUNCTION cogdb.federated_top_topics(text, integer, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.federated_top_topics(text, integer, numeric) TO cogdb_app;
COMMENT ON FUNCTION cogdb.federated_top_topics(text, integer, numeric) IS
    'The n most frequent tags of a federated session (federated_counts by tag, largest first).';
-- <<< sql/functions/federated/federated_top_topics.sql

-- >>> sql/functions/federated/federated_average.sql
-- The average of a numeric signal over a federated session's contributors: 'technical_depth'
-- (0 to 10), 'access_count' (clipped to 0..100) or 'cluster_confidence' (0 to 1). Each
-- contributor with at least one tenant-visible, retained memory carrying the signal counts
-- once, with the mean of its own memories (so a large tenant weighs no more than a small
-- one); the result is the mean of those means, returned only when at least k tenants
-- contribute (else no row). With epsilon, Laplace noise of scale (high - low) / (tenants *
-- epsilon) is added (one tenant moves the mean of means by at most that range over the count),
-- the result is clamped to the signal's range, tenants is NULL, and every contributor's
-- privacy budget pays epsilon first, or none does (CGP01). Reads each contributor in its own
-- context, like federated_counts. Definer for the app.
CREATE OR REPLACE FUNCTION cogdb.federated_average(session_id text, signal text,
                                                   epsilon numeric DEFAULT NULL)
    RETURNS TABLE (tenants integer, average double precision, noisy boolean)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_variable
DECLARE
    v_me uuid := cogdb.federated_tenant('federated insights');
    v_session cogdb.federated_sessions := cogdb.federated_member(session_id, v_me);
    v_signal text := federated_average.signal;
    v_eps numeric := cogdb.check_epsilon(epsilon);
    v_high double precision := CASE v_signal WHEN 'technical_depth' THEN 10
                                             WHEN 'access_count' THEN 100
                                             WHEN 'cluster_confidence' THEN 1 END;
    v_tenants uuid[];
    v_tenant uuid;
    v_saved text[];
    v_means double precision[] := '{}';
    v_mean double precision;
    v_n integer;
    v_avg double precision;
    v_horizon timestamptz;
    v_cutoffs jsonb;
BEGIN
    IF v_high IS NULL THEN
        RAISE EXCEPTION 'signal must be technical_depth, access_count or cluster_confidence, got %',
                        coalesce(quote_literal(left(v_signal, 40)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'signal',
                  HINT = 'e.g. cogdb federated average --signal technical_depth';
    END IF;
    v_tenants := cogdb.federated_contributors(v_session.id);
    IF v_eps IS NOT NULL THEN
        PERFORM cogdb.charge_privacy_budget(v_tenants, v_eps, v_me);
    END IF;
    FOREACH v_tenant IN ARRAY v_tenants LOOP
        IF v_saved IS NULL THEN
            v_saved := cogdb.enter_tenant(v_tenant);
        ELSE
            PERFORM cogdb.enter_tenant(v_tenant);
        END IF;
        v_horizon := cogdb.retention_horizon();
        v_cutoffs := cogdb.retention_cutoffs();
        SELECT avg(least(greatest(x.v, 0), v_high)) INTO v_mean
          FROM cogdb.memories m
         CROSS JOIN LATERAL (SELECT CASE v_signal
                                 WHEN 'technical_depth' THEN m.technical_depth::float8
                                 WHEN 'access_count' THEN m.access_count::float8
                                 WHEN 'cluster_confidence' THEN m.cluster_confidence::float8
                             END AS v) x
         WHERE m.tenant_id = v_tenant AND m.visibility = 'tenant' AND x.v IS NOT NULL
           AND cogdb.is_retained(m.created_at, m.expires_at, m.anonymised_at, m.context_type,
                                 m.source, v_horizon, v_cutoffs);
        IF v_mean IS NOT NULL THEN
            v_means := v_means || v_mean;
        END IF;
    END LOOP;
    IF v_saved IS NOT NULL THEN
        PERFORM cogdb.restore_context(v_saved);
    END IF;
    v_n := cardinality(v_means);
    IF v_n < v_session.k THEN
        RETURN;
    END IF;
    SELECT avg(u) INTO v_avg FROM unnest(v_means) u;
    noisy := v_eps IS NOT NULL;
    IF v_eps IS NULL THEN
        tenants := v_n;
        average := v_avg;
    ELSE
        average := least(greatest(v_avg + cogdb.laplace_noise(v_high / (v_n * v_eps::float8)), 0),
                         v_high);
    END IF;
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION cogdb.federated_average(text, text, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.federated_average(text, text, numeric) TO cogdb_app;
COMMENT ON FUNCTION cogdb.federated_average(text, text, numeric) IS
    'The mean over a federated session''s contributors of each one''s mean technical_depth, access_count or cluster_confidence, only with at least k tenants; with epsilon, Laplace-noised and charged to every contributor''s privacy budget.';
-- <<< sql/functions/federated/federated_average.sql

-- >>> sql/functions/federated/privacy_budget.sql
-- The context tenant's privacy budget: epsilon_total, epsilon_spent and epsilon_left; before
-- its first session, the deployment's federated.epsilon_budget with nothing spent. Runs as
-- its caller: the fence shows the app its own row only.
CREATE OR REPLACE FUNCTION cogdb.privacy_budget()
    RETURNS TABLE (epsilon_total numeric, epsilon_spent numeric, epsilon_left numeric)
    LANGUAGE sql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(b.epsilon_total, d.total), coalesce(b.epsilon_spent, 0),
           coalesce(b.epsilon_total - b.epsilon_spent, d.total)
      FROM (SELECT coalesce((SELECT (s.value #>> '{}')::numeric FROM cogdb.settings s
                              WHERE s.key = 'federated.epsilon_budget'), 1) AS total,
                   cogdb.require_tenant('reading the privacy budget') AS tenant) d
      LEFT JOIN cogdb.privacy_budgets b ON b.tenant_id = d.tenant
$$;

REVOKE ALL ON FUNCTION cogdb.privacy_budget() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.privacy_budget() TO cogdb_app;
COMMENT ON FUNCTION cogdb.privacy_budget() IS
    'The context tenant''s privacy budget (epsilon total, spent, left).';
-- <<< sql/functions/federated/privacy_budget.sql

-- >>> sql/functions/federated/set_privacy_budget.sql
-- Sets a tenant's privacy budget total (epsilon, 0 to 1000) and returns {tenant_id,
-- epsilon_total, epsilon_spent}. Spent is never reset: a total below what the tenant has
-- spent already is refused (CGV01 naming epsilon_total), as privacy loss cannot be undone;
-- raising the total is how an administrator grants more. Definer for cogdb_admin; acts in the
-- tenant's context (enter_tenant: the budgets are fenced).
CREATE OR REPLACE FUNCTION cogdb.set_privacy_budget(tenant_id text, epsilon_total numeric)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_tenant uuid := cogdb.known_tenant(tenant_id);
    v_saved text[];
    v_row cogdb.privacy_budgets;
BEGIN
    IF epsilon_total IS NULL OR epsilon_total NOT BETWEEN 0 AND 1000 THEN
        RAISE EXCEPTION 'epsilon_total must be between 0 and 1000, got %',
                        coalesce(epsilon_total::text, 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'epsilon_total',
                  HINT = 'The total privacy loss the tenant accepts over all federated queries; '
                         '1 to 10 is usual.';
    END IF;
    v_saved := cogdb.enter_tenant(v_tenant);
    INSERT INTO cogdb.privacy_budgets AS b (tenant_id, epsilon_total)
    VALUES (v_tenant, epsilon_total)
    ON CONFLICT ON CONSTRAINT privacy_budgets_pkey DO UPDATE SET epsilon_total = excluded.epsilon_total,
                                                                 updated_at = now()
     WHERE b.epsilon_spent <= excluded.epsilon_total
    RETURNING * INTO v_row;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'epsilon_total % is below what the tenant has spent', epsilon_total
            USING ERRCODE = 'CGV01', COLUMN = 'epsilon_total',
                  HINT = 'Spent privacy cannot be given back; set a total at least as large as '
                         'epsilon_spent (cogdb federated budget).';
    END IF;
    PERFORM cogdb.restore_context(v_saved);
    RETURN jsonb_build_object('tenant_id', v_row.tenant_id, 'epsilon_total', v_row.epsilon_total,
                              'epsilon_spent', v_row.epsilon_spent);
END
$$;

REVOKE ALL ON FUNCTION cogdb.set_privacy_budget(text, numeric) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.set_privacy_budget(text, numeric) TO cogdb_admin;
COMMENT ON FUNCTION cogdb.set_privacy_budget(text, numeric) IS
    'Sets a tenant''s privacy budget total (never below what it has spent); returns the budget.';
-- <<< sql/functions/federated/set_privacy_budget.sql

-- >>> sql/functions/governance/policy_report_allowlist.sql
-- The tables of schema cogdb that the DBA report (policy_report) exempts, with the reason.
-- exempt = 'rls': a global registry without tenant data and without row-level security;
-- exempt = 'fence': row security enabled and forced, but no tenant fence (the table is not
-- per-tenant, or it is owner-only: RLS forced, one policy for cogdb_owner, no grants, read
-- only through definer functions that filter the tenant themselves; see docs/trust-model.md).
-- A table added later is on neither list, so the report flags it until it is fenced.
CREATE OR REPLACE FUNCTION cogdb.policy_report_allowlist()
    RETURNS TABLE (table_name text, exempt text, reason text)
    LANGUAGE sql IMMUTABLE SECURITY INVOKER
AS $$
    VALUES
      ('settings', 'rls', 'deployment-wide settings (search.max_k, default_model); no tenant data'),
      ('embedding_models', 'rls', 'admin-managed registry of embedding models, shared by all tenants'),
      ('vocabularies', 'rls', 'admin-managed allowed values of enumerated memory fields, shared by all tenants'),
      ('alembic_version', 'rls', 'Alembic''s bookkeeping (one revision id)'),
      ('tenants', 'fence', 'the tenant registry: each row is a tenant, the app reads its own row only (tenants__own_row); provisioning is definer'),
      ('identities', 'fence', 'owner-only: the global directory of logins (auth_provider, external_id), resolved before any context exists'),
      ('memory_counts', 'fence', 'owner-only: append-only tenant sizes that cogdb maintain reads across tenants'),
      ('text_index', 'fence', 'owner-only: the full-text index (a GIN index is unusable under an RLS condition); text_candidates filters the tenant itself'),
      ('tenant_stats', 'fence', 'owner-only: append-only per-tenant counters, read for one tenant by stats()/tenant_stats()'),
      ('memory_accesses', 'fence', 'owner-only: append-only access log folded into memories by cogdb maintain'),
      ('audit_heads', 'fence', 'owner-only: each tenant''s audit chain head, locked and advanced by audit_append, which names the tenant'),
      ('audit_pending', 'fence', 'owner-only: audit records of transactions in flight, chained at their commit by audit_flush'),
      ('federated_sessions', 'fence', 'owner-only: a federated session spans tenants; read and written by the federated definer functions, which never return the opening tenant''s id to another'),
      ('federated_participants', 'fence', 'owner-only: which tenants take part in which federated session, enumerated across tenants by the aggregate definer functions; a tenant reads its own participation through list_federated_sessions')
$$;

REVOKE ALL ON FUNCTION cogdb.policy_report_allowlist() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.policy_report_allowlist() TO cogdb_admin, cogdb_auditor;
COMMENT ON FUNCTION cogdb.policy_report_allowlist() IS
    'The tables of schema cogdb that the DBA report exempts from row security (rls) or from the tenant fence (fence), with the reason.';
-- <<< sql/functions/governance/policy_report_allowlist.sql

RESET ROLE;
