"""The extractor's byte checks (why a letter goes to the full reader) against plain scans."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from hostile.hostile_support import tei
from test_extract import assert_agrees

from viewer.collection import _index_one
from viewer.tei.catalog import RegisterCatalog
from viewer.tei.extract import _has_character_reference, extract_file


@pytest.fixture(autouse=True)
def _bounded(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # register discovery stops here


def test_character_references_are_found_as_a_scan_finds_them() -> None:
    rng = random.Random(7)
    pieces = [b"&", b"#", b"&#", b"&amp;", b"x", b"#x", b"\xef\xb7\x90", b"<p>"]
    for _ in range(20_000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert _has_character_reference(data) is (b"&#" in data), data
    many = b"&amp; " * 200
    assert not _has_character_reference(many)
    assert _has_character_reference(many + b"&#xFDD0;")
    assert _has_character_reference(b"&#")
    assert not _has_character_reference(b"x&")


# Noncharacters (the extractor's own marks) and DTDs send a letter to the full reader,
# however far into the file they come and whatever comes before them.
ODD = {
    "reference-after-many-ampersands": "&amp; " * 100 + "a&#xFDD0;b",
    "decimal-reference": "&lt;x&gt; a&#64976;b",
    "literal-noncharacter": "a\ufdd5b",
    "other-ef-bytes": "a\ufffdb\uf8ffc",
    "ampersands-only": "&amp; " * 100 + "plain",
}


@pytest.mark.parametrize("name", sorted(ODD))
def test_letters_with_marks_go_where_they_should(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.xml"
    path.write_bytes(tei(ODD[name]))
    catalog = RegisterCatalog()
    stats: Counter = Counter()
    fast = extract_file(str(path), catalog, "normalised", stats)
    assert_agrees(_index_one(str(path), catalog, "normalised"), fast)
    marks = name in ("reference-after-many-ampersands", "decimal-reference", "literal-noncharacter")
    assert stats == Counter({"noncharacters in the text" if marks else "fast": 1})


@pytest.mark.parametrize("padding", [0, 70_000])
def test_a_document_type_declaration_goes_to_the_full_reader(padding: int, tmp_path: Path):
    # Past the sniffed head too: a long comment in the prolog pushes the declaration
    # beyond the first 64 KB.
    path = tmp_path / "dtd.xml"
    prolog = "<!--" + "x" * padding + '-->\n<!DOCTYPE TEI [<!ENTITY who "Anna">]>'
    path.write_bytes(tei("von &who;", prolog=prolog))
    catalog = RegisterCatalog()
    stats: Counter = Counter()
    fast = extract_file(str(path), catalog, "normalised", stats)
    assert_agrees(_index_one(str(path), catalog, "normalised"), fast)
    assert stats == Counter({"document type declaration": 1})


# The letter's own entries are found by tags in any namespace: entries in another
# namespace must stay out, and letters without a namespace must keep theirs.
def _letter_with_entries(namespace: str, back: str) -> bytes:
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return (
        f'<TEI{xmlns} xmlns:x="urn:other"><teiHeader><fileDesc><titleStmt><title>T</title>'
        "</titleStmt></fileDesc></teiHeader><text><body><p>"
        '<persName ref="#a">Anna</persName> <persName ref="#f">Fremd</persName> '
        '<placeName ref="#w">Wien</placeName></p>'
        f"</body><back>{back}</back></text></TEI>"
    ).encode()


BACKS = {
    "plain": '<listPerson><person xml:id="a"><persName>Anna Weber</persName></person>'
    '</listPerson><listPlace><place xml:id="w"><placeName>Wien</placeName></place></listPlace>',
    "foreign-entries": '<listPerson><x:person xml:id="a"><persName>Anna X</persName></x:person>'
    '<person xml:id="f"><persName>Fremd</persName></person><x:listPerson><person xml:id="w">'
    "<persName>Wien als Person</persName></person></x:listPerson></listPerson>",
    "foreign-list": '<x:listPlace><place xml:id="w"><placeName>Wien</placeName></place>'
    '</x:listPlace><listPerson><person xml:id="a"><x:persName>X</x:persName><persName>Anna'
    "</persName></person></listPerson>",
}


@pytest.mark.parametrize("namespace", ["http://www.tei-c.org/ns/1.0", ""])
@pytest.mark.parametrize("back", sorted(BACKS))
def test_own_entries_in_any_namespace_read_as_the_full_reader(namespace, back, tmp_path):
    path = tmp_path / "letter.xml"
    path.write_bytes(_letter_with_entries(namespace, BACKS[back]))
    catalog = RegisterCatalog()
    stats: Counter = Counter()
    fast = extract_file(str(path), catalog, "normalised", stats)
    full = _index_one(str(path), catalog, "normalised")
    assert full["kind"] == "letter"
    assert_agrees(full, fast)
    assert stats["fast"] == 1
