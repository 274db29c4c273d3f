"""Property-based tests of the parser: generated TEI-like letters, and raw garbage.

Strategies build documents as trees (random nesting of the TEI elements letters
use, random reference attributes, register lists with random, dangling and
duplicated ids, a letterhead) whose text is full of markup characters,
``]]>``, bidirectional controls and whitespace runs, all escaped properly in
the XML. Properties:

- anything, TEI-like or random bytes, either parses or raises EpistolaError
  (this found an IndexError in viewer/tei/text.py, now fixed and pinned by
  tests/hostile/test_broken_input.py::test_name_ending_the_letter_with_an_empty_block_inside);
- a generated TEI letter parses, in both readings;
- every mention, span, note, block, line reference and letterhead member has
  0 <= start <= end <= len(text);
- each mention's text is non-empty and not padded with whitespace;
- the text of every generated name element that is neither inside a choice
  nor empty appears in the letter's text;
- the result serialises to the --dump JSON.

Run with ``--hypothesis-show-statistics`` to see how many examples ran.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from viewer.errors import EpistolaError
from viewer.model import Letter, letter_to_json
from viewer.tei import read_letter

pytestmark = pytest.mark.hostile

TEI_NS = "http://www.tei-c.org/ns/1.0"
FILE = "generated.xml"


def budget(examples: int) -> settings:
    """How many examples a property runs; no deadline (the first parse warms lxml up).

    The explain phase is left out: it re-runs hundreds of examples after a failure
    to annotate it, which takes longer than the whole module is allowed.
    """
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )


def read(data: bytes, reading: str = "normalised") -> Letter:
    return read_letter(FILE, reading=reading, data=data)


# ------------------------------------------------------------------ text

SPECIALS = [
    "<", ">", "&", '"', "'", "]]>", "<![CDATA[", "&amp;", "&lt;x&gt;", "<!--", "-->",
    "<img src='file:///etc/passwd'>", "javascript:alert(1)", "\u202e", "\u202c", "\u2066",
    "\u2069", "\u200f", "\u200b", "\u00a0", "\u2028", "  ", "\t", "\n", "\n\n  ", " \u3000 ",
    "é", "ſ", "𝔘", "日本", "ﬁ", "\ufeff", "[1]", "[…]",
]  # fmt: skip
_XML_CHAR = st.characters(
    blacklist_categories=("Cs",),
    blacklist_characters="\ufffe\uffff\r",
    min_codepoint=0x20,
) | st.sampled_from("\t\n ")
TEXT = st.lists(
    st.one_of(st.sampled_from(SPECIALS), st.text(_XML_CHAR, max_size=6)), max_size=4
).map("".join)
WORD = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzäöüÆ"), min_size=1, max_size=8)


# --------------------------------------------------------------- documents


@dataclass
class Node:
    """One generated element: its name, attributes and content (text or Nodes)."""

    name: str
    attributes: dict[str, str] = field(default_factory=dict)
    content: list[str | Node] = field(default_factory=list)

    def xml(self) -> str:
        attributes = "".join(f" {k}={quoteattr(v)}" for k, v in self.attributes.items())
        inner = "".join(escape(c) if isinstance(c, str) else c.xml() for c in self.content)
        return f"<{self.name}{attributes}>{inner}</{self.name}>"

    def walk(self, ancestors: tuple[str, ...] = ()):
        yield self, ancestors
        for child in self.content:
            if isinstance(child, Node):
                yield from child.walk((*ancestors, self.name))


IDS = ["p1", "p2", "o1", "pl1", "d1", "w1", "x-y.z", "é1"]
REFERENCES = st.one_of(
    st.sampled_from(IDS).map(lambda i: f"#{i}"),
    st.sampled_from(IDS),
    st.just("#dangling"),
    st.just("http://example.org/person/1"),
    st.just("https://www.wikidata.org/entity/Q42"),
    st.lists(st.sampled_from(IDS), min_size=2, max_size=3).map(
        lambda ids: " ".join(f"#{i}" for i in ids)
    ),
    st.just(""),
    st.just("   "),
    st.just("#"),
    TEXT,
)
RS_TYPES = st.sampled_from(["person", "place", "org", "work", "event", "date", "treaty", "odd", ""])


@st.composite
def name_attributes(draw) -> dict[str, str]:
    attributes: dict[str, str] = {}
    if draw(st.booleans()):
        attributes["ref"] = draw(REFERENCES)
    if draw(st.integers(0, 4)) == 0:
        attributes["key"] = draw(st.one_of(st.sampled_from(IDS), TEXT))
    if draw(st.integers(0, 4)) == 0:
        attributes["subtype"] = "implied"
    return attributes


LEAVES = st.one_of(
    TEXT,
    st.builds(Node, st.just("lb"), st.sampled_from([{}, {"break": "no"}, {"xml:id": "l1"}])),
    st.builds(Node, st.just("pb"), st.sampled_from([{}, {"n": "2"}, {"n": "<3>"}])),
    st.builds(Node, st.just("gap"), st.sampled_from([{}, {"reason": "illegible"}])),
    st.builds(Node, st.just("space"), st.just({})),
    st.builds(Node, st.just("anchor"), st.just({"xml:id": "a1"})),
)


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    content = st.lists(children, max_size=3)
    mention = st.one_of(
        st.builds(
            Node,
            st.sampled_from(["persName", "placeName", "orgName", "name", "title"]),
            name_attributes(),
            content,
        ),
        st.builds(
            lambda t, a, c: Node("rs", {**a, "type": t}, c), RS_TYPES, name_attributes(), content
        ),
        st.builds(
            lambda when, c: Node("date", {"when": when}, c),
            st.sampled_from(["2007-07-24", "1901", "yyyy-mm-dd", ""]),
            content,
        ),
    )
    choice = st.builds(
        lambda pair, a, b: Node("choice", {}, [Node(pair[0], {}, a), Node(pair[1], {}, b)]),
        st.sampled_from([("sic", "corr"), ("orig", "reg"), ("abbr", "expan"), ("corr", "sic")]),
        content,
        content,
    )
    typographic = st.builds(
        Node,
        st.sampled_from(
            ["hi", "c", "del", "add", "unclear", "supplied", "seg", "foreign", "q", "emph"]
        ),
        st.sampled_from([{}, {"rend": "italic"}, {"rendition": "#b"}, {"place": "above"}]),
        content,
    )
    blocks = st.one_of(
        st.builds(
            Node,
            st.sampled_from(["p", "ab", "div", "head", "salute", "closer"]),
            st.just({}),
            content,
        ),
        st.builds(
            lambda items: Node("list", {}, [Node("item", {}, i) for i in items]),
            st.lists(content, max_size=3),
        ),
        st.builds(
            Node, st.just("note"), st.sampled_from([{}, {"n": "a"}, {"type": "ed"}]), content
        ),
    )
    return st.one_of(mention, choice, typographic, blocks)


BODY_NODES = st.recursive(LEAVES, _extend, max_leaves=16)


@st.composite
def registers(draw) -> str:
    entries = []
    for identifier in draw(st.lists(st.sampled_from(IDS), max_size=6)):  # duplicates allowed
        kind = draw(st.sampled_from(["person", "org", "place"]))
        name_element = {"person": "persName", "org": "orgName", "place": "placeName"}[kind]
        names = "".join(
            f"<{name_element}>{escape(n)}</{name_element}>"
            for n in draw(st.lists(st.one_of(WORD, TEXT), min_size=0, max_size=2))
        )
        idno = draw(st.sampled_from(["", "<idno type='URI'>javascript:x</idno>"]))
        entries.append((kind, f'<{kind} xml:id="{identifier}">{names}{idno}</{kind}>'))
    lists = {"person": "listPerson", "org": "listOrg", "place": "listPlace"}
    out = []
    for kind, list_name in lists.items():
        inner = "".join(entry for k, entry in entries if k == kind)
        if inner:
            out.append(f"<{list_name}>{inner}</{list_name}>")
    return "".join(out)


@st.composite
def letterheads(draw) -> str:
    if not draw(st.booleans()):
        return ""
    sections = []
    for title in draw(st.lists(st.one_of(WORD, TEXT), max_size=3)):
        members = []
        for _ in range(draw(st.integers(0, 3))):
            name = Node("persName", draw(name_attributes()), [draw(st.one_of(WORD, TEXT))])
            role = draw(
                st.one_of(st.just(""), TEXT.map(lambda t: f"<roleName>{escape(t)}</roleName>"))
            )
            affiliation = draw(
                st.one_of(
                    st.just(""),
                    st.builds(
                        lambda a, t: f"<affiliation>{Node('orgName', a, [t]).xml()}</affiliation>",
                        name_attributes(),
                        TEXT,
                    ),
                )
            )
            members.append(f"<item>{name.xml()}<lb/>{role}{affiliation}</item>")
        sections.append(f"<list><head>{escape(title)}</head>{''.join(members)}</list>")
    return f'<ab type="letterhead">{"".join(sections)}</ab>'


NAME_ELEMENTS = ("persName", "placeName", "orgName", "name", "title", "rs")


@dataclass
class Generated:
    xml: bytes
    body: list[str | Node]

    def names(self):
        """(text, ancestors) of each generated name element that holds only text."""
        for top in self.body:
            if isinstance(top, Node):
                for node, ancestors in top.walk():
                    if node.name in NAME_ELEMENTS and all(isinstance(c, str) for c in node.content):
                        yield "".join(node.content), ancestors


@st.composite
def documents(draw) -> Generated:
    body = draw(st.lists(BODY_NODES, max_size=4))
    title = draw(TEXT)
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "none"]))
    inner = "".join(escape(c) if isinstance(c, str) else c.xml() for c in body)
    text = (
        f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>{escape(title)}</title>'
        "</titleStmt></fileDesc></teiHeader>"
        f"<standOff>{draw(registers())}</standOff>"
        f"<text><body>{draw(letterheads())}<p>Dear friend,</p>"
        f"<div>{inner}</div></body></text></TEI>"
    )
    if encoding == "utf-16":
        data = ('<?xml version="1.0" encoding="UTF-16"?>' + text).encode("utf-16")
    elif encoding == "utf-8":
        data = ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode()
    else:
        data = text.encode()
    return Generated(data, body)


# ------------------------------------------------------------- properties

_SPACE = re.compile(r"\s+")


def check_offsets(letter: Letter) -> None:
    size = len(letter.text)
    for mention in letter.mentions:
        assert 0 <= mention.start <= mention.end <= size, mention
        surface = letter.text[mention.start : mention.end]
        assert surface, mention
        assert surface == surface.strip(), (surface, mention)
    for span in letter.spans:
        assert 0 <= span.start <= span.end <= size, span
    for block in letter.blocks:
        assert 0 <= block.start <= block.end <= size, block
    for note in letter.notes:
        assert 0 <= note.anchor <= note.marker_end <= size, note
    for reference in letter.line_references:
        assert 0 <= reference.start <= reference.end <= size, reference
    for section in letter.letterhead:
        for member in section.members:
            if member.start is not None:
                assert member.end is not None
                assert 0 <= member.start <= member.end <= size, member
    json.dumps(letter_to_json(letter), ensure_ascii=False)


MARKUP_PIECES = [
    "<TEI>", "</TEI>", f'<TEI xmlns="{TEI_NS}">', "<text>", "</text>", "<body>", "</body>",
    "<p>", "</p>", "<persName ref='#x'>", "</persName>", "<note>", "</note>", "<choice>",
    "</choice>", "<sic>", "</sic>", "<corr>", "</corr>", "<lb/>",
    "<!DOCTYPE TEI [<!ENTITY e 'x'>]>", "&e;", "&amp;", "<![CDATA[", "]]>", "<!--", "-->",
    "<?pi x?>", "<teiCorpus>", "<TEI.2>", '<?xml version="1.0"?>',
]  # fmt: skip


def parse_or_refuse(data: bytes) -> Letter | None:
    try:
        return read(data)
    except EpistolaError as error:
        assert str(error).startswith(FILE)
        return None


@pytest.mark.slow
@budget(600)
@given(documents())
def test_generated_letters_parse_with_sound_offsets(doc: Generated) -> None:
    letters = {reading: read(doc.xml, reading) for reading in ("normalised", "diplomatic")}
    for letter in letters.values():
        check_offsets(letter)
    for raw, ancestors in doc.names():
        wanted = _SPACE.sub(" ", raw).strip()
        if not wanted or "choice" in ancestors:
            continue
        for reading, letter in letters.items():
            assert wanted in _SPACE.sub(" ", letter.text), (reading, wanted, letter.text)


@pytest.mark.slow
@budget(500)
@given(documents(), st.data())
def test_mutated_letters_parse_or_are_refused(doc: Generated, data) -> None:
    """Byte-level damage to a generated letter: cut, flipped, inserted or deleted bytes."""
    raw = bytearray(doc.xml)
    for _ in range(data.draw(st.integers(1, 4))):
        if not raw:
            break
        position = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["cut", "flip", "insert", "delete"]))
        if action == "cut":
            del raw[position:]
        elif action == "flip":
            raw[position] ^= data.draw(st.integers(1, 255))
        elif action == "insert":
            raw[position:position] = data.draw(
                st.sampled_from([b"<", b"&", b"]]>", b"\x00", b"\xff", b"<p>", b"</p>", b"&x;"])
            )
        else:
            del raw[position : position + data.draw(st.integers(1, 8))]
    letter = parse_or_refuse(bytes(raw))
    if letter is not None:
        check_offsets(letter)


@pytest.mark.slow
@budget(400)
@given(st.binary(max_size=512))
def test_random_bytes_parse_or_are_refused(data: bytes) -> None:
    letter = parse_or_refuse(data)
    if letter is not None:
        check_offsets(letter)


@pytest.mark.slow
@budget(300)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "<TEI>",
                    "</TEI>",
                    f'<TEI xmlns="{TEI_NS}">',
                    "<text>",
                    "</text>",
                    "<body>",
                    "</body>",
                    "<p>",
                    "</p>",
                    "<persName ref='#x'>",
                    "</persName>",
                    "<note>",
                    "</note>",
                    "<choice>",
                    "</choice>",
                    "<sic>",
                    "</sic>",
                    "<corr>",
                    "</corr>",
                    "<lb/>",
                    "<!DOCTYPE TEI [<!ENTITY e 'x'>]>",
                    "&e;",
                    "&amp;",
                    "<![CDATA[",
                    "]]>",
                    "<!--",
                    "-->",
                    "<?pi x?>",
                    "<teiCorpus>",
                    "<TEI.2>",
                    '<?xml version="1.0"?>',
                ]
            ),
            TEXT,
        ),
        max_size=30,
    )
)
def test_random_markup_strings_parse_or_are_refused(parts: list[str]) -> None:
    letter = parse_or_refuse("".join(parts).encode())
    if letter is not None:
        check_offsets(letter)


@pytest.mark.slow
@budget(200)
@given(st.text(max_size=200))
def test_random_text_parses_or_is_refused(text: str) -> None:
    letter = parse_or_refuse(text.encode("utf-8", "surrogatepass"))
    if letter is not None:
        check_offsets(letter)
