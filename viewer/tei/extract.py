"""What the collection index needs from a letter, extracted on the C side of lxml.

:func:`extract_file` answers what ``viewer.collection._index_one`` answers (the
same dict: kind, the letter's summary, the register files used, their errors),
without the full reader's Python walk over every element of the letter:

- the file is read and parsed once with the hardened parser and classified
  from the parsed root (the first bytes are sniffed only where the tree alone
  does not decide as ``classify`` would);
- the text for search comes from one XSLT pass (libxslt, in C) that follows the
  reader's walk: blocks, line breaks, the shown side of each ``choice``,
  skipped and ignored elements, register lists, figures, note markers with the
  notes' texts after the letter (see :func:`search_text`);
- the same pass writes a record for each mention element (``persName``,
  ``rs``, ``date``...) the walk reaches: its name and attributes, then its
  text (see :func:`text_and_mentions`). Python reads each distinct header once
  per process, decides from the record's text whether the reader keeps the
  mention, resolves ``#id`` pointers into the letter's own entries with dict
  look-ups and counts (see :func:`_count_records`). Where the records cannot
  decide as the reader (a mention that starts with a note's marker, an ``rs``
  read as a date holding elements, a letterhead that is a note...), the
  mention elements that lxml's tag-filtered ``iter`` finds are checked in
  Python with their ancestors instead (:class:`_Reach`), as before;
- register entries are found as the reader finds them (lxml's tag-filtered
  ``iter``), and an entry's Entity is built only when a mention, a party or a
  letterhead uses it, without description and authority URIs, and with its
  variant names only for the letter's parties (the metadata matches them with
  the title); an entry holding just its name is read from a few C calls
  (:func:`_simple_entity`), others through a cache keyed by their markup;
- a letterhead (a minority of letters) is read by the existing letterhead
  parser over a text walk of the letterhead elements only;
- the metadata is read as the reader reads it (without the source line).

Entity ids, counts, kinds and names, the mention total, title, dates, parties,
letterhead records and register files equal the full reader's (the agreement
test, tests/test_extract.py, checks every letter of the test corpus). The text
for search follows the reader's text; it may differ in whitespace where the
reader's builder decides by text-node boundaries (see :func:`search_text`).

Where a letter uses something the fast path does not follow exactly (a document
type declaration, whose entity references stay unexpanded in the tree; UTF-16
or other encodings that are not ASCII-compatible; the noncharacters used as
marks; a letterhead inside a note), the full reader reads the already parsed
tree instead; ``stats`` counts why.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from viewer.errors import EpistolaError
from viewer.gcpause import paused_gc
from viewer.letterheads import letterhead_records
from viewer.model import Entity, Letter, Mention
from viewer.summary import letter_summary
from viewer.tei.classify import (
    _TEI_ROOTS,
    LETTER,
    OTHER,
    SNIFF_BYTES,
    root_name,
    sniff,
    tree_kind,
)
from viewer.tei.letterhead import read_letterheads
from viewer.tei.metadata import read_metadata
from viewer.tei.reader import READINGS, letter_from_tree, letter_parts
from viewer.tei.registers import (
    _OWN_NAMES,
    _REGISTER_CONTAINERS,
    ENTRY_KINDS,
    LazyRegisterIndex,
    _authorities,
    _uri_key,
    entity_from_element,
    entry_kind,
)
from viewer.tei.resolve import ExternalRegisters, Resolver
from viewer.tei.text import (
    MENTION_ELEMENTS,
    REFERENCE_ATTRIBUTES,
    REGISTER_LISTS,
    SKIPPED,
    TextWalker,
    _is_line_reference_note,
    _trim_range,
    _trimmed,
    build_text,
    date_value_of,
    kind_from_type,
    references_of,
)
from viewer.tei.xml import (
    NS,
    TEI_NS,
    XML_ID,
    local,
    parse_bytes,
    parse_file,
    read_bounded,
    tei_tags,
)

_CHOICE_SHOWN = {
    "normalised": ("corr", "reg", "expan", "ex"),
    "diplomatic": ("sic", "orig", "abbr", "am"),
}
_OTHER_READING = {"normalised": "diplomatic", "diplomatic": "normalised"}
_CHOICE_TAGS = tuple(tei_tags("choice"))
# Elements whose content the reader's walk never reads as text: the skipped ones, those
# with a handler that ignores the content, and figure descriptions (read as a label).
_UNWALKED = frozenset(
    SKIPPED
    | {"handShift", "addSpan", "delSpan", "milestone", "graphic", "link", "linkGrp", "index"}
    | {"certainty", "precision", "gap", "space", "lb", "pb", "cb", "anchor", "ptr", "figDesc"}
)
_FIGURE_WALKS = ("head", "p", "ab", "figure")


def _named(*names: str) -> str:
    """An XPath test for elements with one of ``names``, in the TEI namespace or none."""
    return " or ".join(f"self::tei:{name} or self::{name}" for name in names)


def _name_pattern(*names: str) -> str:
    """An XSLT match pattern for elements named ``names`` (TEI namespace or none)."""
    return " | ".join(f"tei:{name} | {name}" for name in names)


_LETTERHEAD_ELEMENTS = etree.XPath("descendant::*[@type='letterhead']")
# The noncharacters U+FDD0..U+FDEF (the marks below) in the bytes of a letter.
_MARK_BYTES = re.compile(rb"\xef\xb7[\x90-\xaf]")
_MARK_REFERENCES = re.compile(rb"&#(?:[xX]0*[fF][dD][dDeE][0-9a-fA-F];|0*6(?:49[7-9]\d|500\d);)")


# ----------------------------------------------------------------- entry


def extract_file(
    path: str, catalog, reading: str = "normalised", stats: Counter | None = None
) -> dict:
    """The collection's record of one file, as ``_index_one`` makes it; never raises.

    ``{"kind": "letter", "letter": {...}, "uses": [...], "registerErrors": [...]}``,
    ``{"kind": "register" | "other"}`` or ``{"kind": "error", "error": message}``.
    The letter's dict carries the keys of the full reader's summary and
    ``altText``: the other reading's text, only where it differs. ``stats``
    (optional) counts ``fast`` letters and each reason for a full read.
    """
    try:
        return _extract(str(path), catalog, reading, stats if stats is not None else Counter())
    except Exception as error:  # a parser bug must not stop the other letters
        return unreadable(error)


def unreadable(error: Exception) -> dict:
    """The index's record of a file that could not be read: why, in words."""
    if isinstance(error, EpistolaError):
        message = error.message
    elif isinstance(error, RecursionError):
        message = "is nested too deeply to read"
    elif isinstance(error, MemoryError):
        message = "is too large to read in the memory available"
    else:
        message = f"could not be read ({type(error).__name__}: {error})"
    return {"kind": "error", "error": message}


def _extract(path: str, catalog, reading: str, stats: Counter) -> dict:
    try:
        data = read_bounded(path)
    except EpistolaError:
        # Not a readable regular file (or too large): the classifier's own way decides
        # between "other" and the error, exactly as for the full reader.
        stats["unreadable"] += 1
        return _classified_elsewhere(path, catalog, reading)
    head = data[:SNIFF_BYTES]
    # The sniff (classify's first word) only matters where the parsed tree does not
    # make the file a letter, or where the bytes are not plain ASCII-compatible XML.
    plain = (
        b"\x00" not in head[:4]
        and head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"
        and b"<!DOCTYPE" not in head
    )
    sniffed = None if plain else sniff(head)
    if sniffed == OTHER:
        return _other_or_broken(head, data, path)
    try:
        with paused_gc():
            tree = parse_bytes(data, path)
    except EpistolaError as error:
        name = root_name(head)
        if name is not None and name not in _TEI_ROOTS:
            return {"kind": "other"}
        return {"kind": "error", "error": error.message}
    tree_says_letter = False
    if sniffed is None:
        kind = tree_kind(tree.getroot())[0]
        tree_says_letter = kind == LETTER
        if kind != LETTER:
            sniffed = sniff(head) if plain else None
            if sniffed == OTHER:
                return _other_or_broken(head, data, path)
            if sniffed is None:
                return {"kind": kind}
    registers = catalog.for_letter(path)
    if reading not in READINGS:
        raise EpistolaError(f"unknown reading {reading!r} (use one of {', '.join(READINGS)})")
    with paused_gc():
        # (The head is all of a small file: then the bytes are known to declare no DTD.)
        no_doctype = plain and len(head) == len(data)
        letter = _letter_dict(
            tree, path, reading, registers, stats, data, tree_says_letter, no_doctype
        )
    return {
        "kind": "letter",
        "letter": letter,
        "uses": registers.files,
        "registerErrors": [[f, m] for f, m in registers.errors],
    }


def _other_or_broken(head: bytes, data: bytes, path: str) -> dict:
    """What ``classify`` and ``broken_reason`` say of a file the sniff calls "other"."""
    name = root_name(head)
    if name is not None and name not in _TEI_ROOTS:
        return {"kind": "other"}
    try:
        parse_bytes(data, path)
    except EpistolaError as error:
        return {"kind": "error", "error": error.message}
    return {"kind": "other"}


def _classified_elsewhere(path: str, catalog, reading: str) -> dict:
    from viewer.tei.classify import broken_reason, classify
    from viewer.tei.reader import read_letter

    kind = classify(path)
    if kind == OTHER:
        reason = broken_reason(path)
        return {"kind": "error", "error": reason} if reason else {"kind": "other"}
    if kind != LETTER:
        return {"kind": kind}
    registers = catalog.for_letter(path)
    letter = read_letter(path, reading=reading, registers=registers)
    return {
        "kind": "letter",
        "letter": letter_summary(letter, _alt_text(letter, None, reading)),
        "uses": registers.files,
        "registerErrors": [[f, m] for f, m in registers.errors],
    }


# ----------------------------------------------------------------- the letter


def _letter_dict(
    tree: etree._ElementTree,
    file: str,
    reading: str,
    registers: ExternalRegisters,
    stats: Counter,
    data: bytes,
    known_letter: bool = False,
    no_doctype: bool = False,
) -> dict:
    root, text_element = letter_parts(tree, file, known_letter=known_letter)

    letterhead_elements = _LETTERHEAD_ELEMENTS(text_element) if b"letterhead" in data else []
    reason = _needs_full_reader(data, letterhead_elements, no_doctype)
    if reason is not None:
        stats[reason] += 1
        letter = letter_from_tree(tree, file, reading=reading, registers=registers)
        return letter_summary(letter, _alt_text(letter, text_element, reading))
    stats["fast"] += 1

    local_index = _LocalIndex(root)
    resolver = Resolver(local_index, registers)
    reach = _Reach(text_element, reading, letterhead_elements)
    # The metadata first: its parties' entities are built with their variant names.
    metadata = read_metadata(root, resolver.resolve_all, resolver.names_of, with_source=False)
    local_index.variants = False
    with_letterheads = bool(letterhead_elements)
    # Each scan of the bytes for a word costs about a microsecond per KB: once each.
    has_choice = b"choice" in data
    has_line_references = b"lineReference" in data
    text, found = None, None
    if _records_follow_reach(
        text_element, data, letterhead_elements, has_choice, has_line_references
    ):
        text, records = text_and_mentions(tree, reading, with_letterheads)
        found = _count_records(records, resolver, _DateSurfaces(tree.getroot(), reach).surface)
    if found is None:
        stats["fast, mentions walked"] += 1
        found = _count_mentions(reach.mentions(), resolver, reading)
    counts, total, date_names = found
    if has_line_references:
        for note in _LINE_REFERENCE_NOTES(text_element):
            if not _is_line_reference_note(note) or not reach.place(note):
                continue
            walker = TextWalker(reading)
            walker._line_reference_note(note)
            for line_reference in walker.line_references:
                total += 1
                for entity_id in resolver.resolve_all(line_reference.references)[0]:
                    counts[entity_id] = counts.get(entity_id, 0) + 1

    letterheads: tuple = ()
    letterhead_ids: set[str] = set()
    if letterhead_elements:
        letterheads, letterhead_ids = _letterheads(
            letterhead_elements, reading, file, resolver, metadata.senders
        )

    all_counts: dict[str, int] = dict.fromkeys(sorted(letterhead_ids), 0)  # a set: fixed order
    for party in (*metadata.senders, *metadata.recipients, *metadata.places):
        for entity_id in party.entities:
            all_counts.setdefault(entity_id, 0)
    all_counts.update(counts)

    entities = []
    built, used = local_index.by_id, resolver.used
    for entity_id, count in all_counts.items():
        if entity_id in date_names:
            entity = used.get(entity_id)
        else:
            # (by_id first: the mentions' entities are built by now.)
            entity = built.get(entity_id) or local_index.get(entity_id) or used.get(entity_id)
        if entity is not None:
            kind, name = entity.kind, entity.name
        elif entity_id in date_names:
            kind, name = "date", date_names[entity_id]
        else:
            kind, name = "other", entity_id
        # A register entry named "..." or "–" says nothing in a list of names.
        entities.append([entity_id, count, kind, name if _named_by(name) else entity_id])

    date = metadata.date
    when = date.when if date else None
    if text is None:
        text = search_text(tree, reading, with_letterheads)
    result = {
        "title": metadata.title or Path(file).name,
        "when": when,
        "dateText": date.text if date else "",
        "sortDate": (when or (date.not_before or date.not_after or "") if date else "") or "",
        "senders": [p.name for p in metadata.senders if p.name],
        "recipients": [p.name for p in metadata.recipients if p.name],
        "mentions": total,
        "entities": entities,
        "text": text,
        "letterheads": [record.to_json() for record in letterheads],
    }
    if has_choice and _reaches_other_side(reach, text_element, reading):
        other = search_text(tree, _OTHER_READING[reading])
        if other != text:
            result["altText"] = other
    return result


def _reaches_other_side(reach: _Reach, text_element: etree._Element, reading: str) -> bool:
    """Whether the walk reaches a ``choice`` with a side the other reading shows.

    The reader keeps the other reading's text only for such a letter
    (``Letter.has_choices``); the word "choice" in its bytes is not enough: a
    letter saying it, with a hyphenated line break, reads differently in the
    other reading but has no other text.
    """
    other_side = _CHOICE_SHOWN[_OTHER_READING[reading]]
    return any(
        any(local(child) in other_side for child in choice) and reach.place(choice)
        for choice in text_element.iter(*_CHOICE_TAGS)
    )


def _records_follow_reach(
    text_element: etree._Element,
    data: bytes,
    letterhead_elements: list[etree._Element],
    has_choice: bool | None = None,
    has_line_references: bool | None = None,
) -> bool:
    """Whether the stylesheet's walk reaches the mentions :class:`_Reach` finds (nearly always).

    It does not where a letterhead is itself a note or a mention, holds a line
    reference note, a figure's description stands outside a figure, or a
    ``choice`` has a child in another namespace (the reader passes it over).
    ``has_choice`` and ``has_line_references``: whether those words are in
    ``data``, where the caller knows.
    """
    if has_choice is None:
        has_choice = b"choice" in data
    if has_line_references is None:
        has_line_references = b"lineReference" in data
    for element in letterhead_elements:
        if local(element) in _MENTION_OR_NOTE:
            return False
    if letterhead_elements and has_line_references:
        return False
    if b"figDesc" in data and _LOOSE_FIGURE_DESCRIPTIONS(text_element):
        return False
    return not (has_choice and b"xmlns:" in data and _FOREIGN_CHOICES(text_element))


_MENTION_OR_NOTE = frozenset({*MENTION_ELEMENTS, "note"})
_LOOSE_FIGURE_DESCRIPTIONS = etree.XPath(
    "descendant::*[local-name()='figDesc'][not(parent::*[local-name()='figure'])][*]"
)
_FOREIGN_CHOICES = etree.XPath(
    "descendant::*[local-name()='choice']"
    f"/*[namespace-uri() != '' and namespace-uri() != '{TEI_NS}']"
)


def _count_mentions(
    mentions: list[tuple[etree._Element, bool]], resolver: Resolver, reading: str
) -> tuple[dict[str, int], int, dict[str, str]]:
    """(mentions by entity id, mentions, names of dates) over the mention elements."""
    counts: dict[str, int] = {}
    total = 0
    date_names: dict[str, str] = {}
    # A letter names the same entities again and again, each time with the same pointers.
    resolved: dict[tuple[tuple[str, str], ...], tuple[str, ...]] = {}
    for element, in_note in mentions:
        found = _mention(element)
        if found is None:
            continue
        kind, references = found
        if not _has_text(element, reading, in_note):
            continue  # nothing to stand on: the reader drops an empty mention
        total += 1
        if references:
            pointers = tuple(references)
            entity_ids = resolved.get(pointers)
            if entity_ids is None:
                entity_ids = resolved[pointers] = resolver.resolve_all(references)[0]
        else:
            entity_ids = ()
        if kind == "date" and not entity_ids:
            value = date_value_of(element)
            if value:
                date_id = f"date:{value}"
                if date_id not in date_names:
                    date_names[date_id] = _surface(element, reading, in_note)
                entity_ids = (date_id,)
        for entity_id in entity_ids:
            counts[entity_id] = counts.get(entity_id, 0) + 1
    return counts, total, date_names


def _count_records(
    records: list[tuple[bytes, bytes]],
    resolver: Resolver,
    surface_of: Callable[[bytes], str | None],
) -> tuple[dict[str, int], int, dict[str, str]] | None:
    """:func:`_count_mentions` over the stylesheet's records; None where they cannot tell.

    A record's text decides whether the reader keeps the mention (a text that
    starts with a note's marker cannot tell). ``surface_of(header)`` reads the
    reader's text for a ``date`` holding elements (its name, where nothing
    resolves it) from the element itself; None (cannot tell) for another
    element read as a date (``rs type="date"``) that holds elements.
    """
    counts: dict[str, int] = {}
    total = 0
    date_names: dict[str, str] = {}
    resolved: dict[bytes, tuple[tuple[str, ...], str | None]] = {}
    for header, content in records:
        cached = resolved.get(header)
        if cached is None:
            found = _mention_of(header)
            if found is None:
                resolved[header] = cached = ((), "")
            else:
                kind, references, date_value, pointed = found
                entity_ids = _local_pointers(pointed, resolver) if references else ()
                if entity_ids is None:
                    entity_ids = resolver.resolve_all(references)[0]
                date_id = None
                if kind == "date" and not entity_ids and date_value:
                    date_id = f"date:{date_value}"
                    entity_ids = (date_id,)
                resolved[header] = cached = (entity_ids, date_id)
        entity_ids, date_id = cached
        if date_id == "":
            continue  # not a mention
        if not b"!" <= content[:1] < b"\x80":  # else it starts with a letter, digit, sign...
            has_text = _record_has_text(header, content)
            if has_text is None:
                return None
            if not has_text:
                continue  # nothing to stand on: the reader drops an empty mention
        total += 1
        if date_id is not None and date_id not in date_names:
            if header.endswith(_B_ONLY_TEXT):
                surface = " ".join(content.decode("utf-8", "replace").split())
            else:
                surface = surface_of(header)
                if surface is None:
                    return None
            date_names[date_id] = surface
        for entity_id in entity_ids:
            counts[entity_id] = counts.get(entity_id, 0) + 1
    return counts, total, date_names


def _local_pointers(ids: tuple[str, ...] | None, resolver: Resolver) -> tuple[str, ...] | None:
    """``resolver.resolve_all(references)[0]`` where every reference is ``#id`` (``ids``, see
    :func:`_pointed_ids`) of an entry of the letter's own register (the usual case); else
    None."""
    if ids is None:
        return None
    local_index = resolver.local
    by_id, elements, used = local_index.by_id, local_index._elements, resolver.used
    for entity_id in ids:
        if entity_id not in elements:
            return None
    for entity_id in ids:
        entity = by_id.get(entity_id) or local_index.get(entity_id)
        if entity is None or entity.id != entity_id:
            return None
        used[entity_id] = entity
    return ids


def _pointed_ids(references: list[tuple[str, str]]) -> tuple[str, ...] | None:
    """The ids of ``#id`` pointers, in order and without repeats; None unless all are such."""
    found: list[str] = []
    for attribute, token in references:
        if attribute == "key" or token[:1] != "#":
            return None
        if token[1:] not in found:
            found.append(token[1:])
    return tuple(found) if found else None


class _DateSurfaces:
    """The reader's text for a date a record names by its place among the document's dates."""

    def __init__(self, root: etree._Element, reach: _Reach) -> None:
        self.root = root
        self.reach = reach
        self.dates: list[etree._Element] | None = None

    def surface(self, header: bytes) -> str | None:
        if _B_AT not in header:
            return None
        if self.dates is None:
            self.dates = list(self.root.iter(*_DATE_TAGS))
        element = self.dates[int(header.decode("utf-8").rpartition(_AT)[2])]
        return _surface(element, self.reach.reading, self.reach.place(element) == 2)


_DATE_TAGS = tei_tags("date")


def _named_by(name: str) -> bool:
    try:
        return _NAMED[name]
    except KeyError:
        pass
    if len(_NAMED) >= 100_000:
        _NAMED.clear()
    named = _NAMED[name] = _ALPHANUMERIC.search(name) is not None
    return named


_NAMED: dict[str, bool] = {}  # names recur letter after letter


# A letter or digit: what str.isalnum takes (\w without the underscore), found in C.
_ALPHANUMERIC = re.compile(r"[^\W_]")


def _needs_full_reader(
    data: bytes, letterhead_elements: list[etree._Element], no_doctype: bool = False
) -> str | None:
    """Why this letter is read by the full reader, or None (the usual case).

    ``no_doctype``: the caller knows that ``data`` holds no ``<!DOCTYPE``.
    """
    if not no_doctype and b"<!DOCTYPE" in data:
        # Entity references (declared or from an external DTD) stay in the tree unexpanded
        # and read as "&name;": the full reader shows them so.
        return "document type declaration"
    if b"\x00" in data[:4]:
        return "not an ASCII-compatible encoding"
    # (A two-byte needle is scanned a byte at a time; one byte is a memchr, and
    # 0xEF, the first byte of U+F000-U+FFFF, is rare in letters.)
    if (b"\xef" in data and b"\xef\xb7" in data and _MARK_BYTES.search(data)) or (
        _has_character_reference(data) and _MARK_REFERENCES.search(data)
    ):
        return "noncharacters in the text"
    for element in letterhead_elements:
        if any(local(a) == "note" for a in element.iterancestors()):
            return "letterhead inside a note"
    return None


def _has_character_reference(data: bytes) -> bool:
    """``b"&#" in data``, found from the ampersands (a memchr each; a letter has few)."""
    at = data.find(b"&")
    for _ in range(64):
        if at < 0:
            return False
        if data[at + 1 : at + 2] == b"#":
            return True
        at = data.find(b"&", at + 1)
    return at >= 0 and b"&#" in data[at:]


class _LocalIndex(LazyRegisterIndex):
    """The letter's own register entries, as ``index_entries(root, skip={"body"})`` finds them.

    lxml's tag-filtered ``iter`` picks the candidates (entry elements outside the
    body) and Python checks only their ancestors; authority URIs are indexed when
    first looked up.
    An Entity is built when first asked for, without description and authority
    URIs, and without variant names once ``variants`` is switched off.
    """

    def __init__(self, root: etree._Element) -> None:
        super().__init__(None)
        self._uris_indexed = False
        # Variants matter only for the letter's parties (matched against its title), which
        # the metadata resolves first; the entities of mentions need kind and name.
        self.variants = True
        self._contexts: dict[etree._Element, tuple] = {}  # see _cached_entity
        # Whether the reader looks for entries inside an element, by element: the entries
        # of a letter share a few parents (its back's lists), each checked once.
        opens: dict[etree._Element, bool] = {root: True}
        for element in _entry_candidates(root):
            # As _is_register_entry and entry_kind (called only where the kind needs it);
            # xml_id and local inline: this runs once per entry of every letter.
            name = _ENTRY_TAG_NAMES.get(element.tag)
            if name is None:
                continue  # in another namespace (the candidates' tags match any)
            if ENTRY_KINDS[name] is None and entry_kind(element) is None:
                continue
            own_id = element.get(XML_ID) or element.get("id")
            own_id = own_id.strip() if own_id else None
            key = element.get("n")
            key = key.strip() if key else ""
            if own_id is None and (not key or name in _ID_ONLY_ENTRIES):
                continue
            parent = element.getparent()
            is_open = opens.get(parent)
            if is_open is None:
                is_open = _all_open(parent, opens)
            if is_open:
                identifier = own_id or key
                if identifier and identifier not in self._elements:
                    self._elements[identifier] = element
                    if key:
                        self.by_key.setdefault(key, identifier)

    def by_authority(self, uri: str) -> Entity | None:
        if not self._uris_indexed:
            self._uris_indexed = True
            for identifier, element in self._elements.items():
                for found in _authorities(element):
                    self.by_uri.setdefault(_uri_key(found), identifier)
        return super().by_authority(uri)

    def get(self, entity_id: str) -> Entity | None:
        entity = self.by_id.get(entity_id)
        if entity is not None:
            return entity
        element = self._elements.get(entity_id)
        if element is None:
            return None
        entity = _simple_entity(element, entity_id)
        if entity is None:
            entity = _cached_entity(element, self.variants, self._contexts)
        if entity is not None:
            self.by_id[entity_id] = entity
        return entity


def _simple_entity(element: etree._Element, entity_id: str) -> Entity | None:
    """The Entity of an entry holding just its name (``<person xml:id><persName>A B``).

    What :func:`entity_from_element` makes of it, from a few C calls (the usual
    entry of a letter's own register); None for any other entry.
    """
    shape = _SIMPLE_ENTRIES.get(element.tag)
    if shape is None or len(element) != 1 or element.get("type") is not None:
        return None  # a type may make it a treaty; several children: variants, a label...
    child = element[0]
    if child.tag not in shape[1] or len(child):
        return None
    # Editions repeat the same entries letter after letter: one Entity for each.
    key = (shape[0], entity_id, child.text)
    entity = _SIMPLE_CACHE.get(key)
    if entity is not None:
        return entity
    # As registers._spaced_text of an element holding only text.
    # (str.split's whitespace is norm_space's \s.)
    name = " ".join((child.text or "").split())
    if "," in name or "(" in name or ")" in name:
        name = name.replace(" ,", ",").replace("( ", "(").replace(" )", ")")
    if not name:
        return None
    if len(_SIMPLE_CACHE) >= _ENTITY_CACHE_LIMIT:
        _SIMPLE_CACHE.clear()
    entity = _SIMPLE_CACHE[key] = Entity(id=entity_id, kind=shape[0], name=name)
    return entity


_SIMPLE_CACHE: dict[tuple[str, str, str | None], Entity] = {}


_SIMPLE_ENTRIES = {
    tag: (ENTRY_KINDS[name], frozenset(tei_tags(*_OWN_NAMES[name])))
    for name in ("person", "org", "place")
    for tag in tei_tags(name)
}


# Entities built from letters' own entries, by the entry's markup and what around it the
# entry's reading looks at: editions repeat the same entries in letter after letter.
_ENTITY_CACHE: dict[tuple, Entity | None] = {}
_ENTITY_CACHE_LIMIT = 50_000


def _cached_entity(
    element: etree._Element, variants: bool, contexts: dict[etree._Element, tuple]
) -> Entity | None:
    """``entity_from_element(element, None, details=False, variants=variants)``, cached.

    Besides the entry's own markup, its reading looks at its parent's type (a
    work in a list of treaties) and at the first ancestor that is not a
    register list (an entry nested in an entry of its kind gets a label):
    ``contexts`` keeps that per parent, for the letter's entries.
    """
    parent = element.getparent()
    context = contexts.get(parent)
    if context is None:
        above = parent
        while above is not None and local(above) in _LISTS_INSIDE:
            above = above.getparent()
        context = contexts[parent] = (
            parent.get("type") if parent is not None else None,
            local(above) if above is not None else None,
        )
    key = (etree.tostring(element, with_tail=False), variants, context)
    try:
        return _ENTITY_CACHE[key]
    except KeyError:
        pass
    entity = entity_from_element(element, None, details=False, variants=variants)
    if len(_ENTITY_CACHE) >= _ENTITY_CACHE_LIMIT:
        _ENTITY_CACHE.clear()
    _ENTITY_CACHE[key] = entity
    return entity


_LISTS_INSIDE = frozenset({"listPerson", "listOrg", "listPlace", "listEvent", "listBibl"})


# Any namespace or none ("{*}"): half the tags of tei_tags, and lxml's iter sets up its
# matcher by the tag, several microseconds for two dozen, for each element iterated.
_ENTRY_TAGS = [f"{{*}}{name}" for name in ENTRY_KINDS]
_ENTRY_TAG_NAMES = {tag: name for name in ENTRY_KINDS for tag in tei_tags(name)}
_ID_ONLY_ENTRIES = frozenset({"bibl", "biblStruct", "item", "figure"})  # see _is_register_entry


def _entry_candidates(root: etree._Element) -> list[etree._Element]:
    """Entry elements in document order, outside the letter's body (lxml filters in C).

    Elements of an entry's name in another namespace are among them (the caller
    passes them over).
    """
    found: list[etree._Element] = []
    for child in root:
        if local(child) == "text":
            for part in child:
                if local(part) != "body":
                    found.extend(part.iter(*_ENTRY_TAGS))
        elif isinstance(child.tag, str):
            found.extend(child.iter(*_ENTRY_TAGS))
    return found


def _all_open(element: etree._Element | None, opens: dict[etree._Element, bool]) -> bool:
    """Whether ``element`` and its ancestors below the root (known in ``opens``) open entries."""
    unknown: list[etree._Element] = []
    found = True
    while element is not None:
        known = opens.get(element)
        if known is not None:
            found = known
            break
        unknown.append(element)
        element = element.getparent()
    for ancestor in reversed(unknown):
        found = opens[ancestor] = found and _opens_entries(ancestor)
    return found


def _opens_entries(element: etree._Element) -> bool:
    """Whether the reader looks for register entries inside ``element`` (not in body)."""
    name = local(element)
    return name in _REGISTER_CONTAINERS and name != "body"


# ----------------------------------------------------------------- mentions

_MENTION_TAGS = tei_tags(*MENTION_ELEMENTS)
# Ancestors that decide whether the walk reaches an element, and in which part.
_DECIDING = frozenset(tei_tags(*(_UNWALKED | REGISTER_LISTS | {"figure", "choice", "note"})))
_REGIONS = frozenset({"back", "front"})
_LINE_REFERENCE_NOTES = etree.XPath(
    "descendant::tei:note[*[@type='lineReference']] | descendant::note[*[@type='lineReference']]",
    namespaces=NS,
)


class _Reach:
    """Which elements of a letter's text the reader's walk reaches, and in which part."""

    def __init__(
        self, text_element: etree._Element, reading: str, letterheads: list[etree._Element]
    ) -> None:
        self.text_element = text_element
        self.reading = reading
        self.letterheads = letterheads  # the letter's letterhead elements

    def place(self, element: etree._Element) -> int:
        """0: not read as text; 1: read in the letter; 2: read in a note's text."""
        in_note = False
        child = element
        for ancestor in element.iterancestors():
            if ancestor is self.text_element:
                break
            if ancestor.tag in _DECIDING:
                name = local(ancestor)
                if name == "note":
                    in_note = True
                elif name == "choice":
                    if _shown(ancestor, self.reading) is not child:
                        return 0
                elif name == "figure":
                    if ancestor.get("type") != "letterhead" and local(child) not in _FIGURE_WALKS:
                        return 0
                elif name in REGISTER_LISTS:
                    if not (self.letterheads and _in_letterhead(ancestor)):
                        return 0
                else:
                    return 0  # skipped or ignored content
            child = ancestor
        return 2 if in_note else 1

    def regions(self) -> list[etree._Element]:
        """The parts of the text to look in: the back's and front's register lists left out.

        (Unless a letterhead is inside one: there the walk reads the list.)
        """
        holding = {a for e in self.letterheads for a in e.iterancestors()}
        found: list[etree._Element] = []
        for child in self.text_element:
            if not isinstance(child.tag, str):
                continue
            if local(child) in _REGIONS:
                found.extend(
                    c
                    for c in child
                    if local(c) not in REGISTER_LISTS or c in holding or c in self.letterheads
                )
            else:
                found.append(child)
        return found

    def mentions(self) -> list[tuple[etree._Element, bool]]:
        """(mention element, whether in a note's text) for each mention the walk reaches,
        the letter's first, then the notes'."""
        body: list[tuple[etree._Element, bool]] = []
        notes: list[tuple[etree._Element, bool]] = []
        for region in self.regions():
            for element in region.iter(*_MENTION_TAGS):
                place = self.place(element)
                if place == 1:
                    body.append((element, False))
                elif place == 2:
                    notes.append((element, True))
        return body + notes


def _shown(choice: etree._Element, reading: str) -> etree._Element | None:
    """The side of a ``choice`` the reading shows."""
    options = [child for child in choice if local(child) is not None]
    shown = next((c for n in _CHOICE_SHOWN[reading] for c in options if local(c) == n), None)
    return shown if shown is not None or not options else options[0]


def _in_letterhead(element: etree._Element) -> bool:
    if element.get("type") == "letterhead":
        return True
    return any(a.get("type") == "letterhead" for a in element.iterancestors())


def _mention(element: etree._Element) -> tuple[str, list[tuple[str, str]]] | None:
    """(kind, references) when the reader takes ``element`` for a mention."""
    kind = MENTION_ELEMENTS[local(element)]
    references = references_of(element)
    if kind is None:
        kind = kind_from_type(element.get("type"))
        if kind is None:
            if not element.get("type") and not references:
                return None  # a bare <rs>/<name> says nothing
            kind = "other"
    return kind, references


def _has_text(element: etree._Element, reading: str, in_note: bool) -> bool:
    """Whether the reader's text for the element is not empty (without closing markers)."""
    text = element.text
    if text and not text.isspace():
        return True  # its own text comes first, before any marker
    if len(element) == 0:
        return False
    return bool(_surface(element, reading, in_note))


def _surface(element: etree._Element, reading: str, in_note: bool) -> str:
    """A mention's text as the reader shows it: its content walked alone.

    (In a note's text a note inside reads inline, not as a marker.)
    """
    if len(element) == 0:
        return " ".join((element.text or "").split())
    walker = TextWalker(reading)
    walker._in_note = in_note
    walker.walk(element)
    text = walker.out.result()
    if not walker.mentions:
        return ""
    raw = _trimmed(walker.mentions[-1], text)
    return "" if raw is None else text[raw.start : raw.end]


# ----------------------------------------------------------------- letterheads


def _letterheads(
    elements: list[etree._Element], reading: str, file: str, resolver: Resolver, senders: list
) -> tuple[tuple, set[str]]:
    """The letter's letterhead records and the entities its letterheads name.

    The letterhead parser places members, names and note markers by their
    offsets in the reading text; a walk over the letterhead elements alone
    gives the same text for them (each letterhead is a block of its own).
    """
    walker = TextWalker(reading)
    for element in _outermost_walked(elements, reading):
        walker.walk(element)
    text = walker.out.result()
    mentions: list[Mention] = []
    for raw in walker.mentions:
        trimmed = _trimmed(raw, text)
        if trimmed is None:
            continue
        entity_ids, unresolved = resolver.resolve_all(trimmed.references)
        kind = trimmed.kind
        if kind == "date" and trimmed.date_value and not entity_ids:
            entity_ids = (f"date:{trimmed.date_value}",)
        if kind == "other" and entity_ids:  # as the reader: the kind of what it names
            named = resolver.used.get(entity_ids[0]) or resolver.local.get(entity_ids[0])
            kind = named.kind if named is not None else kind
        mentions.append(
            Mention(
                start=trimmed.start,
                end=trimmed.end,
                kind=kind,
                entities=entity_ids,
                unresolved=unresolved,
                implied=trimmed.implied,
                line=trimmed.line,
                in_note=False,
            )
        )
    sections = read_letterheads(
        walker.letterheads,
        resolver.resolve_all,
        {el: _trim_range(start, end, text) for el, (start, end) in walker.member_spans.items()},
        text=text,
        mentions=mentions,
        notes=walker.notes,
        senders=senders,
        entity_name=lambda entity_id: next(iter(resolver.names_of(entity_id)), None),
    )
    letter = Letter(
        file=file,
        title="",
        text=text,
        mentions=tuple(mentions),
        letterhead=tuple(sections),
        entities=tuple(resolver.used.values()),
    )
    return letterhead_records(letter), letter.letterhead_entities()


def _outermost_walked(elements: list[etree._Element], reading: str) -> list[etree._Element]:
    """The letterhead elements the reader's walk reaches, outermost only, in order."""
    found = []
    for element in elements:
        ancestors = list(element.iterancestors())
        if any(a.get("type") == "letterhead" for a in ancestors):
            continue
        if _reached(element, ancestors, reading):
            found.append(element)
    return found


def _reached(element: etree._Element, ancestors: list[etree._Element], reading: str) -> bool:
    """Whether the walk reaches ``element`` (not in skipped content, a hidden side...)."""
    child = element
    for ancestor in ancestors:
        name = local(ancestor)
        if name in _UNWALKED or name in REGISTER_LISTS:
            return False
        if name == "figure" and local(child) not in _FIGURE_WALKS:
            return False
        if name == "choice" and _shown(ancestor, reading) is not child:
            return False
        child = ancestor
    return True


# ----------------------------------------------------------------- full reader


def other_reading_text(path: str | os.PathLike[str], letter: Letter) -> str | None:
    """The text of ``letter``'s other reading, read from its file ``path`` again, for a letter
    the reader read in full (the collection's loose files): what the index searches in the
    other reading. None where the two readings are the same text."""
    if not letter.has_choices:
        return None
    file = os.fspath(path)
    _root, text_element = letter_parts(parse_file(file), file)
    return _alt_text(letter, text_element, letter.reading)


def _alt_text(letter: Letter, text_element: etree._Element | None, reading: str) -> str | None:
    if not letter.has_choices or text_element is None:
        return None
    other = build_text(text_element, _OTHER_READING[reading]).text
    return other if other != letter.text else None


# ----------------------------------------------------------------- search text

_TEXT_NS = f'xmlns:tei="{TEI_NS}"'


# Unicode noncharacters: permanently reserved for a program's internal use, never in text.
_BLOCK, _LINE, _JOIN, _SOFT = "\ufdd0", "\ufdd1", "\ufdd2", "\ufdd3"
_NOTE, _NOTE_END, _NOTE_BODY, _FLAG = "\ufdd4", "\ufdd5", "\ufdd6", "\ufdd7"
_OPEN, _CLOSE = "\ufdd8", "\ufdd9"


def search_text(tree: etree._ElementTree, reading: str, letterheads: bool = True) -> str:
    """The letter's reading text for full-text search: the reader's text, or close to it.

    libxslt walks the text as the reader does and marks block breaks, line
    breaks, joins, note markers and the notes' texts with noncharacters;
    :func:`_normalise` moves the notes' texts after the letter and turns runs
    of whitespace and marks into what the reader's text builder writes: a
    blank line, a line break, one space or nothing. The builder decides some
    spaces by where text nodes begin and end (a space before closing
    punctuation, a space at an element's edge); there the two may differ by a
    space, never by a word. ``letterheads=False`` leaves out the templates only
    letterheads need (they test every element).
    """
    return _finish_text(bytes(_stylesheets()[reading, letterheads, False](tree)))


def _finish_text(raw: bytes) -> str:
    """The search text from the stylesheet's output (without mention records)."""
    return _normalise(_notes_after(raw)).decode("utf-8", "replace")


def _notes_after(raw: bytes) -> bytes:
    """The stylesheet's output with each note's text moved after the letter's, as the reader."""
    if _B_OPEN in raw:
        notes: list[bytes] = []

        def keep(match: re.Match[bytes]) -> bytes:
            label, body = match.group(1), match.group(2)
            notes.append(_B_BLOCK + _B_NOTE_BODY + label + _B_NOTE_END + b" " + body + _B_BLOCK)
            return _B_NOTE + label + _B_NOTE_END

        raw = _NOTE_TEXTS.sub(keep, raw) + b"".join(notes)
    return raw


def text_and_mentions(
    tree: etree._ElementTree, reading: str, letterheads: bool = True
) -> tuple[str, list[tuple[bytes, bytes]]]:
    """:func:`search_text` and, from the same XSLT pass, the mention elements the walk reaches.

    Each mention is a ``(header, text)`` record, the letter's first, then the
    notes' (the reader's order): ``header`` holds the element's name and
    attributes (see :func:`_mention_of`), ``text`` its text as the stylesheet
    writes it, with the marks (see :func:`_count_records`).
    """
    raw = _notes_after(bytes(_stylesheets()[reading, letterheads, True](tree)))
    # Text, header, text, None (an end), text...: where no mention holds another, each
    # header is followed by its mention's text and its end (no record: the text alone).
    parts = _RECORD_SPLIT.split(raw)
    text = b"".join(parts[0::2])
    headers, texts = parts[1::2], parts[2::2]
    ends = headers[1::2]
    if len(headers) % 2 == 0 and ends.count(None) == len(ends) and None not in headers[0::2]:
        records = list(zip(headers[0::2], texts[0::2], strict=True))
    else:
        records = _nested_records(raw)  # a mention inside another
    return _normalise(text).decode("utf-8", "replace"), records


# A mention's record: a header of fields, then the mention's text, then its end.
_RECORD, _FIELD, _RECORD_TEXT, _RECORD_END = "\ufdda", "\ufddb", "\ufddc", "\ufddd"
_B_RECORD, _B_FIELD, _B_RECORD_TEXT, _B_RECORD_END = (
    m.encode() for m in (_RECORD, _FIELD, _RECORD_TEXT, _RECORD_END)
)
# A record's header (up to its text) or its end; a header holds no mark, and is matched
# as in _RECORD_SPLIT below.
_RECORD_MARKS = re.compile(
    re.escape(_B_RECORD)
    + rb"[^\xef]*+(?:\xef(?!\xb7\x9c)[^\xef]*+)*+"
    + re.escape(_B_RECORD_TEXT)
    + b"|"
    + re.escape(_B_RECORD_END)
)
_RECORD_PIECES = re.compile(
    re.escape(_B_RECORD) + b"(.*?)" + re.escape(_B_RECORD_TEXT) + b"|" + re.escape(_B_RECORD_END),
    re.S,
)
# What the reader writes as a note's marker, never as a mention's own text.
_B_MARKERS = (_NOTE.encode(), _FLAG.encode())
_TEXT_MARKS = re.compile("[" + _BLOCK + _LINE + _JOIN + "]")
# Closes the header of a date that holds only text; else the date's place among the
# document's dates follows (the reader's text for it is then read from the element).
_ONLY_TEXT, _AT = "\ufdde", "\ufddf"
_B_ONLY_TEXT, _B_AT = _ONLY_TEXT.encode(), _AT.encode()


def _mention_template() -> str:
    # Each attribute as a name and a value: fewer instructions than a value-of for each
    # attribute that may make a mention (libxslt's cost is per instruction).
    attributes = (
        f'<xsl:for-each select="@*"><xsl:value-of select="name()"/><xsl:text>{_FIELD}</xsl:text>'
        f'<xsl:value-of select="."/><xsl:text>{_FIELD}</xsl:text></xsl:for-each>'
    )
    others = _name_pattern(*(name for name in MENTION_ELEMENTS if name != "date"))
    return f"""<xsl:template match="{others}">
  <xsl:text>{_RECORD}</xsl:text><xsl:value-of select="local-name()"/><xsl:text>{_FIELD}</xsl:text>
  {attributes}<xsl:text>{_RECORD_TEXT}</xsl:text>
  <xsl:apply-templates/><xsl:text>{_RECORD_END}</xsl:text>
</xsl:template>
<xsl:template match="{_name_pattern("date")}">
  <xsl:text>{_RECORD}date{_FIELD}</xsl:text>{attributes}
  <xsl:choose>
    <xsl:when test="not(node()[not(self::text())])"><xsl:text>{_ONLY_TEXT}</xsl:text></xsl:when>
    <xsl:otherwise>
      <xsl:text>{_AT}</xsl:text>
      <xsl:value-of select="count(preceding::*[{_named("date")}])
          + count(ancestor::*[{_named("date")}])"/>
    </xsl:otherwise>
  </xsl:choose>
  <xsl:text>{_RECORD_TEXT}</xsl:text><xsl:apply-templates/><xsl:text>{_RECORD_END}</xsl:text>
</xsl:template>
"""


# A record's header (captured) or its end, matched in C: the marks' two lead bytes first
# (the engine looks for a literal prefix fast), then possessive runs of bytes up to the
# next mark, not a lazy ".*?" that tries the mark at every byte.
_RECORD_SPLIT = re.compile(
    rb"\xef\xb7(?:\x9a([^\xef]*+(?:\xef(?!\xb7\x9c)[^\xef]*+)*+)\xef\xb7\x9c|\x9d)"
)


def _nested_records(raw: bytes) -> list[tuple[bytes, bytes]]:
    """The records of :func:`text_and_mentions` where mentions nest, in order of their start."""
    found: list = []
    open_records: list[tuple[int, bytes, int]] = []
    for match in _RECORD_PIECES.finditer(raw):
        header = match.group(1)
        if header is not None:
            open_records.append((len(found), header, match.end()))
            found.append(None)
            continue
        index, header, start = open_records.pop()
        content = raw[start : match.start()]
        if _B_RECORD in content:
            content = _RECORD_MARKS.sub(b"", content)
        found[index] = (header, content)
    return found


def _record_has_text(header: bytes, content: bytes) -> bool | None:
    """Whether the reader's text for a record's mention is not empty; None: cannot tell."""
    if header.endswith(_B_ONLY_TEXT):
        return bool(content.decode("utf-8", "replace").split())
    stripped = content.strip()
    if not stripped:
        return False
    if stripped[0] < 0x80:
        return True  # it starts with a letter (or a digit, a sign...)
    marker = min((at for at in map(content.find, _B_MARKERS) if at >= 0), default=-1)
    if marker >= 0:
        # Text before the first marker is the mention's own; a marker first is
        # trimmed off by the reader only where it closes the mention.
        if not _TEXT_MARKS.sub(" ", content[:marker].decode("utf-8", "replace")).split():
            return None
        return True
    return bool(_TEXT_MARKS.sub(" ", content.decode("utf-8", "replace")).split())


# What a record's header says: kind, references, date value, the ids of "#id" pointers.
_Mention = tuple[str, list[tuple[str, str]], str | None, tuple[str, ...] | None]
# Each distinct header, read once per process.
_HEADERS: dict[bytes, _Mention | None] = {}


def _mention_of(header: bytes) -> _Mention | None:
    """What ``_mention`` and ``date_value_of`` say of the element a record's header describes."""
    try:
        return _HEADERS[header]
    except KeyError:
        pass
    name, *pairs = header.decode("utf-8").removesuffix(_ONLY_TEXT).partition(_AT)[0].split(_FIELD)
    attributes = dict(zip(pairs[0:-1:2], pairs[1::2], strict=True))
    references: list[tuple[str, str]] = []
    for attribute in REFERENCE_ATTRIBUTES:
        value = attributes.get(attribute)
        if not value:
            continue
        if attribute == "key":
            value = value.strip()
            if value:
                references.append((attribute, value))
        else:
            references += [(attribute, token) for token in value.split()]
    kind = MENTION_ELEMENTS[name]
    kind_attribute = attributes.get("type")
    found: _Mention | None = None
    if kind is None:
        kind = kind_from_type(kind_attribute)
        if kind is None and (kind_attribute or references):
            kind = "other"
        # else: a bare <rs>/<name> says nothing
    if kind is not None:
        date_value = date_value_of(attributes) if kind == "date" else None
        found = (kind, references, date_value, _pointed_ids(references))
    if len(_HEADERS) >= 100_000:
        _HEADERS.clear()
    _HEADERS[header] = found
    return found


# The marks in the XSLT's UTF-8 output: bytes are handled at one byte a character.
_B_BLOCK, _B_LINE, _B_JOIN, _B_SOFT = (m.encode() for m in (_BLOCK, _LINE, _JOIN, _SOFT))
_B_NOTE, _B_NOTE_END, _B_NOTE_BODY = (m.encode() for m in (_NOTE, _NOTE_END, _NOTE_BODY))
_B_FLAG, _B_OPEN, _B_CLOSE = (m.encode() for m in (_FLAG, _OPEN, _CLOSE))
# A note's marker and its text, which the reader writes after the letter's.
# (Each part up to the first mark that ends it, as a lazy ".*?" would match it, in
# possessive runs of bytes that the engine does not try the mark after one by one.)
_NOTE_TEXTS = re.compile(
    re.escape(_B_NOTE) + rb"([^\xef]*+(?:\xef(?!\xb7\x95)[^\xef]*+)*+)" + re.escape(_B_NOTE_END)
    + re.escape(_B_OPEN) + rb"([^\xef]*+(?:\xef(?!\xb7\x99)[^\xef]*+)*+)" + re.escape(_B_CLOSE)
)  # fmt: skip
# Whitespace holding a line break of the source, before closing punctuation: the reader
# drops the space it would make ("<hi>devote</hi>\n   ." reads "devote."). It does so only
# between text nodes; "»" is left out, as German letters open quotations with it and
# mostly inside one text node ("Wort\n   »Zitat«" keeps its space).
_SOFT_BEFORE_CLOSING = re.compile(rb"\n\s*+(?=[.,;:!?)\]])")


# Whitespace to the reader (Python's \\s) beyond ASCII: no-break space, NEL, the
# general punctuation spaces and separators, medium mathematical, ideographic, ogham.
# Their lead bytes are looked for first (a memchr each; most letters have none but
# \xe2, the lead byte of dashes and quotation marks), each then with a pattern starting
# with it: the regular expression engine scans for a literal prefix quickly, and tries
# a pattern of alternatives (without one) at every byte.
_OTHER_SPACES = (
    (b"\xc2", re.compile(rb"\xc2[\xa0\x85]")),
    (b"\xe2", re.compile(rb"\xe2(?:\x80[\x80-\x8a\xa8\xa9\xaf]|\x81\x9f)")),
    (b"\xe3", re.compile(rb"\xe3\x80\x80")),
    (b"\xe1", re.compile(rb"\xe1\x9a\x80")),
)
# A run of line and block marks (no spaces before them by then) and a space after it: a
# blank line if any of them is a block's, else a line break. Each starts with the marks'
# two lead bytes, which the regular expression engine looks for at C speed.
_BLOCK_RUN = re.compile(
    rb"\xef\xb7(?:\x90|\x91(?:\xef\xb7\x91)*+\xef\xb7\x90)(?:\xef\xb7[\x90\x91])*+ ?"
)
_LINE_RUN = re.compile(rb"\xef\xb7\x91(?:\xef\xb7\x91)*+ ?")
_ASCII_SPACES = bytes.maketrans(b"\t\n\r\x0b\x0c", b"     ")
_SPACES = re.compile(b"  +")


def _normalise(raw: bytes) -> bytes:
    """The XSLT's output with the reader's whitespace: see :func:`search_text`.

    ``bytes.split`` collapses the whitespace (other spaces become ASCII first); the
    marks are then plain byte sequences between single spaces, and a few
    replacements finish. All of it runs in C, and each step looks at the text
    once: a scan costs about a microsecond per KB, and an edition's letter holds
    ten of them.
    """
    for lead, spaces in _OTHER_SPACES:
        if lead in raw:
            raw = spaces.sub(b" ", raw)
    raw = _SOFT_BEFORE_CLOSING.sub(_B_SOFT, raw)
    # b" ".join(raw.split()) without a bytes object for each word: ASCII whitespace (what
    # bytes.split splits at) becomes spaces, runs of them one.
    text = _SPACES.sub(b" ", raw.translate(_ASCII_SPACES)).strip(b" ")
    if _B_SOFT in text:
        text = text.replace(b" " + _B_SOFT, b"").replace(_B_SOFT, b"")
    if _B_JOIN in text:
        text = text.replace(b" " + _B_JOIN, _B_JOIN).replace(_B_JOIN + b" ", _B_JOIN)
        text = text.replace(_B_JOIN, b"")
    if _B_NOTE_END in text:
        text = _note_labels(text)
    # By now only line and block marks are left: no space before them, runs collapsed.
    text = text.replace(b" " + _B_BLOCK, _B_BLOCK).replace(b" " + _B_LINE, _B_LINE)
    text = _LINE_RUN.sub(b"\n", _BLOCK_RUN.sub(b"\n\n", text))
    return text.strip()


_NOTE_MARK, _FLAG_MARK, _NOTE_BODY_MARK = _B_NOTE[2], _B_FLAG[2], _B_NOTE_BODY[2]


def _note_labels(text: bytes) -> bytes:
    """The note markers, flags and notes' labels of ``text``, each as :func:`_labelled` writes
    them, in one pass (it makes one pass for each kind).

    Each of them ends with the same mark, which follows its label. A flag (rare)
    sticks to its word after the markers have stuck to theirs: where there is
    one, the passes for each kind are made in turn.
    """
    pieces = text.split(_B_NOTE_END)
    out: list[bytes] = []
    markers = bodies = 0
    head = pieces[0]
    for piece in pieces[1:]:
        at = head.rfind(b"\xef\xb7")  # the mark before the label (a label holds no mark)
        kind, before, label = head[at + 2], head[:at], head[at + 3 :]
        if kind == _NOTE_MARK:
            markers += 1
            if before.endswith(b" "):
                before = before[:-1]
                if not piece.startswith(b" "):
                    piece = b" " + piece
            label = label or str(markers).encode()
        elif kind == _NOTE_BODY_MARK:
            bodies += 1
            label = label or str(bodies).encode()
        else:
            text = _labelled(text, _B_NOTE, numbered=True, sticky=True)
            text = _labelled(text, _B_FLAG, numbered=False, sticky=True)
            return _labelled(text, _B_NOTE_BODY, numbered=True, sticky=False)
        out += (before, b"[", label, b"]")
        head = piece
    out.append(head)
    return b"".join(out)


def _labelled(text: bytes, mark: bytes, *, numbered: bool, sticky: bool) -> bytes:
    """Note markers as the reader writes them: ``[label]``, else ``[number]``.

    A ``sticky`` marker sticks to the word it annotates: a space before it goes
    after it ("Wort [1]" reads "Wort[1] ").
    """
    pieces = text.split(mark)
    out = [pieces[0]]
    for number, piece in enumerate(pieces[1:], start=1):
        label, _, rest = piece.partition(_B_NOTE_END)
        if sticky and out[-1].endswith(b" "):
            out[-1] = out[-1][:-1]
            if not rest.startswith(b" "):
                rest = b" " + rest
        out.append(b"[" + (label or str(number).encode() if numbered else label) + b"]")
        out.append(rest)
    return b"".join(out)


_PARAGRAPHS = (
    "p", "ab", "head", "opener", "closer", "postscript", "div", "div1", "div2", "div3",
    "list", "lg", "table", "floatingText", "address", "dateline", "salute", "signed",
    "byline", "argument", "epigraph", "trailer", "titlePage", "docTitle", "sp",
    "writingSession", "front", "back", "body", "group", "text", "cit", "quote_block",
)  # fmt: skip
_FORMULA_PARTS = ("dateline", "salute", "signed", "byline", "address")
_LINES = ("addrLine", "item", "l", "row", "person", "org", "bibl_line")
_IGNORED = (
    "handShift", "addSpan", "delSpan", "milestone", "graphic", "link", "linkGrp", "index",
    "certainty", "precision", "anchor", "pb", *sorted(SKIPPED),
)  # fmt: skip
_LOWER = "'#ABCDEFGHIJKLMNOPQRSTUVWXYZ', ' abcdefghijklmnopqrstuvwxyz'"
_RENDITION = f"concat(' ', translate(concat(@rendition, ' ', @rend), {_LOWER}), ' ')"
_HYPHEN = " or ".join(
    f"contains({_RENDITION}, ' {word} ')" for word in ("hyphen", "hyphenated", "hyph")
)
_SIC = (
    "not(*) and contains('|sic|sic!|sic.|', concat('|', translate(translate("
    "normalize-space(.), '()[]', ''), 'SIC', 'sic'), '|'))"
)


def _stylesheet(reading: str, letterheads: bool, records: bool = False) -> etree.XSLT:
    """The reader's walk in XSLT, marking breaks, joins, note markers and notes' texts.

    Without ``letterheads`` the templates that only letterheads need are left
    out: they test every element, and most letters have none. With ``records``
    each mention element the walk reaches is written as a record around its
    text (see :func:`_mention_records`).
    """
    choose_shown = "".join(
        f'<xsl:when test="*[{_named(n)}]"><xsl:apply-templates select="*[{_named(n)}][1]"/>'
        "</xsl:when>"
        for n in _CHOICE_SHOWN[reading]
    )
    if reading == "normalised":
        joined = f"<xsl:text>{_JOIN}</xsl:text>"
    else:
        joined = (
            f'<xsl:text>{_JOIN}</xsl:text><xsl:if test="{_HYPHEN}"><xsl:text>-</xsl:text>'
            f"</xsl:if><xsl:text>{_LINE}{_JOIN}</xsl:text>"
        )
    register_lists = _named(*sorted(REGISTER_LISTS))
    line_reference = (
        f"*[@type='lineReference'] and count(*) = count(*[({register_lists})"
        " and (@type='lineReference' or not(@type))])"
        " and not(normalize-space(node()[1][self::text()]))"
    )
    # Inside a note's text (a letterhead printed in the margin is letter text, not a note).
    in_note = f"ancestor::*[{_named('note')}][not(@type='letterhead')]"
    lists = _name_pattern(*sorted(REGISTER_LISTS))
    register_lists_template = f'<xsl:template match="{lists}"/>'
    letterhead_templates = ""
    if letterheads:
        register_lists_template = f"""<xsl:template match="{lists}">
  <xsl:if test="ancestor-or-self::*[@type='letterhead']">
    <xsl:choose>
      <xsl:when test="{_named("listPerson", "listOrg", "listPlace")}">
        <xsl:text>{_BLOCK}</xsl:text><xsl:apply-templates/><xsl:text>{_BLOCK}</xsl:text>
      </xsl:when>
      <xsl:otherwise><xsl:apply-templates/></xsl:otherwise>
    </xsl:choose>
  </xsl:if>
</xsl:template>"""
        letterhead_templates = f"""<xsl:template match="*[@type='letterhead']" priority="2">
  <xsl:text>{_BLOCK}</xsl:text><xsl:apply-templates/><xsl:text>{_BLOCK}</xsl:text>
</xsl:template>
<xsl:template match="tei:seg[ancestor::*[@type='letterhead']]
    | seg[ancestor::*[@type='letterhead']]">
  <xsl:text>{_LINE}</xsl:text><xsl:apply-templates/><xsl:text>{_LINE}</xsl:text>
</xsl:template>
"""
    xsl = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
 {_TEXT_NS}>
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/">
  <xsl:variable name="document" select="*[{_named("teiCorpus")}]/*[{_named("TEI")}][1]
      | *[not({_named("teiCorpus")})]"/>
  <xsl:apply-templates select="$document/*[{_named("text")}][1]"/>
</xsl:template>

<xsl:template match="{_name_pattern(*_IGNORED)}"/>
{register_lists_template}
<xsl:template match="{_name_pattern(*_PARAGRAPHS)}">
  <xsl:text>{_BLOCK}</xsl:text><xsl:apply-templates/><xsl:text>{_BLOCK}</xsl:text>
</xsl:template>
{letterhead_templates}<xsl:template priority="1" match="{
        " | ".join(
            f"*[{_named('opener', 'closer')}]/{p}"
            for p in _name_pattern(*_FORMULA_PARTS).split(" | ")
        )
    }">
  <xsl:text>{_LINE}</xsl:text><xsl:apply-templates/><xsl:text>{_LINE}</xsl:text>
</xsl:template>
<xsl:template match="{_name_pattern(*_LINES)}">
  <xsl:text>{_LINE}</xsl:text><xsl:apply-templates/><xsl:text>{_LINE}</xsl:text>
</xsl:template>
<xsl:template match="{_name_pattern("lb")}">
  <xsl:choose>
    <xsl:when test="@break='no' or @type='nobreak' or {_HYPHEN}">{joined}</xsl:when>
    <xsl:otherwise><xsl:text>{_LINE}</xsl:text></xsl:otherwise>
  </xsl:choose>
</xsl:template>
{_mention_template() if records else ""}
<xsl:template match="{_name_pattern("cb")}"><xsl:text>{_LINE}</xsl:text></xsl:template>
<xsl:template match="{_name_pattern("gap")}"><xsl:text>[…]</xsl:text></xsl:template>
<xsl:template match="{_name_pattern("space")}"><xsl:text> </xsl:text></xsl:template>
<xsl:template match="{_name_pattern("choice")}">
  <xsl:choose>{choose_shown}
    <xsl:otherwise><xsl:apply-templates select="*[1]"/></xsl:otherwise>
  </xsl:choose>
</xsl:template>
<xsl:template match="{_name_pattern("figure")}" priority="3">
  <xsl:text>{_BLOCK}</xsl:text>
  <xsl:choose>
    <xsl:when test="@type='letterhead'">
      <xsl:apply-templates select="node()[not({_named("figDesc")})]"/>
    </xsl:when>
    <xsl:otherwise><xsl:apply-templates select="*[{_named(*_FIGURE_WALKS)}]"/></xsl:otherwise>
  </xsl:choose>
  <xsl:for-each select="*[{_named("figDesc")}][1][normalize-space(.)]">
    <xsl:text>[</xsl:text>
    <xsl:choose><xsl:when test="../@type"><xsl:value-of select="../@type"/></xsl:when>
      <xsl:otherwise>figure</xsl:otherwise></xsl:choose>
    <xsl:text>: </xsl:text><xsl:value-of select="normalize-space(.)"/><xsl:text>]</xsl:text>
  </xsl:for-each>
  <xsl:text>{_BLOCK}</xsl:text>
</xsl:template>
<xsl:template match="{_name_pattern("ref", "ptr")}">
  <xsl:choose>
    <xsl:when test="({_named("ref")}) and normalize-space(.)"><xsl:apply-templates/></xsl:when>
    <xsl:when test="string-length(normalize-space(@target)) = 10
        and translate(normalize-space(@target), '0123456789', '0000000000') = '0000-00-00'">
      <xsl:value-of select="normalize-space(@target)"/>
    </xsl:when>
    <xsl:when test="normalize-space(@target)"><xsl:text>→</xsl:text></xsl:when>
  </xsl:choose>
</xsl:template>
<xsl:template match="{_name_pattern("note")}" priority="3">
  <xsl:choose>
    <xsl:when test="@type='letterhead' and not({in_note})">
      <xsl:text>{_BLOCK}</xsl:text><xsl:apply-templates/><xsl:text>{_BLOCK}</xsl:text>
    </xsl:when>
    <xsl:when test="{line_reference}"/>
    <xsl:when test="{in_note}">
      <xsl:text> (</xsl:text><xsl:apply-templates/><xsl:text>)</xsl:text>
    </xsl:when>
    <xsl:when test="{_SIC}">
      <xsl:text>{_FLAG}</xsl:text><xsl:value-of select="translate(normalize-space(.), '()[]', '')"/>
      <xsl:text>{_NOTE_END}</xsl:text>
    </xsl:when>
    <xsl:otherwise>
      <xsl:text>{_NOTE}</xsl:text><xsl:value-of select="normalize-space(@n)"/>
      <xsl:text>{_NOTE_END}{_OPEN}</xsl:text><xsl:apply-templates/><xsl:text>{_CLOSE}</xsl:text>
    </xsl:otherwise>
  </xsl:choose>
</xsl:template>
</xsl:stylesheet>"""
    return etree.XSLT(etree.XML(xsl.encode()), access_control=_NO_ACCESS)


_NO_ACCESS = etree.XSLTAccessControl.DENY_ALL
# One set per thread, as the parser (viewer.tei.xml): libxslt keeps state per transform.
_local = threading.local()


def _stylesheets() -> dict[tuple[str, bool, bool], etree.XSLT]:
    found = getattr(_local, "stylesheets", None)
    if found is None:
        found = _local.stylesheets = {
            (reading, letterheads, records): _stylesheet(reading, letterheads, records)
            for reading in READINGS
            for letterheads in (False, True)
            for records in (False, True)
        }
    return found


__all__ = ["extract_file", "search_text"]
