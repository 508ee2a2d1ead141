"""``cogdb quickstart``: the whole system end to end, idempotently.

Starts the embedded server (unless COGDB_*_URL name another), migrates, creates the app
login, two tenants with a user each and a few memories each, then proves isolation as the
app login: each tenant's search returns only its own memories, a foreign id reads as
missing, and a session without context sees nothing.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from .. import config
from ..api.client import Client, connect, connect_admin
from ..api.provisioning import Tenant, User
from ..db import embedded, urls
from ..db.errors import IsolationViolation
from . import migrate

SAMPLES: dict[str, list[tuple[str, str, str]]] = {
    "acme": [
        ("qs-acme-deploy", "How do we deploy the billing service to production?",
         "Merge to main, wait for CI, then run the deploy pipeline with the billing target."),
        ("qs-acme-oncall", "Who is on call for the payments API this week?",
         "The payments rota lives in the on-call calendar; this week it is the platform team."),
        ("qs-acme-vpn", "The VPN keeps dropping on my laptop",
         "Update the VPN client and switch the protocol to WireGuard in its settings."),
    ],
    "jo": [
        ("qs-jo-risotto", "What should I cook for dinner with mushrooms and rice?",
         "A mushroom risotto: toast the rice, add stock slowly, finish with parmesan."),
        ("qs-jo-running", "Plan my running for a first 10k race",
         "Three runs a week for eight weeks, one long slow run, one tempo, one easy."),
        ("qs-jo-plants", "My basil plant leaves are turning yellow",
         "Usually overwatering: let the soil dry between waterings and give it more sun."),
    ],
}
QUERIES = {"acme": "how do we deploy to production", "jo": "what should I cook for dinner"}
Echo = Callable[[str], None]


@dataclass(frozen=True)
class _Demo:
    """The two tenants and their users."""

    acme: Tenant
    ann: User
    jo: Tenant
    jo_user: User

    def scopes(self) -> tuple[tuple[str, object, object], ...]:
        """(sample key, tenant id, user id) of each tenant."""
        return (("acme", self.acme.id, self.ann.id), ("jo", self.jo.id, self.jo_user.id))


def _store_samples(client: Client, tenant, user, key: str) -> int:
    samples = SAMPLES[key]
    with client.scope(tenant, user) as s:
        present = {row[0] for row in s.connection.execute(
            "SELECT id FROM cogdb.memories WHERE id = ANY(%s)", ([sid for sid, _, _ in samples],))}
        missing = [{"id": sid, "human": h, "assistant": a, "source": "manual",
                    "tags": ["quickstart"]} for sid, h, a in samples if sid not in present]
        s.remember_many(missing)
    return len(missing)


def _start_server(echo: Echo) -> bool:
    """Start the embedded server unless COGDB_*_URL name another; True when embedded."""
    if config.uses_external_server():
        echo("1. using the server named by COGDB_ADMIN_URL / COGDB_DATABASE_URL")
        return False
    was_running = embedded.status() is not None
    info = embedded.start()
    state = "already running" if was_running else "started"
    echo(f"1. embedded PostgreSQL 18 + pgvector {state} (data: {info.pgdata})")
    return True


def _provision(admin_url: str, embedded_mode: bool, echo: Echo) -> _Demo:
    with connect_admin(admin_url) as admin:
        if embedded_mode:
            migrate.prepare_embedded_database(admin)
        acme = admin.create_tenant("Acme Corp", mode="enterprise", external_id="quickstart:acme")
        jo = admin.create_tenant("Jo (personal)", mode="personal", external_id="quickstart:jo")
        ann = admin.create_user(acme.id, email="ann@acme.example")
        jo_user = admin.create_user(jo.id, email="jo@example.com")
    echo(f"3. tenants: Acme Corp {acme.id} (user ann {ann.id})")
    echo(f"            Jo        {jo.id} (user jo  {jo_user.id})")
    return _Demo(acme, ann, jo, jo_user)


def _require(holds: bool, what: str) -> None:
    """An isolation check of the quickstart: a failure is cogdb's own error, never skipped
    (``assert`` is, under ``python -O``)."""
    if not holds:
        raise IsolationViolation(what, hint="This is a bug in cogdb's isolation: please report "
                                            "it with the output above.")


def _store_and_search(client: Client, demo: _Demo, echo: Echo) -> int:
    """Store the samples that are missing and search each tenant; the number stored."""
    with client.pool.connection() as conn:
        role = conn.execute("SELECT current_user").fetchone()[0]
    added = sum(_store_samples(client, tenant, user, key) for key, tenant, user in demo.scopes())
    echo(f"4. sample memories stored: {added} new "
         f"({sum(map(len, SAMPLES.values())) - added} already there), as app login {role!r}")
    echo("5. scoped search, as the app login:")
    for key, tenant, usr in demo.scopes():
        with client.scope(tenant, usr) as s:
            hits = s.search(QUERIES[key], k=3)
        echo(f"   [{key}] {QUERIES[key]!r}")
        for h in hits:
            echo(f"     {h.similarity:6.3f}  {h.id:<16} {h.human_content}")
        # The tenant's own memories may include more than the samples (anything remembered
        # since): what must never appear is another tenant's sample.
        others = {sid for k, rows in SAMPLES.items() if k != key for sid, _, _ in rows}
        _require(not {h.id for h in hits} & others, "a search returned another tenant's memory")
    return added


def _prove_isolation(client: Client, demo: _Demo, echo: Echo) -> None:
    echo("6. isolation checks:")
    with client.scope(demo.acme.id, demo.ann.id) as s:
        foreign = s.search(QUERIES["jo"], k=10)
        leaked = {h.id for h in foreign} & {sid for sid, _, _ in SAMPLES["jo"]}
        missing = s.get("qs-jo-risotto")
    echo(f"   Acme searching Jo's query returns {len(foreign)} results, "
         f"{len(leaked)} of them Jo's; get('qs-jo-risotto') in Acme -> {missing}")
    _require(not leaked and missing is None, "a tenant saw another tenant's memory")
    with client.pool.connection() as conn, conn.transaction():
        visible = conn.execute("SELECT count(*) FROM cogdb.memories").fetchone()[0]
        found = conn.execute("SELECT count(*) FROM cogdb.search("
                             "array_fill(0.1::real, ARRAY[384])::vector)").fetchone()[0]
    echo(f"   without a context: SELECT count(*) FROM cogdb.memories -> {visible}; "
         f"cogdb.search(...) -> {found} rows")
    _require(visible == 0 and found == 0, "a session without a context saw memories")
    try:
        with client.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT cogdb.remember('q', 'a', array_fill(0.1::real,"
                         " ARRAY[384])::vector)")
        raise AssertionError("a write without context was accepted")
    except psycopg.Error as exc:
        reason = f"{exc.sqlstate} {exc.diag.message_primary}"
        echo(f"   a write without context is refused: {reason}")


def _psql(embedded_mode: bool) -> tuple[str | None, str]:
    """The app login's URL and a psql to open it with."""
    if embedded_mode:
        return embedded.app_url(), embedded.psql_path()
    return config.database_url_from_env(), "psql"


def _show_psql(demo: _Demo, embedded_mode: bool, echo: Echo) -> None:
    app_url, psql = _psql(embedded_mode)
    echo("7. open the same database in psql as the app login:")
    echo(f"   {psql} '{app_url}'")
    echo(f"   => BEGIN; SELECT cogdb.set_context('{demo.acme.id}', '{demo.ann.id}');")
    echo("      SELECT id, human_content FROM cogdb.memories;  -- only Acme's rows")
    echo("      COMMIT;")


#: The real model of the semantic variant: the [models] extra ships it.
REAL_MODEL = "all-minilm-l6-v2"
REAL_EMBEDDER = "sentence-transformers:all-MiniLM-L6-v2"
SEMANTIC_QUERY = "release process"


def _semantic_search(admin_url: str, echo: Echo) -> dict[str, Any]:
    """A tenant whose default model is a real one: a search by meaning, not by words."""
    echo(f"8. semantic search with a real model ({REAL_MODEL}, the [models] extra):")
    with connect_admin(admin_url) as admin:
        admin.register_model(REAL_MODEL, 384, embedder=REAL_EMBEDDER,
                             description="all-MiniLM-L6-v2 (sentence-transformers), 384-d")
        tenant = admin.create_tenant("Semantic demo", mode="enterprise",
                                     external_id="quickstart:semantic",
                                     default_model=REAL_MODEL)
    samples = [(sid.replace("qs-", "qs-sem-"), h, a) for sid, h, a in
               SAMPLES["acme"] + SAMPLES["jo"]]
    with connect(pool_size=1) as client:
        with client.scope(tenant.id) as s:
            present = {m.id for m in s.list_memories(100)}
            s.remember_many([{"id": sid, "human": h, "assistant": a, "source": "manual"}
                             for sid, h, a in samples if sid not in present])
        with client.scope(tenant.id) as s:
            hits = s.search(SEMANTIC_QUERY, k=3)
    echo(f"   tenant {tenant.id}, default model {REAL_MODEL}")
    echo(f"   {SEMANTIC_QUERY!r} (no word in common with the answer):")
    for h in hits:
        echo(f"     {h.similarity:6.3f}  {h.id:<20} {h.human_content}")
    return {"tenant_id": tenant.id, "model": REAL_MODEL, "query": SEMANTIC_QUERY,
            "hits": [{"id": h.id, "similarity": h.similarity} for h in hits]}


def run(echo: Echo, *, real_model: bool = False) -> dict[str, Any]:
    """Every step, each reported through ``echo``; returns a summary (``--json`` prints it).
    ``real_model`` adds a tenant searched with a real embedding model (the [models] extra)."""
    started = time.perf_counter()
    if real_model:  # say so before anything starts, not after the tour
        from ..embedders import from_spec

        from_spec(REAL_EMBEDDER, REAL_MODEL, 384)
    embedded_mode = _start_server(echo)
    admin_url = urls.admin_url()
    before, after = migrate.migrate(admin_url, "head")
    echo(f"2. migrations: {before or 'empty'} -> {after} (head)")
    demo = _provision(admin_url, embedded_mode, echo)
    with connect(pool_size=2) as client:
        added = _store_and_search(client, demo, echo)
        _prove_isolation(client, demo, echo)
    _show_psql(demo, embedded_mode, echo)
    semantic = _semantic_search(admin_url, echo) if real_model else None
    seconds = time.perf_counter() - started
    echo(f"done in {seconds:.1f} s. Run it again: nothing is duplicated.")
    return {
        "server": "embedded" if embedded_mode else "external",
        "data_dir": str(embedded.pgdata_dir()) if embedded_mode else None,
        "migrated": {"before": before, "after": after},
        "tenants": [{"key": key, "tenant_id": tenant, "user_id": user}
                    for key, tenant, user in demo.scopes()],
        "memories_added": added, "isolation_checks": "passed",
        "app_url": _psql(embedded_mode)[0], "seconds": round(seconds, 2),
        "semantic_search": semantic,
    }
