"""Collections: a folder of letters indexed as one, without Qt.

Owns

* finding the letters under a folder (telling them from register files and
  other XML), reading them on both cores, and storing what the collection
  needs of each in its SQLite database (:mod:`viewer.store`): re-opening a
  collection reads only new and changed files and drops removed ones, and
  lists its letters from the database without reading any file;
* :class:`CollectionIndex`, the open collection as the views see it: letters
  and entities as sequences paged from the database (never all in memory),
  filtering letters by entities (all/any), the register search
  (:meth:`CollectionIndex.entity_positions`) and the full-text search whose
  offsets index each letter's text (:meth:`CollectionIndex.search`);
* the ``--index`` JSON shape (:meth:`CollectionIndex.to_json`).

Reading runs in worker processes (forkserver, never plain fork: the window
indexes from a thread). Workers re-import the main script as ``__mp_main__``,
so it must keep its ``if __name__ == "__main__"`` guard.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import os
import sqlite3
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from viewer import __version__
from viewer.errors import EpistolaError
from viewer.filtering import TextFilter, kind_order
from viewer.folding import (
    find_spans,
    fold_for_index,
    fold_with_offsets,
    index_query,
    locate,
    phrase_pattern,
    sort_key,
)
from viewer.gcpause import paused_gc
from viewer.letterheads import (
    LetterheadGroup,
    LetterheadRecord,
    group_letterheads,
)
from viewer.model import Letter
from viewer.store import SEPARATOR, Store, looks_corrupt, set_aside
from viewer.summary import letter_summary

CACHE_FORMAT = 5  # 5: SQLite
CACHE_SUBDIR = "collections"
LETTER_SUFFIXES = (".xml", ".tei")
# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 64
CONTEXT_CHARS = 60
# Indexed files written per transaction: few enough that a kill loses little,
# many enough that committing costs nothing next to reading them.
BATCH_ROWS = 250
PAGE_ROWS = 256  # rows fetched at once when a view pages through letters or entities
PAGES_KEPT = 32

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]


# --------------------------------------------------------------------- records


@dataclass(frozen=True, eq=False)
class LetterSummary:
    """What the collection lists of one letter (its text and mentions stay in the database)."""

    file: str
    title: str
    when: str | None  # ISO date or None
    date_text: str
    sort_date: str  # when, else notBefore/notAfter, else "" (undated sorts first)
    senders: tuple[str, ...]
    recipients: tuple[str, ...]
    mentions: int  # mentions plus line references
    entities: int  # how many entities the letter names
    letterheads: tuple[LetterheadRecord, ...] = ()  # one per letterhead block
    id: int = 0  # the letter's row in the collection's database

    @property
    def sender(self) -> str:
        return "; ".join(self.senders)

    @property
    def recipient(self) -> str:
        return "; ".join(self.recipients)

    @property
    def date(self) -> str:
        """The date to show: the ISO date (uniform, sorts as it reads), else as written."""
        return self.when or self.date_text


class CollectionEntity(NamedTuple):
    """One entity across the collection: merged over every letter naming its id."""

    id: str
    kind: str
    name: str
    letter_count: int
    mentions: int


@dataclass(frozen=True)
class FileError:
    file: str
    message: str


@dataclass(frozen=True)
class Hit:
    """A full-text search hit: ``text[start:end]`` of ``file`` matched the query."""

    file: str
    title: str
    start: int
    end: int
    context: str  # about CONTEXT_CHARS either side, line breaks shown as spaces
    match_start: int  # where the match sits inside ``context``
    match_end: int
    reading: str = ""  # "": the collection's reading; else the other one, where it matched


@dataclass
class IndexStats:
    files: int = 0  # XML files seen
    parsed: int = 0  # files read this run (classified and, for letters, parsed)
    cached: int = 0  # files taken from the database
    removed: int = 0  # entries dropped because their file is gone
    registers: int = 0
    other: int = 0  # XML that is neither a letter nor a register (skipped silently)
    seconds: float = 0.0
    mode: str = "serial"


# ------------------------------------------------------------------ paged rows


class _Pages:
    """Rows fetched a page at a time and kept for a while (a view asks for neighbours)."""

    def __init__(self, fetch: Callable[[int, int], list], size: int) -> None:
        self._fetch = fetch
        self._size = size
        self._pages: OrderedDict[int, list] = OrderedDict()
        self._lock = threading.Lock()

    def row(self, position: int):
        page_number = position // PAGE_ROWS
        with self._lock:
            page = self._pages.get(page_number)
            if page is not None:
                self._pages.move_to_end(page_number)
        if page is None:
            low = page_number * PAGE_ROWS
            page = self._fetch(low, min(self._size, low + PAGE_ROWS))
            with self._lock:
                self._pages[page_number] = page
                while len(self._pages) > PAGES_KEPT:
                    self._pages.popitem(last=False)
        return page[position - page_number * PAGE_ROWS]


class LetterRows(Sequence[LetterSummary]):
    """The collection's letters in its order, read from the database a page at a time."""

    def __init__(self, index: CollectionIndex, ids: list[int]) -> None:
        self._index = index
        self._ids = ids
        self._pages = _Pages(self._page, len(ids))

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, position):  # type: ignore[override]
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(len(self._ids)))]
        if position < 0:
            position += len(self._ids)
        if not 0 <= position < len(self._ids):
            raise IndexError(position)
        return self._pages.row(position)

    def __iter__(self) -> Iterator[LetterSummary]:
        make = self._index.summary_from_row
        for row in self._index.store.iter_letter_rows():
            yield make(row)

    def _page(self, low: int, high: int) -> list[LetterSummary]:
        ids = self._ids[low:high]
        rows = self._index.store.letter_rows(ids)
        return [self._index.summary_from_row(rows[i]) if i in rows else None for i in ids]


class EntityRows(Sequence[CollectionEntity]):
    """The collection register in display order (kind, name), paged from the database."""

    def __init__(self, store: Store, count: int) -> None:
        self._store = store
        self._count = count
        self._pages = _Pages(self._page, count)

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, position):  # type: ignore[override]
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(self._count))]
        if position < 0:
            position += self._count
        if not 0 <= position < self._count:
            raise IndexError(position)
        return self._pages.row(position)

    def __iter__(self) -> Iterator[CollectionEntity]:
        for row in self._store.iter_entity_rows():
            yield _entity(row)

    def _page(self, low: int, high: int) -> list[CollectionEntity]:
        return [_entity(row) for row in self._store.entity_rows(low, high)]


def _entity(row: tuple) -> CollectionEntity:
    key, kind, name, letters, mentions = row
    return CollectionEntity(key, kind, name or key, letters, mentions)


# ------------------------------------------------------------------ the index


class CollectionIndex:
    """The letters of one folder, their entities, and the searches over them."""

    def __init__(
        self,
        folder: str,
        store: Store,
        errors: Sequence[FileError] = (),
        *,
        cancelled: bool = False,
        notes: Sequence[str] = (),
        stats: IndexStats | None = None,
        reading: str = "normalised",
    ) -> None:
        self.folder = folder
        self._prefix = folder if folder.endswith(os.sep) else folder + os.sep
        self.reading = reading
        self.store = store
        self.errors: list[FileError] = list(errors)
        self.cancelled = cancelled
        self.notes: list[str] = list(notes)
        self.stats = stats or IndexStats()
        self._lock = threading.Lock()
        self._ids = store.letter_ids()
        self._position = {letter_id: p for p, letter_id in enumerate(self._ids)}
        self._ids_in_order = all(a < b for a, b in zip(self._ids, self._ids[1:], strict=False))
        self.letters: LetterRows = LetterRows(self, self._ids)
        self.entities: EntityRows = EntityRows(store, store.entity_count())
        self._hay: list[str] | None = None
        self._blob_cache: tuple[str, list[int]] | None = None
        self._kinds: list[tuple[str, int, int]] | None = None
        self._letterhead_groups: list[LetterheadGroup] | None = None
        self._orders: dict[str, list[int]] = {}

    @classmethod
    def from_records(
        cls,
        folder: str,
        records: Iterable[tuple[str, dict]],
        errors: Sequence[FileError] = (),
        *,
        cancelled: bool = False,
        notes: Sequence[str] = (),
        reading: str = "normalised",
    ) -> CollectionIndex:
        """A collection held in memory, of (file, record) pairs as :func:`_index_one` makes."""
        store = Store(None)
        writer = store.writer()
        with store.transaction() as db:
            writer.put_many(
                db, [(_rel(file, folder), (-1, -1), record) for file, record in records]
            )
        writer.finish()
        return cls(folder, store, errors, cancelled=cancelled, notes=notes, reading=reading)

    def merged(self, other: CollectionIndex) -> CollectionIndex:
        """This collection plus ``other``'s letters (a file in both: ``other``'s reading).

        Built in memory, so that letters dropped on the window never enter the
        folder's own database.
        """
        store = self.store.copy_to_memory()
        other_rels = other.store.file_rels()
        writer = store.writer()
        items = []
        for rel in other_rels:
            found = other.store.record(rel)
            if found is not None:
                items.append((_rel(os.path.join(other.folder, rel), self.folder), *found))
        with store.transaction() as db:
            writer.put_many(db, items)
        writer.finish()
        replaced = {_norm_path(os.path.join(other.folder, rel)) for rel in other_rels}
        errors = [e for e in self.errors if _norm_path(e.file) not in replaced]
        errors.extend(other.errors)
        return CollectionIndex(
            self.folder,
            store,
            errors,
            cancelled=self.cancelled or other.cancelled,
            notes=[*self.notes, *other.notes],
            stats=self.stats,
            reading=self.reading,
        )

    def _file(self, rel: str) -> str:
        # os.path.join's result, for a fraction of its cost (100,000 rows).
        return self._prefix + rel if self.folder else rel

    def close(self) -> None:
        """Close this thread's connection to the database (others close when their thread ends)."""
        self.store.close()

    # -- rows --------------------------------------------------------------------
    def summary_from_row(self, row: tuple) -> LetterSummary:
        (letter_id, rel, title, when, date_text, sort_date, senders, recipients) = row[:8]
        mentions, entities, letterheads = row[8:]
        records: tuple[LetterheadRecord, ...] = ()
        if letterheads:
            with contextlib.suppress(ValueError, TypeError):
                records = tuple(LetterheadRecord.from_json(r) for r in json.loads(letterheads))
        return LetterSummary(
            file=self._file(rel),
            title=title,
            when=when,
            date_text=date_text,
            sort_date=sort_date,
            senders=tuple(senders.split(SEPARATOR)) if senders else (),
            recipients=tuple(recipients.split(SEPARATOR)) if recipients else (),
            mentions=mentions,
            entities=entities,
            letterheads=records,
            id=letter_id,
        )

    def summaries(self, ids: Sequence[int]) -> list[LetterSummary]:
        """The letters with these database ids, in the order given (unknown ids left out)."""
        rows = self.store.letter_rows(ids)
        return [self.summary_from_row(rows[i]) for i in ids if i in rows]

    def position_of(self, letter_id: int) -> int:
        """Where the letter sits in the collection's order (-1: not in this collection)."""
        return self._position.get(letter_id, -1)

    def order(self, by: str) -> list[int]:
        """Every letter id, ordered by "path", "date", "sender", "recipient" or "title"."""
        with self._lock:
            found = self._orders.get(by)
        if found is None:
            found = self._ids if by == "path" else self.store.letter_order(by)
            with self._lock:
                self._orders[by] = found
        return found

    # -- lookups ---------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._ids)

    @property
    def is_empty(self) -> bool:
        return not self._ids

    def letter(self, file: str) -> LetterSummary | None:
        """The summary for ``file`` (any spelling of the same path)."""
        row = self.store.letter_by_rel(_rel(file, self.folder))
        return self.summary_from_row(row) if row is not None else None

    def text_of(self, file: str) -> str | None:
        """The letter's indexed text (its reading's), from the database."""
        summary = self.letter(file)
        found = self.store.text(summary.id) if summary is not None else None
        return found[0] if found else None

    def entity(self, entity_id: str) -> CollectionEntity | None:
        found = self.store.entity_by_key(entity_id)
        return _entity(found) if found else None

    def entity_letters(self, entity_id: str) -> list[str]:
        """The files naming ``entity_id``, in the collection's order."""
        return [self._file(rel) for rel in self.store.entity_letter_rels(entity_id)]

    def entity_counts(self, file: str) -> dict[str, int]:
        """Every entity ``file`` names, with its mentions (0: named only in metadata)."""
        summary = self.letter(file)
        return self.store.letter_entities(summary.id) if summary is not None else {}

    # -- letterheads across letters -------------------------------------------
    def letterhead_groups(self) -> list[LetterheadGroup]:
        """Every letterhead of the collection grouped by issuer, with its versions (cached)."""
        with self._lock:
            groups = self._letterhead_groups
        if groups is None:
            rows = []
            for rel, sort_date, blocks in self.store.letterhead_rows():
                with contextlib.suppress(ValueError, TypeError):
                    records = tuple(LetterheadRecord.from_json(r) for r in blocks)
                    rows.append((self._file(rel), sort_date, records))
            groups = group_letterheads(rows)
            with self._lock:
                self._letterhead_groups = groups
        return groups

    def letters_in(self, files: Iterable[str]) -> list[tuple[LetterSummary, int]]:
        """The letters among ``files`` in the order given (a letterhead's: date order).

        Shaped as :meth:`letters_mentioning`'s answer (each with 0), so the letter
        list shows it the same way; files not in the collection are left out.
        """
        found = (self.letter(file) for file in dict.fromkeys(files))
        return [(summary, 0) for summary in found if summary is not None]

    # -- filtering letters by entity ------------------------------------------
    def letter_ids_mentioning(self, ids: Iterable[str], mode: str = "all") -> dict[int, int]:
        """Letter id -> its mentions of ``ids``, for letters naming all (or any) of them.

        A letter that names an entity only in its letterhead or metadata counts,
        with 0 mentions.
        """
        if mode not in ("all", "any"):
            raise ValueError(f"mode must be 'all' or 'any', not {mode!r}")
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return dict.fromkeys(self._ids, 0)
        return dict(self.store.letters_naming(wanted, mode == "all"))

    def letters_mentioning(
        self, ids: Iterable[str], mode: str = "all"
    ) -> list[tuple[LetterSummary, int]]:
        """Letters naming all (or any) of ``ids``, each with its mentions of them.

        In the collection's order. No ids: every letter, with 0.
        """
        counts = self.letter_ids_mentioning(ids, mode)
        ordered = sorted(counts, key=lambda i: self._position.get(i, -1))
        return [(summary, counts[summary.id]) for summary in self.summaries(ordered)]

    # -- the register search ---------------------------------------------------
    def entity_filter(
        self,
        query: str,
        kind: str | None = None,
        within: Sequence[int] | None = None,
    ) -> list[CollectionEntity]:
        """Entities whose name or id contains every word of ``query`` (case/accent-blind)."""
        return [self.entities[i] for i in self.entity_positions(query, kind, within)]

    def entity_positions(
        self,
        query: str,
        kind: str | None = None,
        within: Sequence[int] | None = None,
    ) -> list[int]:
        """Like :meth:`entity_filter`, as positions in :attr:`entities` (for views).

        ``within`` narrows a previous result (typing one more letter can only
        narrow), so that long lists stay fast per keystroke.
        """
        words = sorted(
            {w.replace("\0", "") for w in TextFilter(query).words} - {""}, key=len, reverse=True
        )
        if within is not None:
            result = list(within)
            if kind is not None:
                low, high = self.kind_range(kind)
                result = [i for i in result if low <= i < high]
        else:
            low, high = self.kind_range(kind) if kind is not None else (0, len(self.entities))
            if not words:
                return list(range(low, high))
            # The longest word first: it is the likeliest to leave few rows.
            result = self._scan(words.pop(0), low, high)
        hay = self._hays()
        for word in words:  # one comprehension per word: a tight loop, no per-row all()
            result = [i for i in result if word in hay[i]]
        return result

    def _scan(self, word: str, low: int, high: int) -> list[int]:
        """Positions in [low, high) whose haystack holds ``word``."""
        hay = self._hays()
        blob, starts = self._blob()
        if low >= high:
            return []
        begin = starts[low]
        stop = starts[high] if high < len(starts) else len(blob)
        # A word found in many rows is quicker to test row by row; a rare one is
        # quicker to find in one string (str.find runs in C, skipping the misses).
        if blob.count(word, begin, stop) > (high - low) // 8:
            return [i for i in range(low, high) if word in hay[i]]
        found: list[int] = []
        position = blob.find(word, begin, stop)
        last = len(starts) - 1
        while position >= 0:
            row = bisect.bisect_right(starts, position, low, high) - 1
            found.append(row)
            if row >= last:
                break
            position = blob.find(word, starts[row + 1], stop)
        return found

    def prepare_search(self) -> None:
        """Load what the register search scans now (otherwise on first use): for a thread."""
        self._blob()

    def _hays(self) -> list[str]:
        with self._lock:
            if self._hay is None:
                with paused_gc():
                    self._hay = self.store.entity_hays()
            return self._hay

    def _blob(self) -> tuple[str, list[int]]:
        hay = self._hays()
        with self._lock:
            if self._blob_cache is None:
                starts: list[int] = []
                offset = 0
                for text in hay:
                    starts.append(offset)
                    offset += len(text) + 1
                self._blob_cache = ("\0".join(hay), starts)
            return self._blob_cache

    def _kind_rows(self) -> list[tuple[str, int, int]]:
        with self._lock:
            if self._kinds is None:
                rows = self.store.kind_counts()
                self._kinds = sorted(rows, key=lambda row: kind_order(row[0]))
            return self._kinds

    def kind_range(self, kind: str) -> tuple[int, int]:
        """Positions [low, high) of ``kind`` in :attr:`entities` (sorted by kind)."""
        for name, first, count in self._kind_rows():
            if name == kind:
                return first, first + count
        order = kind_order(kind)
        # A kind with no entity: the empty range where it would sort.
        before = [
            first + count for name, first, count in self._kind_rows() if kind_order(name) < order
        ]
        at = max(before, default=0)
        return at, at

    def kinds(self) -> list[tuple[str, int]]:
        """(kind, number of entities) in display order."""
        return [(kind, count) for kind, _first, count in self._kind_rows()]

    # -- full-text search ------------------------------------------------------
    def search(self, query: str, limit: int | None = 500) -> list[Hit]:
        """Occurrences of ``query`` as a phrase (case-, accent- and spacing-blind).

        The full-text index finds the letters whose words begin with the
        query's words; the phrase is then found in each one's text, in the
        collection's order, until ``limit`` hits. Either reading's text matches.
        """
        pattern = phrase_pattern(query)
        if pattern is None:
            return []
        hits: list[Hit] = []
        for chunk in self._candidates(index_query(query)):
            rows = self.store.letter_rows(chunk)
            texts = self.store.texts(chunk)
            for letter_id in chunk:
                row, text = rows.get(letter_id), texts.get(letter_id)
                if row is None or text is None:
                    continue
                summary = self.summary_from_row(row)
                for reading_text, reading in ((text[0], ""), (text[1], self._other_reading)):
                    if not reading_text:
                        continue
                    found_here = _find_all(pattern, reading_text)
                    for begin, end in found_here:
                        hits.append(_hit(summary, reading_text, begin, end, reading))
                        if limit is not None and len(hits) >= limit:
                            return hits
                    if found_here:
                        break  # the other reading's hits would repeat these
        return hits

    def _candidates(self, match: str | None) -> Iterator[list[int]]:
        """Ids of the letters that may hold the phrase, in collection order, in chunks."""
        if match is None:  # no word the index knows: every letter
            for start in range(0, len(self._ids), 64):
                yield self._ids[start : start + 64]
            return
        position = self._position
        if self._ids_in_order:
            # Ids follow the collection's order (as a fresh index assigns them):
            # ask the index for a chunk at a time, so that a word in every letter
            # costs only the chunks up to the limit.
            after, size = 0, 64
            while True:
                found = self.store.search_candidates_after(match, after, size)
                if not found:
                    return
                yield [i for i in found if i in position]
                after, size = found[-1], min(size * 2, 2048)
        found = [i for i in self.store.search_candidates(match) if i in position]
        found.sort(key=position.__getitem__)
        for start in range(0, len(found), 64):
            yield found[start : start + 64]

    @property
    def _other_reading(self) -> str:
        return "diplomatic" if self.reading == "normalised" else "normalised"

    # -- output ----------------------------------------------------------------
    def to_json(self) -> dict:
        """The public ``--index`` shape; keys may be added, never renamed or dropped."""
        letters_of = self.store.entity_letter_lists(self._prefix if self.folder else "")
        kinds = self.store.kind_totals()
        return {
            "folder": self.folder,
            "letters": [
                {
                    "file": s.file,
                    "title": s.title,
                    "date": s.when,
                    "dateText": s.date_text,
                    "sender": s.sender,
                    "recipient": s.recipient,
                    "senders": list(s.senders),
                    "recipients": list(s.recipients),
                    "mentions": s.mentions,
                    "entities": s.entities,
                    "letterheadIssuers": sorted(
                        {r.issuer for r in s.letterheads if r.issuer is not None}
                    ),
                }
                for s in self.letters
            ],
            "entities": [
                {
                    "id": e.id,
                    "kind": e.kind,
                    "name": e.name,
                    "letters": letters_of.get(e.id, []),
                    "mentions": e.mentions,
                }
                for e in self.entities
            ],
            "errors": [{"file": e.file, "message": e.message} for e in self.errors],
            "letterheads": [group.to_json() for group in self.letterhead_groups()],
            "cancelled": self.cancelled,
            "notes": list(self.notes),
            "database": str(self.store.path) if self.store.path is not None else None,
            "files": {
                "letters": kinds.get("letter", 0),
                "registers": kinds.get("register", 0),
                "other": kinds.get("other", 0),
                "errors": kinds.get("error", 0),
            },
            "stats": {
                "parsed": self.stats.parsed,
                "cached": self.stats.cached,
                "removed": self.stats.removed,
                "seconds": round(self.stats.seconds, 3),
                "mode": self.stats.mode,
            },
        }


def _find_all(pattern, text: str) -> list[tuple[int, int]]:
    return find_spans(pattern, text)


def _hit(summary: LetterSummary, text: str, start: int, end: int, reading: str = "") -> Hit:
    left = max(0, start - CONTEXT_CHARS)
    right = min(len(text), end + CONTEXT_CHARS)
    before = text[left:start].replace("\n", " ")
    match = text[start:end].replace("\n", " ")
    after = text[end:right].replace("\n", " ")
    prefix = "…" if left > 0 else ""
    suffix = "…" if right < len(text) else ""
    context = f"{prefix}{before}{match}{after}{suffix}"
    match_start = len(prefix) + len(before)
    return Hit(
        file=summary.file,
        title=summary.title,
        start=start,
        end=end,
        context=context,
        match_start=match_start,
        match_end=match_start + len(match),
        reading=reading,
    )


# ------------------------------------------------------------- classification


def classify_file(path: str | os.PathLike[str]) -> str:
    """ "letter", "register" or "other": the parsing layer's answer."""
    from viewer.tei.classify import classify

    return classify(path)


# ------------------------------------------------------------- summarising


def letter_record(letter: Letter) -> dict:
    """What the collection stores of a letter read in full (the shape workers send back)."""
    return letter_summary(letter, None)


def _loose_record(path: str, letter: Letter) -> dict:
    """:func:`letter_record`, with the text of the other reading where it differs, so that a
    search in the other reading finds the loose files' text as it finds a folder's."""
    from viewer.tei.extract import other_reading_text

    try:
        alt_text = other_reading_text(path, letter)
    except (EpistolaError, OSError):  # changed since it was read: searched in its reading only
        alt_text = None
    return letter_summary(letter, alt_text)


def prepared(record: dict) -> dict:
    """``record`` with what the database derives from it made here (in a worker, in parallel)."""
    record["folded"] = fold_for_index(record["text"])
    if record.get("altText"):
        record["altFolded"] = fold_for_index(record["altText"])
    record["keys"] = [
        sort_key("; ".join(record["senders"])),
        sort_key("; ".join(record["recipients"])),
        sort_key(record["title"]),
    ]
    return record


# --------------------------------------------------------------- the database


def default_cache_dir() -> Path:
    from viewer.settings import cache_dir

    return cache_dir()


def _parser_fingerprint() -> str:
    """Changes whenever the parsing code does, so that rows from older code are dropped."""
    # Found beside this module, not imported: a run that parses nothing
    # (reopening, a second --index) need not load the parser.
    package = Path(__file__).resolve().parent / "tei"
    parts = [__version__, str(CACHE_FORMAT)]
    for source in sorted(package.glob("*.py")):
        with contextlib.suppress(OSError):
            info = source.stat()
            parts.append(f"{source.name}:{info.st_size}:{info.st_mtime_ns}")
    for module in (
        "model.py",
        "collection.py",
        "store.py",
        "folding.py",
        "letterheads.py",
        "summary.py",
    ):
        with contextlib.suppress(OSError):
            info = (package.parent / module).stat()
            parts.append(f"{module}:{info.st_size}:{info.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def cache_path(
    folder: str | os.PathLike[str],
    register_dirs: Sequence[str] = (),
    reading: str = "normalised",
    cache_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """The collection's database file (one per folder, reading and register folders)."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = "\0".join(
        [os.path.abspath(folder), reading, *sorted(os.path.abspath(d) for d in register_dirs)]
    )
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return base / CACHE_SUBDIR / f"{digest}.sqlite"


def open_store(
    folder: str,
    register_dirs: Sequence[str],
    reading: str,
    cache_dir: str | os.PathLike[str] | None,
    notes: list[str],
) -> Store:
    """The folder's database, emptied when it was written by other parsing code."""
    store = Store(cache_path(folder, register_dirs, reading, cache_dir), notes)
    fingerprint = _parser_fingerprint()
    # Checked and reset in one transaction: of two windows opening the folder at
    # once, only the first empties it.
    with store.transaction() as db:
        found = db.execute("SELECT value FROM meta WHERE key = 'parser'").fetchone()
        if found != (fingerprint,):
            store.reset(db)
            store.set_meta(
                db,
                parser=fingerprint,
                epistola=__version__,
                folder=os.path.abspath(folder),
                reading=reading,
                registerDirs=json.dumps(list(register_dirs), ensure_ascii=False),
            )
    return store


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


# --------------------------------------------------------------- indexing


def find_xml_files(folder: str, cancel: CancelFn | None = None) -> list[str]:
    """XML files under ``folder`` (recursively, hidden folders skipped), sorted, relative."""
    found: list[str] = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        if cancel is not None and cancel():
            break
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        # os.walk joins ``folder`` and the subfolders' names: cutting the prefix
        # off is relpath for a fraction of its cost (thousands of files).
        prefix = "" if root == folder else os.path.relpath(root, folder) + os.sep
        found.extend(
            prefix + name
            for name in sorted(files)
            if not name.startswith(".") and name.lower().endswith(LETTER_SUFFIXES)
        )
    return found


class _Writer:
    """Indexed files written to the database a batch per transaction, in the order expected.

    Worker processes finish their batches in any order; the writer holds back
    what arrives early, so that letters are stored (and numbered) in the
    collection's order. The full-text search relies on that: it walks its
    index in id order and can stop at the first hits.
    """

    def __init__(self, store: Store, progress: ProgressFn | None, total: int, done: int) -> None:
        self.store = store
        self.writer = store.writer()
        self.progress = progress
        self.total = total
        self.done = done
        self.kinds: dict[str, str] = {}
        self._pending: list[tuple[str, tuple[int, int], dict]] = []
        self._order: list[str] = []
        self._expected: set[str] = set()
        self._next = 0
        self._early: dict[str, tuple[str, tuple[int, int], dict]] = {}

    def expect(self, order: Sequence[str]) -> None:
        """The files about to be read, in the order to store them."""
        self._release_all()
        self._order = list(order)
        self._expected = set(self._order)
        self._next = 0

    def record(self, rel: str, stamp: tuple[int, int], result: dict) -> None:
        self.kinds[rel] = str(result.get("kind"))
        self.done += 1
        self._early[rel] = (rel, stamp, result)
        order = self._order
        while self._next < len(order) and order[self._next] in self._early:
            self._pending.append(self._early.pop(order[self._next]))
            self._next += 1
        if rel in self._early and rel not in self._expected:
            self._pending.append(self._early.pop(rel))  # not expected: stored as it comes
        if len(self._pending) >= BATCH_ROWS:
            self.flush()
        if self.progress is not None:
            self.progress(self.done, self.total)

    def _release_all(self) -> None:
        # What came early but never had its turn (a run cancelled midway).
        self._pending.extend(self._early[rel] for rel in self._order if rel in self._early)
        self._early.clear()

    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        with self.store.transaction() as db:
            self.writer.put_many(db, pending)

    def finish(self) -> None:
        self._release_all()
        self.flush()


def index_folder(
    folder: str | os.PathLike[str],
    *,
    register_dirs: Sequence[str | os.PathLike[str]] = (),
    cache_dir: str | os.PathLike[str] | None = None,
    workers: int = 2,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    reading: str = "normalised",
    mode: str = "auto",
    use_cache: bool = True,
    catalog=None,
    only: Iterable[str] | None = None,
) -> CollectionIndex:
    """Index every letter under ``folder`` into its database; see the module docstring.

    ``mode`` is "auto" (processes when there is enough to parse), "process",
    "thread" or "serial". ``catalog`` (a RegisterCatalog) is used by the serial
    and thread modes; processes keep one each. ``use_cache=False`` indexes
    into memory from scratch. ``only`` (relative paths) limits the look for
    changes to those files (a file watcher's news); the rest is taken as it is
    in the database. Raises EpistolaError only when ``folder`` is not a
    readable folder.
    """
    started = time.perf_counter()
    folder_str = os.fspath(folder)
    if not os.path.isdir(folder_str):
        raise EpistolaError("is not a folder", folder_str)
    if not os.access(folder_str, os.R_OK | os.X_OK):
        raise EpistolaError("permission denied: the folder cannot be read", folder_str)
    register_list = [os.fspath(d) for d in register_dirs]
    stats = IndexStats()
    notes: list[str] = []
    for attempt in range(3):
        store = _open_for_index(folder_str, register_list, reading, cache_dir, notes, use_cache)
        try:
            with paused_gc():  # many small objects, none of them cyclic garbage
                return _index_into(
                store, folder_str, register_list, stats, notes, started,
                progress=progress, cancel=cancel, workers=workers, reading=reading,
                    mode=mode, catalog=catalog, only=only,
                )  # fmt: skip
        except sqlite3.DatabaseError as error:
            # Damage found only while reading or writing rows: set the file aside
            # and index afresh (then, failing that, in memory).
            store.close()
            if store.path is None or attempt == 2:
                raise
            stats = IndexStats()
            if not looks_corrupt(error):
                # A full disk, or a lock held too long by another program: keep
                # the file as it is and work in memory this time.
                notes.append(
                    f"The collection database {store.path} could not be written ({error}); "
                    "this collection is kept in memory and will be read afresh next time."
                )
                use_cache = False
                continue
            aside = set_aside(store.path)
            notes.append(
                f"The collection database {store.path} was damaged ({error}); it was moved "
                f"to {aside.name} and the collection is indexed afresh."
            )
            if attempt == 1:
                use_cache = False
    raise AssertionError("unreachable")


def _open_for_index(
    folder: str,
    register_list: list[str],
    reading: str,
    cache_dir: str | os.PathLike[str] | None,
    notes: list[str],
    use_cache: bool,
) -> Store:
    if not use_cache:
        return Store(None, notes)
    try:
        return open_store(folder, register_list, reading, cache_dir, notes)
    except sqlite3.DatabaseError as error:
        path = cache_path(folder, register_list, reading, cache_dir)
        aside = set_aside(path)
        notes.append(
            f"The collection database {path} was damaged ({error}); it was moved "
            f"to {aside.name} and the collection is indexed afresh."
        )
        return open_store(folder, register_list, reading, cache_dir, notes)


def _index_into(
    store: Store,
    folder_str: str,
    register_list: list[str],
    stats: IndexStats,
    notes: list[str],
    started: float,
    *,
    progress: ProgressFn | None,
    cancel: CancelFn | None,
    workers: int,
    reading: str,
    mode: str,
    catalog,
    only: Iterable[str] | None,
) -> CollectionIndex:

    def cancelled() -> bool:
        return cancel is not None and bool(cancel())

    known = store.file_rows()
    if only is not None and known:
        relpaths = sorted(set(known) | {os.path.normpath(rel) for rel in only})
        relpaths = [
            rel for rel in relpaths if rel in known or os.path.exists(os.path.join(folder_str, rel))
        ]
        relpaths = [rel for rel in relpaths if not os.path.isdir(os.path.join(folder_str, rel))]
    else:
        relpaths = find_xml_files(folder_str, cancel)
    # A walk cancelled midway saw only part of the folder: nothing it missed is
    # taken as removed, and nothing is read.
    walk_cancelled = cancelled()
    # Named pipes, sockets and devices called *.xml are never opened (reading
    # a pipe would wait forever): they are reported, not read.
    special: list[FileError] = []
    stamps: dict[str, tuple[int, int]] = {}
    watched = set(only) if only is not None and known else None
    for rel in relpaths:
        if watched is not None and rel not in watched and rel in known:
            stamps[rel] = (known[rel][0], known[rel][1])  # unchanged, by the watcher's word
            continue
        path = os.path.join(folder_str, rel)
        try:
            info = os.stat(path)
        except FileNotFoundError:
            continue
        except OSError as error:
            special.append(FileError(path, f"cannot be read ({error.strerror or error})"))
            continue
        if not stat.S_ISREG(info.st_mode):
            special.append(FileError(path, "is not a regular file (a pipe or a device?)"))
            continue
        stamps[rel] = (info.st_size, info.st_mtime_ns)
    relpaths = [rel for rel in relpaths if rel in stamps]
    stats.files = len(relpaths)

    # Registers changed (inside the folder or outside it) make their letters stale.
    stale_registers = {
        path
        for path, stamp in store.register_stamps().items()
        if (_stamp(path) or (-1, -1)) != tuple(stamp)
    }
    registers_before = {rel for rel, row in known.items() if row[2] == "register"}
    todo: list[str] = []
    for rel in relpaths:
        row = known.get(rel)
        if (
            row is None
            or (row[0], row[1]) != stamps[rel]
            or (stale_registers and stale_registers.intersection(json.loads(row[3])))
        ):
            todo.append(rel)
    removed = [] if walk_cancelled else sorted(rel for rel in known if rel not in stamps)
    stats.removed = len(removed)
    # A register file added, changed or removed in the folder can change how any
    # letter resolves its references: read the letters again.
    if any(rel in registers_before for rel in todo) or any(
        rel not in stamps for rel in registers_before
    ):
        todo = sorted(
            set(todo) | {rel for rel in relpaths if known.get(rel, (0, 0, ""))[2] != "register"}
        )
    stats.cached = len(relpaths) - len(todo)
    total = len(relpaths)
    writer = _Writer(store, progress, total, stats.cached)
    if removed:
        with store.transaction() as db:
            writer.writer.remove(db, removed)
    if progress is not None:
        progress(writer.done, total)

    def record(rel: str, result: dict) -> None:
        writer.record(rel, stamps[rel], result)
        stats.parsed += 1

    effective = mode
    if mode == "auto":
        effective = "process" if workers > 1 and len(todo) >= PARALLEL_THRESHOLD else "serial"
    stats.mode = effective

    def run(todo: list[str]) -> bool:
        """Read ``todo``; True when cancelled."""
        nonlocal catalog, effective
        paths = {rel: os.path.join(folder_str, rel) for rel in todo}
        writer.expect(todo)
        if not todo:
            return False
        if cancelled():
            return True
        try:
            if effective == "process":
                outcome = _run_processes(
                    todo, paths, record, cancelled, workers, register_list, reading
                )
                if outcome is not None:
                    return outcome
                notes.append("Worker processes could not be started; the letters were read here.")
                effective = stats.mode = "serial"
                todo = [rel for rel in todo if rel not in writer.kinds]
            if catalog is None:
                from viewer.tei.catalog import RegisterCatalog

                catalog = RegisterCatalog(extra_folders=register_list)
            if effective == "thread":
                return _run_threads(todo, paths, record, cancelled, workers, catalog, reading)
            for rel in todo:
                if cancelled():
                    return True
                record(rel, index_file(paths[rel], catalog, reading))
            return False
        finally:
            writer.finish()

    was_cancelled = walk_cancelled or run(todo)
    # A register file that was not there before can resolve what the letters
    # left dangling: read the letters not read this time again too.
    new_registers = [
        rel for rel in todo if writer.kinds.get(rel) == "register" and rel not in registers_before
    ]
    if new_registers and not was_cancelled:
        again = sorted(
            rel for rel in relpaths if rel not in writer.kinds and known[rel][2] != "register"
        )
        stats.cached -= len(again)
        writer.done -= len(again)
        was_cancelled = run(again)
    if relpaths and cancelled() and writer.done < total:
        was_cancelled = True

    rows = store.file_rows() if stats.parsed or removed else known
    if stats.parsed or removed or stale_registers:
        register_stamps = {path: _stamp(path) or (-1, -1) for path in store.used_registers()}
        with store.transaction() as db:
            store.set_registers(db, register_stamps)
    writer.writer.finish()
    kinds = {rel: row[2] for rel, row in rows.items()}
    stats.registers = sum(1 for kind in kinds.values() if kind == "register")
    stats.other = sum(1 for kind in kinds.values() if kind == "other")
    errors = _collection_errors(store, folder_str, register_list, kinds, special)
    stats.seconds = time.perf_counter() - started
    if not was_cancelled:
        with store.transaction() as db:
            store.set_meta(db, complete="1")
    return CollectionIndex(
        folder_str,
        store,
        errors,
        cancelled=was_cancelled,
        notes=notes,
        stats=stats,
        reading=reading,
    )


def _collection_errors(
    store: Store,
    folder: str,
    register_list: Sequence[str],
    kinds: dict[str, str] | None,
    special: Sequence[FileError] = (),
) -> list[FileError]:
    """The files of the collection that could not be read, and its registers' problems."""
    errors: list[FileError] = list(special)
    errors.extend(FileError(os.path.join(folder, rel), msg) for rel, msg in store.error_rows())
    # A register's own problems are reported when the user opened it: named as a
    # register folder, or found in the folder as a register (discovery may also
    # try files beside the folder, and files this index already reported).
    named = [os.path.abspath(d) for d in register_list]
    for register_file, message in sorted(dict(store.register_error_rows()).items()):
        rel = os.path.relpath(register_file, folder) if _is_within(register_file, folder) else None
        if rel is not None and kinds is None:
            kinds = {r: row[2] for r, row in store.file_rows().items()}
        kind = kinds.get(rel) if rel is not None and kinds is not None else None
        if kind == "register" or (
            kind is None and any(_is_within(register_file, d) for d in named)
        ):
            errors.append(FileError(register_file, f"register file: {message}"))
    errors.sort(key=lambda error: error.file)
    return errors


def open_collection(
    folder: str | os.PathLike[str],
    *,
    register_dirs: Sequence[str | os.PathLike[str]] = (),
    reading: str = "normalised",
    cache_dir: str | os.PathLike[str] | None = None,
) -> CollectionIndex | None:
    """The collection as its database last saw it, without looking at the folder.

    For showing a collection at once: None when there is no complete database
    for ``folder`` written by this parsing code; then :func:`index_folder`,
    which also checks the folder for changes (run it after this, in the background).
    """
    folder_str = os.fspath(folder)
    register_list = [os.fspath(d) for d in register_dirs]
    path = cache_path(folder_str, register_list, reading, cache_dir)
    if not path.is_file():
        return None
    try:
        store = Store(path, [])
        if store.in_memory or store.notes:
            return None
        if (store.meta("parser"), store.meta("complete"), store.meta("dirty")) != (
            _parser_fingerprint(),
            "1",
            "0",
        ):
            store.close()
            return None
        errors = _collection_errors(store, folder_str, register_list, None)
        totals = store.kind_totals()
        stats = IndexStats(
            files=sum(totals.values()),
            cached=sum(totals.values()),
            registers=totals.get("register", 0),
            other=totals.get("other", 0),
        )
        return CollectionIndex(folder_str, store, errors, stats=stats, reading=reading)
    except sqlite3.DatabaseError:
        return None  # index_folder sets a damaged file aside, with a note


def index_files(
    files: Sequence[str | os.PathLike[str]],
    *,
    register_dirs: Sequence[str | os.PathLike[str]] = (),
    reading: str = "normalised",
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    catalog=None,
    letters: Mapping[str, Letter] | None = None,
) -> CollectionIndex:
    """A collection of the given files (dropped on the window, named on the command line).

    Read here, one after the other, into memory: a handful of files. A file
    given by name is read as a letter even if it looks like something else,
    so that its problem is reported rather than the file ignored. A letter
    read here is searched in both readings, as a folder's are. ``letters``:
    letters already read whole in ``reading`` (the window's open one), by
    absolute path, taken instead of reading their files again; those are
    searched in ``reading`` only (their other reading would need the parser).
    """
    if catalog is None:
        from viewer.tei.catalog import RegisterCatalog

        catalog = RegisterCatalog(extra_folders=[os.fspath(d) for d in register_dirs])
    known = {os.path.abspath(path): letter for path, letter in (letters or {}).items()}
    records: list[tuple[str, dict]] = []
    errors: list[FileError] = []
    paths = [os.fspath(f) for f in files]
    cancelled = False
    for done, path in enumerate(paths):
        if cancel is not None and cancel():
            cancelled = True
            break
        if progress is not None:
            progress(done, len(paths))
        try:
            letter = known.get(os.path.abspath(path))
            if letter is not None:
                # Its reading only: a start whose letter list is only its open letter (the
                # letter read by a worker process) never imports the parser.
                record = letter_record(letter)
            else:
                from viewer.tei import read_letter

                letter = read_letter(path, reading=reading, registers=catalog.for_letter(path))
                record = _loose_record(path, letter)
        except EpistolaError as error:
            errors.append(FileError(path, error.message))
            continue
        except (RecursionError, MemoryError, ValueError, TypeError) as error:
            errors.append(FileError(path, f"could not be read ({type(error).__name__})"))
            continue
        records.append((path, {"kind": "letter", "letter": record}))
    if progress is not None and not cancelled:
        progress(len(paths), len(paths))
    folder = os.path.commonpath([os.path.abspath(p) for p in paths]) if paths else ""
    if len(paths) == 1 and folder:
        folder = os.path.dirname(folder)
    return CollectionIndex.from_records(
        folder, records, errors, cancelled=cancelled, reading=reading
    )


# ----------------------------------------------------------------- workers

# One catalog per worker process: each register file is parsed once per worker.
_worker_catalog = None
_worker_reading = "normalised"


def _init_worker(
    register_dirs: Sequence[str], reading: str, discovered: dict | None = None
) -> None:
    global _worker_catalog, _worker_reading
    from viewer.tei.catalog import RegisterCatalog

    _worker_catalog = RegisterCatalog(extra_folders=register_dirs)
    if discovered:
        _worker_catalog.seed(discovered)
    _worker_reading = reading


def index_file(path: str, catalog, reading: str) -> dict:
    """What the collection stores of one file, read on the C side of lxml; never raises.

    ``viewer.tei.extract`` reads only what the index needs; it agrees with
    the full reader (:func:`_index_one`) on every field but the search text's
    whitespace (tests/test_extract.py).
    """
    from viewer.tei.extract import extract_file

    result = extract_file(path, catalog, reading)
    if result.get("kind") == "letter":
        prepared(result["letter"])
    return result


def _index_one(path: str, catalog, reading: str) -> dict:
    """Classify and (for a letter) read one file with the full reader; never raises."""
    from viewer.tei import read_letter
    from viewer.tei.classify import broken_reason

    try:
        kind = classify_file(path)
        if kind == "other":
            reason = broken_reason(path)
            return {"kind": "error", "error": reason} if reason else {"kind": "other"}
        if kind != "letter":
            return {"kind": kind}
        registers = catalog.for_letter(path)
        letter = read_letter(path, reading=reading, registers=registers)
        return {
            "kind": "letter",
            "letter": letter_record(letter),
            "uses": registers.files,
            "registerErrors": [[f, m] for f, m in registers.errors],
        }
    except Exception as error:  # a parser bug must not stop the other letters
        from viewer.tei.extract import unreadable

        return unreadable(error)


def _index_batch(paths: Sequence[str]) -> list[dict]:
    return [index_file(path, _worker_catalog, _worker_reading) for path in paths]


def process_context(
    preload: Sequence[str] = ("viewer.collection", "viewer.tei", "viewer.tei.extract"),
):
    """The multiprocessing context for worker processes (indexing, exports).

    Never plain fork: the GUI indexes and exports from a thread, and forking a
    threaded process can deadlock the child. forkserver starts one clean server
    (with ``preload`` imported) and forks workers from it; spawn is the
    portable fallback. The index's workers need the extractor (with lxml): the
    server imports it once, not each worker after its start.
    """
    import multiprocessing  # here, not at the top: the window's start-up never needs it

    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        with contextlib.suppress(Exception):
            context.set_forkserver_preload(list(preload))
    return context


def start_process_server(context) -> None:
    """Start ``context``'s forkserver now, if it has one (else the first worker does).

    The server imports the ``preload`` modules (the parser) before it forks a
    worker: started early, it does so on another core while this process does
    other work (register discovery). Failing here changes nothing: starting a
    worker starts it again and reports what goes wrong.
    """
    if context.get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    with contextlib.suppress(Exception):
        forkserver.ensure_running()


def _batches(items: Sequence[str], size: int) -> list[list[str]]:
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _run_processes(
    todo: list[str],
    paths: dict[str, str],
    record: Callable[[str, dict], None],
    cancelled: Callable[[], bool],
    workers: int,
    register_dirs: list[str],
    reading: str,
) -> bool | None:
    """Parse on ``workers`` processes; True when cancelled, None when no worker could start.

    A worker that dies (a crash in native code) breaks the pool: what was
    unfinished is retried one file per task in a fresh pool, so that only the
    file that kills a worker is reported.
    """
    import concurrent.futures as cf  # here, not at the top: start-up never needs it

    from viewer.tei.catalog import RegisterCatalog

    remaining = list(todo)
    batch_size = max(1, min(16, len(todo) // (workers * 8)))
    # The worker processes' server imports the parser while discovery runs here.
    start_process_server(process_context())
    # Register discovery walks up and scans the folders beside the letters' (a home
    # folder's, say): done here once for all the workers, not once in each.
    discovered = RegisterCatalog(extra_folders=register_dirs).discover_folders(
        dict.fromkeys(os.path.dirname(paths[rel]) for rel in todo)
    )
    restarts = 0
    any_result = False
    while remaining:
        try:
            pool = cf.ProcessPoolExecutor(
                max_workers=workers,
                mp_context=process_context(),
                initializer=_init_worker,
                initargs=(register_dirs, reading, discovered),
            )
        except (OSError, ValueError, RuntimeError):
            return None
        futures = {
            pool.submit(_index_batch, [paths[rel] for rel in batch]): batch
            for batch in _batches(remaining, batch_size)
        }
        finished: set[str] = set()
        broken: list[list[str]] = []

        # Used within this pass only; the defaults bind this pass's futures and lists.
        def take(future, futures=futures, broken=broken, finished=finished) -> None:
            batch = futures[future]
            try:
                results = future.result()
            except cf.process.BrokenProcessPool:
                broken.append(batch)
                return
            for rel, result in zip(batch, results, strict=True):
                record(rel, result)
                finished.add(rel)

        try:
            if _drain(pool, futures, cancelled, take):
                return True
        finally:
            pool.shutdown(wait=not broken, cancel_futures=True)
        if not broken:
            return False
        if not finished and not any_result and restarts >= 1:
            return None  # the workers die on start (no usable interpreter): parse here
        any_result = any_result or bool(finished)
        remaining = [rel for rel in remaining if rel not in finished]
        if batch_size == 1:
            # Each broken task held one file: those files are what kills a worker.
            culprits = {rel for batch in broken for rel in batch}
            if restarts >= 8:
                culprits = set(remaining)
            for rel in sorted(culprits):
                record(rel, {"kind": "error", "error": "crashed the reader; it was skipped"})
            remaining = [rel for rel in remaining if rel not in culprits]
        batch_size = 1
        restarts += 1
    return False


def _run_threads(
    todo: list[str],
    paths: dict[str, str],
    record: Callable[[str, dict], None],
    cancelled: Callable[[], bool],
    workers: int,
    catalog,
    reading: str,
) -> bool:
    import concurrent.futures as cf

    with cf.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(index_file, paths[rel], catalog, reading): rel for rel in todo}
        return _drain(pool, futures, cancelled, lambda f: record(futures[f], f.result()))


def _drain(pool, futures, cancelled: Callable[[], bool], take: Callable[[object], None]) -> bool:
    """Hand each future to ``take`` as it finishes; True if cancelled first (pool shut down)."""
    import concurrent.futures as cf

    pending = set(futures)
    while pending:
        if cancelled():
            pool.shutdown(wait=False, cancel_futures=True)
            return True
        done, pending = cf.wait(pending, timeout=0.05, return_when=cf.FIRST_COMPLETED)
        for future in done:
            # Several results can arrive at once: a cancel asked for while taking one
            # stops before the next, not only once all that arrived are taken.
            if cancelled():
                pool.shutdown(wait=False, cancel_futures=True)
                return True
            take(future)
    return False


# ------------------------------------------------------------------ helpers


def _rel(file: str, folder: str) -> str:
    """``file`` as the database keys it: relative to the collection's folder."""
    return os.path.relpath(file, folder) if folder else os.path.abspath(file)


def _is_within(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([os.path.abspath(path), root]) == root
    except ValueError:  # different drives
        return False


def _norm_path(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def normalise_for_compare(path: str) -> str:
    """A path spelling for comparing files (absolute, case-folded where the OS does)."""
    return _norm_path(path)


__all__ = [
    "CollectionEntity",
    "CollectionIndex",
    "FileError",
    "Hit",
    "IndexStats",
    "LetterSummary",
    "cache_path",
    "classify_file",
    "find_xml_files",
    "fold_with_offsets",
    "index_files",
    "index_folder",
    "letter_record",
    "locate",
    "phrase_pattern",
]
