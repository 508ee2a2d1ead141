"""Entities: upsert merges data key by key, counts every upsert, keeps observations once,
resolves keys (by name, by system key, through aliases), and stays consistent when many
connections upsert the same key at once. Merging moves observations and relationships to
the survivor and leaves an alias. All through the Python client as the app login; the
superuser only counts ground truth."""
from __future__ import annotations

import os
import threading

import pytest
from helpers import count, vec

import cogdb


def test_upsert_creates_then_merges_data_key_by_key(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        first = s.upsert_entity("Acme Corp", type="customer",
                                data={"plan": "pro", "address": {"city": "Berlin"},
                                      "tags": ["a", "b"], "contact": {"name": "Ann"}})
        second = s.upsert_entity("Acme Corp",
                                 data={"address": {"zip": "10115"}, "tags": ["c"],
                                       "contact": "see CRM", "seats": 40})
        entity = s.get_entity("Acme Corp")
    assert first.created and not second.created and first.id == second.id
    assert (first.update_count, second.update_count) == (1, 2)
    assert entity is not None and entity.entity_type == "customer" and entity.name == "Acme Corp"
    assert entity.data == {
        "plan": "pro",                                      # kept: only the older had it
        "address": {"city": "Berlin", "zip": "10115"},      # objects merge recursively
        "tags": ["c"],                                      # lists are replaced
        "contact": "see CRM",                               # object vs scalar: newer wins
        "seats": 40,
    }
    assert entity.update_count == 2 and entity.last_seen >= entity.first_seen


def test_conflicting_types_take_the_newer_value_in_both_directions(client, tenants):
    with client.scope(tenants.a) as s:
        s.upsert_entity("T", data={"x": 1, "y": {"deep": {"a": 1}}, "z": None})
        s.upsert_entity("T", data={"x": {"now": "object"}, "y": {"deep": [1, 2]}, "z": {"k": 1}})
        s.upsert_entity("T", data={"y": {"deep": {"b": 2}}, "w": {}})
        assert s.get_entity("T").data == {"x": {"now": "object"}, "y": {"deep": {"b": 2}},
                                          "z": {"k": 1}, "w": {}}


def test_scalar_fields_replace_when_given_and_stay_when_not(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        s.upsert_entity("crm-42", system="crm", type="customer", name="Globex")
        s.upsert_entity("crm-42", system="crm")
        e = s.get_entity("key:crm:crm-42")
        assert (e.entity_type, e.name, e.system, e.external_id) == (
            "customer", "Globex", "crm", "crm-42")
        s.upsert_entity("crm-42", system="crm", name="Globex Inc")
        assert s.get_entity("key:crm:crm-42").name == "Globex Inc"
        # the same external id in another system, or by name, is another entity
        assert s.get_entity("crm-42") is None
        assert s.get_entity("Globex") is None


def test_observations_are_kept_once_each(client, tenants):
    with client.scope(tenants.a) as s:
        s.upsert_entity("Ann", observations=["prefers email", "  prefers email  ",
                                             "based in Berlin"])
        s.upsert_entity("Ann", observations=["prefers email", "on call in March"])
        assert s.get_entity("Ann").observations == ["prefers email", "based in Berlin",
                                                    "on call in March"]


@pytest.mark.parametrize(("kwargs", "field"), [
    (dict(key="x", system="Bad System"), "system"),
    (dict(key="x", visibility="public"), "visibility"),
    (dict(key=""), "external_id"),
    (dict(key="private without a user", visibility="private"), "visibility"),
    (dict(key="x", observations=[""]), "observations"),
    (dict(key="x", embedding=[1.0, 2.0]), "embedding"),
], ids=["system", "visibility", "empty-key", "private-no-user", "observation", "embedding"])
def test_bad_input_is_refused_with_the_field(client, tenants, kwargs, field):
    with client.scope(tenants.a) as s, pytest.raises(cogdb.InvalidInput) as info:
        s.upsert_entity(**kwargs)
    assert info.value.field == field
    with client.scope(tenants.a) as s:  # control: nothing was written
        assert s.get_entity("x") is None


def test_embedding_takes_the_tenants_model(client, tenants):
    with client.scope(tenants.a) as s:
        s.upsert_entity("Vec", embedding=vec(3))
        s.upsert_entity("Text", observations=["likes tea"], embed=True)
        assert s.get_entity("Vec").model == s.get_entity("Text").model == "cogdb-hash-384"
        s.upsert_entity("Plain")
        assert s.get_entity("Plain").model is None


#: Upserts per connection. The issue's figure is 1,000 (COGDB_UPSERT_ROUNDS=1000, ~80 s: the
#: document grows to 8,000 keys and each merge rewrites it); the suite's default keeps the
#: same 8-way race on one row at a quarter of the cost.
UPSERT_ROUNDS = int(os.environ.get("COGDB_UPSERT_ROUNDS", "300"))


def test_concurrent_upserts_of_one_key_lose_nothing(db, tenants):
    """8 connections upsert the same key UPSERT_ROUNDS times each: one row, update_count
    8 x UPSERT_ROUNDS, and every key any of them wrote is in the data."""
    clients = [cogdb.connect(db.app_url, pool_size=1) for _ in range(8)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(clients))

    def worker(n: int, client: cogdb.Client) -> None:
        try:
            barrier.wait()
            for i in range(UPSERT_ROUNDS):
                with client.scope(tenants.a) as s:
                    s.upsert_entity("Hot Key", data={"w": {f"{n}.{i}": i}, "last": n,
                                                     "counter": {"shared": i}})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n, c)) for n, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.close()
    assert not errors, errors[:3]
    assert count(db, tenants.a, table="entities") == 1
    with cogdb.connect(db.app_url, pool_size=1) as client, client.scope(tenants.a) as s:
        e = s.get_entity("Hot Key")
    assert e.update_count == 8 * UPSERT_ROUNDS
    assert e.data["w"] == {f"{n}.{i}": i for n in range(8) for i in range(UPSERT_ROUNDS)}
    assert e.data["last"] in range(8) and e.data["counter"] == {"shared": UPSERT_ROUNDS - 1}


def test_merge_moves_observations_and_relationships_and_leaves_an_alias(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        acme = s.upsert_entity("Acme Corp", type="customer", data={"plan": "pro"},
                               observations=["renewal in March"])
        dup = s.upsert_entity("ACME", type="customer", data={"plan": "free", "seats": 3},
                              observations=["prefers email", "renewal in March"])
        mid = s.remember("Call with ACME about the renewal", embedding=vec(1))
        bob = s.upsert_entity("Bob", type="person")
        s.relate(f"memory:{mid}", dup, "relates_to")
        s.relate(bob, dup, "belongs_to")
        s.relate(bob, acme, "belongs_to")          # the survivor has this fact already
        s.relate(dup, acme, "relates_to")          # becomes a self-loop: superseded
        result = s.merge_entities(acme, dup)
        assert (result.id, result.merged) == (acme.id, dup.id)
        assert result.observations_moved == 2
        assert (result.relationships_moved, result.relationships_superseded) == (1, 2)
        merged = s.get_entity("ACME")               # the alias's key resolves to the survivor
        assert merged.id == acme.id and merged.aliases == ["ACME"]
        assert merged.data == {"plan": "pro", "seats": 3}   # survivor's values win
        assert merged.update_count == 2                  # the sum of both
        assert sorted(merged.observations) == ["prefers email", "renewal in March"]
        current = {(r.type, r.other, r.edge_direction) for r in s.relationships(acme)}
        assert current == {("relates_to", f"memory:{mid}", "in"),
                           ("belongs_to", bob.ref, "in")}
        # an upsert by the alias's key updates the survivor
        up = s.upsert_entity("ACME", data={"region": "eu"})
        assert up.id == acme.id and s.get_entity(acme).data["region"] == "eu"
    with client.scope(tenants.a, tenants.a1) as s, pytest.raises(cogdb.InvalidInput):
        s.merge_entities(acme, "ACME")              # already one entity


def test_merge_moves_relationships_the_caller_cannot_see(client, tenants):
    """a2's private relationship to the merged entity moves too; a1 is told only about
    what it can see."""
    with client.scope(tenants.a, tenants.a1) as s:
        keep = s.upsert_entity("Keep")
        gone = s.upsert_entity("Gone")
    with client.scope(tenants.a, tenants.a2) as s:
        note = s.remember("a2's private note", embedding=vec(2), private=True)
        s.relate(f"memory:{note}", "Gone", "relates_to")
        s.relate("Keep", "Gone", "depends_on", visibility="private")
    with client.scope(tenants.a, tenants.a1) as s:
        result = s.merge_entities(keep, gone)
        assert (result.relationships_moved, result.relationships_superseded) == (0, 0)
    with client.scope(tenants.a, tenants.a2) as s:
        edges = {(r.type, r.other, r.edge_direction) for r in s.relationships("Keep")}
        # the self-loop Keep -> Gone was a2's private record: superseded in a2's context
        assert edges == {("relates_to", f"memory:{note}", "in")}
        assert [r.superseded_at is not None for r in s.relationships("Keep", history=True)
                if r.type == "depends_on"] == [True]


def test_a_shared_entity_merges_only_into_a_shared_one(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        mine = s.upsert_entity("Mine", visibility="private")
        shared = s.upsert_entity("Shared")
    with client.scope(tenants.a, tenants.a1) as s, pytest.raises(cogdb.InvalidInput) as info:
        s.merge_entities(mine, shared)
    assert info.value.field == "survivor"
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.merge_entities(shared, mine).id == shared.id   # the other way is fine


def test_forget_entity_removes_its_observations_aliases_and_relationships(client, tenants, db):
    with client.scope(tenants.a) as s:
        a = s.upsert_entity("A", observations=["x"])
        b = s.upsert_entity("B")
        c = s.upsert_entity("C")
        s.relate(a, b)
        s.merge_entities(a, c)
        assert s.forget_entity("A") is True
        assert s.forget_entity("A") is False
        assert s.get_entity("C") is None and s.relationships(b) == []
    assert count(db, tenants.a, table="entity_observations") == 0
    assert count(db, tenants.a, table="relationships") == 0
    assert count(db, tenants.a, table="entities") == 1


def test_key_of_another_users_private_entity_is_refused_not_overwritten(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        s.upsert_entity("Secret project", visibility="private", data={"v": 1})
    with client.scope(tenants.a, tenants.a2) as s, pytest.raises(cogdb.IsolationViolation):
        s.upsert_entity("Secret project", data={"v": 2})
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.get_entity("Secret project").data == {"v": 1}
