"""Federated insights in a scope: sessions of tenants at isolation_level ``federated`` and
aggregates over them that show a bucket only when at least k distinct tenants contribute,
optionally with Laplace noise charged to every contributor's privacy budget. Each method is
one call of the SQL function of the same name in ``sql/functions/federated/``; the tenant
comes from the scope's context. docs/federated.md says what this protects and what not.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..db.errors import InvalidInput
from ..db.scope import Statement, Steps
from ..db.values import as_uuid
from .operation import operation

#: What federated_counts groups by, and what federated_average averages.
DIMENSIONS = ("tag", "cluster", "intent", "context_type")
SIGNALS = ("technical_depth", "access_count", "cluster_confidence")
#: The least k the database accepts (the deployment's federated.min_k may be higher).
MIN_K = 5


@dataclass(frozen=True)
class FederatedSession:
    """A federated session as ``list_federated_sessions`` shows it to a federated tenant:
    never the opening tenant's id, only whether it was this one (``opened_here``), and how many
    tenants take part now (``participants``). ``joined_at``/``withdrawn_at`` are this tenant's
    (None if it never joined)."""

    id: uuid.UUID
    topic: str
    k: int
    max_buckets: int
    max_per_bucket: int
    opened_at: datetime
    opened_here: bool
    participants: int
    joined_at: datetime | None
    withdrawn_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether this tenant takes part now."""
        return self.joined_at is not None and self.withdrawn_at is None


@dataclass(frozen=True)
class Bucket:
    """One bucket of ``federated_counts``: its label, how many tenants contribute (None when
    noisy: the exact number is not released) and the count (noisy when ``noisy``)."""

    bucket: str
    tenants: int | None
    count: int
    noisy: bool


@dataclass(frozen=True)
class Average:
    """``federated_average``: the mean over contributing tenants of each one's mean signal;
    ``tenants`` is None when noisy."""

    signal: str
    tenants: int | None
    average: float
    noisy: bool


@dataclass(frozen=True)
class PrivacyBudget:
    """The scope tenant's privacy budget (epsilon)."""

    epsilon_total: Decimal
    epsilon_spent: Decimal
    epsilon_left: Decimal


def _epsilon(epsilon: float | Decimal | None) -> str | None:
    """Epsilon as exact decimal text (the database checks its range)."""
    if epsilon is None:
        return None
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float, Decimal)):
        raise InvalidInput("epsilon must be a number", field="epsilon",
                           hint="e.g. epsilon=0.5; omit it for exact counts above k.")
    return str(epsilon)


class FederatedMethods:
    """Mixed into :class:`cogdb.Scope` and :class:`cogdb.AsyncScope`."""

    @operation
    def list_federated_sessions(self) -> Steps[list[FederatedSession]]:
        """Every federated session this (federated) tenant may join or takes part in,
        newest first."""
        rows = yield Statement("SELECT * FROM cogdb.list_federated_sessions()", prepare=True)
        return [FederatedSession(**r) for r in rows]

    @operation
    def open_federated_session(self, topic: str, *, k: int | None = None,
                               max_buckets: int = 10,
                               max_per_bucket: int = 100) -> Steps[FederatedSession]:
        """Open a federated session on ``topic`` (visible to every federated tenant) and join
        it. ``k`` (default the deployment's federated.min_k, never below 5): the least number
        of distinct tenants a bucket needs to be shown. ``max_buckets`` and
        ``max_per_bucket`` bound one tenant's contribution to a noisy histogram."""
        rows = yield Statement(
            "SELECT cogdb.open_federated_session(%s::text, %s::integer, %s::integer,"
            " %s::integer) AS id", (topic, k, max_buckets, max_per_bucket))
        rows = yield Statement("SELECT * FROM cogdb.list_federated_sessions() WHERE id = %s",
                               (rows[0]["id"],))
        return FederatedSession(**rows[0])

    @operation
    def join_federated_session(self, session: uuid.UUID | str) -> Steps[FederatedSession]:
        """Join a federated session (again, after withdrawing)."""
        rows = yield Statement("SELECT * FROM cogdb.join_federated_session(%s::text)",
                               (as_uuid(session, "session_id"),))
        return FederatedSession(**rows[0])

    @operation
    def withdraw_federated_session(self, session: uuid.UUID | str) -> Steps[bool]:
        """Withdraw from a federated session: from the next statement on, this tenant's data
        no longer counts. False if it had withdrawn already."""
        rows = yield Statement("SELECT cogdb.withdraw_federated_session(%s::text) AS w",
                               (as_uuid(session, "session_id"),))
        return bool(rows[0]["w"])

    @operation
    def federated_counts(self, session: uuid.UUID | str, by: str, *,
                         epsilon: float | Decimal | None = None) -> Steps[list[Bucket]]:
        """Counts of the session's memories by ``by`` (tag, cluster, intent, context_type),
        largest first, only for buckets with at least k contributing tenants. With
        ``epsilon``: clipped, Laplace-noised, and charged to every contributor's budget
        (PrivacyBudgetExhausted if one cannot pay; nothing is charged then)."""
        rows = yield Statement(
            "SELECT * FROM cogdb.federated_counts(%s::text, %s::text, %s::numeric)",
            (as_uuid(session, "session_id"), by, _epsilon(epsilon)))
        return [Bucket(**r) for r in rows]

    @operation
    def federated_top_topics(self, session: uuid.UUID | str, n: int = 10, *,
                             epsilon: float | Decimal | None = None) -> Steps[list[Bucket]]:
        """The ``n`` most frequent tags of the session (federated_counts by tag)."""
        rows = yield Statement(
            "SELECT * FROM cogdb.federated_top_topics(%s::text, %s::integer, %s::numeric)",
            (as_uuid(session, "session_id"), n, _epsilon(epsilon)))
        return [Bucket(**r) for r in rows]

    @operation
    def federated_average(self, session: uuid.UUID | str, signal: str, *,
                          epsilon: float | Decimal | None = None) -> Steps[Average | None]:
        """The mean over contributing tenants of each one's mean ``signal``
        (technical_depth, access_count, cluster_confidence); None below k tenants."""
        rows = yield Statement(
            "SELECT * FROM cogdb.federated_average(%s::text, %s::text, %s::numeric)",
            (as_uuid(session, "session_id"), signal, _epsilon(epsilon)))
        return Average(signal=signal, **rows[0]) if rows else None

    @operation
    def privacy_budget(self) -> Steps[PrivacyBudget]:
        """This tenant's privacy budget: epsilon total, spent and left."""
        rows = yield Statement("SELECT * FROM cogdb.privacy_budget()", prepare=True)
        return PrivacyBudget(**rows[0])


def budget_dict(b: Any) -> dict[str, Any]:
    """A budget (PrivacyBudget or the admin's dict) with floats, for JSON and printing."""
    src = b if isinstance(b, dict) else b.__dict__
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in src.items()}
