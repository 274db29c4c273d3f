"""Letterheads as editions print them: every placement, flat printed lines and the issuer.

Real letters (the 60 printed-letterhead letters and the Schnitzler letters of the
corpus) and the invented letters of tests/data/letterhead-placements, which cover
what the real ones lack (a margin note, a figure, forme work, a letterhead on page
2, one organisation's structured letterhead over several letters). No Qt.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from test_parser_rules import read
from testdata import CORPUS, DATA, LETTERHEADS, require

from viewer.model import Letter, letter_to_json
from viewer.tei import read_letter

TEI = "http://www.tei-c.org/ns/1.0"
PLACEMENTS = DATA / "letterhead-placements"
NAME_ELEMENTS = {"rs", "persName", "orgName", "placeName", "name", "geogName"}


def _real_letters() -> list[Path]:
    folders = [
        require(LETTERHEADS / "schnitzler-briefe" / "editions"),
        require(CORPUS / "schnitzler-briefe" / "editions"),
    ]
    return sorted(p for folder in folders for p in folder.glob("*.xml"))


def _letterhead_elements(path: Path) -> list[etree._Element]:
    tree = etree.parse(str(path))
    found = tree.getroot().xpath("//tei:text//*[@type='letterhead']", namespaces={"tei": TEI})
    chosen = set(found)
    return [e for e in found if not any(a in chosen for a in e.iterancestors())]


def _printed_text(element: etree._Element) -> str:
    """The element's text as printed, without editorial notes or descriptions; no spaces."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        name = etree.QName(node).localname if isinstance(node.tag, str) else None
        if name in ("note", "figDesc"):
            return
        if name == "choice":
            options = {etree.QName(c).localname: c for c in node if isinstance(c.tag, str)}
            for preferred in ("corr", "reg", "expan", "sic", "orig", "abbr"):
                if preferred in options:
                    walk(options[preferred])
                    break
            return
        if name is not None and node.text:
            parts.append(node.text)
        for child in node:
            walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return "".join("".join(parts).split())


def _referenced(element: etree._Element, letter: Letter) -> set[str]:
    """Entity ids referenced by the names inside ``element`` (not inside its notes)."""
    known = {e.id for e in letter.entities}
    found: set[str] = set()
    for node in element.iter():
        if not isinstance(node.tag, str) or etree.QName(node).localname not in NAME_ELEMENTS:
            continue
        if any(etree.QName(a).localname == "note" for a in node.iterancestors()):
            continue
        for token in (node.get("ref") or "").split():
            if token.lstrip("#") in known:
                found.add(token.lstrip("#"))
    return found


REAL = _real_letters()


@pytest.mark.slow
def test_the_real_material_is_there() -> None:
    with_letterheads = [p for p in REAL if _letterhead_elements(p)]
    assert len(with_letterheads) == 65


@pytest.mark.slow
@pytest.mark.parametrize("path", REAL, ids=lambda p: p.name)
def test_a_printed_letterhead_is_shown_whole(path: Path) -> None:
    elements = _letterhead_elements(path)
    letter = read_letter(path)
    if not elements:
        assert letter.letterhead == ()
        return
    assert letter.letterhead, "a letter with a letterhead element shows a letterhead"
    assert all(section.printed for section in letter.letterhead)
    names = "".join(m.name for s in letter.letterhead for m in s.members)
    assert "".join(names.split()) == "".join(_printed_text(e) for e in elements)
    entities = {e for s in letter.letterhead for m in s.members for e in m.entities}
    for element in elements:
        assert _referenced(element, letter) <= entities
    for section in letter.letterhead:
        for member in section.members:
            assert member.kind in ("organisation", "person", "place", "contact", "line")
            assert member.start is not None and member.end is not None
            # The line is where the letter prints it (note markers aside).
            assert member.name.split()[0] in letter.text[member.start : member.end]
    assert not [d for d in letter.diagnostics if d.code == "empty-letterhead"]


@pytest.mark.slow
def test_frankfurter_zeitung_letters_name_their_issuer() -> None:
    folder = LETTERHEADS / "schnitzler-briefe" / "editions"
    issuers: dict[str, int] = {}
    for path in sorted(folder.glob("*.xml")):
        letter = read_letter(path)
        first = letter.letterhead[0]
        issuers[first.title] = issuers.get(first.title, 0) + 1
        if first.title == "Frankfurter Zeitung":
            assert first.issuer == "pmb29442"
    assert issuers["Frankfurter Zeitung"] == 25


def test_a_printed_line_carries_kind_and_entities() -> None:
    letter = read_letter(LETTERHEADS / "schnitzler-briefe" / "editions" / "L00500.xml")
    (section,) = letter.letterhead
    assert (section.title, section.issuer, section.printed) == (
        "Neues Wiener Journal",
        "pmb29320",
        True,
    )
    lines = {m.name: (m.kind, m.entities) for m in section.members}
    assert lines["Neues Wiener Journal"] == ("organisation", ("pmb29320",))
    assert lines["J. Lippowitz"] == ("person", ("pmb4054",))
    assert lines["Nußdorferstraße 3."] == ("contact", ("pmb1270",))
    assert lines["Telephon Nr. 7920."] == ("contact", ())
    # Columns (seg rend="left|right") are separate lines, in printed order.
    assert [m.name for m in section.members][:3] == [
        "Neues Wiener Journal",
        "Wien, IX., den",
        "Herausgeber und Chefradacteur:",
    ]


def test_consecutive_lines_are_one_letterhead_an_interrupted_block_another() -> None:
    letter = read(
        '<div><opener><seg type="letterhead"><orgName ref="#acme">Acme Society</orgName></seg>'
        '<lb/><seg type="letterhead">Telephone 12</seg><dateline>Wien</dateline>'
        '<seg type="letterhead">Second block</seg></opener><p>Text.</p></div>'
    )
    assert [(s.block, [m.name for m in s.members]) for s in letter.letterhead] == [
        (0, ["Acme Society", "Telephone 12"]),
        (1, ["Second block"]),
    ]
    assert letter.letterhead[0].issuer == "acme"
    assert (letter.letterhead[1].title, letter.letterhead[1].issuer) == ("Letterhead", None)


def test_an_address_only_letterhead_is_the_senders_stationery() -> None:
    header = (
        '<profileDesc><correspDesc><correspAction type="sent"><persName ref="#anna">Anna Ott'
        "</persName></correspAction></correspDesc></profileDesc>"
    )
    body = '<p><ab type="letterhead"><placeName ref="#wien">Wien</placeName> I, Ring 4</ab>Hi.</p>'
    (section,) = read(f"<div>{body}</div>", header=header).letterhead
    assert (section.title, section.issuer, section.printed) == ("Anna Ott", "anna", True)
    assert section.members[0].kind == "contact"
    assert section.members[0].entities == ("wien",)


@pytest.mark.parametrize(
    "body",
    [
        '<list type="letterhead"><item><orgName ref="#acme">Acme Society</orgName></item></list>',
        '<p type="letterhead"><orgName ref="#acme">Acme Society</orgName></p>',
        '<div type="letterhead"><p><orgName ref="#acme">Acme Society</orgName></p></div>',
        '<p>Text <note type="letterhead" place="margin"><orgName ref="#acme">Acme Society'
        "</orgName></note> goes on.</p>",
        '<p><figure type="letterhead"><p><orgName ref="#acme">Acme Society</orgName></p>'
        "</figure>Text.</p>",
        '<fw type="letterhead"><orgName ref="#acme">Acme Society</orgName></fw><p>Text.</p>',
    ],
    ids=["list", "p", "div", "note", "figure", "fw"],
)
def test_every_placement_is_a_letterhead(body: str) -> None:
    letter = read(f"<div>{body}</div>")
    assert [m.name for s in letter.letterhead for m in s.members] == ["Acme Society"]
    assert letter.letterhead[0].issuer == "acme"
    assert "Acme Society" in letter.text
    assert not [n for n in letter.notes if n.kind == "letterhead"]


def test_a_letterhead_in_front_is_read() -> None:
    letter = read(
        "<div><p>Text.</p></div>",
        front='<front><div type="letterhead"><p><orgName ref="#beta">Beta Aid</orgName>'
        "</p></div></front>",
    )
    assert [(s.title, s.issuer) for s in letter.letterhead] == [("Beta Aid", "beta")]


def test_a_letterhead_that_yields_nothing_is_a_warning() -> None:
    letter = read('<div><ab type="letterhead"><graphic url="x.png"/></ab><p>Text.</p></div>')
    assert letter.letterhead == ()
    (warning,) = [d for d in letter.diagnostics if d.code == "empty-letterhead"]
    assert warning.severity == "warning"
    assert '<ab type="letterhead">' in warning.message


# ------------------------------------------------------------ invented placements


def _placement(name: str) -> Letter:
    return read_letter(require(PLACEMENTS / name))


def test_a_margin_note_letterhead_is_not_a_footnote() -> None:
    letter = _placement("margin-note.xml")
    (section,) = letter.letterhead
    assert (section.title, section.issuer, section.printed) == (
        "Harbour Press",
        "org.harbour",
        True,
    )
    assert [(m.name, m.kind) for m in section.members] == [
        ("Harbour Press", "organisation"),
        ("Publishers of Verse and Travel", "line"),
        ("3 Quay Road, Lakeside", "contact"),
        ("Telephone: Lakeside 214", "contact"),
    ]
    # The editorial note inside stays a note; the letterhead itself is not one.
    assert [n.kind for n in letter.notes] == ["textConst"]
    assert letter.notes[0].text == "printed vertically along the left margin"


def test_a_figure_letterhead_keeps_its_text() -> None:
    letter = _placement("figure.xml")
    (section,) = letter.letterhead
    assert section.issuer == "org.museum"
    assert [m.name for m in section.members] == [
        "Northfield Museum",
        "Department of Natural History",
        "12 Mill Street, Northfield",
    ]
    assert "Department of Natural History" in letter.text
    assert section.members[2].entities == ("place.mill-street", "place.northfield")


def test_forme_work_on_two_pages_is_two_letterheads() -> None:
    letter = _placement("fw-two-pages.xml")
    assert [(s.block, s.title, s.issuer) for s in letter.letterhead] == [
        (0, "Lakeside Savings Bank", "org.bank"),
        (1, "Tom Brandt", "pers.brandt.tom"),  # page 2: only his address is printed
    ]
    assert [m.kind for m in letter.letterhead[0].members] == ["organisation", "contact"]


def test_a_structured_letterhead_reads_as_sections_with_its_issuer() -> None:
    letter = _placement("society-3.xml")
    assert [(s.title, s.issuer, s.printed) for s in letter.letterhead] == [
        ("Council", "org.sab", False),
        ("Society for Alpine Botany", "org.sab", False),
    ]
    council = letter.letterhead[0].members
    assert [(m.name, m.role) for m in council] == [
        ("Ada Hale", "President"),
        ("Jon Moser", "Secretary"),
        ("Eva Lind", "Treasurer"),
    ]


def test_dump_gains_issuer_and_printed_and_keeps_every_key() -> None:
    data = letter_to_json(_placement("margin-note.xml"))
    (section,) = data["letterhead"]
    assert set(section) == {"title", "members", "issuer", "printed", "block"}
    assert (section["issuer"], section["printed"]) == ("org.harbour", True)
    assert set(section["members"][0]) == {"name", "kind", "entities", "role", "affiliation"}


@pytest.mark.slow
def test_the_placement_letters_are_valid_tei(tei_schema: etree.RelaxNG) -> None:
    paths = sorted(require(PLACEMENTS).glob("*.xml"))
    assert len(paths) == 8
    for path in paths:
        ok = tei_schema.validate(etree.parse(str(path)))
        errors = "\n".join(f"  line {e.line}: {e.message}" for e in tei_schema.error_log)
        assert ok, f"{path.name} is not valid TEI (tei_all.rng):\n{errors}"


def test_columns_of_a_printed_letterhead_are_lines_in_the_letter_text() -> None:
    letter = read(
        '<div><opener><seg type="letterhead"><seg rend="left">Acme Society</seg>'
        '<seg rend="right">Wien, den</seg></seg></opener><p>Text.</p></div>'
    )
    assert letter.text.startswith("Acme Society\nWien, den\n\nText.")
    assert [m.name for m in letter.letterhead[0].members] == ["Acme Society", "Wien, den"]


def test_check_warns_of_a_letterhead_that_yields_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_parser_rules import letter_xml

    from viewer import cli

    path = tmp_path / "empty-letterhead.xml"
    path.write_text(letter_xml('<div><fw type="letterhead"/><p>Text.</p></div>'), "utf-8")
    assert cli.main(["--check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "warning: empty-letterhead" in out
