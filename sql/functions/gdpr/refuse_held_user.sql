-- Refuses a GDPR erasure or anonymisation (`action`) while a legal hold keeps the tenant or
-- the user (cogdb.retention_holds): the hold is the legal obligation to keep the data that
-- GDPR's right to erasure yields to (Art. 17(3)(e): establishment, exercise or defence of
-- legal claims). CGF02 names the hold (whose, its reason, when and by whom placed) and how
-- to release it. Runs in the caller's context (the definer function's, inside the tenant).
CREATE OR REPLACE FUNCTION cogdb.refuse_held_user(tenant uuid, user_id uuid, action text)
    RETURNS void
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_hold cogdb.retention_holds;
BEGIN
    SELECT h.* INTO v_hold
      FROM cogdb.retention_holds h
     WHERE h.tenant_id = tenant AND (h.user_id IS NULL OR h.user_id = user_id)
     ORDER BY h.user_id NULLS FIRST
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '% refused: a legal hold on %: %', action,
                        CASE WHEN v_hold.user_id IS NULL THEN 'the whole tenant ' || tenant
                             ELSE 'user ' || v_hold.user_id END,
                        v_hold.reason
            USING ERRCODE = 'CGF02', COLUMN = 'user_id',
                  DETAIL = format('placed %s by %s', v_hold.placed_at, v_hold.placed_by),
                  HINT = 'A legal hold keeps the data; release it first (`cogdb retention release --tenant '
                         || tenant || CASE WHEN v_hold.user_id IS NULL THEN ''
                                           ELSE ' --user ' || v_hold.user_id END
                         || '`) when the obligation has ended.';
    END IF;
END
$$;

REVOKE ALL ON FUNCTION cogdb.refuse_held_user(uuid, uuid, text) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.refuse_held_user(uuid, uuid, text) IS
    'Refuses (CGF02, naming the hold) a GDPR erasure or anonymisation while a legal hold keeps the tenant or the user.';
