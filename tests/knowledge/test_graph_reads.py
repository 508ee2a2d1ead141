"""The graph reads and the observation removal the MCP knowledge-graph tools stand on:
``list_entities`` (name-keyed entities in name order, paged, optionally containing a text),
``entity_relations`` (the current entity-to-entity relations of a set of entities, with both
ends' names) and ``forget_observations``. Through the Python client as the app login; the
CLI commands at the end."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from helpers import cli, flush_pool_stats

import cogdb


def _names(rows):
    return [e.external_id for e in rows]


def test_list_entities_pages_in_name_order_with_observations(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        for name in ("bob", "Alice", "Zoe", "Émile", "carol"):
            s.upsert_entity(name, type="person", observations=[f"{name} one", f"{name} two"])
        s.upsert_entity("crm-1", system="crm", name="Alice Corp")   # keyed by a system: not listed
        s.upsert_entity("Old Bob")
        s.merge_entities("bob", "Old Bob")                         # an alias: not listed
        first = s.list_entities(max_rows=2)
        rest = s.list_entities(after=first[-1].external_id, max_rows=10)
        everything = s.list_entities()
    assert _names(first) == ["Alice", "Zoe"]                         # byte order: stable pages
    assert _names(rest) == ["bob", "carol", "Émile"]
    assert _names(everything) == _names(first) + _names(rest)
    assert first[0].observations == ["Alice one", "Alice two"]
    assert first[0].entity_type == "person" and first[0].ref.startswith("entity:ent_")


def test_list_entities_containing_matches_name_type_or_observation_in_any_case(client, tenants):
    with client.scope(tenants.a) as s:
        s.upsert_entity("Acme Corp", type="customer", observations=["renews in March"])
        s.upsert_entity("Bob", type="person", observations=["works at ACME"])
        s.upsert_entity("Carol", type="Customer")
        s.upsert_entity("Dan", observations=["50% discount_code"])
        assert _names(s.list_entities(containing="acme")) == ["Acme Corp", "Bob"]
        assert _names(s.list_entities(containing="CUSTOMER")) == ["Acme Corp", "Carol"]
        assert _names(s.list_entities(containing="march")) == ["Acme Corp"]
        # no pattern characters: % and _ are text
        assert _names(s.list_entities(containing="0% d")) == ["Dan"]
        assert _names(s.list_entities(containing="t_c")) == ["Dan"]
        assert s.list_entities(containing="nobody") == []


@pytest.mark.parametrize("max_rows", [0, 1001])
def test_list_entities_refuses_a_page_size_out_of_range(client, tenants, max_rows):
    with pytest.raises(cogdb.InvalidInput) as err, client.scope(tenants.a) as s:
        s.list_entities(max_rows=max_rows)
    assert err.value.field == "max_rows" and "between 1 and 1000" in str(err.value)


def test_entity_relations_are_the_current_ones_touching_the_names(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        for name in ("Alice", "Bob", "Acme", "Globex", "Nobody"):
            s.upsert_entity(name)
        s.upsert_entity("crm-7", system="crm", name="Initech")
        s.register_relationship_type("works_at", exclusive=True)
        s.relate("Alice", "Acme", "works_at")
        s.relate("Bob", "Alice", "relates_to")
        s.relate("Acme", "Globex", "depends_on")
        s.relate("Alice", "key:crm:crm-7", "relates_to")
        s.relate("Alice", "Globex", "relates_to")
        mid = s.remember("a memory about Alice", embedding=[1.0] + [0.0] * 383)
        s.relate(f"memory:{mid}", "Alice", "relates_to")          # a memory end: left out
    with client.scope(tenants.a, tenants.a1) as s:
        s.relate("Alice", "Globex", "relates_to", valid_to=datetime.now(UTC))  # ended
        s.relate("Alice", "Globex", "works_at")                    # supersedes works_at Acme
    with client.scope(tenants.a, tenants.a1) as s:                 # after the fact's end
        rows = s.entity_relations(["Alice", "Missing"])
        none = s.entity_relations(["Nobody"])
    got = [(r.from_external_id, r.type, r.to_system, r.to_external_id, r.to_name)
            for r in rows]
    assert got == [
        ("Alice", "relates_to", "crm", "crm-7", "Initech"),
        ("Alice", "works_at", "", "Globex", "Globex"),
        ("Bob", "relates_to", "", "Alice", "Alice"),
    ]
    assert none == []



def _entity_rows_read(db) -> int:
    db.super.execute("SELECT pg_stat_clear_snapshot()")
    return db.super.execute("SELECT coalesce(idx_tup_fetch, 0) + coalesce(seq_tup_read, 0)"
                            " FROM pg_stat_user_tables WHERE relid = 'cogdb.entities'::regclass"
                            ).fetchone()[0]


def test_entity_relations_reads_each_end_by_its_id(client, tenants, db):
    """Revision 0037: each end of a relationship is one lookup by id. Joined on (tenant, id),
    the planner (no statistics on tenant_id) took the primary key by tenant alone and read
    all of the tenant's entities for every relationship (11,513 rows here for 30; at 1M
    memories 473,524 buffers, 244 ms for the 1,000 relationships of one entity; 14 ms now)."""
    with client.scope(tenants.a, tenants.a1) as s:
        s.upsert_entity("hub")
        s.connection.execute("SELECT cogdb.upsert_entity('node ' || i)"
                             "  FROM generate_series(0, 999) i")
        for i in range(30):
            s.relate("hub", f"node {i}", "relates_to")
    flush_pool_stats(client)  # what the writes left pending
    db.super.execute("ANALYZE cogdb.entities, cogdb.relationships")  # as autovacuum would
    before = _entity_rows_read(db)
    with client.scope(tenants.a, tenants.a1) as s:
        assert len(s.entity_relations(["hub"])) == 30
        s.connection.execute("SELECT pg_stat_force_next_flush()")
    read = _entity_rows_read(db) - before
    # the hub, then both ends of each relationship, and the policies' endpoint probes: a few
    # reads per relationship, not one per entity of the tenant
    assert 30 <= read <= 8 * 30, read

def test_forget_observations_removes_only_the_given_ones(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        s.upsert_entity("Acme", observations=["renews in March", "prefers email", "big"])
        assert s.forget_observations("Acme", [" prefers email ", "never said", "big"]) == 2
        assert s.get_entity("Acme").observations == ["renews in March"]
        assert s.forget_observations("Acme", ["prefers email"]) == 0        # already gone
        assert s.forget_observations("Nobody", ["x"]) == 0                  # no such entity
        assert s.forget_observations("Acme", []) == 0
    with pytest.raises(cogdb.InvalidInput) as err, client.scope(tenants.a) as s:
        s.forget_observations("Acme", "renews in March")
    assert err.value.field == "observations"


def test_the_cli_lists_relates_and_forgets_observations(db, tenants):
    t = ["--tenant", str(tenants.a), "--user", str(tenants.a1)]
    assert cli(db, "entity", "upsert", *t, "Acme", "--observation", "renews in March",
               "--observation", "prefers email").exit_code == 0
    assert cli(db, "entity", "upsert", *t, "Bob").exit_code == 0
    assert cli(db, "relate", *t, "Bob", "relates_to", "Acme").exit_code == 0
    listed = cli(db, "entity", "list", *t, "-n", "1")
    assert listed.exit_code == 0 and "Acme" in listed.output and 'more: --after "Acme"' \
        in listed.output
    page2 = json.loads(cli(db, "entity", "list", *t, "--after", "Acme", "--json").output)
    assert [e["external_id"] for e in page2] == ["Bob"]
    found = json.loads(cli(db, "entity", "list", *t, "--containing", "EMAIL", "--json").output)
    assert [e["external_id"] for e in found] == ["Acme"]
    rel = cli(db, "entity", "relations", *t, "Acme")
    assert rel.exit_code == 0 and "Bob -relates_to-> Acme" in rel.output
    rel_json = json.loads(cli(db, "entity", "relations", *t, "Acme", "--json").output)
    assert rel_json[0]["from_external_id"] == "Bob"
    gone = json.loads(cli(db, "entity", "forget-observations", *t, "Acme", "prefers email",
                          "--json").output)
    assert gone == {"ref": "Acme", "removed": 1}
    bad = cli(db, "entity", "list", *t, "-n", "0")
    assert bad.exit_code != 0 and "limit" in bad.output.lower()
