"""What sharing costs search: tenants with and without grants, against a same-run baseline.

    python -m bench sharing [--rows 4000] [--queries 100] [--rounds 3]

On its own embedded server (bench/out/home-sharing), three tenants at isolation level shared
of ``--rows`` memories each (384-d): ``lone`` holds no grant, ``grantee`` holds one from
``source`` covering half of source's memories (a tag). Read as an app login, in ``--rounds``
rounds that alternate the shapes so each sees the same machine, ``--queries`` queries each:

- **baseline**: the plain query under RLS, as lone: ``SELECT … FROM cogdb.memories WHERE
  tenant_id = <lone> ORDER BY embedding <=> q LIMIT 10`` (exact; on the ann path the same
  query with the cast the tenant's HNSW index is built on);
- **lone**: ``cogdb.search(q, 10)``, and with ``include_shared => true`` (no grant: the
  request costs a live_grants() lookup that finds nothing);
- **grantee**: ``cogdb.search(q, 10)`` and with ``include_shared => true`` (its own tenant
  and source, each searched on its own partition and index, merged; one audit note);
- **note**: a transaction that appends one ``share.read`` note to source's audit chain
  (``cogdb.note_shared_read``) and commits, against the same transaction without it.
- **neighbors** (revision 0020): every tenant's first 400 memories are chained by
  relationships (i -> i+1 relates_to, i -> i+2 led_to), so in source the led_to chain joins
  shared memories and every relates_to edge leaves the grant. ``cogdb.neighbors(start, 3)``
  from memory 0 as lone (its own graph: the baseline of the traversal), as grantee of its
  own memory 0 with ``include_shared => true`` (a start of its own: no request is made),
  and as grantee from source's memory 0 with ``include_shared => true`` (the walk in the
  source, through the widened relationships fence; one audit note per walk).
- **walks before/after a revision** (``--walks-only`` runs just these; ``--walks-revision``,
  default 0035): the lone and grantee-shared walks above, with the revision's definitions
  swapped out (its frozen downgrade.sql) and back in (its upgrade.sql), alternating within
  each round, each on a fresh connection. With ``--walks-revision 0023`` also "0019": the
  relationships fence and endpoints policy as they were before revision 0020 (from 0020's
  downgrade.sql) with neighbors() as before 0023 (no traversal through shared memories: the
  shared walk finds nothing there), the own walk's pre-sharing cost.

- **entities** (revision 0022, ``--part entities``): lone and source get ``--entities``
  name-keyed entities of type person with two observations each; source shares them with
  grantee (an entity_types grant). Own-tenant entity reads by lone, **before** (the schema
  at the revision before sharing_entities: the old fences) and **after** (head: the widened
  entities and entity_observations fences), alternating each round (the bench downgrades and
  upgrades between them, on the same data): ``cogdb.get_entity('name:<random>')``,
  ``cogdb.list_entities(after => <random name>, max_rows => 100)`` and the plain key lookup
  ``SELECT … FROM cogdb.entities WHERE tenant_id = … AND id = …`` (with its observations).
  After only: grantee's ``get_entity(…, include_shared => true)`` of source's entities and
  ``list_entities(…, include_shared => true)`` (its own none, source's shared), against
  lone's own reads in the same round.

Both plan paths: first with every tenant in memories_default (exact), then after
``cogdb maintain`` (thresholds lowered in this database: ann_min_rows = rows / 2,
exact_max_rows = rows / 8) has promoted each tenant into its own partition with its own
HNSW index. Medians are the figures to quote: the machine is shared and noisy. Results:
bench/results/sharing.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import uuid
from pathlib import Path

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from . import revision_swap
from .import_bench import OUT, start_server

APP_LOGIN = "cogdb_bench_sharing_app"
MODEL, DIMS = "bench-sharing-384", 384
RESULTS = Path(__file__).resolve().parent / "results" / "sharing.json"
SET_CONTEXT = "SELECT cogdb.set_context(%s::text, NULL)"


def prepare(url: str, rows: int) -> str:
    from cogdb import AdminClient
    from cogdb.ops.migrate import migrate

    migrate(url, "head")
    with AdminClient(url) as admin:
        admin.register_model(MODEL, DIMS, description="sharing benchmark")
        admin.ensure_app_login(APP_LOGIN)
        admin.secure_database()
    with psycopg.connect(url, autocommit=True) as conn:
        for key, value in (("search.ann_min_rows", rows // 2),
                           ("search.exact_max_rows", rows // 8)):
            conn.execute("UPDATE cogdb.settings SET value = to_jsonb(%s::integer)"
                         " WHERE key = %s", (value, key))
    return url.replace("postgresql://postgres@", f"postgresql://{APP_LOGIN}@", 1)


def load(app_url: str, admin_url: str, rows: int, rng: np.random.Generator) -> dict[str, str]:
    from cogdb import AdminClient

    tag = uuid.uuid4().hex[:8]
    with AdminClient(admin_url) as admin:
        tenants = {name: str(admin.create_tenant(f"sharing bench {name} {tag}",
                                                 isolation_level="shared",
                                                 default_model=MODEL).id)
                   for name in ("lone", "grantee", "source")}
    with psycopg.connect(app_url) as conn:
        register_vector(conn)
        for name, tenant in tenants.items():
            for start in range(0, rows, 1000):
                n = min(1000, rows - start)
                vecs = rng.standard_normal((n, DIMS)).astype(np.float32)
                vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
                objs = [{"id": f"{name}{start + i}", "human_content": f"memory {start + i}",
                         "tags": ["shared" if (start + i) % 2 == 0 else "kept"]}
                        for i in range(n)]
                with conn.transaction():
                    conn.execute(SET_CONTEXT, (tenant,))
                    conn.execute("SELECT count(*) FROM cogdb.remember_many(%s::jsonb,"
                                 " %s::vector[])", (json.dumps(objs), list(vecs)))
        edges = min(rows, 400)
        for name, tenant in tenants.items():
            with conn.transaction():
                conn.execute(SET_CONTEXT, (tenant,))
                for step, kind in ((1, "relates_to"), (2, "led_to")):
                    conn.execute(
                        "INSERT INTO cogdb.relationships (from_memory_id, to_memory_id, type)"
                        " SELECT %s || i, %s || (i + %s), %s"
                        "   FROM generate_series(0, %s - 1 - %s) AS i",
                        (name, name, step, kind, edges, step))
    with AdminClient(admin_url) as admin:
        admin.grant_share(tenants["source"], tenants["grantee"], tags=["shared"])
    return tenants


def timed(conn: psycopg.Connection, tenant: str, query: str, params_of, n: int) -> list[float]:
    out = []
    for i in range(n):
        with conn.transaction():
            conn.execute(SET_CONTEXT, (tenant,))
            t0 = time.perf_counter()
            conn.execute(query, params_of(i)).fetchall()
            out.append((time.perf_counter() - t0) * 1000)
    return out


def timed_commit(conn: psycopg.Connection, tenant: str, query: str, params, n: int) -> list[float]:
    """The statement and the commit (the note joins the chain at commit)."""
    out = []
    for _ in range(n):
        conn.execute(SET_CONTEXT, (tenant,))
        t0 = time.perf_counter()
        conn.execute(query, params).fetchall()
        conn.commit()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def one_round(app_url: str, tenants: dict[str, str], queries: int, ann: bool,
              rng: np.random.Generator) -> dict[str, list[float]]:
    qv = rng.standard_normal((queries, DIMS)).astype(np.float32)
    qv /= np.linalg.norm(qv, axis=1, keepdims=True)
    lone, grantee, source = tenants["lone"], tenants["grantee"], tenants["source"]
    distance = (f"(m.embedding::public.vector({DIMS})) OPERATOR(public.<=>) %s::vector"
                if ann else "m.embedding OPERATOR(public.<=>) %s::vector")
    baseline = (f"SELECT m.id FROM cogdb.memories m WHERE m.tenant_id = '{lone}'"
                f" AND m.model = '{MODEL}' ORDER BY {distance} LIMIT 10")
    search = "SELECT id, plan FROM cogdb.search(%s::vector, 10, include_shared => %s)"
    shapes = {
        "baseline": (lone, baseline, lambda i: (qv[i],)),
        "lone": (lone, search, lambda i: (qv[i], False)),
        "lone_include_shared": (lone, search, lambda i: (qv[i], True)),
        "grantee": (grantee, search, lambda i: (qv[i], False)),
        "grantee_include_shared": (grantee, search, lambda i: (qv[i], True)),
    }
    walk = "SELECT node FROM cogdb.neighbors(%s, 3, include_shared => %s)"
    shapes.update({
        "neighbors_lone": (lone, walk, lambda i: ("memory:lone0", False)),
        "neighbors_grantee_own": (grantee, walk, lambda i: ("memory:grantee0", True)),
        "neighbors_grantee_shared": (grantee, walk, lambda i: ("memory:source0", True)),
    })
    out: dict[str, list[float]] = {}
    with psycopg.connect(app_url) as conn:
        register_vector(conn)
        for name, (tenant, query, params) in shapes.items():
            out[name] = timed(conn, tenant, query, params, queries)
        with conn.transaction():  # what the walks reach: own 6 nodes, shared 3 (led_to only)
            conn.execute(SET_CONTEXT, (grantee,))
            out["_walk_nodes"] = [  # type: ignore[assignment]
                len(conn.execute(walk, ("memory:grantee0", True)).fetchall()),
                len(conn.execute(walk, ("memory:source0", True)).fetchall())]
        out["commit"] = timed_commit(conn, grantee, "SELECT 1", (), queries)
        out["note"] = timed_commit(conn, grantee,
                                   "SELECT cogdb.note_shared_read(%s::uuid, 'search', 3)",
                                   (source,), queries)
        with conn.transaction():
            conn.execute(SET_CONTEXT, (grantee,))
            rows = conn.execute(search, (qv[0], True)).fetchall()
        out["_plans"] = sorted({r[1] for r in rows})  # type: ignore[assignment]
    return out


WALK = "SELECT node FROM cogdb.neighbors(%s, 3, include_shared => %s)"


def walks_round(admin_url: str, app_url: str, tenants: dict[str, str], queries: int,
                order: tuple[str, ...], revision: str) -> dict[str, list[float]]:
    """The own (lone) and shared (grantee from source's memory 0) walks, with ``revision``'s
    definitions out ("before") and in ("after"), in the given order; for revision 0023 also
    "0019" (the relationships policies before sharing, from 0020's downgrade). Every
    downgrade follows an upgrade (a revision's downgrade may drop what its upgrade added),
    and the round ends with the revision's definitions in."""
    out: dict[str, list[float]] = {}
    for state in order:
        revision_swap.apply(admin_url, revision, "upgrade")
        if state != "after":
            revision_swap.apply(admin_url, revision, "downgrade")
        if state == "0019":
            revision_swap.apply_text(admin_url, revision_swap.policies_before(
                "0020", ("relationships__tenant_fence", "relationships__endpoints_visible")))
        with psycopg.connect(app_url) as conn:
            for name, tenant, start in (("lone", tenants["lone"], "memory:lone0"),
                                        ("shared", tenants["grantee"], "memory:source0")):
                times = timed(conn, tenant, WALK, lambda i, s=start: (s, True), queries + 1)
                out[f"walk_{name}_{state}"] = times[1:]  # the first call plans the level query
                with conn.transaction():
                    conn.execute(SET_CONTEXT, (tenant,))
                    out[f"_nodes_{name}_{state}"] = [  # type: ignore[list-item]
                        len(conn.execute(WALK, (start, True)).fetchall())]
    revision_swap.apply(admin_url, revision, "upgrade")
    return out


def compare_walks(admin_url: str, app_url: str, tenants: dict[str, str], args) -> dict:
    revision = args.walks_revision
    states = ("0019", "before", "after") if revision == "0023" else ("before", "after")
    runs = [walks_round(admin_url, app_url, tenants, args.queries,
                        states if r % 2 == 0 else states[::-1], revision)
            for r in range(args.rounds)]
    med = {k: statistics.median(x for r in runs for x in r[k])
           for k in runs[0] if not k.startswith("_")}
    out: dict = {"revision": revision}
    out.update({f"{k}_ms": round(v, 3) for k, v in med.items()})
    out["nodes"] = {k[len("_nodes_"):]: runs[0][k][0] for k in runs[0] if k.startswith("_nodes_")}
    for name in ("lone", "shared"):
        out[f"walk_{name}_after_vs_before"] = round(
            med[f"walk_{name}_after"] / med[f"walk_{name}_before"], 3)
    if "walk_lone_0019" in med:
        out["walk_lone_after_vs_0019"] = round(med["walk_lone_after"] / med["walk_lone_0019"], 3)
    return out


def compare(app_url: str, tenants: dict[str, str], args, ann: bool, rng) -> dict:
    runs = [one_round(app_url, tenants, args.queries, ann, rng) for _ in range(args.rounds)]
    med = {k: statistics.median(x for r in runs for x in r[k])
           for k in runs[0] if not k.startswith("_")}
    out: dict = {"plans_grantee_include_shared": runs[0]["_plans"],
                 "walk_nodes_own_shared": runs[0]["_walk_nodes"]}
    out.update({f"{k}_ms": round(v, 3) for k, v in med.items()})
    for k in ("lone", "lone_include_shared", "grantee", "grantee_include_shared"):
        out[f"{k}_vs_baseline"] = round(med[k] / med["baseline"], 3)
    out["grantee_vs_lone"] = round(med["grantee"] / med["lone"], 3)
    out["lone_include_shared_vs_lone"] = round(med["lone_include_shared"] / med["lone"], 3)
    out["grantee_include_shared_vs_grantee"] = round(
        med["grantee_include_shared"] / med["grantee"], 3)
    out["note_cost_ms"] = round(med["note"] - med["commit"], 3)
    for k in ("neighbors_grantee_own", "neighbors_grantee_shared"):
        out[f"{k}_vs_lone"] = round(med[k] / med["neighbors_lone"], 3)
    return out


ENTITY_SHAPES = {
    "get_entity": "SELECT * FROM cogdb.get_entity(%s)",
    "list_entities": "SELECT * FROM cogdb.list_entities(after => %s, max_rows => 100)",
    "select_entity": ("SELECT e.name, (SELECT array_agg(o.observation) FROM"
                      " cogdb.entity_observations o WHERE o.tenant_id = e.tenant_id"
                      " AND o.entity_id = e.id) FROM cogdb.entities e"
                      " WHERE e.tenant_id = %s AND e.id = cogdb.entity_id_for('', %s)"),
}


def previous_revision() -> str:
    """The revision sharing_entities revises (read from its file: the lead may renumber)."""
    versions = Path(__file__).resolve().parent.parent / "alembic" / "versions"
    (module,) = versions.glob("*_sharing_entities.py")
    for line in module.read_text(encoding="utf-8").splitlines():
        if line.startswith("down_revision"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise RuntimeError(f"{module.name} names no down_revision")


def load_entities(app_url: str, tenants: dict[str, str], n: int) -> None:
    names = [f"entity-{i:05d}" for i in range(n)]
    with psycopg.connect(app_url) as conn:
        for name in ("lone", "source"):
            with conn.transaction():
                conn.execute(SET_CONTEXT, (tenants[name],))
                conn.execute("SELECT count(*) FROM unnest(%s::text[]) AS u(n), LATERAL"
                             " cogdb.upsert_entity(u.n, entity_type => 'person',"
                             " observations => ARRAY['first fact of ' || u.n,"
                             " 'second fact of ' || u.n])", (names,))


def grant_entities(admin_url: str, tenants: dict[str, str]) -> None:
    """source shares its persons with grantee (again after each upgrade: the downgrade to
    the revision before deletes grants that name entities only)."""
    from cogdb import AdminClient

    with AdminClient(admin_url) as admin:
        admin.grant_share(tenants["source"], tenants["grantee"], entity_types=["person"])


def entity_round(app_url: str, tenants: dict[str, str], n: int, queries: int, after: bool,
                 rng: np.random.Generator) -> dict[str, list[float]]:
    lone, grantee = tenants["lone"], tenants["grantee"]
    picks = [f"entity-{i:05d}" for i in rng.integers(0, n, queries)]
    shapes = {
        "get_entity": (lone, ENTITY_SHAPES["get_entity"], lambda i: (f"name:{picks[i]}",)),
        "list_entities": (lone, ENTITY_SHAPES["list_entities"], lambda i: (picks[i],)),
        "select_entity": (lone, ENTITY_SHAPES["select_entity"], lambda i: (lone, picks[i])),
    }
    if after:
        shapes.update({
            "grantee_get_entity_shared": (
                grantee, "SELECT * FROM cogdb.get_entity(%s, include_shared => true)",
                lambda i: (f"name:{picks[i]}",)),
            "grantee_list_entities_shared": (
                grantee, "SELECT * FROM cogdb.list_entities(after => %s, max_rows => 100,"
                " include_shared => true)", lambda i: (picks[i],)),
        })
    out: dict[str, list[float]] = {}
    with psycopg.connect(app_url) as conn:
        for name, (tenant, query, params) in shapes.items():
            out[name] = timed(conn, tenant, query, params, queries)
        with conn.transaction():  # the shared reads return rows (else they measure nothing)
            conn.execute(SET_CONTEXT, (grantee,))
            if after:
                rows = conn.execute("SELECT tenant_id FROM cogdb.get_entity(%s, true)",
                                    (f"name:{picks[0]}",)).fetchall()
                assert rows == [(uuid.UUID(tenants["source"]),)], rows
    return out


def compare_entities(admin_url: str, app_url: str, tenants: dict[str, str], args,
                     rng: np.random.Generator) -> dict:
    from cogdb.ops.migrate import migrate

    before_rev = previous_revision()
    runs: dict[str, list[dict[str, list[float]]]] = {"before": [], "after": []}
    for _ in range(args.rounds):
        migrate(admin_url, before_rev)
        runs["before"].append(entity_round(app_url, tenants, args.entities, args.queries,
                                           False, rng))
        migrate(admin_url, "head")
        grant_entities(admin_url, tenants)
        runs["after"].append(entity_round(app_url, tenants, args.entities, args.queries,
                                          True, rng))
    out: dict = {"before_revision": before_rev}
    med = {side: {k: statistics.median(x for r in rs for x in r[k]) for k in rs[0]}
           for side, rs in runs.items()}
    for side, values in med.items():
        out.update({f"{k}_{side}_ms": round(v, 3) for k, v in values.items()})
    for k in ENTITY_SHAPES:
        out[f"{k}_after_vs_before"] = round(med["after"][k] / med["before"][k], 3)
    out["grantee_get_entity_shared_vs_lone_get_entity"] = round(
        med["after"]["grantee_get_entity_shared"] / med["after"]["get_entity"], 3)
    out["grantee_list_entities_shared_vs_lone_list_entities"] = round(
        med["after"]["grantee_list_entities_shared"] / med["after"]["list_entities"], 3)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench sharing", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=4000, help="memories per tenant")
    ap.add_argument("--queries", type=int, default=100, help="per shape and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--entities", type=int, default=2000,
                    help="name-keyed entities of lone and source (--part entities)")
    ap.add_argument("--part", choices=("all", "search", "entities"), default="all",
                    help="search: the memories shapes (both plan paths); entities: the "
                         "entity reads before and after revision sharing_entities")
    ap.add_argument("--home", help="bench server folder (default bench/out/home-sharing)")
    ap.add_argument("--walks-only", action="store_true",
                    help="only the walks before/after --walks-revision (no search, no maintain)")
    ap.add_argument("--walks-revision", default="0035",
                    help="the revision whose definitions the walks swap out and in: 0035 "
                         "(the default: the relationships fence's shared branch out of "
                         "line), or 0023 (with the pre-sharing 0019 state as well)")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(11)
    OUT.mkdir(parents=True, exist_ok=True)
    admin_url = start_server(Path(args.home) if args.home else OUT / "home-sharing", print)
    app_url = prepare(admin_url, args.rows)
    tenants = load(app_url, admin_url, args.rows, rng)
    result: dict = {"rows": args.rows, "queries": args.queries, "rounds": args.rounds,
                    "machine": platform.platform()}
    if args.walks_only or args.part == "all":
        key = f"walks_{args.walks_revision}"
        result[key] = compare_walks(admin_url, app_url, tenants, args)
        print(f"walks before/after revision {args.walks_revision}:", json.dumps(result[key]),
              flush=True)
        if args.walks_only:
            RESULTS.parent.mkdir(parents=True, exist_ok=True)
            path = RESULTS.with_name("sharing-walks.json" if args.walks_revision == "0023"
                                     else f"sharing-walks-{args.walks_revision}.json")
            path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
            print(f"results: {path}")
            return
    if args.part in ("all", "entities"):
        load_entities(app_url, tenants, args.entities)
        result["entities"] = compare_entities(admin_url, app_url, tenants, args, rng)
        print("entities (before/after):", json.dumps(result["entities"]), flush=True)
    if args.part in ("all", "search"):
        result["exact"] = compare(app_url, tenants, args, False, rng)
        print("exact (before maintain):", json.dumps(result["exact"]), flush=True)
        from cogdb.ops import maintain

        maintain.run(admin_url, echo=lambda line: None)
        result["ann"] = compare(app_url, tenants, args, True, rng)
        print("ann (after maintain):   ", json.dumps(result["ann"]), flush=True)
    out = RESULTS if args.part == "all" else RESULTS.with_name(f"sharing-{args.part}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"results: {out}")
