"""Every benchmark `python -m bench` lists imports and has a main: a benchmark is run rarely,
so a name another module renamed would otherwise surface only when someone needs figures."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.__main__ import BENCHMARKS  # noqa: E402


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_benchmark_imports(name):
    module = importlib.import_module(BENCHMARKS[name])
    assert callable(getattr(module, "main", None)), f"{BENCHMARKS[name]} has no main()"
