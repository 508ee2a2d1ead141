-- The keys the text index's GIN index holds for one row: every lexeme of `tsv`, without
-- positions or weights, prefixed with the tenant's key (cogdb.text_tenant_key); a lexeme
-- over 500 characters may be cut to its first 500. So the posting list of a key is one
-- tenant's documents with one word, and text_candidates reads no other tenant's entries
-- (through a GIN index on (tenant_id, tsv) it read the word's posting list over the whole
-- database and the tenant's over all its documents: bench/RESULTS.md, Knowledge).
--
-- What matches: cogdb.text_keys_query rewrites a query into one these keys answer for every
-- row the query matches (its part without negations; phrases become AND; every lexeme of
-- the query is under 500 characters; a lexeme without weights matches a weighted one); the
-- query itself is checked on the row after the index. The cut keeps a lexeme of up to 2,046 bytes
-- indexable with its prefix; a query word of 500 characters or more does not take the index.
--
-- Never raises: a tsvector holds at most 1,048,575 bytes of lexemes, which a document near it
-- would pass with its prefixes (a memory of ~66,000 distinct short words). Such a document
-- gets the bare tenant key instead, which no real key equals (a lexeme is never empty) and
-- every key query ORs in: it is a candidate of every search of its tenant, and the query
-- itself decides.
--
-- Fast path: the lexemes joined by a separator (U+001F) and split again, one string
-- operation instead of one per lexeme (8.5 against 22 us for a 50-word document); taken when
-- the lexemes are short enough in total (2,038 bytes) that each fits with its prefix, and
-- none holds the separator (the split returns as many parts as there were lexemes).
-- Immutable, invoker, owner-only: the index expression on cogdb.text_index.
CREATE OR REPLACE FUNCTION cogdb.text_keys(tenant_id uuid, tsv tsvector) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key text := cogdb.text_tenant_key(tenant_id);
    v_lexemes text[] := pg_catalog.tsvector_to_array(tsv);
    v_joined text;
    v_keys text[];
BEGIN
    IF cardinality(v_lexemes) = 0 THEN
        RETURN ''::tsvector;
    END IF;
    v_joined := v_key || array_to_string(v_lexemes, E'\x1f' || v_key);
    IF octet_length(v_joined) - (cardinality(v_lexemes) - 1) > 1048575 THEN
        RETURN array_to_tsvector(ARRAY[v_key]);
    END IF;
    IF octet_length(v_joined) - (cardinality(v_lexemes) - 1) * (1 + octet_length(v_key)) <= 2038 THEN
        v_keys := string_to_array(v_joined, E'\x1f');
    END IF;
    IF cardinality(v_keys) IS DISTINCT FROM cardinality(v_lexemes) THEN
        v_keys := ARRAY(SELECT v_key || left(l, 500) FROM unnest(v_lexemes) AS l);
    END IF;
    RETURN array_to_tsvector(v_keys);
END
$$;

REVOKE ALL ON FUNCTION cogdb.text_keys(uuid, tsvector) FROM PUBLIC;
COMMENT ON FUNCTION cogdb.text_keys(uuid, tsvector) IS
    'The text index''s GIN keys for a row: its lexemes prefixed with the tenant''s key (no positions; over 500 characters, cut).';
