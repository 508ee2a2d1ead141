"""The API contract (docs/architecture.md), checked through the app login (SQL) and the Python
client.

search: cosine similarity = 1 - cosine distance, nearest first, ties by id, 1 <= k <= 1000,
expired memories never returned, reads only, filters only narrow. get/forget: an invisible id
is a missing id. remember_many: ids in input order, all-or-nothing. Errors: cogdb SQLSTATEs
with a HINT, mapped to typed Python exceptions. Provisioning: resolve_identity before any
context; create_tenant/create_user idempotent.
"""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import psycopg
import pytest
from helpers import DIMS, count, in_context, sql_error, vec
from psycopg.types.json import Jsonb

import cogdb
from cogdb.db.errors import translate


@pytest.fixture
def client(contract_client):
    """Every test here runs against the sync client and the async one (conftest)."""
    return contract_client

SERVER_ID = re.compile(r"^mem_[0-9a-f]{32}$")


# --------------------------------------------------------------------------- search


def test_similarity_is_one_minus_cosine_distance_and_ordered(client, tenants):
    rng = np.random.default_rng(20240601)
    vectors = rng.normal(size=(40, DIMS)).astype(np.float32)
    query = rng.normal(size=DIMS).astype(np.float32)
    with client.scope(tenants.a, tenants.a1) as s:
        ids = s.remember_many([{"human": f"random {i}"} for i in range(len(vectors))], vectors)
        hits = s.search(query, k=1000)
        top5 = s.search(query, k=5)
    q = query.astype(np.float64)
    expected = {}
    for mid, v in zip(ids, vectors.astype(np.float64), strict=True):
        expected[mid] = float(q @ v / (np.linalg.norm(q) * np.linalg.norm(v)))
    assert sorted(h.id for h in hits) == sorted(ids)
    for h in hits:
        assert h.similarity == pytest.approx(expected[h.id], abs=1e-5)
    sims = [h.similarity for h in hits]
    assert sims == sorted(sims, reverse=True)
    assert [h.id for h in top5] == sorted(expected, key=lambda m: -expected[m])[:5]
    assert [h.id for h in top5] == [h.id for h in hits[:5]]
    # anti-parallel and orthogonal vectors span the whole range [-1, 1]
    with client.scope(tenants.b) as s:
        same, opposite, orthogonal = s.remember_many(
            [{"human": "same"}, {"human": "opposite"}, {"human": "orthogonal"}],
            [vec(0), -vec(0), vec(1)])
        by_id = {h.id: h.similarity for h in s.search(vec(0), k=3)}
    assert by_id[same] == pytest.approx(1.0, abs=1e-6)
    assert by_id[orthogonal] == pytest.approx(0.0, abs=1e-6)
    assert by_id[opposite] == pytest.approx(-1.0, abs=1e-6)


def test_ties_are_broken_by_id_ascending(client, app_conn, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember_many([{"id": i, "human": f"tie {i}"} for i in ("b", "a", "c")],
                        [vec(0, second=1)] * 3)
        s.remember_many([{"id": "z", "human": "nearest"}], [vec(0)])
        hits = s.search(vec(0), k=10)
    assert [h.id for h in hits] == ["z", "a", "b", "c"]
    assert hits[1].similarity == hits[2].similarity == hits[3].similarity
    with in_context(app_conn, tenants.a, tenants.a1) as c:
        rows = c.execute("SELECT id FROM cogdb.search(%s::vector, 3)", (vec(1),)).fetchall()
    # vec(1) is equally near a, b, c and orthogonal to z
    assert [r[0] for r in rows] == ["a", "b", "c"]


@pytest.mark.parametrize("k", [0, -1, 1001, 2**31 - 1])
def test_k_must_be_between_1_and_1000(k, client, app_conn, tenants):
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a) as s:
        s.search(vec(0), k=k)
    assert (info.value.sqlstate, info.value.field) == ("CGV01", "k")
    assert "1000" in info.value.message
    with pytest.raises(psycopg.Error) as raw, in_context(app_conn, tenants.a) as c:
        c.execute("SELECT * FROM cogdb.search(%s::vector, %s::integer)", (vec(0), k))
    assert (raw.value.sqlstate, raw.value.diag.column_name) == ("CGV01", "k")


def test_k_bounds_are_accepted_and_null_k_is_refused(client, app_conn, tenants):
    with client.scope(tenants.a) as s:
        ids = s.remember_many([{"human": str(i)} for i in range(3)], [vec(i) for i in range(3)])
        assert len(s.search(vec(0), k=1)) == 1
        assert sorted(h.id for h in s.search(vec(0), k=1000)) == sorted(ids)
    with pytest.raises(psycopg.Error) as raw, in_context(app_conn, tenants.a) as c:
        c.execute("SELECT * FROM cogdb.search(%s::vector, NULL)", (vec(0),))
    assert (raw.value.sqlstate, raw.value.diag.column_name) == ("CGV01", "k")


def test_expired_memories_are_never_returned(client, app_conn, db, tenants):
    now = datetime.now(UTC)
    created = now - timedelta(hours=1)
    with client.scope(tenants.a, tenants.a1) as s:
        expired = s.remember("old", "news", vec(0), created_at=created,
                             expires_at=created + timedelta(seconds=1))
        expired_private = s.remember("old", "secret", vec(0), private=True,
                                     created_at=created, expires_at=created + timedelta(seconds=1))
        alive = s.remember("fresh", "news", vec(0, second=1), created_at=created,
                           expires_at=now + timedelta(days=1))
        forever = s.remember("always", "here", vec(3))
    assert count(db) == 4  # the expired rows were written: they are just not returned
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.get(expired) is None
        assert s.get(expired_private) is None
        assert s.get(alive) is not None and s.get(forever) is not None
        assert [h.id for h in s.search(vec(0), k=1000)] == [alive, forever]
        assert [h.id for h in s.search(vec(0), k=1000, created_before=now)] == [alive]
    with in_context(app_conn, tenants.a, tenants.a1) as c:
        assert c.execute("SELECT * FROM cogdb.get(%s)", (expired,)).fetchall() == []
        rows = c.execute("SELECT id FROM cogdb.search(%s::vector, 1000)", (vec(0),)).fetchall()
        assert {r[0] for r in rows} == {alive, forever}


def _row_versions(app_conn, tenant, user=None):
    with in_context(app_conn, tenant, user) as c:
        return c.execute("SELECT id, access_count, last_accessed, xmin::text, ctid::text"
                         " FROM cogdb.memories ORDER BY id").fetchall()


def test_search_and_get_write_nothing(client, app_conn, db, tenants):
    seen = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    with client.scope(tenants.a, tenants.a1) as s:
        ids = s.remember_many(
            [{"human": f"m{i}", "access_count": 3, "last_accessed": seen} for i in range(5)]
            + [{"human": "fresh"}], [vec(i) for i in range(6)])
    before = _row_versions(app_conn, tenants.a, tenants.a1)
    assert len(before) == 6
    stats_before = db.super.execute(
        "SELECT n_tup_upd, n_tup_del, n_tup_ins FROM pg_stat_user_tables"
        " WHERE relid = 'cogdb.memories'::regclass").fetchone()
    with client.scope(tenants.a, tenants.a1) as s:
        for i in range(6):
            assert s.search(vec(i), k=3)[0].id == ids[i]
            assert s.get(ids[i]).access_count == (3 if i < 5 else 0)
        s.search("m1", k=10)
    with in_context(app_conn, tenants.a, tenants.a1) as c:
        c.execute("SELECT * FROM cogdb.search(%s::vector, 1000)", (vec(0),)).fetchall()
        c.execute("SELECT * FROM cogdb.get(%s)", (ids[0],)).fetchall()
    after = _row_versions(app_conn, tenants.a, tenants.a1)
    assert after == before, "search/get changed rows (access tracking on the read path?)"
    fresh = next(r for r in after if r[0] == ids[5])
    assert fresh[1:3] == (0, None)
    # The search itself is declared STABLE, so PostgreSQL itself refuses writes inside it.
    # search and get are VOLATILE since revision 0015 for one write only: with
    # include_shared, the audit note of a shared read in the source tenant's chain
    # (note_shared_read); the row versions above show they still change no memory.
    volatility = dict(db.super.execute(
        "SELECT p.proname, p.provolatile FROM pg_proc p"
        " WHERE p.pronamespace = 'cogdb'::regnamespace"
        " AND p.proname IN ('search', 'get', 'search_tenant')").fetchall())
    assert volatility == {"search": "v", "get": "v", "search_tenant": "s"}
    # Optional: the statistics collector saw no updates either (flushed lazily; may lag).
    db.super.execute("SELECT pg_stat_clear_snapshot()")
    stats_after = db.super.execute(
        "SELECT n_tup_upd, n_tup_del, n_tup_ins FROM pg_stat_user_tables"
        " WHERE relid = 'cogdb.memories'::regclass").fetchone()
    assert stats_after[0] == stats_before[0]


def test_filters_only_narrow(client, tenants):
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    rng = np.random.default_rng(7)
    specs = []
    for i in range(24):
        specs.append({
            "human": f"memory {i}",
            "conversation_id": ["c1", "c2", None][i % 3],
            "source": ["api", "import", "manual", "assistant"][i % 4],
            "context_type": ["conversation", "fact", "note"][i % 3 if i % 2 else 0],
            "tags": [["red"], ["blue"], ["red", "green"], []][i % 4],
            "created_at": t0 + timedelta(days=i),
        })
    vectors = rng.normal(size=(len(specs), DIMS)).astype(np.float32)
    query = rng.normal(size=DIMS).astype(np.float32)
    with client.scope(tenants.a, tenants.a1) as s:
        ids = s.remember_many(specs, vectors)
        by_id = dict(zip(ids, specs, strict=True))
        base = s.search(query, k=1000)
        assert sorted(h.id for h in base) == sorted(ids)
        cases = [
            ({"conversation": "c1"}, lambda m: m["conversation_id"] == "c1"),
            ({"conversation": "nope"}, lambda m: False),
            ({"source": "import"}, lambda m: m["source"] == "import"),
            ({"context_type": "fact"}, lambda m: m["context_type"] == "fact"),
            ({"tags_any": ["red"]}, lambda m: "red" in m["tags"]),
            ({"tags_any": ["green", "blue"]}, lambda m: {"green", "blue"} & set(m["tags"])),
            ({"tags_any": []}, lambda m: False),
            ({"created_after": t0 + timedelta(days=10)},
             lambda m: m["created_at"] >= t0 + timedelta(days=10)),
            ({"created_before": t0 + timedelta(days=5)},
             lambda m: m["created_at"] < t0 + timedelta(days=5)),
            ({"created_after": t0 + timedelta(days=3), "created_before": t0 + timedelta(days=15),
              "source": "api", "tags_any": ["red"]},
             lambda m: t0 + timedelta(days=3) <= m["created_at"] < t0 + timedelta(days=15)
             and m["source"] == "api" and "red" in m["tags"]),
        ]
        for filters, keep in cases:
            got = [h.id for h in s.search(query, k=1000, **filters)]
            expected = [h.id for h in base if keep(by_id[h.id])]
            assert got == expected, filters  # a subset of the unfiltered result, same order
            narrowed = s.search(query, k=2, **filters)
            assert [h.id for h in narrowed] == expected[:2], filters
    assert any(len([h for h in base if keep(by_id[h.id])]) > 1 for _, keep in cases)


# --------------------------------------------------------------------------- get / forget


@pytest.fixture
def hidden(client, tenants):
    """a1's private memory, a tenant-visible memory of A, and a memory of B."""
    with client.scope(tenants.a, tenants.a1) as s:
        private = s.remember("a1's diary", "secret", vec(1), private=True)
        shared = s.remember("team note", "shared", vec(2))
    with client.scope(tenants.b, tenants.b1) as s:
        other = s.remember("b's note", "other tenant", vec(3))
    return private, shared, other


def test_get_and_forget_of_invisible_ids_look_missing(client, app_conn, db, tenants, hidden):
    private, shared, other = hidden
    missing = "mem_" + "0" * 32
    for tenant, user, invisible in ((tenants.a, tenants.a2, [private, other]),
                                    (tenants.a, None, [private, other]),
                                    (tenants.b, tenants.b1, [private, shared])):
        with client.scope(tenant, user) as s:
            for mid in [*invisible, missing]:
                assert s.get(mid) is None
                assert s.forget(mid) is False
        with in_context(app_conn, tenant, user) as c:
            for mid in [*invisible, missing]:
                assert c.execute("SELECT * FROM cogdb.get(%s)", (mid,)).fetchall() == []
                assert c.execute("SELECT cogdb.forget(%s)", (mid,)).fetchone() == (False,)
                cur = c.execute("DELETE FROM cogdb.memories WHERE id = %s", (mid,))
                assert cur.rowcount == 0
                cur = c.execute("UPDATE cogdb.memories SET summary = 'x' WHERE id = %s", (mid,))
                assert cur.rowcount == 0
    assert count(db) == 3, "an invisible memory was deleted"
    # a2 sees a1's tenant-visible memory but, not owning it, cannot forget it
    with client.scope(tenants.a, tenants.a2) as s:
        assert s.get(shared).human_content == "team note"
        assert s.forget(shared) is False
    assert count(db) == 3
    # positive controls: the owner gets and forgets them
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.get(private).human_content == "a1's diary"
        assert s.forget(private) is True
        assert s.forget(private) is False
    with client.scope(tenants.b, tenants.b1) as s:
        assert s.forget(other) is True
    assert count(db) == 1


def test_same_id_in_two_tenants_stays_apart(client, db, tenants):
    with client.scope(tenants.a) as s:
        assert s.remember_many([{"id": "mem_abc123", "human": "A's"}], [vec(0)]) == ["mem_abc123"]
    with client.scope(tenants.b) as s:
        assert s.remember_many([{"id": "mem_abc123", "human": "B's"}], [vec(0)]) == ["mem_abc123"]
        assert s.get("mem_abc123").human_content == "B's"
        assert s.forget("mem_abc123") is True
    with client.scope(tenants.a) as s:
        assert s.get("mem_abc123").human_content == "A's"
    assert count(db) == 1


# --------------------------------------------------------------------------- remember_many


def test_remember_many_returns_ids_in_input_order(client, app_conn, tenants):
    items = [{"id": "imp-9", "human": "item 0"}, {"human": "item 1"},
             {"id": "mem_abc123", "human": "item 2"}, {"human": "item 3"},
             {"id": "imp-1", "human": "item 4"}, {"human": "item 5"}]
    with client.scope(tenants.a, tenants.a1) as s:
        ids = s.remember_many(items, [vec(i) for i in range(len(items))])
        assert ids[0] == "imp-9" and ids[2] == "mem_abc123" and ids[4] == "imp-1"
        made = [ids[1], ids[3], ids[5]]
        assert all(SERVER_ID.match(m) for m in made), made
        assert len(set(ids)) == len(ids)
        for i, mid in enumerate(ids):
            assert s.get(mid).human_content == f"item {i}"
        # a bigger batch whose given ids sort opposite to the input order
        given = [f"id-{999 - i:04d}" for i in range(300)]
        assert s.remember_many([{"id": g, "human": g} for g in given],
                               [vec(i % DIMS) for i in range(300)]) == given
    with in_context(app_conn, tenants.a, tenants.a1) as c:
        rows = c.execute(
            "SELECT ordinality, id FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
            (Jsonb([{"human_content": "x"}, {"id": "zz", "human_content": "y"},
                    {"human_content": "z"}]), [vec(0), vec(1), vec(2)])).fetchall()
        assert [r[0] for r in rows] == [1, 2, 3]
        assert rows[1][1] == "zz" and SERVER_ID.match(rows[0][1]) and SERVER_ID.match(rows[2][1])
        assert c.execute("SELECT cogdb.remember('h', 'a', %s::vector, '{\"id\": \"mem_abc\"}')",
                         (vec(0),)).fetchone() == ("mem_abc",)
        assert SERVER_ID.match(c.execute("SELECT cogdb.remember('h', 'a', %s::vector)",
                                         (vec(0),)).fetchone()[0])


def test_remember_many_is_all_or_nothing(client, app_conn, db, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember_many([{"id": "taken", "human": "first"}], [vec(0)])
    start = count(db)
    # a duplicate id inside the batch
    with pytest.raises(cogdb.Conflict) as info, client.scope(tenants.a, tenants.a1) as s:
        s.remember_many([{"id": "dup", "human": "1"}, {"human": "2"}, {"id": "dup", "human": "3"}],
                        [vec(0), vec(1), vec(2)])
    assert info.value.sqlstate in ("23505", "CGC01")
    assert count(db) == start
    # an id already taken in the tenant
    with pytest.raises(cogdb.Conflict), client.scope(tenants.a, tenants.a1) as s:
        s.remember_many([{"human": "new"}, {"id": "taken", "human": "again"}], [vec(0), vec(1)])
    assert count(db) == start
    # one invalid row among valid ones (last, first, middle)
    for bad_at in (0, 1, 2):
        batch = [{"human": f"ok {i}"} for i in range(3)]
        batch[bad_at] = {"human": "bad", "technical_depth": 42}
        with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a) as s:
            s.remember_many(batch, [vec(i) for i in range(3)])
        assert info.value.field == "technical_depth"
        assert count(db) == start
    err = sql_error(app_conn, "SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                    (Jsonb([{"id": "d2", "human_content": "x"},
                            {"id": "d2", "human_content": "y"}]), [vec(0), vec(1)]),
                    tenant=tenants.a)
    assert err.sqlstate == "23505"
    assert isinstance(translate(err), cogdb.Conflict)
    assert count(db) == start
    # positive control: the same batch with distinct ids is written whole
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember_many([{"id": "dup", "human": "1"}, {"human": "2"}, {"id": "dup2", "human": "3"}],
                        [vec(0), vec(1), vec(2)])
    assert count(db) == start + 3


# --------------------------------------------------------------------------- errors


def test_write_without_context_is_cga01_with_a_hint(app_conn, db):
    app_conn.autocommit = True
    for query, params in (
        ("SELECT cogdb.remember('q', 'a', %s::vector)", (vec(0),)),
        ("SELECT * FROM cogdb.remember_many('[{\"human_content\": \"q\"}]', ARRAY[%s::vector])",
         (vec(0),)),
        ("INSERT INTO cogdb.memories (id, human_content, embedding) VALUES ('x', 'q', %s)",
         (vec(0),)),
        ("SELECT cogdb.forget('x')", ()),
    ):
        err = sql_error(app_conn, query, params)
        assert err.sqlstate == "CGA01", (query, err.sqlstate, err.diag.message_primary)
        assert "set_context" in (err.diag.message_hint or ""), query
        exc = translate(err)
        assert isinstance(exc, cogdb.ScopeRequired)
        assert exc.sqlstate == "CGA01" and "set_context" in exc.hint
    assert count(db) == 0
    # reads without a context see nothing rather than failing
    assert app_conn.execute("SELECT count(*) FROM cogdb.memories").fetchone() == (0,)
    assert app_conn.execute("SELECT * FROM cogdb.search(%s::vector)", (vec(0),)).fetchall() == []
    # an ended context ('' after a transaction) behaves the same
    with app_conn.transaction():
        app_conn.execute("SELECT set_config('app.tenant_id', '', true)")
        err = sql_error(app_conn, "SELECT cogdb.remember('q', 'a', %s::vector)", (vec(0),))
    assert err.sqlstate == "CGA01"


def test_python_maps_each_sqlstate_to_its_exception(client, admin, db, tenants):
    def raised(fn) -> cogdb.CogdbError:
        with pytest.raises(cogdb.CogdbError) as info:
            fn()
        return info.value

    def in_scope(tenant, user=None, body=lambda s: None, scoped=client):
        def run():
            with scoped.scope(tenant, user) as s:
                body(s)
        return run

    seen: dict[str, cogdb.CogdbError] = {}
    # CGA02: a user of another tenant
    seen["CGA02"] = raised(in_scope(tenants.a, tenants.b1))
    # CGA03: a superuser connection (RLS would not apply)
    superuser = cogdb.connect(db.url(), pool_size=1)
    try:
        seen["CGA03"] = raised(in_scope(tenants.a, scoped=superuser))
    finally:
        superuser.close()
    # CGV01 / CGV02
    seen["CGV01"] = raised(in_scope(tenants.a, body=lambda s: s.search(vec(0), k=0)))
    seen["CGV02"] = raised(in_scope(tenants.a, body=lambda s: s.search(vec(0), model="nope")))
    # CGN01: an unknown tenant
    seen["CGN01"] = raised(in_scope(uuid.uuid4()))
    # CGC01: an external id taken with another name; 23505: an id taken in the tenant
    ext = f"ext-{uuid.uuid4().hex[:8]}"
    admin.create_tenant("First", external_id=ext)
    seen["CGC01"] = raised(lambda: admin.create_tenant("Second", external_id=ext))
    with client.scope(tenants.a) as s:
        s.remember_many([{"id": "once", "human": "x"}], [vec(0)])
    seen["23505"] = raised(in_scope(tenants.a, body=lambda s: s.remember_many(
        [{"id": "once", "human": "y"}], [vec(0)])))

    expected = {"CGA02": cogdb.IsolationViolation, "CGA03": cogdb.UnsafeRole,
                "CGV01": cogdb.InvalidInput, "CGV02": cogdb.UnknownModel,
                "CGN01": cogdb.NotFound, "CGC01": cogdb.Conflict, "23505": cogdb.Conflict}
    for code, cls in expected.items():
        exc = seen[code]
        assert type(exc) is cls, (code, type(exc).__name__, exc)
        assert exc.sqlstate == code
        assert isinstance(exc.__cause__, psycopg.Error) and exc.__cause__.sqlstate == code
        if code.startswith("CG") and code != "CGV01":
            assert exc.hint, f"{code} came without a HINT: {exc.message}"
    assert issubclass(cogdb.UnknownModel, cogdb.InvalidInput)


def test_translate_maps_every_cogdb_code(app_conn):
    """Raise each code in the database itself and translate it (CGA01 included)."""
    expected = {"CGA01": cogdb.ScopeRequired, "CGA02": cogdb.IsolationViolation,
                "CGA03": cogdb.UnsafeRole, "CGV01": cogdb.InvalidInput,
                "CGV02": cogdb.UnknownModel, "CGN01": cogdb.NotFound, "CGC01": cogdb.Conflict,
                "CGF01": cogdb.FeatureDisabled, "23505": cogdb.Conflict}
    for code, cls in expected.items():
        err = sql_error(app_conn, f"DO $$ BEGIN RAISE EXCEPTION 'boom' USING ERRCODE = '{code}',"
                                  " COLUMN = 'f', HINT = 'do this'; END $$")
        exc = translate(err)
        assert type(exc) is cls, code
        assert (exc.sqlstate, exc.field, exc.hint, exc.message) == (code, "f", "do this", "boom")


def test_cogdb_errors_carry_a_hint(client, admin, app_conn, db, tenants):
    """docs/architecture.md: errors carry cogdb's own SQLSTATE and a HINT that says what to do."""
    app_conn.autocommit = True

    def err_of(query, params=(), tenant=tenants.a, user=tenants.a1) -> psycopg.Error:
        return sql_error(app_conn, query, params, tenant=tenant, user=user)

    m = '{"human_content": "q"}'
    errors = {
        "set_context bad uuid": sql_error(app_conn, "SELECT cogdb.set_context('nope')"),
        "set_context null": sql_error(app_conn, "SELECT cogdb.set_context(NULL)"),
        "set_context unknown tenant": sql_error(app_conn, "SELECT cogdb.set_context(%s::text)",
                                                (str(uuid.uuid4()),)),
        "search k": err_of("SELECT * FROM cogdb.search(%s::vector, 0)", (vec(0),)),
        "search query dims": err_of("SELECT * FROM cogdb.search(%s::vector)", (vec(0, 3),)),
        "search zero query": err_of("SELECT * FROM cogdb.search(%s::vector)",
                                    (np.zeros(DIMS, dtype=np.float32),)),
        "unknown model": err_of("SELECT * FROM cogdb.search(%s::vector, model => 'x')",
                                (vec(0),)),
        "embedding dims": err_of("SELECT cogdb.remember('q', 'a', %s::vector)", (vec(0, 3),)),
        "zero embedding": err_of("SELECT cogdb.remember('q', 'a', %s::vector)",
                                 (np.zeros(DIMS, dtype=np.float32),)),
        "enum": err_of("SELECT cogdb.remember('q', 'a', %s::vector, '{\"source\": \"x\"}')",
                       (vec(0),)),
        "range": err_of("SELECT cogdb.remember('q', 'a', %s::vector,"
                        " '{\"technical_depth\": 11}')", (vec(0),)),
        "empty content": err_of("SELECT cogdb.remember('', '', %s::vector)", (vec(0),)),
        "too many tags": err_of("SELECT cogdb.remember('q', 'a', %s::vector, %s::jsonb)",
                                (vec(0), Jsonb({"tags": [str(i) for i in range(65)]}))),
        "expires_at": err_of("SELECT cogdb.remember('q', 'a', %s::vector, %s::jsonb)",
                             (vec(0), Jsonb({"created_at": "2024-01-02T00:00:00Z",
                                             "expires_at": "2024-01-01T00:00:00Z"}))),
        "count mismatch": err_of("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                                 (f"[{m}, {m}]", [vec(0)])),
        "unknown key": err_of("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                              ('[{"colour": "red"}]', [vec(0)])),
        "private without user": err_of(
            "SELECT cogdb.remember('q', 'a', %s::vector, '{\"visibility\": \"private\"}')",
            (vec(0),), user=None),
    }
    with pytest.raises(psycopg.Error) as info:
        admin.connection.execute("SELECT cogdb.create_tenant('X', mode => 'team')")
    errors["create_tenant mode"] = info.value
    with pytest.raises(psycopg.Error) as info:
        admin.connection.execute("SELECT cogdb.create_user(%s::text, 'no-at-sign')",
                                 (str(tenants.a),))
    errors["create_user email"] = info.value
    with pytest.raises(psycopg.Error) as info:
        admin.connection.execute("SELECT cogdb.register_model('m', 0)")
    errors["register_model dimensions"] = info.value

    for name, err in errors.items():
        assert err.sqlstate and err.sqlstate.startswith("CG"), (name, err.sqlstate)
    missing = sorted(f"{name} ({err.sqlstate}: {err.diag.message_primary})"
                     for name, err in errors.items() if not err.diag.message_hint)
    assert not missing, "errors without a HINT:\n  " + "\n  ".join(missing)


def test_a_pooled_connection_serves_many_scopes(db, tenants):
    """One connection, returned to the pool and reused by scope after scope: each method is one
    logical operation and must keep working however often it runs (psycopg prepares a
    statement after its 5th execution on a connection)."""
    client = cogdb.connect(db.app_url, pool_size=1)
    try:
        with client.scope(tenants.a, tenants.a1) as s:
            mid = s.remember("q", "a", vec(0))
        for i in range(12):
            with client.scope(tenants.a, tenants.a1) as s:
                assert [h.id for h in s.search(vec(0), k=1)] == [mid], i
                assert s.get(mid) is not None, i
    finally:
        client.close()


# --------------------------------------------------------------------------- identity, idempotence


def test_resolve_identity_before_any_context(admin, app_conn, tenants):
    user = admin.create_user(tenants.a, email="oidc-user@a.example", auth_provider="oidc",
                             external_id="x")
    app_conn.autocommit = True
    assert app_conn.execute("SELECT current_setting('app.tenant_id', true)").fetchone()[0] in (
        None, "")
    rows = app_conn.execute("SELECT * FROM cogdb.resolve_identity('oidc', 'x')").fetchall()
    assert rows == [(tenants.a, user.id)]
    for provider, external in (("oidc", "y"), ("OIDC", "x"), ("saml", "x"), ("oidc", "X")):
        assert app_conn.execute("SELECT * FROM cogdb.resolve_identity(%s, %s)",
                                (provider, external)).fetchall() == []
    # the directory itself stays closed to the app login
    err = sql_error(app_conn, "SELECT * FROM cogdb.identities")
    assert err.sqlstate == "42501"
    # the resolved pair is a valid context
    with in_context(app_conn, *rows[0]) as c:
        assert c.execute("SELECT cogdb.current_user_id()").fetchone() == (user.id,)
    assert admin.resolve_identity("oidc", "x") == (tenants.a, user.id)
    assert admin.resolve_identity("oidc", "nobody") is None
    # the same identity for another user conflicts; for the same user it is idempotent
    assert admin.create_user(tenants.a, email="oidc-user@a.example", auth_provider="oidc",
                             external_id="x").id == user.id
    with pytest.raises(cogdb.Conflict):
        admin.create_user(tenants.b, email="someone@b.example", auth_provider="oidc",
                          external_id="x")
    assert admin.resolve_identity("oidc", "x") == (tenants.a, user.id)


def test_create_tenant_is_idempotent_on_external_id(admin, db):
    ext = f"acme-{uuid.uuid4().hex[:8]}"
    first = admin.create_tenant("Acme", mode="enterprise", external_id=ext)
    again = admin.create_tenant("Acme", mode="enterprise", external_id=ext)
    trimmed = admin.create_tenant("  Acme ", mode="enterprise", external_id=ext)
    assert first.id == again.id == trimmed.id
    n = db.super.execute("SELECT count(*) FROM cogdb.tenants").fetchone()[0]
    with pytest.raises(cogdb.Conflict) as info:
        admin.create_tenant("Acme Corp", mode="enterprise", external_id=ext)
    assert (info.value.sqlstate, info.value.field) == ("CGC01", "external_id")
    assert info.value.hint
    with pytest.raises(cogdb.Conflict):
        admin.create_tenant("Acme", mode="personal", external_id=ext)
    assert db.super.execute("SELECT count(*) FROM cogdb.tenants").fetchone()[0] == n
    assert db.super.execute("SELECT name, mode FROM cogdb.tenants WHERE id = %s",
                            (first.id,)).fetchone() == ("Acme", "enterprise")


def test_create_user_is_idempotent_on_email(admin, db, tenants):
    ann = admin.create_user(tenants.a, email="ann@acme.example")
    assert admin.create_user(tenants.a, email="ann@acme.example").id == ann.id
    assert admin.create_user(tenants.a, email="  Ann@ACME.example ").id == ann.id
    other = admin.create_user(tenants.b, email="ann@acme.example")  # another tenant: another user
    assert other.id != ann.id and other.tenant_id == tenants.b
    rows = db.super.execute("SELECT tenant_id FROM cogdb.users WHERE email = 'ann@acme.example'"
                            " ORDER BY tenant_id").fetchall()
    assert sorted(r[0] for r in rows) == sorted([tenants.a, tenants.b])
