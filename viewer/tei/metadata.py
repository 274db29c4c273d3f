"""Correspondence metadata: title, date, senders, recipients, places and source.

``correspDesc`` is used when present, but not trusted blindly: when the
title clearly names the parties the other way round ("Oswald Heer an Alfred
Escher" over a correspDesc that labels Escher the sender), the title wins
and an info diagnostic says so. Where correspDesc is missing, the title
statement's ``author``, the title ("Letter to Sir William Elford, ...") and
the manuscript description's ``head`` stand in; for the date the header's
dates come first, then the dateline. The date's text is the one the letter
itself writes (its dateline or opener) when that agrees with the date.
Placeholder dates (``yyyy-mm-dd``) count as unknown, never as a date.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from viewer.model import Diagnostic, LetterDate, Party
from viewer.tei.text import references_of
from viewer.tei.xml import (
    descendants,
    find_path,
    first,
    local,
    norm_space,
    plain_text,
    tei_tags,
)

ResolveReferences = Callable[[list[tuple[str, str]]], tuple[tuple[str, ...], tuple[str, ...]]]
EntityNames = Callable[[str], tuple[str, ...]]

_ISO_DATE = re.compile(r"^-?\d{4}(-\d{2}(-\d{2})?)?$")
_PARTY_ELEMENTS = ("persName", "orgName", "name", "rs", "persona")
_SENT = ("sent", "sending", "sender", "written", "sender_", "from")
_RECEIVED = ("received", "receiving", "recipient", "addressee", "to")
_DATE_ATTRIBUTES = ("when", "when-iso", "notBefore", "notAfter", "from", "to")
_NO_NOTES = frozenset({"note"})
_NOTHING = frozenset()


def _tags(*names: str) -> frozenset[str]:
    return frozenset(tei_tags(*names))


# The collection index reads every letter's metadata: lxml's tags are compared with
# these sets (TEI namespace or none, what local() accepts) instead of a local() call each.
_LB_TAGS = _tags("lb")
_DATE_TAGS = tei_tags("date")
_DATE_TAG_SET = frozenset(_DATE_TAGS)
_TITLE_TAGS = _tags("title")
_NOTE_TAGS = _tags("note", "supplied")
_CORRESP_ACTION_TAGS = _tags("correspAction")
_ACTION_CHILDREN = {tag: name for name in (*_PARTY_ELEMENTS, "placeName") for tag in tei_tags(name)}
_HEADER_PARTS = {tag: name for name in ("fileDesc", "profileDesc") for tag in tei_tags(name)}
_FILE_DESC_PARTS = {tag: name for name in ("titleStmt", "sourceDesc") for tag in tei_tags(name)}
_CORRESP_DESC_TAGS = _tags("correspDesc")
_TEI_HEADER_TAGS = _tags("teiHeader")
_TEXT_TAGS = _tags("text")


def _plain(element: etree._Element, skip: frozenset[str] = _NOTHING) -> str:
    """``plain_text(element, skip)``; an element holding only text is read without the walk."""
    if (
        not len(element)
        and element.tag not in _LB_TAGS
        and (not skip or local(element) not in skip)
    ):
        text = element.text
        # str.split's whitespace is norm_space's \s (the same Unicode class).
        return " ".join(text.split()) if text else ""
    return plain_text(element, skip)


def _first_tagged(element: etree._Element | None, tags: frozenset[str]) -> etree._Element | None:
    """``first(element, name)`` for the tags of one name."""
    if element is not None:
        for child in element:
            if child.tag in tags:
                return child
    return None


def _header_parts(
    header: etree._Element | None,
) -> tuple[etree._Element | None, etree._Element | None, etree._Element | None]:
    """(titleStmt, sourceDesc, correspDesc) as ``find_path`` finds them: the first of each."""
    if header is None:
        return None, None, None
    found: dict[str, etree._Element] = {}
    for child in header:
        name = _HEADER_PARTS.get(child.tag)
        if name is not None and name not in found:
            found[name] = child
    parts: dict[str, etree._Element] = {}
    file_desc = found.get("fileDesc")
    if file_desc is not None:
        for child in file_desc:
            name = _FILE_DESC_PARTS.get(child.tag)
            if name is not None and name not in parts:
                parts[name] = child
    return (
        parts.get("titleStmt"),
        parts.get("sourceDesc"),
        _first_tagged(found.get("profileDesc"), _CORRESP_DESC_TAGS),
    )


@dataclass
class Metadata:
    title: str
    date: LetterDate | None
    senders: list[Party]
    recipients: list[Party]
    places: list[Party]
    source: str
    notes: list[str]  # how the metadata was found
    diagnostics: list[Diagnostic] = field(default_factory=list)


# ----------------------------------------------------------------- dates


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


_CALENDAR_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def calendar_date(value: str | None) -> str | None:
    """A real calendar date as YYYY, YYYY-MM or YYYY-MM-DD, or None.

    Stricter than :func:`iso_date`: no day 00, no 1836-02-30, no negative
    years, no placeholders; what exchange formats such as CMIF accept.
    """
    match = _CALENDAR_DATE.match((value or "").strip())
    if match is None:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        datetime.date(year or 0, 1 if month is None else month, 1 if day is None else day)
    except ValueError:
        return None
    return match.group(0)


def party_role(action_type: str, element: etree._Element) -> str | None:
    """ "sent", "received" or None for a name inside a ``correspAction`` of ``action_type``.

    The name's own ``@type`` (sender/addressee, as Escher writes) wins over
    the action's; actions such as "forwarded" or "transmitted" give None.
    """
    role = (element.get("type") or "").lower()
    for value in (role, action_type.lower()):
        if value in _SENT:
            return "sent"
        if value in _RECEIVED:
            return "received"
    return None


def letter_date(element: etree._Element | None) -> LetterDate | None:
    if element is None:
        return None
    when = iso_date(element.get("when") or element.get("when-iso"))
    low = iso_date(element.get("notBefore") or element.get("from"))
    high = iso_date(element.get("notAfter") or element.get("to"))
    text = _plain(element, _NO_NOTES)
    if not text:
        if when:
            text = when
        elif low or high:
            text = f"{low or '?'} – {high or '?'}"
    if not (when or low or high or text):
        return None
    return LetterDate(when=when, text=text, not_before=low, not_after=high)


def _combined_date(elements: list[etree._Element]) -> LetterDate | None:
    """One date for one or several ``date`` elements (a letter written over days)."""
    dates = [d for d in (letter_date(e) for e in elements) if d is not None]
    if not dates:
        return None
    if len(dates) == 1:
        return dates[0]
    values = sorted(v for d in dates for v in (d.when, d.not_before, d.not_after) if v is not None)
    return LetterDate(
        when=next((d.when for d in dates if d.when), None),
        text=" / ".join(d.text for d in dates if d.text),
        not_before=values[0] if values else None,
        not_after=values[-1] if values else None,
    )


def _has_value(date: LetterDate | None) -> bool:
    return date is not None and bool(date.when or date.not_before or date.not_after)


def _agrees(found: etree._Element, date: LetterDate) -> bool:
    """Whether a date written in the letter is the letter's date (or says nothing against it)."""
    values = [iso_date(found.get(a)) for a in _DATE_ATTRIBUTES if found.get(a)]
    values = [v for v in values if v]
    if not values:
        return True
    known = [v for v in (date.when, date.not_before, date.not_after) if v]
    return any(v.startswith(k) or k.startswith(v) for v in values for k in known)


def _outside_notes(element: etree._Element, stop: etree._Element) -> bool:
    """Not inside a note or an editor's supplement (not written in the letter)."""
    parent = element.getparent()
    while parent is not None and parent is not stop:
        if parent.tag in _NOTE_TAGS:
            return False
        parent = parent.getparent()
    return True


_WRITTEN_DATE_TAGS = tei_tags("dateline", "div", "opener", "closer")
_DATE_OR_DATELINE_TAGS = tei_tags("date", "dateline")
_DIV_TAGS = tei_tags("div")
_WRITTEN_DATE_NAMES = {
    tag: name for name in ("dateline", "div", "opener", "closer") for tag in tei_tags(name)
}


def _written_dates(text: etree._Element) -> Iterator[list[etree._Element]]:
    """The dates the letter writes in its datelines, openers and closers, in order.

    A generator: its readers stop at the first group (or the first with a value),
    and the letter's later openers and closers are not looked at.
    """
    if next(text.iter(*_DATE_OR_DATELINE_TAGS), None) is None and not any(
        (div.get("type") or "").lower() == "dateline" for div in text.iter(*_DIV_TAGS)
    ):
        return  # no date and no dateline: no group (one scan in C, where most letters stop)
    # Only these elements matter; lxml picks them out without a Python call per element.
    for element in text.iter(*_WRITTEN_DATE_TAGS):
        name = _WRITTEN_DATE_NAMES[element.tag]
        is_dateline = name == "dateline" or (
            name == "div" and (element.get("type") or "").lower() == "dateline"
        )
        if not (is_dateline or name in ("opener", "closer")):
            continue
        if not _outside_notes(element, text):
            continue
        dates = [
            d
            for d in element.iter(*_DATE_TAGS)
            if _outside_notes(d, element)
            and not (len(d) and next(d.iterdescendants(*_DATE_TAGS), None) is not None)
        ]
        if dates:
            yield dates
        elif is_dateline:
            yield [element]


_NOT_WRITTEN = frozenset({"note", "placeName", "name"})


def _written_text(text: etree._Element | None, date: LetterDate) -> str | None:
    """The date as the letter writes it, when the letter writes exactly one that agrees."""
    if text is None:
        return None
    for group in _written_dates(text):
        if len(group) != 1:
            return None  # several dates in one dateline: the header's text says it better
        element = group[0]
        if element.tag not in _DATE_TAG_SET:
            written = plain_text(element, skip=_NOT_WRITTEN)
            return written.strip(" ,") or None if not date.text or date.text == date.when else None
        if _agrees(element, date):
            return _plain(element, _NO_NOTES) or None
        return None
    return None


# ---------------------------------------------------------------- titles

_TITLE_SCORES = {"a": 0, "main": 0}


def choose_title(header: etree._Element | None) -> etree._Element | None:
    """The title that names this letter, among the title statement's titles.

    Series and monograph titles (``level="s|m|j"``) and dates typed as titles
    lose; a title naming both parties beats one naming only the recipient.
    The first title with the least (structural rank, parties named, shouting)
    wins; the rank comes first, so only the titles of the least rank are split
    into parties (an edition's "level a" title usually stands alone), and each
    title's text is read once: the collection index reads every letter's.
    """
    return _choose_title(_titles(_header_parts(header)[0]))[0]


def _titles(title_stmt: etree._Element | None) -> list[etree._Element]:
    """The title statement's ``title`` children, as ``children(title_stmt, "title")``."""
    return [c for c in title_stmt if c.tag in _TITLE_TAGS] if title_stmt is not None else []


def _choose_title(titles: list[etree._Element]) -> tuple[etree._Element | None, str]:
    """:func:`choose_title`'s choice among ``titles``, and its text (nothing skipped)."""
    ranked: list[tuple[int, etree._Element, str]] = []
    for title in titles:
        title_text = _plain(title)
        if not title_text:
            continue
        level = (title.get("level") or "").lower()
        kind = (title.get("type") or "").lower()
        structural = 0 if level == "a" or kind == "main" else 2 if level in ("s", "m", "j") else 1
        if kind in ("iso-date", "date", "sub", "short", "desc") or title.get("when-iso"):
            structural = 3
        ranked.append((structural, title, title_text))
    if not ranked:
        return None, ""
    least = min(rank for rank, _title, _text in ranked)
    tied = [(title, title_text) for rank, title, title_text in ranked if rank == least]
    if len(tied) == 1:
        return tied[0]

    def rest(candidate: tuple[etree._Element, str]) -> tuple[int, int]:
        sender, recipient = title_parties(candidate[1])
        parties = 0 if sender and recipient else 1 if recipient else 2
        return (parties, 1 if candidate[1].isupper() else 0)

    return min(tied, key=rest)


_NUMBER = r"(?:\d+[a-z]?\.\s*)?"
_LEAD = r"(?:letter|brief|lettre|lettera|carta|billet|postcard|postkarte|karte|telegram|telegramm)"
_FROM = r"(?:from|von|vom|de|d'|di|da|van|del)"
_TO = r"(?:to|an|à|a|aan|al|au|aux)"
_TITLE_FROM_TO = re.compile(
    rf"^{_NUMBER}(?:{_LEAD}\s+)?{_FROM}\s+(?P<s>.+?)\s+{_TO}\s+(?P<r>.+)$", re.IGNORECASE
)
_TITLE_TO = re.compile(rf"^{_NUMBER}(?:{_LEAD}\s+)?(?:to|an|à|aan|au|aux)\s+(?P<r>.+)$", re.I)
_TITLE_X_TO_Y = re.compile(rf"^{_NUMBER}(?P<s>.+?)\s+(?:to|an|à|aan)\s+(?P<r>.+)$", re.IGNORECASE)
_RECIPIENT_END = re.compile(r",\s|;\s|\s\(|(?<=\w{3})\.(?:\s|$)|\s[-–—]\s")


def title_parties(title: str) -> tuple[str | None, str | None]:
    """(sender text, recipient text) named by a title such as "X an Y, Ort, Datum".

    Understands "Letter from X to Y", "Brief von X an Y", "Lettre de X à Y",
    "X to Y", "X an Y", "X à Y" and "Letter to Y" / "An Y" (recipient only).
    The recipient text ends at the first comma, semicolon, bracket or
    sentence end (what follows is place and date).
    """
    text = norm_space(title)
    for pattern in (_TITLE_FROM_TO, _TITLE_TO, _TITLE_X_TO_Y):
        match = pattern.match(text)
        if match is None:
            continue
        groups = match.groupdict()
        sender = (groups.get("s") or "").strip(" ,.") or None
        recipient = _RECIPIENT_END.split(groups["r"], maxsplit=1)[0].strip(" ,.") or None
        if sender is not None and len(sender.split()) > 8:
            continue  # a sentence, not a name
        return sender, recipient
    return None, None


_STOPWORDS = frozenset(
    {"von", "van", "der", "den", "des", "dem", "de", "du", "la", "le", "di", "da", "und", "and",
     "the", "of", "sir", "mr", "mrs", "miss", "frau", "herr", "fräulein", "dr", "esq", "an",
     "to", "et", "vom", "zu", "zum", "zur"}
)  # fmt: skip


_WORD = re.compile(r"\w+")
# A party's names and a title's sides recur letter after letter (an edition's main
# correspondent in each): each text is split into words once, up to this many texts.
_TOKENS: dict[str, frozenset[str]] = {}
_TOKENS_LIMIT = 4_096  # about 5 MB at most (long sides), far less for names


def _tokens(text: str) -> frozenset[str]:
    try:
        return _TOKENS[text]
    except KeyError:
        pass
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    tokens = frozenset(t for t in _WORD.findall(folded) if len(t) > 1 and t not in _STOPWORDS)
    if len(_TOKENS) >= _TOKENS_LIMIT:
        _TOKENS.clear()
    _TOKENS[text] = tokens
    return tokens


def _match(names: list[str], side: str) -> float:
    """How much of a party's best-matching name appears in one side of the title."""
    side_tokens = _tokens(side)
    best = 0.0
    for name in names:
        tokens = _tokens(name)
        if tokens:
            best = max(best, len(tokens & side_tokens) / len(tokens))
    return best


def _contradicts(
    senders: list[Party],
    recipients: list[Party],
    sides: tuple[str, str],
    entity_names: EntityNames,
) -> bool:
    """True when every party matches the title's other side clearly better than its own.

    The first party settles it at once (False) when all its name's words stand on its
    own side: that is a full match (1.0), which the other side cannot beat, and the
    entities' other names need not be looked up.
    """
    sender_side, recipient_side = sides
    labelled = [(p, sender_side, recipient_side) for p in senders] + [
        (p, recipient_side, sender_side) for p in recipients
    ]
    if not labelled:
        return False
    first_party, first_own, _other = labelled[0]
    words = _tokens(first_party.name)
    if words and words <= _tokens(first_own):
        return False
    strong = False
    for party, own, other in labelled:
        names = [party.name] + [n for e in party.entities for n in entity_names(e)]
        own_score, other_score = _match(names, own), _match(names, other)
        if other_score <= own_score:
            return False
        strong = strong or other_score >= 0.5
    return strong


_TitleReading = tuple[str, tuple[str | None, str | None]]


def _read_title(
    element: etree._Element, read: dict[etree._Element, _TitleReading]
) -> _TitleReading:
    """(text without notes, :func:`title_parties` of it) of a title-like element, read once."""
    reading = read.get(element)
    if reading is None:
        text = _plain(element, _NO_NOTES)
        reading = read[element] = (text, title_parties(text))
    return reading


def _title_sides(
    candidates: list[etree._Element], read: dict[etree._Element, _TitleReading] | None = None
) -> tuple[str, str] | None:
    read = {} if read is None else read
    for element in candidates:
        sender, recipient = _read_title(element, read)[1]
        if sender and recipient:
            return sender, recipient
    return None


def _parties_from_title(
    element: etree._Element,
    resolve: ResolveReferences,
    want: str,
    read: dict[etree._Element, _TitleReading],
) -> list[Party]:
    """Parties named on one side ("sender"/"recipient") of a title or head element."""
    text, (sender, recipient) = _read_title(element, read)
    wanted = sender if want == "sender" else recipient
    if not wanted:
        return []
    # Name elements inside the title whose text lies on the wanted side carry the entities.
    side_start = text.find(wanted)
    side_end = side_start + len(wanted)
    found: list[Party] = []
    position = 0
    for name_element in element.iter():
        if local(name_element) not in _PARTY_ELEMENTS:
            continue
        name = plain_text(name_element)
        at = text.find(name, position) if name else -1
        if at < 0:
            continue
        position = at + len(name)
        if side_start <= at and at + len(name) <= side_end:
            ids, _ = resolve(references_of(name_element))
            found.append(Party(name=name, entities=ids))
    return found or [Party(name=wanted)]


# --------------------------------------------------------------- reading


def _party(element: etree._Element, resolve: ResolveReferences) -> Party:
    ids, _ = resolve(references_of(element))
    return Party(name=_plain(element), entities=ids)


def read_metadata(
    root: etree._Element,
    resolve: ResolveReferences,
    entity_names: EntityNames = lambda _id: (),
    *,
    with_source: bool = True,
) -> Metadata:
    """The letter's metadata; ``with_source=False`` leaves ``source`` empty (not needed)."""
    header = text = None
    for child in root:  # first(root, "teiHeader") and first(root, "text") in one pass
        tag = child.tag
        if header is None and tag in _TEI_HEADER_TAGS:
            header = child
        elif text is None and tag in _TEXT_TAGS:
            text = child
    title_stmt, source_desc, correspondence = _header_parts(header)
    titles = _titles(title_stmt)
    title_element, _text = _choose_title(titles)
    title = _plain(title_element, _NO_NOTES) if title_element is not None else ""
    # Each title-like element is read (text, parties) at most once.
    read: dict[etree._Element, _TitleReading] = {}
    notes: list[str] = []
    diagnostics: list[Diagnostic] = []

    senders: list[Party] = []
    recipients: list[Party] = []
    places: list[Party] = []
    date: LetterDate | None = None

    if correspondence is not None:
        senders, recipients, places, date = _read_correspondence(correspondence, resolve)

    head = _head_of(source_desc)
    title_like = _title_like_among(titles, title_element, head)

    if senders or recipients:
        sides = _title_sides(title_like, read)
        if sides is not None and _contradicts(senders, recipients, sides, entity_names):
            senders, recipients = recipients, senders
            diagnostics.append(
                Diagnostic(
                    "info",
                    "correspondence-swapped",
                    "correspDesc sender/addressee contradicts the title; following the title "
                    f"(sender {', '.join(p.name for p in senders)}; "
                    f"recipient {', '.join(p.name for p in recipients)})",
                    correspondence.sourceline if correspondence is not None else None,
                )
            )

    if not senders:
        author = first(title_stmt, "author")
        if author is not None and _plain(author):
            inner = first(author, *_PARTY_ELEMENTS)
            senders.append(_party(inner if inner is not None else author, resolve))
            notes.append("sender taken from the title statement's author")
    if not senders:
        for element in title_like:
            senders = _parties_from_title(element, resolve, "sender", read)
            if senders:
                notes.append("sender taken from the title")
                break
    if not recipients:
        for element in title_like:
            recipients = _parties_from_title(element, resolve, "recipient", read)
            if recipients:
                notes.append("recipient taken from the title")
                break

    if not _has_value(date):
        fallback = _header_date(header, title_element, head)
        if fallback is not None and (_has_value(fallback) or date is None):
            date = fallback
    if not _has_value(date) and text is not None:
        for group in _written_dates(text):
            written = _combined_date([d for d in group if local(d) == "date"])
            if _has_value(written):
                date = written
                notes.append("date taken from the dateline")
                break
    if date is not None and (date.when or date.not_before or date.not_after):
        written_text = _written_text(text, date)
        if written_text:
            date = LetterDate(date.when, written_text, date.not_before, date.not_after)

    if not places and text is not None:
        places = _dateline_places(text, resolve)

    return Metadata(
        title=title,
        date=date,
        senders=senders,
        recipients=recipients,
        places=places,
        source=_source(header) if with_source else "",
        notes=notes,
        diagnostics=diagnostics,
    )


def _title_like_among(
    titles: list[etree._Element],
    title_element: etree._Element | None,
    head: etree._Element | None,
) -> list[etree._Element]:
    """What names the parties in words: the chosen title, the manuscript's head, other titles."""
    title_like = [e for e in (title_element, head) if e is not None]
    if title_element is not None:
        title_like.extend(t for t in titles if t is not title_element)
    return title_like


def labels_contradict_title(
    header: etree._Element | None,
    senders: list[Party],
    recipients: list[Party],
    entity_names: EntityNames = lambda _id: (),
) -> bool:
    """Whether correspDesc's sender/addressee labels are the title's parties the other way round.

    The check :func:`read_metadata` makes, for readers that take the parties
    from ``correspDesc`` themselves (the CMIF export).
    """
    title_stmt, source_desc, _correspondence = _header_parts(header)
    titles = _titles(title_stmt)
    title_like = _title_like_among(titles, _choose_title(titles)[0], _head_of(source_desc))
    sides = _title_sides(title_like)
    return sides is not None and _contradicts(senders, recipients, sides, entity_names)


def _read_correspondence(
    correspondence: etree._Element, resolve: ResolveReferences
) -> tuple[list[Party], list[Party], list[Party], LetterDate | None]:
    senders: list[Party] = []
    recipients: list[Party] = []
    places: list[Party] = []
    date: LetterDate | None = None
    for action in correspondence:
        if action.tag not in _CORRESP_ACTION_TAGS:
            continue
        action_type = (action.get("type") or "").lower()
        dates: list[etree._Element] = []
        for child in action:
            name = _ACTION_CHILDREN.get(child.tag)
            if name is None:
                if child.tag in _DATE_TAG_SET:
                    dates.append(child)
                continue
            if name != "placeName":
                party = _party(child, resolve)
                if not party.name and not party.entities:
                    continue
                role = (child.get("type") or "").lower()
                if role in _SENT:
                    senders.append(party)
                elif role in _RECEIVED:
                    recipients.append(party)
                elif action_type in _SENT:
                    senders.append(party)
                elif action_type in _RECEIVED:
                    recipients.append(party)
            else:
                party = _party(child, resolve)
                if party.name and party not in places:
                    places.append(party)
        if date is None and action_type not in _RECEIVED:
            date = _combined_date(dates)
    return senders, recipients, places, date


_MS_DESC_TAGS = tei_tags("msDesc")


def _head_of(source: etree._Element | None) -> etree._Element | None:
    """The first ``head`` of a manuscript description in the source description."""
    if source is None:
        return None
    for description in source.iter(*_MS_DESC_TAGS):
        head = first(description, "head")
        if head is not None:
            return head
    return None


def _header_date(
    header: etree._Element | None,
    title: etree._Element | None,
    head: etree._Element | None,
) -> LetterDate | None:
    """The editors' date: in the manuscript description's head, else in the title."""
    found: LetterDate | None = None
    for container in (head, title):
        if container is None:
            continue
        for element in descendants(container, "date"):
            date = letter_date(element)
            if _has_value(date):
                return date
            found = found or date
    return found


_DATELINE_TAGS = tei_tags("dateline", "div")
_DATELINE_TAG_SET = _tags("dateline")


def _dateline_places(text: etree._Element, resolve: ResolveReferences) -> list[Party]:
    # Only datelines and divs matter; lxml picks them out without a Python call per element.
    for element in text.iter(*_DATELINE_TAGS):
        if (
            element.tag not in _DATELINE_TAG_SET
            and (element.get("type") or "").lower() != "dateline"
        ):
            continue  # a div of another type
        found: list[Party] = []
        for place in element.iter():
            name = local(place)
            if name in ("placeName", "settlement") or (
                name in ("name", "rs") and (place.get("type") or "").lower() == "place"
            ):
                party = _party(place, resolve)
                if party.name and party not in found:
                    found.append(party)
        if found:
            return found
    return []


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
