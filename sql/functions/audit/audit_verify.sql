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
