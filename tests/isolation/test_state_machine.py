"""Stateful property test: every scope sees exactly the memories the model says it may.

A hypothesis RuleBasedStateMachine remembers (random tenant, user, visibility), forgets (only
an owner forgets an owned memory) and gets memories (its own or anyone's ids, including other
tenants' and invented ones) through the Python client as the app login, and keeps a
plain-Python model of who owns what. After
every step, for each (tenant, user or None) scope it checks that ``SELECT id FROM
cogdb.memories`` and ``search(k=1000)`` return exactly the model's visible set: the tenant's
'tenant' memories plus that user's private ones.

All examples share one database clone, so each example provisions fresh tenants and users.
Budget: max_examples=25, stateful_step_count=15 (about 25 x 15 steps, each followed by a
check of up to 3 tenants x 3 scopes).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

import cogdb

MODEL = "sm-test-8"
DIMS = 8

#: Set by the pytest test below: hypothesis state machines cannot take fixtures.
HOLDER = SimpleNamespace(client=None, admin=None)


@dataclass(frozen=True)
class Stored:
    tenant: uuid.UUID
    owner: uuid.UUID | None
    visibility: str


vectors = st.lists(st.integers(-3, 3), min_size=DIMS, max_size=DIMS).filter(any)


class TenantIsolationMachine(RuleBasedStateMachine):
    @initialize(n_tenants=st.integers(2, 3), users_per_tenant=st.integers(1, 2))
    def provision(self, n_tenants: int, users_per_tenant: int) -> None:
        self.client: cogdb.Client = HOLDER.client
        admin: cogdb.AdminClient = HOLDER.admin
        tag = uuid.uuid4().hex[:10]
        self.users: dict[uuid.UUID, list[uuid.UUID]] = {}
        for t in range(n_tenants):
            tenant = admin.create_tenant(f"sm {tag} {t}", external_id=f"sm-{tag}-{t}",
                                         default_model=MODEL).id
            self.users[tenant] = [
                admin.create_user(tenant, email=f"u{u}-{tag}-{t}@sm.example").id
                for u in range(users_per_tenant)]
        self.tenants = list(self.users)
        self.memories: dict[tuple[uuid.UUID, str], Stored] = {}
        self.ids: list[str] = []  # every id ever handed out (forgotten ones included)

    # --------------------------------------------------------------- helpers

    def scopes(self) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
        return [(t, u) for t in self.tenants for u in [None, *self.users[t]]]

    def visible(self, tenant: uuid.UUID, user: uuid.UUID | None) -> set[str]:
        return {mid for (t, mid), m in self.memories.items()
                if t == tenant and (m.visibility == "tenant" or m.owner == user)}

    def pick_scope(self, data) -> tuple[uuid.UUID, uuid.UUID | None]:
        return data.draw(st.sampled_from(self.scopes()), label="scope")

    # --------------------------------------------------------------- rules

    @rule(data=st.data(), private=st.booleans(), vector=vectors,
          given_id=st.one_of(st.none(), st.sampled_from(["mem_abc123", "imported-1", "x.y:z"])))
    def remember(self, data, private: bool, vector: list[int], given_id: str | None) -> None:
        tenant, user = self.pick_scope(data)
        if user is None:
            private = False  # a private memory needs a user (refusal tested elsewhere)
        fields = {"id": given_id} if given_id else {}
        if given_id and (tenant, given_id) in self.memories:
            try:
                with self.client.scope(tenant, user) as s:
                    s.remember("dup", "dup", np.asarray(vector, dtype=np.float32),
                               private=private, **fields)
            except cogdb.Conflict:
                return
            raise AssertionError(f"id {given_id} was accepted twice in one tenant")
        with self.client.scope(tenant, user) as s:
            mid = s.remember(f"h {len(self.ids)}", "a", np.asarray(vector, dtype=np.float32),
                             private=private, **fields)
        assert given_id is None or mid == given_id
        self.memories[(tenant, mid)] = Stored(tenant, user, "private" if private else "tenant")
        self.ids.append(mid)

    @precondition(lambda self: self.ids)
    @rule(data=st.data())
    def forget(self, data) -> None:
        tenant, user = self.pick_scope(data)
        mid = data.draw(st.sampled_from([*self.ids, "never-made"]), label="id")
        # Only the owner forgets an owned memory; an ownerless one, anyone in the tenant
        # (policy memories__owner_deletes). Anything else looks like a missing id.
        stored = self.memories.get((tenant, mid))
        expected = (mid in self.visible(tenant, user)
                    and stored.owner in (None, user))
        with self.client.scope(tenant, user) as s:
            assert s.forget(mid) is expected, (tenant, user, mid)
        if expected:
            del self.memories[(tenant, mid)]

    @precondition(lambda self: self.ids)
    @rule(data=st.data())
    def get(self, data) -> None:
        tenant, user = self.pick_scope(data)
        mid = data.draw(st.sampled_from([*self.ids, "never-made"]), label="id")
        with self.client.scope(tenant, user) as s:
            got = s.get(mid)
        if mid in self.visible(tenant, user):
            m = self.memories[(tenant, mid)]
            assert got is not None, (tenant, user, mid)
            assert (got.id, got.tenant_id, got.visibility) == (mid, tenant, m.visibility)
            assert got.owner_user_id == m.owner
        else:
            assert got is None, (tenant, user, mid, got)

    # --------------------------------------------------------------- the invariant

    @invariant()
    def each_scope_sees_exactly_its_rows(self) -> None:
        if not hasattr(self, "tenants"):
            return
        for tenant, user in self.scopes():
            expected = self.visible(tenant, user)
            with self.client.scope(tenant, user) as s:
                rows = s.connection.execute("SELECT id FROM cogdb.memories").fetchall()
                hits = s.search(np.ones(DIMS, dtype=np.float32), k=1000)
            listed = [r[0] for r in rows]
            assert len(listed) == len(set(listed))
            assert set(listed) == expected, (tenant, user, set(listed) ^ expected)
            assert {h.id for h in hits} == expected, (tenant, user)
            assert len(hits) == len(expected)


def test_each_scope_sees_exactly_the_model(db):
    admin = cogdb.connect_admin(db.admin_url)
    client = cogdb.connect(db.app_url, pool_size=2)
    try:
        with client.pool.connection() as conn:
            row = conn.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles"
                               " WHERE rolname = current_user").fetchone()
            assert row == (False,), "the app login bypasses RLS: this test would prove nothing"
        admin.register_model(MODEL, DIMS)
        HOLDER.client, HOLDER.admin = client, admin
        run_state_machine_as_test(TenantIsolationMachine, settings=settings(
            max_examples=25, stateful_step_count=15, deadline=None, database=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
    finally:
        HOLDER.client = HOLDER.admin = None
        client.close()
        admin.close()
