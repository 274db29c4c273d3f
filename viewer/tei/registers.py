"""Entity registers: reading register entries into Entities, and indexing them for lookup.

A register entry is a ``person``, ``org``, ``place``, ``bibl``, ``event``,
``item``, ``nym`` or ``object`` with an ``xml:id`` (or an ``@n`` sort key),
wherever it stands: in the letter's header, ``standOff`` or ``back``, or in
a separate register file. :class:`RegisterIndex` answers the three ways
editions point at entries: by id, by key (``@n``) and by authority URI.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from viewer.model import Entity
from viewer.tei.xml import children, local, norm_space, plain_text, tei_tags, xml_id

ENTRY_KINDS = {
    "person": "person",
    "personGrp": "person",
    "org": "organisation",
    "place": "place",
    "bibl": "work",
    "biblStruct": "work",
    "event": "event",
    "item": "other",
    "figure": "work",  # an artwork or a piece of music in a register list
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
    "eventName",
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

    def add(self, entity: Entity, key: str | None = None) -> None:
        # The first entry with an id wins; the reader reports duplicate xml:ids itself.
        if entity.id in self.by_id:
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
        return self.get(entity_id) if entity_id else None

    def by_sort_key(self, key: str) -> Entity | None:
        entity_id = self.by_key.get(key)
        return self.get(entity_id) if entity_id else None


class LazyRegisterIndex(RegisterIndex):
    """A register file's index: entries are found at once, each Entity built when first used.

    Building an Entity (names, variants, description) costs far more than
    finding its id; a letter uses a few dozen of a register's thousands.
    """

    def __init__(self, source: str | None) -> None:
        super().__init__()
        self.source = source
        self._elements: dict[str, etree._Element] = {}
        self._lock = threading.Lock()

    def add_element(self, element: etree._Element) -> None:
        identifier = xml_id(element) or (element.get("n") or "").strip()
        if not identifier:
            return
        if identifier in self._elements:
            return
        self._elements[identifier] = element
        key = (element.get("n") or "").strip()
        if key:
            self.by_key.setdefault(key, identifier)
        for uri in _authorities(element):
            self.by_uri.setdefault(_uri_key(uri), identifier)

    def __len__(self) -> int:
        return len(self._elements)

    def ids(self) -> list[str]:
        return list(self._elements)

    def get(self, entity_id: str) -> Entity | None:
        entity = self.by_id.get(entity_id)
        if entity is not None:
            return entity
        element = self._elements.get(entity_id)
        if element is None:
            return None
        with self._lock:
            entity = self.by_id.get(entity_id)
            if entity is None:
                entity = entity_from_element(element, self.source)
                if entity is not None:
                    self.by_id[entity_id] = entity
        return entity


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


# The name elements that name an entry of each kind; others (a place's settlement,
# region and country) describe where it is and are used only when there is no name.
_OWN_NAMES = {
    "person": ("persName", "name"),
    "personGrp": ("persName", "name"),
    "org": ("orgName", "name"),
    "place": ("placeName", "geogName", "name"),
    "bibl": ("title",),
    "biblStruct": ("title",),
    "event": ("eventName", "label", "name", "desc"),
}
_NAME_PARTS = frozenset({"forename", "surname", "nameLink", "roleName", "addName", "genName"})


# Tags (TEI namespace or none, what local() accepts) compared as sets: a register
# file's entries are read by the thousand.
_OWN_NAME_TAGS = {name: frozenset(tei_tags(*own)) for name, own in _OWN_NAMES.items()}
_NAME_ELEMENT_TAGS = frozenset(tei_tags(*NAME_ELEMENTS))


def _names(element: etree._Element) -> list[etree._Element]:
    own = _OWN_NAME_TAGS.get(local(element) or "")
    found = [c for c in element if c.tag in own] if own else []
    if not found:
        found = [c for c in element if c.tag in _NAME_ELEMENT_TAGS]
    if not found and local(element) in ("bibl", "biblStruct", "figure"):
        found = [el for el in element.iter() if local(el) == "title"][:3]
    if not found and local(element) == "figure":
        found = children(element, "head", "figDesc")
    return found


def _name_text(element: etree._Element) -> str:
    """A name as people write it: forenames before surnames, whatever the encoding order.

    Registers often encode ``surname`` before ``forename`` (for sorting);
    a ``roleName`` before the names stays in front ("Sir William Elford"),
    roles after them are descriptions, not part of the name.
    """
    text = element.text
    if text and not text.isspace():
        return _spaced_text(element)  # mixed content: words as they stand
    parts: list[tuple[etree._Element, str]] = []
    for child in element:
        tail = child.tail
        if tail and not tail.isspace():
            return _spaced_text(element)
        name = local(child)
        if name is not None:
            parts.append((child, name))
    names = {name for _child, name in parts}
    if not names & {"surname", "forename"} or not names <= _NAME_PARTS:
        return _spaced_text(element)
    first_name = next(i for i, (_c, name) in enumerate(parts) if name in ("surname", "forename"))
    # A part may nest parts ("<surname><nameLink>de</nameLink>Mariana</surname>"): words.
    leading = [_spaced_text(c) for c, _name in parts[:first_name]]
    rest = parts[first_name:]
    forenames = [_spaced_text(c) for c, name in rest if name == "forename"]
    surnames = [_spaced_text(c) for c, name in rest if name in ("surname", "nameLink")]
    additions = [_spaced_text(c) for c, name in rest if name in ("addName", "genName")]
    name = norm_space(" ".join(leading + forenames + surnames))
    if additions:
        name = f"{name}, {' '.join(additions)}"
    return name or _spaced_text(element)


def _spaced_text(element: etree._Element) -> str:
    """Text where adjacent child elements count as separate words (register names)."""
    if not len(element):  # text only (most name parts): no pieces to join
        text = " ".join(element.text.split()) if element.text else ""
        return text.replace(" ,", ",").replace("( ", "(").replace(" )", ")")
    pieces: list[str] = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            pieces.append(" " + plain_text(child) + " ")
        pieces.append(child.tail or "")
    return norm_space("".join(pieces)).replace(" ,", ",").replace("( ", "(").replace(" )", ")")


def _sub_entry_label(element: etree._Element) -> str | None:
    """For an entry nested in another ("his children" under a person): its short note."""
    parent = element.getparent()
    while parent is not None and local(parent) in _REGISTER_LISTS_INSIDE:
        parent = parent.getparent()
    if parent is None or local(parent) != local(element):
        return None
    note = next((c for c in element if local(c) == "note"), None)
    text = plain_text(note).rstrip(".") if note is not None else ""
    return text if 0 < len(text) <= 60 else None


_REGISTER_LISTS_INSIDE = frozenset({"listPerson", "listOrg", "listPlace", "listEvent", "listBibl"})


def entity_from_element(
    element: etree._Element,
    source: str | None = None,
    *,
    details: bool = True,
    variants: bool = True,
) -> Entity | None:
    """An Entity for a register entry, or None if it has no usable identifier or name.

    ``details=False`` leaves out the authority URIs and the description,
    ``variants=False`` the names after the first (the collection index needs
    kind and name; variants only to match a letter's parties with its title).
    """
    kind = entry_kind(element)
    if kind is None:
        return None
    identifier = xml_id(element) or (element.get("n") or "").strip()
    if not identifier:
        return None
    names = _names(element)
    # The first name of the first preferred type, in _PREFERRED_NAME_TYPES' order.
    types = [n.get("type") for n in names]
    preferred = next((names[types.index(t)] for t in _PREFERRED_NAME_TYPES if t in types), None)
    ordered = names if preferred is None else [preferred] + [n for n in names if n is not preferred]
    texts: list[str] = []
    for name_element in ordered:
        text = _name_text(name_element)
        # A variant that is only a piece of the name ("(D)" of "Aachen (D)") adds nothing.
        if text and not any(text.casefold() in known.casefold() for known in texts):
            texts.append(text)
            if not variants:
                break
    if not texts:
        fallback = (element.get("n") or "").strip() or plain_text(element)[:120]
        texts = [fallback or identifier]
    label = _sub_entry_label(element)
    if label:
        texts[0] = f"{texts[0]}, {label}"
    return Entity(
        id=identifier,
        kind=kind,
        name=texts[0],
        variants=tuple(texts[1:]),
        authority=tuple(_authorities(element)) if details else (),
        source=source,
        description=_description(element) if details else None,
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


def index_entries(
    root: etree._Element, source: str | None, skip: frozenset[str] = frozenset()
) -> LazyRegisterIndex:
    """A lazy index of every register entry under ``root`` (for register files)."""
    index = LazyRegisterIndex(source)
    for element in _entry_elements(root, skip):
        if entry_kind(element) is not None:
            index.add_element(element)
    return index


def _entry_elements(element: etree._Element, skip: frozenset[str]) -> Iterator[etree._Element]:
    for child in element:
        name = local(child)
        if name is None or name in skip:
            continue
        if name in ENTRY_KINDS and _is_register_entry(child):
            yield child
            if name in ("place", "org", "person", "personGrp"):
                yield from _entry_elements(child, skip)
            continue
        if name in _REGISTER_CONTAINERS:
            yield from _entry_elements(child, skip)


def collect_entries(
    root: etree._Element, source: str | None, skip: frozenset[str] = frozenset({"text"})
) -> tuple[RegisterIndex, list[tuple[etree._Element, Entity]]]:
    """Every register entry under ``root`` (outside the subtrees named in ``skip``)."""
    index = RegisterIndex()
    entries: list[tuple[etree._Element, Entity]] = []
    for element in _entry_elements(root, skip):
        entity = entity_from_element(element, source)
        if entity is not None:
            index.add(entity, (element.get("n") or "").strip() or None)
            entries.append((element, entity))
    return index, entries


_REGISTER_CONTAINERS = frozenset(
    {"listPerson", "listOrg", "listPlace", "listBibl", "listEvent", "listNym", "listObject",
     "list", "div", "standOff", "back", "body", "text", "teiHeader", "profileDesc",
     "particDesc", "settingDesc", "sourceDesc", "TEI", "teiCorpus", "fileDesc", "encodingDesc",
     "classDecl", "taxonomy", "category", "person", "org", "place", "personGrp"}
)  # fmt: skip


def _is_register_entry(element: etree._Element) -> bool:
    """A bibl, item or figure counts only with an id: most are citations, list items, images."""
    if local(element) in ("bibl", "biblStruct", "item", "figure"):
        return xml_id(element) is not None
    return xml_id(element) is not None or bool((element.get("n") or "").strip())
