"""Correspondence metadata of one letter file, read without building its text.

Exports such as CMIF need, per letter, who wrote to whom, from where, when,
with the authority URIs of those parties and places, and what the header
says about the edition. Building the reading text costs far more than all of
that, so :func:`read_correspondence` parses the file (with the hardened
parser of :mod:`viewer.tei.xml`), resolves references against the letter's
own entity lists (looked up only as references ask) and the register files
handed in, and reads the header: ``correspDesc`` action by action (the sent
and received places and dates kept apart), checked against the title for
swapped sender/addressee labels, with
:func:`viewer.tei.metadata.read_metadata` as the fallback for what it lacks.

Only real calendar dates are kept (:func:`viewer.tei.metadata.calendar_date`);
placeholders such as ``1836-04-00`` or ``yyyy-mm-dd`` are dropped, never
guessed at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from viewer.model import (
    Correspondence,
    CorrespondenceAction,
    CorrespondenceDate,
    CorrespondenceName,
    EditionInfo,
    Entity,
    Party,
)
from viewer.tei.classify import LETTER, OTHER, SNIFF_BYTES, sniff, tree_kind
from viewer.tei.metadata import (
    calendar_date,
    choose_title,
    labels_contradict_title,
    party_role,
    read_metadata,
)
from viewer.tei.reader import letter_root
from viewer.tei.registers import ENTRY_KINDS, RegisterIndex, entity_from_element, entry_kind
from viewer.tei.resolve import ExternalRegisters, Resolver
from viewer.tei.text import references_of
from viewer.tei.xml import (
    XML_ID,
    children,
    find_path,
    first,
    local,
    norm_space,
    parse_bytes,
    plain_text,
    read_bounded,
    tei_tags,
    xml_id,
)

_NAME_ELEMENTS = ("persName", "orgName", "name", "rs", "persona")
_PLACE_ELEMENTS = ("placeName", "settlement")
_UNCERTAIN = frozenset({"low", "medium", "unknown"})
_CONJECTURE = frozenset({"conjecture", "external"})


def read_correspondence(
    path: str | os.PathLike[str],
    *,
    registers: ExternalRegisters | None = None,
    data: bytes | None = None,
) -> Correspondence | None:
    """The correspondence metadata of the letter at ``path``; None if it is no letter.

    A register file or XML of another kind gives None; a file that cannot be
    read or parsed raises :class:`viewer.errors.EpistolaError`.
    """
    file = str(path)
    if data is None:
        data = read_bounded(path)
    kind = sniff(data[:SNIFF_BYTES])
    if kind == OTHER:
        return None
    tree = parse_bytes(data, file)
    if kind != LETTER and tree_kind(tree.getroot())[0] != LETTER:
        return None
    return correspondence_from_root(letter_root(tree, file), file, registers)


def correspondence_from_root(
    root: etree._Element, file: str, registers: ExternalRegisters | None = None
) -> Correspondence:
    resolver = Resolver(_EntriesOnDemand(root), registers)
    header = first(root, "teiHeader")

    names: dict[str, list[CorrespondenceName]] = {"sent": [], "received": []}
    places: dict[str, list[CorrespondenceName]] = {"sent": [], "received": []}
    dates: dict[str, CorrespondenceDate | None] = {"sent": None, "received": None}
    described = find_path(header, "profileDesc", "correspDesc")
    letter_url = _url((described.get("ref") or "").split()) if described is not None else None
    for action in children(described, "correspAction"):
        action_type = (action.get("type") or "").lower()
        side = party_role(action_type, action)
        for child in action:
            element = local(child)
            if element in _NAME_ELEMENTS:
                role = party_role(action_type, child)
                name = _name(child, resolver)
                if role is not None and name is not None and name.kind != "place":
                    names[role].append(name)
            elif element in _PLACE_ELEMENTS and side is not None:
                place = _name(child, resolver, kind="place")
                if place is not None and place not in places[side]:
                    places[side].append(place)
        if side is not None and dates[side] is None:
            dates[side] = _action_date(children(action, "date"))

    complete = names["sent"] and names["received"]
    dated = dates["sent"] is not None and dates["sent"].has_value
    placed = places["sent"] or places["received"]
    swapped = False
    if complete:
        swapped = labels_contradict_title(
            header,
            [Party(n.name, n.entities) for n in names["sent"]],
            [Party(n.name, n.entities) for n in names["received"]],
            resolver.names_of,
        )
    if swapped:
        names["sent"], names["received"] = names["received"], names["sent"]
    if complete and dated and not placed:
        # Only the dateline is missing: find it without reading the rest of the metadata.
        places["sent"] = _dateline_places(first(root, "text"), resolver)
        placed = True
    if not (complete and dated and placed):
        # Reading the whole metadata (title, author, dateline) costs more: only when needed.
        metadata = read_metadata(root, resolver.resolve_all, resolver.names_of)
        swapped = any(d.code == "correspondence-swapped" for d in metadata.diagnostics)
        if not names["sent"]:
            names["sent"] = [_from_party(p, resolver) for p in metadata.senders]
        if not names["received"]:
            names["received"] = [_from_party(p, resolver) for p in metadata.recipients]
        if not placed:
            places["sent"] = [_from_party(p, resolver, kind="place") for p in metadata.places]
        if not dated and metadata.date is not None:
            fallback = CorrespondenceDate(
                when=calendar_date(metadata.date.when),
                not_before=calendar_date(metadata.date.not_before),
                not_after=calendar_date(metadata.date.not_after),
                text=metadata.date.text,
            )
            if fallback.has_value:
                dates["sent"] = _ordered(fallback)
        title = metadata.title
    else:
        title_element = choose_title(header)
        title = (
            plain_text(title_element, skip=frozenset({"note"})) if title_element is not None else ""
        )

    return Correspondence(
        file=file,
        title=title or Path(file).name,
        key=(root.get(XML_ID) or "").strip() or Path(file).stem,
        url=letter_url or _header_url(header),
        sent=CorrespondenceAction(
            "sent", tuple(names["sent"]), tuple(places["sent"]), dates["sent"]
        ),
        received=CorrespondenceAction(
            "received", tuple(names["received"]), tuple(places["received"]), dates["received"]
        ),
        edition=_edition(header),
        swapped=swapped,
    )


class _EntriesOnDemand(RegisterIndex):
    """The letter's own register entries, found by libxml2, each built when a reference asks.

    A letter's correspDesc points at a handful of its entries; building all of
    them (Schnitzler's back lists, hundreds in a long letter) cost more than
    everything else CMIF needs. The entry elements are picked out by tag in C,
    as far as the lookups need; entries in the body are not register entries,
    as for :func:`viewer.tei.reader.read_letter`.
    """

    _ENTRY_TAGS = tuple(tei_tags(*(k for k, v in ENTRY_KINDS.items() if v is not None)))
    _BY_URI = etree.XPath("descendant::*[local-name()='idno'][normalize-space()=$v]/..")

    def __init__(self, root: etree._Element) -> None:
        super().__init__()
        self.root = root
        self._ids: dict[str, etree._Element] = {}
        self._keys: dict[str, etree._Element] = {}
        self._pending: Iterator[etree._Element] | None = self._entries()
        self._built: dict[etree._Element, Entity | None] = {}

    def _entries(self) -> Iterator[etree._Element]:
        """Entry elements outside the body, in document order, picked out by tag in C."""
        for part in self.root:
            if local(part) == "text":
                for section in part:
                    if local(section) != "body" and isinstance(section.tag, str):
                        yield from section.iter(*self._ENTRY_TAGS)
            elif isinstance(part.tag, str):
                yield from part.iter(*self._ENTRY_TAGS)

    def _find(self, table: dict[str, etree._Element], value: str) -> etree._Element | None:
        """Look in what was seen; read on through the entries only as far as needed."""
        found = table.get(value)
        while found is None and self._pending is not None:
            element = next(self._pending, None)
            if element is None:
                self._pending = None
                break
            identifier = xml_id(element)
            key = (element.get("n") or "").strip()
            if identifier or key:
                self._ids.setdefault(identifier or key, element)
            if key:
                self._keys.setdefault(key, element)
            found = table.get(value)
        return found

    def _entity(self, element: etree._Element | None) -> Entity | None:
        if element is None:
            return None
        # Keyed by the element itself, which the dict keeps alive (an id() could be reused).
        if element not in self._built:
            self._built[element] = entity_from_element(element, None)
        return self._built[element]

    def get(self, entity_id: str) -> Entity | None:
        return self._entity(self._find(self._ids, entity_id))

    def by_sort_key(self, key: str) -> Entity | None:
        return self._entity(self._find(self._keys, key))

    def by_authority(self, uri: str) -> Entity | None:
        for element in self._BY_URI(self.root, v=uri.strip()):
            if entry_kind(element) is not None:
                return self._entity(element)
        return None

    def __len__(self) -> int:
        while self._pending is not None:
            self._find(self._ids, "\0")  # no id holds a NUL: reads every entry
        return len(self._ids)


# ------------------------------------------------------------------ names


def _kind_of(element: etree._Element, entity_kind: str | None) -> str:
    name = local(element)
    if name == "persName":
        return "person"
    if name == "orgName":
        return "organisation"
    if name in _PLACE_ELEMENTS:
        return "place"
    declared = (element.get("type") or "").lower()
    if declared in ("org", "organisation", "organization", "orgname"):
        return "organisation"
    if declared in ("place", "placename"):
        return "place"
    if entity_kind in ("organisation", "place"):
        return entity_kind
    return "person"


def _name(
    element: etree._Element, resolver: Resolver, kind: str | None = None
) -> CorrespondenceName | None:
    references = references_of(element)
    ids, _ = resolver.resolve_all(references)
    entities = [resolver.used[i] for i in ids if i in resolver.used]
    text = plain_text(element, skip=frozenset({"note"}))
    if not text and entities:
        text = entities[0].name
    if not text:
        return None
    authority: list[str] = []
    for entity in entities:
        authority.extend(uri for uri in entity.authority if uri not in authority)
    # A name may point straight at an authority (ref="https://d-nb.info/gnd/...").
    authority.extend(
        token
        for _attribute, token in references
        if token.startswith(("http://", "https://")) and token not in authority
    )
    return CorrespondenceName(
        name=text,
        kind=kind or _kind_of(element, entities[0].kind if entities else None),
        entities=ids,
        authority=tuple(authority),
        uncertain=(element.get("cert") or "").strip().lower() in _UNCERTAIN,
        conjecture=(element.get("evidence") or "").strip().lower() in _CONJECTURE,
    )


def _from_party(party: Party, resolver: Resolver, kind: str | None = None) -> CorrespondenceName:
    entities = [resolver.used[i] for i in party.entities if i in resolver.used]
    authority: list[str] = []
    for entity in entities:
        authority.extend(uri for uri in entity.authority if uri not in authority)
    entity_kind = entities[0].kind if entities else None
    if kind is None:
        kind = entity_kind if entity_kind in ("organisation",) else "person"
    return CorrespondenceName(
        name=party.name or (entities[0].name if entities else ""),
        kind=kind,
        entities=party.entities,
        authority=tuple(authority),
    )


def _dateline_places(text: etree._Element | None, resolver: Resolver) -> list[CorrespondenceName]:
    """The places of the letter's first dateline that names any (as read_metadata finds them)."""
    if text is None:
        return []
    for element in text.iter(*tei_tags("dateline", "div")):
        if local(element) == "div" and (element.get("type") or "").lower() != "dateline":
            continue
        found: list[CorrespondenceName] = []
        for place in element.iter(*tei_tags("placeName", "settlement", "name", "rs")):
            if local(place) in ("name", "rs") and (place.get("type") or "").lower() != "place":
                continue
            named = _name(place, resolver, kind="place")
            if named is not None and named not in found:
                found.append(named)
        if found:
            return found
    return []


# ------------------------------------------------------------------ dates


def _action_date(elements: list[etree._Element]) -> CorrespondenceDate | None:
    """One date for an action's ``date`` elements; several dated days become from/to."""
    found = [d for d in (_date(e) for e in elements) if d is not None]
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    days = sorted(d.when for d in found if d.when)
    if len(days) == len(found) and days[0] != days[-1]:
        return CorrespondenceDate(
            from_=days[0],
            to=days[-1],
            text=" / ".join(d.text for d in found if d.text),
            uncertain=any(d.uncertain for d in found),
            conjecture=any(d.conjecture for d in found),
        )
    return next((d for d in found if d.has_value), found[0])


def _date(element: etree._Element) -> CorrespondenceDate | None:
    text = plain_text(element, skip=frozenset({"note"}))
    date = CorrespondenceDate(
        when=calendar_date(element.get("when") or element.get("when-iso")),
        not_before=calendar_date(element.get("notBefore") or element.get("notBefore-iso")),
        not_after=calendar_date(element.get("notAfter") or element.get("notAfter-iso")),
        from_=calendar_date(element.get("from") or element.get("from-iso")),
        to=calendar_date(element.get("to") or element.get("to-iso")),
        text=text,
        # "[April? 1836?]" over when="1836-04-01": the editors were not sure either.
        uncertain=(element.get("cert") or "").strip().lower() in _UNCERTAIN or "?" in text,
        conjecture=(element.get("evidence") or "").strip().lower() in _CONJECTURE,
    )
    if not date.has_value and not date.text:
        return None
    return _ordered(date)


def _ordered(date: CorrespondenceDate) -> CorrespondenceDate:
    """A range whose ends are the wrong way round says nothing sure: its ends are dropped."""
    low, high = date.not_before, date.not_after
    start, end = date.from_, date.to
    if low and high and low > high:
        low = high = None
    if start and end and start > end:
        start = end = None
    if (low, high, start, end) == (date.not_before, date.not_after, date.from_, date.to):
        return date
    return CorrespondenceDate(
        date.when, low, high, start, end, date.text, date.uncertain, date.conjecture
    )


# ------------------------------------------------------------------ header


def _url(tokens: list[str]) -> str | None:
    return next((t for t in tokens if t.startswith(("http://", "https://"))), None)


def _header_url(header: etree._Element | None) -> str | None:
    """The letter's permanent URL: an ``idno`` of its publication statement holding one."""
    statement = find_path(header, "fileDesc", "publicationStmt")
    return _url([norm_space(idno.text) for idno in children(statement, "idno")])


def _edition(header: etree._Element | None) -> EditionInfo:
    file_description = find_path(header, "fileDesc")
    statement = first(file_description, "publicationStmt")
    title = ""
    for candidate in children(first(file_description, "titleStmt"), "title"):
        if (candidate.get("level") or "").lower() in ("s", "j", "m"):
            title = plain_text(candidate)
            break
    if not title:
        series = first(first(file_description, "seriesStmt"), "title")
        title = plain_text(series) if series is not None else ""
    if not title:
        edition = first(first(file_description, "editionStmt"), "edition")
        title = plain_text(edition) if edition is not None else ""
    if not title:
        paragraph = first(statement, "p")
        title = plain_text(paragraph) if paragraph is not None else ""

    publisher = ""
    for element in children(statement, "publisher", "authority", "distributor"):
        parts = [plain_text(c) for c in children(element, "orgName", "name", "persName")]
        publisher = "; ".join(p for p in parts if p) or plain_text(element)
        if publisher:
            break

    licence_target = licence_text = ""
    availability = first(statement, "availability")
    licence = first(availability, "licence")
    if licence is not None:
        licence_target = _url((licence.get("target") or "").split()) or ""
        licence_text = plain_text(licence)[:500]
    return EditionInfo(
        title=title[:500],
        publisher=publisher[:500],
        licence_target=licence_target,
        licence_text=licence_text,
    )
