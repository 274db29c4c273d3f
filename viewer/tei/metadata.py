"""Correspondence metadata: title, date, senders, recipients, places and source.

``correspDesc`` is used when present; where it is missing the title,
``author``, the opener and the dateline stand in. Placeholder dates
(``yyyy-mm-dd``) count as unknown, never as a date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from viewer.model import LetterDate, Party
from viewer.tei.text import references_of
from viewer.tei.xml import descendants, find_path, first, local, norm_space, plain_text

ResolveReferences = Callable[[list[tuple[str, str]]], tuple[tuple[str, ...], tuple[str, ...]]]

_ISO_DATE = re.compile(r"^-?\d{4}(-\d{2}(-\d{2})?)?$")
_PARTY_ELEMENTS = ("persName", "orgName", "name", "rs", "persona")
_SENT = ("sent", "sending", "sender", "written")
_RECEIVED = ("received", "receiving", "recipient", "addressee")


@dataclass
class Metadata:
    title: str
    date: LetterDate | None
    senders: list[Party]
    recipients: list[Party]
    places: list[Party]
    source: str
    notes: list[str]  # how the metadata was found, for diagnostics


def iso_date(value: str | None) -> str | None:
    """An ISO 8601 calendar date, or None for placeholders and anything unparseable."""
    if not value:
        return None
    value = value.strip()
    if not _ISO_DATE.match(value):
        return None
    parts = value.lstrip("-").split("-")
    if len(parts) >= 2 and not 1 <= int(parts[1]) <= 12:
        return None
    if len(parts) == 3 and not 1 <= int(parts[2]) <= 31:
        return None
    return value


def letter_date(element: etree._Element | None) -> LetterDate | None:
    if element is None:
        return None
    when = iso_date(element.get("when") or element.get("when-iso"))
    low = iso_date(element.get("notBefore") or element.get("from"))
    high = iso_date(element.get("notAfter") or element.get("to"))
    text = plain_text(element)
    if not text:
        if when:
            text = when
        elif low or high:
            text = f"{low or '?'} – {high or '?'}"
    if not (when or low or high or text):
        return None
    return LetterDate(when=when, text=text, not_before=low, not_after=high)


def _party(element: etree._Element, resolve: ResolveReferences) -> Party:
    ids, _ = resolve(references_of(element))
    return Party(name=plain_text(element), entities=ids)


def read_metadata(root: etree._Element, resolve: ResolveReferences) -> Metadata:
    header = first(root, "teiHeader")
    title_element = find_path(header, "fileDesc", "titleStmt", "title")
    title = plain_text(title_element) if title_element is not None else ""
    notes: list[str] = []

    senders: list[Party] = []
    recipients: list[Party] = []
    places: list[Party] = []
    date: LetterDate | None = None

    correspondence = find_path(header, "profileDesc", "correspDesc")
    if correspondence is not None:
        for action in correspondence:
            if local(action) != "correspAction":
                continue
            action_type = (action.get("type") or "").lower()
            for child in action:
                name = local(child)
                if name in _PARTY_ELEMENTS:
                    party = _party(child, resolve)
                    role = (child.get("type") or "").lower()
                    if role in _SENT:
                        senders.append(party)
                    elif role in _RECEIVED:
                        recipients.append(party)
                    elif action_type in _SENT:
                        senders.append(party)
                    elif action_type in _RECEIVED:
                        recipients.append(party)
                elif name == "placeName":
                    party = _party(child, resolve)
                    if party.name and party not in places:
                        places.append(party)
                elif name == "date" and action_type in _SENT and date is None:
                    date = letter_date(child)
            if date is None and action_type not in _RECEIVED:
                date = letter_date(first(action, "date"))

    if not senders:
        author = find_path(header, "fileDesc", "titleStmt", "author")
        if author is not None and plain_text(author):
            inner = first(author, *_PARTY_ELEMENTS)
            senders.append(_party(inner if inner is not None else author, resolve))
            notes.append("sender taken from the title statement's author")

    text = first(root, "text")
    if date is None and text is not None:
        for dateline in descendants(text, "dateline"):
            found = first(dateline, "date")
            date = letter_date(found) if found is not None else None
            if date is not None:
                notes.append("date taken from the dateline")
                break
    if date is None and header is not None:
        head_date = next(
            (d for d in descendants(header, "date") if local(d.getparent()) == "head"), None
        )
        date = letter_date(head_date)
    if date is None and title_element is not None:
        title_date = first(title_element, "date")
        date = letter_date(title_date)

    source = _source(header)
    return Metadata(
        title=title,
        date=date,
        senders=senders,
        recipients=recipients,
        places=places,
        source=source,
        notes=notes,
    )


def _source(header: etree._Element | None) -> str:
    source_desc = find_path(header, "fileDesc", "sourceDesc")
    if source_desc is None:
        return ""
    pieces: list[str] = []
    for child in source_desc:
        name = local(child)
        if name in ("bibl", "biblStruct", "biblFull", "p", "ab"):
            pieces.append(plain_text(child))
        elif name == "msDesc":
            identifier = first(child, "msIdentifier")
            if identifier is not None:
                pieces.append(
                    ", ".join(
                        norm_space(plain_text(part))
                        for part in identifier
                        if local(part) is not None and plain_text(part)
                    )
                )
        elif name in ("listWit", "listBibl"):
            for wit in child.iter():
                if local(wit) == "msIdentifier":
                    pieces.append(", ".join(plain_text(p) for p in wit if plain_text(p)))
                    break
    return norm_space(" · ".join(p for p in pieces if p))[:2000]
