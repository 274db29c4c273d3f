"""The collection's SQLite database: its schema, its safety, and the queries over it.

Owns

* one database per collection (``sqlite3``, WAL, FTS5) in the user cache dir,
  and what happens when that goes wrong: a damaged or foreign file is set
  aside (renamed, never deleted) and rebuilt with a note; a cache dir that
  cannot be written degrades to an in-memory database with a warning;
* the schema: every XML file seen (with size and mtime, so that re-indexing
  touches only what changed), letters, mentions per letter and entity,
  entities merged over the collection, the letters' texts and their
  full-text index, and the register files the letters used;
* writing a batch of indexed files in one transaction (an interrupted index
  keeps every finished batch and resumes from there) and re-deriving the
  merged entities afterwards;
* the read queries the collection and its views page through.

No Qt and no lxml here: rows in, plain tuples out.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from viewer.folding import entity_order_keys, fold_for_index, sort_key

SCHEMA_VERSION = 1
# PRAGMA application_id: tells our databases from any other SQLite file ("Epis").
APPLICATION_ID = 0x45706973
BUSY_TIMEOUT_MS = 15_000
DEFAULT_CHECKPOINT_PAGES = 1000  # SQLite's default WAL size for an automatic checkpoint
BULK_CHECKPOINT_PAGES = 100_000  # while loading an empty database (at most 400 MB of WAL)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS files(
    rel TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, kind TEXT NOT NULL,
    error TEXT, uses TEXT, register_errors TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS letters(
    id INTEGER PRIMARY KEY, rel TEXT UNIQUE NOT NULL, title TEXT NOT NULL,
    date_when TEXT, date_text TEXT NOT NULL, sort_date TEXT NOT NULL,
    senders TEXT NOT NULL, recipients TEXT NOT NULL, mentions INTEGER NOT NULL,
    entities INTEGER NOT NULL, letterheads TEXT,
    sender_key TEXT NOT NULL, recipient_key TEXT NOT NULL, title_key TEXT NOT NULL,
    first_mention INTEGER NOT NULL, last_mention INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS mentions(entity INTEGER NOT NULL, letter INTEGER NOT NULL,
    count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS entities(
    id INTEGER PRIMARY KEY, key TEXT UNIQUE NOT NULL, kind TEXT NOT NULL,
    name TEXT NOT NULL, named INTEGER NOT NULL, letters INTEGER NOT NULL DEFAULT 0,
    mentions INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS entity_order(position INTEGER PRIMARY KEY, entity INTEGER NOT NULL,
    hay TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS letterheads(letter INTEGER NOT NULL, block INTEGER NOT NULL,
    issuer TEXT, title TEXT NOT NULL, printed INTEGER NOT NULL, lines TEXT NOT NULL,
    PRIMARY KEY(letter, block)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS letterheads_issuer ON letterheads(issuer);
CREATE TABLE IF NOT EXISTS texts(letter INTEGER PRIMARY KEY, text TEXT NOT NULL, alt TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS search USING fts5(
    body, alt, content='', tokenize='unicode61 remove_diacritics 0'
);
CREATE TABLE IF NOT EXISTS registers(path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER)
    WITHOUT ROWID;
"""
# Indexes a bulk load builds once at its end (inserting into them row by row
# costs several times more than sorting once).
_LATE_INDEXES = """
CREATE INDEX IF NOT EXISTS mentions_entity ON mentions(entity, letter, count);
CREATE INDEX IF NOT EXISTS letters_date ON letters(sort_date, rel);
CREATE INDEX IF NOT EXISTS letters_sender ON letters(sender_key, sort_date, rel);
CREATE INDEX IF NOT EXISTS letters_recipient ON letters(recipient_key, sort_date, rel);
CREATE INDEX IF NOT EXISTS letters_title ON letters(title_key, rel);
"""

LETTER_COLUMNS = (
    "id, rel, title, date_when, date_text, sort_date, senders, recipients, mentions, "
    "entities, letterheads"
)
ENTITY_COLUMNS = "e.key, e.kind, e.name, e.letters, e.mentions"
SEPARATOR = "\x1f"  # between the names of several senders (never in a name: it is a control)


class ForeignDatabase(sqlite3.DatabaseError):
    """An SQLite file that some other program wrote: never written to, set aside."""


class Store:
    """One collection's database; safe to use from several threads (one connection each)."""

    def __init__(self, path: Path | None, notes: list[str] | None = None) -> None:
        self.notes: list[str] = notes if notes is not None else []
        self.path = path
        self._local = threading.local()
        self._shared: sqlite3.Connection | None = None
        self._shared_lock = threading.RLock()
        if path is None:
            self._shared = self._connect(":memory:", shared=True)
            return
        try:
            self._open_file(path)
        except (sqlite3.Error, OSError) as error:
            self._fall_back_to_memory(path, error)

    # -- opening -----------------------------------------------------------------
    @property
    def in_memory(self) -> bool:
        return self._shared is not None

    def _connect(self, target: str, *, shared: bool = False) -> sqlite3.Connection:
        connection = sqlite3.connect(
            target,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # transactions are explicit (BEGIN IMMEDIATE)
            check_same_thread=not shared,
        )
        try:
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if not _is_ours_inside(connection):
                raise ForeignDatabase(target)
            if target != ":memory:":
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA temp_store=MEMORY")
            connection.execute("PRAGMA cache_size=-16000")  # 16 MB of pages per connection
            _ensure_schema(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _open_file(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if path.exists() and not _is_ours(path):
                raise ForeignDatabase(str(path))
            self._local.connection = self._connect(str(path))
        except ForeignDatabase:
            aside = set_aside(path)
            self.notes.append(
                f"The file {path} was not Epistola's collection database; it was moved to "
                f"{aside.name}, untouched, and the collection is indexed afresh."
            )
            self._local.connection = self._connect(str(path))
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError) and not looks_corrupt(error):
                raise
            aside = set_aside(path)
            self.notes.append(
                f"The collection database {path} was damaged ({error}); it was moved to "
                f"{aside.name} and the collection is indexed afresh."
            )
            self._local.connection = self._connect(str(path))

    def _fall_back_to_memory(self, path: Path, error: BaseException) -> None:
        reason = getattr(error, "strerror", None) or str(error)
        self.notes.append(
            f"The collection database could not be written in {path.parent} ({reason}); "
            "this collection is kept in memory and will be read afresh next time."
        )
        self.path = None
        self._shared = self._connect(":memory:", shared=True)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection (the one shared connection for an in-memory database)."""
        if self._shared is not None:
            return self._shared
        connection = getattr(self._local, "connection", None)
        if connection is None:
            assert self.path is not None
            connection = self._local.connection = self._connect(str(self.path))
        return connection

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        if self._shared is not None:
            with self._shared_lock:
                yield self._shared
        else:
            yield self.connection()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it lands, or none of it (a crash keeps the last)."""
        with self._reading() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    # -- meta ----------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        with self._reading() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, db: sqlite3.Connection, **values: str) -> None:
        db.executemany(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", list(values.items())
        )

    def reset(self, db: sqlite3.Connection) -> None:
        """Drop every row (the parsing code changed: what was read may now read differently)."""
        for table in ("files", "letters", "mentions", "entities", "entity_order", "texts",
                      "letterheads", "registers", "meta"):  # fmt: skip
            db.execute(f"DELETE FROM {table}")
        db.execute("INSERT INTO search(search) VALUES ('delete-all')")

    # -- what is indexed -------------------------------------------------------
    def file_rows(self) -> dict[str, tuple[int, int, str, str]]:
        """rel -> (size, mtime, kind, register files used as JSON) of every file indexed."""
        with self._reading() as db:
            rows = db.execute("SELECT rel, size, mtime, kind, uses FROM files").fetchall()
        return {rel: (size, mtime, kind, uses or "[]") for rel, size, mtime, kind, uses in rows}

    def used_registers(self) -> list[str]:
        """Every register file some letter of the collection used."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT DISTINCT uses FROM files WHERE kind = 'letter' AND uses != '[]'"
            ).fetchall()
        return sorted({path for (raw,) in rows for path in _json_list(raw)})

    def register_stamps(self) -> dict[str, tuple[int, int]]:
        with self._reading() as db:
            rows = db.execute("SELECT path, size, mtime FROM registers").fetchall()
        return {path: (size, mtime) for path, size, mtime in rows}

    # -- writing -----------------------------------------------------------------------
    def writer(self) -> StoreWriter:
        """The one way to change the letters: see :class:`StoreWriter`."""
        return StoreWriter(self)

    def set_registers(self, db: sqlite3.Connection, stamps: dict[str, tuple[int, int]]) -> None:
        db.execute("DELETE FROM registers")
        db.executemany(
            "INSERT INTO registers(path, size, mtime) VALUES (?, ?, ?)",
            [(path, size, mtime) for path, (size, mtime) in stamps.items()],
        )

    @property
    def dirty(self) -> bool:
        """True when letters changed since the merged entities were last derived."""
        return self.meta("dirty") != "0"

    # -- reading: letters ------------------------------------------------------------
    def letter_ids(self) -> list[int]:
        """Every letter's id, in the collection's order (by path)."""
        with self._reading() as db:
            return [row[0] for row in db.execute("SELECT id FROM letters ORDER BY rel")]

    def letter_order(self, order_by: str) -> list[int]:
        """Every letter's id sorted by one of the fixed orders of :data:`LETTER_ORDERS`."""
        key, then = LETTER_ORDERS[order_by]
        with self._reading() as db:
            if not key:
                return [row[0] for row in db.execute(f"SELECT id FROM letters ORDER BY {then}")]
            # Two walks of the order's index: an empty key first would defeat it.
            keyed = db.execute(
                f"SELECT id FROM letters WHERE {key} > '' ORDER BY {key}, {then}"
            ).fetchall()
            empty = db.execute(
                f"SELECT id FROM letters WHERE {key} = '' ORDER BY {then}"
            ).fetchall()
        return [row[0] for row in keyed] + [row[0] for row in empty]

    def letter_rows(self, ids: Sequence[int]) -> dict[int, tuple]:
        """id -> the letter's row (columns: :data:`LETTER_COLUMNS`)."""
        found: dict[int, tuple] = {}
        with self._reading() as db:
            for chunk in _chunks(ids, 500):
                marks = ",".join("?" * len(chunk))
                for row in db.execute(
                    f"SELECT {LETTER_COLUMNS} FROM letters WHERE id IN ({marks})",
                    chunk,
                ):
                    found[row[0]] = row
        return found

    def iter_letter_rows(self) -> Iterator[tuple]:
        """Every letter's row in the collection's order (by path), streamed."""
        with self._reading() as db:
            rows = db.execute(f"SELECT {LETTER_COLUMNS} FROM letters ORDER BY rel").fetchall()
        yield from rows

    def iter_entity_rows(self) -> Iterator[tuple]:
        """Every entity's row in the register's order, streamed."""
        with self._reading() as db:
            rows = db.execute(
                f"SELECT {ENTITY_COLUMNS} FROM entity_order o JOIN entities e ON e.id = o.entity"
                " ORDER BY o.position"
            ).fetchall()
        yield from rows

    def letter_by_rel(self, rel: str) -> tuple | None:
        with self._reading() as db:
            return db.execute(
                f"SELECT {LETTER_COLUMNS} FROM letters WHERE rel = ?",
                (rel,),
            ).fetchone()

    def letter_count(self) -> int:
        with self._reading() as db:
            return db.execute("SELECT count(*) FROM letters").fetchone()[0]

    def letter_entities(self, letter: int) -> dict[str, int]:
        with self._reading() as db:
            return dict(
                db.execute(
                    "SELECT e.key, m.count FROM letters l"
                    " JOIN mentions m ON m.rowid BETWEEN l.first_mention AND l.last_mention"
                    " JOIN entities e ON e.id = m.entity WHERE l.id = ?",
                    (letter,),
                )
            )

    def letterhead_rows(self) -> list[tuple[str, str, str]]:
        """(rel, sort_date, [letterhead rows]) of the letters that carry a letterhead.

        A letterhead row is [issuer, title, printed, lines], as
        ``LetterheadRecord.from_json`` reads it.
        """
        with self._reading() as db:
            rows = db.execute(
                "SELECT l.rel, l.sort_date, h.issuer, h.title, h.printed, h.lines"
                " FROM letterheads h JOIN letters l ON l.id = h.letter ORDER BY l.rel, h.block"
            ).fetchall()
        found: list[tuple[str, str, list]] = []
        for rel, sort_date, issuer, title, printed, lines in rows:
            if not found or found[-1][0] != rel:
                found.append((rel, sort_date, []))
            found[-1][2].append([issuer, title, bool(printed), _json_list(lines)])
        return found

    def text(self, letter: int) -> tuple[str, str | None] | None:
        with self._reading() as db:
            return db.execute("SELECT text, alt FROM texts WHERE letter = ?", (letter,)).fetchone()

    # -- reading: entities ---------------------------------------------------------
    def entity_count(self) -> int:
        with self._reading() as db:
            return db.execute("SELECT count(*) FROM entity_order").fetchone()[0]

    def entity_rows(self, low: int, high: int) -> list[tuple]:
        """Entities at positions [low, high) (columns: :data:`ENTITY_COLUMNS`)."""
        with self._reading() as db:
            return db.execute(
                f"SELECT {ENTITY_COLUMNS} FROM entity_order o JOIN entities e ON e.id = o.entity"
                " WHERE o.position >= ? AND o.position < ? ORDER BY o.position",
                (low, high),
            ).fetchall()

    def entity_by_key(self, key: str) -> tuple | None:
        with self._reading() as db:
            return db.execute(
                f"SELECT {ENTITY_COLUMNS} FROM entities e WHERE e.key = ?", (key,)
            ).fetchone()

    def entity_hays(self) -> list[str]:
        """Every entity's folded name and id, in position order (the register search's rows)."""
        with self._reading() as db:
            return [row[0] for row in db.execute("SELECT hay FROM entity_order ORDER BY position")]

    def kind_counts(self) -> list[tuple[str, int, int]]:
        """(kind, first position, count) of each kind."""
        with self._reading() as db:
            return db.execute(
                "SELECT e.kind, min(o.position), count(*) FROM entity_order o"
                " JOIN entities e ON e.id = o.entity GROUP BY e.kind ORDER BY min(o.position)"
            ).fetchall()

    def letters_naming(self, keys: Sequence[str], match_all: bool) -> list[tuple[int, int]]:
        """(letter id, its mentions of ``keys``) of letters naming all/any of ``keys``."""
        marks = ",".join("?" * len(keys))
        with self._reading() as db:
            ids = [
                row[0]
                for row in db.execute(f"SELECT id FROM entities WHERE key IN ({marks})", list(keys))
            ]
            if not ids or (match_all and len(ids) < len(keys)):
                return []
            if len(ids) == 1:
                return db.execute(
                    "SELECT letter, count FROM mentions WHERE entity = ?", (ids[0],)
                ).fetchall()
            marks = ",".join("?" * len(ids))
            having = f" HAVING count(*) = {len(ids)}" if match_all else ""
            return db.execute(
                f"SELECT letter, sum(count) FROM mentions WHERE entity IN ({marks})"
                f" GROUP BY letter{having}",
                ids,
            ).fetchall()

    def entity_letter_rels(self, key: str) -> list[str]:
        with self._reading() as db:
            return [
                row[0]
                for row in db.execute(
                    "SELECT l.rel FROM entities e JOIN mentions m ON m.entity = e.id"
                    " JOIN letters l ON l.id = m.letter WHERE e.key = ? ORDER BY l.rel",
                    (key,),
                )
            ]

    def entity_letter_lists(self, prefix: str = "") -> dict[str, list[str]]:
        """Entity key -> ``prefix + rel`` of each letter naming it, by path (``--index``).

        The mention rows are read as they lie and grouped here: ordering them
        all by key and path in SQL sorts every row of the table (seconds at
        20,000 letters), where each entity's few paths sort in a moment.
        """
        with self._reading() as db:
            files = {
                letter: prefix + rel for letter, rel in db.execute("SELECT id, rel FROM letters")
            }
            keys = dict(db.execute("SELECT id, key FROM entities"))
            named_in: dict[int, list[str]] = {}
            for entity, letter in db.execute("SELECT entity, letter FROM mentions"):
                found = named_in.get(entity)
                if found is None:
                    named_in[entity] = [files[letter]]
                else:
                    found.append(files[letter])
        # Paths compare as SQL's BINARY collation compares them: UTF-8 bytes keep the
        # order of code points.
        return {keys[entity]: sorted(paths) for entity, paths in named_in.items()}

    # -- reading: full text ----------------------------------------------------------
    def search_candidates_after(self, match: str, after: int, limit: int) -> list[int]:
        """Like :meth:`search_candidates`, in id order: the first ``limit`` ids above ``after``."""
        with self._reading() as db:
            try:
                return [
                    row[0]
                    for row in db.execute(
                        "SELECT rowid FROM search(?) WHERE rowid > ? ORDER BY rowid LIMIT ?",
                        (match, after, limit),
                    )
                ]
            except sqlite3.OperationalError:
                return []

    def search_candidates(self, match: str) -> list[int]:
        """Ids of the letters whose text (either reading) holds every term of ``match``."""
        with self._reading() as db:
            try:
                return [row[0] for row in db.execute("SELECT rowid FROM search(?)", (match,))]
            except sqlite3.OperationalError:  # a query FTS5 cannot parse: no candidates
                return []

    def texts(self, ids: Sequence[int]) -> dict[int, tuple[str, str | None]]:
        """id -> (text, other reading's text or None) of these letters."""
        found: dict[int, tuple[str, str | None]] = {}
        with self._reading() as db:
            for chunk in _chunks(ids, 500):
                marks = ",".join("?" * len(chunk))
                for letter, text, alt in db.execute(
                    f"SELECT letter, text, alt FROM texts WHERE letter IN ({marks})",
                    chunk,
                ):
                    found[letter] = (text, alt)
        return found

    # -- copying -----------------------------------------------------------------------
    def file_rels(self) -> list[str]:
        with self._reading() as db:
            return [row[0] for row in db.execute("SELECT rel FROM files ORDER BY rel")]

    def record(self, rel: str) -> tuple[tuple[int, int], dict] | None:
        """The stamp and record :meth:`put` stored for ``rel`` (to copy it elsewhere)."""
        with self._reading() as db:
            row = db.execute(
                "SELECT size, mtime, kind, error, uses, register_errors FROM files WHERE rel = ?",
                (rel,),
            ).fetchone()
            if row is None:
                return None
            size, mtime, kind, error, uses, register_errors = row
            record: dict = {"kind": kind, "uses": _json_list(uses)}
            record["registerErrors"] = _json_list(register_errors)
            if error is not None:
                record["error"] = error
            letter = db.execute(
                f"SELECT {LETTER_COLUMNS} FROM letters WHERE rel = ?",
                (rel,),
            ).fetchone()
            if kind == "letter" and letter is not None:
                letter_id = letter[0]
                entities = [
                    list(r)
                    for r in db.execute(
                        "SELECT e.key, m.count, e.kind, e.name FROM mentions m"
                        " JOIN entities e ON e.id = m.entity WHERE m.letter = ?"
                        " ORDER BY m.rowid",
                        (letter_id,),
                    )
                ]
                text = db.execute(
                    "SELECT text, alt FROM texts WHERE letter = ?", (letter_id,)
                ).fetchone() or ("", None)
                record["letter"] = {
                    "title": letter[2],
                    "when": letter[3],
                    "dateText": letter[4],
                    "sortDate": letter[5],
                    "senders": letter[6].split(SEPARATOR) if letter[6] else [],
                    "recipients": letter[7].split(SEPARATOR) if letter[7] else [],
                    "mentions": letter[8],
                    "entities": entities,
                    "text": text[0],
                    "altText": text[1],
                    "letterheads": _json_list(letter[10]),
                }
        return (size, mtime), record

    def copy_to_memory(self) -> Store:
        """A copy of this database in memory (for a collection that adds files of its own)."""
        copy = Store(None)
        with self._reading() as source:
            source.backup(copy.connection())
        return copy

    # -- errors ------------------------------------------------------------------------
    def error_rows(self) -> list[tuple[str, str]]:
        with self._reading() as db:
            return db.execute(
                "SELECT rel, error FROM files WHERE kind = 'error' ORDER BY rel"
            ).fetchall()

    def register_error_rows(self) -> list[tuple[str, str]]:
        with self._reading() as db:
            rows = db.execute(
                "SELECT register_errors FROM files"
                " WHERE kind = 'letter' AND register_errors != '[]'"
            ).fetchall()
        found: list[tuple[str, str]] = []
        for (raw,) in rows:
            for item in _json_list(raw):
                if isinstance(item, list) and len(item) == 2:
                    found.append((str(item[0]), str(item[1])))
        return found

    def kind_totals(self) -> dict[str, int]:
        """How many files of each kind (letter, register, other, error) are indexed."""
        with self._reading() as db:
            return dict(db.execute("SELECT kind, count(*) FROM files GROUP BY kind"))


class StoreWriter:
    """Changes to one collection's letters, a batch per transaction, then :meth:`finish`.

    Each batch lands whole or not at all, with the entities its letters name
    (their kind and name); the entities' letter and mention counts and the
    register's order are derived once, by :meth:`finish`. A run killed before
    that leaves the database marked dirty, and the next run derives them.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._entities: dict[str, list] | None = None  # key -> [id, named, name]
        self._next_entity = 0
        self._names_changed = False
        self._bulk = False
        self._version: int | None = None
        # Files this writer stored in a bulk load no other process wrote to: any other
        # file is known not to be in the database (no look for a letter to replace).
        self._stored: set[str] | None = None

    def _entity_ids(self, db: sqlite3.Connection) -> dict[str, list]:
        # Another process (a second window) may have written since this one's last
        # batch: its entities are then read again, so that ids never collide.
        version = db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version:
            self._entities = None
            self._version = version
            self._stored = None  # another process wrote: look before storing
        if self._entities is None:
            self._entities = {
                key: [entity_id, named, name]
                for entity_id, key, named, name in db.execute(
                    "SELECT id, key, named, name FROM entities"
                )
            }
            self._next_entity = 1 + (db.execute("SELECT max(id) FROM entities").fetchone()[0] or 0)
            # Loading an empty collection: build the indexes once at the end instead.
            if not db.execute("SELECT 1 FROM letters LIMIT 1").fetchone():
                db.execute("DROP INDEX IF EXISTS mentions_entity")
                for name in (
                    "letters_date",
                    "letters_sender",
                    "letters_recipient",
                    "letters_title",
                ):
                    db.execute(f"DROP INDEX IF EXISTS {name}")
                self._bulk = True
                self._stored = set()
                # A checkpoint copies the WAL's pages into the database: during a bulk
                # load, once at the end (finish) rather than every thousand pages, as
                # the same pages (indexes, full-text segments) change batch after batch.
                db.execute(f"PRAGMA wal_autocheckpoint={BULK_CHECKPOINT_PAGES}")
        return self._entities

    def remove(self, db: sqlite3.Connection, rels: Iterable[str]) -> None:
        """Forget these files (gone from disk, or about to be stored again)."""
        for rel in rels:
            self._remove_letter(db, rel)
            db.execute("DELETE FROM files WHERE rel = ?", (rel,))

    def _remove_letter(self, db: sqlite3.Connection, rel: str) -> bool:
        row = db.execute(
            "SELECT id, first_mention, last_mention FROM letters WHERE rel = ?", (rel,)
        ).fetchone()
        if row is None:
            return False
        letter, first, last = row
        text = db.execute("SELECT text, alt FROM texts WHERE letter = ?", (letter,)).fetchone()
        if text is not None:
            db.execute(
                "INSERT INTO search(search, rowid, body, alt) VALUES ('delete', ?, ?, ?)",
                (letter, fold_for_index(text[0]), fold_for_index(text[1] or "")),
            )
        db.execute("DELETE FROM texts WHERE letter = ?", (letter,))
        db.execute("DELETE FROM letterheads WHERE letter = ?", (letter,))
        db.execute("DELETE FROM mentions WHERE rowid BETWEEN ? AND ?", (first, last))
        db.execute("DELETE FROM letters WHERE id = ?", (letter,))
        self._mark_dirty(db)
        return True

    @staticmethod
    def _mark_dirty(db: sqlite3.Connection) -> None:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('dirty', '1')")

    def put_many(self, db: sqlite3.Connection, items: Sequence[tuple[str, tuple[int, int], dict]]):
        """Store indexed files, each (rel, (size, mtime), record), replacing what was there.

        A record is the dict :mod:`viewer.collection` makes of a file: its kind,
        and for a letter its fields, text and entities ([id, count, kind, name]).
        """
        entities = self._entity_ids(db)
        known = db.execute("SELECT 1 FROM letters LIMIT 1").fetchone() is not None
        # A letter read again (it or its register changed) names its entities as
        # they read now; otherwise the first letter to give a real name keeps it.
        stored = self._stored
        reread = {
            rel
            for rel, _stamp, _record in items
            if known and (stored is None or rel in stored) and self._remove_letter(db, rel)
        }
        if stored is not None:
            stored.update(rel for rel, _stamp, _record in items)
        db.executemany(
            "INSERT OR REPLACE INTO files(rel, size, mtime, kind, error, uses, register_errors)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    rel,
                    stamp[0],
                    stamp[1],
                    record.get("kind"),
                    record.get("error"),
                    _json_or_empty(record.get("uses")),
                    _json_or_empty(record.get("registerErrors")),
                )
                for rel, stamp, record in items
            ],
        )
        letters = [
            (rel, record["letter"])
            for rel, _stamp, record in items
            if record.get("kind") == "letter"
        ]
        if not letters:
            return
        next_letter = 1 + (db.execute("SELECT max(id) FROM letters").fetchone()[0] or 0)
        next_mention = 1 + (db.execute("SELECT max(rowid) FROM mentions").fetchone()[0] or 0)
        letter_rows, mention_rows, text_rows, search_rows = [], [], [], []
        letterhead_rows = []
        new_entities, renamed = [], []
        for letter_id, (rel, data) in enumerate(letters, start=next_letter):
            first = next_mention
            again = rel in reread
            for key, count, kind, name in data["entities"]:
                named = name != key
                found = entities.get(key)
                if found is None:
                    found = entities[key] = [self._next_entity, named, name]
                    new_entities.append((self._next_entity, key, kind, name, named))
                    self._next_entity += 1
                elif named and (not found[1] or (again and found[2] != name)):
                    # A real name for what was only an id so far, or a new reading.
                    found[1], found[2] = True, name
                    renamed.append((kind, name, found[0]))
                mention_rows.append((next_mention, found[0], letter_id, count))
                next_mention += 1
            keys = data.get("keys") or [
                sort_key("; ".join(data["senders"])),
                sort_key("; ".join(data["recipients"])),
                sort_key(data["title"]),
            ]
            letterheads = data.get("letterheads") or None
            letter_rows.append(
                (
                    letter_id,
                    rel,
                    data["title"],
                    data["when"],
                    data["dateText"],
                    data["sortDate"],
                    SEPARATOR.join(data["senders"]),
                    SEPARATOR.join(data["recipients"]),
                    int(data["mentions"]),
                    len(data["entities"]),
                    json.dumps(letterheads, ensure_ascii=False) if letterheads else None,
                    *keys,
                    first,
                    next_mention - 1,
                )
            )
            for block, (issuer, title, printed, lines) in enumerate(letterheads or ()):
                letterhead_rows.append(
                    (letter_id, block, issuer, title, bool(printed), json.dumps(lines))
                )
            alt = data.get("altText") or None
            text_rows.append((letter_id, data["text"], alt))
            search_rows.append(
                (
                    letter_id,
                    data.get("folded") or fold_for_index(data["text"]),
                    data.get("altFolded") or fold_for_index(alt or ""),
                )
            )
        if new_entities or renamed:
            self._names_changed = True
        db.executemany(
            "INSERT INTO entities(id, key, kind, name, named) VALUES (?, ?, ?, ?, ?)", new_entities
        )
        db.executemany("UPDATE entities SET kind = ?, name = ?, named = 1 WHERE id = ?", renamed)
        db.executemany(
            "INSERT INTO letters(id, rel, title, date_when, date_text, sort_date, senders,"
            " recipients, mentions, entities, letterheads, sender_key, recipient_key, title_key,"
            " first_mention, last_mention) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            letter_rows,
        )
        db.executemany(
            "INSERT INTO mentions(rowid, entity, letter, count) VALUES (?, ?, ?, ?)", mention_rows
        )
        db.executemany("INSERT INTO texts(letter, text, alt) VALUES (?, ?, ?)", text_rows)
        db.executemany(
            "INSERT INTO letterheads(letter, block, issuer, title, printed, lines)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            letterhead_rows,
        )
        db.executemany("INSERT INTO search(rowid, body, alt) VALUES (?, ?, ?)", search_rows)
        self._mark_dirty(db)

    def finish(self) -> None:
        """Derive the entities' counts and the register's order from the letters."""
        store = self.store
        if not self._bulk and store.meta("dirty") == "0":
            return  # nothing changed: no write transaction, no lock taken
        if self._bulk:
            # Back to SQLite's default: this transaction's commit checkpoints the load.
            store.connection().execute(f"PRAGMA wal_autocheckpoint={DEFAULT_CHECKPOINT_PAGES}")
        with store.transaction() as db:
            self._derive(db)
        if self._bulk and not store.in_memory:
            # The WAL file keeps the size the load gave it until truncated.
            store.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _derive(self, db: sqlite3.Connection) -> None:
        for statement in _LATE_INDEXES.strip().split(";"):
            if statement.strip():
                db.execute(statement)
        if db.execute("SELECT value FROM meta WHERE key = 'dirty'").fetchone() == ("0",):
            return
        db.execute("DROP TABLE IF EXISTS temp.tally")
        db.execute(
            "CREATE TEMP TABLE tally AS SELECT entity, count(*) AS n, sum(count) AS m"
            " FROM mentions GROUP BY entity"
        )
        db.execute(
            "UPDATE entities SET letters = tally.n, mentions = tally.m FROM tally"
            " WHERE tally.entity = entities.id"
        )
        gone = db.execute(
            "DELETE FROM entities WHERE id NOT IN (SELECT entity FROM tally)"
        ).rowcount
        db.execute("DROP TABLE temp.tally")
        ordered = db.execute("SELECT count(*) FROM entity_order").fetchone()[0]
        total = db.execute("SELECT count(*) FROM entities").fetchone()[0]
        if gone or self._names_changed or ordered != total:
            rows = db.execute("SELECT id, key, kind, name FROM entities").fetchall()
            keys, hays = entity_order_keys(rows)
            order = sorted(range(len(rows)), key=keys.__getitem__)
            db.execute("DELETE FROM entity_order")
            db.executemany(
                "INSERT INTO entity_order(position, entity, hay) VALUES (?, ?, ?)",
                [(position, rows[i][0], hays[i]) for position, i in enumerate(order)],
            )
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('dirty', '0')")


# Each order as (key column, what sorts letters with the same key): letters
# with an empty key come last; every order has an index to walk.
LETTER_ORDERS = {
    "path": ("", "rel"),
    "date": ("sort_date", "rel"),
    "sender": ("sender_key", "sort_date, rel"),
    "recipient": ("recipient_key", "sort_date, rel"),
    "title": ("title_key", "rel"),
}


# ------------------------------------------------------------------ helpers


def _ensure_schema(connection: sqlite3.Connection) -> None:
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version not in (0, SCHEMA_VERSION):
        raise sqlite3.DatabaseError(f"schema version {version}, this Epistola reads 1")
    connection.executescript(
        f"BEGIN IMMEDIATE; {_SCHEMA}"
        f" PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
        " COMMIT;"
    )


def _is_ours_inside(connection: sqlite3.Connection) -> bool:
    """True when the open database is ours or still empty.

    One statement, so one snapshot: read apart, another process creating the
    schema between the two reads made a fresh database look foreign.
    """
    application_id, tables = connection.execute(
        "SELECT (SELECT application_id FROM pragma_application_id()),"
        " (SELECT count(*) FROM sqlite_master)"
    ).fetchone()
    return application_id == APPLICATION_ID or (application_id == 0 and tables == 0)


def _is_ours(path: Path) -> bool:
    """False only for a complete SQLite header naming another program.

    Anything else (empty, short, not SQLite) is left to SQLite, which reads
    under its own locks and so never sees another process's half-written
    page: a header read here without them could.
    """
    try:
        with open(path, "rb") as stream:
            header = stream.read(100)
    except OSError:
        return True  # let sqlite report it
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        return True
    return int.from_bytes(header[68:72], "big") in (0, APPLICATION_ID)


def looks_corrupt(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return any(word in text for word in ("malformed", "not a database", "corrupt", "schema"))


def set_aside(path: Path) -> Path:
    """Rename ``path`` (and its WAL files) to a dated name beside it; never delete."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.stem}.damaged-{stamp}-{n}{path.suffix}")
    os.replace(path, aside)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        with contextlib.suppress(OSError):
            os.replace(side, Path(f"{aside}{suffix}"))
    return aside


def _json_or_empty(items: list | None) -> str:
    return json.dumps(items, ensure_ascii=False) if items else "[]"


def _json_list(raw: object) -> list:
    if not isinstance(raw, str):
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _chunks(items: Sequence[int], size: int) -> Iterator[list[int]]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]
