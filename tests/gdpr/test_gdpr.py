"""GDPR (revision 0017): export, erase and anonymise a user, the verification that nothing
but the audit trail names an erased user, legal holds, and the receipts in the audit trail.
Data is written as the app login (RLS applies); the GDPR functions run as the admin login;
what is stored is checked with the superuser connection."""
from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import pytest
from helpers import cli, one_error, vec

import cogdb
from cogdb.db.errors import LegalHold, NotFound

SECRET = "SECRET-a1-7f3e"  # every piece of a1's content carries it; none may survive erase


@pytest.fixture
def world(db, admin, client, tenants):
    """a1 of tenant A has one of everything: private and tenant memories, an offloaded text,
    private and tenant entities with observations, relationships, a private and a tenant
    session with events, an event in a2's tenant session, working-context entries, an
    identity and an access log row. a2 has a memory in a1's tenant session, an event whose
    parent is a1's, and content of their own (which must stay)."""
    a, a1, a2 = tenants.a, tenants.a1, tenants.a2
    ident = admin.create_user(a, email=f"id-{uuid.uuid4().hex[:6]}@a.example",
                              auth_provider="oidc", external_id=f"ext-{SECRET}")
    w = SimpleNamespace(a=a, a1=a1, a2=a2, ident=ident.id)
    with client.scope(a, a1) as s:
        w.private = s.remember(f"private {SECRET}", "yes", vec(1), private=True)
        w.shared = s.remember(f"shared {SECRET}", "ok", vec(2), tags=[SECRET])
        w.offload = s.offload_context(f"long text {SECRET} " * 20, vec(3), summary=SECRET)
        s.upsert_entity(f"Private {SECRET}", visibility="private", observations=[SECRET])
        s.upsert_entity("Shared thing", observations=[f"seen by {SECRET}"])
        s.relate("Shared thing", f"memory:{w.shared}")
        w.psession = s.start_session(metadata={"who": SECRET})
        e1 = s.append_event(w.psession, "msg", {"text": SECRET})
        s.append_event(w.psession, "msg", {"text": SECRET}, parent=e1.id)
        w.tsession = s.start_session(visibility="tenant")
        w.tevent = s.append_event(w.tsession, "msg", {"text": SECRET}).id
        s.set_working_entry("mine", {"v": SECRET}, 0, tier="private")
        s.set_working_entry("ours", {"v": SECRET}, 0)
        s.record_access([w.shared])
    with client.scope(a, a2) as s:
        w.a2_memory = s.remember("a2 in a1's session", "", vec(4), session_id=w.tsession)
        w.a2_session = s.start_session(visibility="tenant")
        s.append_event(w.a2_session, "reply", {"text": "a2's"}, parent=w.tevent)
        w.a2_own = s.remember("a2's own memory", "", vec(5), private=True)
    with client.scope(a, a1) as s:  # a1 writes into a2's session too
        s.append_event(w.a2_session, "msg", {"text": SECRET})
    with client.scope(a, ident.id) as s:
        s.remember("identity user's", "", vec(6))
    return w


def stored_rows(db, tenant) -> dict[str, int]:
    tables = ["memories", "entities", "entity_observations", "relationships", "sessions",
              "events", "working_context", "offloaded_contexts", "users"]
    return {t: db.super.execute(f"SELECT count(*) FROM cogdb.{t} WHERE tenant_id = %s",
                                (tenant,)).fetchone()[0] for t in tables}


def references(admin, tenant, user) -> dict[tuple[str, str], int]:
    return {(r["table_name"], r["column_name"]): r["refs"]
            for r in admin.user_references(tenant, user) if not r["kept"]}


def secret_anywhere(db, tables) -> list[str]:
    """Tables whose text (any column, as JSON) contains SECRET."""
    return [t for t in tables if db.super.execute(
        f"SELECT count(*) FROM cogdb.{t} x WHERE to_jsonb(x)::text LIKE %s",
        (f"%{SECRET}%",)).fetchone()[0]]


def test_export_holds_everything_about_the_user(db, admin, world):
    out = admin.export_user(world.a, world.a1)
    json.dumps(out)  # readable JSON all the way down
    m = out["manifest"]
    assert m["users"] == 1 and m["identities"] == 0
    assert {x["id"] for x in out["memories"]} == {world.private, world.shared, world.offload}
    assert all("embedding" not in x for x in out["memories"])
    assert {x["human_content"] for x in out["memories"]} >= {f"private {SECRET}",
                                                             f"shared {SECRET}"}
    assert m["entities"] == 2 and m["entity_observations"] == 2 and m["relationships"] == 1
    assert {x["id"] for x in out["sessions"]} == {str(world.psession), str(world.tsession)}
    # events: the two sessions' three, and the one a1 appended to a2's session
    assert m["events"] == 4 and m["working_context"] == 2 and m["offloaded_contexts"] == 1
    assert m["memory_accesses"] == 1
    assert m["audit_records"] > 0
    assert all(r["context_user"] == str(world.a1) or r["table_name"] == "users"
               for r in out["audit_records"])
    assert m == {k: len(out[k]) for k in m}
    # the identity user's export has its identity; another tenant's user is not found there
    assert admin.export_user(world.a, world.ident)["manifest"]["identities"] == 1
    assert admin.export_user(world.a, uuid.uuid4())["manifest"]["users"] == 0


def test_export_round_trip_content_matches(db, admin, world):
    out = admin.export_user(world.a, world.a1)
    for mem in out["memories"]:
        row = db.super.execute("SELECT human_content, assistant_content, tags FROM cogdb.memories"
                               " WHERE tenant_id = %s AND id = %s",
                               (world.a, mem["id"])).fetchone()
        assert row == (mem["human_content"], mem["assistant_content"], mem["tags"])
    events = db.super.execute("SELECT id::text, payload FROM cogdb.events WHERE tenant_id = %s"
                              " AND (session_id = ANY(%s) OR appended_by = %s)",
                              (world.a, [world.psession, world.tsession], world.a1)).fetchall()
    assert sorted((e["id"], e["payload"]) for e in out["events"]) == sorted(events)


def test_export_cli_writes_a_file(db, world, tmp_path):
    target = tmp_path / "a1.json"
    r = cli(db, "user", "export", "--tenant", str(world.a), "--user", str(world.a1),
            "--output", str(target))
    assert r.exit_code == 0, r.output
    data = json.loads(target.read_text())
    assert data["user_id"] == str(world.a1) and data["manifest"]["memories"] == 3
    assert "memories" in r.output  # the manifest is printed
    r = cli(db, "user", "export", "--tenant", str(world.a), "--user", "nope", "--json")
    assert r.exit_code == 1 and "user" in r.output


def test_erase_leaves_nothing_that_names_the_user(db, admin, world):
    assert sum(references(admin, world.a, world.a1).values()) > 0  # control
    before_a2 = admin.export_user(world.a, world.a2)["manifest"]
    receipt = admin.erase_user(world.a, world.a1)
    assert receipt["found"] is True and receipt["shared_content"] == "anonymise"
    c = receipt["counts"]
    assert c["sessions.deleted"] == 2 and c["events.deleted"] == 3
    assert c["events.disowned"] == 1 and c["identities.deleted"] == 0
    assert c["memories.deleted"] == 1 and c["memories.anonymised"] == 2
    assert c["entities.deleted"] == 1 and c["entities.disowned"] == 1
    assert c["users.deleted"] == 1 and c["working_context.deleted"] == 1
    assert receipt["references_left"] == 0
    assert set(references(admin, world.a, world.a1).values()) == {0}
    # nothing of a1's content is left in any table that held it, nor in the audit trail
    assert secret_anywhere(db, ["memories", "offloaded_contexts", "sessions", "events",
                                "working_context", "audit_records", "audit_pending"]) == [
        "events", "working_context"]
    # ... but a1's event in a2's session and the tenant-shared entry a1 wrote keep their
    # content, without a1's name (docs/governance.md): they are the tenant's shared state
    # the tenant's shared entity stays, with the observation a1 added to it
    assert secret_anywhere(db, ["entities", "entity_observations"]) == ["entity_observations"]
    # a2's data stays: their memory (out of the erased session), their session and events
    after_a2 = admin.export_user(world.a, world.a2)["manifest"]
    assert {k: after_a2[k] for k in ("memories", "sessions", "events")} == {
        k: before_a2[k] for k in ("memories", "sessions", "events")}
    row = db.super.execute("SELECT session_id FROM cogdb.memories WHERE id = %s",
                           (world.a2_memory,)).fetchone()
    assert row == (None,)
    # the audit chain still verifies, and holds the receipt (counts only)
    with cogdb.connect_auditor(db.auditor_url) as auditor:
        assert all(s.ok for s in auditor.verify(world.a))
    note = db.super.execute("SELECT details FROM cogdb.audit_records WHERE tenant_id = %s"
                            " AND action = 'gdpr.erase'", (world.a,)).fetchall()
    assert [n[0]["counts"] for n in note] == [c]


def test_erase_twice_is_harmless(db, admin, world):
    admin.erase_user(world.a, world.a1)
    rows = stored_rows(db, world.a)
    again = admin.erase_user(world.a, world.a1)
    assert again["found"] is False and set(again["counts"].values()) == {0}
    assert stored_rows(db, world.a) == rows


def test_erase_policy_delete_removes_shared_content(db, admin, world):
    admin.set_tenant_setting(world.a, "gdpr.erase_shared", "delete")
    receipt = admin.erase_user(world.a, world.a1)
    assert receipt["shared_content"] == "delete"
    assert receipt["counts"]["memories.deleted"] == 3
    assert receipt["counts"]["memories.anonymised"] == 0
    assert secret_anywhere(db, ["memories", "offloaded_contexts", "entities",
                                "entity_observations"]) == []
    with pytest.raises(cogdb.InvalidInput) as info:
        admin.set_tenant_setting(world.a, "gdpr.erase_shared", "shred")
    assert info.value.field == "value"


def test_a_failure_halfway_changes_nothing(db, admin, world):
    rows = stored_rows(db, world.a)
    # make the last step fail: a trigger refusing the users row's deletion
    db.super.execute("""
        CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected failure'; END $$;
        CREATE TRIGGER zz_fail BEFORE DELETE ON cogdb.users
            FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse();""")
    with pytest.raises(cogdb.CogdbError, match="injected failure"):
        admin.erase_user(world.a, world.a1)
    db.super.execute("DROP TRIGGER zz_fail ON cogdb.users")
    assert stored_rows(db, world.a) == rows
    assert secret_anywhere(db, ["memories"]) == ["memories"]
    assert db.super.execute("SELECT count(*) FROM cogdb.audit_records WHERE tenant_id = %s"
                            " AND action = 'gdpr.erase'", (world.a,)).fetchone() == (0,)


def test_anonymise_keeps_rows_and_removes_what_identifies(db, admin, world):
    rows = stored_rows(db, world.a)
    receipt = admin.anonymise_user(world.a, world.ident)
    assert receipt["counts"]["identities.deleted"] == 1
    receipt = admin.anonymise_user(world.a, world.a1)
    assert receipt["counts"]["memories.anonymised"] == 3
    assert stored_rows(db, world.a) == rows
    assert secret_anywhere(db, ["memories", "offloaded_contexts", "identities"]) == []
    for uid in (world.a1, world.ident):
        email = db.super.execute("SELECT email FROM cogdb.users WHERE id = %s",
                                 (uid,)).fetchone()[0]
        assert email.endswith("@anonymised.invalid") and str(uid) not in email
    assert db.super.execute("SELECT count(*) FROM cogdb.identities WHERE user_id = %s",
                            (world.ident,)).fetchone() == (0,)
    again = admin.anonymise_user(world.a, world.a1)
    assert set(again["counts"].values()) == {0}
    with pytest.raises(NotFound):
        admin.anonymise_user(world.a, uuid.uuid4())


def test_legal_holds_refuse_erase_and_anonymise(db, admin, world):
    admin.place_hold(world.a, user=world.a1, reason="case 42")
    rows = stored_rows(db, world.a)
    for call in (admin.erase_user, admin.anonymise_user):
        with pytest.raises(LegalHold, match="case 42") as info:
            call(world.a, world.a1)
        assert info.value.sqlstate == "CGF02" and "release" in info.value.hint
    assert stored_rows(db, world.a) == rows
    admin.erase_user(world.a, world.a2)  # control: another user of the tenant may go
    admin.release_hold(world.a, user=world.a1)
    admin.place_hold(world.a, reason="the whole tenant")
    with pytest.raises(LegalHold, match="whole tenant"):
        admin.erase_user(world.a, world.a1)
    admin.release_hold(world.a)
    assert admin.erase_user(world.a, world.a1)["found"] is True  # released: it goes


def test_erase_cli(db, world):
    r = cli(db, "tenant", "set", str(world.a), "gdpr.erase_shared=delete")
    assert r.exit_code == 0 and '"erase_shared": "delete"' in r.output, r.output
    r = cli(db, "user", "erase", "--tenant", str(world.a), "--user", str(world.a2))
    assert r.exit_code == 0 and "erased user" in r.output and "(shared content: delete)" in r.output
    r = cli(db, "user", "erase", "--tenant", str(world.a), "--user", str(world.a1), "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["counts"]["users.deleted"] == 1
    r = cli(db, "user", "references", "--tenant", str(world.a), "--user", str(world.a1))
    assert r.exit_code == 0 and "0 rows outside the audit trail" in r.output
    r = cli(db, "user", "anonymise", "--tenant", str(world.a), "--user", str(world.a1))
    one_error(r, "no user")


def test_purge_leaves_a_receipt(db, admin, world):
    admin.set_retention(world.a, max_count=1, action="anonymise")
    admin.purge(world.a)
    notes = db.super.execute("SELECT details FROM cogdb.audit_records WHERE tenant_id = %s"
                             " AND action = 'retention.purge'", (world.a,)).fetchall()
    assert len(notes) == 1 and notes[0][0]["anonymised"] > 0 and notes[0][0]["deleted"] == 0
    admin.purge(world.a)  # nothing due: no second receipt
    assert db.super.execute("SELECT count(*) FROM cogdb.audit_records WHERE tenant_id = %s"
                            " AND action = 'retention.purge'", (world.a,)).fetchone() == (1,)
    assert secret_anywhere(db, ["audit_records"]) == []


def test_every_user_column_is_covered(db):
    """A new table with a user column must be handled by export_user and erase_user (and
    listed here): the catalog's user columns are exactly these."""
    covered = {
        ("audit_pending", "context_user"), ("audit_records", "context_user"),
        ("entities", "owner_user_id"), ("events", "appended_by"),
        ("events", "owner_user_id"), ("identities", "user_id"),
        ("memories", "owner_user_id"), ("memory_accesses", "owner_user_id"),
        ("offloaded_contexts", "owner_user_id"), ("relationships", "owner_user_id"),
        ("retention_holds", "user_id"), ("sessions", "owner_user_id"),
        ("text_index", "owner_user_id"), ("text_queue", "owner_user_id"), ("users", "id"),
        ("working_context", "owner_user_id"), ("working_context", "updated_by"),
    }
    found = {(t, c) for t, c, _ in db.super.execute("SELECT * FROM cogdb.user_columns()")}
    assert found == covered
    # and the rule finds a new one
    db.super.execute("CREATE TABLE cogdb.zz_new (tenant_id uuid, reviewer_user_id uuid)")
    found = {(t, c) for t, c, _ in db.super.execute("SELECT * FROM cogdb.user_columns()")}
    assert ("zz_new", "reviewer_user_id") in found
    db.super.execute("DROP TABLE cogdb.zz_new")
