"""What the collection index needs from a letter, extracted on the C side of lxml.

:func:`extract_file` answers what ``viewer.collection._index_one`` answers (the
same dict: kind, the letter's summary, the register files used, their errors),
without the full reader's Python walk over every element of the letter:

- the file is read and parsed once with the hardened parser and classified
  from its first bytes and the parsed root (no second open);
- mentions are the elements an XPath picks out (``persName``, ``rs``,
  ``date``... outside register lists, the header, skipped and ignored
  elements, figure descriptions); only the few inside a ``choice`` and those
  with child elements are looked at one by one in Python;
- register entries are found as the reader finds them, and an entry's name is
  built only when a mention, a party or a letterhead uses it;
- the text for search comes from one XSLT pass (libxslt) that follows the
  reader's reading (blocks, line breaks, the chosen side of each ``choice``,
  note markers with the notes' texts after the letter), whitespace normalised
  by a few regular expressions (see :func:`search_text`);
- a letterhead (a minority of letters) is read by the existing letterhead
  parser over a text walk of the letterhead elements only.

Entity ids, counts, kinds and names, the mention total, title, dates, parties,
letterhead records and register files equal the full reader's (the agreement
test, tests/test_extract.py, checks every letter of the test corpus). Where a
letter uses a construct the fast path does not follow exactly (a document
type declaration, whose entity references stay unexpanded in the tree, or a
letterhead inside a note), the full reader reads
the already parsed tree instead; ``stats`` counts why.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from lxml import etree

from viewer.errors import EpistolaError
from viewer.gcpause import paused_gc
from viewer.letterheads import letterhead_records
from viewer.model import Entity, Letter, Mention
from viewer.tei.classify import (
    _TEI_ROOTS,
    LETTER,
    OTHER,
    REGISTER,
    SNIFF_BYTES,
    root_name,
    sniff,
    tree_kind,
)
from viewer.tei.letterhead import read_letterheads
from viewer.tei.metadata import read_metadata
from viewer.tei.reader import READINGS, letter_from_tree, letter_root
from viewer.tei.registers import index_entries
from viewer.tei.resolve import ExternalRegisters, Resolver
from viewer.tei.text import (
    MENTION_ELEMENTS,
    REGISTER_LISTS,
    SKIPPED,
    TextWalker,
    _is_line_reference_note,
    _trimmed,
    build_text,
    date_value_of,
    kind_from_type,
    references_of,
)
from viewer.tei.xml import NS, TEI_NS, first, local, parse_bytes, read_bounded

# ----------------------------------------------------------------- XPath

# Elements whose content the reader's walk never reads as text (their subtrees hold
# no mention): the skipped ones, those with a handler that ignores the content, and
# figure descriptions (read as a label, never walked).
_UNWALKED = sorted(
    SKIPPED
    | {"handShift", "addSpan", "delSpan", "milestone", "graphic", "link", "linkGrp", "index"}
    | {"certainty", "precision", "gap", "space", "lb", "pb", "cb", "anchor", "ptr", "figDesc"}
)
_FIGURE_WALKS = ("head", "p", "ab", "figure")


def _named(*names: str) -> str:
    """An XPath test for elements with one of ``names``, in the TEI namespace or none."""
    return " or ".join(f"self::tei:{name} or self::{name}" for name in names)


# Not read as text by the walk: inside an unwalked element, inside a register list
# outside any letterhead, or inside a figure's part that is not head/p/ab/figure.
_OUTSIDE_WALK = (
    f"ancestor::*[{_named(*_UNWALKED)}]"
    f" or ancestor::*[{_named(*sorted(REGISTER_LISTS))}]"
    "[not(ancestor-or-self::*[@type='letterhead'])]"
    f" or ancestor-or-self::*[parent::*[{_named('figure')}][not(@type='letterhead')]]"
    f"[not({_named(*_FIGURE_WALKS)})]"
)
_MENTION_TEST = _named(*MENTION_ELEMENTS)
_MENTIONS = etree.XPath(f"descendant::*[{_MENTION_TEST}][not({_OUTSIDE_WALK})]", namespaces=NS)
_IN_CHOICE = etree.XPath(
    f"descendant::*[{_MENTION_TEST}][ancestor::*[{_named('choice')}]]", namespaces=NS
)
_IN_NOTE = etree.XPath(
    f"descendant::*[{_MENTION_TEST}][ancestor::*[{_named('note')}]]", namespaces=NS
)
_LINE_REFERENCE_NOTES = etree.XPath(
    f"descendant::*[{_named('note')}][*[@type='lineReference']][not({_OUTSIDE_WALK})]",
    namespaces=NS,
)
_HAS_LETTERHEAD = etree.XPath("boolean(descendant-or-self::*[@type='letterhead'])")
_HAS_CHOICE = etree.XPath(f"boolean(descendant::*[{_named('choice')}])", namespaces=NS)
_LETTERHEAD_IN_NOTE = etree.XPath(
    f"boolean(descendant::*[@type='letterhead'][ancestor::*[{_named('note')}]])", namespaces=NS
)

_CHOICE_SHOWN = {
    "normalised": ("corr", "reg", "expan", "ex"),
    "diplomatic": ("sic", "orig", "abbr", "am"),
}
_OTHER_READING = {"normalised": "diplomatic", "diplomatic": "normalised"}


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
    except EpistolaError as error:
        return {"kind": "error", "error": error.message}
    except RecursionError:
        return {"kind": "error", "error": "is nested too deeply to read"}
    except MemoryError:
        return {"kind": "error", "error": "is too large to read in the memory available"}
    except Exception as error:  # a parser bug must not stop the other letters
        return {"kind": "error", "error": f"could not be read ({type(error).__name__}: {error})"}


def _extract(path: str, catalog, reading: str, stats: Counter) -> dict:
    try:
        data = read_bounded(path)
    except EpistolaError:
        # Not a readable regular file (or too large): the classifier's own way decides
        # between "other" and the error, exactly as for the full reader.
        stats["unreadable"] += 1
        return _classified_elsewhere(path, catalog, reading)
    head = data[:SNIFF_BYTES]
    sniffed = sniff(head)
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
    if sniffed is None:
        kind = tree_kind(tree.getroot())[0]
        if kind != LETTER:
            return {"kind": kind}
    registers = catalog.for_letter(path)
    if reading not in READINGS:
        raise EpistolaError(f"unknown reading {reading!r} (use one of {', '.join(READINGS)})")
    with paused_gc():
        letter = _letter_dict(tree, path, reading, registers, stats, data)
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
) -> dict:
    root = letter_root(tree, file)
    text_element = first(root, "text")
    kind, entries = tree_kind(tree.getroot())
    if kind == REGISTER:
        raise EpistolaError(
            f"is a register file, not a letter (it lists {entries} "
            f"{'entity' if entries == 1 else 'entities'})",
            file,
        )
    if text_element is None:
        raise EpistolaError("is TEI but has no <text> element: there is no letter to show", file)

    reason = _needs_full_reader(text_element, data)
    if reason is not None:
        stats[reason] += 1
        letter = letter_from_tree(tree, file, reading=reading, registers=registers)
        return letter_summary(letter, _alt_text(letter, text_element, reading))
    stats["fast"] += 1

    local_index = index_entries(root, None, skip=frozenset({"body"}))
    resolver = Resolver(local_index, registers)
    counts: dict[str, int] = {}
    total = 0
    date_names: dict[str, str] = {}
    for element in _walked_mentions(text_element, reading):
        found = _mention(element, reading)
        if found is None:
            continue
        mention_kind, references, surface = found
        total += 1
        entity_ids, _unresolved = resolver.resolve_all(references)
        if mention_kind == "date" and not entity_ids:
            value = date_value_of(element)
            if value:
                date_id = f"date:{value}"
                if date_id not in date_names:
                    date_names[date_id] = (
                        surface if surface is not None else _surface(element, reading)
                    )
                entity_ids = (date_id,)
        for entity_id in entity_ids:
            counts[entity_id] = counts.get(entity_id, 0) + 1

    for note in _LINE_REFERENCE_NOTES(text_element):
        if not _is_line_reference_note(note) or not _walked_in_choice(note, text_element, reading):
            continue
        walker = TextWalker(reading)
        walker._line_reference_note(note)
        for raw in walker.line_references:
            total += 1
            for entity_id in resolver.resolve_all(raw.references)[0]:
                counts[entity_id] = counts.get(entity_id, 0) + 1

    metadata = read_metadata(root, resolver.resolve_all, resolver.names_of, with_source=False)

    letterheads: tuple = ()
    letterhead_ids: set[str] = set()
    if _HAS_LETTERHEAD(text_element):
        letterheads, letterhead_ids = _letterheads(
            text_element, file, reading, resolver, metadata.senders
        )

    all_counts: dict[str, int] = dict.fromkeys(letterhead_ids, 0)
    for party in (*metadata.senders, *metadata.recipients, *metadata.places):
        for entity_id in party.entities:
            all_counts.setdefault(entity_id, 0)
    all_counts.update(counts)

    def entity(entity_id: str) -> Entity | None:
        if entity_id in date_names:
            return None
        return local_index.get(entity_id) or resolver.used.get(entity_id)

    entities = []
    for entity_id, count in all_counts.items():
        found_entity = entity(entity_id)
        if found_entity is not None:
            named = any(ch.isalnum() for ch in found_entity.name)
            entities.append(
                [entity_id, count, found_entity.kind, found_entity.name if named else entity_id]
            )
        elif entity_id in date_names:
            name = date_names[entity_id]
            named = any(ch.isalnum() for ch in name)
            entities.append([entity_id, count, "date", name if named else entity_id])
        else:
            entities.append([entity_id, count, "other", entity_id])

    date = metadata.date
    when = date.when if date else None
    text, alt_text = search_texts(tree, reading, _HAS_CHOICE(text_element))
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
    if alt_text is not None:
        result["altText"] = alt_text
    return result


def _needs_full_reader(text_element: etree._Element, data: bytes) -> str | None:
    """Why this letter is read by the full reader, or None (the usual case)."""
    if b"<!DOCTYPE" in data:
        # Entity references (declared or from an external DTD) stay in the tree unexpanded
        # and read as "&name;": the full reader shows them so.
        return "document type declaration"
    if _LETTERHEAD_IN_NOTE(text_element):
        return "letterhead inside a note"
    return None


def _walked_mentions(text_element: etree._Element, reading: str) -> list[etree._Element]:
    """The mention elements the reader's walk reaches, body first, then the notes'."""
    found = _MENTIONS(text_element)
    if not found:
        return found
    in_choice = _IN_CHOICE(text_element)
    if in_choice:
        hidden = {e for e in in_choice if not _walked_in_choice(e, text_element, reading)}
        found = [e for e in found if e not in hidden]
    in_notes = set(_IN_NOTE(text_element))
    if in_notes:
        # Notes' texts follow the letter's: their mentions come after the body's.
        found = [e for e in found if e not in in_notes] + [e for e in found if e in in_notes]
    return found


def _walked_in_choice(element: etree._Element, stop: etree._Element, reading: str) -> bool:
    """Whether every ``choice`` above ``element`` shows the side it is on."""
    preferred = _CHOICE_SHOWN[reading]
    current = element
    parent = current.getparent()
    while parent is not None and parent is not stop:
        if local(parent) == "choice":
            options = [child for child in parent if local(child) is not None]
            shown = next((c for n in preferred for c in options if local(c) == n), None)
            if shown is None and options:
                shown = options[0]
            if shown is not current:
                return False
        current, parent = parent, parent.getparent()
    return True


def _mention(
    element: etree._Element, reading: str
) -> tuple[str, list[tuple[str, str]], str | None] | None:
    """(kind, references, surface text if cheaply known) of a mention the reader keeps."""
    name = local(element)
    kind = MENTION_ELEMENTS[name]
    references = references_of(element)
    if kind is None:
        kind = kind_from_type(element.get("type"))
        if kind is None:
            if not element.get("type") and not references:
                return None
            kind = "other"
    if len(element) == 0:
        text = element.text
        if not text or text.isspace():
            return None  # an empty mention has no text to stand on: the reader drops it
        return kind, references, " ".join(text.split())
    surface = _surface(element, reading)
    if not surface:
        return None
    return kind, references, surface


def _surface(element: etree._Element, reading: str) -> str:
    """A mention's text as the reader shows it (its content walked alone)."""
    if len(element) == 0:
        return " ".join((element.text or "").split())
    walker = TextWalker(reading)
    walker.walk(element)
    text = walker.out.result()
    if not walker.mentions:
        return ""
    raw = _trimmed(walker.mentions[-1], text)
    return "" if raw is None else text[raw.start : raw.end]


# ----------------------------------------------------------------- letterheads


def _letterheads(
    text_element: etree._Element,
    file: str,
    reading: str,
    resolver: Resolver,
    senders: list,
) -> tuple[tuple, set[str]]:
    """The letter's letterhead records and the entities its letterheads name.

    The letterhead parser places members, names and note markers by their
    offsets in the reading text; a walk over the letterhead elements alone
    gives the same text for them (each letterhead is a block of its own).
    """
    walker = TextWalker(reading)
    for element in _outermost_letterheads(text_element):
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
        if kind == "other" and entity_ids:
            known = resolver.used.get(entity_ids[0]) or resolver.local.get(entity_ids[0])
            kind = known.kind if known is not None else kind
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
        {el: _clamp(start, end, text) for el, (start, end) in walker.member_spans.items()},
        text=text,
        mentions=mentions,
        notes=walker.notes,
        senders=senders,
        entity_name=lambda entity_id: next(iter(resolver.names_of(entity_id)), None),
    )
    entities = [*resolver.local.by_id.values(), *resolver.used.values()]
    letter = Letter(
        file=file,
        title="",
        text=text,
        mentions=tuple(mentions),
        letterhead=tuple(sections),
        entities=tuple(entities),
    )
    return letterhead_records(letter), letter.letterhead_entities()


def _clamp(start: int, end: int, text: str) -> tuple[int, int]:
    from viewer.tei.text import _trim_range

    return _trim_range(start, end, text)


def _outermost_letterheads(text_element: etree._Element) -> list[etree._Element]:
    """Letterhead elements the walk reaches, outermost only, in document order."""
    found = []
    for element in _LETTERHEADS(text_element):
        found.append(element)
    return found


_LETTERHEADS = etree.XPath(
    "descendant::*[@type='letterhead'][not(ancestor::*[@type='letterhead'])]"
    f"[not({_OUTSIDE_WALK})]",
    namespaces=NS,
)


# ----------------------------------------------------------------- full reader


def letter_summary(letter: Letter, alt_text: str | None) -> dict:
    """The collection's summary of a fully read letter (``_index_one``'s letter dict)."""
    counts: dict[str, int] = dict.fromkeys(letter.letterhead_entities(), 0)
    for party in (*letter.senders, *letter.recipients, *letter.places):
        for entity_id in party.entities:
            counts.setdefault(entity_id, 0)
    for entity_id, count in letter.mention_counts().items():
        counts[entity_id] = count
    mention_kinds: dict[str, str] = {}
    for mention in letter.mentions:
        for entity_id in mention.entities:
            mention_kinds.setdefault(entity_id, mention.kind)
    entities = []
    for entity_id, count in counts.items():
        entity = letter.entity(entity_id)
        if entity is not None:
            named = any(ch.isalnum() for ch in entity.name)
            entities.append([entity_id, count, entity.kind, entity.name if named else entity_id])
        else:
            entities.append([entity_id, count, mention_kinds.get(entity_id, "other"), entity_id])
    date = letter.date
    when = date.when if date else None
    result = {
        "title": letter.title,
        "when": when,
        "dateText": date.text if date else "",
        "sortDate": (when or (date.not_before or date.not_after or "") if date else "") or "",
        "senders": [p.name for p in letter.senders if p.name],
        "recipients": [p.name for p in letter.recipients if p.name],
        "mentions": len(letter.mentions) + len(letter.line_references),
        "entities": entities,
        "text": letter.text,
        "letterheads": [record.to_json() for record in letterhead_records(letter)],
    }
    if alt_text is not None:
        result["altText"] = alt_text
    return result


def _alt_text(letter: Letter, text_element: etree._Element | None, reading: str) -> str | None:
    if not letter.has_choices or text_element is None:
        return None
    other = build_text(text_element, _OTHER_READING[reading]).text
    return other if other != letter.text else None


# ----------------------------------------------------------------- search text

_TEXT_NS = f'xmlns:tei="{TEI_NS}"'


def search_texts(
    tree: etree._ElementTree, reading: str, has_choices: bool
) -> tuple[str, str | None]:
    """(the reading's text, the other reading's text where it differs) for search."""
    text = search_text(tree, reading)
    if not has_choices:
        return text, None
    other = search_text(tree, _OTHER_READING[reading])
    return text, (other if other != text else None)


def search_text(tree: etree._ElementTree, reading: str) -> str:
    """The letter's reading text for full-text search, close to the reader's.

    libxslt walks the text as the reader does and marks block breaks, line
    breaks, joins and note labels with private-use characters; the regular
    expressions below turn runs of whitespace and marks into what the
    reader's text builder writes: a blank line, a line break, one space or
    nothing.
    """
    raw = str(_STYLESHEETS[reading](tree))
    return _normalise(raw)


_BLOCK, _LINE, _JOIN, _NOTE, _NOTE_END, _NOTE_BODY = "\ue001\ue000\ue002\ue003\ue004\ue005"
_GLUED = re.compile(rf"\s*{_JOIN}\s*")
_MARKER_SPACE = re.compile(rf"(\s+)({_NOTE}[^{_NOTE_END}]*{_NOTE_END})")
_SOFT_BEFORE_CLOSING = re.compile(r"[^\S\n]*\n\s*(?=[.,;:!?)\]»])")
_BLOCK_RUN = re.compile(rf"[\s{_LINE}]*{_BLOCK}[\s{_LINE}{_BLOCK}]*")
_LINE_RUN = re.compile(rf"\s*{_LINE}[\s{_LINE}]*")
_SPACES = re.compile(r"\s+")
_LABELS = re.compile(rf"[{_NOTE}{_NOTE_BODY}]([^{_NOTE_END}]*){_NOTE_END}")
_MARKS = str.maketrans({_BLOCK: "\n\n", _LINE: "\n"})


def _normalise(raw: str) -> str:
    if _JOIN in raw:
        raw = _GLUED.sub("", raw)
    if _NOTE in raw:
        raw = _MARKER_SPACE.sub(r"\2\1", raw)
        raw = _number_notes(raw)
    raw = _SOFT_BEFORE_CLOSING.sub("", raw)
    raw = _BLOCK_RUN.sub(_BLOCK, raw)
    raw = _LINE_RUN.sub(_LINE, raw)
    raw = _SPACES.sub(" ", raw)
    return raw.translate(_MARKS).strip()


def _number_notes(raw: str) -> str:
    """Note labels: ``@n``, else the note's number among the letter's notes."""
    numbers = {_NOTE: 0, _NOTE_BODY: 0}

    def label(match: re.Match[str]) -> str:
        kind = match.group(0)[0]
        numbers[kind] += 1
        return f"[{match.group(1) or numbers[kind]}]"

    return _LABELS.sub(label, raw)


def _stylesheet(reading: str) -> etree.XSLT:
    shown = _CHOICE_SHOWN[reading]
    choose_shown = "".join(
        f'<xsl:when test="*[{_named(n)}]"><xsl:apply-templates select="*[{_named(n)}][1]"/>'
        "</xsl:when>"
        for n in shown
    )
    lb_in_word = (
        "@break='no' or @type='nobreak' or contains(concat(' ', translate(concat(@rendition,"
        " ' ', @rend), '#ABCDEFGHIJKLMNOPQRSTUVWXYZ', ' abcdefghijklmnopqrstuvwxyz'), ' '),"
        " ' hyphen ') or contains(concat(' ', translate(concat(@rendition, ' ', @rend),"
        " '#ABCDEFGHIJKLMNOPQRSTUVWXYZ', ' abcdefghijklmnopqrstuvwxyz'), ' '), ' hyph ')"
        " or contains(concat(' ', translate(concat(@rendition, ' ', @rend),"
        " '#ABCDEFGHIJKLMNOPQRSTUVWXYZ', ' abcdefghijklmnopqrstuvwxyz'), ' '), ' hyphenated ')"
    )
    hyphen = (
        "contains(concat(' ', translate(concat(@rendition, ' ', @rend),"
        " '#ABCDEFGHIJKLMNOPQRSTUVWXYZ', ' abcdefghijklmnopqrstuvwxyz'), ' '), ' hyph')"
    )
    if reading == "normalised":
        lb_joined = f"<xsl:text>{_JOIN}</xsl:text>"
    else:
        lb_joined = (
            f'<xsl:text>{_JOIN}</xsl:text><xsl:if test="{hyphen}"><xsl:text>-</xsl:text>'
            f"</xsl:if><xsl:text>{_LINE}{_JOIN}</xsl:text>"
        )
    paragraphs = sorted(
        {
            "p", "ab", "head", "opener", "closer", "postscript", "div", "div1", "div2", "div3",
            "list", "listPerson", "listOrg", "listPlace", "lg", "table", "floatingText",
            "address", "dateline", "salute", "signed", "byline", "argument", "epigraph",
            "trailer", "titlePage", "docTitle", "sp", "writingSession", "front", "back", "body",
            "group", "text", "cit", "quote_block",
        }
    )  # fmt: skip
    formula_parts = ("dateline", "salute", "signed", "byline", "address")
    lines = ("addrLine", "item", "l", "row", "person", "org", "bibl_line")
    ignored = sorted(
        {"handShift", "addSpan", "delSpan", "milestone", "graphic", "link", "linkGrp", "index"}
        | {"certainty", "precision", "anchor", "pb"}
        | SKIPPED
    )
    register_lists = _named(*sorted(REGISTER_LISTS))
    line_reference_note = (
        f"*[@type='lineReference'] and count(*) = count(*[({register_lists})"
        " and (@type='lineReference' or not(@type))])"
        " and not(normalize-space(node()[1][self::text()]))"
    )
    sic = (
        "not(*) and (translate(translate(normalize-space(.), '()[]', ''), 'SIC', 'sic')"
        " = 'sic' or translate(translate(normalize-space(.), '()[]', ''), 'SIC', 'sic')"
        " = 'sic!' or translate(translate(normalize-space(.), '()[]', ''), 'SIC', 'sic')"
        " = 'sic.')"
    )
    note_label = "normalize-space(@n)"
    walked_note = (
        f"[{_named('note')}][not(@type='letterhead') or ancestor::*[{_named('note')}]]"
        f"[not({line_reference_note})][not({sic})]"
    )
    xsl = f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
 {_TEXT_NS}>
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/">
  <xsl:variable name="document" select="*[{_named("teiCorpus")}]/*[{_named("TEI")}][1]
      | *[not({_named("teiCorpus")})]"/>
  <xsl:variable name="text" select="$document/*[{_named("text")}][1]"/>
  <xsl:apply-templates select="$text"/>
  <xsl:for-each select="$text//*{walked_note}[not(ancestor::*[{_named("note")}])]
      [not({_OUTSIDE_WALK})]">
    <xsl:text>{_BLOCK}{_NOTE_BODY}</xsl:text><xsl:value-of select="{note_label}"/>
    <xsl:text>{_NOTE_END} </xsl:text>
    <xsl:apply-templates mode="note"/>
    <xsl:text>{_BLOCK}</xsl:text>
  </xsl:for-each>
</xsl:template>

<xsl:template match="*" mode="note"><xsl:apply-templates select="."/></xsl:template>
<xsl:template match="text()" mode="note"><xsl:value-of select="."/></xsl:template>

<xsl:template match="*[{_named(*ignored)}]"/>
<xsl:template match="*[{register_lists}][not(ancestor-or-self::*[@type='letterhead'])]"/>
<xsl:template match="*[{_named(*paragraphs)}] | *[@type='letterhead']">
  <xsl:text>{_BLOCK}</xsl:text><xsl:apply-templates/><xsl:text>{_BLOCK}</xsl:text>
</xsl:template>
<xsl:template match="*[{_named(*formula_parts)}][parent::*[{_named("opener", "closer")}]]
    | *[{_named(*lines)}] | *[{_named("seg")}][ancestor::*[@type='letterhead']]">
  <xsl:text>{_LINE}</xsl:text><xsl:apply-templates/><xsl:text>{_LINE}</xsl:text>
</xsl:template>
<xsl:template match="*[{_named("lb")}]">
  <xsl:choose>
    <xsl:when test="{lb_in_word}">{lb_joined}</xsl:when>
    <xsl:otherwise><xsl:text>{_LINE}</xsl:text></xsl:otherwise>
  </xsl:choose>
</xsl:template>
<xsl:template match="*[{_named("cb")}]"><xsl:text>{_LINE}</xsl:text></xsl:template>
<xsl:template match="*[{_named("gap")}]"><xsl:text>[…]</xsl:text></xsl:template>
<xsl:template match="*[{_named("space")}]"><xsl:text> </xsl:text></xsl:template>
<xsl:template match="*[{_named("choice")}]">
  <xsl:choose>{choose_shown}
    <xsl:otherwise><xsl:apply-templates select="*[1]"/></xsl:otherwise>
  </xsl:choose>
</xsl:template>
<xsl:template match="*[{_named("figure")}]">
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
<xsl:template match="*[{_named("ref", "ptr")}]">
  <xsl:choose>
    <xsl:when test="self::tei:ref[normalize-space(.)] or self::ref[normalize-space(.)]">
      <xsl:apply-templates/>
    </xsl:when>
    <xsl:when test="normalize-space(@target) and string-length(normalize-space(@target)) = 10
        and translate(normalize-space(@target), '0123456789', '0000000000') = '0000-00-00'">
      <xsl:value-of select="normalize-space(@target)"/>
    </xsl:when>
    <xsl:when test="normalize-space(@target)"><xsl:text>→</xsl:text></xsl:when>
  </xsl:choose>
</xsl:template>
<xsl:template match="*[{_named("note")}]">
  <xsl:choose>
    <xsl:when test="@type='letterhead' and not(ancestor::*[{_named("note")}])">
      <xsl:text>{_BLOCK}</xsl:text><xsl:apply-templates/><xsl:text>{_BLOCK}</xsl:text>
    </xsl:when>
    <xsl:when test="{line_reference_note}"/>
    <xsl:when test="ancestor::*[{_named("note")}]">
      <xsl:text> (</xsl:text><xsl:apply-templates/><xsl:text>)</xsl:text>
    </xsl:when>
    <xsl:when test="{sic}">
      <xsl:text>[</xsl:text><xsl:value-of select="translate(normalize-space(.), '()[]', '')"/>
      <xsl:text>]</xsl:text>
    </xsl:when>
    <xsl:otherwise>
      <xsl:text>{_NOTE}</xsl:text><xsl:value-of select="{note_label}"/>
      <xsl:text>{_NOTE_END}</xsl:text>
    </xsl:otherwise>
  </xsl:choose>
</xsl:template>
</xsl:stylesheet>"""
    return etree.XSLT(etree.XML(xsl.encode()), access_control=_NO_ACCESS)


_NO_ACCESS = etree.XSLTAccessControl.DENY_ALL
_STYLESHEETS = {reading: _stylesheet(reading) for reading in READINGS}

__all__ = ["extract_file", "letter_summary", "search_text", "search_texts"]
