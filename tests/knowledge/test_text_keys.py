"""The text index's tenant keys (revision 0036): cogdb.text_keys (the GIN index's expression)
and cogdb.text_keys_query (the query on it) never lose a row the query itself matches, in any
query form: phrases, prefixes, weights, OR, negations, quotes and backslashes in lexemes,
long words, and the separator text_keys' fast path splits on. SQL behaviour, as the owner
(the functions are owner-only; isolation is tests/isolation/test_knowledge_isolation.py)."""
from __future__ import annotations

import pytest
from helpers import vec

TENANT = "f79e0491-320d-44f5-97a7-85d36a800eca"
OTHER = "0a1b2c3d-0000-4000-8000-000000000001"

# Documents as the text index holds them (weights A/B as index_text writes them), and odd
# lexemes that a to_tsvector of some text could produce.
DOCUMENTS = [
    "setweight(to_tsvector('english', 'Refund for order ORD-2024-01234'), 'A')"
    " || setweight(to_tsvector('english', 'the customer asked twice about the refund'), 'B')",
    "to_tsvector('english', 'hello big world, hello again')",
    "to_tsvector('simple', 'it''s O''Brien''s path C:\\temp\\x and a\\b')",
    "to_tsvector('simple', 'short ' || repeat('w', 600) || ' tail')",
    "to_tsvector('simple', repeat('b', 2040) || ' after')",
    "to_tsvector('english', (SELECT string_agg('word' || g, ' ') FROM generate_series(1, 400) g))",
    "array_to_tsvector(ARRAY['a' || chr(31) || 'b', 'plain'])",
    "''::tsvector",
    # too large for its keys (66,666 words of two 4-byte characters: 1 MB with the prefixes)
    "to_tsvector('simple', 'hugeword ' || (SELECT string_agg(chr(131072 + g / 300)"
    " || chr(131072 + g % 300), ' ') FROM generate_series(0, 66665) g))",
]
QUERIES = [
    "'refund'", "'refund' & 'order'", "'refund':A", "'custom':*", "'refund':B & 'twice'",
    "'hello' <-> 'big'", "'hello' <2> 'world'", "'big' <-> 'hello'", "'hello' | 'nothing'",
    "( 'hello' | 'refund' ) & 'world'", "'hello' & !'refund'", "'refund' & !'hello'",
    "!'hello'", "'hello' | !'world'", "!( 'hello' <-> 'big' )", "'hello' <-> !'big'",
    "'o''brien''s'", "'c:\\\\temp\\\\x'", "'a\\\\b'", "'it''s':*",
    f"'{'w' * 600}'", f"'{'w' * 499}':*", "'short' & 'tail'", f"'{'b' * 2040}'", "'after'",
    "'word399' & 'word1'", "'word25' <-> 'word26'", "'a' || chr(31) || 'b'", "'plain'",
    "'ord' <-> '-2024' <-> '-01234'", "'hugeword'", "'hugeword' & 'refund'",
]


@pytest.fixture
def pairs(db):
    """Every (document, query) pair: whether the query matches, whether the keys do, and
    whether there is a key query at all."""
    conn = db.super
    conn.execute("CREATE TEMP TABLE docs (n int, tsv tsvector)")
    for n, expr in enumerate(DOCUMENTS):
        conn.execute(f"INSERT INTO docs VALUES ({n}, {expr})")
    conn.execute("CREATE TEMP TABLE queries (n int, q tsquery)")
    for n, text in enumerate(QUERIES):
        expr = text if "||" in text else f"$q${text}$q$"
        conn.execute(f"INSERT INTO queries VALUES ({n}, ({expr})::tsquery)")
    return conn.execute(
        "SELECT d.n, q.n, d.tsv @@ q.q, cogdb.text_keys(%s, d.tsv) @@ k.kq, k.kq IS NOT NULL"
        "  FROM docs d CROSS JOIN queries q"
        " CROSS JOIN LATERAL (SELECT cogdb.text_keys_query(%s, q.q) AS kq) k",
        (TENANT, TENANT)).fetchall()


def test_the_keys_find_every_row_the_query_matches(pairs):
    lost = [(DOCUMENTS[d], QUERIES[q]) for d, q, hit, key_hit, keyed in pairs
            if hit and keyed and not key_hit]
    assert lost == []
    # controls: queries match, most of them through the keys, and the keys narrow: a keyed
    # query that does not match a document is not matched by its keys either, mostly
    assert sum(hit for _, _, hit, _, _ in pairs) >= 25
    assert sum(hit and keyed for _, _, hit, _, keyed in pairs) >= 20
    assert sum(keyed and not hit and not key_hit for _, _, hit, key_hit, keyed in pairs) >= 150


def test_a_key_query_exists_unless_negations_are_all_there_is_or_a_word_is_long(pairs):
    keyed = {QUERIES[q] for _, q, _, _, k in pairs if k}
    unkeyed = set(QUERIES) - keyed
    assert unkeyed == {"!'hello'", "'hello' | !'world'", "!( 'hello' <-> 'big' )",
                       f"'{'w' * 600}'", f"'{'b' * 2040}'"}


def test_key_queries_keep_the_grouping_and_drop_positions(db):
    def key_query(text: str) -> str:
        return db.super.execute("SELECT cogdb.text_keys_query(%s, %s::tsquery)::text",
                                (TENANT, text)).fetchone()[0]

    key = db.super.execute("SELECT cogdb.text_tenant_key(%s)", (TENANT,)).fetchone()[0]
    assert len(key) == 8
    # the bare key is OR-ed in: the key of a document too large for its keys
    assert key_query("a | b <-> c") == f"'{key}a' | '{key}b' & '{key}c' | '{key}'"
    assert key_query("(a | b) <2> c & !d") == f"( '{key}a' | '{key}b' ) & '{key}c' | '{key}'"
    # weights go (keys have none), prefixes stay
    assert key_query("'x<->y' & z:*A & w:BC") == f"'{key}x<->y' & '{key}z':* & '{key}w' | '{key}'"
    # another tenant, another prefix: its keys do not answer this tenant's query
    assert db.super.execute(
        "SELECT cogdb.text_keys(%s, 'refund'::tsvector) @@ cogdb.text_keys_query(%s, 'refund'),"
        "       cogdb.text_keys(%s, 'refund'::tsvector) @@ cogdb.text_keys_query(%s, 'refund')",
        (OTHER, TENANT, TENANT, TENANT)).fetchone() == (False, True)


def test_long_lexemes_and_the_separator_take_the_slow_path_and_stay_indexable(db):
    rows = db.super.execute(
        "SELECT length(v), length(cogdb.text_keys(%s, v)),"
        "       max(octet_length(k)) FILTER (WHERE true)"
        "  FROM (VALUES (to_tsvector('simple', repeat('b', 2040) || ' after')),"
        "               (array_to_tsvector(ARRAY['a' || chr(31) || 'b', 'plain'])),"
        "               (to_tsvector('simple', 'one two three'))) s(v),"
        "       unnest(tsvector_to_array(cogdb.text_keys(%s, v))) k"
        " GROUP BY v ORDER BY 1, 3", (TENANT, TENANT)).fetchall()
    # as many keys as lexemes; the long one cut to 8 + 500 characters
    assert [(n, k) for n, k, _ in rows] == [(2, 2), (2, 2), (3, 3)]
    assert max(m for _, _, m in rows) == 508


def test_a_document_too_large_for_its_keys_is_kept_and_found(db, client, tenants):
    """A memory near the tsvector's 1 MB of lexemes gets the tenant key alone (text_keys
    never raises), and every key query finds it: saved, then matched by its words through
    the index (more documents than the one-pass match takes), and by nothing else."""
    def words(a: int, b: int) -> str:
        return " ".join(chr(0x20000 + g // 300) + chr(0x20000 + g % 300) for g in range(a, b))

    with client.scope(tenants.a, tenants.a1) as s:
        big = s.remember("hugeword " + words(3, 33333), words(33333, 66666), vec(1))
        s.remember_many([{"human": f"filler note {i}"} for i in range(60)],
                        [vec(100 + i) for i in range(60)])
        s.remember_many([{"human": f"filler memo {i}"} for i in range(60)],
                        [vec(200 + i) for i in range(60)])
        assert [h.id for h in s.hybrid_search("hugeword", 5, embed=False)] == [big]
        assert big not in {h.id for h in s.hybrid_search("filler", 50, embed=False)}
    assert db.super.execute(
        "SELECT length(cogdb.text_keys(t.tenant_id, t.tsv)) FROM cogdb.text_index t"
        " WHERE t.memory_id = %s", (big,)).fetchone() == (1,)
