"""``cogdb quickstart``: the whole system end to end, idempotently.

Starts the embedded server (unless COGDB_*_URL name another), migrates, creates the app
login, two tenants with a user each and a few memories each, then proves isolation as the
app login: each tenant's search returns only its own memories, a foreign id reads as
missing, and a session without context sees nothing.
"""
from __future__ import annotations

import time
from collections.abc import Callable

import psycopg

from .. import config
from ..api.client import Client, connect, connect_admin
from ..db import embedded, urls
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


def _store_samples(client: Client, tenant, user, key: str) -> int:
    samples = SAMPLES[key]
    with client.scope(tenant, user) as s:
        present = {row[0] for row in s.connection.execute(
            "SELECT id FROM cogdb.memories WHERE id = ANY(%s)", ([sid for sid, _, _ in samples],))}
        missing = [{"id": sid, "human": h, "assistant": a, "source": "manual",
                    "tags": ["quickstart"]} for sid, h, a in samples if sid not in present]
        s.remember_many(missing)
    return len(missing)


def run(echo: Callable[[str], None]) -> None:
    started = time.perf_counter()
    embedded_mode = not config.uses_external_server()
    if embedded_mode:
        was_running = embedded.status() is not None
        info = embedded.start()
        state = "already running" if was_running else "started"
        echo(f"1. embedded PostgreSQL 18 + pgvector {state} (data: {info.pgdata})")
    else:
        echo("1. using the server named by COGDB_ADMIN_URL / COGDB_DATABASE_URL")

    admin_url = urls.admin_url()
    before, after = migrate.migrate(admin_url, "head")
    echo(f"2. migrations: {before or 'empty'} -> {after} (head)")

    with connect_admin(admin_url) as admin:
        if embedded_mode:
            migrate.prepare_embedded_database(admin)
        acme = admin.create_tenant("Acme Corp", mode="enterprise", external_id="quickstart:acme")
        jo = admin.create_tenant("Jo (personal)", mode="personal", external_id="quickstart:jo")
        ann = admin.create_user(acme.id, email="ann@acme.example")
        jo_user = admin.create_user(jo.id, email="jo@example.com")
    echo(f"3. tenants: Acme Corp {acme.id} (user ann {ann.id})")
    echo(f"            Jo        {jo.id} (user jo  {jo_user.id})")

    with connect(pool_size=2) as client:
        with client.pool.connection() as conn:
            role = conn.execute("SELECT current_user").fetchone()[0]
        added = (_store_samples(client, acme.id, ann.id, "acme")
                 + _store_samples(client, jo.id, jo_user.id, "jo"))
        echo(f"4. sample memories stored: {added} new "
             f"({sum(map(len, SAMPLES.values())) - added} already there), as app login {role!r}")

        echo("5. scoped search, as the app login:")
        for key, tenant, usr in (("acme", acme.id, ann.id), ("jo", jo.id, jo_user.id)):
            with client.scope(tenant, usr) as s:
                hits = s.search(QUERIES[key], k=3)
            echo(f"   [{key}] {QUERIES[key]!r}")
            for h in hits:
                echo(f"     {h.similarity:6.3f}  {h.id:<16} {h.human_content}")
            own = {sid for sid, _, _ in SAMPLES[key]}
            assert {h.id for h in hits} <= own, "a search returned another tenant's memory"

        echo("6. isolation checks:")
        with client.scope(acme.id, ann.id) as s:
            foreign = s.search(QUERIES["jo"], k=10)
            leaked = {h.id for h in foreign} & {sid for sid, _, _ in SAMPLES["jo"]}
            missing = s.get("qs-jo-risotto")
        echo(f"   Acme searching Jo's query returns {len(foreign)} results, "
             f"{len(leaked)} of them Jo's; get('qs-jo-risotto') in Acme -> {missing}")
        assert not leaked and missing is None
        with client.pool.connection() as conn, conn.transaction():
            visible = conn.execute("SELECT count(*) FROM cogdb.memories").fetchone()[0]
            found = conn.execute("SELECT count(*) FROM cogdb.search("
                                 "array_fill(0.1::real, ARRAY[384])::vector)").fetchone()[0]
        echo(f"   without a context: SELECT count(*) FROM cogdb.memories -> {visible}; "
             f"cogdb.search(...) -> {found} rows")
        assert visible == 0 and found == 0
        try:
            with client.pool.connection() as conn, conn.transaction():
                conn.execute("SELECT cogdb.remember('q', 'a', array_fill(0.1::real,"
                             " ARRAY[384])::vector)")
            raise AssertionError("a write without context was accepted")
        except psycopg.Error as exc:
            reason = f"{exc.sqlstate} {exc.diag.message_primary}"
            echo(f"   a write without context is refused: {reason}")

    app_url = config.database_url_from_env()
    if embedded_mode:
        app_url = embedded.app_url()
        psql = embedded.psql_path()
    else:
        psql = "psql"
    echo("7. open the same database in psql as the app login:")
    echo(f"   {psql} '{app_url}'")
    echo(f"   => BEGIN; SELECT cogdb.set_context('{acme.id}', '{ann.id}');")
    echo("      SELECT id, human_content FROM cogdb.memories;  -- only Acme's rows")
    echo("      COMMIT;")
    echo(f"done in {time.perf_counter() - started:.1f} s. Run it again: nothing is duplicated.")
