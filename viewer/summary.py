"""The collection's summary of a letter read in full: what its index stores of it.

Qt-free and lxml-free: the extractor (viewer.tei.extract) makes it from the letter
it read, and the window's letter list makes it from the letter the window already
holds (viewer.collection.letter_record), without importing the parser.
"""

from __future__ import annotations

from viewer.letterheads import letterhead_records
from viewer.model import Letter


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


__all__ = ["letter_summary"]
