"""``cogdb entity upsert|get|list|relations|merge|forget|forget-observations``,
``cogdb relate``, ``cogdb relationships``, ``cogdb neighbors``, ``cogdb relation-type
add|list`` and ``cogdb stats``: the knowledge layer, one scope per command, as the app login.

Nodes are references: ``memory:<id>``, ``entity:<id>``, ``name:<name>``,
``key:<system>:<external id>``; any other text is an entity's name.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import click

from ..api.client import Scope, connect
from ..api.knowledge import (
    DEFAULT_DEPTH,
    DEFAULT_ENTITY_PAGE,
    DEFAULT_NEIGHBORS,
    MAX_DEPTH,
    MAX_ENTITY_PAGE,
    MAX_NEIGHBORS,
    Entity,
    Relationship,
)
from ..db.errors import InvalidInput
from .common import cli_errors, emit_json, replica_option, scoped, short


@contextmanager
def _scope(tenant_id: str, user_id: str | None, *, replicas: tuple[str, ...] = (),
           read: bool = False) -> Iterator[Scope]:
    """One scope; ``read``: read-only, on a replica when there is one (cogdb/cli/memory.py)."""
    with cli_errors(), connect(pool_size=1, replicas=list(replicas) or None) as client, \
            client.scope(tenant_id, user_id, read_only=read and bool(client.replicas)) as s:
        yield s


def _json_object(value: str | None, option: str) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{option} is not JSON: {exc.msg}", field=option.lstrip("-"),
                           hint=f"""e.g. {option} '{{"plan": "pro"}}'""") from None
    if not isinstance(parsed, dict):
        raise InvalidInput(f"{option} must be a JSON object", field=option.lstrip("-"),
                           hint=f"""e.g. {option} '{{"plan": "pro"}}'""")
    return parsed


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _print_entity(e: Entity) -> None:
    key = e.external_id if not e.system else f"{e.system}:{e.external_id}"
    for label, value in (("id", e.id), ("key", key), ("name", e.name), ("type", e.entity_type),
                         ("visibility", e.visibility), ("updates", e.update_count),
                         ("first seen", e.first_seen), ("last seen", e.last_seen),
                         ("model", e.model or "-"), ("tenant", e.tenant_id)):
        click.echo(f"{label:<13} {value}")
    click.echo(f"{'data':<13} {json.dumps(e.data, ensure_ascii=False)}")
    if e.aliases:
        click.echo(f"{'aliases':<13} {', '.join(e.aliases)}")
    for i, obs in enumerate(e.observations):
        click.echo(f"{'observations' if i == 0 else '':<13} - {obs}")


def _print_relationships(rows: list[Relationship]) -> None:
    click.echo(f"{'type':<14} {'dir':<4} {'other':<46} {'str':>4}  valid           recorded")
    for r in rows:
        valid = f"{r.valid_from:%Y-%m-%d}..{f'{r.valid_to:%Y-%m-%d}' if r.valid_to else ''}"
        state = " superseded" if r.superseded_at else ""
        click.echo(f"{r.type:<14} {r.edge_direction:<4} {short(r.other, 46):<46} "
                   f"{r.strength:>4.2f}  {valid:<15} {r.recorded_at:%Y-%m-%d %H:%M}{state}")


# --------------------------------------------------------------------------- entity

@click.group("entity")
def entity_group() -> None:
    """Entities: upsert (merging data), get, list, relations, merge, forget."""


@entity_group.command("upsert")
@scoped
@click.argument("key")
@click.option("--system", default="", help="The key's system (e.g. crm); default: keyed by name.")
@click.option("--type", "entity_type", help="e.g. person, customer, project.")
@click.option("--name", help="Display name (default: the key, for name-keyed entities).")
@click.option("--data", help="JSON object merged into the entity's data key by key.")
@click.option("--observation", "observations", multiple=True,
              help="A short fact about the entity; repeat for several (each kept once).")
@click.option("--private", is_flag=True, help="Visible to --user only (default: whole tenant).")
@click.option("--embed", is_flag=True,
              help="Embed the name and observations with the tenant's model (found by meaning).")
def entity_upsert(tenant_id: str, user_id: str | None, as_json: bool, key: str, system: str,
                  entity_type: str | None, name: str | None, data: str | None,
                  observations: tuple[str, ...], private: bool, embed: bool) -> None:
    """Create or update the entity keyed KEY, merging --data into its data key by key."""
    with cli_errors():
        payload = _json_object(data, "--data")
    with _scope(tenant_id, user_id) as s:
        result = s.upsert_entity(key, system=system, type=entity_type, name=name, data=payload,
                                 observations=list(observations) or None,
                                 visibility="private" if private else None, embed=embed)
    if as_json:
        emit_json(result)
    else:
        click.echo(f"{result.id}  {'created' if result.created else 'updated'} "
                   f"(update {result.update_count})")


@entity_group.command("get")
@scoped
@click.argument("ref")
@click.option("--include-shared", is_flag=True,
              help="If this tenant has no such entity, show one another tenant's live grant "
                   "shares (its tenant is shown; the read is audited: runs on the primary).")
@replica_option
def entity_get(tenant_id: str, user_id: str | None, as_json: bool, ref: str,
               include_shared: bool, replicas: tuple[str, ...]) -> None:
    """Show an entity (REF: a name, entity:<id> or key:<system>:<id>)."""
    with _scope(tenant_id, user_id, replicas=replicas, read=not include_shared) as s:
        entity = s.get_entity(ref, include_shared=include_shared)
    if as_json:
        emit_json(entity)
    elif entity is None:
        click.echo("no such entity (or not visible to this scope)")
    else:
        _print_entity(entity)
    if entity is None:
        sys.exit(1)


@entity_group.command("merge")
@scoped
@click.argument("survivor")
@click.argument("other")
def entity_merge(tenant_id: str, user_id: str | None, as_json: bool, survivor: str,
                 other: str) -> None:
    """Merge OTHER into SURVIVOR: observations and relationships move, OTHER's key becomes
    an alias of SURVIVOR."""
    with _scope(tenant_id, user_id) as s:
        result = s.merge_entities(survivor, other)
    if as_json:
        emit_json(result)
    else:
        click.echo(f"merged {result.merged} into {result.id}: {result.observations_moved} "
                   f"observation(s) and {result.relationships_moved} relationship(s) moved, "
                   f"{result.relationships_superseded} superseded")


@entity_group.command("forget")
@scoped
@click.argument("ref")
def entity_forget(tenant_id: str, user_id: str | None, as_json: bool, ref: str) -> None:
    """Delete an entity with its observations, aliases and relationships."""
    with _scope(tenant_id, user_id) as s:
        deleted = s.forget_entity(ref)
    if as_json:
        emit_json({"ref": ref, "deleted": deleted})
    else:
        click.echo("forgotten" if deleted else "no such entity (or not visible to this scope)")
    if not deleted:
        sys.exit(1)


@entity_group.command("list")
@scoped
@click.option("--after", help="Start after this name (the last one of the previous page).")
@click.option("-n", "--limit", type=click.IntRange(1, MAX_ENTITY_PAGE),
              default=DEFAULT_ENTITY_PAGE, show_default=True, help="Page size.")
@click.option("--containing", help="Only entities whose name, type or an observation "
                                   "contains this text (any case).")
@click.option("--include-shared", is_flag=True,
              help="Also list the entities other tenants' live grants share with this one "
                   "(each names its tenant; the read is audited: runs on the primary).")
@click.option("--after-tenant", help="With --include-shared: the tenant of the --after name "
                                     "(a name can repeat across tenants).")
@replica_option
def entity_list(tenant_id: str, user_id: str | None, as_json: bool, after: str | None,
                limit: int, containing: str | None, include_shared: bool,
                after_tenant: str | None, replicas: tuple[str, ...]) -> None:
    """List the name-keyed entities in name order, with type and observations (a page)."""
    with _scope(tenant_id, user_id, replicas=replicas, read=not include_shared) as s:
        rows = s.list_entities(after, limit, containing=containing,
                               include_shared=include_shared, after_tenant=after_tenant)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no entities")
        return
    for e in rows:
        shared = f"  (tenant {e.tenant_id})" if include_shared else ""
        click.echo(f"{e.external_id}  ({e.entity_type}){shared}")
        for obs in e.observations:
            click.echo(f"  - {obs}")
    if len(rows) == limit:
        more = f"--after {json.dumps(rows[-1].external_id, ensure_ascii=False)}"
        if include_shared:
            more += f" --after-tenant {rows[-1].tenant_id} --include-shared"
        click.echo(f"more: {more}")


@entity_group.command("relations")
@scoped
@click.argument("names", nargs=-1, required=True)
def entity_relations(tenant_id: str, user_id: str | None, as_json: bool,
                     names: tuple[str, ...]) -> None:
    """The current relationships between entities that touch the entities NAMES."""
    with _scope(tenant_id, user_id) as s:
        rows = s.entity_relations(list(names))
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no relations")
    for r in rows:
        ends = [x if not system else f"{system}:{x}" for system, x in
                ((r.from_system, r.from_external_id), (r.to_system, r.to_external_id))]
        click.echo(f"{ends[0]} -{r.type}-> {ends[1]}")


@entity_group.command("forget-observations")
@scoped
@click.argument("ref")
@click.argument("observations", nargs=-1, required=True)
def entity_forget_observations(tenant_id: str, user_id: str | None, as_json: bool, ref: str,
                               observations: tuple[str, ...]) -> None:
    """Remove OBSERVATIONS from the entity REF (ones it does not have are ignored)."""
    with _scope(tenant_id, user_id) as s:
        n = s.forget_observations(ref, list(observations))
    if as_json:
        emit_json({"ref": ref, "removed": n})
    else:
        click.echo(f"removed {n} observation(s)")


# --------------------------------------------------------------------------- relationships

@click.command("relate")
@scoped
@click.argument("from_node", metavar="FROM")
@click.argument("rel_type", metavar="TYPE")
@click.argument("to_node", metavar="TO")
@click.option("--strength", type=click.FloatRange(0, 1), help="0-1 (default 1).")
@click.option("--confidence", type=click.FloatRange(0, 1), help="0-1 (default 1).")
@click.option("--metadata", help="JSON object kept with the relationship.")
@click.option("--valid-from", type=click.DateTime(), help="When the fact began (UTC; default now).")
@click.option("--valid-to", type=click.DateTime(), help="When it ended (UTC); ends a current fact.")
@click.option("--private", is_flag=True, help="Visible to --user only.")
def relate(tenant_id: str, user_id: str | None, as_json: bool, from_node: str, rel_type: str,
           to_node: str, strength: float | None, confidence: float | None,
           metadata: str | None, valid_from: datetime | None, valid_to: datetime | None,
           private: bool) -> None:
    """Record that FROM relates to TO with TYPE, e.g. `cogdb relate Bob works_at Acme`.

    Nodes: a name, entity:<id>, key:<system>:<id> or memory:<id>. Types: led_to,
    relates_to, depends_on, produces, belongs_to, and those registered with
    `cogdb relation-type add`. A changed or contradicted fact supersedes the old record.
    """
    with cli_errors():
        meta = _json_object(metadata, "--metadata")
    with _scope(tenant_id, user_id) as s:
        rec = s.relate(from_node, to_node, rel_type, strength=strength, confidence=confidence,
                       metadata=meta, valid_from=_utc(valid_from), valid_to=_utc(valid_to),
                       visibility="private" if private else "tenant")
    if as_json:
        emit_json(rec)
        return
    click.echo(f"{rec.id}  {'recorded' if rec.created else 'already recorded'}")
    for old in rec.superseded:
        click.echo(f"  superseded {old}")


@click.command("relationships")
@scoped
@click.argument("node")
@click.option("--direction", type=click.Choice(["both", "out", "in"]), default="both",
              show_default=True)
@click.option("--type", "types", multiple=True, help="Only this type; repeat for several.")
@click.option("--as-of", type=click.DateTime(), help="The facts valid at this time (UTC).")
@click.option("--known-at", type=click.DateTime(), help="What cogdb knew at this time (UTC).")
@click.option("--history", is_flag=True, help="Every record, superseded ones included.")
@replica_option
def relationships(tenant_id: str, user_id: str | None, as_json: bool, node: str,
                  direction: str, types: tuple[str, ...], as_of: datetime | None,
                  known_at: datetime | None, history: bool, replicas: tuple[str, ...]) -> None:
    """List a node's relationships: the current facts, as of a time, or the history."""
    with _scope(tenant_id, user_id, replicas=replicas, read=True) as s:
        rows = s.relationships(node, direction=direction, types=list(types) or None,
                               as_of=_utc(as_of), known_at=_utc(known_at), history=history)
    if as_json:
        emit_json(rows)
    elif not rows:
        click.echo("no relationships")
    else:
        _print_relationships(rows)


@click.group("relation-type")
def relation_type_group() -> None:
    """Relationship types of a tenant: the five built in and those registered."""


@relation_type_group.command("add")
@scoped
@click.argument("name")
@click.option("--description", help="What the type means.")
@click.option("--exclusive", is_flag=True,
              help="A node holds one current target of this type; a new one supersedes it.")
def relation_type_add(tenant_id: str, user_id: str | None, as_json: bool, name: str,
                      description: str | None, exclusive: bool) -> None:
    """Register a relationship type for the tenant (idempotent)."""
    with _scope(tenant_id, user_id) as s:
        s.register_relationship_type(name, description, exclusive=exclusive)
    if as_json:
        emit_json({"name": name, "exclusive": exclusive, "description": description})
    else:
        click.echo(f"registered {name}{' (exclusive)' if exclusive else ''}")


@relation_type_group.command("list")
@scoped
def relation_type_list(tenant_id: str, user_id: str | None, as_json: bool) -> None:
    """List the tenant's relationship types."""
    with _scope(tenant_id, user_id) as s:
        rows = s.relationship_types()
    if as_json:
        emit_json(rows)
        return
    for t in rows:
        kind = "built in" if t.builtin else ("exclusive" if t.exclusive else "registered")
        click.echo(f"{t.name:<20} {kind:<10} {t.description or ''}".rstrip())


@click.command("neighbors")
@scoped
@click.argument("start")
@click.option("--depth", "max_depth", type=click.IntRange(1, MAX_DEPTH), default=DEFAULT_DEPTH,
              show_default=True, help="How many relationships away.")
@click.option("--type", "types", multiple=True, help="Only this type; repeat for several.")
@click.option("--direction", type=click.Choice(["both", "out", "in"]), default="both",
              show_default=True)
@click.option("--as-of", type=click.DateTime(), help="The graph as valid at this time (UTC).")
@click.option("--known-at", type=click.DateTime(), help="As cogdb knew it at this time (UTC).")
@click.option("-n", "--limit", type=click.IntRange(1, MAX_NEIGHBORS), default=DEFAULT_NEIGHBORS,
              show_default=True, help="At most this many nodes, nearest first.")
@click.option("--include-shared", is_flag=True,
              help="START may be a memory another tenant shares with this one: walk its "
                   "shared memories there.")
@replica_option
def neighbors(tenant_id: str, user_id: str | None, as_json: bool, start: str, max_depth: int,
              types: tuple[str, ...], direction: str, as_of: datetime | None,
              known_at: datetime | None, limit: int, include_shared: bool,
              replicas: tuple[str, ...]) -> None:
    """The nodes reachable from START, breadth first, each once with its depth and path."""
    # a shared walk notes the read in the source's audit chain: the primary, not a replica
    with _scope(tenant_id, user_id, replicas=replicas, read=not include_shared) as s:
        rows = s.neighbors(start, max_depth, types=list(types) or None, direction=direction,
                           as_of=_utc(as_of), known_at=_utc(known_at), limit=limit,
                           include_shared=include_shared)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no neighbors (or START is not visible to this scope)")
        return
    click.echo(f"{'depth':>5}  {'via':<22} {'node':<48} label")
    for n in rows:
        arrow = "->" if n.edge_direction == "out" else "<-"
        shared = f"  (tenant {n.tenant_id})" if include_shared else ""
        click.echo(f"{n.depth:>5}  {arrow} {short(n.type, 19):<19} {short(n.node, 48):<48} "
                   f"{short(n.label, 50)}{shared}")


@click.command("stats")
@scoped
def stats(tenant_id: str, user_id: str | None, as_json: bool) -> None:
    """The tenant's statistics: memories by context type, source and visibility, entities,
    relationships, bytes and last activity (kept by triggers, never counted at read time)."""
    with _scope(tenant_id, user_id) as s:
        doc = s.stats()
    if as_json:
        emit_json(doc)
    else:
        print_stats(doc)


def print_stats(doc: dict[str, Any]) -> None:
    """The lines `cogdb stats` and `cogdb tenant show` print."""
    m = doc["memories"]

    def counts(values: dict[str, int]) -> str:
        return ", ".join(f"{v:,} {k}" for k, v in values.items()) or "-"

    click.echo(f"{'memories':<18} {m['total']:,}")
    click.echo(f"{'  by context':<18} {counts(m['by_context_type'])}")
    click.echo(f"{'  by source':<18} {counts(m['by_source'])}")
    click.echo(f"{'  by visibility':<18} {counts(m['by_visibility'])}")
    click.echo(f"{'  accesses':<18} {m['accesses']:,} (folded by cogdb maintain)")
    click.echo(f"{'entities':<18} {doc['entities']:,} ({doc['observations']:,} observations)")
    r = doc["relationships"]
    click.echo(f"{'relationships':<18} {r['records']:,} records, {r['superseded']:,} superseded")
    click.echo(f"{'bytes':<18} {doc['bytes']:,} (row data, estimated)")
    click.echo(f"{'last activity':<18} {doc['last_activity'] or '-'}")
