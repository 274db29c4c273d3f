"""Entity registers: reading register entries into Entities, and indexing them for lookup.

A register entry is a ``person``, ``org``, ``place``, ``bibl``, ``event``,
``item``, ``nym`` or ``object`` with an ``xml:id`` (or an ``@n`` sort key),
wherever it stands: in the letter's header, ``standOff`` or ``back``, or in
a separate register file. :class:`RegisterIndex` answers the three ways
editions point at entries: by id, by key (``@n``) and by authority URI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from lxml import etree

from viewer.model import Entity
from viewer.tei.xml import children, local, norm_space, plain_text, xml_id

ENTRY_KINDS = {
    "person": "person",
    "personGrp": "person",
    "org": "organisation",
    "place": "place",
    "bibl": "work",
    "biblStruct": "work",
    "event": "event",
    "item": "other",
    "nym": "other",
    "object": "other",
    "relation": None,
}

NAME_ELEMENTS = (
    "persName",
    "orgName",
    "placeName",
    "settlement",
    "country",
    "region",
    "geogName",
    "title",
    "name",
    "label",
    "objectName",
    "form",
    "term",
)
_PREFERRED_NAME_TYPES = ("reg", "main", "pref", "preferred", "full", "standard", "display")
_AUTHORITY_PREFIXES = {
    "gnd": "https://d-nb.info/gnd/",
    "wikidata": "https://www.wikidata.org/wiki/",
    "geonames": "https://www.geonames.org/",
    "viaf": "https://viaf.org/viaf/",
}
TREATY_TYPES = frozenset({"treaty", "treaties", "convention", "law", "agreement"})


@dataclass
class RegisterIndex:
    """Entities by id, by sort key (``@n``) and by authority URI."""

    by_id: dict[str, Entity] = field(default_factory=dict)
    by_key: dict[str, str] = field(default_factory=dict)  # key -> id
    by_uri: dict[str, str] = field(default_factory=dict)  # authority URI -> id
    duplicates: list[tuple[str, int | None]] = field(default_factory=list)

    def add(self, entity: Entity, key: str | None = None, line: int | None = None) -> None:
        if entity.id in self.by_id:
            self.duplicates.append((entity.id, line))
            return
        self.by_id[entity.id] = entity
        if key:
            self.by_key.setdefault(key, entity.id)
        for uri in entity.authority:
            self.by_uri.setdefault(_uri_key(uri), entity.id)

    def __len__(self) -> int:
        return len(self.by_id)

    def get(self, entity_id: str) -> Entity | None:
        return self.by_id.get(entity_id)

    def by_authority(self, uri: str) -> Entity | None:
        entity_id = self.by_uri.get(_uri_key(uri))
        return self.by_id.get(entity_id) if entity_id else None

    def by_sort_key(self, key: str) -> Entity | None:
        entity_id = self.by_key.get(key)
        return self.by_id.get(entity_id) if entity_id else None


def _uri_key(uri: str) -> str:
    uri = uri.strip().rstrip("/")
    for scheme in ("https://", "http://"):
        if uri.startswith(scheme):
            uri = uri[len(scheme) :]
    return uri.removeprefix("www.")


def entry_kind(element: etree._Element) -> str | None:
    name = local(element)
    if name not in ENTRY_KINDS:
        return None
    kind = ENTRY_KINDS[name]
    entry_type = (element.get("type") or "").lower()
    if entry_type in TREATY_TYPES:
        return "treaty"
    parent = element.getparent()
    if kind == "work" and parent is not None and (parent.get("type") or "").lower() in TREATY_TYPES:
        return "treaty"
    return kind


def _names(element: etree._Element) -> list[etree._Element]:
    found = children(element, *NAME_ELEMENTS)
    if not found and local(element) in ("bibl", "biblStruct"):
        found = [el for el in element.iter() if local(el) == "title"][:3]
    return found


def _name_text(element: etree._Element) -> str:
    parts = {local(child) for child in element}
    if parts & {"surname", "forename"} and "," not in "".join(element.itertext()):
        forenames = [plain_text(c) for c in element if local(c) in ("roleName", "forename")]
        surnames = [plain_text(c) for c in element if local(c) in ("nameLink", "surname")]
        others = [plain_text(c) for c in element if local(c) in ("addName", "genName")]
        joined = norm_space(" ".join(forenames + surnames + others))
        if joined:
            return joined
    return _spaced_text(element)


def _spaced_text(element: etree._Element) -> str:
    """Text where adjacent child elements count as separate words (register names)."""
    pieces: list[str] = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            pieces.append(" " + plain_text(child) + " ")
        pieces.append(child.tail or "")
    return norm_space("".join(pieces)).replace(" ,", ",")


def entity_from_element(element: etree._Element, source: str | None = None) -> Entity | None:
    """An Entity for a register entry, or None if it has no usable identifier or name."""
    kind = entry_kind(element)
    if kind is None:
        return None
    identifier = xml_id(element) or (element.get("n") or "").strip()
    if not identifier:
        return None
    names = _names(element)
    preferred = next(
        (n for t in _PREFERRED_NAME_TYPES for n in names if (n.get("type") or "") == t), None
    )
    others = [n for n in names if n is not preferred]
    ordered = ([preferred] if preferred is not None else []) + others
    texts: list[str] = []
    for name_element in ordered:
        text = _name_text(name_element)
        if text and text not in texts:
            texts.append(text)
    if not texts:
        fallback = (element.get("n") or "").strip() or plain_text(element)[:120]
        texts = [fallback or identifier]
    return Entity(
        id=identifier,
        kind=kind,
        name=texts[0],
        variants=tuple(texts[1:]),
        authority=tuple(_authorities(element)),
        source=source,
        description=_description(element),
    )


def _authorities(element: etree._Element) -> Iterable[str]:
    seen: list[str] = []
    for idno in element:
        if local(idno) != "idno":
            continue
        value = norm_space(idno.text)
        if not value:
            continue
        kind = (idno.get("type") or "").lower()
        if value.startswith(("http://", "https://")):
            uri = value
        elif kind in _AUTHORITY_PREFIXES and " " not in value:
            uri = _AUTHORITY_PREFIXES[kind] + value
        else:
            continue
        if uri not in seen:
            seen.append(uri)
    for attribute in ("sameAs", "ref"):
        for token in (element.get(attribute) or "").split():
            if token.startswith(("http://", "https://")) and token not in seen:
                seen.append(token)
    return seen


def _description(element: etree._Element) -> str | None:
    parts: list[str] = []
    for child in element:
        name = local(child)
        if name in ("birth", "death", "floruit"):
            text = plain_text(child) or child.get("when") or ""
            if text:
                parts.append(f"{name}: {text}")
        elif name in ("occupation", "roleName", "state", "desc", "note", "trait"):
            text = plain_text(child)
            if text:
                parts.append(text)
        if len(" · ".join(parts)) > 300:
            break
    text = " · ".join(parts)
    return text[:400] or None


def collect_entries(
    root: etree._Element, source: str | None, skip: frozenset[str] = frozenset({"text"})
) -> tuple[RegisterIndex, list[tuple[etree._Element, Entity]]]:
    """Every register entry under ``root`` (outside the subtrees named in ``skip``)."""
    index = RegisterIndex()
    entries: list[tuple[etree._Element, Entity]] = []
    _collect_entries(root, source, skip, index, entries)
    return index, entries


_REGISTER_CONTAINERS = frozenset(
    {"listPerson", "listOrg", "listPlace", "listBibl", "listEvent", "listNym", "listObject",
     "list", "div", "standOff", "back", "body", "text", "teiHeader", "profileDesc",
     "particDesc", "settingDesc", "sourceDesc", "TEI", "teiCorpus", "fileDesc", "encodingDesc",
     "classDecl", "taxonomy", "category", "person", "org", "place", "personGrp"}
)  # fmt: skip


def _collect_entries(
    element: etree._Element,
    source: str | None,
    skip: frozenset[str],
    index: RegisterIndex,
    entries: list[tuple[etree._Element, Entity]],
) -> None:
    for child in element:
        name = local(child)
        if name is None or name in skip:
            continue
        if name in ENTRY_KINDS and _is_register_entry(child):
            entity = entity_from_element(child, source)
            if entity is not None:
                index.add(entity, (child.get("n") or "").strip() or None, child.sourceline)
                entries.append((child, entity))
            # Places nest places; orgs nest orgs.
            if name in ("place", "org", "person", "personGrp"):
                _collect_entries(child, source, skip, index, entries)
            continue
        if name in _REGISTER_CONTAINERS:
            _collect_entries(child, source, skip, index, entries)


def _is_register_entry(element: etree._Element) -> bool:
    """A bibl or item counts only with an id: most bibls are citations, most items list items."""
    if local(element) in ("bibl", "biblStruct", "item"):
        return xml_id(element) is not None
    return xml_id(element) is not None or bool((element.get("n") or "").strip())
