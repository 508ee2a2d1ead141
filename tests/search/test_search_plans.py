"""Scoped search: plan choice, promotion, invalid leftovers, filters, private-heavy
tenants, recall, per-tenant index separation, tenant sizes and ``cogdb maintain``.

A tenant that reaches ``search.ann_min_rows`` is promoted by ``cogdb maintain``: its rows move
from ``memories_default`` into a partition of its own (``cogdb.partition_name``), where its
HNSW index is built; every cogdb statement names the tenant, so it reads that partition only.

Every test lowers the thresholds in its own database clone (``search.ann_min_rows`` 300,
``search.exact_max_rows`` 100) so the corpora stay small. Memories are written as the app
login through ``client.scope(...).remember_many`` with embeddings from ``bench.corpus``
(calibrated to real MiniLM neighbour cosines); the superuser connection only changes
settings, reads catalogs and statistics, and counts ground truth.

Correctness is judged against an exact NumPy ranking over exactly the rows the caller may
see (tenant-visible or its own private, not expired) that match the filters. recall@10
counts ties: a result whose similarity equals the 10th exact similarity is a hit. Every
result must also be such a row (a row outside that set fails the test at once), with the
similarity NumPy computes. The plan is read from ``SearchHit.plan``.
"""
from __future__ import annotations

import itertools
import json
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import pytest
from click.testing import CliRunner
from helpers import assert_rls_applies

import cogdb
import cogdb.ops.maintain

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # bench/ lives in the source checkout, not in the package
    sys.path.insert(0, str(_ROOT))
import bench.corpus  # noqa: E402

MODEL = "cogdb-hash-384"
DIMS = 384
ANN_MIN = 300
EXACT_MAX = 100
K = 10
TIE = 1e-5          # similarities this close to the 10th exact one count as ties
SIM_TOL = 1e-4      # reported similarity vs NumPy (float32 vectors)
ANN_RECALL = 0.95
NOW = datetime.now(UTC)


# --------------------------------------------------------------------------- helpers

def _quiet(*_: Any) -> None:
    return None


def _thresholds(db, ann_min: int = ANN_MIN, exact_max: int = EXACT_MAX) -> None:
    for key, value in (("search.ann_min_rows", ann_min), ("search.exact_max_rows", exact_max)):
        cur = db.super.execute("UPDATE cogdb.settings SET value = to_jsonb(%s::integer)"
                               " WHERE key = %s", (value, key))
        assert cur.rowcount == 1, key


def _maintain(db) -> list[cogdb.ops.maintain.Step]:
    steps = cogdb.ops.maintain.run(db.url(), echo=_quiet)
    assert [(s.action, s.error) for s in steps if s.error] == []
    return steps


def _index_name(db, tenant: Any, model: str = MODEL) -> str:
    return db.super.execute("SELECT cogdb.ann_index_name(%s::uuid, %s)",
                            (str(tenant), model)).fetchone()[0]


def _partition_name(db, tenant: Any) -> str:
    return db.super.execute("SELECT cogdb.partition_name(%s::uuid)", (str(tenant),)).fetchone()[0]


def _ann_indexes(db) -> dict[str, bool]:
    """The ANN indexes on the partitions of cogdb.memories: name -> valid."""
    rows = db.super.execute(
        "SELECT c.relname, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
        " JOIN pg_inherits h ON h.inhrelid = i.indrelid"
        " WHERE h.inhparent = 'cogdb.memories'::regclass"
        " AND c.relname LIKE 'memories\\_ann\\_%'").fetchall()
    return dict(rows)


def _partitions(db) -> dict[str, int]:
    """The partitions of cogdb.memories: name -> rows (superuser count)."""
    names = [r[0] for r in db.super.execute(
        "SELECT c.relname FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid"
        " WHERE h.inhparent = 'cogdb.memories'::regclass")]
    return {n: db.super.execute(f'SELECT count(*) FROM cogdb."{n}"').fetchone()[0]
            for n in names}


def _planned(db) -> list[tuple[int, str, str]]:
    return [tuple(r) for r in db.super.execute(
        "SELECT step, action, index_name FROM cogdb.plan_maintenance() ORDER BY step")]


def _corpus(n: int, seed: int, queries: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n memory vectors and `queries` held-out query vectors of the same topic groups."""
    x, _ = bench.corpus.vectors(n + queries, DIMS, seed=seed)
    return x[:n], x[n:]


class Tenant:
    """The memories of one tenant as the test wrote them: the ground truth."""

    def __init__(self, tenant: Any) -> None:
        self.tenant = tenant
        self.rows: list[dict[str, Any]] = []
        self.vecs = np.zeros((0, DIMS), dtype=np.float32)

    def write(self, client, user: Any, items: list[dict[str, Any]], vecs: np.ndarray) -> None:
        """remember_many as the app login in (tenant, user); private rows belong to user."""
        with client.scope(self.tenant, user) as s:
            assert_rls_applies(s.connection)
            ids = s.remember_many(items, vecs)
        assert ids == [it["id"] for it in items]
        for it in items:
            row = {"visibility": "tenant", "source": "api", "context_type": "conversation",
                   "tags": [], "metadata": {}, "conversation_id": None, "created_at": NOW,
                   "expires_at": None, **it, "owner": user}
            self.rows.append(row)
        self.vecs = np.vstack([self.vecs, np.asarray(vecs, dtype=np.float32)])

    def drop(self, ids: set[str]) -> None:
        keep = [i for i, r in enumerate(self.rows) if r["id"] not in ids]
        self.rows = [self.rows[i] for i in keep]
        self.vecs = self.vecs[keep]

    def mask(self, user: Any, pred=None) -> np.ndarray:
        """The rows `user` may see (None: a tenant-only context) matching `pred`."""
        now = datetime.now(UTC)
        return np.array([
            (r["visibility"] == "tenant" or (user is not None and r["owner"] == user))
            and (r["expires_at"] is None or r["expires_at"] > now)
            and (pred is None or pred(r))
            for r in self.rows], dtype=bool)

    def recall(self, hits: list, mask: np.ndarray, q: np.ndarray, k: int = K) -> float:
        """recall@k of `hits` against the exact ranking of the rows in `mask` (ties count).
        Fails at once on a hit outside `mask`, a wrong similarity or a wrong order."""
        idx = np.flatnonzero(mask)
        sims = self.vecs[idx] @ q
        by_id = {self.rows[i]["id"]: float(s) for i, s in zip(idx, sims, strict=True)}
        ids = [h.id for h in hits]
        assert len(ids) == len(set(ids)), f"duplicate results: {ids}"
        assert len(hits) <= k
        for h in hits:
            assert h.id in by_id, (f"{h.id} is not a row this caller may see under these "
                                   f"filters (plan {h.plan})")
            assert abs(h.similarity - by_id[h.id]) < SIM_TOL, (h.id, h.similarity, by_id[h.id])
        got = [h.similarity for h in hits]
        assert all(a >= b - 1e-9 for a, b in itertools.pairwise(got)), got
        want = min(k, len(idx))
        if want == 0:
            return 1.0
        kth = float(np.sort(sims)[::-1][want - 1])
        return sum(1 for h in hits if by_id[h.id] >= kth - TIE) / want

    def count(self, user: Any, pred=None) -> int:
        return int(self.mask(user, pred).sum())


def _search(client, tenant: Any, user: Any, q: np.ndarray, **kw: Any) -> list:
    with client.scope(tenant, user) as s:
        return s.search(q, K, **kw)


def _plans(hits: list) -> set[str]:
    return {h.plan for h in hits}


def _check_queries(client, t: Tenant, user: Any, queries: np.ndarray, *, plan: str,
                   pred=None, **kw: Any) -> list[float]:
    """Search every query as (t.tenant, user) with filters kw; every result must come from
    `plan`. Exact plans must have recall 1.0 and return min(k, candidates) rows."""
    mask = t.mask(user, pred)
    recalls = []
    with client.scope(t.tenant, user) as s:
        assert_rls_applies(s.connection)
        for q in queries:
            hits = s.search(q, K, **kw)
            assert _plans(hits) <= {plan}, (kw, _plans(hits), plan)
            r = t.recall(hits, mask, q)
            if plan == "exact":
                assert len(hits) == min(K, int(mask.sum())), (kw, len(hits))
                assert r == 1.0, (kw, r)
            recalls.append(r)
    return recalls


def _items(prefix: str, n: int, start: int = 0, **fields: Any) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{i:05d}", "human_content": f"memory {prefix}{i}", **fields}
            for i in range(start, start + n)]


# --------------------------------------------------------------------------- 1. plan choice

def test_plan_follows_tenant_size_and_the_callers_visible_candidates(db, client, tenants):
    _thresholds(db)
    vecs, queries = _corpus(700, seed=11, queries=8)
    a, b = Tenant(tenants.a), Tenant(tenants.b)
    # A: 400 memories; conversation c100 holds exactly exact_max of them, c101 one more.
    a.write(client, tenants.a1,
            _items("a", 100, conversation_id="c100") + _items("a", 101, 100, conversation_id="c101")
            + _items("a", 199, 201, conversation_id="rest"), vecs[:400])
    # B: one memory short of the ANN threshold.
    b.write(client, tenants.b1, _items("b", ANN_MIN - 1), vecs[400:699])
    idx_a, idx_b = _index_name(db, tenants.a), _index_name(db, tenants.b)
    part_a, part_b = _partition_name(db, tenants.a), _partition_name(db, tenants.b)
    assert idx_a != idx_b and part_a != part_b

    # No index yet: exact everywhere, whatever the size.
    _check_queries(client, a, tenants.a1, queries, plan="exact")
    _check_queries(client, b, tenants.b1, queries, plan="exact")

    # A is promoted into its own partition, then indexed; B (299) is not planned.
    assert _planned(db) == [(1, "promote", part_a), (2, "create", idx_a)]
    steps = _maintain(db)
    assert [(s.action, s.index_name, s.memories) for s in steps] == [
        ("promote", part_a, 400), ("create", idx_a, 400)]
    assert _ann_indexes(db) == {idx_a: True}
    assert _partitions(db) == {"memories_default": 299, part_a: 400}

    # A goes through its own index, for every user of A; B stays exact.
    for user in (tenants.a1, tenants.a2, None):
        r = _check_queries(client, a, user, queries, plan=f"ann:{idx_a}")
        assert np.mean(r) >= ANN_RECALL, (user, r)
    _check_queries(client, b, tenants.b1, queries, plan="exact")

    # A caller of the big tenant whose candidates after filters are few: exact (100 = the
    # threshold); one more candidate takes the index.
    _check_queries(client, a, tenants.a1, queries, plan="exact", conversation="c100",
                   pred=lambda r: r["conversation_id"] == "c100")
    r = _check_queries(client, a, tenants.a1, queries, plan=f"ann:{idx_a}", conversation="c101",
                       pred=lambda r: r["conversation_id"] == "c101")
    assert np.mean(r) >= ANN_RECALL, r

    # B reaches the threshold: it gets its own index, under its own name.
    b.write(client, tenants.b1, _items("b", 1, ANN_MIN - 1), vecs[699:700])
    assert _planned(db) == [(1, "promote", part_b), (2, "create", idx_b)]
    _maintain(db)
    assert _ann_indexes(db) == {idx_a: True, idx_b: True}
    assert _partitions(db) == {"memories_default": 0, part_a: 400, part_b: 300}
    r = _check_queries(client, b, tenants.b1, queries, plan=f"ann:{idx_b}")
    assert np.mean(r) >= ANN_RECALL, r
    _check_queries(client, a, tenants.a1, queries[:2], plan=f"ann:{idx_a}")
    assert _planned(db) == []


# --------------------------------------------------------------------------- 2. promotion

def test_promotion_keeps_searches_and_writes_going(db, client, tenants):
    _thresholds(db)
    # Slower builds make the overlap with the searching thread wide.
    db.super.execute("UPDATE cogdb.settings SET value = '128'"
                     " WHERE key = 'search.hnsw_ef_construction'")
    vecs, queries = _corpus(3000, seed=21, queries=30)
    a = Tenant(tenants.a)
    a.write(client, tenants.a1, _items("a", 3000), vecs)
    idx = _index_name(db, tenants.a)
    truth = a.mask(tenants.a1)
    # Rows written during the build come from another corpus, far from the searcher's
    # queries, so the searcher's exact answers stay the same while they arrive.
    late, _ = _corpus(200, seed=999)
    tenth = np.sort(queries @ vecs.T, axis=1)[:, -K]
    assert (queries @ late.T).max(axis=1).max() < tenth.min() - 0.05

    stop = threading.Event()
    build_done = threading.Event()
    errors: list[BaseException] = []
    log: list[tuple[float, float, str, float]] = []   # (start, end, plan, recall)

    def searcher() -> None:
        try:
            i, after = 0, 0
            while not stop.is_set() and after < 30:
                q = queries[i % len(queries)]
                i += 1
                started = time.perf_counter()
                hits = _search(client, tenants.a, tenants.a1, q)
                ended = time.perf_counter()
                assert len(_plans(hits)) == 1, _plans(hits)
                log.append((started, ended, hits[0].plan, a.recall(hits, truth, q)))
                after += build_done.is_set()
        except BaseException as exc:
            errors.append(exc)

    def writer() -> None:
        try:
            for j in range(10):
                with client.scope(tenants.a, tenants.a2) as s:
                    s.remember_many(_items("late", 20, 20 * j), late[20 * j:20 * j + 20])
                time.sleep(0.02)
        except BaseException as exc:
            errors.append(exc)

    search_thread = threading.Thread(target=searcher, daemon=True)
    search_thread.start()
    deadline = time.time() + 10
    while len(log) < 3 and time.time() < deadline and not errors:
        time.sleep(0.01)
    write_thread = threading.Thread(target=writer, daemon=True)
    write_thread.start()
    t0 = time.perf_counter()
    steps = _maintain(db)
    t1 = time.perf_counter()
    build_done.set()
    write_thread.join(30)
    search_thread.join(30)
    stop.set()
    assert not errors, errors
    assert not search_thread.is_alive() and not write_thread.is_alive()
    assert [(s.action, s.index_name) for s in steps] == [
        ("promote", _partition_name(db, tenants.a)), ("create", idx)]

    during = [e for e in log if e[0] >= t0 and e[1] <= t1]
    assert len(during) >= 3, f"only {len(during)} searches ran during a {t1 - t0:.2f} s build"
    assert {e[2] for e in log} <= {"exact", f"ann:{idx}"}
    assert log[0][2] == "exact" and log[-1][2] == f"ann:{idx}"
    exact = [e[3] for e in log if e[2] == "exact"]
    ann = [e[3] for e in log if e[2] != "exact"]
    assert exact and min(exact) == 1.0, exact
    assert len(ann) >= 25 and np.mean(ann) >= ANN_RECALL, ann
    # Once the plan has switched it stays switched.
    first_ann = next(i for i, e in enumerate(log) if e[2] != "exact")
    assert all(e[2] != "exact" for e in log[first_ann:])

    # Memories written while the index was built are in it: each finds itself first.
    with client.scope(tenants.a, tenants.a1) as s:
        for j in range(0, 200, 10):
            hits = s.search(late[j], K)
            assert hits[0].plan == f"ann:{idx}"
            assert hits[0].id == f"late{j:05d}" and hits[0].similarity > 0.999
    counted = db.super.execute("SELECT sum(delta) FROM cogdb.memory_counts WHERE tenant_id = %s",
                               (tenants.a,)).fetchone()[0]
    assert counted == 3200
    assert _planned(db) == []


# --------------------------------------------------------------------------- 3. leftovers

def test_invalid_index_falls_back_to_exact_and_is_rebuilt(db, client, tenants):
    _thresholds(db)
    vecs, queries = _corpus(400, seed=31, queries=6)
    a = Tenant(tenants.a)
    a.write(client, tenants.a1, _items("a", 400), vecs)
    idx = _index_name(db, tenants.a)
    _maintain(db)
    assert _ann_indexes(db) == {idx: True}
    _check_queries(client, a, tenants.a1, queries, plan=f"ann:{idx}")

    # What an interrupted CREATE INDEX CONCURRENTLY leaves behind.
    db.super.execute("UPDATE pg_index SET indisvalid = false WHERE indexrelid = %s::regclass",
                     (f"cogdb.{idx}",))
    assert _ann_indexes(db) == {idx: False}
    _check_queries(client, a, tenants.a1, queries, plan="exact")
    assert _planned(db) == [(1, "drop_invalid", idx), (2, "create", idx)]

    steps = _maintain(db)
    assert [(s.action, s.index_name) for s in steps] == [("drop_invalid", idx), ("create", idx)]
    assert _ann_indexes(db) == {idx: True}
    r = _check_queries(client, a, tenants.a1, queries, plan=f"ann:{idx}")
    assert np.mean(r) >= ANN_RECALL
    assert cogdb.ops.maintain.run(db.url(), echo=_quiet) == []   # nothing left to do


def test_index_is_dropped_below_half_the_threshold(db, client, tenants):
    _thresholds(db)
    vecs, queries = _corpus(400, seed=32, queries=6)
    a = Tenant(tenants.a)
    a.write(client, tenants.a1, _items("a", 400), vecs)
    idx = _index_name(db, tenants.a)
    _maintain(db)
    assert _ann_indexes(db) == {idx: True}

    # Shrink to exactly half the threshold as the app: 10 forgets, one bulk DELETE.
    forgotten = [r["id"] for r in a.rows[:10]]
    deleted = [r["id"] for r in a.rows[10:250]]
    with client.scope(tenants.a, tenants.a1) as s:
        assert all(s.forget(i) for i in forgotten)
        cur = s.connection.execute("DELETE FROM cogdb.memories WHERE id = ANY(%s)", (deleted,))
        assert cur.rowcount == len(deleted)
    a.drop(set(forgotten) | set(deleted))
    assert len(a.rows) == ANN_MIN // 2
    # Hysteresis: at half the threshold the index stays (and 150 visible > exact_max).
    assert _planned(db) == []
    _check_queries(client, a, tenants.a1, queries, plan=f"ann:{idx}")

    with client.scope(tenants.a, tenants.a1) as s:
        assert s.forget(a.rows[0]["id"])
    a.drop({a.rows[0]["id"]})
    rows = db.super.execute("SELECT action, index_name, memories FROM cogdb.plan_maintenance()"
                            ).fetchall()
    assert rows == [("drop_unneeded", idx, ANN_MIN // 2 - 1)]
    steps = _maintain(db)
    assert [(s.action, s.index_name) for s in steps] == [("drop_unneeded", idx)]
    assert _ann_indexes(db) == {}
    _check_queries(client, a, tenants.a1, queries, plan="exact")
    assert _planned(db) == []


# --------------------------------------------------------------------------- 4. filters

def test_filters_keep_full_recall_on_both_paths(db, client, tenants, admin):
    _thresholds(db)
    n = 2000
    vecs, queries = _corpus(n, seed=41, queries=12)
    tag = uuid.uuid4().hex[:6]
    a3 = admin.create_user(tenants.a, email=f"a3-{tag}@a.example").id
    rng = np.random.default_rng(41)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    small_convs = [f"conv-s{j}" for j in range(20)]
    by_owner: dict[Any, tuple[list, list]] = {tenants.a1: ([], []), tenants.a2: ([], []),
                                             a3: ([], [])}
    for i in range(n):
        u = rng.random()
        conv = ("conv-big" if u < 0.4 else "conv-mid" if u < 0.52
                else small_convs[int(rng.integers(20))])
        u = rng.random()
        source = "api" if u < 0.7 else "manual" if u < 0.96 else "assistant"
        u = rng.random()
        ctype = ("conversation" if u < 0.6 else "fact" if u < 0.85 else "note" if u < 0.96
                 else "entity")
        tags: list[str] | dict[str, Any] = [f"x{i % 7}"]
        tags += ["common"] if rng.random() < 0.5 else []
        tags += ["mid"] if rng.random() < 0.1 else []
        tags += ["rare"] if rng.random() < 0.03 else []
        if i % 3 == 0:  # a third of the rows keep their tags as an object (the seeds' stores)
            tags = {t: {"weight": int(rng.integers(1, 4))} for t in tags}
        u = rng.random()
        customer = ("acme" if u < 0.3 else "globex" if u < 0.9 else "initech" if u < 0.97
                    else "umbrella")
        metadata = {"customer": customer, "priority": int(rng.integers(0, 5))}
        if rng.random() < 0.5:
            metadata["score"] = round(float(rng.random()), 3)
        item = {"id": f"a{i:05d}", "human_content": f"memory {i}", "conversation_id": conv,
                "source": source, "context_type": ctype, "tags": tags, "metadata": metadata,
                "created_at": base + timedelta(hours=i)}
        # Owners and visibility: a2 private 10%, a1 private 10%, a2 shared 30%, a3 shared 5%
        # (exactly 100 rows), a1 shared the rest.
        if i % 10 == 0:
            owner, item["visibility"] = tenants.a2, "private"
        elif i % 10 == 1:
            owner, item["visibility"] = tenants.a1, "private"
        elif i % 10 in (2, 3, 4):
            owner = tenants.a2
        elif i % 20 == 5:
            owner = a3
        else:
            owner = tenants.a1
        by_owner[owner][0].append(item)
        by_owner[owner][1].append(vecs[i])
    a = Tenant(tenants.a)
    for owner, (items, vs) in by_owner.items():
        a.write(client, owner, items, np.asarray(vs))
    # Expired memories: the queries themselves, so they would rank first if returned.
    expired = _items("expired", len(queries), created_at=base - timedelta(days=30),
                     expires_at=base - timedelta(days=29), tags=["rare", "mid", "common"],
                     conversation_id="conv-mid")
    a.write(client, tenants.a1, expired, queries)
    idx = _index_name(db, tenants.a)
    _maintain(db)
    ann = f"ann:{idx}"

    t = lambda h: base + timedelta(hours=h)  # noqa: E731
    md = lambda r, key: r["metadata"].get(key)  # noqa: E731
    a1, a2 = tenants.a1, tenants.a2
    cases = [
        # (filter kind, user, search kwargs, predicate on a row)
        ("conversation", a1, {"conversation": "conv-big"},
         lambda r: r["conversation_id"] == "conv-big"),
        ("conversation", a1, {"conversation": "conv-mid"},
         lambda r: r["conversation_id"] == "conv-mid"),
        ("conversation", a1, {"conversation": "conv-s3"},
         lambda r: r["conversation_id"] == "conv-s3"),
        ("conversation", a1, {"conversation": "no-such"}, lambda r: False),
        ("source", a1, {"source": "manual"}, lambda r: r["source"] == "manual"),
        ("source", a1, {"source": "assistant"}, lambda r: r["source"] == "assistant"),
        ("context_type", a1, {"context_type": "fact"}, lambda r: r["context_type"] == "fact"),
        ("context_type", a1, {"context_type": "note"}, lambda r: r["context_type"] == "note"),
        ("context_type", a1, {"context_type": "entity"},
         lambda r: r["context_type"] == "entity"),
        ("context_type", a1, {"context_type": "document"}, lambda r: False),
        ("tags", a1, {"tags_any": ["common"]}, lambda r: "common" in r["tags"]),
        ("tags", a1, {"tags_any": ["mid"]}, lambda r: "mid" in r["tags"]),
        ("tags", a1, {"tags_any": ["rare"]}, lambda r: "rare" in r["tags"]),
        ("tags", a1, {"tags_any": ["rare", "mid"]},
         lambda r: "rare" in r["tags"] or "mid" in r["tags"]),
        ("tags", a1, {"tags_any": ["nope"]}, lambda r: False),
        ("created", a1, {"created_after": t(1900)}, lambda r: r["created_at"] >= t(1900)),
        ("created", a1, {"created_before": t(300)}, lambda r: r["created_at"] < t(300)),
        ("created", a1, {"created_after": t(500), "created_before": t(700)},
         lambda r: t(500) <= r["created_at"] < t(700)),
        ("created", a1, {"created_after": t(1000), "created_before": t(1050)},
         lambda r: t(1000) <= r["created_at"] < t(1050)),
        ("owner", a1, {"owner": a2}, lambda r: r["owner"] == a2),
        ("owner", a1, {"owner": a3}, lambda r: r["owner"] == a3),
        ("owner", a1, {"owner": a1}, lambda r: r["owner"] == a1),
        ("visibility", a1, {"visibility": "private"}, lambda r: r["visibility"] == "private"),
        ("visibility", a1, {"visibility": "tenant"}, lambda r: r["visibility"] == "tenant"),
        ("visibility", a1, {"visibility": "private", "tags_any": ["mid"]},
         lambda r: r["visibility"] == "private" and "mid" in r["tags"]),
        # a2's private memories are invisible to a1 whatever the filters say ...
        ("visibility", a1, {"visibility": "private", "owner": a2}, lambda r: False),
        # ... and visible to a2 (the positive control).
        ("visibility", a2, {"visibility": "private", "owner": a2},
         lambda r: r["visibility"] == "private" and r["owner"] == a2),
        ("combined", a2, {"conversation": "conv-big", "tags_any": ["common"],
                          "source": "api"},
         lambda r: r["conversation_id"] == "conv-big" and "common" in r["tags"]
         and r["source"] == "api"),
        ("combined", a1, {"created_before": t(1000), "context_type": "fact",
                          "owner": a1},
         lambda r: r["created_at"] < t(1000) and r["context_type"] == "fact"
         and r["owner"] == a1),
        # metadata: top-level keys with every operator; a number only matches a number
        ("metadata", a1, {"metadata_filter": {"customer": "acme"}},
         lambda r: md(r, "customer") == "acme"),
        ("metadata", a1, {"metadata_filter": {"customer": "umbrella"}},
         lambda r: md(r, "customer") == "umbrella"),
        ("metadata", a1, {"metadata_filter": {"customer": {"$eq": "initech"}}},
         lambda r: md(r, "customer") == "initech"),
        ("metadata", a1, {"metadata_filter": {"customer": {"$ne": "globex"}}},
         lambda r: md(r, "customer") != "globex"),
        ("metadata", a1, {"metadata_filter": {"customer": {"$in": ["initech", "umbrella"]}}},
         lambda r: md(r, "customer") in ("initech", "umbrella")),
        ("metadata", a1, {"metadata_filter": {"customer": {"$nin": ["globex", "initech"]}}},
         lambda r: md(r, "customer") not in ("globex", "initech")),
        ("metadata", a1, {"metadata_filter": {"priority": {"$gte": 3}}},
         lambda r: md(r, "priority") >= 3),
        ("metadata", a1, {"metadata_filter": {"priority": {"$gt": 0, "$lte": 1}}},
         lambda r: 0 < md(r, "priority") <= 1),
        ("metadata", a1, {"metadata_filter": {"score": {"$lt": 0.05}}},
         lambda r: md(r, "score") is not None and md(r, "score") < 0.05),
        ("metadata", a1, {"metadata_filter": {"priority": {"$gte": "3"}}}, lambda r: False),
        ("metadata", a1, {"metadata_filter": {"customer": "acme", "priority": 4},
                          "tags_any": ["common"]},
         lambda r: md(r, "customer") == "acme" and md(r, "priority") == 4
         and "common" in r["tags"]),
        ("metadata", a1, {"metadata_filter": {"nope": {"$ne": 1}}}, lambda r: True),
    ]
    paths: dict[str, set[str]] = {}
    report = []
    for kind, user, kw, pred in cases:
        size = a.count(user, pred)
        plan = "exact" if size <= EXACT_MAX else ann
        r = _check_queries(client, a, user, queries, plan=plan, pred=pred, **kw)
        report.append((kind, kw, size, plan, float(np.mean(r))))
        if plan == ann:
            assert np.mean(r) >= ANN_RECALL, report[-1]
        paths.setdefault(kind, set()).add(plan)
    # The fixture really exercises both paths for every filter kind.
    for kind in ("conversation", "source", "context_type", "tags", "created", "owner",
                 "visibility", "metadata"):
        assert paths[kind] == {"exact", ann}, (kind, paths[kind], report)


# --------------------------------------------------------------------------- 5. private-heavy

def test_private_heavy_tenant(db, client, tenants, admin):
    _thresholds(db)
    tag = uuid.uuid4().hex[:6]
    few, many = tenants.a1, tenants.a2
    o1 = admin.create_user(tenants.a, email=f"o1-{tag}@a.example").id
    o2 = admin.create_user(tenants.a, email=f"o2-{tag}@a.example").id
    layout = [("shared", o1, 60, "tenant"), ("few", few, 25, "private"),
              ("many", many, 700, "private"), ("o1p", o1, 800, "private"),
              ("o2p", o2, 600, "private")]
    total = sum(n for *_, n, _ in layout)
    vecs, queries = _corpus(total, seed=51, queries=12)
    a = Tenant(tenants.a)
    at = 0
    for prefix, owner, n, vis in layout:
        a.write(client, owner, _items(prefix, n, visibility=vis), vecs[at:at + n])
        at += n
    idx = _index_name(db, tenants.a)
    _maintain(db)
    assert _ann_indexes(db) == {idx: True}
    assert a.count(few) == 85 and a.count(many) == 760 and a.count(None) == 60

    # Sees few of a large tenant's memories: the exact path, full recall.
    _check_queries(client, a, few, queries, plan="exact")
    _check_queries(client, a, None, queries, plan="exact")
    # Sees many: the tenant's index, and still only what it may see.
    r = _check_queries(client, a, many, queries, plan=f"ann:{idx}")
    assert np.mean(r) >= ANN_RECALL, r
    r = _check_queries(client, a, many, queries, plan=f"ann:{idx}", visibility="private",
                       pred=lambda r: r["visibility"] == "private")
    assert np.mean(r) >= ANN_RECALL, r

    # Others' private memories, used as queries: their owner finds them first, nobody else
    # finds them at all (on either path).
    probes = [i for i, r in enumerate(a.rows) if r["owner"] in (o1, o2)
              and r["visibility"] == "private"][::97]
    for i in probes:
        row, q = a.rows[i], a.vecs[i]
        hits = _search(client, tenants.a, row["owner"], q)
        assert hits[0].id == row["id"] and hits[0].plan == f"ann:{idx}"
        for user, plan in ((few, "exact"), (many, f"ann:{idx}"), (None, "exact")):
            hits = _search(client, tenants.a, user, q)
            assert _plans(hits) == {plan}
            a.recall(hits, a.mask(user), q)          # every hit is a row `user` may see
            assert row["id"] not in {h.id for h in hits}


# --------------------------------------------------------------------------- 6. recall

def test_recall_on_a_small_corpus(db, client, tenants):
    _thresholds(db)
    vecs, queries = _corpus(3000, seed=61, queries=60)
    a, b = Tenant(tenants.a), Tenant(tenants.b)
    a.write(client, tenants.a1, _items("a", 3000), vecs)
    small, _ = _corpus(50, seed=62)
    b.write(client, tenants.b1, _items("b", 50), small)
    idx = _index_name(db, tenants.a)
    _maintain(db)
    r = _check_queries(client, a, tenants.a1, queries, plan=f"ann:{idx}")
    assert len(r) == 60
    assert np.mean(r) >= ANN_RECALL, (np.mean(r), min(r))
    # The same queries in the small tenant: exact, full recall.
    _check_queries(client, b, tenants.b1, queries[:10], plan="exact")


# --------------------------------------------------------------------------- 7. separation

def _idx_scans(db, *names: str) -> dict[str, int]:
    db.super.execute("SELECT pg_stat_clear_snapshot()")
    rows = db.super.execute("SELECT indexrelname, idx_scan FROM pg_stat_user_indexes"
                            " WHERE schemaname = 'cogdb' AND indexrelname = ANY(%s)",
                            (list(names),)).fetchall()
    out = dict(rows)
    assert set(out) == set(names)
    return out


def test_search_reads_only_its_own_tenants_index(db, client, tenants):
    _thresholds(db)
    vecs, queries = _corpus(800, seed=71, queries=10)
    a, b = Tenant(tenants.a), Tenant(tenants.b)
    a.write(client, tenants.a1, _items("a", 400, tags=["t"]), vecs[:400])
    # B holds A's queries verbatim: if A's search read B's rows they would come first.
    b.write(client, tenants.b1, _items("b", 400) + _items("twin", len(queries)),
            np.vstack([vecs[400:], queries]))
    idx_a, idx_b = _index_name(db, tenants.a), _index_name(db, tenants.b)
    _maintain(db)
    assert _ann_indexes(db) == {idx_a: True, idx_b: True}

    before = _idx_scans(db, idx_a, idx_b)
    plans: list[str] = []
    with client.scope(tenants.a, tenants.a1) as s:
        for q in queries:
            for kw in ({}, {"tags_any": ["t"]}, {"source": "api"}, {"ef_search": 200}):
                hits = s.search(q, K, **kw)
                assert len(hits) == K
                plans += [h.plan for h in hits]
                assert all(h.id.startswith("a") and h.similarity < 0.999 for h in hits)
        s.connection.execute("SELECT pg_stat_force_next_flush()")
    assert set(plans) == {f"ann:{idx_a}"}
    assert not any(idx_b in p for p in plans)
    after = _idx_scans(db, idx_a, idx_b)
    assert after[idx_a] >= before[idx_a] + 4 * len(queries), (before, after)
    assert after[idx_b] == before[idx_b], (before, after)

    # Positive control: B's searches move B's counter (and not A's), and find the twins.
    with client.scope(tenants.b, tenants.b1) as s:
        for i, q in enumerate(queries):
            hits = s.search(q, K)
            assert _plans(hits) == {f"ann:{idx_b}"}
            assert hits[0].id == f"twin{i:05d}" and hits[0].similarity > 0.999
        s.connection.execute("SELECT pg_stat_force_next_flush()")
    final = _idx_scans(db, idx_a, idx_b)
    assert final[idx_b] >= after[idx_b] + len(queries), (after, final)
    assert final[idx_a] == after[idx_a], (after, final)


# --------------------------------------------------------------------------- 8. tenant sizes

def _delta_sums(db) -> dict[tuple, int]:
    return {(t, m): int(n) for t, m, n in db.super.execute(
        "SELECT tenant_id, model, sum(delta) FROM cogdb.memory_counts GROUP BY 1, 2"
        " HAVING sum(delta) <> 0")}


def _true_counts(db) -> dict[tuple, int]:
    return {(t, m): n for t, m, n in db.super.execute(
        "SELECT tenant_id, model, count(*) FROM cogdb.memories GROUP BY 1, 2")}


def _delta_rows(db) -> int:
    return db.super.execute("SELECT count(*) FROM cogdb.memory_counts").fetchone()[0]


def test_memory_counts_follow_every_write(db, client, tenants, admin):
    vecs, _ = _corpus(400, seed=81)
    a, b = Tenant(tenants.a), Tenant(tenants.b)
    a.write(client, tenants.a1, _items("s", 80), vecs[:80])
    a.write(client, tenants.a1, _items("p", 20, visibility="private"), vecs[80:100])
    a.write(client, tenants.a2, _items("q", 20, visibility="private"), vecs[100:120])
    b.write(client, tenants.b1, _items("b", 30), vecs[120:150])
    assert _delta_sums(db) == _true_counts(db) == {(tenants.a, MODEL): 120, (tenants.b, MODEL): 30}

    # Deletes: forget, a bulk DELETE, and a forget that is refused (not the owner).
    with client.scope(tenants.a, tenants.a1) as s:
        assert all(s.forget(f"s{i:05d}") for i in range(5))
        cur = s.connection.execute("DELETE FROM cogdb.memories WHERE id LIKE 'p%%'")
        assert cur.rowcount == 20
    with client.scope(tenants.a, tenants.a2) as s:
        assert not s.forget("s00010")          # tenant-visible, but owned by a1
    assert _delta_sums(db) == _true_counts(db) == {(tenants.a, MODEL): 95, (tenants.b, MODEL): 30}

    # A batch that is refused writes no delta (the trigger is in the same transaction).
    rows = _delta_rows(db)
    with pytest.raises(cogdb.InvalidInput), client.scope(tenants.a, tenants.a1) as s:
        s.remember_many([*_items("bad", 3), {"id": "bad9", "human_content": ""}],
                        vecs[150:154])
    assert _delta_rows(db) == rows

    # A model change by UPDATE moves rows between counts; other updates change nothing.
    alt = "test-alt-384"
    admin.register_model(alt, DIMS)
    with client.scope(tenants.a, tenants.a1) as s:
        moved = [f"s{i:05d}" for i in range(5, 20)]
        cur = s.connection.execute("UPDATE cogdb.memories SET model = %s WHERE id = ANY(%s)",
                                   (alt, moved))
        assert cur.rowcount == 15
    assert _delta_sums(db) == _true_counts(db) == {
        (tenants.a, MODEL): 80, (tenants.a, alt): 15, (tenants.b, MODEL): 30}
    rows = _delta_rows(db)
    with client.scope(tenants.a, tenants.a1) as s:
        cur = s.connection.execute("UPDATE cogdb.memories SET summary = 'x' WHERE id LIKE 's%%'")
        assert cur.rowcount == 75
    assert _delta_rows(db) == rows

    # Deleting a user purges their private memories.
    assert admin.delete_user(tenants.a, tenants.a2)
    assert _delta_sums(db) == _true_counts(db) == {
        (tenants.a, MODEL): 60, (tenants.a, alt): 15, (tenants.b, MODEL): 30}

    # Compaction folds the deltas into one row per (tenant, model) and keeps the sums.
    before = _delta_sums(db)
    removed = db.super.execute("SELECT cogdb.compact_memory_counts()").fetchone()[0]
    assert removed == rows + 1
    assert _delta_sums(db) == before == _true_counts(db)
    assert _delta_rows(db) == 3
    # Writes after compaction keep adding up; a model whose rows all left disappears.
    with client.scope(tenants.a, tenants.a1) as s:
        s.connection.execute("UPDATE cogdb.memories SET model = %s WHERE model = %s",
                             (MODEL, alt))
    b.write(client, tenants.b1, _items("b", 10, 30), vecs[160:170])
    db.super.execute("SELECT cogdb.compact_memory_counts()")
    assert _delta_sums(db) == _true_counts(db) == {(tenants.a, MODEL): 75, (tenants.b, MODEL): 40}
    assert _delta_rows(db) == 2


def test_memory_counts_follow_tenant_deletion(db, client, tenants, admin):
    vecs, _ = _corpus(60, seed=82)
    a, b = Tenant(tenants.a), Tenant(tenants.b)
    a.write(client, tenants.a1, _items("a", 30), vecs[:30])
    b.write(client, tenants.b1, _items("b", 30), vecs[30:])
    # Positive control: a tenant whose memories were all forgotten can be deleted.
    empty = admin.create_tenant(f"Empty {uuid.uuid4().hex[:6]}").id
    Tenant(empty).write(client, None, _items("e", 2), vecs[:2])
    with client.scope(empty) as s:
        assert s.forget("e00000") and s.forget("e00001")
    db.super.execute("DELETE FROM cogdb.tenants WHERE id = %s", (empty,))

    # A tenant with memories: ON DELETE CASCADE removes them and their counts. (Fails as of
    # revision 0003: the cascaded DELETE on memories fires count_memory_changes, whose
    # negative delta for the deleted tenant violates memory_counts_tenant_id_fkey.)
    db.super.execute("DELETE FROM cogdb.tenants WHERE id = %s", (tenants.b,))
    assert _delta_sums(db) == _true_counts(db) == {(tenants.a, MODEL): 30}
    n = db.super.execute("SELECT count(*) FROM cogdb.memory_counts WHERE tenant_id = %s",
                         (tenants.b,)).fetchone()[0]
    assert n == 0


# --------------------------------------------------------------------------- 9. maintain, CLI

def test_maintain_needs_an_owner_connection(db, client, tenants, app_conn):
    _thresholds(db)
    vecs, _ = _corpus(ANN_MIN, seed=91)
    Tenant(tenants.a).write(client, tenants.a1, _items("a", ANN_MIN), vecs)
    for url in (db.app_url, db.admin_url):
        with pytest.raises(cogdb.CogdbError) as info:
            cogdb.ops.maintain.run(url, echo=_quiet)
        assert "cogdb_owner" in str(info.value)
        with pytest.raises(cogdb.CogdbError):
            cogdb.ops.maintain.plan(url)
    assert _ann_indexes(db) == {}
    # Nor can the app read the sizes or the plan itself.
    for query in ("SELECT * FROM cogdb.memory_counts", "SELECT * FROM cogdb.plan_maintenance()",
                  "SELECT cogdb.compact_memory_counts()"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app_conn.execute(query)
        app_conn.rollback()
    # Positive control: the superuser (a member of cogdb_owner) builds the index.
    steps = _maintain(db)
    assert [s.action for s in steps] == ["promote", "create"]
    assert _ann_indexes(db) == {_index_name(db, tenants.a): True}


def test_cli_maintain_dry_run_then_json(db, client, tenants):
    from cogdb.cli import main as cli

    _thresholds(db)
    vecs, queries = _corpus(ANN_MIN, seed=92, queries=3)
    a = Tenant(tenants.a)
    a.write(client, tenants.a1, _items("a", ANN_MIN), vecs)
    idx = _index_name(db, tenants.a)
    env = {"COGDB_ADMIN_URL": db.url()}
    runner = CliRunner()

    res = runner.invoke(cli, ["maintain", "--dry-run"], env=env)
    assert res.exit_code == 0, res.output
    assert "create" in res.output and idx in res.output and str(tenants.a) in res.output
    assert "CREATE INDEX CONCURRENTLY" in res.output
    assert _ann_indexes(db) == {}                      # changed nothing
    assert _delta_sums(db) == _true_counts(db)
    _check_queries(client, a, tenants.a1, queries, plan="exact")

    res = runner.invoke(cli, ["maintain", "--json"], env=env)
    assert res.exit_code == 0, res.output
    steps = json.loads(res.output)
    assert [(s["action"], s["index_name"], s["error"]) for s in steps] == [
        ("promote", _partition_name(db, tenants.a), None), ("create", idx, None)]
    assert _ann_indexes(db) == {idx: True}
    _check_queries(client, a, tenants.a1, queries, plan=f"ann:{idx}")

    res = runner.invoke(cli, ["maintain"], env=env)
    assert res.exit_code == 0 and "nothing to do" in res.output, res.output


def test_ef_search_range_and_correctness(db, client, tenants):
    _thresholds(db)
    vecs, queries = _corpus(450, seed=93, queries=8)
    a, b = Tenant(tenants.a), Tenant(tenants.b)
    a.write(client, tenants.a1, _items("a", 400), vecs[:400])
    b.write(client, tenants.b1, _items("b", 50), vecs[400:])
    idx = _index_name(db, tenants.a)
    _maintain(db)

    for tenant, user in ((tenants.a, tenants.a1), (tenants.b, tenants.b1)):
        for bad in (0, -1, 1001):
            with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenant, user) as s:
                s.search(queries[0], K, ef_search=bad)
            assert info.value.field == "ef_search", (bad, info.value.field)

    # Within range: always the tenant's own path, valid rows in order, k of them.
    for ef in (1, 10, 40, 100, 1000):
        r = _check_queries(client, a, tenants.a1, queries, plan=f"ann:{idx}", ef_search=ef)
        if ef >= 40:
            assert np.mean(r) >= ANN_RECALL, (ef, r)
        with client.scope(tenants.a, tenants.a1) as s:
            assert all(len(s.search(q, K, ef_search=ef)) == K for q in queries)
    # ef_search cannot change an exact search.
    with client.scope(tenants.b, tenants.b1) as s:
        for q in queries:
            plain = [(h.id, h.similarity, h.plan) for h in s.search(q, K)]
            for ef in (1, 1000):
                assert [(h.id, h.similarity, h.plan) for h in s.search(q, K, ef_search=ef)] \
                    == plain
    # The per-call setting does not outlive the call.
    with client.scope(tenants.a, tenants.a1) as s:
        s.search(queries[0], K)  # loads pgvector, which defines hnsw.ef_search
        before = s.connection.execute("SHOW hnsw.ef_search").fetchone()[0]
        s.search(queries[0], K, ef_search=7)
        assert s.connection.execute("SHOW hnsw.ef_search").fetchone()[0] == before
