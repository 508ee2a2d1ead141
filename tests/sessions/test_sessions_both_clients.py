"""The session, event and working-context calls are scope operations like remember and
search: the same steps run on the sync and the async client (conftest's contract_client)."""
from __future__ import annotations

import pytest

import cogdb


@pytest.fixture
def client(contract_client):
    return contract_client


def test_a_session_with_events_and_working_context_on_both_clients(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        session_id = s.start_session(mode="chat", agent="planner")
        first = s.append_event(session_id, "user_message", {"text": "hi"})
        s.append_event(session_id, "agent.reply", {"text": "hello"}, parent=first.id)
        assert s.set_working_entry("plan", {"step": 1}, 0, session=session_id) == 1
    with client.scope(tenants.a, tenants.a1) as s:
        events = s.list_events(session_id)
        assert [(e.seq, e.event_type) for e in events] == [(1, "user_message"),
                                                         (2, "agent.reply")]
        with pytest.raises(cogdb.StaleVersion):
            s.set_working_entry("plan", {"step": 2}, 0, session=session_id)
    with client.scope(tenants.b, tenants.b1) as s:  # another tenant sees none of it
        assert s.get_session(session_id) is None
