"""Where the test data lives: the one module that knows the paths under ``tests/data``.

The repository carries every file the tests read (see ``tests/data/README.md``);
nothing is read from outside the checkout. :func:`require` turns a missing file
into a failure that names it, never a skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "editions"  # four real editions, each with its SOURCE.md
LETTERHEADS = DATA / "letterheads"  # 60 Schnitzler letters with printed letterheads
SCHEMAS = DATA / "schemas"
TEI_ALL_RNG = SCHEMAS / "tei_all.rng"
CMIF_RNG = SCHEMAS / "cmif.rng"
ICBL_SEED = DATA / "seeds" / "000_b3c1be322d3bb4ea.txt"


def require(path: Path) -> Path:
    """``path``, or a test failure saying that the checkout's test data is incomplete."""
    if not path.exists():
        pytest.fail(
            f"test data missing: {path} (tests/data is part of the checkout; "
            "see tests/data/README.md)",
            pytrace=False,
        )
    return path
