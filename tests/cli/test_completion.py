"""Shell completion as the README documents it, and the type-hint marker the package ships."""
from __future__ import annotations

import importlib.resources
import os
import subprocess
import sys

import pytest

#: The environment variable click reads; the README's `_COGDB_COMPLETE=bash_source cogdb`.
COMPLETE = "_COGDB_COMPLETE"


def _cogdb(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m cogdb`` (the same program name as the console script) with ``env``."""
    return subprocess.run([sys.executable, "-m", "cogdb"], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


@pytest.mark.slow
@pytest.mark.parametrize(("shell", "marker"), [
    ("bash", "complete -o nosort -F _cogdb_completion cogdb"),
    ("zsh", "#compdef cogdb"),
    ("fish", "complete --no-files --command cogdb"),
])
def test_the_completion_script_is_printed(shell, marker):
    proc = _cogdb({COMPLETE: f"{shell}_source"})
    assert proc.returncode == 0, proc.stderr
    assert marker in proc.stdout


@pytest.mark.slow
def test_bash_completes_commands_and_subcommands():
    proc = _cogdb({COMPLETE: "bash_complete", "COMP_WORDS": "cogdb ten", "COMP_CWORD": "1"})
    assert proc.returncode == 0 and "plain,tenant" in proc.stdout.splitlines(), proc.stdout
    proc = _cogdb({COMPLETE: "bash_complete", "COMP_WORDS": "cogdb db st", "COMP_CWORD": "2"})
    assert {"plain,start", "plain,status", "plain,stop"} <= set(proc.stdout.splitlines())


def test_the_package_is_marked_typed():
    assert importlib.resources.files("cogdb").joinpath("py.typed").is_file()
