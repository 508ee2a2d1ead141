"""Fuzz every SQL function the app and admin roles may call, with many examples, and count
the outcomes per function.

    python -m bench fuzz                    # 40 examples x every function: about 2 minutes
    python -m bench fuzz --examples 500     # longer

The same harness as tests/reliability/test_fuzz.py (tests/reliability/fuzz_harness.py: what
is drawn, what is allowed), on an embedded server of its own (``--home``, default
bench/out/home-fuzz), as the app login in tenant A's context and as an admin login, with
10 MB texts among the values. Each example calls every function once. Forbidden outcomes (an
SQLSTATE outside the allowed ones, a lost connection, a refusal that changed rows) are listed
at the end, with the call. Prints and writes bench/out/fuzz.json: per function, calls,
successes and refusals by SQLSTATE.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import psycopg
from pgvector.psycopg import register_vector

from .search_bench import APP_LOGIN, OUT, login_url, start_server

ADMIN_LOGIN = "cogdb_bench_admin"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "reliability"))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench fuzz", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--examples", type=int, default=40)
    ap.add_argument("--huge", type=int, default=10_000_000, help="characters of the huge text")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--home", help="bench server folder (default bench/out/home-fuzz)")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    home = Path(args.home) if args.home else OUT / "home-fuzz"
    from fuzz_harness import Tally, arguments, call, known_ids, load_functions
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st

    from cogdb import AdminClient
    from cogdb.ops.migrate import migrate

    url = start_server(home, print)
    migrate(url, "head")
    with AdminClient(url) as admin:
        admin.ensure_app_login(APP_LOGIN)
        with psycopg.connect(url, autocommit=True) as su:
            su.execute(f"""DO $$ BEGIN CREATE ROLE {ADMIN_LOGIN} LOGIN;
                           EXCEPTION WHEN duplicate_object THEN NULL; END $$""")
            su.execute(f"GRANT cogdb_admin TO {ADMIN_LOGIN}")
        a = admin.create_tenant("fuzz A", mode="enterprise").id
        b = admin.create_tenant("fuzz B").id
        tenants = SimpleNamespace(a=a, b=b, a1=admin.create_user(a, email="a1@fuzz.example").id,
                                  b1=admin.create_user(b, email="b1@fuzz.example").id)
    conns = {}
    for role, login in (("app", APP_LOGIN), ("admin", ADMIN_LOGIN)):
        conns[role] = psycopg.connect(login_url(url, login), autocommit=True)
        register_vector(conns[role])
    su = psycopg.connect(url, autocommit=True)
    functions = load_functions(su)
    pools, context = known_ids(tenants), (str(tenants.a), str(tenants.a1))
    tally = Tally(strict=False)  # record forbidden outcomes and go on

    @seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data):
        for fn in functions:
            call(fn, data.draw(arguments(fn, pools, args.huge), label=fn.name),
                 conns, context, su, tally)

    t0 = time.perf_counter()
    run()
    seconds = time.perf_counter() - t0
    total = Counter()
    per_function = {}
    for name in sorted(tally.calls):
        counts = tally.calls[name]
        total.update(counts)
        per_function[name] = {"calls": sum(counts.values()), "ok": counts.get("ok", 0),
                              "refused": {k: v for k, v in sorted(counts.items()) if k != "ok"}}
        print(f"{name:28} {sum(counts.values()):5} calls  ok {counts.get('ok', 0):5}  "
              + " ".join(f"{k}:{v}" for k, v in sorted(counts.items()) if k != "ok"))
    calls = sum(total.values())
    print(f"{len(functions)} functions, {calls} calls in {seconds:.0f} s; outcomes: "
          + ", ".join(f"{k} {v}" for k, v in total.most_common()))
    print(f"forbidden outcomes: {len(tally.forbidden)}")
    for line in sorted(set(tally.forbidden)):
        print("  " + line[:300])
    report = {"examples": args.examples, "seed": args.seed, "huge": args.huge,
              "functions": len(functions), "calls": calls, "seconds": round(seconds, 1),
              "outcomes": dict(total.most_common()), "per_function": per_function,
              "forbidden": sorted(set(tally.forbidden))}
    (OUT / "fuzz.json").write_text(json.dumps(report, indent=2))
    print(f"wrote {OUT / 'fuzz.json'}")
    for conn in (*conns.values(), su):
        conn.close()


if __name__ == "__main__":
    main()
