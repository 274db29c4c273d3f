"""Collections: a folder of letters indexed as one, without Qt.

Owns

* finding the letters under a folder (telling them from register files and
  other XML), parsing them on both cores, and keeping a compact
  :class:`LetterSummary` of each (never the whole Letter);
* the on-disk cache of those summaries (JSON in the user cache dir, keyed by
  path, size and mtime, with a format version): re-opening a collection
  re-reads only new and changed files and drops removed ones; a damaged cache
  is rebuilt with a note, never a crash;
* the collection register (:class:`CollectionEntity`: the same id in several
  letters is one entity), filtering letters by entities (all/any), the
  register search (:meth:`CollectionIndex.entity_filter`) and the full-text
  search whose offsets index each letter's text (:meth:`CollectionIndex.search`);
* the ``--index`` JSON shape (:meth:`CollectionIndex.to_json`).

Parsing runs in worker processes (forkserver, never plain fork: the window
indexes from a thread). The text walk is Python, and lxml releases the GIL
for short stretches only: two threads ran 5,000 letters several times slower
than one (a GIL convoy), two processes 1.5x faster (tests/bench/
bench_collection.py). Workers re-import the main script as ``__mp_main__``,
so it must keep its ``if __name__ == "__main__"`` guard.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import json
import os
import re
import stat
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from viewer import __version__
from viewer.atomic import write_atomic
from viewer.errors import EpistolaError
from viewer.filtering import TextFilter, fold, kind_order
from viewer.gcpause import paused_gc
from viewer.letterheads import (
    LetterheadGroup,
    LetterheadRecord,
    group_letterheads,
    letterhead_records,
)
from viewer.model import Letter

CACHE_FORMAT = 4  # 4: letters keep their letterheads
CACHE_SUBDIR = "collections"
# A cache is a few MB for thousands of letters; far beyond that it is not ours.
MAX_CACHE_BYTES = 512 * 1024 * 1024
LETTER_SUFFIXES = (".xml", ".tei")
# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 64
CONTEXT_CHARS = 60

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]


# --------------------------------------------------------------------- records


@dataclass(frozen=True, eq=False)
class LetterSummary:
    """What the collection keeps of one letter: enough to list, filter and search it."""

    file: str
    title: str
    when: str | None  # ISO date or None
    date_text: str
    sort_date: str  # when, else notBefore/notAfter, else "" (undated sorts first)
    senders: tuple[str, ...]
    recipients: tuple[str, ...]
    mentions: int  # mentions plus line references
    entity_counts: dict[str, int]  # every entity the letter names -> its mentions (0: only named)
    text: str  # the reading text, so that search offsets index it
    letterheads: tuple[LetterheadRecord, ...] = ()  # one per letterhead block

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
    """One entity across the collection: merged over every letter naming its id.

    A NamedTuple: a collection holds 100,000 of these, and a tuple is made
    several times faster than a frozen dataclass.
    """

    id: str
    kind: str
    name: str
    letters: tuple[str, ...]  # files, in collection order
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


@dataclass
class IndexStats:
    files: int = 0  # XML files seen
    parsed: int = 0  # files read this run (classified and, for letters, parsed)
    cached: int = 0  # files taken from the cache
    removed: int = 0  # cache entries dropped because their file is gone
    registers: int = 0
    other: int = 0  # XML that is neither a letter nor a register (skipped silently)
    seconds: float = 0.0
    mode: str = "serial"


# ------------------------------------------------------------------ the index


class CollectionIndex:
    """The letters of one folder, their entities, and the searches over them."""

    def __init__(
        self,
        folder: str,
        letters: Sequence[LetterSummary] = (),
        errors: Sequence[FileError] = (),
        entity_meta: dict[str, tuple[str, str]] | None = None,
        *,
        cancelled: bool = False,
        notes: Sequence[str] = (),
        stats: IndexStats | None = None,
    ) -> None:
        with paused_gc():
            self._build(folder, letters, errors, entity_meta, cancelled, notes, stats)

    def _build(
        self,
        folder: str,
        letters: Sequence[LetterSummary],
        errors: Sequence[FileError],
        entity_meta: dict[str, tuple[str, str]] | None,
        cancelled: bool,
        notes: Sequence[str],
        stats: IndexStats | None,
    ) -> None:
        self.folder = folder
        self.letters: list[LetterSummary] = list(letters)
        self.errors: list[FileError] = list(errors)
        self.cancelled = cancelled
        self.notes: list[str] = list(notes)
        self.stats = stats or IndexStats()
        self._by_file = {summary.file: summary for summary in self.letters}
        self._norm = {_norm_path(s.file): s for s in self.letters}
        meta = entity_meta or {}
        self._position = {summary.file: p for p, summary in enumerate(self.letters)}
        # Where each entity is named and how often, gathered here and dropped
        # after: lists and ints rather than a dict per entity (100,000 of them).
        positions: dict[str, list[int]] = {}
        mentions: dict[str, int] = {}
        for position, summary in enumerate(self.letters):
            for entity_id, count in summary.entity_counts.items():
                found = positions.get(entity_id)
                if found is None:
                    positions[entity_id] = [position]
                    mentions[entity_id] = count
                else:
                    found.append(position)
                    mentions[entity_id] += count
        files = [summary.file for summary in self.letters]
        ids = list(positions)
        default = ("other", "")
        kinds_names = [meta.get(entity_id, default) for entity_id in ids]
        names = [name or entity_id for (_k, name), entity_id in zip(kinds_names, ids, strict=True)]
        # Fold every name and id in one pass over one string: C speed, not 100,000 calls.
        folded_names = _fold_many(names)
        folded_ids = _fold_many(ids)
        keys = list(
            zip([kind_order(kind) for kind, _name in kinds_names], folded_names, ids, strict=True)
        )
        order = sorted(range(len(ids)), key=keys.__getitem__)
        entities: list[CollectionEntity] = []
        hay: list[str] = []
        make = CollectionEntity
        for i in order:
            entity_id = ids[i]
            entities.append(
                make(
                    entity_id,
                    kinds_names[i][0],
                    names[i],
                    tuple(map(files.__getitem__, positions[entity_id])),
                    mentions[entity_id],
                )
            )
            # What the register search looks in: the name and the id.
            hay.append(f"{folded_names[i]}\n{folded_ids[i]}")
        self.entities: list[CollectionEntity] = entities
        self._entity_by_id = {e.id: e for e in entities}
        self._hay: list[str] = hay
        self._search_texts: list[tuple[str, list[int] | None]] | None = None
        self._blob_cache: tuple[str, list[int]] | None = None
        self._letterhead_groups: list[LetterheadGroup] | None = None
        self._lock = threading.Lock()

    def merged(self, other: CollectionIndex) -> CollectionIndex:
        """This collection plus ``other``'s letters (a file in both: ``other``'s summary)."""
        replaced = {_norm_path(s.file) for s in other.letters}
        letters = [s for s in self.letters if _norm_path(s.file) not in replaced]
        letters.extend(other.letters)
        meta = {e.id: (e.kind, e.name) for e in other.entities}
        meta.update((e.id, (e.kind, e.name)) for e in self.entities)
        failed = {_norm_path(e.file) for e in other.errors}
        errors = [e for e in self.errors if _norm_path(e.file) not in failed | replaced]
        errors.extend(other.errors)
        return CollectionIndex(
            self.folder,
            letters,
            errors,
            meta,
            cancelled=self.cancelled or other.cancelled,
            notes=[*self.notes, *other.notes],
            stats=self.stats,
        )

    # -- lookups ---------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.letters)

    @property
    def is_empty(self) -> bool:
        return not self.letters

    def letter(self, file: str) -> LetterSummary | None:
        """The summary for ``file`` (any spelling of the same path)."""
        return self._by_file.get(file) or self._norm.get(_norm_path(file))

    def entity(self, entity_id: str) -> CollectionEntity | None:
        return self._entity_by_id.get(entity_id)

    # -- letterheads across letters -------------------------------------------
    def letterhead_groups(self) -> list[LetterheadGroup]:
        """Every letterhead of the collection grouped by issuer, with its versions (cached)."""
        with self._lock:
            if self._letterhead_groups is None:
                self._letterhead_groups = group_letterheads(
                    (s.file, s.sort_date, s.letterheads) for s in self.letters if s.letterheads
                )
            return self._letterhead_groups

    def letters_in(self, files: Iterable[str]) -> list[tuple[LetterSummary, int]]:
        """The letters among ``files`` in the order given (a letterhead's: date order).

        Shaped as :meth:`letters_mentioning`'s answer (each with 0), so the letter
        list shows it the same way; files not in the collection are left out.
        """
        found = (self.letter(file) for file in dict.fromkeys(files))
        return [(summary, 0) for summary in found if summary is not None]

    # -- filtering letters by entity ------------------------------------------
    def letters_mentioning(
        self, ids: Iterable[str], mode: str = "all"
    ) -> list[tuple[LetterSummary, int]]:
        """Letters naming all (or any) of ``ids``, each with its mentions of them.

        A letter that names an entity only in its letterhead or metadata counts,
        with 0 mentions. No ids: every letter, with 0.
        """
        if mode not in ("all", "any"):
            raise ValueError(f"mode must be 'all' or 'any', not {mode!r}")
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return [(summary, 0) for summary in self.letters]
        found: list[set[int]] = []
        for entity_id in wanted:
            entity = self._entity_by_id.get(entity_id)
            letters = entity.letters if entity is not None else ()
            found.append({self._position[file] for file in letters})
        positions = set.intersection(*found) if mode == "all" else set.union(*found)
        result = []
        for p in sorted(positions):
            summary = self.letters[p]
            counts = summary.entity_counts
            result.append((summary, sum(counts.get(entity_id, 0) for entity_id in wanted)))
        return result

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
        hay = self._hay
        for word in words:  # one comprehension per word: a tight loop, no per-row all()
            result = [i for i in result if word in hay[i]]
        return result

    def _scan(self, word: str, low: int, high: int) -> list[int]:
        """Positions in [low, high) whose haystack holds ``word``."""
        hay = self._hay
        blob, starts = self._blob()
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
        """Build what both searches scan now (otherwise on first use): for a worker thread."""
        self._blob()
        self._searchable()

    def _blob(self) -> tuple[str, list[int]]:
        with self._lock:
            if self._blob_cache is None:
                starts: list[int] = []
                offset = 0
                for text in self._hay:
                    starts.append(offset)
                    offset += len(text) + 1
                self._blob_cache = ("\0".join(self._hay), starts)
            return self._blob_cache

    def kind_range(self, kind: str) -> tuple[int, int]:
        """Positions [low, high) of ``kind`` in :attr:`entities` (sorted by kind)."""
        order = kind_order(kind)
        keys = self._kind_keys()
        return bisect.bisect_left(keys, order), bisect.bisect_right(keys, order)

    def kinds(self) -> list[tuple[str, int]]:
        """(kind, number of entities) in display order."""
        kinds = getattr(self, "_kinds", None)
        if kinds is None:
            counts: dict[str, int] = {}
            for entity in self.entities:
                counts[entity.kind] = counts.get(entity.kind, 0) + 1
            kinds = self._kinds = sorted(counts.items(), key=lambda item: kind_order(item[0]))
        return list(kinds)

    def _kind_keys(self) -> list[int]:
        keys = getattr(self, "_kind_key_list", None)
        if keys is None:
            keys = [kind_order(e.kind) for e in self.entities]
            self._kind_key_list = keys
        return keys

    # -- full-text search ------------------------------------------------------
    def search(self, query: str, limit: int = 500) -> list[Hit]:
        """Occurrences of ``query`` as a phrase (case-, accent- and spacing-blind)."""
        pattern = phrase_pattern(query)
        if pattern is None:
            return []
        texts = self._searchable()
        hits: list[Hit] = []
        for summary, (folded, offsets) in zip(self.letters, texts, strict=True):
            for match in pattern.finditer(folded):
                start, end = _original_span(offsets, match.start(), match.end(), summary.text)
                hits.append(_hit(summary, start, end))
                if len(hits) >= limit:
                    return hits
        return hits

    def _searchable(self) -> list[tuple[str, list[int] | None]]:
        with self._lock:
            if self._search_texts is None:
                self._search_texts = [fold_with_offsets(s.text) for s in self.letters]
            return self._search_texts

    # -- output ----------------------------------------------------------------
    def to_json(self) -> dict:
        """The public ``--index`` shape; keys may be added, never renamed or dropped."""
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
                    "entities": len(s.entity_counts),
                }
                for s in self.letters
            ],
            "entities": [
                {
                    "id": e.id,
                    "kind": e.kind,
                    "name": e.name,
                    "letters": list(e.letters),
                    "mentions": e.mentions,
                }
                for e in self.entities
            ],
            "errors": [{"file": e.file, "message": e.message} for e in self.errors],
            "letterheads": [group.to_json() for group in self.letterhead_groups()],
            "cancelled": self.cancelled,
            "notes": list(self.notes),
        }


def _hit(summary: LetterSummary, start: int, end: int) -> Hit:
    text = summary.text
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
    )


# --------------------------------------------------------- folding for search


# Every character met so far, and what it folds to when that differs from itself:
# str.translate with this table folds a text at C speed.
_FOLD_SEEN: set[str] = set()
_FOLD_TABLE: dict[int, str] = {}
_FOLD_LOCK = threading.Lock()


def _fold_table(text: str) -> dict[int, str]:
    new = set(text) - _FOLD_SEEN
    if new:
        with _FOLD_LOCK:
            for ch in new:
                folded = fold(ch)
                if folded != ch:
                    _FOLD_TABLE[ord(ch)] = folded
            _FOLD_SEEN.update(new)
    return _FOLD_TABLE


def _fold_fast(text: str) -> str:
    """``fold`` character by character through the shared table (the same result here)."""
    return text.translate(_fold_table(text))


def _fold_many(texts: list[str]) -> list[str]:
    """``_fold_fast`` of each text, folding them all as one string."""
    if not texts:
        return []
    joined = "\0".join(t.replace("\0", " ") for t in texts)
    folded = _fold_fast(joined).split("\0")
    if len(folded) != len(texts):  # a character that folds to NUL: never in practice
        return [_fold_fast(t) for t in texts]
    return folded


def fold_with_offsets(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, when folding changed its length, each folded char's source index.

    ``None`` means folded index == original index (the common case: é → e keeps
    the length; ß → ss or ligatures do not).
    """
    table = _fold_table(text)
    folded = text.translate(table)
    if len(folded) == len(text) and not any(
        len(table.get(ord(ch), ch)) != 1 for ch in set(text) if ord(ch) in table
    ):
        return folded, None
    offsets: list[int] = []
    for index, ch in enumerate(text):
        replacement = table.get(ord(ch))
        offsets.extend([index] * (1 if replacement is None else len(replacement)))
    return folded, offsets


def _original_span(offsets: list[int] | None, start: int, end: int, text: str) -> tuple[int, int]:
    if offsets is None:
        return start, end
    if start >= len(offsets):
        return len(text), len(text)
    original_start = offsets[start]
    original_end = offsets[end - 1] + 1 if end > start else original_start
    return original_start, original_end


def phrase_pattern(query: str) -> re.Pattern[str] | None:
    """The query's words, folded, in order, with any whitespace between them."""
    words = fold(query).split()
    if not words:
        return None
    return re.compile(r"\s+".join(re.escape(word) for word in words))


def locate(text: str, query: str, near: int = 0) -> tuple[int, int] | None:
    """Where ``query`` occurs in ``text``, the occurrence nearest ``near``.

    For showing a hit in a letter whose text may differ from the indexed one
    (another reading, or the file changed since).
    """
    pattern = phrase_pattern(query)
    if pattern is None:
        return None
    folded, offsets = fold_with_offsets(text)
    best: tuple[int, int] | None = None
    for match in pattern.finditer(folded):
        span = _original_span(offsets, match.start(), match.end(), text)
        if best is None or abs(span[0] - near) < abs(best[0] - near):
            best = span
    return best


# ------------------------------------------------------------- classification


def classify_file(path: str | os.PathLike[str]) -> str:
    """ "letter", "register" or "other": the parsing layer's answer."""
    from viewer.tei.classify import classify

    return classify(path)


# ------------------------------------------------------------- summarising


def summarise(letter: Letter, file: str) -> tuple[LetterSummary, dict[str, tuple[str, str]]]:
    """A letter's summary, and (kind, name) of every entity it names."""
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
    meta: dict[str, tuple[str, str]] = {}
    for entity_id in counts:
        entity = letter.entity(entity_id)
        if entity is not None:
            # A register entry named "..." or "–" says nothing in a list of names.
            named = any(ch.isalnum() for ch in entity.name)
            meta[entity_id] = (entity.kind, entity.name if named else entity_id)
        else:
            meta[entity_id] = (mention_kinds.get(entity_id, "other"), entity_id)
    date = letter.date
    when = date.when if date else None
    summary = LetterSummary(
        file=file,
        title=letter.title,
        when=when,
        date_text=date.text if date else "",
        sort_date=(when or (date.not_before or date.not_after or "") if date else "") or "",
        senders=tuple(p.name for p in letter.senders if p.name),
        recipients=tuple(p.name for p in letter.recipients if p.name),
        mentions=len(letter.mentions) + len(letter.line_references),
        entity_counts=counts,
        text=letter.text,
        letterheads=letterhead_records(letter),
    )
    return summary, meta


def _summary_to_json(summary: LetterSummary, meta: dict[str, tuple[str, str]]) -> dict:
    return {
        "title": summary.title,
        "when": summary.when,
        "dateText": summary.date_text,
        "sortDate": summary.sort_date,
        "senders": list(summary.senders),
        "recipients": list(summary.recipients),
        "mentions": summary.mentions,
        "entities": [
            [entity_id, count, *meta.get(entity_id, ("other", entity_id))]
            for entity_id, count in summary.entity_counts.items()
        ],
        "text": summary.text,
        "letterheads": [record.to_json() for record in summary.letterheads],
    }


def _summary_from_json(file: str, data: dict) -> tuple[LetterSummary, dict[str, tuple[str, str]]]:
    counts: dict[str, int] = {}
    meta: dict[str, tuple[str, str]] = {}
    for entity_id, count, kind, name in data["entities"]:
        if not isinstance(entity_id, str) or not isinstance(count, int):
            raise ValueError("bad entity row")
        counts[entity_id] = count
        meta[entity_id] = (str(kind), str(name))
    summary = LetterSummary(
        file=file,
        title=_str(data["title"]),
        when=data["when"] if isinstance(data["when"], str) else None,
        date_text=_str(data["dateText"]),
        sort_date=_str(data["sortDate"]),
        senders=tuple(_str(s) for s in data["senders"]),
        recipients=tuple(_str(r) for r in data["recipients"]),
        mentions=int(data["mentions"]),
        entity_counts=counts,
        text=_str(data["text"]),
        letterheads=tuple(LetterheadRecord.from_json(row) for row in data["letterheads"]),
    )
    return summary, meta


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value


# ----------------------------------------------------------------- workers

# One catalog per worker process: each register file is parsed once per worker.
_worker_catalog = None
_worker_reading = "normalised"


def _init_worker(register_dirs: Sequence[str], reading: str) -> None:
    global _worker_catalog, _worker_reading
    from viewer.tei.catalog import RegisterCatalog

    _worker_catalog = RegisterCatalog(extra_folders=register_dirs)
    _worker_reading = reading


def _index_one(path: str, catalog, reading: str) -> dict:
    """Classify and (for a letter) parse one file; never raises."""
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
        summary, meta = summarise(letter, path)
        return {
            "kind": "letter",
            "letter": _summary_to_json(summary, meta),
            "uses": registers.files,
            "registerErrors": [[f, m] for f, m in registers.errors],
        }
    except EpistolaError as error:
        return {"kind": "error", "error": error.message}
    except RecursionError:
        return {"kind": "error", "error": "is nested too deeply to read"}
    except MemoryError:
        return {"kind": "error", "error": "is too large to read in the memory available"}
    except Exception as error:  # a parser bug must not stop the other letters
        return {"kind": "error", "error": f"could not be read ({type(error).__name__}: {error})"}


def _index_batch(paths: Sequence[str]) -> list[dict]:
    return [_index_one(path, _worker_catalog, _worker_reading) for path in paths]


def process_context(preload: Sequence[str] = ("viewer.collection", "viewer.tei")):
    """The multiprocessing context for worker processes (indexing, exports).

    Never plain fork: the GUI indexes and exports from a thread, and forking a
    threaded process can deadlock the child. forkserver starts one clean server
    (with ``preload`` imported) and forks workers from it; spawn is the
    portable fallback.
    """
    import multiprocessing  # here, not at the top: the window's start-up never needs it

    methods = multiprocessing.get_all_start_methods()
    method = "forkserver" if "forkserver" in methods else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        with contextlib.suppress(Exception):
            context.set_forkserver_preload(list(preload))
    return context


# --------------------------------------------------------------- the cache


def default_cache_dir() -> Path:
    from viewer.settings import cache_dir

    return cache_dir()


def _parser_fingerprint() -> str:
    """Changes whenever the parsing code does, so that summaries from older code are dropped."""
    import viewer.tei

    parts = [__version__, str(CACHE_FORMAT)]
    package = Path(viewer.tei.__file__).parent
    for source in sorted(package.glob("*.py")):
        with contextlib.suppress(OSError):
            info = source.stat()
            parts.append(f"{source.name}:{info.st_size}:{info.st_mtime_ns}")
    for module in ("model.py", "collection.py"):
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
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = "\0".join(
        [os.path.abspath(folder), reading, *sorted(os.path.abspath(d) for d in register_dirs)]
    )
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return base / CACHE_SUBDIR / f"{digest}.json"


def _load_cache(path: Path, fingerprint: str, notes: list[str]) -> dict:
    try:
        with open(path, "rb") as stream:
            raw = stream.read(MAX_CACHE_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError as error:
        notes.append(
            f"The collection cache {path} could not be read ({error.strerror}); "
            "the folder is read afresh."
        )
        return {}
    try:
        if len(raw) > MAX_CACHE_BYTES:
            raise ValueError("too large")
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            raise ValueError("unknown format")
        files = data["files"]
        registers = data["registers"]
        if not isinstance(files, dict) or not isinstance(registers, dict):
            raise ValueError("bad structure")
    except (ValueError, KeyError, TypeError, UnicodeError, RecursionError) as error:
        notes.append(f"The collection cache {path} was damaged ({error}); it is rebuilt.")
        return {}
    if data.get("parser") != fingerprint:
        return {}  # written by other parsing code: summaries may differ, re-read all
    return data


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
        for name in sorted(files):
            if name.startswith("."):
                continue
            if name.lower().endswith(LETTER_SUFFIXES):
                found.append(os.path.relpath(os.path.join(root, name), folder))
    return found


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
) -> CollectionIndex:
    """Index every letter under ``folder``; see the module docstring.

    ``mode`` is "auto" (processes when there is enough to parse), "process",
    "thread" or "serial". ``catalog`` (a RegisterCatalog) is used by the serial
    and thread modes; processes keep one each. Raises EpistolaError only when
    ``folder`` is not a readable folder.
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
    fingerprint = _parser_fingerprint()
    cache_file = cache_path(folder_str, register_list, reading, cache_dir)
    with paused_gc():
        cache = _load_cache(cache_file, fingerprint, notes) if use_cache else {}
    cached_files: dict = cache.get("files", {})
    cached_registers: dict = cache.get("registers", {})

    def cancelled() -> bool:
        return cancel is not None and bool(cancel())

    relpaths = find_xml_files(folder_str, cancel)
    # Named pipes, sockets and devices called *.xml are never opened (reading
    # a pipe would wait forever): they are reported, not read.
    special: list[FileError] = []
    stamps: dict[str, tuple[int, int] | None] = {}
    for rel in relpaths:
        path = os.path.join(folder_str, rel)
        try:
            info = os.stat(path)
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
        for path, stamp in cached_registers.items()
        if (_stamp(path) or (-1, -1)) != (tuple(stamp) if isinstance(stamp, list) else None)
    }
    folder_registers_before = {
        rel for rel, entry in cached_files.items() if _entry_kind(entry) == "register"
    }
    entries: dict[str, dict] = {}
    decoded: dict[str, tuple[LetterSummary, dict[str, tuple[str, str]]]] = {}
    todo: list[str] = []
    damaged = 0
    with paused_gc():
        for rel in relpaths:
            stamp = stamps[rel]
            entry = cached_files.get(rel)
            if not _entry_fresh(entry, stamp, stale_registers):
                todo.append(rel)
                continue
            if _entry_kind(entry) == "letter":
                try:
                    file = os.path.join(folder_str, rel)
                    decoded[rel] = _summary_from_json(file, entry["letter"])
                except (KeyError, TypeError, ValueError):
                    damaged += 1
                    todo.append(rel)
                    continue
            entries[rel] = entry
    if damaged:
        notes.append(f"{damaged} damaged entries of the collection cache were read afresh.")
    stats.removed = sum(1 for rel in cached_files if rel not in stamps)
    # A register file added, changed or removed in the folder can change how any
    # letter resolves its references: read the letters again.
    changed_register = any(rel in folder_registers_before for rel in todo) or any(
        rel not in stamps for rel in folder_registers_before
    )
    if changed_register:
        for rel in list(entries):
            if _entry_kind(entries[rel]) in ("letter", "error"):
                del entries[rel]
                decoded.pop(rel, None)
                todo.append(rel)
        todo.sort()
    stats.cached = len(entries)

    total = len(relpaths)
    done = len(entries)
    if progress is not None:
        progress(done, total)

    def record(rel: str, result: dict) -> None:
        nonlocal done
        stamp = stamps[rel]
        result["size"], result["mtime"] = stamp if stamp is not None else (-1, -1)
        entries[rel] = result
        done += 1
        stats.parsed += 1
        if progress is not None:
            progress(done, total)

    effective = mode
    if mode == "auto":
        effective = "process" if workers > 1 and len(todo) >= PARALLEL_THRESHOLD else "serial"
    stats.mode = effective

    def run(todo: list[str]) -> bool:
        """Read ``todo``; True when cancelled."""
        nonlocal catalog, effective
        paths = {rel: os.path.join(folder_str, rel) for rel in todo}
        if not todo:
            return False
        if cancelled():
            return True
        if effective == "process":
            outcome = _run_processes(
                todo, paths, record, cancelled, workers, register_list, reading
            )
            if outcome is not None:
                return outcome
            notes.append("Worker processes could not be started; the letters were read here.")
            effective = stats.mode = "serial"
            todo = [rel for rel in todo if rel not in entries]
        if catalog is None:
            from viewer.tei.catalog import RegisterCatalog

            catalog = RegisterCatalog(extra_folders=register_list)
        if effective == "thread":
            return _run_threads(todo, paths, record, cancelled, workers, catalog, reading)
        for rel in todo:
            if cancelled():
                return True
            record(rel, _index_one(paths[rel], catalog, reading))
        return False

    was_cancelled = run(todo)
    # A register file that was not there before can resolve what the cached
    # letters left dangling: read them again too.
    new_registers = [
        rel
        for rel in todo
        if _entry_kind(entries.get(rel)) == "register" and rel not in folder_registers_before
    ]
    if new_registers and not was_cancelled:
        again = sorted(
            rel for rel in decoded if _entry_kind(entries.get(rel)) in ("letter", "error")
        )
        for rel in again:
            del entries[rel]
            del decoded[rel]
        stats.cached -= len(again)
        done -= len(again)
        was_cancelled = run(again)
    if relpaths and cancelled() and done < total:
        was_cancelled = True

    letters: list[LetterSummary] = []
    errors: list[FileError] = list(special)
    meta: dict[str, tuple[str, str]] = {}
    register_stamps: dict[str, list[int]] = {}
    register_errors: dict[str, str] = {}
    for rel in sorted(entries):
        entry = entries[rel]
        file = os.path.join(folder_str, rel)
        kind = _entry_kind(entry)
        if kind == "letter":
            if rel in decoded:
                summary, letter_meta = decoded[rel]
            else:
                summary, letter_meta = _summary_from_json(file, entry["letter"])
            letters.append(summary)
            for entity_id, value in letter_meta.items():
                known = meta.get(entity_id)
                # Prefer a real name over the id itself (a mention with no register entry).
                if known is None or (known[1] == entity_id and value[1] != entity_id):
                    meta[entity_id] = value
            for used in entry.get("uses", ()):
                if used not in register_stamps:
                    stamp = _stamp(used)
                    register_stamps[used] = list(stamp) if stamp is not None else [-1, -1]
            for register_file, message in entry.get("registerErrors", ()):
                register_errors.setdefault(register_file, message)
        elif kind == "error":
            errors.append(FileError(file, str(entry.get("error", "could not be read"))))
        elif kind == "register":
            stats.registers += 1
        else:
            stats.other += 1
    # A register's own problems are reported when the user opened it: named as a
    # register folder, or found in the folder as a register (discovery may also
    # try files beside the folder, and files this index already reported).
    named = [os.path.abspath(d) for d in register_list]
    in_folder = {os.path.join(folder_str, rel): _entry_kind(e) for rel, e in entries.items()}
    for register_file, message in sorted(register_errors.items()):
        kind = in_folder.get(register_file)
        if kind == "register" or (
            kind is None and any(_is_within(register_file, d) for d in named)
        ):
            errors.append(FileError(register_file, f"register file: {message}"))

    if use_cache and (stats.parsed or stats.removed or not cache):
        payload = {
            "format": CACHE_FORMAT,
            "parser": fingerprint,
            "epistola": __version__,
            "folder": os.path.abspath(folder_str),
            "reading": reading,
            "registerDirs": register_list,
            "registers": register_stamps,
            "files": entries,
        }
        try:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(cache_file, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
        except (OSError, ValueError) as error:
            notes.append(f"The collection cache could not be written to {cache_file} ({error}).")
    errors.sort(key=lambda error: error.file)
    # The cache's JSON tree can go before the collection is built (peak memory).
    entries.clear()
    decoded.clear()
    cache = cached_files = {}
    stats.seconds = time.perf_counter() - started
    return CollectionIndex(
        folder_str,
        letters,
        errors,
        meta,
        cancelled=was_cancelled,
        notes=notes,
        stats=stats,
    )


def index_files(
    files: Sequence[str | os.PathLike[str]],
    *,
    register_dirs: Sequence[str | os.PathLike[str]] = (),
    reading: str = "normalised",
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    catalog=None,
) -> CollectionIndex:
    """A collection of the given files (dropped on the window, named on the command line).

    Read here, one after the other and without the cache: a handful of files.
    A file given by name is read as a letter even if it looks like something
    else, so that its problem is reported rather than the file ignored.
    """
    if catalog is None:
        from viewer.tei.catalog import RegisterCatalog

        catalog = RegisterCatalog(extra_folders=[os.fspath(d) for d in register_dirs])
    from viewer.tei import read_letter

    letters: list[LetterSummary] = []
    errors: list[FileError] = []
    meta: dict[str, tuple[str, str]] = {}
    paths = [os.fspath(f) for f in files]
    cancelled = False
    for done, path in enumerate(paths):
        if cancel is not None and cancel():
            cancelled = True
            break
        if progress is not None:
            progress(done, len(paths))
        try:
            letter = read_letter(path, reading=reading, registers=catalog.for_letter(path))
        except EpistolaError as error:
            errors.append(FileError(path, error.message))
            continue
        except (RecursionError, MemoryError, ValueError, TypeError) as error:
            errors.append(FileError(path, f"could not be read ({type(error).__name__})"))
            continue
        summary, letter_meta = summarise(letter, path)
        letters.append(summary)
        for entity_id, value in letter_meta.items():
            meta.setdefault(entity_id, value)
    if progress is not None and not cancelled:
        progress(len(paths), len(paths))
    folder = os.path.commonpath([os.path.abspath(p) for p in paths]) if paths else ""
    return CollectionIndex(folder, letters, errors, meta, cancelled=cancelled)


def _entry_kind(entry: object) -> str | None:
    if isinstance(entry, dict):
        kind = entry.get("kind")
        if kind in ("letter", "register", "other", "error"):
            return kind
    return None


def _entry_fresh(entry: object, stamp: tuple[int, int] | None, stale: set[str]) -> bool:
    if stamp is None or _entry_kind(entry) is None:
        return False
    assert isinstance(entry, dict)
    if (entry.get("size"), entry.get("mtime")) != stamp:
        return False
    uses = entry.get("uses", ())
    return not (isinstance(uses, list) and stale.intersection(uses))


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

    remaining = list(todo)
    batch_size = max(1, min(16, len(todo) // (workers * 8)))
    restarts = 0
    any_result = False
    while remaining:
        try:
            pool = cf.ProcessPoolExecutor(
                max_workers=workers,
                mp_context=process_context(),
                initializer=_init_worker,
                initargs=(register_dirs, reading),
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
        futures = {pool.submit(_index_one, paths[rel], catalog, reading): rel for rel in todo}
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
    "locate",
    "phrase_pattern",
]
