"""The letterhead: the sending organisation's printed structure, read from the XML.

Any element of the text with ``@type="letterhead"`` is a letterhead. Its
sections are the lists (``list``, ``listPerson``, ``listOrg``) or divisions
inside it, titled by their ``head`` or else ``@n``; its members are the
sections' ``item``, ``person`` and ``org`` children. An entry holding only an
``address`` is the organisation's contact block: each ``addrLine`` (street,
city, telephone, e-mail) becomes a member of kind ``contact``. In a member, the first
name element outside an affiliation is the member, ``roleName`` is its role,
and ``affiliation`` (or a name element typed ``affiliation``) is its
affiliation. Nothing here knows any organisation: the XML says it all.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from viewer.model import Affiliation, LetterheadSection, Member
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

ResolveReferences = Callable[[list[tuple[str, str]]], tuple[tuple[str, ...], tuple[str, ...]]]


def read_letterheads(
    containers: list[etree._Element],
    resolve: ResolveReferences,
    member_spans: dict[etree._Element, tuple[int, int]],
) -> list[LetterheadSection]:
    sections: list[LetterheadSection] = []
    for container in containers:
        found = _sections(container)
        if not found:
            members = [c for c in container if local(c) in MEMBER_ELEMENTS]
            if members:
                found = [(_title(container) or "Letterhead", members)]
        for title, members in found:
            parsed: list[Member] = []
            for element in members:
                if _is_contact(element):
                    parsed.extend(_contact_members(element, resolve, member_spans))
                else:
                    member = _member(element, resolve, member_spans)
                    if member is not None:
                        parsed.append(member)
            sections.append(LetterheadSection(title=title, members=tuple(parsed)))
    return sections


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
