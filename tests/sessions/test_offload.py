"""Offloaded contexts: kept whole and compressed by the database, found by the memories'
own search, deleted with their memory, their visibility fixed."""
from __future__ import annotations

import pytest
from helpers import vec
from psycopg.types.json import Jsonb

import cogdb

TRANSCRIPT = "\n".join(
    f"user: step {i}: how do we deploy service {i % 7} to production?\n"
    f"assistant: merge to main, wait for the pipeline, then promote build {i} to prod."
    for i in range(400))


def test_an_offloaded_context_comes_back_whole_with_its_ratio(client, tenants):
    text = TRANSCRIPT + "\nunicode: ünïcødé ✓"
    with client.scope(tenants.a, tenants.a1) as s:
        sid = s.start_session()
        oid = s.offload_context(text, vec(1), summary="deploy runbook chat", session=sid,
                                tags=["ops"], metadata={"turns": 800})
        got = s.get_offloaded(oid)
    assert got.content == text
    assert got.original_bytes == len(text.encode())
    assert got.stored_bytes < got.original_bytes / 3
    assert got.compression_ratio == pytest.approx(got.original_bytes / got.stored_bytes, 0.01)
    assert (got.summary, got.session_id, got.tags, got.metadata, got.visibility) == (
        "deploy runbook chat", sid, ["ops"], {"turns": 800}, "tenant")


def test_it_is_found_by_the_same_search_as_memories(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        oid = s.offload_context(TRANSCRIPT, vec(1), summary="deploy runbook chat")
        s.remember("a plain memory", "", vec(1, second=2))
        hits = s.search_offloaded(vec(1))
        assert [h.id for h in hits] == [oid]
        assert hits[0].summary == "deploy runbook chat" and hits[0].compression_ratio > 3
        plain = s.search(vec(1), k=5)
        assert plain[0].id == oid and plain[0].context_type == "offload"
        assert [h.id for h in s.search(vec(1), context_type="offload")] == [oid]
        # text query: the summary was embedded by the tenant model's embedder
        oid2 = s.offload_context(TRANSCRIPT, summary="quarterly invoice reconciliation")
        assert s.search_offloaded("invoice reconciliation", k=1)[0].id == oid2


def test_without_a_summary_the_memory_shows_the_texts_beginning(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        oid = s.offload_context(TRANSCRIPT, vec(1))
        memory = s.get(oid)
    assert memory.human_content == TRANSCRIPT[:2000] and memory.summary is None


def test_forgetting_the_memory_deletes_the_text(client, tenants, db):
    with client.scope(tenants.a, tenants.a1) as s:
        oid = s.offload_context(TRANSCRIPT, vec(1))
        assert s.forget(oid)
        assert s.get_offloaded(oid) is None
    assert db.super.execute("SELECT count(*) FROM cogdb.offloaded_contexts").fetchone() == (0,)


def test_an_offload_keeps_its_visibility(client, tenants):
    with client.scope(tenants.a, tenants.a1) as s:
        oid = s.offload_context(TRANSCRIPT, vec(1), private=True)
    with client.scope(tenants.a, tenants.a2) as s:
        assert s.get_offloaded(oid) is None and s.search_offloaded(vec(1)) == []
    for change in ("visibility = 'tenant'", "context_type = 'note'"):
        with pytest.raises(cogdb.InvalidInput), client.scope(tenants.a, tenants.a1) as s:
            s.connection.execute(f"UPDATE cogdb.memories SET {change} WHERE id = %s", (oid,))
    with client.scope(tenants.a, tenants.a1) as s:  # control: other fields may change
        s.connection.execute("UPDATE cogdb.memories SET summary = 'renamed' WHERE id = %s",
                             (oid,))
        assert s.get_offloaded(oid).summary == "renamed"


@pytest.mark.parametrize(("content", "fields", "field"), [
    ("", {}, "content"),
    ("x", {"context_type": "note"}, "fields"),
    ("x", {"assistant_content": "y"}, "fields"),
])
def test_bad_offloads_name_their_field(client, tenants, content, fields, field):
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
        s.connection.execute("SELECT cogdb.offload_context(%s, %s::vector, %s::jsonb)",
                             (content, str(vec(1).tolist()), Jsonb(fields)))
    assert info.value.field == field


def test_only_offload_memories_take_a_text(client, tenants):
    with pytest.raises(cogdb.InvalidInput) as info, client.scope(tenants.a, tenants.a1) as s:
        mid = s.remember("plain", "", vec(1))
        s.connection.execute("INSERT INTO cogdb.offloaded_contexts (memory_id, content)"
                             " VALUES (%s, 'x')", (mid,))
    assert info.value.field == "memory_id"
