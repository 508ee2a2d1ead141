"""Prove that the isolation tests can fail: loosen each policy, expect tests/isolation/ to fail.

For every non-trivial policy in schema cogdb (one whose USING is not already ``true``), and
every function whose verdict a fence takes on trust (helpers.FENCE_HELPERS, loosened by
helpers.LOOSENING_EDITS or replaced by one that always says true), a subprocess runs
``tests/isolation/ -x`` (every isolation test file) against this session's server with
COGDB_TEST_MUTATE_POLICY=<policy>: conftest then replaces that policy with USING (true) in
its own template database (COGDB_TEST_DBNAME, unique per run, a copy of this session's
migrated template) and runs first the modules that name the policy's table. The run must
fail with a test failure, not a setup error. As a control, the tests that failed in the
mutated runs run again in the same kind of subprocess without a mutation and must pass, so
each failure above is the mutation's doing and not a broken environment. (The control used
to rerun the whole isolation suite, the longest run of all; the tests that caught something
are the only ones whose failures the assertions below rely on. The whole suite runs
unmutated in the normal session anyway.)

The runs share the running server and go in parallel; each stops at its first failure. A
mutation run collects first only the isolation modules that name the policy or its table
(pytest's start and the collection of every module were most of a run's time); if none of
them fails, it runs the whole isolation suite.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from helpers import CLONE_ENV, FENCE_HELPERS, MUTATE_ENV

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
POLICY_FILES = sorted(p.stem for p in (ROOT / "sql" / "policies").glob("*.sql"))
TIMEOUT = 600
#: Every isolation test lives here, so a mutation run covers them all.
ISOLATION_TESTS = "tests/isolation/"
#: Plugins that the adapters' test packages install (langchain-tests brings LangSmith's, whose
#: import alone is ~2 s of CPU) and that no isolation test uses: left out of each of the ~50
#: mutation runs, which the isolation tests' own collection already makes the bulk of.
#: hypothesis' plugin too (~1.8 s of imports per run): the state machines use hypothesis
#: itself, which works without it, and import it only when their modules are collected.
UNUSED_PLUGINS = [arg for name in ("langsmith_plugin", "benchmark", "recording", "codspeed",
                                   "syrupy", "socket", "hypothesispytest")
                  for arg in ("-p", f"no:{name}")]
# Isolation tests that fail on the unmutated schema because of a known, reported bug. They
# would stop a -x run before any policy-dependent test and make every mutation "caught" for
# the wrong reason, so the subprocess runs (control and mutated alike) leave them out. They
# still run, and fail, in the normal session. Remove an entry once its bug is fixed.
KNOWN_BUGS: list[str] = []

if os.environ.get(MUTATE_ENV):  # this session itself runs on a mutated template
    pytest.skip(f"{MUTATE_ENV} is set: mutation runs are nested only one level deep",
                allow_module_level=True)


@dataclass
class Run:
    policy: str | None
    returncode: int
    output: str
    elapsed: float

    @property
    def summary(self) -> str:
        lines = [ln for ln in self.output.splitlines() if re.search(r"\bin [\d.]+s\b", ln)]
        return lines[-1] if lines else "(no pytest summary line)"

    @property
    def failed_tests(self) -> list[str]:
        return re.findall(r"^FAILED (\S+)", self.output, flags=re.M)

    def describe(self) -> str:
        tail = "\n".join(self.output.splitlines()[-40:])
        return (f"policy={self.policy} rc={self.returncode} in {self.elapsed:.0f}s"
                f" summary={self.summary!r}\n{tail}")


def _naming_modules(policy: str) -> list[str]:
    """The isolation test modules that name the policy or its table: where conftest's order
    looks first, and, collected alone, a run that starts in seconds instead of importing and
    collecting every isolation module (hypothesis' state machines among them)."""
    table = FENCE_HELPERS.get(policy) or policy.split("__", 1)[0]
    return [str(p.relative_to(ROOT)) for p in sorted((ROOT / ISOLATION_TESTS).glob("test_*.py"))
            if table in (text := p.read_text(encoding="utf-8")) or policy in text]


def _run_mutation(server_url: str, template: str, policy: str) -> Run:
    """The isolation tests against the loosened policy: first the modules that name it or its
    table; if none of them fails, every isolation test (so a mutation is caught wherever a
    test catches it, as when every run was the whole suite)."""
    narrow = _naming_modules(policy)
    if narrow:
        run = _run_isolation_tests(server_url, template, policy, narrow)
        if run.returncode != 0:
            return run
    return _run_isolation_tests(server_url, template, policy)


def _run_isolation_tests(server_url: str, template: str, policy: str | None,
                         tests: list[str] | None = None) -> Run:
    env = dict(os.environ)
    env.pop(MUTATE_ENV, None)
    for name in [n for n in env if n.startswith("PYTEST_XDIST_")]:  # a run of its own
        env.pop(name)
    env[CLONE_ENV] = template
    if policy is not None:
        env[MUTATE_ENV] = policy
    env["COGDB_TEST_DATABASE_URL"] = server_url
    env["COGDB_TEST_DBNAME"] = f"cogdb_mut_{policy or 'control'}_{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    deselect = [arg for bug in KNOWN_BUGS for arg in ("--deselect", bug)]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *(tests or [ISOLATION_TESTS]), "-x", "-q",
         "-p", "no:cacheprovider", *UNUSED_PLUGINS, *deselect],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    return Run(policy, proc.returncode, proc.stdout + proc.stderr, time.monotonic() - started)


@pytest.fixture(scope="module")
def policies(pg_server, cogdb_template) -> dict[str, str]:
    """policyname -> USING expression, read from this session's (unmutated) template."""
    url = pg_server.url(cogdb_template.template_dbname)
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT policyname, coalesce(qual, '') FROM pg_policies"
                            " WHERE schemaname = 'cogdb'").fetchall()
    return dict(rows)


@pytest.fixture(scope="module")
def runs(pg_server, cogdb_template, policies) -> dict[str | None, Run]:
    """One isolation run per non-trivial policy, then the unmutated control (key None): the
    tests that failed in those runs, run again without a mutation."""
    targets = sorted(p for p, q in policies.items() if q != "true") + sorted(FENCE_HELPERS)
    url = pg_server.url("postgres")
    template = cogdb_template.template_dbname
    # One more run than cores: each run alternates between pytest and its server backend,
    # so the cores are not busy with one run each.
    workers = min(len(targets), (os.cpu_count() or 2) + 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda p: _run_mutation(url, template, p), targets))
    runs: dict[str | None, Run] = dict(zip(targets, results, strict=True))
    caught = sorted({test for run in results for test in run.failed_tests})
    # Nothing caught: the whole suite is the control (the mutation tests fail anyway).
    runs[None] = _run_isolation_tests(url, template, None, caught or None)
    return runs


def test_every_policy_has_a_file_and_vice_versa(policies):
    assert sorted(policies) == POLICY_FILES


def test_some_policies_are_non_trivial(policies):
    """The mutation runs below must cover the fences, not just the owner-only policies."""
    non_trivial = {p for p, q in policies.items() if q != "true"}
    assert {"memories__tenant_fence", "memories__visible_to_user", "users__tenant_fence",
            "tenants__own_row"} <= non_trivial


def test_unmutated_isolation_run_passes(runs):
    """Every test that caught a mutation passes, in the same kind of run, without it."""
    control = runs[None]
    assert control.returncode == 0, control.describe()
    assert re.search(r"\b\d+ passed\b", control.summary), control.describe()
    assert not re.search(r"\b(failed|errors?)\b", control.summary), control.describe()


#: The helpers policies read once per query, inside a sub-select (InitPlans), or once per
#: probe (rule 3's two exceptions): they return the context, not a verdict on a row
#: (docs/conventions.md rule 3). shared_tenant_floor only narrows a branch of the
#: relationships fence (NULL unless shared rows were asked for), so loosening it lets
#: nothing through that the fence's first condition does not already let through.
CONTEXT_HELPERS = {"current_tenant_id", "current_user_id", "readable_tenants",
                   "retention_cutoffs", "retention_horizon", "context_stamp",
                   "shared_tenant_floor"}


def test_every_function_a_policy_calls_is_a_context_helper_or_mutated(pg_server,
                                                                       cogdb_template):
    """A function that decides whether a fence lets another tenant's row through keeps the
    policy's text unchanged when it is loosened: each is in FENCE_HELPERS, so a run below
    loosens it and expects the isolation tests to fail; the others only read the context."""
    url = pg_server.url(cogdb_template.template_dbname)
    with psycopg.connect(url, autocommit=True) as conn:
        called = {r[0] for r in conn.execute(
            "SELECT DISTINCT m[1] FROM pg_policies p, regexp_matches(coalesce(p.qual, '')"
            " || ' ' || coalesce(p.with_check, ''), 'cogdb\\.(\\w+)\\(', 'g') m"
            " WHERE p.schemaname = 'cogdb'")}
    assert called - CONTEXT_HELPERS == set(FENCE_HELPERS)


def _assert_caught(run: Run) -> None:
    """The run failed because an isolation test failed: exit code 1 means "tests failed";
    a setup error or a crash would prove nothing."""
    assert run.returncode == 1, run.describe()
    assert re.search(r"\b1 failed\b", run.summary), run.describe()
    assert not re.search(r"\berrors?\b", run.summary), run.describe()
    assert len(run.failed_tests) == 1 and run.failed_tests[0].startswith(
        "tests/isolation/"), run.describe()


@pytest.mark.parametrize("helper", sorted(FENCE_HELPERS))
def test_loosened_fence_helper_fails_isolation_tests(runs, helper):
    _assert_caught(runs[helper])


@pytest.mark.parametrize("policy", POLICY_FILES)
def test_loosened_policy_fails_isolation_tests(runs, policies, policy):
    assert policy in policies, f"{policy}.sql has no policy in the database"
    if policies[policy] == "true":
        pytest.skip(f"{policy} is already USING (true): nothing to loosen")
    _assert_caught(runs[policy])
