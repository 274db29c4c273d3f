"""CSV exports: a header row, UTF-8, round-trips through ``csv``, never a formula."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from testdata import CORPUS, LETTERHEADS, require

from viewer.exports.csv_export import (
    ENTITY_COLUMNS,
    LETTER_COLUMNS,
    entities_csv,
    export_csv,
    letters_csv,
    neutralise,
)
from viewer.model import Entity, Letter, LetterDate, Mention, Party

ROOT = Path(__file__).resolve().parents[1]
TEI = "http://www.tei-c.org/ns/1.0"
HOSTILE = ["=SUM(A1:A9)", "+1+1", "-2+3", "@cmd", '=HYPERLINK("http://x","y")']


def rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so that Excel reads UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def sample_letter(file: str = "/x/a.xml") -> Letter:
    entities = tuple(
        Entity(id=f"e{i}", kind="person", name=name, variants=("Ä, \"quoted\"\nline",),
               authority=("https://d-nb.info/gnd/1",))
        for i, name in enumerate(HOSTILE)
    )  # fmt: skip
    text = " ".join(HOSTILE)
    mentions = []
    position = 0
    for i, name in enumerate(HOSTILE):
        mentions.append(Mention(position, position + len(name), "person", (f"e{i}",)))
        position += len(name) + 1
    return Letter(
        file=file,
        title="=1+1, a title",
        text=text,
        date=LetterDate(when="1890-10-25", text="25. 10. 1890"),
        senders=(Party("@sender", ("e0",)),),
        recipients=(Party("Bert; Brecht"),),
        places=(Party("-Wien"),),
        entities=entities,
        mentions=tuple([*mentions, Mention(0, 3, "person", ("e0",))]),
    )


@pytest.mark.parametrize("value", [*HOSTILE, "\tx", "\rx"])
def test_formula_starts_are_neutralised(value):
    assert neutralise(value) == "'" + value
    assert neutralise("Anna =B") == "Anna =B"


def test_entities_round_trip_with_formulas_neutralised():
    table = rows(entities_csv([sample_letter(), sample_letter("/x/b.xml")]))
    assert tuple(table[0]) == ENTITY_COLUMNS
    by_id = {row[0]: row for row in table[1:]}
    assert len(by_id) == len(HOSTILE)
    for i, name in enumerate(HOSTILE):
        row = by_id[f"e{i}"]
        assert row[2] == "'" + name
        assert row[3] == 'Ä, "quoted"\nline'  # quotes, comma and line break survive
        assert row[4] == "https://d-nb.info/gnd/1"
        assert row[5] == "2"  # two letters
    assert by_id["e0"][6] == "4"  # two mentions in each letter
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)


def test_letters_round_trip():
    table = rows(letters_csv([sample_letter()], folder="/x"))
    assert tuple(table[0]) == LETTER_COLUMNS
    (row,) = table[1:]
    assert row == [
        "a.xml", "1890-10-25", "'@sender", "Bert; Brecht", "'-Wien", "'=1+1, a title",
        str(len(HOSTILE) + 1), "",
    ]  # fmt: skip


@pytest.mark.slow
def test_the_editions_as_csv():
    corpus = require(CORPUS)
    letters = export_csv("letters", corpus)
    table = rows(letters.data)
    assert letters.rows == len(table) - 1 == 87
    files = {row[0] for row in table[1:]}
    assert "schnitzler-briefe/editions/L00007.xml" in files
    entities = export_csv("entities", corpus)
    table = rows(entities.data)
    schnitzler = next(row for row in table[1:] if row[0] == "pmb2121")
    assert schnitzler[1] == "person" and schnitzler[2] == "Arthur Schnitzler"
    assert "https://d-nb.info/gnd/118609807/" in schnitzler[4].split()
    assert int(schnitzler[5]) >= 20


@pytest.mark.slow
@pytest.mark.e2e
def test_cli_csv(tmp_path):
    result = subprocess.run(
        [sys.executable, "main.py", "--csv", "letters", str(ROOT / "letters")],
        cwd=ROOT, capture_output=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = rows(result.stdout)
    assert tuple(table[0]) == LETTER_COLUMNS and len(table) >= 2
    bad = subprocess.run(
        [sys.executable, "main.py", "--csv", "people", str(ROOT / "letters")],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "unknown CSV kind" in bad.stderr and bad.stdout == ""


def test_the_letters_csv_names_the_letterhead_issuer(tmp_path: Path) -> None:
    from viewer.tei import read_letter

    letterheads = require(LETTERHEADS / "schnitzler-briefe" / "editions")
    frankfurter = letterheads / "L02610.xml"  # on the Frankfurter Zeitung's paper
    icbl = ROOT / "letters" / "icbl-2007-07-24-anama.xml"
    table = rows(letters_csv([read_letter(frankfurter), read_letter(icbl)]))
    issuer = table[0].index("letterhead issuer")
    assert table[1][issuer] == "Frankfurter Zeitung"
    assert table[2][issuer] == "International Campaign to Ban Landmines"
