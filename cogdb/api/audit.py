"""The audit trail, for the auditor: verify the chains, read a tenant's records, seal the
chain heads (cogdb.audit_verify, cogdb.audit_log, cogdb.audit_seal). A member of
cogdb_auditor reads audit records and nothing else: no memory content."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from ..db.errors import InvalidInput, translated
from ..db.pool import connect_timeout
from ..db.scope import Query, fetch_rows
from ..db.values import as_uuid


@dataclass(frozen=True)
class ChainStatus:
    """One tenant's chain as cogdb.audit_verify found it."""

    tenant_id: uuid.UUID
    records: int
    head_seq: int
    sealed_seq: int | None
    seals: int
    head_hash: str | None
    ok: bool
    broken_seq: int | None
    problem: str | None


@dataclass(frozen=True)
class AuditRecord:
    """One audit record: never content, only keys, column names and hashes."""

    seq: int
    recorded_at: datetime
    login: str
    context_user: uuid.UUID | None
    operation: str
    table_name: str | None
    action: str | None
    row_count: int
    row_keys: list[str] | None
    changed_columns: list[str] | None
    content_hash: str | None
    details: dict[str, Any] | None
    hash: str


@dataclass(frozen=True)
class Seal:
    tenant_id: uuid.UUID
    seq: int
    head_hash: str
    sealed: bool


class AuditClient:
    """The audit functions, on a login that is a member of cogdb_auditor (or the embedded
    superuser). Each call is its own transaction."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        with translated():
            self.connection = psycopg.connect(conninfo, autocommit=True,
                                              **connect_timeout(conninfo))

    def _rows(self, query: Query, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return fetch_rows(self.connection, query, params)

    def verify(self, tenant: uuid.UUID | str | None = None) -> list[ChainStatus]:
        """Check the chain of ``tenant`` (default: every tenant): sequence, hashes, chain
        head and seals. Each status names the first broken record and why."""
        tenant_s = None if tenant is None else as_uuid(tenant, "tenant")
        return [ChainStatus(**r) for r in self._rows(
            "SELECT * FROM cogdb.audit_verify(%s::uuid)", (tenant_s,))]

    def log(self, tenant: uuid.UUID | str, *, since: datetime | None = None,
            after_seq: int = 0, limit: int = 1000) -> list[AuditRecord]:
        """``tenant``'s audit records, oldest first: from ``since`` on, after ``after_seq``
        (to page), at most ``limit``."""
        if tenant is None:
            raise InvalidInput("tenant is required", field="tenant",
                               hint="Pass the tenant whose audit records to list.")
        return [AuditRecord(**r) for r in self._rows(
            "SELECT * FROM cogdb.audit_log(%s::uuid, %s::timestamptz, %s::bigint, %s::integer)",
            (as_uuid(tenant, "tenant"), since, after_seq, limit))]

    def seal(self, tenant: uuid.UUID | str | None = None) -> list[Seal]:
        """Seal the chain head of ``tenant`` (default: every tenant with records)."""
        tenant_s = None if tenant is None else as_uuid(tenant, "tenant")
        return [Seal(**r) for r in self._rows(
            "SELECT * FROM cogdb.audit_seal(%s::uuid)", (tenant_s,))]

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> AuditClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
