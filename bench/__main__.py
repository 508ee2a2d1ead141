"""python -m bench <benchmark> [options]

    search   scoped search: recall and latency per tenant size class vs three baselines
    corpus   check the synthetic corpus against the real-embedding neighbour profile
    storage  vector vs halfvec HNSW, m / ef_construction / ef_search, PLAIN vs EXTENDED 1024-d
    import   node import rate (bench/import_bench.py)
    events   event append rate and cursor reads vs a plain table (bench/events_bench.py)
    langgraph  CogdbStore vs LangGraph's PostgresStore: load rate, search latency, recall@10
    knowledge  entity upserts, traversal, hybrid vs vector-only search (bench/knowledge_bench.py)
    scale    planning, search and inserts with 80, 800 and 3,000 promoted tenants
    stats    what tenant_id's planner statistics show through EXPLAIN, and what dropping them costs
    fuzz     hostile arguments for every function the app and admin may call; counts per function
    crash    kill -9 the server mid-write, restart, check every acknowledged write
    soak     pool clients and a raw-SQL client over Zipf tenants, every response checked
    retention  what a retention policy costs search, count and get; purge rate
    audit    remember_many, remember and search with the audit trail on and off
    replicas  write and read scopes with and without a read replica; read-your-writes
    sharing  search for tenants with and without read grants vs the plain query under RLS
    federated  federated_counts / federated_average over N tenants vs one tenant's own count
    gdpr     erase_user and export_user against delete_user of the same user
    migrate  cogdb model migrate: re-embedding rate vs the import, index, cutover, search p50
    migplans  a migration's cutover of many entities and its settle batches, before/after 0032
    textqueue  bulk writes with the full-text index in the statement, deferred, and off
    planning  what planning the policies costs a search, before and after revision 0029
"""
from __future__ import annotations

import importlib
import sys

BENCHMARKS = {"search": "bench.search_bench", "corpus": "bench.corpus_check",
              "storage": "bench.storage_bench",
              "import": "bench.import_bench", "events": "bench.events_bench",
              "langgraph": "bench.langgraph_bench", "knowledge": "bench.knowledge_bench",
              "scale": "bench.scale_bench", "stats": "bench.stats_bench",
              "fuzz": "bench.fuzz_bench", "crash": "bench.crash_bench",
              "soak": "bench.soak_bench",
              "retention": "bench.retention_bench", "audit": "bench.audit_bench",
              "replicas": "bench.replicas_bench",
              "sharing": "bench.sharing_bench",
              "federated": "bench.federated_bench",
              "migplans": "bench.migration_plans_bench",
              "gdpr": "bench.gdpr_bench",
              "migrate": "bench.migrate_bench",
              "textqueue": "bench.text_queue_bench",
              "planning": "bench.planning_bench"}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help") or sys.argv[1] not in BENCHMARKS:
        print(__doc__)
        sys.exit(0 if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help") else 2)
    module = importlib.import_module(BENCHMARKS[sys.argv[1]])
    module.main(sys.argv[2:])


if __name__ == "__main__":
    main()
