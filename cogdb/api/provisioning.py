"""Provisioning: tenants, users, embedding models and logins, through cogdb's definer
functions, as a member of cogdb_admin (or the embedded superuser)."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from .. import config
from ..db.errors import InvalidInput, NotFound, translated
from ..db.pool import connect_timeout
from ..db.scope import Query, fetch_rows, fetch_value
from ..db.values import as_uuid, check_json, check_text
from ..ops import model_migrate
from ..ops.retention import Purged
from ..ops.retention import purge as purge_retention


@dataclass(frozen=True)
class Tenant:
    id: uuid.UUID
    name: str
    mode: str
    external_id: str | None = None


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str


class AdminClient:
    """Provisioning through cogdb's definer functions (needs a member of cogdb_admin, or the
    embedded superuser). Each call is its own transaction."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        with translated():
            self.connection = psycopg.connect(conninfo, autocommit=True,
                                              **connect_timeout(conninfo))

    def _one(self, query: Query, params: Sequence[Any] = ()) -> Any:
        return fetch_value(self.connection, query, params)

    def _rows(self, query: Query, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return fetch_rows(self.connection, query, params)

    def create_tenant(self, name: str, *, mode: str = "personal",
                      external_id: str | None = None, isolation_level: str = "strict",
                      default_model: str | None = None) -> Tenant:
        """Create a tenant (idempotent for the same external_id, name and mode)."""
        for field, value in (("name", name), ("external_id", external_id)):
            check_text(value, field)
        tenant_id = self._one(
            "SELECT cogdb.create_tenant(name => %s::text, mode => %s::text,"
            " external_id => %s::text, isolation_level => %s::text, default_model => %s::text)",
            (name, mode, external_id, isolation_level, default_model))
        return Tenant(tenant_id, name.strip(), mode, external_id)

    def create_user(self, tenant: uuid.UUID | str, *, email: str,
                    auth_provider: str | None = None, external_id: str | None = None) -> User:
        """Create a user in ``tenant`` (idempotent on tenant and email)."""
        tenant_s = as_uuid(tenant, "tenant")
        for field, value in (("email", email), ("auth_provider", auth_provider),
                             ("external_id", external_id)):
            check_text(value, field)
        user_id = self._one(
            "SELECT cogdb.create_user(%s::text, %s::text, %s::text, %s::text)",
            (tenant_s, email, auth_provider, external_id))
        return User(user_id, uuid.UUID(tenant_s), email.strip().lower())

    def delete_user(self, tenant: uuid.UUID | str, user: uuid.UUID | str) -> bool:
        """Delete a user with their private memories; their shared memories stay, ownerless."""
        return bool(self._one("SELECT cogdb.delete_user(%s::text, %s::text)",
                              (as_uuid(tenant, "tenant"), as_uuid(user, "user"))))

    def register_model(self, name: str, dimensions: int, metric: str = "cosine",
                       description: str | None = None, embedder: str | None = None) -> str:
        """Register an embedding model (idempotent for the same definition). ``embedder``
        says what makes its vectors from text: ``hash``, or
        ``sentence-transformers:<model name or folder>``; None when vectors come from
        elsewhere."""
        for field, value in (("name", name), ("description", description),
                             ("embedder", embedder)):
            check_text(value, field)
        return self._one("SELECT cogdb.register_model(%s::text, %s::integer, %s::text,"
                         " %s::text, %s::text)",
                         (name, dimensions, metric, description, embedder))

    def list_models(self) -> list[dict[str, Any]]:
        """The registered embedding models (cogdb.list_models)."""
        return self._rows("SELECT * FROM cogdb.list_models()")

    def migrate_model(self, tenant: uuid.UUID | str, to_model: str, *,
                      batch: int = model_migrate.DEFAULT_BATCH, cut_over: bool = True,
                      embedder: Any = None,
                      echo: Callable[[str], None] | None = None,
                      after_batch: Callable[[int], None] | None = None,
                      settle_batch: int = model_migrate.DEFAULT_SETTLE_BATCH,
                      after_settle: Callable[[int], None] | None = None
                      ) -> model_migrate.Migrated:
        """Re-embed ``tenant``'s memories with ``to_model`` without stopping it, and (with
        ``cut_over``) switch the tenant to it in one transaction (docs/scale-out.md,
        "Re-embedding without downtime"). Resumes the migration in progress when there is one.
        Batches of ``batch`` memories, each one transaction; ``echo`` gets progress lines. A
        tenant with its own partition and ANN index, migrated by a member of cogdb_owner, gets
        the new model's index and one over its new vectors built CONCURRENTLY first; its
        cutover then only flips the default model (its writes wait milliseconds) and the rows
        settle afterwards in transactions of ``settle_batch`` (phase settling; search reads
        both places meanwhile; a killed run resumes settling). Otherwise the new index is
        built inside the cutover's transaction (its searches go on, its writes wait). Raises
        :class:`cogdb.MigrationIncomplete` (CGM01) when the cutover cannot be done yet."""
        check_text(to_model, "to_model")
        return model_migrate.migrate(self.connection, tenant, to_model, batch=batch,
                                     cut_over=cut_over, embedder=embedder, echo=echo,
                                     after_batch=after_batch, settle_batch=settle_batch,
                                     after_settle=after_settle)

    def cleanup_model(self, tenant: uuid.UUID | str, model: str, *, batch: int = 1000,
                      echo: Callable[[str], None] | None = None) -> model_migrate.Cleaned:
        """Delete the vectors of ``model`` that a cutover kept for ``tenant`` (in batches of
        ``batch``, cogdb.cleanup_model_embeddings); the migration becomes phase cleaned."""
        check_text(model, "model")
        return model_migrate.cleanup(self.connection, tenant, model, batch=batch, echo=echo)

    def model_migrations(self, tenant: uuid.UUID | str | None = None) -> list[dict[str, Any]]:
        """The model migrations of ``tenant`` (or every tenant), newest first, with phase,
        keyset position and counts (cogdb.list_model_migrations)."""
        return self._rows("SELECT * FROM cogdb.list_model_migrations(%s::text)",
                          (None if tenant is None else as_uuid(tenant, "tenant"),))

    def distribution_plan(self) -> list[dict[str, Any]]:
        """The Citus plan for this database, read from its catalog
        (cogdb.distribution_plan, docs/scale-out.md): one row per step, in order, with the
        table, its placement (distributed / reference / coordinator), the distribution
        column, the statement to run and a note."""
        return self._rows("SELECT * FROM cogdb.distribution_plan()")

    def add_vocabulary(self, field: str, values: Sequence[str],
                       description: str | None = None) -> list[str]:
        """Add values to an enumerated memory field's vocabulary; returns its values."""
        for value in (field, description, *values):
            check_text(value, "new_values")
        return self._one("SELECT cogdb.add_vocabulary(%s::text, %s::text[], %s::text)",
                         (field, list(values), description))

    def list_vocabulary(self, field: str | None = None) -> list[dict[str, Any]]:
        """The allowed values of the enumerated memory fields (cogdb.list_vocabulary)."""
        check_text(field, "field")
        return self._rows("SELECT * FROM cogdb.list_vocabulary(%s::text)", (field,))

    def resolve_identity(self, auth_provider: str, external_id: str
                         ) -> tuple[uuid.UUID, uuid.UUID] | None:
        """(tenant_id, user_id) of an authenticated identity, or None."""
        rows = self._rows(
            "SELECT tenant_id, user_id FROM cogdb.resolve_identity(%s::text, %s::text)",
            (auth_provider, external_id))
        return (rows[0]["tenant_id"], rows[0]["user_id"]) if rows else None

    def list_tenants(self) -> list[dict[str, Any]]:
        """Every tenant with its stored and effective settings (cogdb.list_tenants)."""
        return self._rows("SELECT * FROM cogdb.list_tenants()")

    def get_tenant(self, tenant: uuid.UUID | str) -> dict[str, Any]:
        """One tenant as list_tenants shows it; NotFound when there is none."""
        tenant_s = as_uuid(tenant, "tenant")
        rows = self._rows("SELECT * FROM cogdb.list_tenants() WHERE id = %s::uuid", (tenant_s,))
        if not rows:
            raise NotFound(f"no tenant with id {tenant_s}", field="tenant_id",
                           hint="List tenants with `cogdb tenant list`.")
        return rows[0]

    def list_users(self, tenant: uuid.UUID | str) -> list[dict[str, Any]]:
        """The users of ``tenant`` with their identities (cogdb.list_users)."""
        return self._rows("SELECT * FROM cogdb.list_users(%s::text)",
                          (as_uuid(tenant, "tenant"),))

    def tenant_stats(self, tenant: uuid.UUID | str) -> dict[str, Any]:
        """One tenant's statistics (cogdb.tenant_stats): memories by context type, source
        and visibility, entities, relationships, bytes and last activity."""
        return self._one("SELECT cogdb.tenant_stats(%s::text)", (as_uuid(tenant, "tenant"),))

    def set_tenant_setting(self, tenant: uuid.UUID | str, key: str, value: Any) -> dict:
        """Set one whitelisted setting (``None`` restores the mode's default); returns the
        tenant's effective settings."""
        return self._one("SELECT cogdb.set_tenant_setting(%s::text, %s::text, %s::jsonb)",
                         (as_uuid(tenant, "tenant"), key,
                          None if value is None else Jsonb(value)))

    @staticmethod
    def set_tenant_setting_sql(tenant: uuid.UUID | str, key: str, value: Any) -> str:
        """The SQL :meth:`set_tenant_setting` runs, with literals, for a DBA to review."""
        check_text(key, "key")
        check_json(value, "value")
        return sql.SQL("SELECT cogdb.set_tenant_setting({}, {}, {});").format(
            sql.Literal(as_uuid(tenant, "tenant")), sql.Literal(key),
            sql.SQL("NULL") if value is None
            else sql.SQL("{}::jsonb").format(sql.Literal(json.dumps(value)))).as_string(None)

    @staticmethod
    def create_tenant_sql(name: str, *, mode: str = "personal", external_id: str | None = None,
                          isolation_level: str = "strict",
                          default_model: str | None = None) -> str:
        """The SQL :meth:`create_tenant` runs, with literals, for a DBA to review."""
        for field, value in (("name", name), ("mode", mode), ("external_id", external_id),
                             ("isolation_level", isolation_level),
                             ("default_model", default_model)):
            check_text(value, field)
        return sql.SQL("SELECT cogdb.create_tenant(name => {}, mode => {}, external_id => {},"
                       " isolation_level => {}, default_model => {});").format(
            *(sql.Literal(v) for v in (name, mode, external_id, isolation_level,
                                       default_model))).as_string(None)

    @staticmethod
    def create_user_sql(tenant: uuid.UUID | str, *, email: str,
                        auth_provider: str | None = None, external_id: str | None = None) -> str:
        """The SQL :meth:`create_user` runs, with literals, for a DBA to review."""
        for field, value in (("email", email), ("auth_provider", auth_provider),
                             ("external_id", external_id)):
            check_text(value, field)
        return sql.SQL("SELECT cogdb.create_user({}, {}, {}, {});").format(
            *(sql.Literal(v) for v in (as_uuid(tenant, "tenant"), email, auth_provider,
                                       external_id))).as_string(None)

    def ensure_app_login(self, name: str, password: str | None = None) -> None:
        """Create (or keep) a LOGIN role that is a member of cogdb_app, with the settings of
        ``config.APP_LOGIN_SETTINGS`` that it lacks (a DBA's own values stay). Needs
        CREATEROLE."""
        exists = self._one("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
        if not exists:
            stmt = sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT").format(
                sql.Identifier(name))
            if password is not None:
                stmt = stmt + sql.SQL(" PASSWORD {}").format(sql.Literal(password))
            with suppress(psycopg.errors.DuplicateObject):
                self.connection.execute(stmt)
        with translated():
            self.connection.execute(
                sql.SQL("GRANT cogdb_app TO {} WITH INHERIT TRUE").format(sql.Identifier(name)))
            have = {row[0].split("=", 1)[0] for row in self.connection.execute(
                "SELECT unnest(s.setconfig) FROM pg_db_role_setting s"
                " JOIN pg_roles r ON r.oid = s.setrole"
                " WHERE r.rolname = %s AND s.setdatabase = 0", (name,))}
            for setting, value in config.APP_LOGIN_SETTINGS.items():
                if setting not in have:
                    self.connection.execute(sql.SQL("ALTER ROLE {} SET {} = {}").format(
                        sql.Identifier(name), sql.Identifier(setting), sql.Literal(value)))

    # ---------------------------------------------------------------- retention

    def set_retention(self, tenant: uuid.UUID | str, *, context_type: str = "*",
                      source: str = "*", max_age: dt.timedelta | str | None = None,
                      max_count: int | None = None, action: str = "delete") -> dict[str, Any]:
        """Set the tenant's retention policy for ``context_type`` and ``source`` (``*`` for
        any): ``max_age`` (a timedelta or a PostgreSQL interval such as ``'90 days'``),
        ``max_count`` (keep the newest N), ``action`` (``delete`` or ``anonymise``). Returns the
        tenant's policies and holds (:meth:`list_retention`)."""
        for field, value in (("context_type", context_type), ("source", source),
                             ("action", action)):
            check_text(value, field)
        if isinstance(max_age, str):
            check_text(max_age, "max_age")
        try:
            return self._one(
                "SELECT cogdb.set_retention_policy(%s::text, %s::text, %s::text,"
                " %s::interval, %s::integer, %s::text)",
                (as_uuid(tenant, "tenant"), context_type, source, max_age, max_count, action))
        except InvalidInput as exc:
            if exc.sqlstate in ("22007", "22008", "22015"):
                raise InvalidInput(f"max_age: {max_age!r} is not an interval", field="max_age",
                                   hint="e.g. '90 days', '12 hours', '1 year'.") from None
            raise

    def drop_retention(self, tenant: uuid.UUID | str, *, context_type: str = "*",
                       source: str = "*") -> bool:
        """Remove the tenant's policy for ``context_type`` and ``source``; True if it had
        one."""
        return bool(self._one("SELECT cogdb.drop_retention_policy(%s::text, %s::text, %s::text)",
                              (as_uuid(tenant, "tenant"), context_type, source)))

    def set_privacy_budget(self, tenant: uuid.UUID | str, epsilon_total: float | str
                           ) -> dict[str, Any]:
        """Set the tenant's federated privacy budget total (epsilon; never below what it has
        spent: spent privacy cannot be given back). Returns ``{"tenant_id", "epsilon_total",
        "epsilon_spent"}``."""
        return self._one("SELECT cogdb.set_privacy_budget(%s::text, %s::numeric)",
                         (as_uuid(tenant, "tenant"), str(epsilon_total)))

    def list_retention(self, tenant: uuid.UUID | str) -> dict[str, Any]:
        """The tenant's retention policies and legal holds: ``{"policies": [...], "holds":
        [...]}``."""
        return self._one("SELECT cogdb.list_retention(%s::text)", (as_uuid(tenant, "tenant"),))

    def place_hold(self, tenant: uuid.UUID | str, *, reason: str,
                   user: uuid.UUID | str | None = None) -> dict[str, Any]:
        """Place a legal hold on the tenant (or on one of its users): the purge then keeps
        everything it holds. Returns the tenant's policies and holds."""
        check_text(reason, "reason")
        return self._one("SELECT cogdb.place_legal_hold(%s::text, %s::text, %s::text)",
                         (as_uuid(tenant, "tenant"),
                          None if user is None else as_uuid(user, "user"), reason))

    def release_hold(self, tenant: uuid.UUID | str, *,
                     user: uuid.UUID | str | None = None) -> bool:
        """Release the legal hold on the tenant (or one of its users); True if there was
        one."""
        return bool(self._one("SELECT cogdb.release_legal_hold(%s::text, %s::text)",
                              (as_uuid(tenant, "tenant"),
                               None if user is None else as_uuid(user, "user"))))

    def purge(self, tenant: uuid.UUID | str | None = None, *, batch: int = 1000,
              echo: Callable[[str], None] | None = None) -> list[Purged]:
        """Run the retention purge of one tenant (or all) in transactions of at most
        ``batch`` memories (cogdb.purge_retention), calling ``echo`` with progress."""
        return purge_retention(self.connection, tenant, batch=batch, echo=echo)

    # ---------------------------------------------------------------- sharing

    def grant_share(self, tenant: uuid.UUID | str, grantee: uuid.UUID | str, *,
                    context_types: Sequence[str] | None = None,
                    tags: Sequence[str] | None = None,
                    memory_ids: Sequence[str] | None = None,
                    expires_at: dt.datetime | None = None,
                    entity_types: Sequence[str] | None = None,
                    entity_ids: Sequence[str] | None = None) -> uuid.UUID:
        """Let ``grantee`` read ``tenant``'s tenant-visible memories that every given
        memory criterion covers (``context_types``; ``tags``: any of them; ``memory_ids``),
        and its tenant-visible entities, with their observations, that every given entity
        criterion covers (``entity_types``: any of them; ``entity_ids``), until
        ``expires_at`` (None: until revoked). Memory criteria choose memories, entity
        criteria entities: a grant naming only one kind shares nothing of the other. Both
        tenants must be at isolation level shared or federated
        (:class:`cogdb.FeatureDisabled` otherwise). Re-asserting a live grant of the same
        scope returns its id and never removes or extends its expiry. Returns the grant's id
        (cogdb.grant_share)."""
        lists = {"context_types": context_types, "tags": tags, "memory_ids": memory_ids}
        entity_lists = {"entity_types": entity_types, "entity_ids": entity_ids}
        for field, values in (lists | entity_lists).items():
            if isinstance(values, str):
                raise InvalidInput(f"{field} must be a list of strings, not one string",
                                   field=field, hint=f"e.g. {field}=[{values!r}]")
            for value in values or ():
                check_text(value, field)
        return self._one(
            "SELECT cogdb.grant_share(%s::text, %s::text, %s::text[], %s::text[], %s::text[],"
            " %s::timestamptz, %s::text[], %s::text[])",
            (as_uuid(tenant, "tenant"), as_uuid(grantee, "grantee"),
             *(None if v is None else list(v) for v in lists.values()), expires_at,
             *(None if v is None else list(v) for v in entity_lists.values())))

    def revoke_share(self, tenant: uuid.UUID | str, grant: uuid.UUID | str) -> bool:
        """Revoke ``tenant``'s grant ``grant``: the grantee's next statement no longer sees
        what it covered. True if it was unrevoked (cogdb.revoke_share)."""
        return bool(self._one("SELECT cogdb.revoke_share(%s::text, %s::text)",
                              (as_uuid(tenant, "tenant"), as_uuid(grant, "grant"))))

    def list_shares(self, tenant: uuid.UUID | str | None = None) -> list[dict[str, Any]]:
        """The tenant's grants, given and received (``direction``), newest first, with
        ``live``; without a tenant, every live grant of the deployment (cogdb.list_shares,
        cogdb.share_report)."""
        if tenant is None:
            return self._rows("SELECT * FROM cogdb.share_report()")
        return self._rows("SELECT * FROM cogdb.list_shares(%s::text)",
                          (as_uuid(tenant, "tenant"),))

    # ---------------------------------------------------------------- GDPR

    def export_user(self, tenant: uuid.UUID | str, user: uuid.UUID | str) -> dict[str, Any]:
        """Everything cogdb holds about ``user`` of ``tenant`` (cogdb.export_user): the users
        row, identities, memories they own, their entities (with observations) and
        relationships, their sessions with events, working context, offloaded texts, memory
        accesses, legal holds, and the audit records about them, with ``manifest`` counting
        each section's rows. The export leaves a note in the audit trail."""
        return self._one("SELECT cogdb.export_user(%s::text, %s::text)",
                         (as_uuid(tenant, "tenant"), as_uuid(user, "user")))

    def erase_user(self, tenant: uuid.UUID | str, user: uuid.UUID | str) -> dict[str, Any]:
        """Erase ``user`` of ``tenant`` in one transaction (cogdb.erase_user) and return the
        receipt it leaves in the audit trail: counts per table, the tenant's
        ``gdpr.erase_shared`` policy applied, ``found`` (False when there was nothing left to
        erase). Raises :class:`cogdb.LegalHold` under a legal hold."""
        return self._one("SELECT cogdb.erase_user(%s::text, %s::text)",
                         (as_uuid(tenant, "tenant"), as_uuid(user, "user")))

    def anonymise_user(self, tenant: uuid.UUID | str, user: uuid.UUID | str) -> dict[str, Any]:
        """Anonymise ``user`` of ``tenant`` (cogdb.anonymise_user): rows are kept, what
        identifies the person is removed; returns the receipt (counts)."""
        return self._one("SELECT cogdb.anonymise_user(%s::text, %s::text)",
                         (as_uuid(tenant, "tenant"), as_uuid(user, "user")))

    def user_references(self, tenant: uuid.UUID | str,
                        user: uuid.UUID | str) -> list[dict[str, Any]]:
        """Rows of ``tenant`` that still name ``user``, per table and column
        (cogdb.user_references); after :meth:`erase_user` every row but the audit trail's
        (``kept``) counts zero."""
        return self._rows("SELECT * FROM cogdb.user_references(%s::text, %s::text)",
                          (as_uuid(tenant, "tenant"), as_uuid(user, "user")))

    def policy_report(self) -> list[dict[str, Any]]:
        """The DBA report (cogdb.policy_report): one dict per finding (finding, object,
        detail, hint); empty when the deployment is as docs/trust-model.md describes it.
        Members of cogdb_admin and cogdb_auditor may run it."""
        return self._rows("SELECT * FROM cogdb.policy_report()")

    def secure_database(self) -> None:
        """Revoke the PUBLIC defaults on the current database (CONNECT, TEMPORARY) and grant
        CONNECT to the cogdb roles only; TEMPORARY to cogdb_app (the import's staging tables)
        and to cogdb_owner, which runs every revision's SQL (revision 0005's downgrade makes a
        temporary helper)."""
        dbname = self._one("SELECT current_database()")
        ident = sql.Identifier(dbname)
        with translated():
            self.connection.execute(
                sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(ident))
            self.connection.execute(sql.SQL(
                "GRANT CONNECT ON DATABASE {} TO cogdb_app, cogdb_admin, cogdb_auditor"
            ).format(ident))
            self.connection.execute(
                sql.SQL("GRANT TEMPORARY ON DATABASE {} TO cogdb_app, cogdb_owner").format(ident))

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
