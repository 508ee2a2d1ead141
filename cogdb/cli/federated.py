"""``cogdb federated open|join|withdraw|list|counts|top|average|budget|set-budget``: federated
insights for tenants at isolation_level federated, one scope per command as the app login
(set-budget: admin, COGDB_ADMIN_URL). docs/federated.md has the trust model."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation

import click

from ..api.client import Scope, connect, connect_admin
from ..api.federated import DIMENSIONS, SIGNALS, Bucket, FederatedSession, budget_dict
from .common import cli_errors, emit_json, json_option, tenant_option


@click.group("federated")
def federated_group() -> None:
    """Federated insights: aggregates over tenants at isolation_level federated, shown only
    when at least k tenants contribute, optionally noisy under a privacy budget."""


@contextmanager
def _scope(tenant_id: str) -> Iterator[Scope]:
    with cli_errors(), connect(pool_size=1) as client, client.scope(tenant_id) as s:
        yield s


def _session_option(fn):
    return click.option("--session", "session_id", required=True,
                        help="Federated session id (UUID; see `cogdb federated list`).")(fn)


class _DecimalType(click.ParamType):
    """A decimal number (click's own types have none; Decimal() alone raises
    InvalidOperation, which click does not turn into a usage error)."""

    name = "decimal"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        if isinstance(value, Decimal):
            return value
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            self.fail(f"{value!r} is not a decimal number", param, ctx)
        if not number.is_finite():
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


DECIMAL = _DecimalType()


def _epsilon_option(fn):
    return click.option("--epsilon", type=DECIMAL,
                        help="Add Laplace noise with this epsilon (0 < e <= 10), charged to "
                             "every contributor's privacy budget. Omit for exact values.")(fn)


def _print_session(s: FederatedSession) -> None:
    state = ("opened here, " if s.opened_here else "") + (
        "taking part" if s.active else "withdrawn" if s.withdrawn_at else "not joined")
    click.echo(f"{s.id}  {s.topic!r}  k={s.k}  participants={s.participants}  ({state})")


def _print_buckets(rows: list[Bucket]) -> None:
    if not rows:
        click.echo("no bucket has enough contributing tenants (k)")
    for b in rows:
        who = f"{b.tenants} tenants" if b.tenants is not None else "noisy"
        click.echo(f"{b.count:>10,}  {b.bucket}  ({who})")


@federated_group.command("open")
@tenant_option
@click.option("--topic", required=True, help="What the session is about (every federated "
                                             "tenant sees it).")
@click.option("--k", type=int, help="Least number of distinct tenants a bucket needs (at "
                                    "least 5; default federated.min_k).")
@click.option("--max-buckets", type=int, default=10, show_default=True,
              help="Buckets one tenant may add to in a noisy histogram.")
@click.option("--max-per-bucket", type=int, default=100, show_default=True,
              help="What one tenant may add to one bucket of a noisy histogram.")
@json_option()
def federated_open(tenant_id: str, topic: str, k: int | None, max_buckets: int,
                   max_per_bucket: int, as_json: bool) -> None:
    """Open a federated session on a topic; the tenant joins it."""
    with _scope(tenant_id) as s:
        session = s.open_federated_session(topic, k=k, max_buckets=max_buckets,
                                           max_per_bucket=max_per_bucket)
    emit_json(session) if as_json else _print_session(session)


@federated_group.command("join")
@tenant_option
@_session_option
@json_option()
def federated_join(tenant_id: str, session_id: str, as_json: bool) -> None:
    """Join a federated session (again, after withdrawing)."""
    with _scope(tenant_id) as s:
        session = s.join_federated_session(session_id)
    emit_json(session) if as_json else _print_session(session)


@federated_group.command("withdraw")
@tenant_option
@_session_option
@json_option()
def federated_withdraw(tenant_id: str, session_id: str, as_json: bool) -> None:
    """Withdraw from a federated session: the tenant's data no longer counts."""
    with _scope(tenant_id) as s:
        withdrawn = s.withdraw_federated_session(session_id)
    if as_json:
        emit_json({"session_id": session_id, "withdrawn": withdrawn})
    else:
        click.echo("withdrawn" if withdrawn else "had withdrawn already")


@federated_group.command("list")
@tenant_option
@json_option()
def federated_list(tenant_id: str, as_json: bool) -> None:
    """The federated sessions the tenant may join or takes part in."""
    with _scope(tenant_id) as s:
        sessions = s.list_federated_sessions()
    if as_json:
        emit_json(sessions)
        return
    if not sessions:
        click.echo("no federated sessions")
    for session in sessions:
        _print_session(session)


@federated_group.command("counts")
@tenant_option
@_session_option
@click.option("--by", "dimension", type=click.Choice(DIMENSIONS), required=True,
              help="What to count by.")
@_epsilon_option
@json_option()
def federated_counts(tenant_id: str, session_id: str, dimension: str,
                     epsilon: Decimal | None, as_json: bool) -> None:
    """Counts of the session's memories by tag, cluster, intent or context type, for the
    buckets with at least k contributing tenants."""
    with _scope(tenant_id) as s:
        rows = s.federated_counts(session_id, dimension, epsilon=epsilon)
    emit_json(rows) if as_json else _print_buckets(rows)


@federated_group.command("top")
@tenant_option
@_session_option
@click.option("--limit", "n", type=int, default=10, show_default=True,
              help="How many topics (1-100).")
@_epsilon_option
@json_option()
def federated_top(tenant_id: str, session_id: str, n: int, epsilon: Decimal | None,
                  as_json: bool) -> None:
    """The session's most frequent tags (with at least k contributing tenants each)."""
    with _scope(tenant_id) as s:
        rows = s.federated_top_topics(session_id, n, epsilon=epsilon)
    emit_json(rows) if as_json else _print_buckets(rows)


@federated_group.command("average")
@tenant_option
@_session_option
@click.option("--signal", type=click.Choice(SIGNALS), required=True,
              help="The numeric signal to average.")
@_epsilon_option
@json_option()
def federated_average(tenant_id: str, session_id: str, signal: str, epsilon: Decimal | None,
                      as_json: bool) -> None:
    """The mean over contributing tenants of each one's mean signal (none below k)."""
    with _scope(tenant_id) as s:
        avg = s.federated_average(session_id, signal, epsilon=epsilon)
    if as_json:
        emit_json(avg)
    elif avg is None:
        click.echo("fewer than k tenants contribute: no average")
    else:
        who = f"{avg.tenants} tenants" if avg.tenants is not None else "noisy"
        click.echo(f"{avg.signal}: {avg.average:.3f} ({who})")


def _print_budget(b: dict) -> None:
    left = b.get("epsilon_left", b["epsilon_total"] - b["epsilon_spent"])
    click.echo(f"epsilon total {b['epsilon_total']:g}, spent {b['epsilon_spent']:g}, "
               f"left {left:g}")


@federated_group.command("budget")
@tenant_option
@json_option()
def federated_budget(tenant_id: str, as_json: bool) -> None:
    """The tenant's privacy budget (epsilon total, spent, left)."""
    with _scope(tenant_id) as s:
        budget = budget_dict(s.privacy_budget())
    emit_json(budget) if as_json else _print_budget(budget)


@federated_group.command("set-budget")
@tenant_option
@click.option("--epsilon", "epsilon_total", type=DECIMAL, required=True,
              help="The tenant's total privacy budget (0-1000; not below what it spent).")
@json_option()
def federated_set_budget(tenant_id: str, epsilon_total: Decimal, as_json: bool) -> None:
    """Set a tenant's privacy budget total (admin)."""
    with cli_errors(), connect_admin() as admin:
        budget = budget_dict(admin.set_privacy_budget(tenant_id, epsilon_total))
    emit_json(budget) if as_json else _print_budget(budget)
