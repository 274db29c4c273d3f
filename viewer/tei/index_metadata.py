"""The letter's metadata for the collection index: :func:`read_metadata`'s answer, with less work.

:func:`index_metadata` follows :func:`viewer.tei.metadata.read_metadata` step
by step, with the same helpers and in the same order (so that references
resolve in the same order too), but for two steps that cost the index most
and that can decide sooner with the same result:

- choosing the title: ``choose_title`` reads each title's text three times and
  splits it into parties before knowing whether that matters. Here each text
  is read once, and titles are split into parties only where they tie on the
  structural rank that comes first in the comparison (an edition's "level a"
  title usually stands alone);
- the check whether correspDesc's labels contradict the title: the first
  party whose name's words all stand on its own side of the title settles it
  (no contradiction, as ``_contradicts`` would find after reading the
  parties' register names too).

The source line is never read (the index does not keep it). tests/test_index_metadata.py
checks that both give equal Metadata on every letter of the test corpus and on
constructed headers of the shapes these shortcuts decide.
"""

from __future__ import annotations

from lxml import etree

from viewer.model import Diagnostic, LetterDate, Party
from viewer.tei.metadata import (
    _PARTY_ELEMENTS,
    EntityNames,
    Metadata,
    ResolveReferences,
    _combined_date,
    _contradicts,
    _dateline_places,
    _has_value,
    _header_date,
    _manuscript_head,
    _parties_from_title,
    _party,
    _read_correspondence,
    _title_sides,
    _tokens,
    _written_dates,
    _written_text,
    title_parties,
)
from viewer.tei.xml import children, find_path, first, local, plain_text

_NOTE = frozenset({"note"})
_DATE_LIKE_TYPES = ("iso-date", "date", "sub", "short", "desc")


def index_metadata(
    root: etree._Element, resolve: ResolveReferences, entity_names: EntityNames
) -> Metadata:
    """``read_metadata(root, resolve, entity_names, with_source=False)``, sooner."""
    header = first(root, "teiHeader")
    text = first(root, "text")
    titles = children(find_path(header, "fileDesc", "titleStmt"), "title")
    title_element = choose_title_among(titles)
    title = plain_text(title_element, skip=_NOTE) if title_element is not None else ""
    notes: list[str] = []
    diagnostics: list[Diagnostic] = []

    senders: list[Party] = []
    recipients: list[Party] = []
    places: list[Party] = []
    date: LetterDate | None = None

    correspondence = find_path(header, "profileDesc", "correspDesc")
    if correspondence is not None:
        senders, recipients, places, date = _read_correspondence(correspondence, resolve)

    head = _manuscript_head(header)
    title_like = [e for e in (title_element, head) if e is not None]
    if title_element is not None:
        title_like.extend(t for t in titles if t is not title_element)

    if senders or recipients:
        sides = _title_sides(title_like)
        if sides is not None and _contradicts_title(senders, recipients, sides, entity_names):
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
        author = find_path(header, "fileDesc", "titleStmt", "author")
        if author is not None and plain_text(author):
            inner = first(author, *_PARTY_ELEMENTS)
            senders.append(_party(inner if inner is not None else author, resolve))
            notes.append("sender taken from the title statement's author")
    if not senders:
        for element in title_like:
            senders = _parties_from_title(element, resolve, "sender")
            if senders:
                notes.append("sender taken from the title")
                break
    if not recipients:
        for element in title_like:
            recipients = _parties_from_title(element, resolve, "recipient")
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
        source="",
        notes=notes,
        diagnostics=diagnostics,
    )


def choose_title_among(titles: list[etree._Element]) -> etree._Element | None:
    """``choose_title``'s pick among the title statement's ``titles``.

    ``choose_title`` takes the first title with the least (structural rank,
    parties named, shouting); the rank comes first, so only the titles of the
    least rank need the rest, and each title's text is read once.
    """
    ranked: list[tuple[int, etree._Element, str]] = []
    for title in titles:
        title_text = plain_text(title)
        if not title_text:
            continue
        level = (title.get("level") or "").lower()
        kind = (title.get("type") or "").lower()
        structural = 0 if level == "a" or kind == "main" else 2 if level in ("s", "m", "j") else 1
        if kind in _DATE_LIKE_TYPES or title.get("when-iso"):
            structural = 3
        ranked.append((structural, title, title_text))
    if not ranked:
        return None
    least = min(rank for rank, _title, _text in ranked)
    tied = [(title, title_text) for rank, title, title_text in ranked if rank == least]
    if len(tied) == 1:
        return tied[0][0]

    def rest(candidate: tuple[etree._Element, str]) -> tuple[int, int]:
        sender, recipient = title_parties(candidate[1])
        parties = 0 if sender and recipient else 1 if recipient else 2
        return (parties, 1 if candidate[1].isupper() else 0)

    return min(tied, key=rest)[0]


def _contradicts_title(
    senders: list[Party],
    recipients: list[Party],
    sides: tuple[str, str],
    entity_names: EntityNames,
) -> bool:
    """``_contradicts``, settled at once where the first party's name stands on its own side.

    ``_contradicts`` stops at the first party matching its own side at least as
    well as the other; a name all of whose words stand on its own side matches
    it fully (1.0, the most there is), whatever the other names of its entities.
    """
    if senders:
        party, own = senders[0], sides[0]
    elif recipients:
        party, own = recipients[0], sides[1]
    else:
        return False
    words = _tokens(party.name)
    if words and words <= _tokens(own):
        return False
    return _contradicts(senders, recipients, sides, entity_names)
