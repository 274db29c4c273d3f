"""The shipped ICBL letter, as the parser reads it: letterhead, shared identities, metadata.

These are the facts of the printed letter (ICBL to ANAMA, Baku, 24 July
2007); the encoding's own conventions are tested in test_icbl_encoding.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from viewer.model import Letter, LetterheadSection, Member
from viewer.tei import read_letter

ICBL = Path(__file__).resolve().parents[1] / "letters" / "icbl-2007-07-24-anama.xml"


@pytest.fixture(scope="module")
def letter() -> Letter:
    return read_letter(ICBL)


@pytest.fixture(scope="module")
def diplomatic() -> Letter:
    return read_letter(ICBL, reading="diplomatic")


def section(letter: Letter, title: str) -> LetterheadSection:
    found = [s for s in letter.letterhead if s.title.casefold() == title.casefold()]
    assert len(found) == 1, [s.title for s in letter.letterhead]
    return found[0]


def member(letter: Letter, title: str, name: str) -> Member:
    found = [m for m in section(letter, title).members if m.name == name]
    assert len(found) == 1, [m.name for m in section(letter, title).members]
    return found[0]


def entity_named(letter: Letter, *names: str) -> str:
    """The one entity whose name or variants include any of ``names``."""
    found = {
        e.id for e in letter.entities if {e.name, *e.variants} & set(names) and e.kind != "date"
    }
    assert len(found) == 1, (names, found)
    return found.pop()


def mentioned_as(letter: Letter, surface: str) -> set[str]:
    """The entities of every mention whose text is ``surface``."""
    ids = {
        i for m in letter.mentions if letter.text[m.start : m.end] == surface for i in m.entities
    }
    assert ids, f"no mention reads {surface!r}"
    return ids


def test_sections_in_printed_order(letter: Letter) -> None:
    assert [(s.title.casefold(), len(s.members)) for s in letter.letterhead] == [
        ("staff", 6),
        ("icbl ambassadors", 5),
        ("advisory board", 21),
        ("diplomatic advisor", 1),
        ("management committee", 5),
        ("international campaign to ban landmines", 5),
    ]


def test_contact_block_is_the_last_section(letter: Letter) -> None:
    contact = letter.letterhead[-1]
    assert [m.kind for m in contact.members] == ["contact"] * 5
    assert [m.name for m in contact.members] == [
        "7, Chemin de Balexert",
        "CH-1219 Geneva, Switzerland",
        "Tel.: + 41 (0)22 920 03 25",
        "Fax: + 41 (0)22 920 01 15",
        "icbl@icbl.org",
    ]
    assert "place.geneva" in contact.members[1].entities


def test_staff_roles(letter: Letter) -> None:
    staff = section(letter, "Staff").members
    assert [m.role for m in staff] == [
        "Executive Director",
        "Advocacy Director",
        "Advocacy and Campaigning Officer",
        "Treaty Implementation Director",
        "Administrative Assistant",
        "Finance Manager",
    ]
    assert all(m.kind == "person" and len(m.entities) == 1 for m in staff)


def test_ambassadors(letter: Letter) -> None:
    ambassadors = section(letter, "ICBL Ambassadors").members
    assert len(ambassadors) == 5
    assert member(letter, "ICBL Ambassadors", "Song Kosal").role == "Youth"
    assert [m.role for m in ambassadors if m.name != "Song Kosal"] == [None] * 4


def test_advisory_board(letter: Letter) -> None:
    board = section(letter, "Advisory Board").members
    assert len(board) == 21
    assert all(m.kind == "organisation" for m in board)
    two = [m for m in board if "Dan Church Aid" in m.name]
    assert len(two) == 1 and "Lutheran World Federation" in two[0].name
    assert len(two[0].entities) == 2
    somaliland = [m for m in board if m.name.startswith("Institute for Practical Research")]
    assert len(somaliland) == 1
    assert somaliland[0].name == "Institute for Practical Research and Training (Somaliland)"


def test_diplomatic_advisor(letter: Letter) -> None:
    (advisor,) = section(letter, "Diplomatic Advisor").members
    assert advisor.name == "Satnam Jit Singh" and advisor.role == "Ambassador"
    assert advisor.kind == "person"


def test_management_committee_affiliations_are_the_boards_organisations(letter: Letter) -> None:
    committee = section(letter, "Management Committee").members
    assert len(committee) == 5
    board = {m.name: m for m in section(letter, "Advisory Board").members}
    expected = {
        "Habbouba Aoun": "Landmines Resource Centre (Lebanon)",
        "Steve Goose": "Human Rights Watch",
        "Paul Hannon": "Mines Action Canada",
        "Aymen Sorour": "Protection (Egypt)",
    }
    for name, organisation in expected.items():
        person = member(letter, "Management Committee", name)
        assert person.affiliation is not None, name
        assert board[organisation].entities[0] in person.affiliation.entities, name
    aoun = member(letter, "Management Committee", "Habbouba Aoun")
    assert aoun.affiliation is not None
    assert aoun.affiliation.name == "Landmine Resource Center (Lebanon)"  # as printed
    bernstein = member(letter, "Management Committee", "Elizabeth Bernstein")
    assert bernstein.role == "Former ICBL Coordinator"
    ambassador = member(letter, "ICBL Ambassadors", "Elizabeth Bernstein")
    assert bernstein.entities == ambassador.entities


SHARED_IDENTITIES = [
    ("Mr Ismaylov", "Nazym Ismaylov"),
    ("Mrs Sylvie Brigot", "Sylvie Brigot"),
    ("the Convention", "Mine Ban Treaty"),
    ("Mine Ban Convention", "Mine Ban Treaty"),
    ("AzCBL", "Azerbaijan Campaign to Ban Landmines"),
]


@pytest.mark.parametrize(("surface", "same_as"), SHARED_IDENTITIES)
def test_shared_identities(letter: Letter, surface: str, same_as: str) -> None:
    shown = surface.removeprefix("the ")
    assert mentioned_as(letter, shown) == mentioned_as(letter, same_as)


def test_jody_williams_ambassador_is_the_signatory(letter: Letter) -> None:
    ambassador = member(letter, "ICBL Ambassadors", "Jody Williams")
    mentions = letter.mentions_of(ambassador.entities[0])
    signature_block = letter.text.rindex("Jody Williams")
    assert any(m.start == signature_block for m in mentions)
    assert ambassador.entities[0] in {e for p in letter.senders for e in p.entities}


def test_sylvie_brigot_on_the_staff_is_named_in_the_body(letter: Letter) -> None:
    staff = member(letter, "Staff", "Sylvie Brigot")
    body = [
        m for m in letter.mentions_of(staff.entities[0]) if "Mrs" in letter.text[m.start : m.end]
    ]
    assert body


def test_the_error_of_the_original_per_reading(letter: Letter, diplomatic: Letter) -> None:
    assert "Nagorno-Karabakh" in letter.text and "Nargorno-Karabakh" not in letter.text
    assert "Nargorno-Karabakh" in diplomatic.text
    assert letter.has_choices
    place = entity_named(letter, "Nagorno-Karabakh")
    for reading, shown in ((letter, "Nagorno-Karabakh"), (diplomatic, "Nargorno-Karabakh")):
        assert place in mentioned_as(reading, shown)


def test_metadata(letter: Letter) -> None:
    assert letter.date is not None and letter.date.when == "2007-07-24"
    senders = {p.name for p in letter.senders}
    recipients = {p.name for p in letter.recipients}
    assert "Jody Williams" in senders
    assert "Nazym Ismaylov" in recipients
    assert all(p.entities for p in (*letter.senders, *letter.recipients))


def test_no_error_diagnostics(letter: Letter, diplomatic: Letter) -> None:
    for reading in (letter, diplomatic):
        assert [d for d in reading.diagnostics if d.severity == "error"] == []
        assert [d for d in reading.diagnostics if d.code == "dangling-ref"] == []


def test_every_mention_slices_the_text(letter: Letter, diplomatic: Letter) -> None:
    for reading in (letter, diplomatic):
        assert reading.mentions
        for mention in reading.mentions:
            surface = reading.text[mention.start : mention.end]
            assert surface and surface == surface.strip()
            assert mention.entities, surface
        for section_ in reading.letterhead:
            for m in section_.members:
                assert m.start is not None and m.end is not None
                assert m.name.split()[0] in reading.text[m.start : m.end]
