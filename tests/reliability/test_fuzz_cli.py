"""Hostile input through the CLI and the importers: every command ends in one of the README's
exit codes, never a traceback; an error is one ``error:`` line and one ``hint:`` line (with
``--json``, one JSON object holding ``error``); a refusal changes no row; a broken node store
or chat export is a report, not a crash.

The commands come from the click tree (a new command is fuzzed without editing this file),
except those that manage a server, run a long job or serve stdio (``SKIPPED``). Each option
gets a value drawn for its type: odd Unicode, NUL, lone surrogates, huge and empty text,
malformed and real ids, extreme numbers, bogus choices and dates, paths that do not exist,
are folders or hold garbage. COGDB_FUZZ_CLI_EXAMPLES sets the number of examples (each
example runs one command; the default keeps the suite fast: ``python -m bench fuzz`` covers
the SQL functions at length).
"""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import click
import numpy as np
import pytest
from fuzz_harness import fingerprint
from helpers import cli, count
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cogdb.cli import main

EXAMPLES = int(os.environ.get("COGDB_FUZZ_CLI_EXAMPLES", "40"))
IMPORT_EXAMPLES = int(os.environ.get("COGDB_FUZZ_IMPORT_EXAMPLES", "15"))
#: Commands left out, and why: they manage the embedded server or the schema of the database
#: the test runs in, serve stdio until killed, or run the whole maintenance job; the import
#: commands are fuzzed below with broken files instead of broken options.
SKIPPED = {"db", "migrate", "quickstart", "bench", "mcp", "maintain", "import"}
EXIT_CODES = {0, 1, 2, 4, 5}
_SETTINGS = dict(deadline=None, derandomize=False,
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.large_base_example])


def _commands() -> list[tuple[tuple[str, ...], click.Command]]:
    found = []

    def walk(cmd: click.Command, path: tuple[str, ...]) -> None:
        if path and path[0] in SKIPPED:
            return
        if isinstance(cmd, click.Group):
            for name, sub in sorted(cmd.commands.items()):
                walk(sub, (*path, name))
        else:
            found.append((path, cmd))

    walk(main, ())
    return found


COMMANDS = _commands()


def _hostile_text(ids: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=40),
        st.sampled_from(["", " ", "\x00", "a\x00b", "\ud800", "\u202etxt", "e\u0301",
                         "\U0001f600" * 3, "{", "[1,2", "null", "{}", "[]", '{"$gt": 1}',
                         "-1", "0", "9" * 40, "1e400", "NaN", "x" * 100_001, "../../etc/passwd",
                         "2024-13-45", "infinity", "k=v", "=", "search.ann_min_rows=-5",
                         " 00000000-0000-0000-0000-000000000000 ",
                         "{00000000-0000-0000-0000-000000000000"]),
        st.sampled_from(ids),
    )


def _value(param: click.Parameter, ids: list[str], tmp: Path) -> st.SearchStrategy[str]:
    t = param.type
    if isinstance(t, click.Choice):
        return st.one_of(st.sampled_from(list(t.choices)), _hostile_text(ids))
    if isinstance(t, click.IntRange | click.FloatRange) or t in (click.INT, click.FLOAT):
        return st.one_of(st.integers(-2**70, 2**70).map(str),
                         st.sampled_from(["nan", "inf", "-0", "1.5", "abc", ""]))
    if isinstance(t, click.DateTime):
        return st.sampled_from(["2024-01-01", "2024-01-01T00:00:00", "0001-01-01", "9999-12-31",
                                "2024-02-30", "yesterday", ""])
    if isinstance(t, click.Path) or param.name in ("file_", "file", "output"):
        garbage = tmp / "garbage.bin"
        if not garbage.exists():
            garbage.write_bytes(b"\xff\xfe\x00{" * 100)
        return st.sampled_from([str(tmp / "absent"), str(tmp), str(garbage), "/",
                                str(tmp / "out" / "new")])
    return _hostile_text(ids)


@st.composite
def invocations(draw, ids: list[str], tmp: Path) -> tuple[tuple[str, ...], list[str], bool]:
    path, cmd = draw(st.sampled_from(COMMANDS))
    args = list(path)
    as_json = False
    for param in cmd.params:
        if param.name == "help":
            continue
        if isinstance(param, click.Option) and param.is_flag:
            if draw(st.booleans()):
                args.append(param.opts[0])
                as_json = as_json or param.name == "as_json"
            continue
        if not param.required and not draw(st.booleans()):
            continue
        value = draw(_value(param, ids, tmp))
        if isinstance(param, click.Argument):
            args.append(value)
        else:
            args.extend([param.opts[0], value])
    return path, args, as_json


def check_result(result, args: list[str], as_json: bool) -> None:
    where = f"cogdb {' '.join(a[:40] for a in args)}"
    assert result.exit_code in EXIT_CODES, (where, result.exit_code, result.output[-2000:])
    assert "Traceback" not in result.output, (where, result.output[-2000:])
    if result.exit_code == 1:
        if "no such " in result.output and "error: " not in result.output:
            return  # get/show/forget of an absent id: a line saying so (README: exit codes)
        if as_json:
            body = json.loads(result.stdout)
            if body is None or body == [] or (isinstance(body, dict)
                                              and body.get("deleted") is False):
                return  # nothing found (README: exit codes)
            if args[:1] == ["import"] and body.get("aborted"):
                return  # an aborted import's report (README: import exit codes)
            assert set(body) == {"error"} and body["error"]["message"], (where, result.stdout)
        elif args[:1] == ["import"] and "\naborted: " in result.output:
            return  # an aborted import's report: what was rejected, and why nothing was written
        else:
            lines = result.stderr.splitlines()
            assert sum(ln.startswith("error: ") for ln in lines) == 1, (where, result.stderr)
            assert sum(ln.startswith("hint: ") for ln in lines) == 1, (where, result.stderr)
    if result.exit_code == 2:  # click's usage error
        assert "Error:" in result.stderr, (where, result.stderr)


def test_the_cli_tree_is_fuzzed():
    """Positive control for the walk: the commands people use most are in it."""
    names = {" ".join(p) for p, _ in COMMANDS}
    assert {"remember", "search", "tenant create", "audit log", "retention set"} <= names
    assert not any(n.split()[0] in SKIPPED for n in names)


@settings(max_examples=EXAMPLES, **_SETTINGS)
@given(data=st.data())
def test_every_command_refuses_hostile_options_cleanly(data, db, tenants, tmp_path):
    ids = [str(tenants.a), str(tenants.a1), str(tenants.b), str(uuid.uuid4())]
    path, args, as_json = data.draw(invocations(ids, tmp_path))
    before = fingerprint(db.super)
    result = cli(db, *args, input="")
    check_result(result, args, as_json)
    if result.exit_code in (1, 2):
        assert fingerprint(db.super) == before, f"refused `cogdb {' '.join(path)}` wrote rows"


# --------------------------------------------------------------------------- importers

def _record(i: int) -> dict:
    """A valid record of the seeds' MemoryNode store (every field the importer requires)."""
    return {"id": f"mem_{i:016x}", "conversation_id": f"conv_{i // 4}", "sequence_index": i,
            "human_content": f"question {i}", "assistant_content": f"answer {i}",
            "source": "import", "created_at": "2024-12-01T09:30:00+00:00",
            "intent_type": "question", "complexity": "moderate", "technical_depth": i % 11,
            "emotional_valence": "neutral", "urgency": "low", "conversation_mode": "task",
            "action_required": False, "has_code": False, "has_error": False,
            "tags": ["a", "b"], "cluster_id": -1, "cluster_label": None,
            "cluster_confidence": 0.5, "access_count": 0, "last_accessed": None}


_ODD = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(),
                 st.text(max_size=20), st.sampled_from(["\x00", "\ud800", "x" * 200_000]),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5),
                                                                      st.integers(), max_size=3))


@st.composite
def node_files(draw) -> tuple[bytes, object]:
    """(nodes.json bytes, vectors: an array to save, raw bytes, or None for no file)."""
    n = draw(st.integers(0, 6))
    records = [_record(i) for i in range(n)]
    kind = draw(st.sampled_from(["field", "shape", "truncated", "garbage", "valid"]))
    if kind == "field" and records:
        rec = draw(st.sampled_from(records))
        key = draw(st.sampled_from(["id", "human_content", "created_at", "source", "tags",
                                    "technical_depth", "sequence_index", "cluster_confidence",
                                    "expires_at", "metadata", "visibility"]))
        rec[key] = draw(_ODD)
    if kind == "shape":
        body = json.dumps(draw(st.one_of(_ODD, st.lists(_ODD, max_size=4),
                                         st.just({"nodes": records}))))
    else:
        body = json.dumps(records, ensure_ascii=draw(st.booleans()))
    raw = body.encode("utf-8", "surrogatepass")
    if kind == "truncated" and raw:
        raw = raw[:draw(st.integers(0, len(raw) - 1))]
    if kind == "garbage":
        raw = draw(st.binary(max_size=200))
    vec_kind = draw(st.sampled_from(["ok", "dims", "rows", "nan", "int", "1d", "none", "bytes",
                                     "truncated"]))
    rng = np.random.default_rng(n)
    vecs = rng.standard_normal((n, 384)).astype(np.float32)
    vectors: object = {
        "ok": vecs, "dims": vecs[:, :100], "rows": np.vstack([vecs, vecs[:1]]) if n else
        np.zeros((1, 384), np.float32),
        "nan": np.where(np.arange(384) == 0, np.nan, vecs).astype(np.float32) if n else vecs,
        "int": vecs.astype(np.int64), "1d": vecs.reshape(-1), "none": None,
        "bytes": draw(st.binary(max_size=100)), "truncated": b"\x93NUMPY\x01\x00v\x00"}[vec_kind]
    return raw, vectors


def _write_store(folder: Path, raw: bytes, vectors: object) -> None:
    (folder / "corpus").mkdir(parents=True)
    (folder / "vectors").mkdir(parents=True)
    (folder / "corpus" / "nodes.json").write_bytes(raw)
    target = folder / "vectors" / "nodes.npy"
    if isinstance(vectors, bytes):
        target.write_bytes(vectors)
    elif vectors is not None:
        np.save(target, vectors)


@settings(max_examples=IMPORT_EXAMPLES, **_SETTINGS)
@given(files=node_files(), on_error=st.sampled_from(["abort", "skip"]), as_json=st.booleans())
def test_a_broken_node_store_is_a_report_not_a_traceback(files, on_error, as_json, db, tenants,
                                                        tmp_path_factory):
    folder = tmp_path_factory.mktemp("store")
    _write_store(folder, *files)
    before = count(db, tenants.b)
    args = ["import", "nodes", "--tenant", str(tenants.b), "--data-dir", str(folder),
            "--on-error", on_error, "--reject-file", str(folder / "rejects.jsonl")]
    if as_json:
        args.append("--json")
    result = cli(db, *args)
    check_result(result, args, as_json)
    assert result.exit_code in (0, 1, 4), result.output[-2000:]
    if result.exit_code == 1:
        assert count(db, tenants.b) == before  # an aborted import writes nothing


def test_a_valid_store_imports_positive_control(db, tenants, tmp_path):
    """The generator's "valid" case really imports, so the fuzz above can reach success."""
    records = [_record(i) for i in range(3)]
    _write_store(tmp_path, json.dumps(records).encode(),
                 np.random.default_rng(0).standard_normal((3, 384)).astype(np.float32))
    result = cli(db, "import", "nodes", "--tenant", str(tenants.b), "--data-dir", str(tmp_path),
                 "--reject-file", str(tmp_path / "rejects.jsonl"))
    assert result.exit_code == 0, result.output
    assert count(db, tenants.b) == 3


@settings(max_examples=IMPORT_EXAMPLES, **_SETTINGS)
@given(raw=st.one_of(st.binary(max_size=300),
                     st.recursive(_ODD, lambda c: st.lists(c, max_size=3)
                                  | st.dictionaries(st.sampled_from(
                                      ["mapping", "chat_messages", "title", "message", "content",
                                       "parts", "author", "role", "text", "sender", "uuid",
                                       "create_time", "created_at"]), c, max_size=4),
                                  max_leaves=12).map(
                         lambda v: json.dumps(v).encode("utf-8", "surrogatepass"))),
       provider=st.sampled_from(["chatgpt", "claude"]), as_json=st.booleans())
def test_a_broken_chat_export_is_a_report_not_a_traceback(raw, provider, as_json, db, tenants,
                                                         tmp_path_factory):
    path = tmp_path_factory.mktemp("chat") / "conversations.json"
    path.write_bytes(raw)
    before = count(db, tenants.a)
    args = ["import", "chat", "--tenant", str(tenants.a), "--user", str(tenants.a1),
            "--provider", provider, "--file", str(path)]
    if as_json:
        args.append("--json")
    result = cli(db, *args)
    check_result(result, args, as_json)
    if result.exit_code == 1:
        assert count(db, tenants.a) == before


@pytest.mark.parametrize("as_json", [False, True])
def test_check_result_catches_a_two_line_error(as_json):
    """Positive control for the checker itself: output that breaks the rules is caught."""
    class Fake:
        exit_code = 1
        output = stderr = "error: one\nerror: two\nhint: h\n"
        stdout = "not json"

    with pytest.raises((AssertionError, ValueError)):
        check_result(Fake(), ["x"], as_json)
