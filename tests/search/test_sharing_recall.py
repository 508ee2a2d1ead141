"""search(…, include_shared => true) keeps its recall on shared data, on both plan paths.

The granting tenant is searched on its own (cogdb.search_tenant): before `cogdb maintain` it
lives in memories_default and is ranked exactly; once promoted, its own partition's HNSW
index serves the grantee too, because the grant covers more rows than
search.exact_max_rows. Judged like tests/search/test_search_plans.py: against an exact NumPy
ranking over exactly the rows the grantee may see (its own, and the source's tenant-visible
rows the grant's tag covers), ties counted; every result must be such a row, labelled with
its tenant. Thresholds are lowered in this clone (ann_min_rows 300, exact_max_rows 100)."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import numpy as np
import pytest

import cogdb.ops.maintain

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:  # bench/ lives in the source checkout, not in the package
    sys.path.insert(0, str(_ROOT))
import bench.corpus  # noqa: E402

DIMS = 384
K = 10
TIE = 1e-5
RECALL = 0.99


def _settings(db) -> None:
    for key, value in (("search.ann_min_rows", 300), ("search.exact_max_rows", 100)):
        db.super.execute("UPDATE cogdb.settings SET value = to_jsonb(%s::integer)"
                         " WHERE key = %s", (value, key))


def _recall(hits, truth: dict[tuple[str, uuid.UUID], np.ndarray], q: np.ndarray) -> float:
    sims = {key: float(v @ q) for key, v in truth.items()}
    for h in hits:
        assert (h.id, h.tenant_id) in sims, f"{h.id} of {h.tenant_id} is not visible to it"
        assert abs(h.similarity - sims[(h.id, h.tenant_id)]) < 1e-4
    kth = sorted(sims.values(), reverse=True)[K - 1]
    return sum(1 for h in hits if sims[(h.id, h.tenant_id)] >= kth - TIE) / K


@pytest.mark.slow
def test_recall_on_shared_data_on_both_plan_paths(db, admin, client):
    _settings(db)
    tag = uuid.uuid4().hex[:8]
    src = admin.create_tenant(f"src {tag}", isolation_level="shared").id
    dst = admin.create_tenant(f"dst {tag}", isolation_level="shared").id
    x, _ = bench.corpus.vectors(1000 + 20, DIMS, seed=23)
    queries = x[1000:]
    # src: 800 memories, every other one tagged "shared"; dst: 200 of its own.
    items = [{"id": f"s{i:04d}", "human_content": f"src {i}",
              "tags": ["shared"] if i % 2 == 0 else ["own"]} for i in range(800)]
    with client.scope(src) as s:
        s.remember_many(items, x[:800])
    with client.scope(dst) as s:
        s.remember_many([{"id": f"d{i:04d}", "human_content": f"dst {i}"} for i in range(200)],
                        x[800:1000])
    admin.grant_share(src, dst, tags=["shared"])
    truth = {(f"s{i:04d}", src): x[i] for i in range(0, 800, 2)}
    truth |= {(f"d{i:04d}", dst): x[800 + i] for i in range(200)}

    def run() -> tuple[list[float], set[str]]:
        recalls, plans = [], set()
        with client.scope(dst) as s:
            for q in queries:
                hits = s.search(q, K, include_shared=True)
                recalls.append(_recall(hits, truth, q))
                plans |= {f"{h.plan}@{'src' if h.tenant_id == src else 'dst'}" for h in hits}
        return recalls, plans

    recalls, plans = run()
    assert plans == {"exact@src", "exact@dst"}, plans
    assert np.mean(recalls) == 1.0, recalls

    steps = cogdb.ops.maintain.run(db.url(), echo=lambda *_: None)
    assert [s.error for s in steps if s.error] == []
    index = db.super.execute("SELECT cogdb.ann_index_name(%s, 'cogdb-hash-384')",
                             (src,)).fetchone()[0]
    recalls, plans = run()
    assert plans == {f"ann:{index}@src", "exact@dst"}, plans
    assert np.mean(recalls) >= RECALL, recalls
    # The grantor's own search is the same as ever, through the same index.
    with client.scope(src) as s:
        assert {h.plan for h in s.search(queries[0], K)} == {f"ann:{index}"}
