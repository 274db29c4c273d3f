"""Letterheads across a collection: grouping by issuer, versions over time, undated letters.

Qt-free: viewer.letterheads on its own, and through viewer.collection (the
summaries, the JSON cache and ``--index``'s "letterheads").
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from testdata import DATA, LETTERHEADS, require

from viewer.collection import index_folder
from viewer.letterheads import (
    LetterheadRecord,
    group_letterheads,
    letterhead_records,
    normalise_line,
)
from viewer.tei import read_letter

PLACEMENTS = DATA / "letterhead-placements"


@pytest.fixture
def society(tmp_path: Path) -> Path:
    """The Society's five letters alone in a folder (with nothing else around it)."""
    folder = tmp_path / "a" / "b" / "c" / "d" / "society"
    folder.mkdir(parents=True)
    for path in sorted(require(PLACEMENTS).glob("society-*.xml")):
        shutil.copy(path, folder / path.name)
    return folder


def record(issuer: str | None, *lines: str, title: str = "T") -> LetterheadRecord:
    return LetterheadRecord(issuer, title, True, lines)


# ------------------------------------------------------------------ records


def test_records_leave_out_the_letters_own_date_line() -> None:
    letter = read_letter(LETTERHEADS / "schnitzler-briefe" / "editions" / "L02610.xml")
    (only,) = letterhead_records(letter)
    assert only.issuer == "pmb29442"
    assert "Paris, 9. August." not in only.lines
    assert only.lines[:2] == ("Frankfurter Zeitung", "(Gazette de Francfort).")
    assert "24. Rue Feydeau." in only.lines


def test_a_structured_record_names_members_with_roles_and_the_issuer() -> None:
    (only,) = letterhead_records(read_letter(PLACEMENTS / "society-4.xml"))
    assert (only.issuer, only.title, only.printed) == (
        "org.sab",
        "Society for Alpine Botany",
        False,
    )
    assert only.lines == (
        "Council: Ada Hale — Honorary President",
        "Council: Eva Lind — President",
        "Council: Jon Moser — Secretary",
        "Society for Alpine Botany: 12 Mill Street",
        "Society for Alpine Botany: Northfield",
        "Society for Alpine Botany: Telephone 2118",
    )


def test_one_record_per_letterhead_block() -> None:
    records = letterhead_records(read_letter(PLACEMENTS / "fw-two-pages.xml"))
    assert [(r.issuer, r.lines) for r in records] == [
        ("org.bank", ("Lakeside Savings Bank", "Bank account 44 1021 · Telephone Lakeside 7")),
        ("pers.brandt.tom", ("12 Mill Street, Northfield",)),
    ]


def test_records_round_trip_through_json() -> None:
    original = record("x", "a", "b")
    assert LetterheadRecord.from_json(json.loads(json.dumps(original.to_json()))) == original
    with pytest.raises(ValueError):
        LetterheadRecord.from_json(["x", "t", True, [1]])


# ------------------------------------------------------------------ grouping


def test_letterheads_group_by_issuer_and_without_one_by_their_text() -> None:
    groups = group_letterheads(
        [
            ("a.xml", "1900-01-01", [record("org.x", "X Ltd", "Tel. 1", title="Acme")]),
            ("b.xml", "1899-05-01", [record("org.x", "X Ltd", "Tel. 1", title="Acme")]),
            ("c.xml", "", [record(None, "Hotel Bellevue ", title="Letterhead")]),
            ("d.xml", "1901-01-01", [record(None, "hotel  bellevue.", title="Letterhead")]),
            ("e.xml", "1901-01-01", [record(None, "Other Paper", title="Letterhead")]),
        ]
    )
    assert [(g.issuer, g.files, g.first, g.last) for g in groups] == [
        ("org.x", ["b.xml", "a.xml"], "1899-05-01", "1900-01-01"),
        (None, ["d.xml", "c.xml"], "1901-01-01", "1901-01-01"),  # undated last
        (None, ["e.xml"], "1901-01-01", "1901-01-01"),
    ]
    # A paper that names no issuer is known by its first printed line.
    assert [g.title for g in groups] == ["Acme", "hotel bellevue.", "Other Paper"]


def test_versions_tell_what_appeared_disappeared_and_changed() -> None:
    (group,) = group_letterheads(
        [
            ("1.xml", "1900", [record("o", "Name", "Tel. 118", "Old Street 1")]),
            ("2.xml", "1901", [record("o", "Name", "Tel. 118", "Old Street 1")]),
            ("3.xml", "1905", [record("o", "Name", "Tel. 2118", "New Road 9", "Since 1850")]),
            ("4.xml", "", [record("o", "Name", "Tel. 2118", "New Road 9", "Since 1850")]),
        ]
    )
    first, second = group.versions
    assert (first.letters, first.first, first.last, first.since) == (
        ("1.xml", "2.xml"),
        "1900",
        "1901",
        None,
    )
    assert (second.letters, second.first, second.last, second.since) == (
        ("3.xml", "4.xml"),
        "1905",
        "1905",
        0,
    )
    assert set(second.added) == {"New Road 9", "Since 1850"}
    assert second.removed == ("Old Street 1",)
    assert [(c.before, c.after) for c in second.changed] == [("Tel. 118", "Tel. 2118")]


def test_an_undated_letter_is_matched_to_versions() -> None:
    (group,) = group_letterheads(
        [
            ("1.xml", "1900", [record("o", "A", "B")]),
            ("2.xml", "1910", [record("o", "A", "C")]),
            ("u.xml", "", [record("o", "A", "C", "D")]),
        ]
    )
    assert [v.letters for v in group.versions] == [("1.xml",), ("2.xml",), ("u.xml",)]
    assert group.matches(["A", "C", "D"])[0] == (2, 1.0)
    # An undated paper seen on no dated letter: its likeness to each dated version.
    ranked = group.matches(["a", "c"])
    assert ranked[0] == (1, 1.0)
    assert ranked[1][0] == 2 and 0 < ranked[1][1] < 1
    assert group.to_json()["undated"] == [{"letter": "u.xml", "matches": [2]}]


def test_normalised_lines_ignore_case_spacing_and_edge_punctuation() -> None:
    assert normalise_line("  Frankfurter   Zeitung. ") == normalise_line("frankfurter zeitung")


# ------------------------------------------------------------------ the collection


def test_the_society_history_over_its_letters(society: Path, tmp_path: Path) -> None:
    index = index_folder(society, cache_dir=tmp_path / "cache", mode="serial")
    (group,) = index.letterhead_groups()
    assert (group.issuer, group.title, group.first, group.last) == (
        "org.sab",
        "Society for Alpine Botany",
        "1908-04-01",
        "1913-11-03",
    )
    assert [Path(f).name for f in group.files] == [
        "society-1.xml",
        "society-2.xml",
        "society-3.xml",
        "society-4.xml",
        "society-undated.xml",
    ]
    one, three, four = group.versions
    assert ([Path(f).name for f in one.letters], one.first, one.last) == (
        ["society-1.xml", "society-2.xml"],
        "1908-04-01",
        "1909-06-15",
    )
    assert three.added == ("Council: Eva Lind — Treasurer",)
    assert [(c.before, c.after) for c in three.changed] == [
        ("Society for Alpine Botany: Telephone 118", "Society for Alpine Botany: Telephone 2118")
    ]
    assert "society-undated.xml" in [Path(f).name for f in three.letters]
    assert [(c.before, c.after) for c in four.changed] == [
        ("Council: Ada Hale — President", "Council: Ada Hale — Honorary President"),
        ("Council: Eva Lind — Treasurer", "Council: Eva Lind — President"),
    ]


def test_the_cache_keeps_the_letterheads(society: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = index_folder(society, cache_dir=cache, mode="serial")
    second = index_folder(society, cache_dir=cache, mode="serial")
    assert second.stats.parsed == 0
    assert [s.letterheads for s in second.letters] == [s.letterheads for s in first.letters]
    assert second.to_json()["letterheads"] == first.to_json()["letterheads"]


@pytest.mark.slow
def test_frankfurter_zeitung_groups_under_one_issuer_with_versions(tmp_path: Path) -> None:
    index = index_folder(
        require(LETTERHEADS), cache_dir=tmp_path / "cache", mode="serial", use_cache=False
    )
    data = index.to_json()["letterheads"]
    (fz,) = [g for g in data if g["issuer"] == "pmb29442"]
    assert fz["title"] == "Frankfurter Zeitung"
    assert len(fz["letters"]) == 25
    assert (fz["first"], fz["last"]) == ("1891-04-06", "1898-02-06")
    versions = fz["versions"]
    assert len(versions) >= 3
    assert sorted(f for v in versions for f in v["letters"]) == sorted(fz["letters"])
    for version in versions:
        assert set(version) >= {"lines", "letters", "first", "last"}
        assert version["first"] <= version["last"]
    # The Paris bureau moved: a version drops Rue Feydeau for Rue de la Bourse.
    moved = [v for v in versions if "24. Rue Feydeau." in v["removed"]]
    assert moved and "10 Rue de la Bourse." in moved[0]["added"]
    # Every letter of the folder with a letterhead is in some group.
    grouped = {f for g in data for f in g["letters"]}
    assert len(grouped) == 60


def test_index_prints_the_letterheads(society: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from viewer import cli

    assert cli.main(["--index", str(society)]) == 0
    data = json.loads(capsys.readouterr().out)
    (group,) = data["letterheads"]
    assert set(group) >= {"issuer", "title", "letters", "first", "last", "versions"}
    assert (group["issuer"], group["first"], group["last"]) == (
        "org.sab",
        "1908-04-01",
        "1913-11-03",
    )
    assert [len(v["letters"]) for v in group["versions"]] == [2, 2, 1]
    for version in group["versions"]:
        assert set(version) >= {"lines", "letters", "first", "last"}
    assert {"letters", "entities", "errors"} <= set(data)  # the keys it always had


def test_a_letterheads_letters_can_be_listed_in_its_order(society: Path, tmp_path: Path) -> None:
    index = index_folder(society, cache_dir=tmp_path / "cache", mode="serial")
    (group,) = index.letterhead_groups()
    rows = index.letters_in([*reversed(group.files), "/nowhere.xml"])
    assert [summary.file for summary, _count in rows] == list(reversed(group.files))
    assert {count for _summary, count in rows} == {0}
