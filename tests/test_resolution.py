"""Reference resolution and register discovery, over inline letters and temporary registers.

The layouts imitate the real editions: registers beside the letter, in a
sibling folder found by walking up (``register/personen/A.xml`` beside
``briefe/``), and in a folder the user picked. Reference forms are a table.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from viewer.model import Letter
from viewer.tei import read_letter
from viewer.tei.catalog import RegisterCatalog
from viewer.tei.classify import classify

TEI = "http://www.tei-c.org/ns/1.0"
HEADER = (
    "<teiHeader><fileDesc><titleStmt><title>T</title></titleStmt><publicationStmt><p/>"
    "</publicationStmt><sourceDesc><p/></sourceDesc></fileDesc></teiHeader>"
)


def letter_xml(body: str, back: str = "") -> str:
    return f'<TEI xmlns="{TEI}">{HEADER}<text><body>{body}</body><back>{back}</back></text></TEI>'


def register_xml(entries: str, wrapper: str = "listPerson") -> str:
    return (
        f'<TEI xmlns="{TEI}">{HEADER}<text><body><{wrapper}>{entries}</{wrapper}>'
        "</body></text></TEI>"
    )


PERSONS = register_xml(
    '<person xml:id="JP-000001" n="Escher (vom Glas) Alfred">'
    '<persName type="reg"><surname>Escher</surname><forename>Alfred</forename></persName>'
    '<idno type="gnd">118531379</idno></person>'
    '<person xml:id="JP-000002"><persName>Oswald Heer</persName>'
    "<idno>https://www.wikidata.org/wiki/Q123</idno></person>"
    '<person xml:id="shared"><persName>From the register</persName></person>'
)
PLACES = register_xml(
    '<place xml:id="zh" n="Zürich (Stadt)"><placeName>Zürich</placeName></place>', "listPlace"
)
LOCAL_BACK = (
    '<listPerson><person xml:id="local1"><persName>Local One</persName></person>'
    '<person xml:id="shared"><persName>From the letter</persName></person></listPerson>'
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def edition(tmp_path: Path) -> Path:
    """An edition laid out like Jean Paul: briefe/<group>/<volume>/ and register/<kind>/."""
    root = tmp_path / "edition"
    write(root / "register" / "personen" / "A.xml", PERSONS)
    write(root / "register" / "orte" / "Z.xml", PLACES)
    write(root / "briefe" / "anbriefe" / "I" / "other.xml", letter_xml("<p>Other letter</p>"))
    return root


def open_in(edition: Path, body: str, catalog: RegisterCatalog | None = None) -> Letter:
    path = write(
        edition / "briefe" / "vonbriefe" / "I" / "letter.xml", letter_xml(body, LOCAL_BACK)
    )
    catalog = catalog or RegisterCatalog()
    return read_letter(path, registers=catalog.for_letter(path))


REFERENCES = [
    ('<persName ref="#local1">x</persName>', ("local1",), ()),
    ('<persName ref="local1">x</persName>', ("local1",), ()),
    ('<persName ref="#JP-000001">x</persName>', ("JP-000001",), ()),
    ('<persName ref="JP-000001">x</persName>', ("JP-000001",), ()),
    ('<persName ref="A.xml#JP-000001">x</persName>', ("JP-000001",), ()),
    ('<persName ref="../register/personen/A.xml#JP-000002">x</persName>', ("JP-000002",), ()),
    ('<persName ref="https://d-nb.info/gnd/118531379">x</persName>', ("JP-000001",), ()),
    ('<persName ref="http://www.wikidata.org/wiki/Q123/">x</persName>', ("JP-000002",), ()),
    ('<persName ref="https://example.org/people.xml#JP-000002">x</persName>', ("JP-000002",), ()),
    ('<persName ref="psn:JP-000002">x</persName>', ("JP-000002",), ()),
    ('<rs type="person" ref="#local1 #JP-000002">x</rs>', ("local1", "JP-000002"), ()),
    ('<rs type="person" ref="#local1 #missing">x</rs>', ("local1",), ("#missing",)),
    ('<persName key="JP-000001">x</persName>', ("JP-000001",), ()),
    ('<persName key="Escher (vom Glas) Alfred">x</persName>', ("JP-000001",), ()),
    ('<placeName key="Zürich (Stadt)">x</placeName>', ("zh",), ()),
    ('<persName key="Nobody (anywhere)">x</persName>', (), ("Nobody (anywhere)",)),
    ('<persName corresp="#JP-000002">x</persName>', ("JP-000002",), ()),
    ('<persName ref="#shared">x</persName>', ("shared",), ()),
    ('<persName sameAs="https://viaf.org/viaf/1">x</persName>', (), ()),
]


@pytest.mark.slow
@pytest.mark.parametrize(("fragment", "entities", "unresolved"), REFERENCES)
def test_reference_forms(
    edition: Path, fragment: str, entities: tuple[str, ...], unresolved: tuple[str, ...]
) -> None:
    letter = open_in(edition, f"<p>{fragment}</p>")
    (mention,) = letter.mentions
    assert mention.entities == entities
    assert mention.unresolved == unresolved


def test_the_letters_own_entry_wins_over_a_register_file(edition: Path) -> None:
    letter = open_in(edition, '<p><persName ref="#shared">x</persName></p>')
    entity = letter.entity("shared")
    assert entity is not None and entity.name == "From the letter" and entity.source is None


def test_entities_carry_their_register_file(edition: Path) -> None:
    letter = open_in(edition, '<p><persName key="JP-000001">x</persName></p>')
    entity = letter.entity("JP-000001")
    assert entity is not None
    assert entity.name == "Alfred Escher"  # surname/forename read in reading order
    assert Path(entity.source) == (edition / "register" / "personen" / "A.xml").resolve()
    assert "https://d-nb.info/gnd/118531379" in entity.authority


def test_unresolved_references_never_block_opening(edition: Path) -> None:
    letter = open_in(edition, '<p><persName ref="#nobody">Nobody</persName> wrote.</p>')
    assert letter.text == "Nobody wrote."
    (diagnostic,) = [d for d in letter.diagnostics if d.code == "dangling-ref"]
    assert diagnostic.severity == "warning"
    assert "'#nobody'" in diagnostic.message and "2 register files" in diagnostic.message


# ------------------------------------------------------------- discovery


def test_registers_beside_the_letter(tmp_path: Path) -> None:
    write(tmp_path / "people.xml", PERSONS)
    write(tmp_path / "elsewhere" / "places.xml", PLACES)  # not looked at: the nearest win
    letter_path = write(
        tmp_path / "letter.xml", letter_xml('<p><persName ref="#JP-000002">H</persName></p>')
    )
    catalog = RegisterCatalog()
    assert catalog.discover(letter_path) == [(tmp_path / "people.xml").resolve()]
    letter = read_letter(letter_path, registers=catalog.for_letter(letter_path))
    assert letter.mentions[0].entities == ("JP-000002",)


def test_a_linked_letter_or_folder_finds_the_registers_beside_its_target(tmp_path: Path) -> None:
    # The catalog resolves a letter's folder once for all its letters: a letter that is
    # itself a link still finds the registers beside the file it points to.
    (tmp_path / ".git").mkdir()  # the walk up stops here, not in other tests' folders
    write(tmp_path / "edition" / "people.xml", PERSONS)
    target = write(tmp_path / "edition" / "letter.xml", letter_xml("<p>x</p>"))
    (tmp_path / "links").mkdir()
    write(tmp_path / "links" / "plain.xml", letter_xml("<p>y</p>"))
    (tmp_path / "links" / "linked.xml").symlink_to(target)
    (tmp_path / "folder").symlink_to(tmp_path / "edition")
    catalog = RegisterCatalog()
    people = (tmp_path / "edition" / "people.xml").resolve()
    assert catalog.discover(tmp_path / "links" / "plain.xml") == []
    assert catalog.discover(tmp_path / "links" / "linked.xml") == [people]
    assert catalog.discover(tmp_path / "folder" / "letter.xml") == [people]
    assert catalog.discover(tmp_path / "folder" / "people.xml") == []


def test_registers_found_walking_up_to_a_sibling_folder(edition: Path) -> None:
    letter_path = edition / "briefe" / "vonbriefe" / "I" / "letter.xml"
    write(letter_path, letter_xml("<p>x</p>"))
    found = RegisterCatalog().discover(letter_path)
    assert sorted(p.name for p in found) == ["A.xml", "Z.xml"]


def test_a_discovery_handed_to_another_catalog_is_taken_as_found(edition: Path) -> None:
    # Indexing discovers once in the parent and seeds each worker process's catalog.
    letter_path = edition / "briefe" / "vonbriefe" / "I" / "letter.xml"
    write(letter_path, letter_xml("<p>x</p>"))
    found = RegisterCatalog().discover(letter_path)
    discovered = RegisterCatalog().discover_folders([str(letter_path.parent)])
    worker = RegisterCatalog()
    worker.seed(discovered)
    assert worker.discover(letter_path) == found
    assert worker.parse_count == 0  # no walk, no scan: nothing parsed to tell a register
    assert worker.for_letter(letter_path).files == [str(p) for p in found]


def test_sibling_folders_holding_letters_are_not_register_folders(tmp_path: Path) -> None:
    # corpus/editionA/letters/x.xml must not pick up corpus/editionB/registers.
    corpus = tmp_path / "x" / "corpus"
    write(corpus / "b" / "register" / "people.xml", PERSONS)
    write(corpus / "b" / "letters" / "y.xml", letter_xml("<p>B</p>"))
    letter_path = write(corpus / "a" / "letters" / "x.xml", letter_xml("<p>A</p>"))
    assert RegisterCatalog().discover(letter_path) == []


def test_a_sibling_folder_of_letters_without_markup_is_not_a_register_folder(
    tmp_path: Path,
) -> None:
    # Letters with neither correspDesc nor opener are told apart by parsing them.
    root = tmp_path / "a" / "b"
    write(root / "ed" / "drafts" / "d1.xml", letter_xml("<p>A draft</p>"))
    write(root / "indices" / "register.xml", PERSONS)
    letter_path = write(root / "ed" / "letters" / "x.xml", letter_xml("<p>A</p>"))
    found = RegisterCatalog().discover(letter_path)
    assert [p.name for p in found] == ["register.xml"]


def test_a_user_picked_folder(tmp_path: Path) -> None:
    picked = tmp_path / "elsewhere" / "indices"
    write(picked / "persons.xml", PERSONS)
    # Deep enough that walking up from the letter never reaches "elsewhere".
    letter_path = write(
        tmp_path / "a" / "b" / "c" / "letters" / "x.xml",
        letter_xml('<p><persName ref="#JP-000001">E</persName></p>'),
    )
    assert RegisterCatalog().discover(letter_path) == []
    catalog = RegisterCatalog(extra_folders=[picked])
    letter = read_letter(letter_path, registers=catalog.for_letter(letter_path))
    assert letter.mentions[0].entities == ("JP-000001",)
    later = RegisterCatalog()
    later.add_folder(picked)
    assert [p.name for p in later.discover(letter_path)] == ["persons.xml"]


def test_each_register_file_is_parsed_once_per_session(edition: Path) -> None:
    catalog = RegisterCatalog()
    first = open_in(edition, '<p><persName ref="#JP-000001">x</persName></p>', catalog)
    parsed = catalog.parse_count
    assert parsed >= 2  # both registers (and the marker-less letters it had to look into)
    second_path = write(
        edition / "briefe" / "anbriefe" / "I" / "two.xml",
        letter_xml('<p><placeName key="Zürich (Stadt)">Z</placeName></p>'),
    )
    second = read_letter(second_path, registers=catalog.for_letter(second_path))
    third = open_in(edition, '<p><persName ref="#JP-000002">y</persName></p>', catalog)
    # Another letter's own file is new; no register file is parsed again.
    assert catalog.parse_count == parsed + 1
    assert first.mentions[0].entities == ("JP-000001",)
    assert second.mentions[0].entities == ("zh",)
    assert third.mentions[0].entities == ("JP-000002",)


def test_a_changed_register_file_is_parsed_again(edition: Path) -> None:
    catalog = RegisterCatalog()
    open_in(edition, "<p>x</p>", catalog)
    register = edition / "register" / "orte" / "Z.xml"
    write(register, PLACES.replace("Zürich</placeName>", "Zurich</placeName>"))
    os.utime(register, ns=(1, 1))
    before = catalog.parse_count
    letter = open_in(edition, '<p><placeName ref="#zh">Z</placeName></p>', catalog)
    assert catalog.parse_count == before + 1
    entity = letter.entity("zh")
    assert entity is not None and entity.name == "Zurich"


def test_a_broken_register_file_is_reported_and_the_letter_still_opens(edition: Path) -> None:
    write(edition / "register" / "personen" / "B.xml", register_xml("<person xml:id='b'>"))
    letter = open_in(edition, '<p><persName ref="#JP-000001">x</persName> ok</p>')
    assert letter.text == "x ok"
    assert letter.mentions[0].entities == ("JP-000001",)
    problems = [d for d in letter.diagnostics if d.code == "register-unreadable"]
    assert len(problems) == 1 and "B.xml" in problems[0].message
    assert problems[0].severity == "warning"


# ---------------------------------------------------------- classification

CLASSIFY = [
    ("letter.xml", letter_xml("<p>Hallo</p>"), "letter"),
    (
        "no-markers.xml",
        f'<TEI xmlns="{TEI}">{HEADER}<text><body><p>x</p></body></text></TEI>',
        "letter",
    ),
    ("persons.xml", PERSONS, "register"),
    (
        "standoff.xml",
        f'<TEI xmlns="{TEI}">{HEADER}<standOff><listPlace><place xml:id="p">'
        "<placeName>P</placeName></place></listPlace></standOff></TEI>",
        "register",
    ),
    (
        "topics.xml",
        register_xml('<item xml:id="t1"><label>Topic</label></item>', "list"),
        "register",
    ),
    ("mapping.xml", '<mappingtable><doc image="a.jpg"/></mappingtable>', "other"),
    ("other-ns.xml", '<TEI xmlns="http://example.org/"><text/></TEI>', "other"),
    ("broken.xml", f'<TEI xmlns="{TEI}"><text>', "other"),
    ("empty.xml", "", "other"),
    ("bom-letter.xml", "\ufeff" + letter_xml("<opener><salute>Dear</salute></opener>"), "letter"),
]


@pytest.mark.parametrize(("name", "content", "kind"), CLASSIFY)
def test_classify(tmp_path: Path, name: str, content: str, kind: str) -> None:
    assert classify(write(tmp_path / name, content)) == kind


# -------------------------------------------------- registers inside the letter

LOCAL_PLACES = [
    (
        "particDesc",
        "<teiHeader><fileDesc><titleStmt><title>T</title></titleStmt><publicationStmt><p/>"
        "</publicationStmt><sourceDesc><p/></sourceDesc></fileDesc><profileDesc><particDesc>"
        '<listPerson><person xml:id="e1"><persName>In particDesc</persName></person>'
        "</listPerson></particDesc></profileDesc></teiHeader>",
        "",
        "",
    ),
    (
        "settingDesc",
        "<teiHeader><fileDesc><titleStmt><title>T</title></titleStmt><publicationStmt><p/>"
        "</publicationStmt><sourceDesc><p/></sourceDesc></fileDesc><profileDesc><settingDesc>"
        '<listPlace><place xml:id="e1"><placeName>In settingDesc</placeName></place>'
        "</listPlace></settingDesc></profileDesc></teiHeader>",
        "",
        "",
    ),
    (
        "sourceDesc",
        "<teiHeader><fileDesc><titleStmt><title>T</title></titleStmt><publicationStmt><p/>"
        "</publicationStmt><sourceDesc><listPerson><person xml:id='e1'><persName>In "
        "sourceDesc</persName></person></listPerson></sourceDesc></fileDesc></teiHeader>",
        "",
        "",
    ),
    (
        "standOff",
        HEADER,
        '<standOff><listOrg><org xml:id="e1"><orgName>In standOff</orgName></org></listOrg>'
        "</standOff>",
        "",
    ),
    (
        "back",
        HEADER,
        "",
        '<back><div><listBibl><bibl xml:id="e1"><title>In back</title></bibl></listBibl></div>'
        "</back>",
    ),
]


@pytest.mark.parametrize(("where", "header", "standoff", "back"), LOCAL_PLACES)
def test_registers_inside_the_letter(where: str, header: str, standoff: str, back: str) -> None:
    xml = (
        f'<TEI xmlns="{TEI}">{header}{standoff}<text><body><p><rs ref="#e1">it</rs></p></body>'
        f"{back}</text></TEI>"
    )
    letter = read_letter("inline.xml", data=xml.encode())
    (mention,) = letter.mentions
    assert mention.entities == ("e1",)
    entity = letter.entity("e1")
    assert entity is not None and entity.name == f"In {where}" and entity.source is None


# ------------------------------------------------------------ one sniffer


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (b'<?xml version="1.0"?>\n<!-- c --><TEI xmlns="x">', b"TEI"),
        (b"\xef\xbb\xbf<tei:TEI xmlns:tei='x'>", b"TEI"),
        ('<?xml version="1.0" encoding="UTF-16"?><teiCorpus>'.encode("utf-16"), b"teiCorpus"),
        (b'<!DOCTYPE map [<!ENTITY a "b">]><map><area/></map>', b"map"),
        (b"plain text, no element", None),
        (b"", None),
    ],
)
def test_root_name_skips_the_prolog(head: bytes, name: bytes | None) -> None:
    from viewer.tei.classify import root_name

    assert root_name(head) == name


def test_broken_reason_tells_bad_files_and_skips_other_xml(tmp_path: Path) -> None:
    from viewer.tei.classify import broken_reason

    assert broken_reason(write(tmp_path / "map.xml", "<map><area/></map>")) is None
    assert broken_reason(write(tmp_path / "ok.xml", letter_xml("<p>Hallo</p>"))) is None
    empty = write(tmp_path / "empty.xml", "")
    assert broken_reason(empty)
    cut = write(tmp_path / "cut.xml", letter_xml("<p>Hallo</p>")[:-20])
    assert "well-formed" in broken_reason(cut)
    binary = tmp_path / "binary.xml"
    binary.write_bytes(b"\x00\x01\x02\xff" * 100)
    assert broken_reason(binary)
