"""Shared pytest fixtures and the test environment (offscreen Qt, isolated user dirs)."""

import os
import tempfile
from pathlib import Path

import pytest
from lxml import etree
from testdata import TEI_ALL_RNG, require

# Qt must never need a display in tests, and tests must never touch the user's real
# settings, cache or logs: point every user directory at a throwaway folder before
# anything imports Qt or reads settings.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_USER_DIRS = tempfile.mkdtemp(prefix="epistola-tests-")
for _name in ("CONFIG", "CACHE", "LOG"):
    os.environ.setdefault(f"EPISTOLA_{_name}_DIR", os.path.join(_USER_DIRS, _name.lower()))


@pytest.fixture(scope="session")
def tei_schema() -> etree.RelaxNG:
    """TEI P5 tei_all as a RelaxNG validator, loaded once per session (about 12 s)."""
    return etree.RelaxNG(etree.parse(str(require(TEI_ALL_RNG))))


@pytest.fixture(scope="session")
def long_letter(tmp_path_factory) -> Path:
    """A generated letter long enough to open in two stages (400 KB, 8,000 mentions)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent / "bench"))
    from make_big_letter import make_letter

    from viewer.tei.reader import STAGED_FROM_BYTES

    path = tmp_path_factory.mktemp("long-letter") / "long.xml"
    path.write_bytes(make_letter(target_bytes=400_000, mentions=8_000))
    assert path.stat().st_size >= STAGED_FROM_BYTES
    return path
