"""Sessions: starting, ending, listing, parents; memories that name their session, "what
was remembered in session S" and "the sessions where X came up" as one call each; what
deleting a user leaves behind."""
from __future__ import annotations

import uuid

import pytest
from helpers import vec

import cogdb


def test_a_session_is_private_to_its_user_unless_told(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        mine = s.get_session(s.start_session(mode="chat", agent="planner",
                                             metadata={"channel": "slack"}))
        team = s.get_session(s.start_session(visibility="tenant"))
    assert (mine.visibility, mine.owner_user_id, mine.mode, mine.agent, mine.metadata) == (
        "private", tenants.a1, "chat", "planner", {"channel": "slack"})
    assert (team.visibility, team.owner_user_id) == ("tenant", tenants.a1)
    assert mine.ended_at is None and mine.event_count == 0
    with client.scope(tenants.a) as s:
        system = s.get_session(s.start_session(agent="cron"))
    assert (system.visibility, system.owner_user_id) == ("tenant", None)
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a) as s:
        s.start_session(visibility="private")
    assert info.value.field == "visibility"


def test_mode_takes_the_conversation_mode_vocabulary(client, tenants, admin):
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
        s.start_session(mode="creative")
    assert info.value.field == "mode" and "vocabulary add conversation_mode" in info.value.hint
    admin.add_vocabulary("conversation_mode", ["creative"])
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.get_session(s.start_session(mode="creative")).mode == "creative"


def test_a_session_continues_a_parent_its_readers_can_see(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        private = s.start_session()
        team = s.start_session(visibility="tenant")
        assert s.get_session(s.start_session(parent=private)).parent_session_id == private
        assert s.get_session(s.start_session(parent=team, visibility="tenant")
                             ).parent_session_id == team
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
        s.start_session(parent=private, visibility="tenant")
    assert info.value.field == "parent_session_id"
    with pytest.raises(cogdb.NotFound), client.scope(tenants.a, tenants.a2) as s:
        s.start_session(parent=private)
    with pytest.raises(cogdb.NotFound), client.scope(tenants.a, tenants.a1) as s:
        s.end_session(uuid.uuid4())


def test_listing_pages_newest_first_with_filters(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        ids = [s.start_session(mode="chat" if i % 2 else "task", agent=f"agent{i % 3}")
               for i in range(5)]
        s.end_session(ids[0])
    with client.scope(tenants.a, tenants.a1) as s:
        pages, before = [], None
        while page := s.list_sessions(2, before=before):
            pages.append([x.id for x in page])
            before = (page[-1].started_at, page[-1].id)
        listed = [i for page in pages for i in page]
        # one transaction: equal start times, so the order is by id, descending
        assert listed == sorted(ids, reverse=True) and [len(p) for p in pages] == [2, 2, 1]
        assert {x.id for x in s.list_sessions(mode="chat")} == {ids[1], ids[3]}
        assert {x.id for x in s.list_sessions(agent="agent0")} == {ids[0], ids[3]}
        assert {x.id for x in s.list_sessions(only_open=True)} == set(ids[1:])
        assert {x.id for x in s.list_sessions(owner=tenants.a2)} == set()


def test_what_was_remembered_in_a_session(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        sid = s.start_session()
        other = s.start_session()
        first = s.remember("How do we deploy?", "Merge to main.", vec(1), session_id=sid)
        batch = s.remember_many([{"human": "and roll back?", "session_id": str(sid)},
                                 {"human": "elsewhere", "session_id": other},
                                 {"human": "no session"}], [vec(2), vec(3), vec(4)])
        assert s.get(first).session_id == sid
        got = s.session_memories(sid)
        assert {m.id for m in got} == {first, batch[0]}
        page = s.session_memories(sid, 1)
        assert s.session_memories(sid, 1, after=(page[0].created_at, page[0].id))[0].id != \
            page[0].id
        assert [m.id for m in s.session_memories(other)] == [batch[1]]


def test_a_memory_names_only_a_session_it_can_see(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        private = s.start_session()
    with pytest.raises(cogdb.NotFound) as info, client.scope(tenants.a, tenants.a2) as s:
        s.remember("a2 note", "", vec(1), session_id=private)
    assert info.value.field == "session_id"
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
        s.remember_many([{"human": "x", "session_id": "not-a-uuid"}], [vec(1)])
    assert info.value.field == "session_id"
    with pytest.raises(cogdb.NotFound) as info, client.scope(tenants.a, tenants.a1) as s:
        s.remember("x", "", vec(1), session_id=uuid.uuid4())  # a missing one: the same
    assert info.value.field == "session_id"


def test_the_sessions_where_something_came_up(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        deploy, billing, mixed = (s.start_session() for _ in range(3))
        s.remember("deploy to production", "", vec(1), session_id=deploy)
        s.remember("deploy again", "", vec(1, second=2), session_id=deploy)
        s.remember("invoice totals", "", vec(5), session_id=billing)
        s.remember("deploy, then invoice", "", vec(1, second=5), session_id=mixed)
        s.remember("deploy outside any session", "", vec(1))
        hits = s.search_sessions(vec(1), k=10)
    assert [h.session_id for h in hits] == [deploy, mixed, billing]
    assert hits[0].similarity == pytest.approx(1.0) and hits[0].matches == 2
    assert hits[0].plan == "exact"
    with client.scope(tenants.a, tenants.a1) as s:
        assert [h.session_id for h in s.search_sessions(vec(1), k=1)] == [deploy]
        text_hits = s.search_sessions("deploy to production", k=3)
    assert text_hits and all(isinstance(h.session_id, uuid.UUID) for h in text_hits)


def test_deleting_a_user_keeps_their_sessions_and_events_out_of_sight(admin, client, tenants,
                                                                        db):
    with client.scope(tenants.a, tenants.a2) as s:
        private = s.start_session()
        s.append_event(private, "user_message", {"text": "a2's"})
        team = s.start_session(visibility="tenant")
        s.append_event(team, "note")
    assert admin.delete_user(tenants.a, tenants.a2)
    assert db.super.execute("SELECT count(*) FROM cogdb.events WHERE session_id IN (%s, %s)",
                            (private, team)).fetchone() == (2,)
    with client.scope(tenants.a, tenants.a1) as s:
        assert s.get_session(private) is None and s.list_events(private) == []
        assert s.get_session(team).event_count == 1
