"""cogdb: tenant-isolated long-term memory for AI assistants, inside PostgreSQL.

    import cogdb
    client = cogdb.connect()              # COGDB_DATABASE_URL, else the embedded server
    admin = cogdb.connect_admin()         # COGDB_ADMIN_URL, else the embedded superuser
    acme = admin.create_tenant("Acme", mode="enterprise")
    ann = admin.create_user(acme.id, email="ann@acme.example")
    with client.scope(tenant=acme.id, user=ann.id) as s:
        mid = s.remember(human="…", assistant="…")
        hits = s.search("…", k=10)

    aclient = await cogdb.connect_async()  # the same methods, awaitable
    async with aclient.scope(tenant=acme.id, user=ann.id) as s:
        hits = await s.search("…", k=10)
"""
from .api.async_client import AsyncClient, AsyncScope, connect_async
from .api.audit import AuditClient, AuditRecord, ChainStatus, Seal
from .api.client import Client, Scope, connect, connect_admin, connect_auditor
from .api.federated import Average, Bucket, FederatedSession, PrivacyBudget
from .api.knowledge import (
    Entity,
    EntityRelation,
    EntitySummary,
    EntityUpsert,
    HybridHit,
    MergeResult,
    Neighbor,
    Recorded,
    Relationship,
    RelationshipType,
)
from .api.memories import Memory
from .api.provisioning import AdminClient, Tenant, User
from .api.search import SearchHit
from .api.sessions import Event, Offloaded, Session, WorkingEntry
from .db.errors import (
    AppendOnly,
    CogdbError,
    Conflict,
    FeatureDisabled,
    InvalidInput,
    IsolationViolation,
    LegalHold,
    MigrationIncomplete,
    NotFound,
    NotMigrated,
    PoolExhausted,
    PrivacyBudgetExhausted,
    ScopeRequired,
    ServerUnavailable,
    StaleVersion,
    UnknownModel,
    UnsafeRole,
)
from .embedders import Embedder, HashEmbedder

__version__ = "0.1.0"

__all__ = [
    "AdminClient", "AppendOnly", "AsyncClient", "AsyncScope", "AuditClient", "AuditRecord",
    "Average", "Bucket", "ChainStatus", "Client", "CogdbError", "Conflict", "Embedder",
    "Entity", "EntityRelation", "EntitySummary", "EntityUpsert", "Event", "FeatureDisabled",
    "FederatedSession", "HashEmbedder", "HybridHit", "InvalidInput", "IsolationViolation",
    "LegalHold", "Memory", "MergeResult", "MigrationIncomplete",
    "Neighbor", "NotFound", "NotMigrated", "Offloaded",
    "PoolExhausted", "PrivacyBudget", "PrivacyBudgetExhausted", "Recorded", "Relationship",
    "RelationshipType", "Scope", "ScopeRequired", "Seal", "SearchHit", "ServerUnavailable",
    "Session", "StaleVersion", "Tenant", "UnknownModel", "UnsafeRole", "User", "WorkingEntry",
    "connect", "connect_admin", "connect_async", "connect_auditor",
]
