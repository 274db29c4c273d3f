"""Lint, formatting and the import contracts are part of the test suite.

`python -m pytest` is the one test command (README, .ci/run), so a ruff
complaint or a broken layering contract (pyproject.toml's
[tool.importlinter]) fails the suite like any other test. Each tool runs from
the checkout's root with its configuration from pyproject.toml.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _script(name: str) -> str:
    """A console script of this interpreter's environment, not whatever is on PATH."""
    candidate = Path(sysconfig.get_path("scripts")) / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; run: pip install -e '.[test]'")
    return found


def _run(args: list[str]) -> None:
    result = subprocess.run(
        args,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(args[1:] if args[0] == sys.executable else args)}` "
            f"exited with {result.returncode}:\n{result.stdout}\n{result.stderr}",
            pytrace=False,
        )


# --no-cache everywhere: the suite should leave nothing behind in the checkout.


def test_ruff_check() -> None:
    _run([sys.executable, "-m", "ruff", "check", "--no-cache", "."])


def test_ruff_format() -> None:
    _run([sys.executable, "-m", "ruff", "format", "--check", "--no-cache", "."])


def test_import_contracts() -> None:
    _run([_script("lint-imports"), "--no-cache", "--no-logo"])
