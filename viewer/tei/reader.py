"""Reads one TEI letter file into a :class:`viewer.model.Letter`.

This is the parsing layer's front door: it combines the hardened parser, the
text walk, the registers (the letter's own and any external ones handed in),
reference resolution, the letterhead and the metadata, and reports what did
not fit as diagnostics rather than failing.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from lxml import etree

from viewer.errors import EpistolaError
from viewer.gcpause import paused_gc
from viewer.model import (
    READINGS,
    Diagnostic,
    Entity,
    Letter,
    LineBreak,
    LineReference,
    Mention,
    StagedLetter,
)
from viewer.tei.classify import LETTER, REGISTER, tree_kind
from viewer.tei.facsimile import read_facsimile, regions_for_mentions
from viewer.tei.letterhead import read_letterheads
from viewer.tei.metadata import read_metadata
from viewer.tei.registers import collect_entries
from viewer.tei.resolve import ExternalRegisters, Resolver
from viewer.tei.text import RawBreak, RawLineReference, build_text
from viewer.tei.xml import XML_ID, first, is_tei_root, local, parse_bytes, read_bounded

_WITH_XML_ID = etree.XPath("descendant-or-self::*[@xml:id]")
# A file at least this large is read in two stages by read_letter_staged: about the
# first screens of text first, the whole letter after (a 2 MB letter takes ~0.8 s).
STAGED_FROM_BYTES = 256 * 1024
FIRST_PART_CHARACTERS = 12_000


def read_letter(
    path: str | os.PathLike[str],
    *,
    reading: str = "normalised",
    registers: ExternalRegisters | None = None,
    data: bytes | None = None,
) -> Letter:
    """Parse ``path`` (or ``data``, naming it ``path``) into a Letter.

    Raises EpistolaError for anything a person must be told about: a file that
    cannot be read, is not XML, is not TEI or has no text.
    """
    file = str(path)
    _check_reading(reading)
    if data is None:
        data = read_bounded(path)
    with paused_gc():
        tree = parse_bytes(data, file)
        return letter_from_tree(tree, file, reading=reading, registers=registers)


def read_letter_staged(
    path: str | os.PathLike[str],
    *,
    reading: str = "normalised",
    registers: ExternalRegisters | None = None,
    first_characters: int = FIRST_PART_CHARACTERS,
    staged_from_bytes: int = STAGED_FROM_BYTES,
) -> StagedLetter:
    """Like read_letter, but a long letter comes back as its first part and a ``rest()``.

    The file is read and parsed (with every safety check) once, here; ``rest()``
    walks the same tree again to the end. A short letter, or one whose text has
    no point to stop at before its end, comes back complete.
    """
    file = str(path)
    _check_reading(reading)
    data = read_bounded(path)
    if len(data) < staged_from_bytes:
        return StagedLetter(read_letter(path, reading=reading, registers=registers, data=data))
    with paused_gc():
        tree = parse_bytes(data, file)
        del data
        first, complete = _letter_from_tree(
            tree, file, reading=reading, registers=registers, stop_after=first_characters
        )
    if complete:
        return StagedLetter(first)

    def rest() -> Letter:
        with paused_gc():
            return letter_from_tree(tree, file, reading=reading, registers=registers)

    return StagedLetter(first, rest)


def _check_reading(reading: str) -> None:
    if reading not in READINGS:
        raise EpistolaError(f"unknown reading {reading!r} (use one of {', '.join(READINGS)})")


def letter_root(tree: etree._ElementTree, file: str) -> etree._Element:
    root = tree.getroot()
    if not is_tei_root(root):
        tag = root.tag if isinstance(root.tag, str) else "?"
        shown = etree.QName(tag).localname if tag.startswith("{") else tag
        namespace = etree.QName(tag).namespace if tag.startswith("{") else None
        detail = f"<{shown}>" + (f" in namespace {namespace}" if namespace else "")
        raise EpistolaError(
            f"is not a TEI document (its root element is {detail}, not <TEI>)", file
        )
    if local(root) == "teiCorpus":
        inner = first(root, "TEI")
        if inner is None:
            raise EpistolaError("is a teiCorpus without any TEI letter in it", file)
        return inner
    return root


def letter_parts(
    tree: etree._ElementTree, file: str, *, known_letter: bool = False
) -> tuple[etree._Element, etree._Element]:
    """The letter's TEI root and its ``<text>``; EpistolaError for a register file or no text.

    ``known_letter``: the caller has classified the file already (the extractor's sniff).
    """
    root = letter_root(tree, file)
    text_element = first(root, "text")
    kind, entries = (LETTER, 0) if known_letter else tree_kind(tree.getroot())
    if kind == REGISTER:
        raise EpistolaError(
            f"is a register file, not a letter (it lists {entries} "
            f"{'entity' if entries == 1 else 'entities'})",
            file,
        )
    if text_element is None:
        raise EpistolaError("is TEI but has no <text> element: there is no letter to show", file)
    return root, text_element


def letter_from_tree(
    tree: etree._ElementTree,
    file: str,
    *,
    reading: str = "normalised",
    registers: ExternalRegisters | None = None,
    diagnose: bool = True,
) -> Letter:
    """The letter in ``tree``. ``diagnose=False`` leaves out the two checks over the whole
    letter, duplicate xml:ids and unused register entries (0.1 s of the 2 MB letter's 1.4),
    for a caller that shows no diagnostics (``--pdf``); the rest is the same."""
    return _letter_from_tree(tree, file, reading=reading, registers=registers, diagnose=diagnose)[0]


def _letter_from_tree(
    tree: etree._ElementTree,
    file: str,
    *,
    reading: str,
    registers: ExternalRegisters | None,
    stop_after: int | None = None,
    diagnose: bool = True,
) -> tuple[Letter, bool]:
    """The letter, or with ``stop_after`` possibly its first part; and whether it is whole."""
    root, text_element = letter_parts(tree, file)

    source_name = Path(file).name
    local_index, local_entries = collect_entries(root, None, skip=frozenset({"body"}))
    resolver = Resolver(local_index, registers)
    diagnostics: list[Diagnostic] = []

    result = build_text(text_element, reading, stop_after)
    why = _unresolved_reason(len(local_index), registers)

    date_entities: dict[str, Entity] = {}
    mentions: list[Mention] = []
    # A long letter names the same entities again and again: each distinct list of
    # references is resolved once (resolving again would only repeat what it did).
    resolved: dict[tuple[tuple[str, str], ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for raw in result.mentions:
        references = tuple(raw.references)
        found = resolved.get(references)
        if found is None:
            found = resolved[references] = resolver.resolve_all(references)
        entity_ids, unresolved = found
        if raw.kind == "date" and raw.date_value and not entity_ids:
            date_id = f"date:{raw.date_value}"
            surface = result.text[raw.start : raw.end]
            known = date_entities.get(date_id)
            if known is None:
                date_entities[date_id] = Entity(id=date_id, kind="date", name=surface)
            elif surface != known.name and surface not in known.variants:
                date_entities[date_id] = Entity(
                    id=date_id, kind="date", name=known.name, variants=(*known.variants, surface)
                )
            entity_ids = (date_id,)
        kind = raw.kind
        if kind == "other" and entity_ids:
            first_entity = resolver.used.get(entity_ids[0]) or local_index.get(entity_ids[0])
            kind = first_entity.kind if first_entity is not None else kind
        for token in unresolved:
            diagnostics.append(
                Diagnostic(
                    "warning",
                    "dangling-ref",
                    f"reference {token!r} on {'an' if kind[0] in 'aeiou' else 'a'} {kind} mention "
                    f"({result.text[raw.start : raw.end][:60]!r}): {why(token)}",
                    raw.line,
                )
            )
        mentions.append(
            _mention(
                raw.start, raw.end, kind, entity_ids, unresolved, raw.implied, raw.line, raw.in_note
            )
        )

    line_references: list[LineReference] = []
    for raw in result.line_references:
        entity_ids, unresolved = resolver.resolve_all(raw.references)
        start, end = _line_range(result.text, raw, result.line_starts, result.line_ends)
        if start is None:
            diagnostics.append(
                Diagnostic(
                    "warning",
                    "dangling-line",
                    f"a note attaches {raw.label!r} to line {raw.line_id!r}, "
                    "which is not in the text",
                    raw.line,
                )
            )
            start = end = 0
        for token in unresolved:
            diagnostics.append(
                Diagnostic(
                    "warning",
                    "dangling-ref",
                    f"reference {token!r} for {raw.label!r} on line {raw.line_id!r}: {why(token)}",
                    raw.line,
                )
            )
        line_references.append(
            LineReference(
                start=start,
                end=end,
                line_id=raw.line_id,
                entities=entity_ids,
                unresolved=unresolved,
                label=raw.label,
                uncertain=raw.uncertain,
            )
        )

    facsimile = read_facsimile(root, result, file)
    if facsimile.zones:
        found = regions_for_mentions(
            facsimile.zones, [(m.start, m.end) if not m.in_note else (0, 0) for m in mentions]
        )
        mentions = [replace(m, regions=r) if r else m for m, r in zip(mentions, found, strict=True)]
    diagnostics.extend(facsimile.diagnostics)

    metadata = read_metadata(root, resolver.resolve_all, resolver.names_of)
    diagnostics.extend(metadata.diagnostics)
    unread_letterheads: list[etree._Element] = []
    letterhead = read_letterheads(
        result.letterheads,
        resolver.resolve_all,
        result.member_spans,
        text=result.text,
        mentions=mentions,
        notes=result.notes,
        senders=metadata.senders,
        entity_name=lambda entity_id: next(iter(resolver.names_of(entity_id)), None),
        unread=unread_letterheads,
    )
    diagnostics.extend(_unread_letterheads(unread_letterheads))
    diagnostics.extend(_register_file_problems(registers))

    entities = _entity_list(local_entries, resolver, date_entities)
    if not result.complete:
        # A first part: what the whole letter lacks or repeats is told once it is read.
        diagnostics = []
    elif diagnose:
        diagnostics.extend(_duplicate_ids(root))
        diagnostics.extend(_register_diagnostics(local_entries, resolver, mentions))
    for name, line in result.unexpanded_entities:
        diagnostics.append(
            Diagnostic(
                "warning",
                "entity-not-expanded",
                f"entity reference &{name}; is shown as written: Epistola never expands "
                "entities declared in a DTD",
                line,
            )
        )
    if not result.text.strip():
        diagnostics.append(Diagnostic("warning", "empty-text", "the letter has no text", None))

    letter = Letter(
        file=file,
        title=metadata.title or source_name,
        text=result.text,
        date=metadata.date,
        senders=tuple(metadata.senders),
        recipients=tuple(metadata.recipients),
        places=tuple(metadata.places),
        source=metadata.source,
        entities=tuple(entities),
        mentions=tuple(mentions),
        letterhead=tuple(letterhead),
        diagnostics=tuple(diagnostics),
        spans=tuple(result.spans),
        notes=tuple(result.notes),
        blocks=tuple(result.blocks),
        line_references=tuple(line_references),
        reading=reading,
        has_choices=result.has_choices,
        line_breaks=breaks_in_text(result.text, result.line_breaks),
        pages=tuple(facsimile.pages),
        zones=tuple(facsimile.zones),
    )
    return letter, result.complete


_new = object.__new__


def _mention(
    start: int,
    end: int,
    kind: str,
    entities: tuple[str, ...],
    unresolved: tuple[str, ...],
    implied: bool,
    line: int | None,
    in_note: bool,
) -> Mention:
    """``Mention(...)`` with these fields and no regions, made without its ``__init__``.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``:
    for the 50,000 mentions of a 2 MB letter that was a tenth of the reading. Filling
    the instance's ``__dict__`` gives the same object (tests/test_parser_rules.py).
    """
    mention = _new(Mention)
    fields = mention.__dict__  # in the fields' order, as __init__ would fill it
    fields["start"] = start
    fields["end"] = end
    fields["kind"] = kind
    fields["entities"] = entities
    fields["unresolved"] = unresolved
    fields["implied"] = implied
    fields["line"] = line
    fields["in_note"] = in_note
    fields["regions"] = ()
    return mention


def breaks_in_text(text: str, raws: list[RawBreak]) -> tuple[LineBreak, ...]:
    """One LineBreak per line of the text that an lb starts, in order.

    An lb closing a paragraph (``…Text<lb/></p>``) or standing before one starts the
    line where the next text starts; when several lbs start the same line (an empty
    line, an lb on each side of a paragraph's end) the last one, nearest its text,
    numbers it. An lb after the last text starts no line.
    """
    found: list[LineBreak] = []
    size = len(text)
    for raw in raws:
        if not raw.breaks:
            continue  # inside a word in the normalised reading: the word reads whole
        offset = raw.offset
        while offset < size and text[offset] == "\n":
            offset += 1
        if offset >= size:
            continue
        flows = raw.own_newline and offset == raw.offset
        line = LineBreak(offset, raw.n, raw.id, flows=flows, in_word=raw.in_word)
        if found and found[-1].offset == offset:
            line = replace(line, flows=flows or found[-1].flows)
            found[-1] = line
        elif not found or found[-1].offset < offset:
            found.append(line)
    return tuple(found)


def _line_range(
    text: str, raw: RawLineReference, starts: dict[str, int], ends: dict[str, int]
) -> tuple[int | None, int]:
    """The stretch of text a line-reference note attaches its entities to.

    In TEI an ``lb`` starts the line it names. But a note that stands right
    before the ``lb`` it points to, with no text in between, annotates the
    text it follows: there the ``lb`` closes the line it names (Jean Paul's
    editions put ``lb xml:id`` at line ends; their commentary's line numbers
    agree), and the line is the one ending at that break.
    """
    end_at = ends.get(raw.line_id)
    if end_at is not None and raw.position == end_at:
        end_at = min(end_at, len(text))
        start = text.rfind("\n", 0, end_at) + 1
        if text[start:end_at].strip():
            return start, end_at
    start = starts.get(raw.line_id)
    if start is None:
        return None, 0
    start = min(start, len(text))  # the text's end was stripped after positions were taken
    end = text.find("\n", start)
    return start, len(text) if end < 0 else end


def _unread_letterheads(elements: list[etree._Element]) -> list[Diagnostic]:
    """A letterhead element that gave the panel nothing is said, never silently dropped."""
    return [
        Diagnostic(
            "warning",
            "empty-letterhead",
            f'<{local(element)} type="letterhead"> yields no letterhead: it has no printed '
            "text and no list of members",
            element.sourceline,
        )
        for element in elements
    ]


def _unresolved_reason(local_count: int, registers: ExternalRegisters | None):
    """A function saying, for an unresolved token, where it was looked for.

    The register files are asked for only once a token is unresolved: lazy
    registers are searched for then (the lookup that failed searched them),
    never for a letter whose own register answers everything.
    """
    said: list[str] = []

    def where() -> str:
        files = list(registers.files) if registers is not None else []
        if files:
            shown = ", ".join(Path(f).name for f in files[:3]) + (" …" if len(files) > 3 else "")
            return (
                f"the letter's {local_count} register entries and "
                f"{len(files)} register file{'s' if len(files) != 1 else ''} ({shown})"
            )
        if registers is not None:
            return f"the letter's {local_count} register entries (no register files were found)"
        return f"the letter's {local_count} register entries"

    def why(token: str) -> str:
        if not said:
            said.append(where())
        return f"no entry with this id or key in {said[0]}"

    return why


def _register_file_problems(registers: ExternalRegisters | None) -> list[Diagnostic]:
    """A register file that could not be read is worth a warning, never a failure."""
    errors = list(registers.errors) if registers is not None else []
    return [
        Diagnostic(
            "warning",
            "register-unreadable",
            f"register file {path} could not be used: {message}",
            None,
        )
        for path, message in errors
    ]


def _entity_list(
    local_entries: list[tuple[etree._Element, Entity]],
    resolver: Resolver,
    date_entities: dict[str, Entity],
) -> list[Entity]:
    seen: set[str] = set()
    entities: list[Entity] = []
    for _element, entity in local_entries:
        if entity.id not in seen:
            seen.add(entity.id)
            entities.append(entity)
    for entity in resolver.used.values():
        if entity.id not in seen:
            seen.add(entity.id)
            entities.append(entity)
    for entity in date_entities.values():
        if entity.id not in seen:
            seen.add(entity.id)
            entities.append(entity)
    return entities


def _register_diagnostics(
    entries: list[tuple[etree._Element, Entity]],
    resolver: Resolver,
    mentions: list[Mention],
) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    mentioned = {entity_id for m in mentions for entity_id in m.entities}
    for element, entity in entries:
        if entity.id not in mentioned and entity.id not in resolver.used:
            found.append(
                Diagnostic(
                    "info",
                    "unused-entity",
                    f"register entry {entity.id!r} ({entity.name}) is never mentioned",
                    element.sourceline,
                )
            )
    return found


def _duplicate_ids(root: etree._Element) -> list[Diagnostic]:
    first_line: dict[str, int | None] = {}
    found: list[Diagnostic] = []
    # Only the elements that carry an xml:id, picked out by libxml2 (a 2 MB letter has
    # some 56,000 elements and a few thousand ids).
    for element in _WITH_XML_ID(root):
        identifier = element.get(XML_ID)
        if identifier is None:
            continue
        if identifier in first_line:
            found.append(
                Diagnostic(
                    "error",
                    "duplicate-id",
                    f"xml:id {identifier!r} is used twice (first on line {first_line[identifier]})",
                    element.sourceline,
                )
            )
        else:
            first_line[identifier] = element.sourceline
    return found
