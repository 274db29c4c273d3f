"""Fixtures for the real-corpus tests: where the corpus is, one register catalog, opened letters.

The corpus is part of the checkout (``tests/data/editions``, see
``tests/testdata.py``). A missing corpus is a failure with a clear message,
never a silent skip.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from testdata import CORPUS, require

from viewer.model import Letter
from viewer.tei import read_letter
from viewer.tei.catalog import RegisterCatalog
from viewer.tei.classify import classify


@pytest.fixture(scope="session")
def corpus_root() -> Path:
    require(CORPUS / "README.md")
    return CORPUS


@pytest.fixture(scope="session")
def catalog() -> RegisterCatalog:
    """One catalog for the session, as the window keeps one: each register is parsed once."""
    return RegisterCatalog()


@pytest.fixture(scope="session")
def letters_of(corpus_root: Path) -> Callable[[str], list[Path]]:
    """Every letter file of an edition folder (register and mapping files left out)."""

    def find(edition: str) -> list[Path]:
        folder = corpus_root / edition
        assert folder.is_dir(), f"no edition folder {folder}"
        return [p for p in sorted(folder.rglob("*.xml")) if classify(p) == "letter"]

    return find


@pytest.fixture(scope="session")
def open_letter(corpus_root: Path, catalog: RegisterCatalog) -> Callable[..., Letter]:
    """Open a corpus letter by its path under the corpus (cached per reading)."""
    opened: dict[tuple[str, str], Letter] = {}

    def read(relative: str | Path, reading: str = "normalised") -> Letter:
        path = corpus_root / relative
        key = (str(path), reading)
        if key not in opened:
            opened[key] = read_letter(path, reading=reading, registers=catalog.for_letter(path))
        return opened[key]

    return read


def check_letter(letter: Letter) -> None:
    """What every corpus letter must satisfy, whatever its edition."""
    assert letter.title, letter.file
    assert letter.text.strip(), letter.file
    assert letter.senders and letter.recipients, letter.file
    assert letter.date is not None, letter.file
    assert not [d for d in letter.diagnostics if d.severity == "error"], letter.file
    text = letter.text
    for mention in letter.mentions:
        surface = text[mention.start : mention.end]
        assert surface and surface == surface.strip(), (letter.file, mention)
    for note in letter.notes:
        assert text[note.anchor : note.marker_end] == f"[{note.label}]", letter.file
    for reference in letter.line_references:
        assert reference.entities or reference.unresolved, (letter.file, reference)
        assert text[reference.start : reference.end].strip(), (letter.file, reference)


@pytest.fixture(scope="session")
def check() -> Callable[[Letter], None]:
    return check_letter
