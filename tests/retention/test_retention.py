"""Retention: policies hide expired and over-age memories from every read as the app the
moment they are due, and the purge deletes or anonymises them in bounded batches, honouring
legal holds. Reads run as the app login (RLS applies); setup and checks of what is stored
use the superuser connection."""
from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from helpers import SET_CONTEXT, cli, count, in_context, one_error, vec
from pgvector.psycopg import register_vector

from cogdb.db.errors import InvalidInput, NotFound

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def put(db, tenant, rows, user=None) -> None:
    """Store ``rows`` (remember_many objects) as the app in ``tenant``'s context."""
    with psycopg.connect(db.app_url) as conn:
        register_vector(conn)
        conn.execute(SET_CONTEXT, (str(tenant), None if user is None else str(user)))
        conn.execute("SELECT * FROM cogdb.remember_many(%s::jsonb, %s::vector[])",
                     (json.dumps([{"human_content": f"text of {r['id']}", **r} for r in rows],
                                 default=str),
                      [vec(i % 300) for i in range(len(rows))]))


def visible(db, tenant, user=None) -> set[str]:
    """Ids a plain SELECT as the app returns."""
    with psycopg.connect(db.app_url) as conn, in_context(conn, tenant, user):
        return {r[0] for r in conn.execute("SELECT id FROM cogdb.memories")}


def stored(db, tenant) -> set[str]:
    return {r[0] for r in db.super.execute(
        "SELECT id FROM cogdb.memories WHERE tenant_id = %s", (tenant,))}


def ago(delta: timedelta) -> datetime:
    return datetime.now(UTC) - delta


def test_a_memory_one_second_before_and_after_its_expiry(db, client, tenants):
    admin = cogdb_admin(db)
    admin.set_retention(tenants.b, max_age="1 day")  # another tenant's policy: no effect on A
    t0 = datetime.now(UTC)
    put(db, tenants.a, [
        {"id": "expires-soon", "created_at": t0 - DAY, "expires_at": t0 + SECOND},
        {"id": "expired", "created_at": t0 - DAY, "expires_at": t0 - SECOND},
        {"id": "young", "created_at": t0 - DAY + SECOND},
        {"id": "old", "created_at": t0 - DAY - SECOND}])
    assert visible(db, tenants.a) == {"expires-soon", "young", "old"}  # no policy of A's
    t0 = datetime.now(UTC)
    admin.set_retention(tenants.a, context_type="note", max_age="1 day")
    put(db, tenants.a, [{"id": "note-young", "context_type": "note",
                         "created_at": t0 - DAY + SECOND},
                        {"id": "note-old", "context_type": "note",
                         "created_at": t0 - DAY - SECOND}])
    assert visible(db, tenants.a) == {"expires-soon", "young", "old", "note-young"}
    # One second later, without a purge, expires-soon and note-young are due too; due
    # memories are invisible to every read: plain SELECT, get, list, search.
    admin.set_retention(tenants.a, max_age="2 days")
    time.sleep(max(0.0, (t0 + SECOND - datetime.now(UTC)).total_seconds()) + 0.1)
    assert visible(db, tenants.a) == {"young", "old"}
    with client.scope(tenants.a) as s:
        assert s.get("note-old") is None and s.get("expired") is None
        assert s.get("old") is not None
        assert {m.id for m in s.list_memories(50)} == {"young", "old"}
        assert {h.id for h in s.search(vec(0), k=10)} == {"young", "old"}
    # ... and still stored until the purge.
    assert stored(db, tenants.a) == {"expires-soon", "expired", "young", "old", "note-young",
                                     "note-old"}
    done = admin.purge(tenants.a)
    assert [(d.deleted, d.anonymised, d.held) for d in done] == [(4, 0, False)]
    assert stored(db, tenants.a) == {"young", "old"}
    assert admin.purge(tenants.a)[0].deleted == 0  # nothing left to do


def cogdb_admin(db):
    import cogdb
    return cogdb.connect_admin(db.admin_url)


def test_traversal_does_not_pass_through_an_over_age_memory(db, client, tenants):
    with client.scope(tenants.a) as s:
        topic = s.upsert_entity("Topic")
        old = s.remember("an old memory", embedding=vec(1), created_at=ago(DAY * 10))
        behind = s.upsert_entity("Behind the old memory")
        s.relate(topic, f"memory:{old}")
        s.relate(f"memory:{old}", behind)
        assert len(s.neighbors(topic, 2)) == 2  # control
    cogdb_admin(db).set_retention(tenants.a, max_age="7 days")
    with client.scope(tenants.a) as s:
        assert s.neighbors(topic, 2) == []


def test_the_most_specific_policy_governs(db, tenants):
    put(db, tenants.a, [
        {"id": "conv-api", "context_type": "conversation", "source": "api",
         "created_at": ago(DAY * 3)},
        {"id": "note-api", "context_type": "note", "source": "api", "created_at": ago(DAY * 3)},
        {"id": "fact-api", "context_type": "fact", "source": "api", "created_at": ago(DAY * 3)},
        {"id": "fact-young", "context_type": "fact", "source": "api",
         "created_at": ago(DAY * 1)}])
    admin = cogdb_admin(db)
    admin.set_retention(tenants.a, max_age="2 days")                      # everything
    admin.set_retention(tenants.a, context_type="note")                   # notes: kept
    admin.set_retention(tenants.a, context_type="fact", source="api", max_age="12 hours")
    assert visible(db, tenants.a) == {"note-api"}
    state = admin.list_retention(tenants.a)
    assert [(p["context_type"], p["source"], p["max_age"]) for p in state["policies"]] == [
        ("fact", "api", "12:00:00"), ("note", "*", None), ("*", "*", "2 days")]
    assert admin.drop_retention(tenants.a, context_type="fact", source="api") is True
    assert admin.drop_retention(tenants.a, context_type="fact", source="api") is False
    assert visible(db, tenants.a) == {"note-api", "fact-young"}


def test_max_count_keeps_the_newest(db, tenants):
    put(db, tenants.a, [{"id": f"n{i}", "context_type": "note", "created_at": ago(DAY * i)}
                        for i in range(5)]
        + [{"id": "c0", "created_at": ago(DAY * 9)}])
    admin = cogdb_admin(db)
    admin.set_retention(tenants.a, context_type="note", max_count=2)
    # over-count memories stay visible until the purge (a rank, not a property of the row)
    assert visible(db, tenants.a) == {"n0", "n1", "n2", "n3", "n4", "c0"}
    assert admin.purge(tenants.a)[0].deleted == 3
    assert visible(db, tenants.a) == {"n0", "n1", "c0"}


def test_anonymise_keeps_the_row_and_blanks_what_identifies_a_person(db, client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        s.remember("my name is Ada", "hello Ada", embedding=vec(3), id="old",
                   created_at=ago(DAY * 40), summary="Ada's intro", conversation_id="chat-7",
                   tags=["ada"], metadata={"email": "ada@example.com"}, visibility="private")
        s.remember("recent", embedding=vec(4), id="recent")
    admin = cogdb_admin(db)
    admin.set_retention(tenants.a, max_age="30 days", action="anonymise")
    assert visible(db, tenants.a, tenants.a1) == {"recent"}  # hidden until anonymised
    done = admin.purge(tenants.a)
    assert [(d.deleted, d.anonymised) for d in done] == [(0, 1)]
    with client.scope(tenants.a, tenants.a1) as s:
        m = s.get("old")
    assert m is not None and m.owner_user_id == tenants.a1 and m.visibility == "private"
    assert (m.human_content, m.assistant_content, m.summary, m.conversation_id, m.tags,
            m.metadata) == ("", "[anonymised]", None, None, [], {})
    assert list(m.embedding[:2]) == [1.0, 0.0] and float(sum(abs(m.embedding))) == 1.0
    row = db.super.execute("SELECT anonymised_at IS NOT NULL, cluster_label FROM cogdb.memories"
                           " WHERE tenant_id = %s AND id = 'old'", (tenants.a,)).fetchone()
    assert row == (True, None) and m.anonymised_at is not None
    assert admin.purge(tenants.a)[0].anonymised == 0  # once


def test_a_tenant_hold_stops_every_purge(db, tenants):
    put(db, tenants.a, [{"id": "old", "created_at": ago(DAY * 5)},
                        {"id": "expired", "created_at": ago(DAY), "expires_at": ago(SECOND)}])
    admin = cogdb_admin(db)
    admin.set_retention(tenants.a, max_age="1 day")
    state = admin.place_hold(tenants.a, reason="case 42")
    assert [(h["user_id"], h["reason"]) for h in state["holds"]] == [(None, "case 42")]
    done = admin.purge(tenants.a)
    assert [(d.deleted, d.held) for d in done] == [(0, True)]
    assert stored(db, tenants.a) == {"old", "expired"}
    assert visible(db, tenants.a) == set()  # a hold keeps, it does not show
    assert admin.release_hold(tenants.a) is True
    assert admin.release_hold(tenants.a) is False
    assert admin.purge(tenants.a)[0].deleted == 2
    assert stored(db, tenants.a) == set()


def test_a_user_hold_keeps_what_the_user_owns(db, tenants):
    put(db, tenants.a, [{"id": "a1-shared", "created_at": ago(DAY * 5)},
                        {"id": "a1-private", "created_at": ago(DAY * 5), "visibility": "private"}],
        user=tenants.a1)
    put(db, tenants.a, [{"id": "a2-shared", "created_at": ago(DAY * 5)},
                        {"id": "a2-private", "created_at": ago(DAY * 5), "visibility": "private"}],
        user=tenants.a2)
    put(db, tenants.a, [{"id": "ownerless", "created_at": ago(DAY * 5)}])
    admin = cogdb_admin(db)
    admin.set_retention(tenants.a, max_age="1 day")
    admin.place_hold(tenants.a, user=tenants.a1, reason="subject access request")
    done = admin.purge(tenants.a)
    assert [(d.deleted, d.held) for d in done] == [(3, True)]
    assert stored(db, tenants.a) == {"a1-shared", "a1-private"}


def test_purge_runs_in_bounded_batches_with_progress(db, tenants):
    put(db, tenants.a, [{"id": f"old{i}", "created_at": ago(DAY * 3)} for i in range(7)]
        + [{"id": "keep", "created_at": ago(SECOND * 10)}])
    admin = cogdb_admin(db)
    admin.set_retention(tenants.a, max_age="1 day")
    lines: list[str] = []
    done = admin.purge(tenants.a, batch=3, echo=lines.append)
    assert [(d.deleted, d.batches) for d in done] == [(7, 3)]
    assert lines[0] == f"tenant {tenants.a}: 3 deleted, 0 anonymised so far (1 batches)"
    assert lines[-1] == f"tenant {tenants.a}: 7 deleted, 0 anonymised"
    assert stored(db, tenants.a) == {"keep"}


def test_a_memory_stored_already_over_age_is_kept_invisible(db, tenants):
    """An import of old data: stored (no refusal), invisible, and purged later."""
    cogdb_admin(db).set_retention(tenants.a, max_age="1 day")
    put(db, tenants.a, [{"id": "imported-old", "created_at": ago(DAY * 400)},
                        {"id": "imported-new", "created_at": ago(SECOND)}])
    assert visible(db, tenants.a) == {"imported-new"}
    assert stored(db, tenants.a) == {"imported-old", "imported-new"}


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"context_type": "gossip"}, "context_type"),
    ({"source": "carrier-pigeon"}, "source"),
    ({"max_age": "-1 day"}, "max_age"),
    ({"max_age": "soon"}, "max_age"),
    ({"max_count": 0}, "max_count"),
    ({"action": "shred"}, "action"),
])
def test_bad_policies_are_refused_naming_the_field(db, tenants, kwargs, field):
    admin = cogdb_admin(db)
    with pytest.raises(InvalidInput) as info:
        admin.set_retention(tenants.a, **kwargs)
    assert info.value.field == field
    assert admin.list_retention(tenants.a) == {"policies": [], "holds": []}  # unchanged


def test_unknown_tenant_user_and_bad_batch_are_refused(db, tenants):
    admin = cogdb_admin(db)
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(NotFound) as info:
        admin.set_retention(missing, max_age="1 day")
    assert info.value.field == "tenant_id"
    with pytest.raises(NotFound) as info:
        admin.place_hold(tenants.a, user=tenants.b1, reason="wrong tenant")
    assert info.value.field == "user_id"
    with pytest.raises(InvalidInput) as info:
        admin.place_hold(tenants.a, reason=" ")
    assert info.value.field == "reason"
    with pytest.raises(InvalidInput) as info:
        admin.purge(tenants.a, batch=0)
    assert info.value.field == "batch"
    assert admin.list_retention(tenants.a) == {"policies": [], "holds": []}


def test_cli_retention_and_purge(db, tenants):
    put(db, tenants.a, [{"id": "old", "created_at": ago(DAY * 3)}])
    t = str(tenants.a)
    r = cli(db, "retention", "set", "--tenant", t, "--max-age", "2 days", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["policies"][0]["max_age"] == "2 days"
    r = cli(db, "retention", "hold", "--tenant", t, "--reason", "case 7")
    assert r.exit_code == 0 and "hold    the whole tenant: case 7" in r.stdout
    r = cli(db, "purge", "--tenant", t, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["held"] is True
    r = cli(db, "retention", "release", "--tenant", t, "--json")
    assert json.loads(r.stdout)["released"] is True
    r = cli(db, "purge", "--tenant", t, "--batch", "10")
    assert r.exit_code == 0 and "purged: 1 deleted, 0 anonymised, 1 tenant(s)" in r.stdout
    r = cli(db, "retention", "list", "--tenant", t)
    assert "policy  context_type=*" in r.stdout and "max age 2 days" in r.stdout
    r = cli(db, "retention", "set", "--tenant", t, "--remove", "--json")
    assert json.loads(r.stdout) == {"policies": [], "holds": []}
    one_error(cli(db, "retention", "set", "--tenant", t, "--context-type", "gossip"),
              "context_type must be * or one of")
    assert count(db, tenants.a) == 0


def test_maintain_runs_the_purge(db, tenants):
    put(db, tenants.a, [{"id": "old", "created_at": ago(DAY * 3)}, {"id": "new"}])
    cogdb_admin(db).set_retention(tenants.a, max_age="1 day")
    r = cli(db, "maintain", admin_url=db.url())
    assert r.exit_code == 0, r.output
    assert f"retention: tenant {tenants.a}: 1 deleted, 0 anonymised" in r.stdout
    assert stored(db, tenants.a) == {"new"}
