"""Selection, search and status logic (viewer.filtering), without Qt.

Small letters are built directly as viewer.model objects; the ICBL facts are
checked on the shipped letter as the parser reads it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from viewer.filtering import (
    Selection,
    TextFilter,
    count_mentions,
    entity_rows,
    fold,
    known_ids,
    letterhead_places,
    letterhead_roles,
    letterhead_rows_involving,
    mentions_on_line,
    status_text,
)
from viewer.model import (
    Affiliation,
    Entity,
    Letter,
    LetterheadSection,
    LineReference,
    Member,
    Mention,
)

ROOT = Path(__file__).resolve().parent.parent
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"


# ------------------------------------------------------------------ Selection


@pytest.mark.parametrize(
    ("before", "clicked", "additive", "after"),
    [
        ((), "a", False, {"a"}),
        (("a",), "b", False, {"b"}),
        (("a",), "a", False, set()),  # a second plain click on the selection clears it
        (("a", "b"), "a", False, {"a"}),  # plain click on one of several narrows to it
        ((), "a", True, {"a"}),
        (("a",), "b", True, {"a", "b"}),
        (("a", "b"), "b", True, {"a"}),  # Ctrl+click on a selected entity removes it
    ],
)
def test_selection_toggle(before, clicked, additive, after):
    selection = Selection(before)
    changed = selection.toggle(clicked, additive)
    assert changed.ids == frozenset(after)
    assert selection.ids == frozenset(before), "a Selection never changes in place"


@pytest.mark.parametrize(
    ("before", "group", "additive", "after"),
    [
        ((), ("a", "b"), False, {"a", "b"}),
        (("a", "b"), ("a", "b"), False, set()),
        (("c",), ("a", "b"), True, {"a", "b", "c"}),
        (("a", "b", "c"), ("a", "b"), True, {"c"}),
        (("c",), (), False, {"c"}),
    ],
)
def test_selection_toggle_many(before, group, additive, after):
    assert Selection(before).toggle_many(group, additive).ids == frozenset(after)


def test_selection_protocol():
    selection = Selection(["b", "a"])
    assert selection.contains("a") and "b" in selection and "c" not in selection
    assert list(selection) == ["a", "b"]
    assert len(selection) == 2 and selection
    assert not selection.clear()
    assert selection == Selection({"a", "b"}) and hash(selection) == hash(Selection("ab"))
    assert selection.restricted_to({"a", "z"}).ids == {"a"}


# ----------------------------------------------------------------- TextFilter


@pytest.mark.parametrize(
    ("query", "texts", "expected"),
    [
        ("", ("anything",), True),
        ("   ", ("anything",), True),
        ("bernstein", ("Elizabeth Bernstein",), True),
        ("BERNSTEIN", ("Elizabeth Bernstein",), True),
        ("eliz bern", ("Elizabeth Bernstein",), True),
        ("bern eliz", ("Elizabeth Bernstein",), True),  # word order does not matter
        ("bernstein goose", ("Elizabeth Bernstein",), False),  # every word must match
        # words may match in different texts: name, role, affiliation
        ("goose watch", ("Steve Goose", None, "Human Rights Watch"), True),
        ("director finance", ("Patrick Teil", "Finance Manager"), False),
        ("executive director", ("Sylvie Brigot", "Executive Director"), True),
        # accents and case are ignored on both sides
        ("schoenberg", ("Arnold Schönberg",), False),
        ("schonberg", ("Arnold Schönberg",), True),
        ("SCHÖNBERG", ("Arnold Schonberg",), True),
        ("genève", ("Geneva", "Genève"), True),
        ("strasse", ("Hauptstraße",), True),
        ("ｂｅｒｎ", ("Elizabeth Bernstein",), True),  # full-width letters (NFKD)
        ("emigre", ("Émigré",), True),
        ("x", (), False),
    ],
)
def test_text_filter(query, texts, expected):
    assert TextFilter(query).matches(*texts) is expected


def test_text_filter_truthiness():
    assert not TextFilter("  ")
    assert TextFilter("a b").active
    assert TextFilter("a b").words == ("a", "b")


@pytest.mark.parametrize(
    ("text", "folded"), [("Écrit", "ecrit"), ("Straße", "strasse"), ("İstanbul", "istanbul")]
)
def test_fold(text, folded):
    assert fold(text) == folded


# -------------------------------------------------------- a small built letter


def _letter() -> Letter:
    text = "Dear Anna, Bob of Acme wrote. Anna agrees.\nline two"
    entities = (
        Entity("p.anna", "person", "Anna Ärmel"),
        Entity("p.bob", "person", "Bob Baker"),
        Entity("p.carl", "person", "Carl Cole"),
        Entity("o.acme", "organisation", "Acme"),
        Entity("pl.rome", "place", "Rome", authority=("http://www.wikidata.org/entity/Q220",)),
    )
    mentions = (
        Mention(5, 9, "person", ("p.anna",), line=10),
        Mention(11, 14, "person", ("p.bob",), line=11),
        Mention(18, 22, "organisation", ("o.acme",), line=11),
        Mention(30, 34, "person", ("p.anna",), line=12),
        Mention(0, 4, "other", (), unresolved=("#nowhere",), line=13),
        Mention(5, 14, "person", ("p.anna", "p.bob"), line=14),  # names both
    )
    letterhead = (
        LetterheadSection(
            "Staff",
            (
                Member("Carl Cole", "person", ("p.carl",), role="Director"),
                Member("Bob Baker", "person", ("p.bob",), role="Treasurer"),
            ),
        ),
        LetterheadSection(
            "Committee",
            (
                Member(
                    "Dora Dunn", "person", ("p.dora",), affiliation=Affiliation("Acme", ("o.acme",))
                ),
                Member("Carl Cole", "person", ("p.carl",)),
            ),
        ),
    )
    line_refs = (LineReference(43, 51, "l2", ("pl.rome",), label="Rom"),)
    return Letter(
        file="built.xml",
        title="Built",
        text=text,
        entities=entities,
        mentions=mentions,
        letterhead=letterhead,
        line_references=line_refs,
    )


@pytest.mark.parametrize(
    ("ids", "rows"),
    [
        ((), set()),
        (("p.carl",), {(0, 0), (1, 1)}),  # a member of two sections is marked in both
        (("o.acme",), {(1, 0)}),  # an affiliation marks the member it belongs to
        (("p.bob", "o.acme"), {(0, 1), (1, 0)}),
        (("p.anna",), set()),
        (("nobody",), set()),
    ],
)
def test_letterhead_rows_involving(ids, rows):
    assert letterhead_rows_involving(_letter(), ids) == rows


def test_letterhead_places_and_roles():
    letter = _letter()
    assert letterhead_places(letter, "p.carl") == [("Staff", ""), ("Committee", "")]
    assert letterhead_places(letter, "o.acme") == [("Committee", "affiliation of Dora Dunn")]
    roles = letterhead_roles(letter)
    assert roles["p.carl"] == ["Staff: Director", "Committee"]
    assert roles["o.acme"] == ["Committee: affiliation of Dora Dunn"]
    assert roles["p.dora"] == ["Committee (Acme)"]


def test_entity_rows_grouped_counted_and_flagged():
    groups = entity_rows(_letter())
    assert [g.kind for g in groups] == ["person", "organisation", "place", "other"]
    by_id = {row.id: row for group in groups for row in group.rows}
    assert by_id["p.anna"].mentions == 3  # two of its own, one shared with Bob
    assert by_id["p.bob"].mentions == 2
    assert by_id["p.bob"].in_letterhead and not by_id["p.bob"].letterhead_only
    assert by_id["p.carl"].mentions == 0 and by_id["p.carl"].letterhead_only
    assert by_id["o.acme"].in_letterhead and by_id["o.acme"].mentions == 1
    # a letterhead id missing from the register still gets a row, marked unknown
    assert by_id["p.dora"].letterhead_only and not by_id["p.dora"].known
    # line references count as mentions and carry their line ids
    assert by_id["pl.rome"].mentions == 1 and by_id["pl.rome"].line_ids == ("l2",)
    persons = [row.entity.name for row in groups[0].rows]
    assert persons == ["Anna Ärmel", "Bob Baker", "Carl Cole"], "sorted by name, accents folded"


def test_count_mentions_counts_shared_mentions_once():
    letter = _letter()
    assert count_mentions(letter, {"p.anna"}) == 3
    assert count_mentions(letter, {"p.anna", "p.bob"}) == 4
    assert count_mentions(letter, set()) == 0
    assert count_mentions(letter, {"pl.rome"}) == 1


def test_mentions_on_line():
    letter = _letter()
    assert [m.start for m in mentions_on_line(letter, 11)] == [11, 18]
    assert mentions_on_line(letter, 13)[0].unresolved == ("#nowhere",)
    assert mentions_on_line(letter, None) == []
    assert mentions_on_line(letter, 99) == []


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ((), ""),
        (("p.anna",), "Anna Ärmel (person): 3 mentions in the text"),
        (("o.acme",), "Acme (organisation): 1 mention in the text; in the letterhead: "
         "Committee (affiliation of Dora Dunn)"),
        (("p.carl",), "Carl Cole (person): no mentions in the text; only in the letterhead: "
         "Staff, Committee"),
        (("p.dora",), "p.dora: no mentions in the text; only in the letterhead: Committee"),
        (("ghost",), "ghost: not in this letter"),
        (("p.anna", "p.bob"), "2 entities selected (Anna Ärmel, Bob Baker): 4 mentions in "
         "the text; 1 letterhead row"),
    ],
)  # fmt: skip
def test_status_text(ids, expected):
    assert status_text(_letter(), ids) == expected


def test_status_text_without_letter():
    assert status_text(None, {"a"}) == ""


def test_known_ids_include_letterhead_and_parties():
    ids = known_ids(_letter())
    assert {"p.anna", "p.dora", "o.acme", "pl.rome"} <= ids
    assert "ghost" not in ids


# ------------------------------------------------------- the shipped ICBL letter


@pytest.fixture(scope="module")
def icbl() -> Letter:
    if not ICBL.is_file():
        pytest.fail(f"the shipped letter {ICBL} is missing")
    from viewer.tei import read_letter

    return read_letter(ICBL)


def _titles(letter: Letter, rows: set[tuple[int, int]]) -> list[tuple[str, str]]:
    return sorted(
        (letter.letterhead[s].title, letter.letterhead[s].members[m].name) for s, m in rows
    )


def test_icbl_bernstein_in_two_sections(icbl):
    rows = letterhead_rows_involving(icbl, {"pers.bernstein.elizabeth"})
    assert _titles(icbl, rows) == [
        ("ICBL Ambassadors", "Elizabeth Bernstein"),
        ("Management Committee", "Elizabeth Bernstein"),
    ]
    status = status_text(icbl, {"pers.bernstein.elizabeth"})
    assert status.startswith("Elizabeth Bernstein (person): ")
    assert "in the letterhead: ICBL Ambassadors, Management Committee" in status


def test_icbl_hrw_board_seat_and_goose_affiliation(icbl):
    rows = letterhead_rows_involving(icbl, {"org.hrw"})
    assert _titles(icbl, rows) == [
        ("Advisory Board", "Human Rights Watch"),
        ("Management Committee", "Steve Goose"),
    ]
    assert "Management Committee (affiliation of Steve Goose)" in status_text(icbl, {"org.hrw"})


def test_icbl_jody_williams_ambassador_and_signature(icbl):
    rows = letterhead_rows_involving(icbl, {"pers.williams.jody"})
    assert _titles(icbl, rows) == [("ICBL Ambassadors", "Jody Williams")]
    mentions = icbl.mentions_of("pers.williams.jody")
    assert len(mentions) >= 2
    # the last mention is the signature at the end of the letter
    assert icbl.text[mentions[-1].start : mentions[-1].end] == "Jody Williams"
    assert mentions[-1].start > len(icbl.text) * 0.9


def test_icbl_entity_rows_cover_every_entity(icbl):
    groups = entity_rows(icbl)
    listed = {row.id for group in groups for row in group.rows}
    assert {e.id for e in icbl.entities} <= listed
    assert [g.kind for g in groups][:3] == ["person", "organisation", "place"]


def test_filtering_does_not_import_qt():
    import subprocess

    code = "import viewer.filtering, sys; sys.exit('PySide6' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
