"""Benchmark of the collection's letter list over SQLite: showing, sorting, narrowing.

Run from the checkout's root: ``python tests/bench/bench_letter_list.py [--letters N ...]``
(offscreen). For each size (default 20,000 letters) a collection of generated letter
records is stored in an in-memory database (``CollectionIndex.from_records``: no XML is
parsed, this measures the list, not indexing) and the Letters panel is timed, medians of
``--runs`` (>= 5) runs, each followed by a synchronous repaint of the table:

1. show: ``LetterListPanel.set_index`` of a collection just opened (its date order not yet
   read: ``CollectionIndex.order("date")`` runs its SQL), of one opened by the window's
   Indexer (which reads that order on its thread), and of the same one again (an update
   in place);
2. sort by each column, the collection's order for it read for the first time, and again;
3. narrow to the letters naming one entity, and back to all;
4. mark the open letter (``set_current``) in the middle of the list and scroll to it;
5. Python memory the panel holds for the list (tracemalloc, after the set_index of an
   index whose date order is read, as the window's indexing thread reads it).

Baseline, measured in the same run: a QTableView over a bare QAbstractTableModel with as
many rows, answering every cell with a constant string (a model with no data behind it),
reset + repaint. The table gives each figure and its ratio to the baseline.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_SCRATCH = tempfile.mkdtemp(prefix="epistola-bench-")
for _name in ("CONFIG", "CACHE", "LOG"):
    # Settings, cache and log go to a scratch folder, never the user's.
    os.environ[f"EPISTOLA_{_name}_DIR"] = os.path.join(_SCRATCH, _name.lower())

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication, QTableView  # noqa: E402

from viewer.collection import CollectionIndex  # noqa: E402
from viewer.gui.collection_ui import LetterListModel, LetterListPanel  # noqa: E402

FOLDER = "/bench/letters"
SIZE = (700, 800)


def records(count: int, seed: int = 5):
    rng = random.Random(seed)
    people = [f"pers{n}" for n in range(max(10, count // 5))]
    for n in range(count):
        sender, recipient = rng.sample(people, 2)
        year = 1800 + rng.randrange(150)
        when = f"{year}-{rng.randrange(1, 13):02}-{rng.randrange(1, 29):02}"
        yield (
            f"{FOLDER}/{n // 1000:03}/l{n:06}.xml",
            {
                "kind": "letter",
                "letter": {
                    "title": f"Letter {rng.randrange(10**6):06} to {recipient}",
                    "when": when,
                    "dateText": when,
                    "sortDate": when,
                    "senders": [f"Sender {sender}"],
                    "recipients": [f"Recipient {recipient}"],
                    "mentions": 2,
                    "entities": [
                        [sender, 1, "person", f"Sender {sender}"],
                        [recipient, 1, "person", f"Recipient {recipient}"],
                    ],
                    "text": f"Dear {recipient}, letter number {n}.",
                    "letterheads": [],
                },
            },
        )


class BareModel(QAbstractTableModel):
    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.rows

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 5

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        return "1900-01-01" if role == Qt.ItemDataRole.DisplayRole else None

    def reset(self) -> None:
        self.beginResetModel()
        self.endResetModel()


def median_ms(
    action: Callable[[], None],
    repaint: Callable[[], None],
    runs: int,
    setup: Callable[[], None] | None = None,
) -> float:
    times = []
    for _ in range(runs):
        if setup is not None:
            setup()
        started = time.perf_counter()
        action()
        repaint()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(count: int, runs: int, app: QApplication) -> list[tuple[str, float]]:
    started = time.perf_counter()
    index = CollectionIndex.from_records(FOLDER, records(count))
    print(f"\n{count:,} letters (stored in memory in {time.perf_counter() - started:.1f} s)")

    def fresh() -> CollectionIndex:
        # The same database, its orders not yet read (as a collection just opened).
        return CollectionIndex(index.folder, index.store)

    bare = BareModel(count)
    bare_view = QTableView()
    bare_view.setModel(bare)
    bare_view.resize(*SIZE)
    bare_view.show()
    panel = LetterListPanel()
    panel.resize(*SIZE)
    panel.show()

    def repaint() -> None:
        panel.table.viewport().repaint()
        app.processEvents()

    def bare_repaint() -> None:
        bare_view.viewport().repaint()
        app.processEvents()

    rows: list[tuple[str, float]] = [
        ("baseline: bare model reset + paint", median_ms(bare.reset, bare_repaint, runs))
    ]

    def timed(label: str, action: Callable[[], None]) -> None:
        rows.append((label, median_ms(action, repaint, runs)))

    def show_fresh() -> None:
        panel.set_index(None)
        panel.set_index(fresh())

    timed("show a collection just opened", show_fresh)
    ready: list[CollectionIndex] = []

    def read_on_the_indexing_thread() -> None:
        panel.set_index(None)
        ready[:] = [fresh()]
        ready[0].order("date")  # as the window's indexing thread reads it

    rows.append((
        "show one opened by the window's indexer",
        median_ms(lambda: panel.set_index(ready[0]), repaint, runs, read_on_the_indexing_thread),
    ))  # fmt: skip
    panel.set_index(index)
    timed("show it again (update in place)", lambda: panel.set_index(index))
    table = panel.table
    for column, name in enumerate(LetterListModel.HEADERS):

        def cold(column: int = column) -> None:
            panel.set_index(fresh())
            table.sortByColumn(column, Qt.SortOrder.AscendingOrder)

        def warm(column: int = column) -> None:
            table.sortByColumn(column, Qt.SortOrder.DescendingOrder)

        if column != LetterListModel.COUNT:  # Mentions sorts by counts, here
            timed(f"sort by {name}, order read first", cold)
        timed(f"sort by {name}, order cached", warm)
    table.sortByColumn(LetterListModel.DATE, Qt.SortOrder.AscendingOrder)
    entity = index.entities[len(index.entities) // 2].id

    def narrow() -> None:
        panel.set_filter(())
        panel.set_filter({entity})

    timed("narrow to one entity's letters", narrow)
    panel.set_filter(())
    middle = f"{FOLDER}/{count // 2 // 1000:03}/l{count // 2:06}.xml"

    def mark() -> None:
        panel.set_current(None)
        panel.set_current(middle)

    timed("mark the open letter mid-list", mark)
    panel.set_index(None)
    opened = fresh()
    opened.order("date")  # the index's own (read on the indexing thread in the window)
    tracemalloc.start()
    panel.set_index(opened)
    repaint()
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    rows.append(("Python memory held by the list (MiB)", held / 2**20))
    bare_view.close()
    panel.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, nargs="+", default=[20_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    for count in args.letters:
        rows = measure(count, max(5, args.runs), app)
        baseline = rows[0][1]
        print(f"{'':44} {'median':>10} {'x baseline':>11}")
        for label, value in rows:
            if label.startswith("Python memory"):
                print(f"{label:44} {value:10.1f}")
            else:
                print(f"{label:44} {value:8.1f} ms {value / baseline:10.1f}x")


if __name__ == "__main__":
    main()
