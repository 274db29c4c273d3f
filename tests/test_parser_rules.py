"""The parser's rules, as tables over small inline TEI letters.

Each table row is one rule: an XML fragment and what the reading text,
the mentions, the spans, the notes, the letterhead or the diagnostics must
be. Every letter read here also passes :func:`assert_offsets`: each mention,
span and note marker slices the text it claims.
"""

from __future__ import annotations

import pytest

from viewer.errors import EpistolaError
from viewer.model import Letter
from viewer.tei import read_letter

TEI = "http://www.tei-c.org/ns/1.0"

REGISTER = """
<back>
  <listPerson>
    <person xml:id="anna"><persName>Anna Ott</persName></person>
    <person xml:id="ben">
      <persName><surname>Berg</surname><forename>Ben</forename></persName></person>
  </listPerson>
  <listOrg><org xml:id="acme"><orgName>Acme Society</orgName></org>
    <org xml:id="beta"><orgName>Beta Aid</orgName></org></listOrg>
  <listPlace><place xml:id="wien"><placeName>Wien</placeName></place></listPlace>
  <listBibl><bibl xml:id="play"><title>Das Stück</title></bibl></listBibl>
</back>
"""


def letter_xml(body: str, *, back: str = REGISTER, front: str = "", header: str = "") -> str:
    return (
        f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt><title>Test</title></titleStmt>'
        "<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc>"
        f"{header}</teiHeader><text>{front}<body>{body}</body>{back}</text></TEI>"
    )


def read(body: str, reading: str = "normalised", **parts: str) -> Letter:
    data = letter_xml(body, **parts).encode("utf-8")
    letter = read_letter("inline.xml", reading=reading, data=data)
    assert_offsets(letter)
    return letter


def assert_offsets(letter: Letter) -> None:
    """Every position the parser recorded lies in the text and slices what it claims."""
    text = letter.text
    for mention in letter.mentions:
        surface = text[mention.start : mention.end]
        assert 0 <= mention.start < mention.end <= len(text)
        assert surface == surface.strip() and surface, mention
    for note in letter.notes:
        assert text[note.anchor : note.marker_end] == f"[{note.label}]"
    for span in letter.spans:
        assert 0 <= span.start <= span.end <= len(text), span
    for block in letter.blocks:
        assert 0 <= block.start <= block.end <= len(text), block


def body_text(letter: Letter) -> str:
    """The letter's text without the notes appended after it."""
    if not letter.notes:
        return letter.text
    appended = [b.start for b in letter.blocks if b.kind == "note"]
    return letter.text[: min(appended)].rstrip() if appended else letter.text


# ------------------------------------------------------------------ text

TEXT_RULES = [
    ("runs of whitespace are one space", "<p>one   two\n\t three</p>", "one two three"),
    ("spaces at element boundaries", "<p>one <hi>two</hi> three</p>", "one two three"),
    ("no space invented between elements", "<p>Prosa<hi>ist</hi>kurz</p>", "Prosaistkurz"),
    ("space inside an element edge", "<p>one<hi> two </hi>three</p>", "one two three"),
    ("c inside a word", '<p>abge<c rendition="#langesS">s</c>chworen</p>', "abgeschworen"),
    ("hi inside a word", '<p>Mit<hi rend="sup">te</hi>l</p>', "Mittel"),
    ("lb is a line break", "<p>one<lb/>two</p>", "one\ntwo"),
    ("spaces around lb vanish", "<p>one \n <lb/>\n two</p>", "one\ntwo"),
    ("lb break=no joins the word", '<p>Unter<lb break="no"/>hemde</p>', "Unterhemde"),
    (
        "break=no joins across indentation",
        '<p>Bildungs\n  <lb break="no"/>\n mittel</p>',
        "Bildungsmittel",
    ),
    ("hyphen rendition joins", '<p>Unter<lb rendition="#hyphen"/>hemde</p>', "Unterhemde"),
    ("pb does not break the line", '<p>one <pb n="2"/>two</p>', "one two"),
    ("pb inside a word", '<p>wis<pb n="2"/>sen</p>', "wissen"),
    ("cb starts a new line", "<p>left<cb/>right</p>", "left\nright"),
    ("paragraphs are separated by a blank line", "<p>a</p><p>b</p>", "a\n\nb"),
    (
        "opener parts are lines of the opener",
        "<opener><dateline>Wien, 1. 1. 1900</dateline><salute>Lieber!</salute></opener><p>Text</p>",
        "Wien, 1. 1. 1900\nLieber!\n\nText",
    ),
    (
        "closer parts are lines of the closer",
        "<p>Text</p><closer><salute>Ihr</salute><signed>Max</signed></closer>",
        "Text\n\nIhr\nMax",
    ),
    (
        "indentation before punctuation vanishes",
        "<p>die <hi>belle devote</hi>\n    .</p>",
        "die belle devote.",
    ),
    ("a typed space before punctuation stays", "<p>quoi <hi>donc</hi> ?</p>", "quoi donc ?"),
    ("gap shows as an ellipsis", '<p>a <gap reason="illegible"/> b</p>', "a […] b"),
    (
        "space element is a space",
        '<p>etwas<space unit="chars" quantity="1"/>starker</p>',
        "etwas starker",
    ),
    ("empty cross-reference shows a mark", '<p>vgl. <ref target="#x"/>.</p>', "vgl. →."),
    (
        "empty reference to a day shows the day",
        '<p>am <ref target="1891-06-25"/> gelesen</p>',
        "am 1891-06-25 gelesen",
    ),
    (
        "reference with text shows the text",
        '<p>siehe <ref target="#x">Brief 3</ref></p>',
        "siehe Brief 3",
    ),
    ("del and add both stay", "<p>a <del>red</del> <add>blue</add> car</p>", "a red blue car"),
    ("comments are not text", "<p>one <!-- editor: check --> two</p>", "one two"),
    ("head is its own block", "<div><head>Title</head><p>Body</p></div>", "Title\n\nBody"),
    (
        "figure shows its description",
        "<p>Text</p><figure><figDesc>a signature</figDesc></figure>",
        "Text\n\n[figure: a signature]",
    ),
    (
        "register lists in the body are not text",
        '<p>Text</p><listPerson><person xml:id="q"><persName>Q</persName></person></listPerson>',
        "Text",
    ),
]


@pytest.mark.parametrize(("rule", "body", "expected"), TEXT_RULES, ids=[r[0] for r in TEXT_RULES])
def test_reading_text(rule: str, body: str, expected: str) -> None:
    assert body_text(read(body)) == expected


CHOICES = [
    ("<choice><sic>Nargorno</sic><corr>Nagorno</corr></choice>", "Nagorno", "Nargorno"),
    ("<choice><orig>Jenner</orig><reg>Januar</reg></choice>", "Januar", "Jenner"),
    ("<choice><abbr>u.</abbr><expan>und</expan></choice>", "und", "u."),
    ("<choice><expan>und</expan><abbr>u.</abbr></choice>", "und", "u."),
    ('<lb rendition="#hyphen"/>', "", "-\n"),
    ('<lb break="no"/>', "", "\n"),
]


@pytest.mark.parametrize(("fragment", "normalised", "diplomatic"), CHOICES)
def test_choice_shows_one_side_per_reading(fragment: str, normalised: str, diplomatic: str) -> None:
    body = f"<p>A{fragment}B</p>"
    assert read(body).text == f"A{normalised}B"
    assert read(body, reading="diplomatic").text == f"A{diplomatic}B"


def test_choice_keeps_the_other_reading_as_span_detail() -> None:
    letter = read("<p>in <choice><sic>Nargorno</sic><corr>Nagorno</corr></choice></p>")
    span = next(s for s in letter.spans if s.style == "corr")
    assert letter.text[span.start : span.end] == "Nagorno"
    assert span.detail == "Nargorno"
    assert letter.has_choices


SPANS = [
    ("<p>a <del>old</del> b</p>", "del", "old"),
    ('<p>a <add place="above">new</add> b</p>', "add", "new"),
    ("<p>a <unclear>dim</unclear> b</p>", "unclear", "dim"),
    ("<p>a <supplied>gone</supplied> b</p>", "supplied", "gone"),
    ('<p>a <gap reason="torn"/> b</p>', "gap", "[…]"),
    ('<p>a <hi rend="underline">under</hi> b</p>', "hi", "under"),
    ('<p>vgl. <ref target="#n1"/></p>', "ref", "→"),
    (
        '<p><anchor xml:id="a1"/>ganz abgeschworen<note corresp="a1">Kommentar</note> und</p>',
        "lemma",
        "ganz abgeschworen",
    ),
    (
        '<p>liebe <seg type="comment"><orig>L.</orig><note>Rahel</note></seg> und</p>',
        "lemma",
        "L.",
    ),
]


@pytest.mark.parametrize(("body", "style", "surface"), SPANS)
def test_editorial_spans(body: str, style: str, surface: str) -> None:
    letter = read(body)
    found = [letter.text[s.start : s.end] for s in letter.spans if s.style == style]
    assert surface in found


def test_page_break_is_an_empty_span_at_its_position() -> None:
    letter = read('<p>one <pb n="2"/>two</p>')
    (page,) = [s for s in letter.spans if s.style == "pb"]
    assert (page.start, page.end, page.detail) == (3, 3, "2")


# ----------------------------------------------------------------- notes

NOTES = [
    ("marker sticks to its word", "<p>word<note>gloss</note> next</p>", "word[1] next", "gloss"),
    (
        "space before a note moves after it",
        "<p>word <note>gloss</note>next</p>",
        "word[1] next",
        "gloss",
    ),
    ("@n labels the marker", '<p>word<note n="a">gloss</note></p>', "word[a]", "gloss"),
    (
        "a sic note is its own marker",
        '<p>Staates<note type="transcript">sic!</note> und</p>',
        "Staates[sic!] und",
        "sic!",
    ),
]


@pytest.mark.parametrize(("rule", "body", "text", "note_text"), NOTES, ids=[n[0] for n in NOTES])
def test_notes_become_markers(rule: str, body: str, text: str, note_text: str) -> None:
    letter = read(body)
    assert body_text(letter) == text
    (note,) = letter.notes
    assert note.text == note_text


def test_note_text_is_appended_after_the_letter_with_its_mentions() -> None:
    letter = read('<p>Ich<note>Gemeint ist <persName ref="#anna">Anna</persName>.</note> ging.</p>')
    assert letter.text == "Ich[1] ging.\n\n[1] Gemeint ist Anna."
    (mention,) = letter.mentions
    assert letter.text[mention.start : mention.end] == "Anna"
    assert mention.in_note and mention.entities == ("anna",)


def test_sic_note_is_not_appended() -> None:
    letter = read('<p>Staates<note type="transcript">sic!</note></p>')
    assert letter.text == "Staates[sic!]"


def test_notes_are_numbered_apart_from_sic_markers() -> None:
    letter = read("<p>a<note>x</note> b<note>sic!</note> c<note>y</note></p>")
    assert [n.label for n in letter.notes] == ["1", "sic!", "2"]


def test_mention_ends_before_a_note_marker_inside_it() -> None:
    letter = read('<p>von <persName ref="#anna">Ott<note>Anna Ott</note></persName> her</p>')
    surfaces = [letter.text[m.start : m.end] for m in letter.mentions if not m.in_note]
    assert surfaces == ["Ott"]


# -------------------------------------------------------------- mentions

MENTIONS = [
    ('<persName ref="#anna">Anna</persName>', [("person", "Anna", ("anna",))]),
    ('<orgName ref="#acme">Acme</orgName>', [("organisation", "Acme", ("acme",))]),
    ('<placeName ref="#wien">Wien</placeName>', [("place", "Wien", ("wien",))]),
    ('<rs type="person" ref="#anna">sie</rs>', [("person", "sie", ("anna",))]),
    ('<rs type="place" ref="#wien">die Stadt</rs>', [("place", "die Stadt", ("wien",))]),
    ('<rs type="org" ref="#acme">die Firma</rs>', [("organisation", "die Firma", ("acme",))]),
    ('<rs type="work" ref="#play">das Stück</rs>', [("work", "das Stück", ("play",))]),
    ('<name type="place" ref="#wien">Vienna</name>', [("place", "Vienna", ("wien",))]),
    ('<title ref="#play">Das Stück</title>', [("work", "Das Stück", ("play",))]),
    ('<rs type="treaty">the Convention</rs>', [("treaty", "the Convention", ())]),
    ('<date when="1900-01-02">2. Jänner</date>', [("date", "2. Jänner", ("date:1900-01-02",))]),
    ("<persName>Unknown</persName>", [("person", "Unknown", ())]),
    ('<rs ref="#anna">her</rs>', [("person", "her", ("anna",))]),
    ("<rs>  </rs>", []),
    ('<rs><persName ref="#anna">Anna</persName></rs>', [("person", "Anna", ("anna",))]),
    (
        '<rs type="person" ref="#anna #ben">den Kindern</rs>',
        [("person", "den Kindern", ("anna", "ben"))],
    ),
    (
        '<rs type="person" ref="#ben">Autor <rs type="work" ref="#play">des Stücks</rs></rs>',
        [("work", "des Stücks", ("play",)), ("person", "Autor des Stücks", ("ben",))],
    ),
]


@pytest.mark.parametrize(("fragment", "expected"), MENTIONS)
def test_mentions(fragment: str, expected: list[tuple[str, str, tuple[str, ...]]]) -> None:
    letter = read(f"<p>Da: {fragment} hier.</p>")
    found = [(m.kind, letter.text[m.start : m.end], m.entities) for m in letter.mentions]
    assert found == expected


def test_implied_mentions_are_flagged() -> None:
    letter = read('<p><rs type="work" ref="#play" subtype="implied">das Stück</rs></p>')
    (mention,) = letter.mentions
    assert mention.implied and mention.entities == ("play",)


def test_date_mentions_share_one_entity_per_day() -> None:
    letter = read(
        '<p><date when="1900-01-02">2. 1.</date> und <date when="1900-01-02">heute</date></p>'
    )
    assert {m.entities for m in letter.mentions} == {("date:1900-01-02",)}
    entity = letter.entity("date:1900-01-02")
    assert entity is not None and entity.kind == "date"
    assert entity.name == "2. 1." and entity.variants == ("heute",)


def test_date_ranges_are_one_entity() -> None:
    letter = read('<p><date notBefore="1905-01-01" notAfter="1905-12-31">1905</date></p>')
    assert letter.mentions[0].entities == ("date:1905-01-01/1905-12-31",)


def test_unresolved_reference_stays_on_the_mention() -> None:
    letter = read('<p><persName ref="#anna #nobody">Anna</persName></p>')
    (mention,) = letter.mentions
    assert mention.entities == ("anna",)
    assert mention.unresolved == ("#nobody",)


def test_untyped_mention_takes_its_entity_kind() -> None:
    letter = read('<p><name ref="#wien">Wien</name></p>')
    assert letter.mentions[0].kind == "place"


# ------------------------------------------------------------ letterhead

LETTERHEAD = """
<ab type="letterhead">
  <list n="Staff">
    <item><persName ref="#anna">Anna Ott</persName>, <roleName>Director</roleName></item>
    <item><persName ref="#ben"><roleName>Ambassador</roleName> Ben Berg</persName></item>
  </list>
  <list>
    <head>Board</head>
    <item><orgName ref="#acme">Acme Society</orgName>/ <orgName
      ref="#beta">Beta Aid</orgName></item>
    <item><orgName ref="#wien">Wien
      Office</orgName></item>
  </list>
  <listPerson>
    <head>Committee</head>
    <person><persName ref="#anna">Anna Ott</persName>
      <affiliation><orgName ref="#acme">Acme Soc.</orgName></affiliation></person>
  </listPerson>
  <list><head>Address</head><item><address><addrLine>1 Main St</addrLine>
    <addrLine><placeName ref="#wien">Wien</placeName>, Austria</addrLine></address></item></list>
</ab>
<p>Body.</p>
"""


def test_letterhead_sections_from_head_or_n() -> None:
    letter = read(LETTERHEAD)
    assert [(s.title, len(s.members)) for s in letter.letterhead] == [
        ("Staff", 2),
        ("Board", 2),
        ("Committee", 1),
        ("Address", 2),
    ]


def test_letterhead_contact_block_lines_are_contact_members() -> None:
    address = read(LETTERHEAD).letterhead[-1]
    assert [(m.name, m.kind, m.entities) for m in address.members] == [
        ("1 Main St", "contact", ()),
        ("Wien, Austria", "contact", ("wien",)),
    ]


MEMBERS = [
    (0, 0, "Anna Ott", "person", ("anna",), "Director", None),
    (0, 1, "Ben Berg", "person", ("ben",), "Ambassador", None),
    (1, 0, "Acme Society/ Beta Aid", "organisation", ("acme", "beta"), None, None),
    (1, 1, "Wien Office", "organisation", ("wien",), None, None),
    (2, 0, "Anna Ott", "person", ("anna",), None, ("Acme Soc.", ("acme",))),
]


@pytest.mark.parametrize(
    ("section", "index", "name", "kind", "ids", "role", "affiliation"), MEMBERS
)
def test_letterhead_members(
    section: int,
    index: int,
    name: str,
    kind: str,
    ids: tuple[str, ...],
    role: str | None,
    affiliation: tuple[str, tuple[str, ...]] | None,
) -> None:
    member = read(LETTERHEAD).letterhead[section].members[index]
    assert (member.name, member.kind, member.entities, member.role) == (name, kind, ids, role)
    if affiliation is None:
        assert member.affiliation is None
    else:
        assert member.affiliation is not None
        assert (member.affiliation.name, member.affiliation.entities) == affiliation


def test_letterhead_member_positions_slice_the_text() -> None:
    letter = read(LETTERHEAD)
    member = letter.letterhead[0].members[0]
    assert member.start is not None and member.end is not None
    assert letter.text[member.start : member.end] == "Anna Ott, Director"


def test_no_letterhead_means_none() -> None:
    assert read("<p>Just a letter.</p>").letterhead == ()


# ----------------------------------------------------------- diagnostics

DIAGNOSTICS = [
    ('<p><persName ref="#ghost">Ghost</persName></p>', "warning", "dangling-ref", "'#ghost'"),
    ("<p>Nobody named.</p>", "info", "unused-entity", "'acme'"),
    ('<p xml:id="x">a</p><p xml:id="x">b</p>', "error", "duplicate-id", "'x'"),
    ("", "warning", "empty-text", "no text"),
]


@pytest.mark.parametrize(("body", "severity", "code", "says"), DIAGNOSTICS)
def test_diagnostics(body: str, severity: str, code: str, says: str) -> None:
    letter = read(body, back=REGISTER if body else "")
    found = [d for d in letter.diagnostics if d.code == code]
    assert found, letter.diagnostics
    assert {d.severity for d in found} == {severity}
    assert any(says in d.message for d in found), found


@pytest.mark.parametrize(("body", "severity", "code", "says"), DIAGNOSTICS)
def test_without_diagnosing_only_the_whole_letter_checks_are_left_out(
    body: str, severity: str, code: str, says: str
) -> None:
    from dataclasses import replace

    from viewer.tei.reader import letter_from_tree
    from viewer.tei.xml import parse_bytes

    data = letter_xml(body, back=REGISTER if body else "").encode("utf-8")
    full = letter_from_tree(parse_bytes(data, "inline.xml"), "inline.xml")
    quick = letter_from_tree(parse_bytes(data, "inline.xml"), "inline.xml", diagnose=False)
    left_out = {"duplicate-id", "unused-entity"}
    assert quick.diagnostics == tuple(d for d in full.diagnostics if d.code not in left_out)
    assert replace(quick, diagnostics=()) == replace(full, diagnostics=())
    assert (code in left_out) != any(d.code == code for d in quick.diagnostics)


def test_dangling_reference_says_where_and_why() -> None:
    letter = read('<p>\n<persName ref="#ghost">Ghost</persName></p>')
    (diagnostic,) = [d for d in letter.diagnostics if d.code == "dangling-ref"]
    assert diagnostic.line == 2  # the persName's line in the file
    assert "'Ghost'" in diagnostic.message and "no entry" in diagnostic.message


# --------------------------------------------------------- file handling


def test_byte_order_mark_and_no_declaration() -> None:
    data = b"\xef\xbb\xbf" + letter_xml("<p>Hallo</p>").encode("utf-8")
    assert read_letter("bom.xml", data=data).text == "Hallo"


def test_declared_latin1_encoding() -> None:
    data = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + letter_xml("<p>Grüße</p>")).encode(
        "latin-1"
    )
    assert read_letter("latin.xml", data=data).text == "Grüße"


def test_register_file_is_not_a_letter() -> None:
    register = (
        f'<TEI xmlns="{TEI}"><teiHeader/><standOff><listPerson>'
        '<person xml:id="a"><persName>A</persName></person>'
        '<person xml:id="b"><persName>B</persName></person>'
        "</listPerson></standOff></TEI>"
    )
    with pytest.raises(EpistolaError, match=r"is a register file, not a letter \(it lists 2 "):
        read_letter("register.xml", data=register.encode())


# ------------------------------------------------------- line references

LINE_REFERENCE_LETTER = """
<div type="letter"><p>Erste Zeile mit Ott
<note corresp="#L1"><listPerson type="lineReference">
  <person corresp="#anna"><persName>Frau <name type="reg">Ott</name></persName></person>
  <person corresp="#ghost" ana="?"><persName>Jemand</persName></person>
</listPerson></note>
<lb xml:id="L1"/>zweite Zeile
<lb xml:id="L2"/>dritte Zeile mit Berg</p>
<note corresp="#L2"><listPerson type="lineReference">
  <person corresp="#ben"><persName>Ben Berg</persName></person></listPerson></note></div>
"""


def test_line_reference_notes_attach_entities_to_their_line() -> None:
    letter = read(LINE_REFERENCE_LETTER)
    assert letter.text == "Erste Zeile mit Ott\nzweite Zeile\ndritte Zeile mit Berg"
    assert letter.mentions == ()  # nothing is tagged inline
    ott, ghost, berg = letter.line_references
    # A note right before the lb it names annotates the line that lb closes...
    assert letter.text[ott.start : ott.end] == "Erste Zeile mit Ott"
    assert (ott.line_id, ott.entities, ott.label) == ("L1", ("anna",), "Frau Ott")
    assert ghost.unresolved == ("#ghost",) and ghost.uncertain
    # ...elsewhere, as in TEI, the line the lb starts.
    assert letter.text[berg.start : berg.end] == "dritte Zeile mit Berg"
    assert letter.mention_counts()["anna"] == 1
    (warning,) = [d for d in letter.diagnostics if d.code == "dangling-ref"]
    assert "'#ghost'" in warning.message and "'L1'" in warning.message


def test_a_line_reference_to_a_missing_line_is_reported() -> None:
    body = (
        '<p>Text<note corresp="#nowhere"><listPlace type="lineReference">'
        '<place corresp="#wien"><placeName>Wien</placeName></place></listPlace></note></p>'
    )
    letter = read(body)
    (reference,) = letter.line_references
    assert reference.entities == ("wien",)
    assert [d.code for d in letter.diagnostics if d.severity == "warning"] == ["dangling-line"]


def test_mentions_are_the_dataclass_they_claim_to_be() -> None:
    """The reader builds mentions without Mention's __init__ (viewer.tei.reader._mention)."""
    import dataclasses

    from viewer.model import Mention

    body = (
        '<p><persName ref="#anna">Ott</persName> und <rs ref="#anna #nobody">sie</rs> in '
        '<placeName ref="#wien" subtype="implied">Wien</placeName></p>'
    )
    letter = read(body)
    assert len(letter.mentions) == 3
    for mention in letter.mentions:
        fields = {f.name: getattr(mention, f.name) for f in dataclasses.fields(Mention)}
        made = Mention(**fields)
        assert mention == made and hash(mention) == hash(made) and repr(mention) == repr(made)
        assert vars(mention) == vars(made)
        with pytest.raises(dataclasses.FrozenInstanceError):
            mention.start = 0  # type: ignore[misc]
        assert dataclasses.replace(mention, kind="work").kind == "work"
    ott, sie, wien = letter.mentions
    assert (sie.entities, sie.unresolved) == (("anna",), ("#nobody",))
    assert wien.implied and not ott.implied and ott.regions == ()


def test_each_list_of_references_resolves_as_often_as_it_is_met() -> None:
    # The reader resolves a repeated list of references once: what it finds must not
    # depend on how often, or in which order, the letter repeats it.
    repeated = '<persName ref="#anna">Ott</persName> <rs ref="#ghost">X</rs> ' * 3
    letter = read(f'<p>{repeated}<orgName ref="#acme">Acme</orgName></p>')
    assert [m.entities for m in letter.mentions] == [
        ("anna",),
        (),
    ] * 3 + [("acme",)]
    dangling = [d for d in letter.diagnostics if d.code == "dangling-ref"]
    assert len(dangling) == 3 and all("'#ghost'" in d.message for d in dangling)


def test_whitespace_collapses_as_the_regular_expression_says():
    # viewer.tei.text.collapsed skips the regex for text without whitespace runs: it must give
    # what the regex gives for every whitespace character there is, the space's kin included.
    import re
    import sys

    from viewer.tei.text import collapsed

    runs = re.compile(r"\s+")
    spaces = [chr(code) for code in range(sys.maxunicode + 1) if runs.match(chr(code))]
    assert {" ", "\t", "\n", "\u00a0", "\u2028", "\u3000", "\x1c", "\x85"} <= set(spaces)
    samples = ["", " ", "a", "Anna Adler", "a  b", " a ", "x\r\ny", "ſehr «Quote» 50% ΑΒΓ"]
    samples += [f"a{space}b" for space in spaces] + [f"{space}a{space}{space}b" for space in spaces]
    for value in samples:
        assert collapsed(value) == runs.sub(" ", value), repr(value)
