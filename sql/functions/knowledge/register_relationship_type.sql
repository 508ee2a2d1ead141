-- Registers a relationship type for the context's tenant (idempotent for the same
-- definition) and returns its name. exclusive: a node holds at most one current relationship
-- of this type to other nodes (works_at, reports_to); recording a new one supersedes the old
-- (cogdb.relate). Built-in names cannot be registered again; a registered type never changes.
CREATE OR REPLACE FUNCTION cogdb.register_relationship_type(name text,
                                                            description text DEFAULT NULL,
                                                            exclusive boolean DEFAULT false)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
    v_existing cogdb.relationship_types;
BEGIN
    PERFORM cogdb.require_tenant('registering a relationship type');
    IF name IS NULL OR name !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'name must be 1-63 of a-z 0-9 _ starting with a letter, got %',
                        coalesce(quote_literal(left(name, 60)), 'NULL')
            USING ERRCODE = 'CGV01', COLUMN = 'name', HINT = 'e.g. works_at, reports_to, mentions';
    END IF;
    IF name = ANY (cogdb.builtin_relationship_types()) THEN
        RAISE EXCEPTION '% is a built-in relationship type', quote_literal(name)
            USING ERRCODE = 'CGV01', COLUMN = 'name',
                  HINT = 'Built-in types need no registration.';
    END IF;
    IF length(description) > 1000 THEN
        RAISE EXCEPTION 'description must be at most 1000 characters'
            USING ERRCODE = 'CGV01', COLUMN = 'description', HINT = 'One sentence is enough.';
    END IF;
    INSERT INTO cogdb.relationship_types AS t (name, description, exclusive)
    VALUES (name, description, coalesce(exclusive, false))
    ON CONFLICT ON CONSTRAINT relationship_types_pkey DO NOTHING;
    IF NOT FOUND THEN
        SELECT * INTO v_existing FROM cogdb.relationship_types t WHERE t.name = register_relationship_type.name;
        IF v_existing.exclusive IS DISTINCT FROM coalesce(exclusive, false)
           OR v_existing.description IS DISTINCT FROM description THEN
            RAISE EXCEPTION 'relationship type % is registered with another definition', quote_literal(name)
                USING ERRCODE = 'CGC01', COLUMN = 'name',
                      HINT = 'A registered type never changes; register a new name.';
        END IF;
    END IF;
    RETURN name;
END
$$;

REVOKE ALL ON FUNCTION cogdb.register_relationship_type(text, text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cogdb.register_relationship_type(text, text, boolean) TO cogdb_app;
COMMENT ON FUNCTION cogdb.register_relationship_type(text, text, boolean) IS
    'Registers a relationship type (optionally exclusive) for the context''s tenant; idempotent for the same definition.';
