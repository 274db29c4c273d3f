"""CSV spreadsheets of a folder of letters: one row per entity, or one row per letter.

UTF-8 with a byte-order mark (so that Excel reads it as UTF-8; LibreOffice
and Python's ``csv`` with ``utf-8-sig`` take it as well), a header row,
every text cell quoted when it needs to be. A cell that starts with ``=``,
``+``, ``-``, ``@`` (or a tab or carriage return) would run as a formula in
a spreadsheet: it gets a leading apostrophe, which spreadsheets show as
text and never evaluate (:func:`neutralise`). Numbers are written as numbers.

Letters are read whole (their mentions are counted), one after the other,
with the register files found beside them.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from viewer.collection import find_xml_files
from viewer.errors import EpistolaError
from viewer.model import Letter

KINDS = ("entities", "letters")
ENTITY_COLUMNS = ("id", "kind", "name", "variants", "authority", "letters", "mentions")
LETTER_COLUMNS = (
    "file",
    "date",
    "sender",
    "recipient",
    "places",
    "title",
    "mentions",
    "letterhead issuer",
)
SEPARATOR = "; "  # between several values in one cell
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]


def neutralise(value: str) -> str:
    """``value``, made safe to open in a spreadsheet: never read as a formula."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


@dataclass
class CsvResult:
    data: bytes
    rows: int
    errors: list[tuple[str, str]] = field(default_factory=list)  # (file, message)


@dataclass
class _EntityRow:
    kind: str
    name: str
    variants: list[str]
    authority: list[str]
    letters: int = 0
    mentions: int = 0


def read_letters(
    folder: str | os.PathLike[str],
    *,
    register_dirs: Sequence[str | os.PathLike[str]] = (),
    reading: str = "normalised",
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> tuple[list[Letter], list[tuple[str, str]]]:
    """The letters under ``folder`` in path order, and (file, message) for those unreadable."""
    from viewer.tei import read_letter
    from viewer.tei.catalog import RegisterCatalog
    from viewer.tei.classify import LETTER, classify

    root = os.fspath(folder)
    if not os.path.isdir(root):
        raise EpistolaError("is not a folder", root)
    catalog = RegisterCatalog(extra_folders=register_dirs)
    files = find_xml_files(root)
    letters: list[Letter] = []
    errors: list[tuple[str, str]] = []
    for done, relative in enumerate(files):
        if cancel is not None and cancel():
            break
        path = os.path.join(root, relative)
        if classify(path) == LETTER:
            try:
                letters.append(
                    read_letter(path, reading=reading, registers=catalog.for_letter(path))
                )
            except EpistolaError as error:
                errors.append((path, error.message))
            except (RecursionError, MemoryError, ValueError) as error:
                errors.append((path, f"could not be read ({type(error).__name__})"))
        if progress is not None:
            progress(done + 1, len(files))
    return letters, errors


def _table(columns: Sequence[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutralise(v) if isinstance(v, str) else v for v in row])
    # A file name that is not UTF-8 (surrogate escapes) stays visible as \udcxx.
    return buffer.getvalue().encode("utf-8-sig", "backslashreplace")


def entities_csv(letters: Sequence[Letter]) -> bytes:
    """One row per entity (the same id in several letters is one entity), by kind and name."""
    return _table(ENTITY_COLUMNS, _entity_rows(letters))


def _entity_rows(letters: Sequence[Letter]) -> list[list[object]]:
    merged: dict[str, _EntityRow] = {}
    for letter in letters:
        named: dict[str, int] = dict.fromkeys(letter.letterhead_entities(), 0)
        for party in (*letter.senders, *letter.recipients, *letter.places):
            named.update((e, 0) for e in party.entities if e not in named)
        named.update(letter.mention_counts())
        for entity_id, count in named.items():
            entity = letter.entity(entity_id)
            row = merged.get(entity_id)
            if row is None:
                row = merged[entity_id] = _EntityRow(
                    kind=entity.kind if entity else "other",
                    name=entity.name if entity else entity_id,
                    variants=list(entity.variants) if entity else [],
                    authority=list(entity.authority) if entity else [],
                )
            elif entity is not None:
                row.variants.extend(v for v in entity.variants if v not in row.variants)
                row.authority.extend(a for a in entity.authority if a not in row.authority)
            row.letters += 1
            row.mentions += count
    ordered = sorted(merged.items(), key=lambda item: (item[1].kind, item[1].name.casefold()))
    rows: list[list[object]] = [
        [
            entity_id,
            row.kind,
            row.name,
            SEPARATOR.join(row.variants),
            " ".join(row.authority),
            row.letters,
            row.mentions,
        ]
        for entity_id, row in ordered
    ]
    return rows


def _relative(file: str, folder: str | None) -> str:
    if folder is None:
        return file
    try:
        return Path(os.path.relpath(file, folder)).as_posix()
    except ValueError:
        return file


def letters_csv(letters: Sequence[Letter], folder: str | os.PathLike[str] | None = None) -> bytes:
    """One row per letter, in the order given; ``file`` relative to ``folder`` when given."""
    return _table(LETTER_COLUMNS, _letter_rows(letters, folder))


def _letter_rows(
    letters: Sequence[Letter], folder: str | os.PathLike[str] | None
) -> list[list[object]]:
    base = os.fspath(folder) if folder is not None else None
    rows: list[list[object]] = []
    for letter in letters:
        date = letter.date
        shown_date = ""
        if date is not None:
            shown_date = date.when or (
                f"{date.not_before or '?'}/{date.not_after or '?'}"
                if date.not_before or date.not_after
                else date.text
            )
        rows.append(
            [
                _relative(letter.file, base),
                shown_date,
                SEPARATOR.join(p.name for p in letter.senders if p.name),
                SEPARATOR.join(p.name for p in letter.recipients if p.name),
                SEPARATOR.join(p.name for p in letter.places if p.name),
                letter.title,
                len(letter.mentions) + len(letter.line_references),
                SEPARATOR.join(_issuers(letter)),
            ]
        )
    return rows


def _issuers(letter: Letter) -> list[str]:
    """Whose stationery the letter is written on: each letterhead's issuer, by name, once."""
    names: list[str] = []
    for section in letter.letterhead:
        if section.issuer is None:
            continue
        entity = letter.entity(section.issuer)
        name = entity.name if entity is not None else section.issuer
        if name not in names:
            names.append(name)
    return names


def export_csv(
    kind: str,
    folder: str | os.PathLike[str],
    *,
    register_dirs: Sequence[str | os.PathLike[str]] = (),
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> CsvResult:
    """The ``kind`` ("entities" or "letters") CSV of the letters under ``folder``."""
    if kind not in KINDS:
        raise EpistolaError(f"unknown CSV kind {kind!r} (use one of {', '.join(KINDS)})")
    letters, errors = read_letters(
        folder, register_dirs=register_dirs, progress=progress, cancel=cancel
    )
    if not letters:
        detail = f" ({len(errors)} file(s) could not be read)" if errors else ""
        raise EpistolaError(f"holds no letters to export{detail}", os.fspath(folder))
    if kind == "entities":
        rows = _entity_rows(letters)
        return CsvResult(_table(ENTITY_COLUMNS, rows), len(rows), errors)
    rows = _letter_rows(letters, folder)
    return CsvResult(_table(LETTER_COLUMNS, rows), len(rows), errors)
