"""The floor of cold indexing: what the database alone costs, against a bare lxml parse.

Run from the checkout's root:

    python tests/bench/bench_index_floor.py [--letters 5000] [--schnitzler 4420] [--runs 3]

Issue #11 sets cold indexing against a bare lxml parse of the same files: 20,000
generated letters at most 3x (both on two processes), the Schnitzler look-alike at
most 1.5x a bare single-process pass (the index may use two processes). This
script asks how much of that budget the index's storage takes before any
extraction happens, in one process, CPU time (steadier than wall time on a shared
machine), each step measured in turn, round by round (medians of ``--runs``):

* ``bare``: ``etree.parse`` of every file (the issue's baseline);
* ``parse + text``: the parse, then the letter's text as libxml2 writes it in one
  C call (``tostring(method="text")`` of the ``body`` element): the cheapest text
  there is, cheaper than the reader's (which also has the notes, front and back
  matter but not the register lists);
* ``raw SQL``: that, with each letter's references counted by one compiled
  XPath (C), stored by the least any SQLite design of the issue's tables does:
  one row per letter and per mention, the text (for the hits' context) and
  its FTS5 row (the folded text), plain ``executemany`` in batches of 250, no
  entity table, no secondary index;
* ``raw SQL, reader's text``: the same, with the text the reader shows (whose
  offsets the search's hits give) from the index's single XSLT pass
  (``viewer.tei.extract.search_text``) instead of libxml2's plain text;
* ``floor``: the same extraction stored through the index's own ``StoreWriter``
  (letters, entities, mentions, the text and its folded form for FTS5, in
  batches of 250 as the index does), then ``finish`` (the late indexes, the
  entities' counts and order);
* ``index``: the real cold index, read in this process (``index_folder``,
  serial).

With ``--instructions`` each step runs once in a process of its own under
valgrind's callgrind, which counts the instructions it executes (less those of
a process that only starts and lists the files): counts, unlike times, repeat
whatever else the machine runs. Use small collections (``--letters 300
--schnitzler 150``): callgrind runs about fifty times slower.

``floor`` leaves out everything else the index must do: the reader's text
(line breaks, notes, readings), metadata, entity names and kinds from the
registers, letterheads, register discovery. With two cores and no serial
part at all, a ratio to ``bare`` of R means at best R/2 in wall
time against a single-process parse, and R against a two-process one.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "bench"))

from bench_collection import write_scale_collection, write_schnitzler_lookalike  # noqa: E402
from lxml import etree  # noqa: E402

from viewer.collection import index_folder, prepared  # noqa: E402
from viewer.folding import fold_for_index  # noqa: E402
from viewer.store import Store  # noqa: E402
from viewer.tei.extract import search_text  # noqa: E402

BATCH = 250
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_BODY = etree.XPath("/*/*[local-name()='text'][1]/*[local-name()='body'][1]")
_TITLE = etree.XPath("string(/*/*[local-name()='teiHeader']//*[local-name()='title'][1])")
_REFERENCES = etree.XPath("/*/*[local-name()='text']//@ref", smart_strings=False)


def bare(files: list[str], _scratch: Path) -> None:
    for path in files:
        etree.parse(path, _PARSER)


def _parsed_text(path: str) -> tuple[etree._ElementTree, str]:
    tree = etree.parse(path, _PARSER)
    found = _BODY(tree)
    return tree, etree.tostring(found[0], method="text", encoding="unicode") if found else ""


def parse_and_text(files: list[str], _scratch: Path) -> None:
    for path in files:
        _parsed_text(path)


def _record(tree: etree._ElementTree, text: str) -> dict:
    counts = Counter(str(ref).lstrip("#") for ref in _REFERENCES(tree))
    title = _TITLE(tree)
    return prepared(
        {
            "title": title,
            "when": None,
            "dateText": "",
            "sortDate": "",
            "senders": [],
            "recipients": [],
            "mentions": sum(counts.values()),
            "entities": [[key, count, "person", key] for key, count in counts.items()],
            "text": text,
        }
    )


def floor(files: list[str], scratch: Path) -> None:
    folder = scratch / "floor"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    store = Store(folder / "floor.sqlite")
    writer = store.writer()
    batch = []
    for number, path in enumerate(files):
        tree, text = _parsed_text(path)
        record = _record(tree, text)
        batch.append((path, (number, number), {"kind": "letter", "letter": record}))
        if len(batch) == BATCH or number == len(files) - 1:
            with store.transaction() as db:
                writer.put_many(db, batch)
            batch = []
    writer.finish()
    store.close()


_RAW_SCHEMA = """
CREATE TABLE letters(id INTEGER PRIMARY KEY, rel TEXT, title TEXT, mentions INTEGER);
CREATE TABLE mentions(entity TEXT, letter INTEGER, count INTEGER);
CREATE TABLE texts(letter INTEGER PRIMARY KEY, text TEXT);
CREATE VIRTUAL TABLE search USING fts5(
    body, alt, content='', tokenize='unicode61 remove_diacritics 0');
"""


def raw_sql(files: list[str], scratch: Path, text_of=None) -> None:
    path = scratch / "raw.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_RAW_SCHEMA)
    for start in range(0, len(files), BATCH):
        letters, mentions, texts, search = [], [], [], []
        for number, path_name in enumerate(files[start : start + BATCH], start=start):
            tree, text = _parsed_text(path_name)
            if text_of is not None:
                text = text_of(tree)
            counts = Counter(_REFERENCES(tree))
            letters.append((number, path_name, _TITLE(tree), sum(counts.values())))
            mentions.extend((key, number, count) for key, count in counts.items())
            texts.append((number, text))
            search.append((number, fold_for_index(text), ""))
        db.execute("BEGIN")
        db.executemany("INSERT INTO letters VALUES (?, ?, ?, ?)", letters)
        db.executemany("INSERT INTO mentions VALUES (?, ?, ?)", mentions)
        db.executemany("INSERT INTO texts VALUES (?, ?)", texts)
        db.executemany("INSERT INTO search(rowid, body, alt) VALUES (?, ?, ?)", search)
        db.execute("COMMIT")
    db.close()


def raw_sql_reader_text(files: list[str], scratch: Path) -> None:
    raw_sql(files, scratch, lambda tree: search_text(tree, "normalised", letterheads=False))


def index(files: list[str], scratch: Path) -> None:
    cache = scratch / "index-cache"
    shutil.rmtree(cache, ignore_errors=True)
    index_folder(Path(files[0]).parents[1], cache_dir=cache, workers=1, mode="serial").close()


STEPS = (
    ("bare", bare),
    ("parse + text", parse_and_text),
    ("raw SQL", raw_sql),
    ("raw SQL, reader's text", raw_sql_reader_text),
    ("floor", floor),
    ("index", index),
)


def _child(step: str, folder: str, scratch: str) -> None:
    """One step over ``folder``'s letters (``none``: only the start and the listing)."""
    files = sorted(str(p) for p in Path(folder).rglob("*.xml"))
    if step != "none":
        dict(STEPS)[step](files, Path(scratch))


def _instructions(step: str, folder: Path, scratch: Path) -> int:
    """Instructions a process running ``step`` executes, as callgrind counts them."""
    done = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            step,
            str(folder),
            str(scratch),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode or found is None:
        raise SystemExit(f"callgrind failed on {step}:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def measure_instructions(name: str, folder: Path, scratch: Path) -> None:
    letters = sum(1 for _ in folder.rglob("*.xml"))
    start = _instructions("none", folder, scratch)
    counts = {step: _instructions(step, folder, scratch) - start for step, _ in STEPS}
    print(f"\n{name}: {letters:,} letters (instructions, callgrind, one process each)")
    print("| step | instructions per letter | against bare |")
    print("|---|---|---|")
    for step, _ in STEPS:
        print(
            f"| {step} | {counts[step] / letters / 1e6:.3f} M | "
            f"{counts[step] / counts['bare']:.2f}× |"
        )


def measure(name: str, folder: Path, scratch: Path, runs: int) -> None:
    files = sorted(str(p) for p in folder.rglob("*.xml"))
    times: dict[str, list[float]] = {step: [] for step, _ in STEPS}
    for _ in range(runs):
        for step, function in STEPS:
            started = time.process_time()
            function(files, scratch)
            times[step].append(time.process_time() - started)
    base = statistics.median(times["bare"])
    print(f"\n{name}: {len(files):,} letters (CPU, one process, medians of {runs})")
    print("| step | CPU | per letter | against bare |")
    print("|---|---|---|---|")
    for step, _ in STEPS:
        value = statistics.median(times[step])
        print(
            f"| {step} | {value:.2f} s | {value / len(files) * 1e6:.0f} µs | {value / base:.2f}× |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=5000, help="generated letters (0: none)")
    parser.add_argument("--schnitzler", type=int, default=4420, help="look-alikes (0: none)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions with callgrind"
    )
    args = parser.parse_args()
    run = (
        (lambda name, folder, scratch: measure_instructions(name, folder, scratch))
        if args.instructions
        else (lambda name, folder, scratch: measure(name, folder, scratch, args.runs))
    )
    print(f"{os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="epistola-floor-") as scratch_name:
        scratch = Path(scratch_name)
        (scratch / ".git").mkdir()  # register discovery stops at the scratch folder
        if args.letters:
            generated = scratch / "generated"
            generated.mkdir()
            write_scale_collection(generated, args.letters)
            run("generated letters", generated, scratch)
        if args.schnitzler:
            lookalike = scratch / "schnitzler" / "L"
            write_schnitzler_lookalike(lookalike, args.schnitzler)
            run("Schnitzler look-alike", lookalike.parent, scratch)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(*sys.argv[2:5])
    else:
        sys.exit(main())
