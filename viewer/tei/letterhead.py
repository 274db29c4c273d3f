"""The letterhead: the issuer's printed stationery, read from the XML, structured or flat.

Any element of the text with ``@type="letterhead"`` is a letterhead (``ab``,
``seg``, ``fw``, ``note``, ``figure``, ``div``, ``p``, ``list`` ...), wherever
it stands. Letterhead elements that follow one another as siblings (with only
line breaks or spaces between them) are one letterhead, a *block*; blocks
elsewhere (another page, another part of the letter) are separate ones.

A **structured** block holds sections: the lists (``list``, ``listPerson``,
``listOrg``) or divisions inside it, titled by their ``head`` or else ``@n``;
its members are the sections' ``item``, ``person`` and ``org`` children. An
entry holding only an ``address`` is the organisation's contact block: each
``addrLine`` (street, city, telephone, e-mail) becomes a member of kind
``contact``. In a member, the first name element outside an affiliation is
the member, ``roleName`` is its role, and ``affiliation`` (or a name element
typed ``affiliation``) is its affiliation.

A **flat** block (printed lines, no lists) is one ``printed`` section whose
members are its lines in printed order, cut from the reading text at every
``seg`` (columns ``seg rend="left|right"`` included) and line break; editorial
note markers are not printed text. Each line carries the entities mentioned
in it and a kind: ``contact`` (address, telephone, telegram address, e-mail,
bank account), else the kind of the name that makes up most of it
(``organisation``, ``person``, ``place``), else ``line``.

The **issuer** is whose stationery it is: the first organisation or person the
block names (a name in a structured block's headings first); failing that a
periodical it names; a block naming only addresses is the sender's own
stationery; failing all, the title is "Letterhead" and there is no issuer.
Nothing here knows any organisation: the XML says it all.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from lxml import etree

from viewer.model import Affiliation, LetterheadSection, Member, Mention, Note, Party
from viewer.tei.text import kind_from_type, references_of
from viewer.tei.xml import local, norm_space, plain_text

SECTION_ELEMENTS = frozenset({"list", "listPerson", "listOrg", "div", "listBibl", "listPlace"})
MEMBER_ELEMENTS = frozenset({"item", "person", "org", "bibl", "place"})
NAME_KINDS = {
    "persName": "person",
    "orgName": "organisation",
    "placeName": "place",
    "rs": None,
    "name": None,
}
_ENTRY_KINDS = {"person": "person", "org": "organisation", "bibl": "work", "place": "place"}
UNTITLED = "Letterhead"
LINE_KINDS = ("organisation", "person", "place", "contact", "line")

# Between two letterhead siblings of one block only these may stand.
_WITHIN_BLOCK = frozenset({"lb", "space", "cb", "anchor", "milestone", "index"})
# Elements whose text is contact information wherever they stand in a printed line.
_CONTACT_ELEMENTS = frozenset({"address", "addrLine", "email", "street", "postCode", "postBox"})
# Words that make a printed line contact information, in the languages letters are in.
_CONTACT_WORDS = re.compile(
    r"tele(ph|f|g|fon)|fernsprech|fernruf|\btel\b|\bfax\b|e-?mail|@|postscheck|"
    r"postfach|p\.\s?o\.\s?box|konto|\bbank\b|bankverbindung|\bgiro|\biban\b|"
    r"adresse|address|\bstr\.|stra(ss|ß)e|gasse|platz\b|\bufer\b|\bring\b|allee|"
    r"\brue\b|\bstreet\b|\broad\b|\bavenue\b|\bplace\b|\bvia\b|\bcalle\b|\bamt\b",
    re.IGNORECASE,
)
_PARTY_KINDS = ("organisation", "person")

T = TypeVar("T")
ResolveReferences = Callable[[list[tuple[str, str]]], tuple[tuple[str, ...], tuple[str, ...]]]
EntityName = Callable[[str], str | None]


def read_letterheads(
    containers: list[etree._Element],
    resolve: ResolveReferences,
    member_spans: dict[etree._Element, tuple[int, int]],
    *,
    text: str = "",
    mentions: Sequence[Mention] = (),
    notes: Sequence[Note] = (),
    senders: Sequence[Party] = (),
    entity_name: EntityName | None = None,
    unread: list[etree._Element] | None = None,
) -> list[LetterheadSection]:
    """Every letterhead section of a letter, block by block, in reading order.

    ``containers`` are the letterhead elements in document order (as the text
    walk found them), ``member_spans`` where each of their elements is in
    ``text``. A block that yields no section is appended to ``unread``.
    """
    if not containers:  # most letters: nothing to sort their mentions for
        return []
    name_of = entity_name or (lambda _id: None)
    # Sorted once, so that each block finds its own mentions and note markers by bisection:
    # a letter may have thousands of letterheads and of mentions.
    named = _Positioned(
        sorted((m for m in mentions if not m.in_note), key=lambda m: m.start),
        lambda m: m.start,
    )
    markers = _Positioned(sorted((n.anchor, n.marker_end) for n in notes), lambda n: n[0])
    sections: list[LetterheadSection] = []
    for block_number, block in enumerate(letterhead_blocks(containers)):
        found = _structured(block, resolve, member_spans)
        if found:
            issuer, title = _structured_issuer(block, resolve, named, member_spans, name_of, text)
            if issuer is None and title is None:
                issuer, title = _sender_issuer(senders)
            sections.extend(
                LetterheadSection(
                    title=section_title,
                    members=members,
                    issuer=issuer,
                    printed=False,
                    block=block_number,
                )
                for section_title, members in found
            )
            continue
        printed = _printed_section(
            block, member_spans, text, named, markers, senders, name_of, block_number
        )
        if printed is not None:
            sections.append(printed)
        elif unread is not None:
            unread.append(block[0])
    return sections


def letterhead_blocks(containers: list[etree._Element]) -> list[list[etree._Element]]:
    """The letterhead elements grouped into blocks (see the module docstring)."""
    chosen = set(containers)
    outermost = [
        element
        for element in containers
        if not any(ancestor in chosen for ancestor in element.iterancestors())
    ]
    blocks: list[list[etree._Element]] = []
    for element in outermost:
        if blocks and _follows(blocks[-1][-1], element):
            blocks[-1].append(element)
        else:
            blocks.append([element])
    return blocks


def _follows(previous: etree._Element, element: etree._Element) -> bool:
    """Whether ``element`` continues the block ``previous`` ends (siblings, nothing between)."""
    if previous.getparent() is not element.getparent():
        return False
    current = previous
    while True:
        if (current.tail or "").strip():
            return False
        current = current.getnext()
        if current is None:
            return False
        if current is element:
            return True
        if isinstance(current.tag, str) and local(current) not in _WITHIN_BLOCK:
            return False


# ----------------------------------------------------------- structured blocks


def _structured(
    block: list[etree._Element],
    resolve: ResolveReferences,
    member_spans: dict[etree._Element, tuple[int, int]],
) -> list[tuple[str, tuple[Member, ...]]]:
    found_all: list[tuple[str, tuple[Member, ...]]] = []
    for container in block:
        found = _sections(container)
        if not found:
            members = [c for c in container if local(c) in MEMBER_ELEMENTS]
            if members:
                found = [(_title(container) or UNTITLED, members)]
        for title, members in found:
            parsed: list[Member] = []
            for element in members:
                if _is_contact(element):
                    parsed.extend(_contact_members(element, resolve, member_spans))
                else:
                    member = _member(element, resolve, member_spans)
                    if member is not None:
                        parsed.append(member)
            found_all.append((title, tuple(parsed)))
    return found_all


def _structured_issuer(
    block: list[etree._Element],
    resolve: ResolveReferences,
    mentions: _Positioned[Mention],
    member_spans: dict[etree._Element, tuple[int, int]],
    name_of: EntityName,
    text: str,
) -> tuple[str | None, str | None]:
    """The organisation or person a heading names ("ICBL Ambassadors"), else the first named."""
    for container in block:
        for head in container.iter():
            if local(head) != "head":
                continue
            for node in _top_level_names(head):
                kind = NAME_KINDS.get(local(node) or "") or kind_from_type(node.get("type"))
                if kind not in _PARTY_KINDS:
                    continue
                ids, _ = resolve(references_of(node))
                if ids:
                    return ids[0], name_of(ids[0]) or plain_text(node)
    ranges = [member_spans[c] for c in block if c in member_spans]
    if not ranges:
        return None, None
    start, end = min(r[0] for r in ranges), max(r[1] for r in ranges)
    inside = [m for m in mentions.between(start, end) if m.end <= end]
    return _named_issuer(inside, text, name_of)


# ---------------------------------------------------------------- printed blocks


def _printed_section(
    block: list[etree._Element],
    member_spans: dict[etree._Element, tuple[int, int]],
    text: str,
    mentions: _Positioned[Mention],
    notes: _Positioned[tuple[int, int]],
    senders: Sequence[Party],
    name_of: EntityName,
    block_number: int,
) -> LetterheadSection | None:
    ranges = [member_spans[c] for c in block if c in member_spans]
    if not ranges:
        return None
    start, end = min(r[0] for r in ranges), max(r[1] for r in ranges)
    if start >= end:
        return None
    cuts = {start, end}
    contact_ranges: list[tuple[int, int]] = []
    containers = set(block)
    for container in block:
        for element in container.iter():
            span = member_spans.get(element)
            if span is None:
                continue
            name = local(element)
            if name == "seg" or element in containers:
                cuts.update(span)
            elif name in _CONTACT_ELEMENTS:
                contact_ranges.append(span)
    # Lines come in text order: each sweep hands every line what overlaps it, in one pass.
    inside = mentions.between(start, end)
    named_in = _Sweep(inside, lambda m: (m.start, m.end))
    markers_in = _Sweep(notes.between(start, end), lambda n: n)
    contacts_in = _Sweep(sorted(contact_ranges), lambda r: r)
    members: list[Member] = []
    for line_start, line_end in _lines(text, sorted(c for c in cuts if start <= c <= end)):
        printed = _without(text, line_start, line_end, markers_in.overlapping(line_start, line_end))
        named = named_in.overlapping(line_start, line_end)
        contact = bool(contacts_in.overlapping(line_start, line_end))
        if not printed:
            continue
        entities: list[str] = []
        for mention in named:
            entities.extend(e for e in mention.entities if e not in entities)
        members.append(
            Member(
                name=printed,
                kind=_line_kind(printed, named, line_start, line_end, contact),
                entities=tuple(entities),
                start=line_start,
                end=line_end,
            )
        )
    if not members:
        return None
    in_block = [m for m in inside if m.end <= end]
    issuer, title = _named_issuer(in_block, text, name_of)
    if issuer is None and title is None and all(m.kind in ("place", "contact") for m in members):
        issuer, title = _sender_issuer(senders)
    return LetterheadSection(
        title=title or UNTITLED,
        members=tuple(members),
        issuer=issuer,
        printed=True,
        block=block_number,
    )


class _Positioned(Generic[T]):
    """Items sorted by their start offset; those starting in a range, by bisection."""

    def __init__(self, items: list[T], start_of: Callable[[T], int]) -> None:
        self._items = items
        self._starts = [start_of(item) for item in items]

    def between(self, start: int, end: int) -> list[T]:
        """The items starting at ``start`` or later and before ``end``, in order."""
        return self._items[bisect_left(self._starts, start) : bisect_left(self._starts, end)]


class _Sweep(Generic[T]):
    """What overlaps each of a series of ascending ranges, in one pass over ``items``."""

    def __init__(self, items: list[T], span_of: Callable[[T], tuple[int, int]]) -> None:
        self._items = items  # sorted by start
        self._span_of = span_of
        self._next = 0
        self._active: list[T] = []

    def overlapping(self, start: int, end: int) -> list[T]:
        items, span_of = self._items, self._span_of
        while self._next < len(items) and span_of(items[self._next])[0] < end:
            self._active.append(items[self._next])
            self._next += 1
        self._active = [item for item in self._active if span_of(item)[1] > start]
        return [item for item in self._active if span_of(item)[0] < end]


def _lines(text: str, cuts: list[int]) -> list[tuple[int, int]]:
    """The stretches between cuts, split at line breaks, trimmed of spaces."""
    found: list[tuple[int, int]] = []
    for left, right in itertools.pairwise(cuts):
        position = left
        while position < right:
            newline = text.find("\n", position, right)
            stop = right if newline < 0 else newline
            line_start, line_end = position, stop
            while line_start < line_end and text[line_start].isspace():
                line_start += 1
            while line_end > line_start and text[line_end - 1].isspace():
                line_end -= 1
            if line_start < line_end:
                found.append((line_start, line_end))
            position = stop + 1
    return found


def _without(text: str, start: int, end: int, markers: list[tuple[int, int]]) -> str:
    """``text[start:end]`` without the note markers in it, spaces normalised."""
    parts: list[str] = []
    position = start
    for marker_start, marker_end in markers:
        if marker_end <= position or marker_start >= end:
            continue
        parts.append(text[position : max(position, marker_start)])
        position = max(position, marker_end)
    parts.append(text[position:end])
    return norm_space("".join(parts))


def _line_kind(printed: str, named: list[Mention], start: int, end: int, contact: bool) -> str:
    if contact:
        return "contact"
    letters = sum(ch.isalnum() for ch in printed) or 1

    def mostly(kinds: tuple[str, ...]) -> str | None:
        for mention in named:
            covered = max(0, min(end, mention.end) - max(start, mention.start))
            if mention.kind in kinds and covered * 2 >= letters:
                return mention.kind
        return None

    # "Lakeside Savings Bank" is the bank, not its account; "Giselastraße 11" an address.
    party = mostly(_PARTY_KINDS)
    if party is not None:
        return party
    if _CONTACT_WORDS.search(printed):
        return "contact"
    if mostly(("place",)) is not None:
        return "place"
    if any(m.kind == "place" for m in named) and any(ch.isdigit() for ch in printed):
        return "contact"  # a street address: a place with a number
    return "line"


def _named_issuer(
    mentions: Sequence[Mention], text: str, name_of: EntityName
) -> tuple[str | None, str | None]:
    """(entity id, title) of the first organisation or person named, else of a periodical."""
    ranked = (
        [m for m in mentions if m.kind in _PARTY_KINDS and not m.implied],
        [m for m in mentions if m.kind in _PARTY_KINDS],
        [m for m in mentions if m.kind == "work"],
    )
    for candidates in ranked:
        for mention in candidates:
            shown = norm_space(text[mention.start : mention.end]) if text else ""
            if mention.entities:
                entity_id = mention.entities[0]
                return entity_id, name_of(entity_id) or shown or entity_id
        if candidates and candidates[0].kind in _PARTY_KINDS and text:
            # Named but not identified: the name as printed is still whose stationery it is.
            return None, norm_space(text[candidates[0].start : candidates[0].end])
    return None, None


def _sender_issuer(senders: Sequence[Party]) -> tuple[str | None, str | None]:
    for party in senders:
        if party.entities:
            return party.entities[0], party.name or party.entities[0]
    for party in senders:
        if party.name:
            return None, party.name
    return None, None


# ------------------------------------------------------------ structured parts


def _sections(container: etree._Element) -> list[tuple[str, list[etree._Element]]]:
    found: list[tuple[str, list[etree._Element]]] = []
    for child in container:
        name = local(child)
        if name not in SECTION_ELEMENTS:
            continue
        members = [c for c in child if local(c) in MEMBER_ELEMENTS]
        nested = _sections(child)
        if members:
            title = _title(child) or f"Section {len(found) + 1}"
            found.append((title, members))
        found.extend(nested)
    return found


def _is_contact(element: etree._Element) -> bool:
    """An entry that is only an address (the sender's postal address, phone, e-mail)."""
    content = [c for c in element if local(c) is not None]
    return (
        bool(content)
        and all(local(c) == "address" for c in content)
        and not (element.text or "").strip()
    )


def _contact_members(
    element: etree._Element,
    resolve: ResolveReferences,
    member_spans: dict[etree._Element, tuple[int, int]],
) -> list[Member]:
    members: list[Member] = []
    for address in element:
        lines = [line for line in address if local(line) == "addrLine"] or [address]
        for line in lines:
            text = plain_text(line)
            if not text:
                continue
            entity_ids: list[str] = []
            for node in _top_level_names(line):
                ids, _ = resolve(references_of(node))
                entity_ids.extend(i for i in ids if i not in entity_ids)
            start, end = member_spans.get(line, (None, None))
            members.append(
                Member(name=text, kind="contact", entities=tuple(entity_ids), start=start, end=end)
            )
    return members


def _top_level_names(element: etree._Element) -> list[etree._Element]:
    """Name elements under ``element`` that are not inside another name element."""
    found: list[etree._Element] = []
    for child in element:
        if local(child) in NAME_KINDS:
            found.append(child)
        elif local(child) is not None:
            found.extend(_top_level_names(child))
    return found


def _title(element: etree._Element) -> str:
    for child in element:
        if local(child) == "head":
            return plain_text(child)
    return norm_space(element.get("n"))


def _is_affiliation(element: etree._Element) -> bool:
    return local(element) == "affiliation" or (element.get("type") or "") == "affiliation"


def _member(
    element: etree._Element,
    resolve: ResolveReferences,
    member_spans: dict[etree._Element, tuple[int, int]],
) -> Member | None:
    names: list[etree._Element] = []
    role_parts: list[str] = []
    affiliation_elements: list[etree._Element] = []
    _scan(element, names, role_parts, affiliation_elements, inside_affiliation=False)
    span = member_spans.get(element, (None, None))

    entity_ids: list[str] = []
    kind = _ENTRY_KINDS.get(local(element) or "", "other")
    if names:
        first_kind = NAME_KINDS.get(local(names[0]) or "")
        kind = first_kind or kind_from_type(names[0].get("type")) or kind
        for name_element in names:
            ids, _ = resolve(references_of(name_element))
            entity_ids.extend(i for i in ids if i not in entity_ids)
    ids, _ = resolve(references_of(element))
    entity_ids.extend(i for i in ids if i not in entity_ids)

    if len(names) == 1:
        name = plain_text(names[0], skip=frozenset({"roleName"}))
    else:
        # Several names in one member ("Dan Church Aid/ Lutheran World Federation"):
        # the member is the whole printed line, roles and affiliations aside.
        name = plain_text(element, skip=frozenset({"roleName", "affiliation"}))
        name = _strip_affiliation_text(name, affiliation_elements)
    name = name.strip(" ,;")
    if not name:
        name = plain_text(element)
    if not name:
        return None

    affiliation = None
    if affiliation_elements:
        affiliation_ids: list[str] = []
        for affiliation_element in affiliation_elements:
            # "Protection (Egypt)" names an organisation; the place inside it is not
            # a second affiliation.
            nodes = _top_level_names(affiliation_element) or [affiliation_element]
            for node in nodes:
                ids, _ = resolve(references_of(node))
                affiliation_ids.extend(i for i in ids if i not in affiliation_ids)
        affiliation = Affiliation(
            name=", ".join(plain_text(a) for a in affiliation_elements),
            entities=tuple(affiliation_ids),
        )
    role = ", ".join(role_parts) or None
    return Member(
        name=name,
        kind=kind,
        entities=tuple(entity_ids),
        role=role,
        affiliation=affiliation,
        start=span[0],
        end=span[1],
    )


def _scan(
    element: etree._Element,
    names: list[etree._Element],
    roles: list[str],
    affiliations: list[etree._Element],
    inside_affiliation: bool,
) -> None:
    for child in element:
        name = local(child)
        if name is None:
            continue
        if _is_affiliation(child):
            affiliations.append(child)
            continue
        if name == "roleName":
            text = plain_text(child)
            if text:
                roles.append(text)
            continue
        if name in NAME_KINDS:
            names.append(child)
            # A role inside the name (a title such as "Ambassador") is still the member's role.
            for inner in child.iter():
                if local(inner) == "roleName":
                    text = plain_text(inner)
                    if text:
                        roles.append(text)
            continue
        _scan(child, names, roles, affiliations, inside_affiliation)


def _strip_affiliation_text(name: str, affiliations: list[etree._Element]) -> str:
    for affiliation in affiliations:
        text = plain_text(affiliation)
        if text and name.endswith(text):
            name = name[: -len(text)]
    return name
