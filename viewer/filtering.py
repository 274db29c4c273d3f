"""Selection and filter logic behind click-to-filter, without Qt.

Owns what the window's panels and status bar need to decide, so that it can be
tested without a display:

* :class:`Selection`: the set of selected entity ids and how a click changes it;
* :class:`TextFilter`: the panel search (every word must match somewhere,
  ignoring case and accents);
* :func:`letterhead_rows_involving`, :func:`entity_rows`,
  :func:`party_involves`, :func:`mentions_on_line`: which rows relate to what;
* :func:`status_text`: the sentence the status bar shows for a selection.

The Qt models in ``viewer.gui.panels`` only turn these answers into rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from viewer.model import ENTITY_KINDS, Entity, Letter, Mention
from viewer.records import Record, frozen


class Selection:
    """An immutable set of selected entity ids; every change returns a new one."""

    __slots__ = ("_ids",)

    def __init__(self, ids: Iterable[str] = ()) -> None:
        self._ids = frozenset(ids)

    @property
    def ids(self) -> frozenset[str]:
        return self._ids

    def contains(self, entity_id: str) -> bool:
        return entity_id in self._ids

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._ids))

    def __len__(self) -> int:
        return len(self._ids)

    def __bool__(self) -> bool:
        return bool(self._ids)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Selection):
            return self._ids == other._ids
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._ids)

    def __repr__(self) -> str:
        return f"Selection({sorted(self._ids)!r})"

    def toggle(self, entity_id: str, additive: bool = False) -> Selection:
        """A click on ``entity_id``; ``additive`` is Ctrl+click.

        A plain click selects only that entity, and a second plain click on the
        entity that is already the whole selection clears it. Ctrl+click adds
        the entity, or removes it if it was selected.
        """
        if additive:
            return Selection(self._ids ^ {entity_id})
        if self._ids == {entity_id}:
            return Selection()
        return Selection({entity_id})

    def toggle_many(self, entity_ids: Iterable[str], additive: bool = False) -> Selection:
        """A click on something that names several entities ("Dan Church Aid/ LWF")."""
        group = frozenset(entity_ids)
        if not group:
            return self
        if additive:
            if group <= self._ids:
                return Selection(self._ids - group)
            return Selection(self._ids | group)
        if self._ids == group:
            return Selection()
        return Selection(group)

    def clear(self) -> Selection:
        return Selection()

    def restricted_to(self, known: Iterable[str]) -> Selection:
        """The ids that still exist (after a reload or a change of reading)."""
        return Selection(self._ids & frozenset(known))


def fold(text: str) -> str:
    """Text for accent- and case-blind comparison: casefold, NFKD, combining marks dropped."""
    if not text:
        return ""
    # Imported here: loading unicodedata is a cost the first frame does not need.
    import unicodedata

    # casefold first: it can introduce combining marks ("İ" -> "i̇") that NFKD then separates.
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class TextFilter:
    """The panel search: a row matches when every word of the query occurs in its texts."""

    __slots__ = ("query", "words")

    def __init__(self, query: str = "") -> None:
        self.query = query
        self.words = tuple(fold(query).split())

    def __bool__(self) -> bool:
        return bool(self.words)

    @property
    def active(self) -> bool:
        return bool(self.words)

    def matches(self, *texts: str | None) -> bool:
        """True when each word is a substring of at least one of ``texts`` (None skipped)."""
        if not self.words:
            return True
        haystack = "\n".join(fold(t) for t in texts if t)
        return all(word in haystack for word in self.words)


# ------------------------------------------------------------------ letterhead


def letterhead_rows_involving(letter: Letter, ids: Iterable[str]) -> set[tuple[int, int]]:
    """(section index, member index) of every letterhead member that is or involves an id."""
    wanted = frozenset(ids)
    if not wanted:
        return set()
    rows: set[tuple[int, int]] = set()
    for s, section in enumerate(letter.letterhead):
        for m, member in enumerate(section.members):
            if any(member.involves(entity_id) for entity_id in wanted):
                rows.add((s, m))
    return rows


def letterhead_places(letter: Letter, entity_id: str) -> list[tuple[str, str]]:
    """Where the letterhead names ``entity_id``: (section title, how) pairs, in order.

    ``how`` is "" when the member is the entity, or "affiliation of NAME" when
    the entity is a member's affiliation.
    """
    found: list[tuple[str, str]] = []
    for section in letter.letterhead:
        for member in section.members:
            if entity_id in member.entities:
                found.append((section.title, ""))
            elif member.affiliation is not None and entity_id in member.affiliation.entities:
                found.append((section.title, f"affiliation of {member.name}"))
    return found


def letterhead_roles(letter: Letter) -> dict[str, list[str]]:
    """For each entity in the letterhead, what it is there: "Management Committee: role"."""
    roles: dict[str, list[str]] = {}
    for section in letter.letterhead:
        for member in section.members:
            described = section.title
            if member.role:
                described += f": {member.role}"
            if member.affiliation is not None:
                described += f" ({member.affiliation.name})"
            for entity_id in member.entities:
                roles.setdefault(entity_id, []).append(described)
            if member.affiliation is not None:
                for entity_id in member.affiliation.entities:
                    roles.setdefault(entity_id, []).append(
                        f"{section.title}: affiliation of {member.name}"
                    )
    return roles


# -------------------------------------------------------------------- entities


@frozen
class EntityRow(Record):
    """One entity as the Entities panel lists it."""

    entity: Entity
    mentions: int  # mentions in the text plus line references
    in_letterhead: bool
    line_ids: tuple[str, ...] = ()  # printed lines the entity is attached to (Jean Paul)
    known: bool = True  # False: referenced by a mention but missing from every register

    @property
    def letterhead_only(self) -> bool:
        return self.in_letterhead and self.mentions == 0

    @property
    def id(self) -> str:
        return self.entity.id


@frozen
class EntityGroup(Record):
    """The Entities panel's rows of one kind."""

    kind: str
    rows: tuple[EntityRow, ...]


def kind_order(kind: str) -> int:
    """Where ``kind`` sorts: ENTITY_KINDS order, anything else after them."""
    return ENTITY_KINDS.index(kind) if kind in ENTITY_KINDS else len(ENTITY_KINDS)


def entity_rows(letter: Letter) -> list[EntityGroup]:
    """Every entity of the letter grouped by kind (in ENTITY_KINDS order), sorted by name.

    Includes entities named only in the letterhead (count 0, ``letterhead_only``)
    and ids that mentions reference but no register defines (``known`` False).
    """
    counts = letter.mention_counts()
    in_letterhead = letter.letterhead_entities()
    line_ids: dict[str, list[str]] = {}
    for reference in letter.line_references:
        for entity_id in reference.entities:
            ids = line_ids.setdefault(entity_id, [])
            if reference.line_id not in ids:
                ids.append(reference.line_id)

    entities: dict[str, tuple[Entity, bool]] = {e.id: (e, True) for e in letter.entities}
    for mention in letter.mentions:
        for entity_id in mention.entities:
            if entity_id not in entities:
                entities[entity_id] = (Entity(entity_id, mention.kind, entity_id), False)
    for entity_id in sorted(in_letterhead - entities.keys()):
        entities[entity_id] = (Entity(entity_id, "other", entity_id), False)

    groups: dict[str, list[EntityRow]] = {}
    for entity, known in entities.values():
        groups.setdefault(entity.kind, []).append(
            EntityRow(
                entity=entity,
                mentions=counts.get(entity.id, 0),
                in_letterhead=entity.id in in_letterhead,
                line_ids=tuple(line_ids.get(entity.id, ())),
                known=known,
            )
        )
    return [
        EntityGroup(kind, tuple(sorted(rows, key=lambda r: (fold(r.entity.name), r.entity.id))))
        for kind, rows in sorted(groups.items(), key=lambda item: (kind_order(item[0]), item[0]))
    ]


def party_involves(entities: Iterable[str], ids: Iterable[str]) -> bool:
    return not frozenset(entities).isdisjoint(ids)


def mentions_on_line(letter: Letter, line: int | None) -> list[Mention]:
    """Mentions whose tagging element starts on source ``line`` (for diagnostics)."""
    if line is None:
        return []
    return [mention for mention in letter.mentions if mention.line == line]


def count_mentions(letter: Letter, ids: Iterable[str]) -> int:
    """Distinct mentions and line references naming any of ``ids`` (shared ones once)."""
    wanted = frozenset(ids)
    if not wanted:
        return 0
    total = sum(1 for m in letter.mentions if not wanted.isdisjoint(m.entities))
    total += sum(1 for r in letter.line_references if not wanted.isdisjoint(r.entities))
    return total


def known_ids(letter: Letter) -> set[str]:
    """Every id the letter knows: register entries, mentioned ids, letterhead ids."""
    ids = {entity.id for entity in letter.entities}
    ids.update(letter.mention_counts())
    ids.update(letter.letterhead_entities())
    for party in (*letter.senders, *letter.recipients, *letter.places):
        ids.update(party.entities)
    return ids


# ---------------------------------------------------------------------- status


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    """``1 letter``, ``1,204 letters``; ``plural_form`` for words not made with an s."""
    return f"{count:,} {word}" if count == 1 else f"{count:,} {plural_form or word + 's'}"


def _describe(letter: Letter, entity_id: str) -> str:
    entity = letter.entity(entity_id)
    if entity is None:
        return entity_id
    return f"{entity.name} ({entity.kind})"


def status_text(letter: Letter | None, ids: Iterable[str]) -> str:
    """The status-bar sentence for a selection; "" when nothing is selected."""
    wanted = sorted(frozenset(ids))
    if letter is None or not wanted:
        return ""
    if len(wanted) == 1:
        entity_id = wanted[0]
        if entity_id not in known_ids(letter):
            return f"{entity_id}: not in this letter"
        count = count_mentions(letter, wanted)
        places = letterhead_places(letter, entity_id)
        if count == 0:
            text = f"{_describe(letter, entity_id)}: no mentions in the text"
            if places:
                return text + "; only in the letterhead: " + _places_text(places)
            return text
        text = f"{_describe(letter, entity_id)}: {plural(count, 'mention')} in the text"
        if places:
            text += "; in the letterhead: " + _places_text(places)
        return text
    names = ", ".join(
        (letter.entity(i).name if letter.entity(i) is not None else i)  # type: ignore[union-attr]
        for i in wanted
    )
    count = count_mentions(letter, wanted)
    text = f"{len(wanted)} entities selected ({names}): {plural(count, 'mention')} in the text"
    in_letterhead = len(letterhead_rows_involving(letter, wanted))
    if in_letterhead:
        text += f"; {plural(in_letterhead, 'letterhead row')}"
    return text


def _places_text(places: list[tuple[str, str]]) -> str:
    parts: list[str] = []
    for title, how in places:
        part = f"{title} ({how})" if how else title
        if part not in parts:
            parts.append(part)
    return ", ".join(parts)
