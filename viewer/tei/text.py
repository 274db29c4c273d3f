"""Turns a TEI ``text`` element into the reading text, recording positions as it goes.

One walk over the tree appends text to a :class:`TextBuilder` and records, in
offsets of the final string, every mention, editorial span, block, note
marker, line start and letterhead member. Whitespace follows the usual TEI
reading: runs collapse to one space, ``lb`` is a line break, block elements
are separated by a blank line; element boundaries never add or remove a space
(``abge<c>s</c>chworen`` is one word). An ``lb`` inside a word (``break="no"``,
``rendition="#hyphen"``) joins it in the normalised reading and keeps the
break (and the hyphen) in the diplomatic one. Notes do not interrupt the
text: a marker ``[n]`` stands where the note is, and the note's own text is
appended after the letter, so that mentions inside notes still have real
offsets; a note that only says "sic!" is its own marker. The text a note
comments on (from an ``anchor`` it points back to, or the rest of a ``seg``
holding it) is a "lemma" span.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from lxml import etree

from viewer.model import Block, Note, Span
from viewer.tei.xml import XML_ID, first, local, norm_space, plain_text, xml_id

_WS = re.compile(r"\s+")


def collapsed(value: str) -> str:
    """``value`` with each run of whitespace made one space: ``_WS.sub(" ", value)``.

    Every whitespace character but the space itself is unprintable, so most text
    (a name, a word, words with single spaces) is returned as it is without the
    regular expression, which cost the 2 MB letter's walk 0.05 s.
    """
    if value.isprintable() and "  " not in value:
        return value
    return _WS.sub(" ", value)


PARAGRAPH_BLOCKS = frozenset(
    {
        "p", "ab", "head", "opener", "closer", "postscript", "div", "div1", "div2", "div3",
        "list", "listPerson", "listOrg", "listPlace", "lg", "table", "figure", "floatingText",
        "address", "dateline", "salute", "signed", "byline", "argument", "epigraph", "trailer",
        "titlePage", "docTitle", "sp", "writingSession", "front", "back", "body", "group",
        "text", "cit", "quote_block",
    }
)  # fmt: skip
LINE_BLOCKS = frozenset({"addrLine", "item", "l", "row", "person", "org", "bibl_line"})
# Laid out in lines rather than prose: an lb inside them (or in a letterhead) ends a
# line of the layout (a name, then the title; a salute over two lines; an address),
# which flowing text keeps.
LINED = frozenset(
    {"lg", "table", "fw", "opener", "closer", "address", "dateline", "salute", "signed",
     "byline"}
)  # fmt: skip
# Inside an opener or closer these are lines of it, not paragraphs of their own.
FORMULA_PARTS = frozenset({"dateline", "salute", "signed", "byline", "address"})
FORMULAE = frozenset({"opener", "closer"})

REGISTER_LISTS = frozenset(
    {"listPerson", "listPlace", "listOrg", "listBibl", "listEvent", "listNym", "listObject",
     "listRelation", "listWit", "listApp", "listAnnotation"}
)  # fmt: skip
SKIPPED = frozenset({"teiHeader", "facsimile", "standOff", "sourceDoc", "interpGrp", "interp"})
# Elements that only hold the letter's parts: a first part of a long letter may end
# after any element whose ancestors are all of these (see ``TextWalker(stop_after=)``).
CONTAINERS = frozenset(
    {"text", "body", "front", "back", "group", "div", "div1", "div2", "div3", "div4", "div5",
     "div6", "div7"}
)  # fmt: skip

# Element name -> mention kind; None means the kind comes from @type.
MENTION_ELEMENTS: dict[str, str | None] = {
    "persName": "person",
    "orgName": "organisation",
    "placeName": "place",
    "geogName": "place",
    "date": "date",
    "rs": None,
    "name": None,
    "title": "work",
}

TYPE_KINDS = {
    "person": "person", "persons": "person", "pers": "person", "persname": "person",
    "people": "person", "personal": "person", "author": "person", "character": "person",
    "place": "place", "places": "place", "location": "place", "placename": "place",
    "settlement": "place", "country": "place", "region": "place", "geo": "place",
    "org": "organisation", "orgs": "organisation", "organisation": "organisation",
    "organization": "organisation", "orgname": "organisation", "institution": "organisation",
    "work": "work", "works": "work", "bibl": "work", "book": "work", "title": "work",
    "publication": "work", "periodical": "work", "journal": "work", "newspaper": "work",
    "event": "event", "events": "event",
    "date": "date", "time": "date",
    "treaty": "treaty", "convention": "treaty", "law": "treaty", "agreement": "treaty",
}  # fmt: skip

_CHOICE_SIDES = {
    "normalised": (("corr", "reg", "expan", "ex"), ("sic", "orig", "abbr", "am")),
    "diplomatic": (("sic", "orig", "abbr", "am"), ("corr", "reg", "expan", "ex")),
}

REFERENCE_ATTRIBUTES = ("ref", "key", "corresp", "sameAs")
REFERENCE_MARK = "→"  # stands for a cross-reference that has no text of its own
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def kind_from_type(value: str | None) -> str | None:
    if not value:
        return None
    return TYPE_KINDS.get(value.strip().lower())


@dataclass(slots=True)
class RawMention:
    start: int
    end: int
    kind: str
    references: list[tuple[str, str]]  # (attribute, token)
    implied: bool
    line: int | None
    in_note: bool
    date_value: str | None = None


@dataclass
class RawLineReference:
    line_id: str
    references: list[tuple[str, str]]
    label: str
    kind: str
    uncertain: bool
    line: int | None
    position: int = 0  # where the note stands in the text


@dataclass
class RawBreak:
    """A ``pb`` or ``lb`` where the walk met it: its offset, @n, xml:id and @facs."""

    offset: int
    n: str
    id: str
    facs: str
    breaks: bool = True  # an lb that makes a break in the text (not one inside a word)
    in_word: bool = False  # break="no" or a hyphen: the word goes on on the next line
    own_newline: bool = False  # the newline before ``offset`` is this lb's alone


@dataclass
class RawLinked:
    """An element other than lb/pb with an @facs or an xml:id, and the text it covers."""

    start: int
    end: int
    facs: str
    id: str


@dataclass
class TextResult:
    text: str
    mentions: list[RawMention]
    spans: list[Span]
    notes: list[Note]
    blocks: list[Block]
    line_starts: dict[str, int]
    line_ends: dict[str, int]  # lb id -> end of the text before that break
    line_references: list[RawLineReference]
    letterheads: list[etree._Element]
    member_spans: dict[etree._Element, tuple[int, int]]
    has_choices: bool
    unexpanded_entities: list[tuple[str, int | None]] = field(default_factory=list)
    complete: bool = True  # False: the walk stopped early, ``text`` is the first part only
    page_breaks: list[RawBreak] = field(default_factory=list)
    line_breaks: list[RawBreak] = field(default_factory=list)  # every lb, in order
    linked: list[RawLinked] = field(default_factory=list)


class _Enough(Exception):
    """The first part of the letter is long enough (raised only with ``stop_after``)."""


# Punctuation that never follows a space that came from line-wrapping the XML source
# ("<hi>belle devote</hi>\n   ." is "belle devote.").
_CLOSING = frozenset(".,;:!?)]»")


class TextBuilder:
    """Appends normalised text and tracks the current offset.

    Whitespace in the source becomes at most one pending space, emitted only
    when more text follows on the same line; never at the start of a line.
    A pending space that came only from whitespace holding a line break (the
    source's indentation) is dropped before closing punctuation.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.length = 0
        self._pending_space = False
        self._soft = False  # the pending space came only from wrapped/indented source
        self._glue = False  # the next text continues a word: drop its leading whitespace
        self._newlines = 2  # the start of the text behaves like the start of a paragraph
        # Offsets of newlines only an lb asked for: no paragraph or line element claimed
        # them. Flowing text shows these as spaces (viewer.linebreaks).
        self.source_newlines: set[int] = set()

    def _emit(self, value: str) -> None:
        self._parts.append(value)
        self.length += len(value)
        if value[-1] != "\n":  # the common case, kept cheap: this runs once per text node
            self._newlines = 0
            return
        stripped = value.rstrip("\n")
        trailing = len(value) - len(stripped)
        self._newlines = self._newlines + trailing if not stripped else trailing

    def _add_space(self, soft: bool) -> None:
        self._soft = soft if not self._pending_space else self._soft and soft
        self._pending_space = True

    def text(self, value: str | None) -> None:
        if not value:
            return
        if value == " ":  # between two tagged words, the commonest text of all
            if not self._glue:
                self._add_space(False)
            return
        if not self._glue and not value[0].isspace() and not value[-1].isspace():
            self.literal(collapsed(value))
            return
        if self._glue:
            value = value.lstrip()
            if not value:
                return
        stripped = value.lstrip()
        if len(stripped) != len(value):
            self._add_space("\n" in value[: len(value) - len(stripped)])
        if not stripped:
            return
        core = stripped.rstrip()
        trailing = stripped[len(core) :]
        if core:
            self.literal(collapsed(core))
        if trailing:
            self._add_space("\n" in trailing)

    def literal(self, value: str) -> None:
        """Emit ``value`` unchanged (after any pending space)."""
        if not value:
            return
        if self._pending_space:
            spaced = not self._newlines and not self._parts[-1].endswith(" ")
            if spaced and not (self._soft and value[0] in _CLOSING):
                self._emit(" ")
            self._pending_space = False
        self._glue = False
        # _emit, inline: this runs once per text node.
        self._parts.append(value)
        self.length += len(value)
        if value[-1] != "\n":
            self._newlines = 0
        else:
            stripped = value.rstrip("\n")
            trailing = len(value) - len(stripped)
            self._newlines = self._newlines + trailing if not stripped else trailing

    def space(self) -> None:
        self._add_space(False)

    def take_space(self) -> bool:
        """Remove and return the pending space (to move it past a note marker)."""
        pending = self._pending_space and not self._glue
        self._pending_space = False
        return pending

    def join(self) -> None:
        """The word goes on after a line break that does not break it (``lb break="no"``)."""
        self._pending_space = False
        self._glue = True

    def line_break(self, source: bool = False) -> None:
        """End the line; ``source``: only because the source's line ends (an ``lb``)."""
        self._pending_space = False
        self._glue = False
        if not self._newlines:
            self._emit("\n")
            if source:
                self.source_newlines.add(self.length - 1)
        elif not source:
            self._claim_newline()

    def _claim_newline(self) -> None:
        # A line or paragraph ends where an lb already broke the line: the break is theirs.
        if self.source_newlines and self._newlines:
            self.source_newlines.discard(self.length - self._newlines)

    def block_break(self) -> None:
        self._pending_space = False
        self._glue = False
        self._claim_newline()
        if self.length and self._newlines < 2:
            self._emit("\n" * (2 - self._newlines))

    def result(self) -> str:
        return "".join(self._parts).rstrip()


class TextWalker:
    """Walks a ``text`` element once; see the module docstring.

    With ``stop_after`` the walk ends at the first point, after that many
    characters, where no element but the letter's containers (``body``,
    ``div`` ...) is open: every mention, span and block recorded so far is
    then closed, and the text so far is a prefix of the whole letter's text.
    """

    def __init__(self, reading: str = "normalised", stop_after: int | None = None) -> None:
        if reading not in _CHOICE_SIDES:
            raise ValueError(f"unknown reading {reading!r}")
        self.reading = reading
        self._stop_after = stop_after
        self._open = 0  # elements open on the walk that are not containers
        self.out = TextBuilder()
        self.mentions: list[RawMention] = []
        self.spans: list[Span] = []
        self.notes: list[Note] = []
        self.blocks: list[Block] = []
        self.line_starts: dict[str, int] = {}
        self.line_ends: dict[str, int] = {}
        self.line_references: list[RawLineReference] = []
        self.letterheads: list[etree._Element] = []
        self.member_spans: dict[etree._Element, tuple[int, int]] = {}
        self.has_choices = False
        self.unexpanded_entities: list[tuple[str, int | None]] = []
        self._pending_notes: list[tuple[etree._Element, int]] = []  # (note, index in notes)
        self._note_ranges: dict[int, tuple[int, int]] = {}
        self._note_bodies: dict[int, int] = {}  # where each appended note's paragraph starts
        self._in_note = False
        self._letterhead_depth = 0
        self._lined_depth = 0  # open LINED elements (and letterheads)
        self._note_number = 0
        self.anchors: dict[str, int] = {}  # anchor xml:id -> offset
        self.page_breaks: list[RawBreak] = []
        self.line_breaks: list[RawBreak] = []
        self.linked: list[RawLinked] = []

    # -- entry point ---------------------------------------------------------
    def run(self, text_element: etree._Element) -> TextResult:
        complete = True
        try:
            self.walk(text_element)
        except _Enough:
            complete = False  # the notes' texts come after the letter: not in its first part
        if self._pending_notes and complete:
            self._append_notes()
        text = self.out.result()
        own = self.out.source_newlines
        notes = [
            replace(note, text=_slice(text, *self._note_ranges[i]), body=self._note_bodies[i])
            if i in self._note_ranges
            else note
            for i, note in enumerate(self.notes)
        ]
        mentions = _trimmed_mentions(self.mentions, text)
        spans = [_trim_span(s, text) for s in self.spans]
        blocks = [b for b in (_trim_block(b, text) for b in self.blocks) if b is not None]
        return TextResult(
            text=text,
            mentions=mentions,
            spans=[s for s in spans if s is not None],
            notes=notes,
            blocks=blocks,
            line_starts=self.line_starts,
            line_ends=self.line_ends,
            line_references=self.line_references,
            letterheads=self.letterheads,
            member_spans={
                el: _trim_range(start, end, text) for el, (start, end) in self.member_spans.items()
            },
            has_choices=self.has_choices,
            unexpanded_entities=self.unexpanded_entities,
            complete=complete,
            page_breaks=[_clamped_break(b, text) for b in self.page_breaks],
            line_breaks=[
                _clamped_break(replace(b, own_newline=b.offset - 1 in own), text)
                for b in self.line_breaks
            ],
            linked=self.linked,
        )

    # -- the walk ------------------------------------------------------------
    def walk(self, element: etree._Element) -> None:
        tag = element.tag
        if not isinstance(tag, str):
            if tag is etree.Entity:
                # Entities are never expanded (see viewer.tei.xml); show the reference itself.
                self.out.literal(f"&{element.name};")
                self.unexpanded_entities.append((element.name, element.sourceline))
            return
        name = local(element)
        if name is None:  # foreign namespace: keep its text, ignore its meaning
            self._content(element)
            return
        handler = _HANDLERS.get(name)
        if handler is None and len(_GENERIC_TAGS) < 4096:
            _GENERIC_TAGS[tag] = name
        if name in CONTAINERS:
            self._generic(element, name)
            return
        self._open += 1
        if handler is not None:
            handler(self, element, name)
        else:
            self._generic(element, name)
        self._open -= 1
        stop = self._stop_after
        # Not after the last part of a container: stopping there would save nothing.
        if (
            stop is not None
            and not self._open
            and self.out.length >= stop
            and element.getnext() is not None
        ):
            raise _Enough

    def _content(self, element: etree._Element) -> None:
        # The innermost loop of the walk (once per element): names bound once, and no
        # call for the many elements without a tail.
        text, walk = self.out.text, self.walk
        if element.text:
            text(element.text)
        for child in element:
            walk(child)
            tail = child.tail
            if tail:
                text(tail)

    def _generic(self, element: etree._Element, name: str) -> None:
        # Once per element of the letter (58,000 in a 2 MB one): what the element's name
        # implies is looked up once per name, its attributes are asked for only when
        # ``keys()`` (one C call) has them, and its content is walked inline.
        try:
            profile = _PROFILES[name]
        except KeyError:
            profile = _PROFILES[name] = _profile(name)
        skipped, register_list, paragraph, line, lined, formula_part, mention_base, styled = profile
        if skipped:
            return
        keys = element.keys()
        kind_attribute = element.get("type") if "type" in keys else None
        letterhead = kind_attribute == "letterhead"
        if register_list and not (self._letterhead_depth or letterhead):
            return
        if letterhead:
            self.letterheads.append(element)
            self._letterhead_depth += 1
            paragraph = lined = True
        # A letterhead's printed lines and columns (seg rend="left|right") are lines of
        # their own, not one run of text ("Neues Wiener JournalWien").
        if name == "seg" and self._letterhead_depth > 0:
            line = True
        self._lined_depth += lined
        if paragraph and formula_part:
            parent = element.getparent()
            if parent is not None and local(parent) in FORMULAE:
                paragraph, line = False, True
        out = self.out
        if paragraph:
            out.block_break()
        elif line:
            out.line_break()
        start = out.length
        mention_kind = None
        if mention_base is not _NO_MENTION:
            references = _references(element, keys)
            mention_kind = mention_base
            if mention_kind is None:
                mention_kind = kind_from_type(kind_attribute)
                if mention_kind is None and (kind_attribute or references):
                    mention_kind = "other"
                # else: a bare <rs>/<name> says nothing (Escher wraps persName in empty rs).
        style = _span_style(element, name) if styled else None
        notes = self.notes
        notes_before = len(notes)
        value = element.text
        if value:
            out.text(value)
        if len(element):
            walk, add, generic = self.walk, out.text, self._generic
            # Without a first part to stop after, walk would only hand an element that
            # has no handler of its own on to _generic: that call is saved.
            direct = _GENERIC_TAGS if self._stop_after is None else {}
            for child in element:
                child_name = direct.get(child.tag)
                if child_name is not None:
                    generic(child, child_name)
                else:
                    walk(child)
                value = child.tail
                if value:
                    add(value)
        end = out.length
        if mention_kind is not None:
            mention_end = end
            if notes and notes[-1].marker_end >= end:
                mention_end = self._before_markers(end)
            self.mentions.append(
                RawMention(
                    start,
                    mention_end,
                    mention_kind,
                    references,
                    "subtype" in keys and element.get("subtype") == "implied",
                    element.sourceline,
                    self._in_note,
                    date_value_of(element) if mention_kind == "date" else None,
                )
            )
        if "facs" in keys or XML_ID in keys:
            # A facsimile zone may point at it (@facs or zone/@corresp).
            facs, identifier = element.get("facs"), element.get(XML_ID)
            if facs or identifier:
                self.linked.append(RawLinked(start, end, norm_space(facs), identifier or ""))
        if name == "seg" and len(notes) > notes_before and not self._in_note:
            # A seg holding a note (lemma + gloss): the rest of the seg is the note's lemma.
            note = notes[notes_before]
            if note.anchor > start:
                self.spans.append(Span(start, note.anchor, "lemma", note.label))
        if style is not None:
            self.spans.append(Span(start, end, style[0], style[1]))
        if self._letterhead_depth:
            # Every element of a letterhead: members, printed lines (seg) and the blocks.
            self.member_spans[element] = (start, end)
        if paragraph or line:
            kind = "letterhead" if letterhead else (kind_attribute or name)
            if name in _NAMED_BLOCKS:
                kind = name
            self.blocks.append(Block(start, end, kind))
            if paragraph:
                out.block_break()
            else:
                out.line_break()
        if letterhead:
            self._letterhead_depth -= 1
        self._lined_depth -= lined

    # -- mentions --------------------------------------------------------------
    def _before_markers(self, end: int) -> int:
        """``end`` moved before note markers that close the element ("Locher[2]")."""
        for note in reversed(self.notes):
            if note.marker_end == end and note.anchor < end:
                end = note.anchor
            elif note.marker_end < end:
                break
        return end

    # -- special elements ------------------------------------------------------
    def _lb(self, element: etree._Element, name: str) -> None:
        identifier = xml_id(element)
        if identifier:
            self.line_ends[identifier] = self.out.length
        hyphen = _renders_hyphen(element)
        inside_word = hyphen or element.get("break") == "no" or element.get("type") == "nobreak"
        if not inside_word:
            self.out.line_break(source=not self._lined_depth)
        elif self.reading == "normalised":
            self.out.join()  # the word reads whole: "Unter<lb/>hemde" is "Unterhemde"
        else:
            self.out.join()  # no space before the hyphen or the break
            if hyphen:
                self.out.literal("-")
            self.out.line_break(source=True)
            self.out.join()
        if identifier:
            self.line_starts[identifier] = self.out.length
        self.line_breaks.append(
            RawBreak(
                self.out.length,
                norm_space(element.get("n")),
                identifier or "",
                norm_space(element.get("facs")),
                breaks=not inside_word or self.reading != "normalised",
                in_word=inside_word,
            )
        )

    def _pb(self, element: etree._Element, name: str) -> None:
        if name == "cb":  # a new column starts on a new line
            self.out.line_break()
        position = self.out.length
        label = element.get("n") or ""
        if name == "pb":
            self.page_breaks.append(
                RawBreak(
                    position,
                    norm_space(label),
                    xml_id(element) or "",
                    norm_space(element.get("facs")),
                )
            )
        self.spans.append(Span(position, position, "pb" if name == "pb" else name, label))

    def _choice(self, element: etree._Element, name: str) -> None:
        shown_names, other_names = _CHOICE_SIDES[self.reading]
        options = [child for child in element if local(child) is not None]
        shown = next((c for n in shown_names for c in options if local(c) == n), None)
        other = next((c for n in other_names for c in options if local(c) == n), None)
        if shown is None and options:
            shown = options[0]
        if shown is None:
            return
        self.has_choices = self.has_choices or other is not None
        start = self.out.length
        self._content(shown)  # the choice's own span below stands for the shown side
        detail = plain_text(other) if other is not None else ""
        self.spans.append(Span(start, self.out.length, local(shown) or "choice", detail))

    def _note(self, element: etree._Element, name: str) -> None:
        if element.get("type") == "letterhead" and not self._in_note:
            # A letterhead printed in the margin is letter text, not a footnote.
            self._generic(element, name)
            return
        if _is_line_reference_note(element):
            self._line_reference_note(element)
            return
        if self._in_note:  # a note inside a note reads inline
            self.out.text(" (")
            self._content(element)
            self.out.literal(")")
            return
        flag = _flag_text(element)
        if flag is not None:
            label = flag  # "sic!", "Fehlstelle": the marker says it all
        else:
            self._note_number += 1
            label = norm_space(element.get("n")) or str(self._note_number)
        marker = f"[{label}]"
        # The marker sticks to the word it annotates; a space before it goes after it.
        spaced = self.out.take_space()
        self.out.literal(marker)
        end = self.out.length
        start = end - len(marker)
        if spaced:
            self.out.space()
        self.notes.append(
            Note(
                anchor=start,
                marker_end=end,
                label=label,
                text=flag or "",
                kind=element.get("type") or "",
                line=element.sourceline,
            )
        )
        self._lemma_from_anchor(element, start, label)
        if flag is None:
            self._pending_notes.append((element, len(self.notes) - 1))

    def _lemma_from_anchor(self, element: etree._Element, marker: int, label: str) -> None:
        """A note pointing back to an anchor annotates the text from the anchor to itself."""
        for attribute in ("corresp", "target", "targetEnd"):
            for token in (element.get(attribute) or "").split():
                start = self.anchors.get(token.rpartition("#")[2])
                if start is not None and start < marker:
                    self.spans.append(Span(start, marker, "lemma", label))
                    return

    def _append_notes(self) -> None:
        """Write each note's text after the letter, so its mentions get real offsets."""
        self._in_note = True
        for element, index in self._pending_notes:
            self.out.block_break()
            block_start = self.out.length
            self.out.literal(f"[{self.notes[index].label}]")
            self.out.space()
            text_start = self.out.length
            self._content(element)
            self.blocks.append(Block(block_start, self.out.length, "note"))
            self._note_ranges[index] = (text_start, self.out.length)
            self._note_bodies[index] = block_start
        self._in_note = False

    def _line_reference_note(self, element: etree._Element) -> None:
        target = (element.get("corresp") or element.get("target") or "").strip()
        line_id = target.split()[0].lstrip("#") if target else ""
        for entry in element.iter():
            entry_name = local(entry)
            if entry_name not in ("person", "place", "bibl", "org", "event", "item"):
                continue
            references = references_of(entry)
            if not references:
                continue
            kind = {
                "person": "person",
                "place": "place",
                "bibl": "work",
                "org": "organisation",
                "event": "event",
            }.get(entry_name, "other")
            name_element = first(entry, "persName", "placeName", "title", "orgName", "name")
            label = plain_text(name_element if name_element is not None else entry)
            self.line_references.append(
                RawLineReference(
                    line_id=line_id,
                    references=references,
                    label=label,
                    kind=kind,
                    uncertain=entry.get("ana") == "?" or entry.get("cert") in ("low", "unknown"),
                    line=entry.sourceline,
                    position=self.out.length,
                )
            )

    def _gap(self, element: etree._Element, name: str) -> None:
        self.out.literal("[…]")
        details = [element.get(a) for a in ("reason", "quantity", "unit", "extent")]
        self.spans.append(
            Span(self.out.length - 3, self.out.length, "gap", " ".join(d for d in details if d))
        )

    def _space(self, element: etree._Element, name: str) -> None:
        self.out.space()

    def _figure(self, element: etree._Element, name: str) -> None:
        self.out.block_break()
        start = self.out.length
        description = first(element, "figDesc")
        kind = element.get("type") or "figure"
        letterhead = kind == "letterhead"
        if letterhead:
            # A printed letterhead drawn as a figure: its text is letter text.
            self.letterheads.append(element)
            self._letterhead_depth += 1
        for child in element:
            child_name = local(child)
            if child_name in ("head", "p", "ab", "figure") or (
                letterhead and child_name != "figDesc"
            ):
                self.walk(child)
        if letterhead:
            self.member_spans[element] = (start, self.out.length)
            self._letterhead_depth -= 1
        if description is not None:
            text = plain_text(description)
            if text:
                label = f"[{kind}: {text}]"
                self.out.literal(label)
                self.spans.append(
                    Span(self.out.length - len(label), self.out.length, "figure", kind)
                )
        self.blocks.append(Block(start, self.out.length, "figure"))
        self.out.block_break()

    def _ignore(self, element: etree._Element, name: str) -> None:
        return

    def _ref(self, element: etree._Element, name: str) -> None:
        """A cross-reference; an empty one (its label lost) still shows that it is there."""
        target = norm_space(element.get("target"))
        if name == "ref" and "".join(element.itertext()).strip():
            start = self.out.length
            self._content(element)
            if target:
                self.spans.append(Span(start, self.out.length, "ref", target))
            return
        if target:
            # A reference to a day (a diary entry) reads as that day; anything else as a mark.
            shown = target if _ISO_DAY.match(target) else REFERENCE_MARK
            self.out.literal(shown)
            end = self.out.length
            self.spans.append(Span(end - len(shown), end, "ref", target))

    def _anchor(self, element: etree._Element, name: str) -> None:
        identifier = xml_id(element)
        if identifier:
            self.anchors.setdefault(identifier, self.out.length)


_SIC = re.compile(r"^[(\[]?sic[!.]?[)\]]?$", re.IGNORECASE)


def _flag_text(element: etree._Element) -> str | None:
    """A note that only says "sic!" (so written in the original): it is its own marker."""
    if any(isinstance(child.tag, str) for child in element):
        return None
    text = norm_space("".join(element.itertext()))
    return text.strip("()[]") if _SIC.match(text) else None


def _renders_hyphen(element: etree._Element) -> bool:
    """``lb rendition="#hyphen"`` (or rend="hyphen"): a word hyphenated at the line end."""
    values = f"{element.get('rendition') or ''} {element.get('rend') or ''}".split()
    return any(v.lstrip("#").lower() in ("hyphen", "hyphenated", "hyph") for v in values)


def _is_line_reference_note(element: etree._Element) -> bool:
    content = [child for child in element if isinstance(child.tag, str)]
    if not content:
        return False
    if (element.text or "").strip():
        return False
    return all(
        local(child) in REGISTER_LISTS and child.get("type") in ("lineReference", None)
        for child in content
    ) and any(child.get("type") == "lineReference" for child in content)


_EDITORIAL_STYLES = frozenset(
    {"del", "add", "unclear", "supplied", "sic", "corr", "orig", "reg", "abbr"}
)
_RENDERED_STYLES = frozenset(
    {"hi", "emph", "foreign", "term", "mentioned", "soCalled", "q", "said"}
)
_STYLED = _EDITORIAL_STYLES | _RENDERED_STYLES | {"head"}


def _span_style(element: etree._Element, name: str) -> tuple[str, str] | None:
    if name in _EDITORIAL_STYLES:
        detail = element.get("reason") or element.get("place") or element.get("rend") or ""
        return (name, detail)
    if name in _RENDERED_STYLES:
        detail = element.get("rend") or element.get("rendition") or ""
        return (name, detail)
    if name == "head":
        return ("head", "")
    return None


_REFERENCE_ATTRIBUTE_SET = frozenset(REFERENCE_ATTRIBUTES)


def references_of(element: etree._Element) -> list[tuple[str, str]]:
    # keys() is one C call; most elements carry no reference attribute at all.
    return _references(element, element.keys())


def _references(element: etree._Element, keys: list[str]) -> list[tuple[str, str]]:
    """:func:`references_of`, given the element's ``keys()``."""
    found: list[tuple[str, str]] = []
    present = _REFERENCE_ATTRIBUTE_SET.intersection(keys)
    if not present:
        return found
    for attribute in REFERENCE_ATTRIBUTES if len(present) > 1 else present:
        if attribute not in present:
            continue
        value = element.get(attribute)
        if not value:
            continue
        if attribute == "key":
            # Keys may be human-readable names with spaces (Escher): one key, not many.
            value = value.strip()
            if value:
                found.append((attribute, value))
        else:
            found += [(attribute, token) for token in value.split()]
    return found


def date_value_of(element: etree._Element | Mapping[str, str]) -> str | None:
    """A date element's value from its attributes (@when, else @from/@to or
    @notBefore/@notAfter as a range); the element, or its attributes as a dict."""
    for attribute in ("when", "when-iso"):
        value = element.get(attribute)
        if value and value.strip():
            return value.strip()
    low = element.get("from") or element.get("notBefore")
    high = element.get("to") or element.get("notAfter")
    if low and high:
        return f"{low.strip()}/{high.strip()}"
    if low or high:
        return (low or high or "").strip()
    return None


def _clamped_break(raw: RawBreak, text: str) -> RawBreak:
    # The text's end was stripped after the offsets were taken.
    return raw if raw.offset <= len(text) else replace(raw, offset=len(text))


def _trim_range(start: int, end: int, text: str) -> tuple[int, int]:
    # The text was right-stripped after positions were recorded: clamp first.
    end = min(end, len(text))
    start = min(start, end)
    while start < end and text[start] in " \n":
        start += 1
    while end > start and text[end - 1] in " \n":
        end -= 1
    return start, end


def _slice(text: str, start: int, end: int) -> str:
    return text[start:end].strip()


def _trimmed(mention: RawMention, text: str) -> RawMention | None:
    start, end = _trim_range(mention.start, mention.end, text)
    if start >= end:
        return None
    mention.start, mention.end = start, end
    return mention


def _trimmed_mentions(mentions: list[RawMention], text: str) -> list[RawMention]:
    """The mentions that keep some text, each trimmed (:func:`_trimmed`)."""
    kept = []
    size = len(text)
    for mention in mentions:
        # _trimmed, inline: a mention's start is often the space before its first word.
        start, end = mention.start, mention.end
        if end > size:
            end = size
        if start > end:
            start = end
        while start < end and text[start] in " \n":
            start += 1
        while end > start and text[end - 1] in " \n":
            end -= 1
        if start < end:
            mention.start, mention.end = start, end
            kept.append(mention)
    return kept


def _trim_span(span: Span, text: str) -> Span | None:
    if span.start == span.end:
        return (
            span if span.start <= len(text) else Span(len(text), len(text), span.style, span.detail)
        )
    start, end = _trim_range(span.start, span.end, text)
    if start >= end:
        return None
    return Span(start, end, span.style, span.detail)


def _trim_block(block: Block, text: str) -> Block | None:
    start, end = _trim_range(block.start, block.end, text)
    if start >= end:
        return None
    return Block(start, end, block.kind)


# What ``TextWalker._generic`` makes of an element by its name alone, worked out once
# per name: (skipped, register list, paragraph, line, lined, formula part, mention kind
# (None: from @type; _NO_MENTION: not a mention), styled).
_NO_MENTION = "-"
_PROFILES: dict[str, tuple[bool, bool, bool, bool, bool, bool, str | None, bool]] = {}
# Blocks of these elements are of their name's kind, whatever their @type.
_NAMED_BLOCKS = frozenset({"head", "p", "salute", "dateline", "signed", "addrLine", "item"})


def _profile(name: str) -> tuple[bool, bool, bool, bool, bool, bool, str | None, bool]:
    return (
        name in SKIPPED,
        name in REGISTER_LISTS,
        name in PARAGRAPH_BLOCKS,
        name in LINE_BLOCKS,
        name in LINED,
        name in FORMULA_PARTS,
        MENTION_ELEMENTS.get(name, _NO_MENTION),
        name in _STYLED,
    )


# Tags whose elements walk hands straight on to _generic (no handler, TEI or no namespace).
_GENERIC_TAGS: dict[str, str] = {}

_HANDLERS = {
    "lb": TextWalker._lb,
    "pb": TextWalker._pb,
    "cb": TextWalker._pb,
    "choice": TextWalker._choice,
    "note": TextWalker._note,
    "gap": TextWalker._gap,
    "space": TextWalker._space,
    "figure": TextWalker._figure,
    "anchor": TextWalker._anchor,
    "ref": TextWalker._ref,
    "ptr": TextWalker._ref,
    "handShift": TextWalker._ignore,
    "addSpan": TextWalker._ignore,
    "delSpan": TextWalker._ignore,
    "milestone": TextWalker._ignore,
    "graphic": TextWalker._ignore,
    "link": TextWalker._ignore,
    "linkGrp": TextWalker._ignore,
    "index": TextWalker._ignore,
    "certainty": TextWalker._ignore,
    "precision": TextWalker._ignore,
}


def build_text(
    text_element: etree._Element, reading: str = "normalised", stop_after: int | None = None
) -> TextResult:
    return TextWalker(reading, stop_after).run(text_element)
