"""The shipped TEI letters follow letters/README.md; the ICBL letter is complete and correct.

Pure lxml: neither Qt nor the project's parser is involved, so these tests pin the data
itself. The generic checks run on every ``letters/*.xml``; the rest is about
``icbl-2007-07-24-anama.xml`` and compares it with the plain-text conversion it was
transcribed from (``tests/data/seeds/000_b3c1be322d3bb4ea.txt``).
"""

from __future__ import annotations

import copy
import difflib
import re
from pathlib import Path

import pytest
from lxml import etree
from testdata import ICBL_SEED, require

pytestmark = pytest.mark.corpus

REPO = Path(__file__).resolve().parent.parent
LETTERS_DIR = REPO / "letters"
LETTERS = sorted(LETTERS_DIR.glob("*.xml"))
ICBL = LETTERS_DIR / "icbl-2007-07-24-anama.xml"
SEED = ICBL_SEED

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
NS = {"t": TEI_NS}

# The conversion ends with a describer's note on the signature image; the encoding has
# its own wording for it in figure/figDesc, which the word comparison leaves out.
SEED_SIGNATURE_NOTE = (
    "A handwritten signature in black ink, appearing to read 'Jody Williams', "
    "with a stylized, cursive script."
)

# Diplomatic reading: the original's side of a choice (sic, orig, abbr) is read, the
# editor's side (corr, reg, expan) and descriptions of images are not.
EDITORIAL = {"corr", "reg", "expan", "figDesc"}
# Elements that end a line or a block: their edges separate words.
BREAKS = {
    "lb", "pb", "cb", "p", "ab", "div", "list", "item", "head", "address", "addrLine",
    "opener", "closer", "salute", "dateline", "signed", "figure", "label", "note",
}  # fmt: skip
MENTIONS = ("persName", "orgName", "placeName", "rs")

# Letterhead sections in printed order: (normalised title, number of members).
SECTIONS = [
    ("Staff", 6),
    ("ICBL Ambassadors", 5),
    ("Advisory Board", 21),
    ("Diplomatic Advisor", 1),
    ("Management Committee", 5),
]


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


def tei(el: etree._Element, path: str) -> list[etree._Element]:
    return el.xpath(path, namespaces=NS)


def parse(path: Path) -> etree._ElementTree:
    return etree.parse(str(path))


def reading(el: etree._Element, skip: set[str] = EDITORIAL) -> str:
    """The text of ``el`` with ``skip`` elements left out and breaks as spaces."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if not isinstance(node.tag, str):  # comment or processing instruction
            parts.append(node.tail or "")
            return
        name = local(node)
        brk = " " if name in BREAKS else ""
        parts.append(brk)
        if name not in skip:
            parts.append(node.text or "")
            for child in node:
                walk(child)
        parts.append(brk)
        parts.append(node.tail or "")

    parts.append(el.text or "")
    for child in el:
        walk(child)
    return " ".join("".join(parts).split())


def normalised(el: etree._Element) -> str:
    """The editor's reading (corr, reg, expan instead of sic, orig, abbr)."""
    return reading(el, skip={"sic", "orig", "abbr", "figDesc"})


def ref_ids(el: etree._Element) -> list[str]:
    return [tok[1:] for tok in (el.get("ref") or "").split() if tok.startswith("#")]


def text_el(doc: etree._ElementTree) -> etree._Element:
    (text,) = tei(doc.getroot(), "t:text")
    return text


def register(doc: etree._ElementTree) -> dict[str, etree._Element]:
    entries = tei(
        doc.getroot(),
        "t:standOff//*[self::t:person or self::t:org or self::t:place or self::t:bibl"
        " or self::t:event or self::t:object][@xml:id]",
    )
    return {e.get(XML_ID): e for e in entries}


def seed_words() -> list[str]:
    text = require(SEED).read_text(encoding="utf-8")
    assert SEED_SIGNATURE_NOTE in text, "the seed's signature note changed; update the test"
    text = text.replace(SEED_SIGNATURE_NOTE, " ")
    text = re.sub(r"\[([^\]]*)\]\(mailto:[^)]*\)", r"\1", text)
    text = text.replace("**", "")
    return text.split()


def word_mismatches(expected: list[str], actual: list[str]) -> list[str]:
    matcher = difflib.SequenceMatcher(a=expected, b=actual, autojunk=False)
    problems = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op != "equal":
            context = " ".join(expected[max(0, a1 - 5) : a1])
            problems.append(
                f"{op} after '…{context}': seed {expected[a1:a2]!r}, encoding {actual[b1:b2]!r}"
            )
    return problems


@pytest.fixture(scope="module")
def icbl() -> etree._ElementTree:
    return parse(ICBL)


@pytest.fixture(scope="module")
def letterhead(icbl: etree._ElementTree) -> etree._Element:
    found = tei(text_el(icbl), ".//*[@type='letterhead']")
    assert len(found) == 1, f"expected one element with type='letterhead', found {len(found)}"
    return found[0]


# ------------------------------------------------------------------ every shipped letter


def test_letters_are_shipped() -> None:
    assert ICBL in LETTERS


@pytest.mark.slow
@pytest.mark.parametrize("path", LETTERS, ids=lambda p: p.name)
def test_letter_validates_against_tei_all(path: Path, tei_schema: etree.RelaxNG) -> None:
    ok = tei_schema.validate(parse(path))
    errors = "\n".join(f"  line {e.line}: {e.message}" for e in tei_schema.error_log)
    assert ok, f"{path.name} is not valid TEI (tei_all.rng):\n{errors}"


@pytest.mark.parametrize("path", LETTERS, ids=lambda p: p.name)
def test_every_local_ref_resolves(path: Path) -> None:
    doc = parse(path)
    ids = set(doc.getroot().xpath("//@xml:id"))
    dangling = sorted(
        {(local(el), i) for el in doc.iter("{*}*") for i in ref_ids(el) if i not in ids}
    )
    assert not dangling, f"@ref pointing nowhere: {dangling}"


@pytest.mark.parametrize("path", LETTERS, ids=lambda p: p.name)
def test_every_register_entry_is_mentioned_in_the_text(path: Path) -> None:
    doc = parse(path)
    entries = register(doc)
    assert entries, "the letter has no entity register in standOff"
    used = {i for el in text_el(doc).iter("{*}*") for i in ref_ids(el)}
    assert not sorted(set(entries) - used), "register entries never mentioned in <text>"


@pytest.mark.parametrize("path", LETTERS, ids=lambda p: p.name)
def test_register_entries_have_a_normalised_name_first(path: Path) -> None:
    bad = []
    for entry_id, entry in register(parse(path)).items():
        names = [c for c in entry if local(c) in ("persName", "orgName", "placeName", "title")]
        if not names or names[0].get("type") not in (None, "reg") or not reading(names[0]):
            bad.append(entry_id)
        bad += [entry_id for n in names[1:] if n.get("type") != "variant"]
    assert not bad, f"entries without a leading normalised name or with untyped variants: {bad}"


@pytest.mark.parametrize("path", LETTERS, ids=lambda p: p.name)
def test_one_entry_per_name(path: Path) -> None:
    """No name form is listed by two entries of the same kind (duplicate entries)."""
    seen: dict[tuple[str, str], str] = {}
    clashes = []
    for entry_id, entry in register(parse(path)).items():
        for name in entry:
            if local(name) in ("persName", "orgName", "placeName", "title"):
                key = (local(entry), reading(name).casefold())
                if key in seen and seen[key] != entry_id:
                    clashes.append((seen[key], entry_id, key[1]))
                seen.setdefault(key, entry_id)
    assert not clashes, f"entries sharing a name: {clashes}"


@pytest.mark.parametrize("path", LETTERS, ids=lambda p: p.name)
def test_mentions_point_to_an_entry_and_dates_carry_a_value(path: Path) -> None:
    text = text_el(parse(path))
    unlinked = [
        (local(el), reading(el), el.sourceline)
        for el in text.iter(*(f"{{{TEI_NS}}}{m}" for m in MENTIONS))
        if not ref_ids(el)
    ]
    assert not unlinked, f"mentions without @ref: {unlinked}"
    undated = [
        (reading(d), d.sourceline)
        for d in text.iter(f"{{{TEI_NS}}}date")
        if not (d.get("when") or d.get("from") or d.get("notBefore") or d.get("notAfter"))
    ]
    assert not undated, f"dates without a machine-readable value: {undated}"


@pytest.mark.parametrize("path", LETTERS, ids=lambda p: p.name)
def test_a_name_form_always_points_to_the_same_entry(path: Path) -> None:
    targets: dict[str, set[str]] = {}
    for el in text_el(parse(path)).iter(*(f"{{{TEI_NS}}}{m}" for m in MENTIONS)):
        targets.setdefault(reading(el), set()).update(ref_ids(el))
    ambiguous = {name: ids for name, ids in targets.items() if len(ids) > 1}
    assert not ambiguous, f"one name, several entries: {ambiguous}"


# ------------------------------------------------------------------------ the ICBL letter


def icbl_words(doc: etree._ElementTree) -> list[str]:
    return reading(text_el(doc)).split()


def test_every_word_of_the_seed_in_order(icbl: etree._ElementTree) -> None:
    problems = word_mismatches(seed_words(), icbl_words(icbl))
    assert not problems, "encoding and seed text differ:\n" + "\n".join(problems)


def test_word_check_notices_a_dropped_word(icbl: etree._ElementTree) -> None:
    doc = copy.deepcopy(icbl)
    first_p = tei(text_el(doc), ".//t:p")[0]
    assert first_p.text.startswith("I thank you")
    first_p.text = first_p.text.replace("thank ", "", 1)
    assert word_mismatches(seed_words(), icbl_words(doc))


def test_word_check_notices_a_dropped_letterhead_member(icbl: etree._ElementTree) -> None:
    doc = copy.deepcopy(icbl)
    (item,) = tei(text_el(doc), ".//t:item[t:orgName[@ref='#org.hi']]")
    item.getparent().remove(item)
    assert word_mismatches(seed_words(), icbl_words(doc))


def test_page_breaks_and_the_correction(icbl: etree._ElementTree) -> None:
    text = text_el(icbl)
    assert [pb.get("n") for pb in tei(text, ".//t:pb")] == ["1", "2"]
    (choice,) = tei(text, ".//t:placeName[@ref='#place.nagorno-karabakh']/t:choice")
    assert reading(choice) == "Nargorno-Karabakh"
    assert normalised(choice) == "Nagorno-Karabakh"
    # The letterhead sits on page 1, before the page-2 text.
    (pb2,) = tei(text, ".//t:pb[@n='2']")
    assert reading(pb2.getnext()).startswith("The Republic of Azerbaijan")
    assert local(pb2.getprevious()) == "ab" and pb2.getprevious().get("type") == "letterhead"


def test_signature_figure_and_signed(icbl: etree._ElementTree) -> None:
    (closer,) = tei(text_el(icbl), ".//t:closer")
    (figure,) = tei(closer, "t:figure[@type='signature']")
    assert reading(tei(figure, "t:figDesc")[0], skip=set())
    (signed,) = tei(closer, "t:signed")
    assert reading(signed) == "Jody Williams Nobel Peace Laureate"
    assert ref_ids(tei(signed, "t:persName")[0]) == ["pers.williams.jody"]


def test_correspondence_description(icbl: etree._ElementTree) -> None:
    root = icbl.getroot()
    (sent,) = tei(root, "//t:correspDesc/t:correspAction[@type='sent']")
    (received,) = tei(root, "//t:correspDesc/t:correspAction[@type='received']")

    def refs(action: etree._Element, name: str) -> list[str]:
        return [i for el in tei(action, f"t:{name}") for i in ref_ids(el)]

    assert refs(sent, "persName") == ["pers.williams.jody"]
    assert refs(sent, "orgName") == ["org.icbl"]
    assert refs(sent, "placeName") == ["place.geneva"]
    assert [d.get("when") for d in tei(sent, "t:date")] == ["2007-07-24"]
    assert refs(received, "persName") == ["pers.ismaylov.nazym"]
    assert refs(received, "orgName") == ["org.anama"]
    assert refs(received, "placeName") == ["place.baku"]


def section_title(section: etree._Element) -> str:
    heads = tei(section, "t:head")
    return normalised(heads[0]) if heads else section.get("n", "")


def member_name(item: etree._Element) -> etree._Element | None:
    names = tei(
        item,
        ".//*[(self::t:persName or self::t:orgName) and not(ancestor::t:affiliation)"
        " and not(@type='affiliation')]",
    )
    return names[0] if names else None


def test_letterhead_sections(letterhead: etree._Element) -> None:
    sections = tei(letterhead, "t:list")
    assert [section_title(s) for s in sections] == [
        *(title for title, _ in SECTIONS),
        "International Campaign to Ban Landmines",
    ]
    assert [len(tei(s, "t:item")) for s in sections[:-1]] == [n for _, n in SECTIONS]
    assert not tei(sections[0], "t:head"), "the staff list has no printed heading"
    assert reading(tei(sections[1], "t:head")[0]) == "ICBL AMBASSADORS"


def test_letterhead_members_name_an_entity(letterhead: etree._Element) -> None:
    for section in tei(letterhead, "t:list")[:-1]:
        for item in tei(section, "t:item"):
            name = member_name(item)
            assert name is not None and ref_ids(name), f"unlinked member: {reading(item)!r}"
    board = tei(letterhead, "t:list")[2]
    refs = [ref_ids(member_name(item))[0] for item in tei(board, "t:item")]
    assert len(set(refs)) == 21
    (dca,) = [item for item in tei(board, "t:item") if "Dan Church Aid" in reading(item)]
    assert [ref_ids(o)[0] for o in tei(dca, "t:orgName")] == ["org.dca", "org.lwf"]


def test_letterhead_roles_and_affiliations(letterhead: etree._Element) -> None:
    staff, ambassadors, _, advisor, committee = tei(letterhead, "t:list")[:5]
    assert [reading(r) for r in tei(staff, "t:item/t:roleName")] == [
        "Executive Director",
        "Advocacy Director",
        "Advocacy and Campaigning Officer",
        "Treaty Implementation Director",
        "Administrative Assistant",
        "Finance Manager",
    ]
    assert [reading(r) for r in tei(ambassadors, ".//t:roleName")] == ["Youth"]
    assert [reading(r) for r in tei(advisor, ".//t:roleName")] == ["Ambassador"]
    affiliations = [
        [i for org in tei(item, "t:affiliation/t:orgName") for i in ref_ids(org)]
        for item in tei(committee, "t:item")
    ]
    assert affiliations == [
        ["org.lrc-lebanon"],
        [],
        ["org.hrw"],
        ["org.mac"],
        ["org.protection-egypt"],
    ]
    assert [reading(r) for r in tei(committee, "t:item/t:roleName")] == ["Former ICBL Coordinator"]


@pytest.mark.parametrize(
    ("entity", "forms"),
    [
        ("pers.ismaylov.nazym", {"Nazym Ismaylov", "Mr Ismaylov"}),
        ("pers.brigot.sylvie", {"Sylvie Brigot", "Mrs Sylvie Brigot"}),
        ("pers.williams.jody", {"Jody Williams"}),
        ("pers.bernstein.elizabeth", {"Elizabeth Bernstein"}),
        (
            "org.lrc-lebanon",
            {"Landmines Resource Centre (Lebanon)", "Landmine Resource Center (Lebanon)"},
        ),
        (
            "org.azcbl",
            {
                "Azerbaijan Campaign to Ban Landmines",
                "Azerbaijan CBL",
                "AzCBL",
                "Azerbaijan Campaign",
            },
        ),
        ("treaty.mbt", {"Mine Ban Treaty", "Convention", "Mine Ban Convention", "Treaty"}),
        ("org.icbl", {"ICBL", "Campaign", "International Campaign to Ban Landmines"}),
        ("place.nagorno-karabakh", {"Nargorno-Karabakh"}),
    ],
)
def test_one_real_world_thing_one_entry(
    icbl: etree._ElementTree, entity: str, forms: set[str]
) -> None:
    mentioned = {
        reading(el)
        for el in text_el(icbl).iter(*(f"{{{TEI_NS}}}{m}" for m in MENTIONS))
        if ref_ids(el) == [entity]
    }
    assert forms <= mentioned
    # and no other entry of the register uses these forms
    others = {
        reading(name)
        for entry_id, entry in register(icbl).items()
        if entry_id != entity
        for name in entry
    }
    assert not forms & others


def test_multiple_mentions_of_bernstein_and_williams(icbl: etree._ElementTree) -> None:
    text = text_el(icbl)
    assert len(tei(text, ".//t:persName[@ref='#pers.bernstein.elizabeth']")) == 2
    assert len(tei(text, ".//t:persName[@ref='#pers.williams.jody']")) == 2
