"""Knowledge-layer benchmark: entity upserts, traversal, hybrid vs vector-only search.

    python -m bench knowledge                    # 50k memories, a few minutes on 2 cores
    python -m bench knowledge --rows 200k        # a larger database

On one embedded server of its own (``--home``, default bench/out/home-knowledge-<rows>, the
search benchmark's settings) it:

1. loads ``--rows`` memories for ``--tenants`` Zipf-sized tenants (bench/corpus.py vectors,
   synthetic text of 20-60 words from a Zipf vocabulary, a few exact tokens: order numbers,
   error codes, names) by COPY with triggers off (the bench-only bulk path), then fills the
   text index (its indexes built after the fill), the counts and the tenant statistics as
   the triggers would have, set-based and with triggers still off, checks the result against
   what the triggers compute (check_load), and runs ``cogdb maintain`` (the large tenants'
   partitions and ANN indexes);
2. entity upserts through the Python client as the app login: new keys, repeated keys
   (the merge path), and 4 connections upserting one hot key;
3. traversal in the largest tenant: a hub entity with 1,000 relationships, each neighbour
   with 3 more (to memories and entities), among ``--edges`` background relationships of all
   tenants; neighbors() at depth 1-3 from the hub and from a leaf beside it, as the app login
   (RLS) and, as the same-run baseline, as a BYPASSRLS role; and from a memory (the one
   node 1 produces, with the tenant's background memory-to-memory relationships), all of
   them again with revision 0035's definitions swapped out and back in (bench/revision_swap.py):
   before/after in the same database (``--traversal-only`` stops after this step);
4. hybrid_search vs search (vector-only) per tenant size class, the same queries (text of a
   memory of the tenant + the corpus' held-out vector), medians, with revision 0028's
   definitions (hybrid_search, text_candidates) out and in, and their results compared
   (``--hybrid-only`` runs the load and this step only);
5. access tracking: a whole scope around a search, with and without record_access;
6. quality on a labelled set whose answers are exact tokens (2,000 tickets embedded with the
   built-in HashEmbedder; 150 questions naming an order number, an error code or a
   customer): hit@10 of vector-only vs hybrid search.

It prints the figures and writes bench/out/knowledge-<rows>.json.
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import numpy as np
import psycopg
from pgvector.psycopg import register_vector

from . import corpus, revision_swap
from .search_bench import (
    OUT,
    login_url,
    parse_rows,
    server_report,
    size_class,
    start_server,
)

MODEL = "cogdb-hash-384"
APP = "cogdb_bench_app"
BYPASS = "cogdb_bench_bypass"
VOCAB = 20_000
CLASS_ORDER = ("tiny", "small", "medium", "large", "largest")
# The revision the hybrid step swaps out and in: 0036 (the text index's tenant keys; its
# swap rebuilds the text index's GIN index, so the states are the outer loop, four swaps).
HYBRID_REVISION = "0036"


def med(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def words_source(seed: int = 3):
    """A Zipf vocabulary (s = 1.0 over 20,000 words, the 150 most frequent left out as
    stopwords would be): realistic document frequencies for content words."""
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ren", "tas", "vor", "qui", "bel", "dun", "sap", "tor",
                 "lin", "mar", "pex", "zu", "ho", "fen", "gri", "nal", "ost"]
    # Every word of 2-4 syllables (8,400 + 160,000 of them), in a random order.
    combos = [a + b for a in syllables for b in syllables]
    combos += [a + b + c + d for a in syllables[:10] for b in syllables for c in syllables[:10]
               for d in syllables[:10]]
    order = rng.permutation(len(combos))[:VOCAB + 150]
    vocab = [combos[i] for i in order][150:]
    p = 1.0 / np.arange(1, VOCAB + 1)
    return rng, np.array(vocab), p / p.sum()


def make_texts(n: int, rng, vocab, p) -> list[str]:
    lengths = rng.integers(20, 61, n)
    picks = rng.choice(len(vocab), size=int(lengths.sum()), p=p)
    out, at = [], 0
    for length in lengths:
        out.append(" ".join(vocab[picks[at:at + length]]))
        at += length
    return out


# --- loading -------------------------------------------------------------------------------

def load(url: str, data: corpus.Corpus, texts: list[str], edges: int, echo) -> dict:
    from cogdb import AdminClient
    from cogdb.ops.migrate import migrate

    migrate(url, "head")
    admin = AdminClient(url)
    admin.ensure_app_login(APP)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DO $$ BEGIN CREATE ROLE {BYPASS} LOGIN BYPASSRLS;"
                     " EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        conn.execute(f"GRANT cogdb_app TO {BYPASS}")
        loaded = conn.execute("SELECT count(*) FROM cogdb.memories WHERE id LIKE 'k%'"
                              ).fetchone()[0]
    tenants = [admin.create_tenant(f"knowledge bench {i}", external_id=f"kb-{i}").id
               for i in range(len(data.sizes))]
    admin.close()
    ids = [f"k{i:07d}" for i in range(len(data.tenant))]
    meta = {"tenants": tenants, "ids": ids}
    if loaded == len(ids):
        echo(f"memories already loaded ({loaded:,})")
        return meta
    if loaded:
        raise SystemExit(f"{loaded} bench memories found, expected 0 or {len(ids)}: remove "
                         "the --home folder and run again")
    started = time.perf_counter()
    phases: dict[str, float] = {}

    def phase(name: str, at: float) -> float:
        now = time.perf_counter()
        phases[name] = now - at
        return now

    with psycopg.connect(url) as conn:
        register_vector(conn)
        # The bench-only bulk path: the load runs as the superuser with triggers off (row
        # checks, the statement triggers and the foreign keys' own triggers), for the COPY
        # and every fill below; the fills then write what the statement triggers would have,
        # set-based, and the text index's indexes are built after its fill. check_load()
        # compares the result with what the app's triggers compute.
        conn.execute("SET session_replication_role = replica")
        conn.execute("SET maintenance_work_mem = '1GB'")
        at = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
                "COPY cogdb.memories (tenant_id, id, human_content, model, embedding)"
                " FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["uuid", "text", "text", "text", "vector"])
            for i, mid in enumerate(ids):
                copy.write_row((tenants[int(data.tenant[i])], mid, texts[i], MODEL,
                                data.vectors[i]))
        at = phase("copy", at)
        # The text index as cogdb.index_text writes it (summary A, question and answer B, in
        # the tenant's search.language), its indexes dropped for the fill and built after.
        defs = [r[0] for r in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'cogdb'"
            " AND tablename = 'text_index'").fetchall()]
        for (name,) in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname ="
                                    " 'cogdb' AND tablename = 'text_index'").fetchall():
            conn.execute(f"DROP INDEX cogdb.{name}")
        conn.execute("""
            INSERT INTO cogdb.text_index (tenant_id, memory_id, owner_user_id, visibility,
                                          language, tsv)
            SELECT m.tenant_id, m.id, m.owner_user_id, m.visibility, l.language,
                   setweight(to_tsvector(l.language, coalesce(m.summary, '')), 'A')
                   || setweight(to_tsvector(l.language, m.human_content || ' '
                                            || m.assistant_content), 'B')
              FROM cogdb.memories m
              JOIN (SELECT t.id, cogdb.tenant_language(t.id) AS language
                      FROM cogdb.tenants t OFFSET 0) l ON l.id = m.tenant_id
             WHERE m.id LIKE 'k%'""")  # OFFSET 0: the language once per tenant
        at = phase("text_index_fill", at)
        for d in defs:
            conn.execute(d)
        at = phase("text_index_indexes", at)
        # The counts and statistics as count_memory_changes and count_tenant_stats write them.
        conn.execute("""
            INSERT INTO cogdb.memory_counts (tenant_id, model, delta)
            SELECT tenant_id, model, count(*) FROM cogdb.memories WHERE id LIKE 'k%'
             GROUP BY 1, 2""")
        conn.execute("""
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(x.counts), sum(x.bytes)
              FROM (SELECT m.tenant_id, m.context_type, m.source, m.visibility,
                           pg_column_size(m.*)::bigint + 28 AS size
                      FROM cogdb.memories m WHERE m.id LIKE 'k%') c
             CROSS JOIN LATERAL (VALUES ('memories', 1, c.size),
                                        ('memories.context_type.' || c.context_type, 1, 0),
                                        ('memories.source.' || c.source, 1, 0),
                                        ('memories.visibility.' || c.visibility, 1, 0))
                   AS x(metric, counts, bytes)
             GROUP BY 1, 2""")
        at = phase("memory_counts_and_stats", at)
        # Background relationships between memories of each tenant (the "many rows").
        conn.execute("""
            INSERT INTO cogdb.relationships (tenant_id, from_memory_id, to_memory_id, type,
                                             strength)
            SELECT DISTINCT ON (a.tenant_id, a.id, b.id) a.tenant_id, a.id, b.id,
                   (ARRAY['led_to', 'relates_to', 'depends_on'])[1 + (g %% 3)], (g %% 10) / 10.0
              FROM generate_series(1, %s) g
              JOIN LATERAL (SELECT (g::bigint * 7919) %% %s AS i) x ON true
              -- by tenant and id (the primary key): by id alone, a fresh 200k database's
              -- plan sorted and merge-joined all of memories_default (stalled for minutes)
              JOIN cogdb.memories a ON a.tenant_id = (%s::uuid[])[x.i + 1]
                                   AND a.id = 'k' || lpad(x.i::text, 7, '0')
              JOIN LATERAL (SELECT m.id FROM cogdb.memories m
                             WHERE m.tenant_id = a.tenant_id AND m.id > a.id
                             ORDER BY m.id LIMIT 1 OFFSET (g %% 5)) b ON true""",
                     (edges, len(ids), [tenants[int(t)] for t in data.tenant]))
        conn.execute("""
            INSERT INTO cogdb.tenant_stats (tenant_id, metric, delta, bytes)
            SELECT c.tenant_id, x.metric, sum(x.counts), sum(x.bytes)
              FROM (SELECT r.tenant_id, r.superseded_at IS NOT NULL AS superseded,
                           pg_column_size(r.*)::bigint + 28 AS size
                      FROM cogdb.relationships r) c
             CROSS JOIN LATERAL (VALUES ('relationships', 1, c.size),
                                        ('relationships.superseded', c.superseded::integer, 0))
                   AS x(metric, counts, bytes)
             GROUP BY 1, 2 HAVING sum(x.counts) <> 0 OR sum(x.bytes) <> 0""")
        at = phase("relationships", at)
        conn.execute("RESET session_replication_role")
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("memories", "text_index", "relationships"):
            conn.execute(f"VACUUM (ANALYZE) cogdb.{table}")
        n_edges = conn.execute("SELECT count(*) FROM cogdb.relationships").fetchone()[0]
    at = phase("vacuum_analyze", at)
    check_load(url, len(ids), n_edges)
    phase("check", at)
    seconds = time.perf_counter() - started
    echo(f"loaded {len(ids):,} memories, text index and {n_edges:,} background relationships"
         f" in {seconds:.0f} s (COPY, triggers off; "
         + ", ".join(f"{k} {v:.0f} s" for k, v in phases.items()) + ")")
    meta["load"] = {"seconds": seconds, "phases": phases}
    return meta


def check_load(url: str, n_memories: int, n_edges: int) -> None:
    """The bulk path's result is what the app's triggers would have written: as many text
    index rows, counts and statistics as rows, and for a sample of memories (every 997th,
    all tenants) a text vector equal to the one cogdb.index_text computes. Cheap (index
    lookups and one pass over the small tables); raises on any difference."""
    with psycopg.connect(url) as conn:
        row = conn.execute("""
            SELECT (SELECT count(*) FROM cogdb.memories WHERE id LIKE 'k%'),
                   (SELECT count(*) FROM cogdb.text_index
                     WHERE memory_id IS NOT NULL AND memory_id LIKE 'k%'),
                   (SELECT sum(delta) FROM cogdb.memory_counts),
                   (SELECT sum(delta) FROM cogdb.tenant_stats WHERE metric = 'memories'),
                   (SELECT sum(delta) FROM cogdb.tenant_stats
                     WHERE metric LIKE 'memories.visibility.%'),
                   (SELECT sum(delta) FROM cogdb.tenant_stats WHERE metric = 'relationships')
            """).fetchone()
        want = (n_memories, n_memories, n_memories, n_memories, n_memories, n_edges)
        if tuple(int(v or 0) for v in row) != want:
            raise SystemExit(f"bulk load check: memories, text index rows, memory_counts, "
                             f"tenant_stats memories / visibility, relationships = {row}, "
                             f"expected {want}")
        bad = conn.execute("""
            SELECT count(*) FROM cogdb.memories m
              JOIN cogdb.text_index t ON t.tenant_id = m.tenant_id AND t.memory_id = m.id
             WHERE m.id = ANY (ARRAY(SELECT 'k' || lpad(g::text, 7, '0')
                                       FROM generate_series(0, %s - 1, 997) g))
               AND (t.tsv, t.language, t.visibility, t.owner_user_id)
                   IS DISTINCT FROM
                   (setweight(to_tsvector(cogdb.tenant_language(m.tenant_id),
                                          coalesce(m.summary, '')), 'A')
                    || setweight(to_tsvector(cogdb.tenant_language(m.tenant_id),
                                             m.human_content || ' ' || m.assistant_content), 'B'),
                    cogdb.tenant_language(m.tenant_id), m.visibility, m.owner_user_id)""",
                           (n_memories,)).fetchone()[0]
        if bad:
            raise SystemExit(f"bulk load check: {bad} sampled text index rows differ from "
                             "what cogdb.index_text computes")


# --- measurements --------------------------------------------------------------------------

def upsert_rates(url: str, tenant, echo) -> dict:
    import cogdb

    out = {}
    client = cogdb.connect(login_url(url, APP), pool_size=1)
    n = 2000
    run = uuid.uuid4().hex[:6]  # new keys in every run, also on a reused server
    # Baseline, same run: remember() of one memory per scope (a write and its commit).
    vec = np.ones(384, dtype=np.float32)
    started = time.perf_counter()
    for i in range(n // 4):
        with client.scope(tenant) as s:
            s.remember(f"baseline {i}", embedding=vec)
    out["remember_per_s"] = (n // 4) / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(n):
        with client.scope(tenant) as s:
            s.upsert_entity(f"person {run} {i}", type="person",
                            data={"rank": i, "team": {"id": i % 7}},
                            observations=[f"joined in week {i % 52}"])
    out["new_keys_per_s"] = n / (time.perf_counter() - started)
    started = time.perf_counter()
    for i in range(n):
        with client.scope(tenant) as s:
            s.upsert_entity(f"person {run} {i % 200}", data={"seen": {str(i): True}})
    out["repeat_keys_per_s"] = n / (time.perf_counter() - started)
    # The database's own rate, without a commit (and its WAL flush) per upsert.
    with client.scope(tenant) as s:
        started = time.perf_counter()
        for i in range(n):
            s.upsert_entity(f"batch {run} {i}", type="person", data={"rank": i},
                            observations=[f"joined in week {i % 52}"])
        out["one_scope_new_keys_per_s"] = n / (time.perf_counter() - started)
    client.close()

    clients = [cogdb.connect(login_url(url, APP), pool_size=1) for _ in range(4)]
    per = 500

    def hot(c) -> None:
        for i in range(per):
            with c.scope(tenant) as s:
                s.upsert_entity("hot key", data={"n": i})

    threads = [threading.Thread(target=hot, args=(c,)) for c in clients]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out["hot_key_4_clients_per_s"] = 4 * per / (time.perf_counter() - started)
    for c in clients:
        c.close()
    echo(f"entity upserts, one scope (transaction) each: new keys {out['new_keys_per_s']:,.0f}/s,"
         f" repeated keys {out['repeat_keys_per_s']:,.0f}/s, one hot key from 4 connections "
         f"{out['hot_key_4_clients_per_s']:,.0f}/s; many in one scope "
         f"{out['one_scope_new_keys_per_s']:,.0f}/s; baseline remember(), one scope each "
         f"{out['remember_per_s']:,.0f}/s")
    return out


def build_hub(url: str, tenant, echo) -> dict:
    """A hub entity with 1,000 relationships; each neighbour with 3 more."""
    with psycopg.connect(login_url(url, APP)) as conn, conn.transaction():
        conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenant),))
        if conn.execute("SELECT count(*) FROM cogdb.get_entity('name:hub')").fetchone()[0]:
            return {}
        started = time.perf_counter()
        conn.execute("SELECT cogdb.upsert_entity('hub', entity_type => 'project')")
        conn.execute("SELECT count(*) FROM generate_series(1, 1000) i,"
                     " cogdb.upsert_entity('node ' || i) u")
        conn.execute("SELECT count(*) FROM generate_series(1, 1000) i,"
                     " cogdb.relate('name:hub', 'name:node ' || i, 'relates_to',"
                     " strength => (i % 10) / 10.0) r")
        mids = [r[0] for r in conn.execute(
            "SELECT id FROM cogdb.memories ORDER BY id LIMIT 2000").fetchall()]
        conn.execute("SELECT count(*) FROM generate_series(1, 1000) i,"
                     " cogdb.relate('name:node ' || i, 'memory:' || (%s::text[])[i], 'produces') r",
                     (mids[:1000],))
        conn.execute("SELECT count(*) FROM generate_series(1, 1000) i,"
                     " cogdb.relate('name:node ' || i, 'name:node ' || (i % 1000 + 1),"
                     " 'depends_on') r")
        conn.execute("SELECT count(*) FROM generate_series(1, 1000) i,"
                     " cogdb.relate('memory:' || (%s::text[])[i], 'memory:' || (%s::text[])[i],"
                     " 'led_to') r", (mids[:1000], mids[1000:2000]))
        echo(f"hub graph: 4,000 relationships through relate() in "
             f"{time.perf_counter() - started:.1f} s")
    return {}


def time_calls(url: str, login: str, calls: list[tuple[object, str, tuple]], rounds: int,
               bypass: bool = False) -> list[float]:
    """Median ms of each call (tenant, query, params), one transaction per call, after a
    warm-up round. Rounds are interleaved (every call once per round), so load that comes
    and goes on a shared machine spreads evenly over the calls compared."""
    return [med(t) for t in call_times(url, login, calls, rounds, bypass)]


def call_times(url: str, login: str, calls: list[tuple[object, str, tuple]], rounds: int,
               bypass: bool = False) -> list[list[float]]:
    """The ms of each call in each round (time_calls' samples)."""
    times: list[list[float]] = [[] for _ in calls]
    with psycopg.connect(login_url(url, login), prepare_threshold=None) as conn:
        register_vector(conn)
        for r in range(rounds + 1):
            for i, (tenant, query, params) in enumerate(calls):
                with conn.transaction():
                    if bypass:
                        conn.execute("SELECT set_config('app.tenant_id', %s, true),"
                                     " set_config('app.user_id', '', true),"
                                     " set_config('app.context_xact', cogdb.context_stamp(),"
                                     " true)", (str(tenant),))
                    else:
                        conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenant),))
                    started = time.perf_counter()
                    conn.execute(query, params).fetchall()
                    if r:
                        times[i].append((time.perf_counter() - started) * 1000)
    return times


#: The revision whose definitions traversal() swaps out and in: the walk's last change.
SWAPPED = "0039"


def relate_times(url: str, tenant, memories: list[str], rounds: int) -> tuple[float, list[float]]:
    """relate() between two memories of the tenant (consecutive pairs of ``memories``), each
    call in its own transaction, rolled back, in one new session: the ms of the session's
    first call (it plans the statements whose plans the later calls reuse) and of the calls
    after a warm-up round."""
    pairs = list(itertools.pairwise(memories))
    times: list[float] = []
    first = 0.0
    with psycopg.connect(login_url(url, APP)) as conn:
        for r in range(rounds + 1):
            for a, b in pairs:
                with conn.transaction(force_rollback=True):
                    conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenant),))
                    started = time.perf_counter()
                    conn.execute("SELECT cogdb.relate(%s, %s, 'relates_to')",
                                 (f"memory:{a}", f"memory:{b}")).fetchall()
                    elapsed = (time.perf_counter() - started) * 1000
                    if r:
                        times.append(elapsed)
                    elif not first:
                        first = elapsed
    return first, times


def traversal(url: str, tenant, rounds: int, echo) -> dict:
    leaf = "name:node 7"
    with psycopg.connect(url) as conn:  # the memory that node 1 produces (build_hub)
        memory = "memory:" + conn.execute(
            "SELECT id FROM cogdb.memories WHERE tenant_id = %s ORDER BY id LIMIT 1",
            (tenant,)).fetchone()[0]
    names = {"name:hub": "hub", leaf: "leaf next to the hub", memory: "memory next to a leaf"}
    cases = []
    for start in names:
        for depth in (1, 2, 3):
            for limit in (100, 1000):
                cases.append((start, depth, limit))
    calls = [(tenant, "SELECT * FROM cogdb.neighbors(%s, %s, max_nodes => %s)", c)
             for c in cases]
    app = time_calls(url, APP, calls, rounds)
    bypass = time_calls(url, BYPASS, calls, rounds, bypass=True)
    # The same calls with revision SWAPPED's definitions out (its downgrade.sql: neighbors()
    # and what it reads as the revision before it left them; 0039's drops the ranked
    # indexes) and back in, in two blocks each (before, after, after, before), half the
    # rounds per block, each direction applied once per change (Toggle). The database is at
    # head: the first downgrade follows an upgrade.
    # relate() between two of the tenant's memories pays the same probes (its policy's WITH
    # CHECK, resolve_node), timed in the same blocks.
    with psycopg.connect(url) as conn:
        pair_ids = [r[0] for r in conn.execute(
            "SELECT id FROM cogdb.memories WHERE tenant_id = %s ORDER BY id DESC LIMIT 6",
            (tenant,))]
    samples: dict[str, list[list[float]]] = {"before": [[] for _ in calls],
                                             "after": [[] for _ in calls]}
    relates: dict[str, list[float]] = {"before": [], "after": []}
    relate_first: dict[str, list[float]] = {"before": [], "after": []}
    swap = revision_swap.Toggle(url, SWAPPED)  # 0039's step builds indexes: never twice
    for state in ("before", "after", "after", "before"):
        swap.set(state == "after")
        for i, t in enumerate(call_times(url, APP, calls, max(2, rounds // 2))):
            samples[state][i].extend(t)
        for _ in range(2):  # two sessions: two first calls per block
            first, later = relate_times(url, tenant, pair_ids, max(2, rounds // 2))
            relate_first[state].append(first)
            relates[state].extend(later)
    swap.set(True)
    before = [med(t) for t in samples["before"]]
    after = [med(t) for t in samples["after"]]
    with psycopg.connect(login_url(url, APP)) as conn, conn.transaction():
        conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenant),))
        counts = [conn.execute("SELECT count(*), max(depth) FROM cogdb.neighbors(%s, %s,"
                               " max_nodes => %s)", c).fetchone() for c in cases]
    rows = []
    for (start, depth, limit), a, b, (n, d), old, new in zip(cases, app, bypass, counts,
                                                             before, after, strict=True):
        rows.append({"start": names[start], "max_depth": depth, "limit": limit, "nodes": n,
                     "deepest": d, "p50_ms": a, "bypassrls_p50_ms": b,
                     "revision": SWAPPED, "before_p50_ms": old, "after_p50_ms": new})
    echo("traversal (neighbors, largest tenant, medians):")
    echo(f"  {'start':<22}{'depth':>6}{'limit':>7}{'nodes':>7}{'reached':>9}"
         f"{'app ms':>9}{'BYPASSRLS ms':>14}{'pre-' + SWAPPED + ' ms':>13}{SWAPPED + ' ms':>9}"
         f"{'ratio':>7}")
    for r in rows:
        echo(f"  {r['start']:<22}{r['max_depth']:>6}{r['limit']:>7}{r['nodes']:>7}"
             f"{r['deepest'] or 0:>9}{r['p50_ms']:>9.2f}{r['bypassrls_p50_ms']:>14.2f}"
             f"{r['before_p50_ms']:>13.2f}{r['after_p50_ms']:>9.2f}"
             f"{r['after_p50_ms'] / r['before_p50_ms']:>7.2f}")
    relate = {"before_p50_ms": med(relates["before"]), "after_p50_ms": med(relates["after"]),
              "calls": len(relates["after"]),
              "before_first_call_p50_ms": med(relate_first["before"]),
              "after_first_call_p50_ms": med(relate_first["after"]),
              "sessions": len(relate_first["after"])}
    echo(f"relate() between two memories of the tenant (rolled back), medians: "
         f"pre-{SWAPPED} {relate['before_p50_ms']:.2f} ms, "
         f"{SWAPPED} {relate['after_p50_ms']:.2f} ms; a session's first call: "
         f"pre-{SWAPPED} {relate['before_first_call_p50_ms']:.2f} ms, "
         f"{SWAPPED} {relate['after_first_call_p50_ms']:.2f} ms")
    return {"cases": rows, "relate": relate}


def hybrid_vs_vector(url: str, data: corpus.Corpus, texts: list[str], meta: dict,
                     per_class: int, rounds: int, echo) -> dict:
    """Per size class: search (vector-only), hybrid_search (text + vector) and hybrid_search
    (text only), the same queries, with revision HYBRID_REVISION out ("before") and in
    ("after"), in four blocks (before, after, after, before), every class timed in each
    block: the ratios of both states come from the same run. The hybrid results of both
    states are compared too (they must not differ)."""
    rng = np.random.default_rng(21)
    rows_of: dict[int, list[int]] = defaultdict(list)
    for i, t in enumerate(data.tenant):
        rows_of[int(t)].append(i)
    by_class: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for qi, t in enumerate(data.query_tenant):
        t = int(t)
        cls = "largest" if t == 0 else size_class(int(data.sizes[t]))
        by_class[cls].append((qi, t))
    classes = {}
    for cls in CLASS_ORDER:
        picks = by_class.get(cls, [])
        if not picks:
            continue
        picks = [picks[i % len(picks)] for i in range(per_class)]  # a query vector may repeat
        calls = []
        for qi, t in picks:
            source = texts[rows_of[t][int(rng.integers(len(rows_of[t])))]].split()
            words = " ".join(rng.choice(source, size=min(3, len(source)), replace=False))
            q, tenant = data.queries[qi], meta["tenants"][t]
            calls += [(tenant, "SELECT * FROM cogdb.search(%b::vector, 10, model => %s)",
                       (q, MODEL)),
                      (tenant, "SELECT * FROM cogdb.hybrid_search(%s, %b::vector, 10,"
                               " model => %s)", (words, q, MODEL)),
                      (tenant, "SELECT * FROM cogdb.hybrid_search(%s, k => 10)", (words,))]
        classes[cls] = calls
    samples = {cls: {"before": [[] for _ in calls], "after": [[] for _ in calls]}
               for cls, calls in classes.items()}
    found: dict[str, dict[str, list]] = {cls: {} for cls in classes}
    swap = revision_swap.Toggle(url, HYBRID_REVISION)  # 0036's swap rebuilds an index
    for state in ("before", "after", "after", "before"):
        seconds = swap.set(state == "after")
        if seconds is not None:
            echo(f"  revision {HYBRID_REVISION} {'in' if swap.is_in else 'out'}: {seconds:.0f} s")
        for cls, calls in classes.items():
            for n, t in enumerate(call_times(url, APP, calls, max(2, rounds // 2))):
                samples[cls][state][n].extend(t)
            if state not in found[cls]:
                found[cls][state] = call_results(url, APP, calls[1::3] + calls[2::3])
    swap.set(True)
    echo(f"hybrid vs vector-only (k=10, medians per size class), revision {HYBRID_REVISION}"
         f" out (before) and in (after):")
    echo(f"  {'class':<10}{'queries':>8}{'state':>8}{'vector ms':>11}{'hybrid ms':>11}"
         f"{'ratio':>7}{'text-only ms':>14}")
    result = {}
    for cls, calls in classes.items():
        result[cls] = {"queries": len(calls) // 3,
                       "results_differ": sum(a != b for a, b in zip(found[cls]["before"],
                                                                   found[cls]["after"],
                                                                   strict=True))}
        for state in ("before", "after"):
            timed = [med(t) for t in samples[cls][state]]
            v, h, x = timed[0::3], timed[1::3], timed[2::3]
            r = {"vector_p50_ms": med(v), "hybrid_p50_ms": med(h), "text_only_p50_ms": med(x),
                 "ratio": med(h) / med(v)}
            result[cls][state] = r
            echo(f"  {cls:<10}{len(calls) // 3:>8}{state:>8}{r['vector_p50_ms']:>11.2f}"
                 f"{r['hybrid_p50_ms']:>11.2f}{r['ratio']:>7.2f}{r['text_only_p50_ms']:>14.2f}")
        if result[cls]["results_differ"]:
            echo(f"  {cls}: {result[cls]['results_differ']} hybrid results differ between"
                 " the states")
    return result


def call_results(url: str, login: str, calls: list[tuple[object, str, tuple]]) -> list:
    """Each call's rows (kind, id, score, text_rank, vector_rank), in order."""
    out = []
    with psycopg.connect(login_url(url, login)) as conn:
        register_vector(conn)
        for tenant, query, params in calls:
            with conn.transaction():
                conn.execute("SELECT cogdb.set_context(%s::text)", (str(tenant),))
                out.append([r[:5] for r in conn.execute(query, params).fetchall()])
    return out


def access_tracking(url: str, data: corpus.Corpus, meta: dict, rounds: int, echo) -> dict:
    """A whole scope (BEGIN, set_context, search, COMMIT) with and without recording the
    results (record_access), interleaved, in the largest tenant."""
    queries = [data.queries[qi] for qi, t in enumerate(data.query_tenant) if int(t) == 0]
    tenant = str(meta["tenants"][0])
    plain: list[float] = []
    tracked: list[float] = []
    with psycopg.connect(login_url(url, APP), prepare_threshold=None) as conn:
        register_vector(conn)
        for r in range(rounds + 1):
            for q in queries:
                for record, sink in ((False, plain), (True, tracked)):
                    started = time.perf_counter()
                    with conn.transaction():
                        conn.execute("SELECT cogdb.set_context(%s::text)", (tenant,))
                        ids = [row[0] for row in conn.execute(
                            "SELECT id FROM cogdb.search(%b::vector, 10, model => %s)",
                            (q, MODEL))]
                        if record:
                            conn.execute("SELECT cogdb.record_access(%s::text[])", (ids,))
                    if r:
                        sink.append((time.perf_counter() - started) * 1000)
    out = {"scope_search_p50_ms": med(plain), "scope_search_and_record_p50_ms": med(tracked)}
    out["ratio"] = out["scope_search_and_record_p50_ms"] / out["scope_search_p50_ms"]
    echo(f"access tracking, whole scope (BEGIN … COMMIT), largest tenant: search "
         f"{out['scope_search_p50_ms']:.2f} ms, search + record_access "
         f"{out['scope_search_and_record_p50_ms']:.2f} ms (x{out['ratio']:.2f})")
    return out


def quality(url: str, echo) -> dict:
    """hit@10 on tickets whose answer is an exact token, HashEmbedder vectors."""
    import cogdb
    from cogdb import AdminClient

    rng = np.random.default_rng(8)
    _, vocab, p = words_source(seed=9)
    admin = AdminClient(url)
    tenant = admin.create_tenant(f"labelled {uuid.uuid4().hex[:6]}").id
    admin.close()
    customers = [f"{a}{b}" for a in ("Nord", "Sud", "Ost", "West", "Alt", "Neu", "Hoch", "Tief")
                 for b in ("wind", "stein", "feld", "berg", "bach", "hof", "tal", "see")]
    tickets, answers = [], []
    for i in range(2000):
        order, code = f"ORD-2024-{i:05d}", f"E{40000 + i * 7}"
        cust = customers[i % len(customers)]
        filler = " ".join(rng.choice(vocab, size=25, p=p))
        tickets.append(f"Ticket for {cust}: order {order} failed with error {code}. {filler}")
        answers.append((order, code, cust))
    client = cogdb.connect(login_url(url, APP), embedder=cogdb.HashEmbedder(), pool_size=1)
    with client.scope(tenant) as s:
        ids = s.remember_many([{"human": t} for t in tickets])
    questions = []
    for n, i in enumerate(rng.choice(2000, 150, replace=False)):
        order, code, cust = answers[i]
        kind = ("order", "code", "customer")[n % 3]
        q = {"order": f"what happened to order {order}?",
             "code": f"which ticket shows error {code}",
             "customer": f"latest ticket from {cust} about {order[-5:]}"}[kind]
        questions.append((q, ids[i], kind))
    hits = {"vector": defaultdict(int), "hybrid": defaultdict(int)}
    with client.scope(tenant) as s:
        for q, answer, kind in questions:
            hits["vector"][kind] += answer in [h.id for h in s.search(q, k=10)]
            hits["hybrid"][kind] += answer in [h.id for h in s.hybrid_search(q, 10)]
    client.close()
    n_kind = {k: sum(1 for _, _, kk in questions if kk == k) for k in ("order", "code",
                                                                        "customer")}
    out = {mode: {k: hits[mode][k] / n_kind[k] for k in n_kind} for mode in hits}
    for mode in out:
        out[mode]["all"] = sum(hits[mode].values()) / len(questions)
    echo(f"quality, hit@10 on {len(questions)} questions whose answer is an exact token "
         f"(2,000 tickets, HashEmbedder):")
    for mode in ("vector", "hybrid"):
        echo(f"  {mode:<7} all {out[mode]['all']:.2f}  order number {out[mode]['order']:.2f}"
             f"  error code {out[mode]['code']:.2f}  customer+digits {out[mode]['customer']:.2f}")
    return out


# --- main ---------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench knowledge", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", default="50k", help="memories in the database, e.g. 50k, 200k")
    ap.add_argument("--tenants", type=int, default=100)
    ap.add_argument("--edges", type=int, default=None,
                    help="background relationships (default: as many as memories)")
    ap.add_argument("--queries-per-class", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=15, help="timed calls per query")
    ap.add_argument("--home", help="bench server folder (default bench/out/home-knowledge-<rows>)")
    ap.add_argument("--hybrid-only", action="store_true",
                    help="load, then time hybrid vs vector-only search only")
    ap.add_argument("--traversal-only", action="store_true",
                    help="load, build the hub graph and time traversal only")
    args = ap.parse_args(argv)
    rows = parse_rows(args.rows)
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(args.home) if args.home else OUT / f"home-knowledge-{args.rows.lower()}"

    def echo(line: str) -> None:
        print(line, flush=True)

    echo(f"== cogdb knowledge benchmark: {rows:,} memories, {args.tenants} tenants ==")
    data = corpus.build(rows, args.tenants, queries_per_tenant=5)
    rng, vocab, p = words_source()
    texts = make_texts(rows, rng, vocab, p)
    for i in range(0, rows, 97):  # exact tokens, as real tickets and notes have them
        texts[i] += f" ORD-{i:07d} ERR_{i % 997:03d}"
    url = start_server(home, echo)
    meta = load(url, data, texts, args.edges or rows, echo)
    from cogdb.ops import maintain

    started = time.perf_counter()
    steps = maintain.run(url, echo=lambda *_: None)
    report = {"rows": rows, "tenants": args.tenants, "started": time.ctime(),
              "largest_tenant_rows": int(data.sizes[0]),
              "maintain": {"seconds": time.perf_counter() - started,
                           "indexes_built": sum(s.action == "create" for s in steps)},
              "server": server_report(url), "load": meta.get("load")}
    echo(f"largest tenant {data.sizes[0]:,} memories; maintain built "
         f"{report['maintain']['indexes_built']} ANN index(es) in "
         f"{report['maintain']['seconds']:.0f} s")
    largest = meta["tenants"][0]
    if args.hybrid_only:
        report["hybrid"] = hybrid_vs_vector(url, data, texts, meta, args.queries_per_class,
                                            max(5, args.rounds // 2), echo)
        path = OUT / f"knowledge-{args.rows.lower()}-hybrid.json"
        path.write_text(json.dumps(report, indent=2, default=str))
        echo(f"JSON: {path}")
        return
    if not args.traversal_only:
        report["upserts"] = upsert_rates(url, meta["tenants"][1], echo)
    build_hub(url, largest, echo)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) cogdb.relationships")
        conn.execute("VACUUM (ANALYZE) cogdb.entities")
        report["relationships_total"] = conn.execute(
            "SELECT count(*) FROM cogdb.relationships").fetchone()[0]
    report["traversal"] = traversal(url, largest, args.rounds, echo)
    if args.traversal_only:
        path = OUT / f"knowledge-{args.rows.lower()}-traversal.json"
        path.write_text(json.dumps(report, indent=2, default=str))
        echo(f"JSON: {path}")
        return
    report["hybrid"] = hybrid_vs_vector(url, data, texts, meta, args.queries_per_class,
                                        max(5, args.rounds // 2), echo)
    report["access_tracking"] = access_tracking(url, data, meta, args.rounds, echo)
    report["quality"] = quality(url, echo)
    path = OUT / f"knowledge-{args.rows.lower()}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    echo(f"server: {report['server']['version'].split(' on ')[0]}, pgvector "
         f"{report['server']['pgvector']}, {report['server']['cpus']} cpus")
    echo(f"JSON: {path}")


if __name__ == "__main__":
    main()
