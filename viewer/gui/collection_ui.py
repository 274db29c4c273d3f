"""Collections in the window: the letter list, the collection register, search, indexing.

Owns every Qt part of collections:

* :class:`LetterListPanel` (a table over the collection's letters, sortable,
  the current letter marked, narrowed to the letters that mention the
  selected entities, with an All/Any switch, or to a chosen set of files
  (the letters written on a letterhead), indexing progress and Cancel, and
  the files that could not be read); its :class:`LetterListModel` holds
  letter ids and pages their summaries from the collection's database;
* :class:`RegisterPanel` (every entity of the collection, grouped by kind,
  with its letters and mentions, filtered as one types);
* :class:`SearchPanel` (full-text search across the collection);
* :class:`IndexJob` (indexing on a QThread, so the window stays responsive);
* :class:`Indexer` (one indexing run at a time, cancelling and queueing, and
  updating the open collection with the files changed on disk);
* :class:`FolderWatcher` (noticing, debounced, the letter files added, changed
  and removed under the open folder).

The window docks the panels, owns their actions and wires them (to the
session, which holds the open collection and its match mode).

What is indexed, filtered and found is decided in :mod:`viewer.collection`;
the models here are thin adapters over its lists and queries (filtering
happens there and the result is pushed to the view, never a proxy model),
and never hold every letter of a collection in memory. Text
from letters reaches Qt only as plain text.
"""

from __future__ import annotations

import atexit
import bisect
import contextlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractListModel,
    QAbstractTableModel,
    QCoreApplication,
    QDeadlineTimer,
    QEventLoop,
    QFileSystemWatcher,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QThread,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from viewer.filtering import fold, plural
from viewer.gui.kinds import is_dark, kind_label, swatch_icon
from viewer.gui.panels import plain_tooltip

if TYPE_CHECKING:
    from viewer.collection import CollectionIndex, Hit, LetterSummary
    from viewer.model import Entity, Letter

SEARCH_LIMIT = 1000
LIST_WIDTH = 320
RECENT_FILTERS = 32  # register filter results kept for backspacing
SEARCH_DELAY_MS = 300
PROGRESS_INTERVAL = 0.05  # seconds between progress signals from the indexing thread
MIXED = "\N{EM DASH}"
WATCH_DELAY_MS = 500  # quiet after the last change on disk before the collection is updated
# Letter files watched one by one (beyond, only their folders: a file written in place
# then goes unnoticed until its folder changes). inotify's watches are shared by the
# user's programs (often 8,192 to 1,000,000 of them).
WATCHED_FILES = 20_000
WATCH_CHUNK = 200  # paths given the watcher per turn of the event loop
SHARD_PATHS = 2_500  # paths per QFileSystemWatcher (each costs the system one inotify instance)
MAX_SHARDS = 8
FETCH_ROWS = 128  # summaries read from the database at once, around the row a view asks for
CACHED_ROWS = 4096  # summaries the letter list keeps (a few screens' worth, either way)
_LIST_ROLES = frozenset(
    {
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.FontRole,
        Qt.ItemDataRole.DecorationRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.AccessibleTextRole,
        Qt.ItemDataRole.TextAlignmentRole,
        Qt.ItemDataRole.UserRole,
    }
)

ModelIndex = QModelIndex | QPersistentModelIndex


def normalise_for_compare(path: str) -> str:
    # viewer.collection (and what it imports) is loaded on first use, after the
    # window's first paint, not while the window starts.
    from viewer.collection import normalise_for_compare as normalise

    return normalise(path)


# ================================================================ letter list


class LetterListModel(QAbstractTableModel):
    """The letters shown, as rows: letter ids in the shown order, summaries paged in.

    The model holds the ids of the letters listed (in the order of the sorted
    column) and the filter's mention counts, never every letter's summary: a
    row's summary is read from the collection's database when the view first
    asks for it, a block of neighbours at a time, and a few thousand are kept.
    Sorting by a column takes the collection's order for it (an SQL ORDER BY,
    cached by the index) narrowed to the ids listed; the Mentions column sorts
    by the counts, here.
    """

    DATE, SENDER, RECIPIENT, TITLE, COUNT = range(5)
    HEADERS = ("Date", "Sender", "Recipient", "Title", "Mentions")
    # The collection's order (CollectionIndex.order) behind each column; Mentions
    # sorts by count, then by date.
    ORDERS = ("date", "sender", "recipient", "title", "date")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.collection: CollectionIndex | None = None
        self._ids: list[int] = []  # the rows: letter ids in the shown order
        self._counts: Mapping[int, int] | None = None  # the filter's; None: every letter, 0
        self._row_of_id: dict[int, int] | None = None  # built when first asked for
        self._cache: OrderedDict[int, LetterSummary] = OrderedDict()
        self._current: str | None = None
        self._current_id: int | None = None
        self._sort = (self.DATE, Qt.SortOrder.AscendingOrder)
        self._bold = QFont()
        self._bold.setBold(True)
        self._current_icon = None

    # -- content ---------------------------------------------------------------
    def set_letters(
        self, index: CollectionIndex | None, counts: Mapping[int, int] | None = None
    ) -> None:
        """List ``index``'s letters: those in ``counts`` (id -> mentions), or all of them."""
        self.beginResetModel()
        self.collection = index
        self._counts = counts
        self._cache.clear()
        self._current_id = self._id_of(self._current)
        self._sort_ids()
        self.endResetModel()

    def letter_id(self, row: int) -> int:
        return self._ids[row]

    def ids(self) -> list[int]:
        """The letter ids listed, in the shown order."""
        return list(self._ids)

    def summary(self, row: int) -> LetterSummary | None:
        """The letter on ``row`` (None if it left the database since the list was made)."""
        letter_id = self._ids[row]
        found = self._cache.get(letter_id)
        if found is not None:
            self._cache.move_to_end(letter_id)
            return found
        if self.collection is None:
            return None
        low = row - row % FETCH_ROWS
        block = self._ids[low : low + FETCH_ROWS]
        for summary in self.collection.summaries(block):
            self._cache[summary.id] = summary
        while len(self._cache) > CACHED_ROWS:
            self._cache.popitem(last=False)
        return self._cache.get(letter_id)

    def cached_count(self) -> int:
        """How many summaries the model holds now (at most CACHED_ROWS)."""
        return len(self._cache)

    def count(self, row: int) -> int:
        return self._counts.get(self._ids[row], 0) if self._counts is not None else 0

    def row_of(self, file: str | None) -> int:
        """The row listing ``file`` (any spelling of its path), or -1."""
        if file is None or not self._ids:
            return -1
        letter_id = self._current_id if file == self._current else self._id_of(file)
        if letter_id is None:
            return -1
        return self._new_rows({letter_id}).get(letter_id, -1)

    def set_current(self, file: str | None) -> None:
        before = self.row_of(self._current)
        self._current = file
        self._current_id = self._id_of(file)
        after = self.row_of(file)
        for row in {before, after} - {-1}:
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    @property
    def current(self) -> str | None:
        return self._current

    def _id_of(self, file: str | None) -> int | None:
        if file is None or self.collection is None:
            return None
        summary = self.collection.letter(file)
        return summary.id if summary is not None else None

    # -- Qt model --------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        if role not in _LIST_ROLES:
            return None
        summary = self.summary(index.row())
        if summary is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.DATE:
                return summary.date or MIXED
            if column == self.SENDER:
                return summary.sender
            if column == self.RECIPIENT:
                return summary.recipient
            if column == self.TITLE:
                return summary.title
            return self.count(index.row())
        is_current = self._current_id is not None and summary.id == self._current_id
        if role == Qt.ItemDataRole.FontRole and is_current:
            return self._bold
        if role == Qt.ItemDataRole.DecorationRole and column == self.DATE and is_current:
            if self._current_icon is None:
                # QStyle's Python type is costly to create; the first frame has no rows.
                from PySide6.QtWidgets import QApplication, QStyle

                style = QApplication.style()
                self._current_icon = style.standardIcon(QStyle.StandardPixmap.SP_ArrowRight)
            return self._current_icon
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [summary.title]
            if summary.sender or summary.recipient:
                lines.append(f"{summary.sender or '?'} → {summary.recipient or '?'}")
            if summary.date_text and summary.date_text != summary.when:
                lines.append(summary.date_text)
            lines.append(f"{plural(summary.mentions, 'mention')} · {summary.file}")
            if is_current:
                lines.append("(open now)")
            return plain_tooltip("\n".join(lines))
        if role == Qt.ItemDataRole.AccessibleTextRole and column == self.DATE and is_current:
            return f"{summary.date}, open now"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.COUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return summary.file
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        # The view's selection and current row follow their letters to the new rows.
        persistent = self.persistentIndexList()
        held = [self._ids[i.row()] if 0 <= i.row() < len(self._ids) else None for i in persistent]
        self._sort = (column, order)
        self._sort_ids()
        rows = self._new_rows({letter_id for letter_id in held if letter_id is not None})
        moved = []
        for before, letter_id in zip(persistent, held, strict=True):
            row = rows.get(letter_id, -1) if letter_id is not None else -1
            moved.append(self.index(row, before.column()) if row >= 0 else QModelIndex())
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    def _sort_ids(self) -> None:
        index = self.collection
        self._row_of_id = None
        if index is None:
            self._ids = []
            return
        column, order = self._sort
        ordered = index.order(self.ORDERS[column] if 0 <= column < len(self.ORDERS) else "date")
        counts = self._counts
        ids = list(ordered) if counts is None else [i for i in ordered if i in counts]
        if column == self.COUNT and counts is not None:
            ids.sort(key=counts.__getitem__)  # stable: by date within a count
        if order == Qt.SortOrder.DescendingOrder:
            ids.reverse()
        self._ids = ids

    def _new_rows(self, letter_ids: set[int]) -> dict[int, int]:
        """The rows of a few letters (the view's selection): found without mapping every row."""
        if len(letter_ids) > 8:
            return self._rows_by_id()
        rows = {}
        for letter_id in letter_ids:
            with contextlib.suppress(ValueError):
                rows[letter_id] = self._ids.index(letter_id)  # a scan in C
        return rows

    def _rows_by_id(self) -> dict[int, int]:
        if self._row_of_id is None:
            self._row_of_id = {letter_id: row for row, letter_id in enumerate(self._ids)}
        return self._row_of_id


def _hidden_row(stretched: QWidget, button: QPushButton) -> QWidget:
    """A borderless row of a widget taking the width and a button after it, hidden."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(stretched, 1)
    row.addWidget(button)
    box = QWidget()
    box.setLayout(row)
    box.hide()
    return box


class LetterListPanel(QWidget):
    """The collection's letters; narrowed by the selected entities, or to chosen files.

    A file filter (:meth:`set_files`: a letterhead's letters) replaces the entity
    narrowing while it lasts; a change of the selected entities, Show All, or a
    collection from another folder clears it.
    """

    letterActivated = Signal(str)
    matchModeChanged = Signal(bool)  # True: all of the selected
    cancelRequested = Signal()
    clearRequested = Signal()
    openFolderRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("letterListPanel")
        self.index: CollectionIndex | None = None
        self._ids: frozenset[str] = frozenset()
        self._match_all = True
        self._files: list[str] | None = None  # set_files(): the only letters listed
        self._files_label = ""

        self.summary_label = QLabel("No collection open")
        self.summary_label.setObjectName("collectionSummary")
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setWordWrap(True)
        self.summary_label.setAccessibleName("Collection summary")

        self.mode_combo = QComboBox()
        self.mode_combo.addItem("All selected", True)
        self.mode_combo.addItem("Any selected", False)
        self.mode_combo.setAccessibleName("Letters mentioning all or any of the selected")
        self.mode_combo.setToolTip("With several entities selected: letters naming all or any")
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        self.show_all_button = QPushButton("Show All")
        self.show_all_button.setToolTip("Clear the selection and list every letter (Esc)")
        self.show_all_button.clicked.connect(self._show_all)
        filter_row = QHBoxLayout()
        filter_row.setContentsMargins(0, 0, 0, 0)
        filter_row.addWidget(self.summary_label, 1)
        filter_row.addWidget(self.mode_combo)
        filter_row.addWidget(self.show_all_button)

        self.model = LetterListModel(self)
        self.table = QTableView()
        self.table.setObjectName("letterTable")
        self.table.setAccessibleName("Letters of the collection")
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(LetterListModel.DATE, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(LetterListModel.TITLE, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(LetterListModel.DATE, 110)
        header.resizeSection(LetterListModel.SENDER, 130)
        header.resizeSection(LetterListModel.RECIPIENT, 130)
        header.resizeSection(LetterListModel.COUNT, 70)
        self.table.setColumnHidden(LetterListModel.COUNT, True)
        self.table.clicked.connect(self._activated)
        self.table.activated.connect(self._activated)

        self.empty_label = QLabel()
        self.empty_label.setObjectName("collectionEmpty")
        self.empty_label.setTextFormat(Qt.TextFormat.PlainText)
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.hide()
        self.open_folder_button = QPushButton("Open Folder…")
        self.open_folder_button.clicked.connect(self.openFolderRequested)
        self.open_folder_button.hide()

        self.progress = QProgressBar()
        self.progress.setObjectName("indexProgress")
        self.progress.setAccessibleName("Indexing progress")
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop indexing; the letters read so far stay listed")
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.progress_box = _hidden_row(self.progress, self.cancel_button)

        self.errors_label = QLabel()
        self.errors_label.setObjectName("collectionErrors")
        self.errors_label.setTextFormat(Qt.TextFormat.PlainText)
        self.errors_button = QPushButton("Details…")
        self.errors_button.setToolTip("List the files that could not be read, and why")
        self.errors_button.clicked.connect(self.show_errors)
        self.errors_box = _hidden_row(self.errors_label, self.errors_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(filter_row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.open_folder_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.progress_box)
        layout.addWidget(self.errors_box)
        self._update_controls()

    # -- state from the controller --------------------------------------------
    def set_index(self, index: CollectionIndex | None) -> None:
        before = self.index
        self.index = index
        same_folder = index is not None and before is not None and index.folder == before.folder
        if self._files is not None and not same_folder:
            # Another collection: the chosen files were of the one before.
            self._files = None
        errors = index.errors if index is not None else []
        if errors:
            self.errors_label.setText(
                f"{plural(len(errors), 'file')} could not be read and "
                f"{'was' if len(errors) == 1 else 'were'} skipped"
            )
        self.errors_box.setVisible(bool(errors))
        # The same folder read again (a file changed on disk, Reload): updated in place.
        self._refresh(keep_view=same_folder)

    def set_filter(self, ids: Iterable[str]) -> None:
        ids = frozenset(ids)
        if ids == self._ids:
            return
        # A new entity selection narrows the list afresh: the chosen files give way.
        self._files = None
        self._ids = ids
        self._refresh()

    def set_files(self, files: Iterable[str], label: str = "") -> None:
        """List only ``files`` (those in the collection), e.g. a letterhead's letters.

        ``label`` says what they are in the summary line, which adds how many are listed
        ("Letters on the letterhead of X" → "Letters on the letterhead of X: 25").
        """
        self._files = list(dict.fromkeys(files))
        self._files_label = label
        self._refresh()

    def clear_files(self) -> None:
        """Back to the entity narrowing (or every letter)."""
        if self._files is not None:
            self._files = None
            self._refresh()

    @property
    def files_filter(self) -> list[str] | None:
        """The files the list is narrowed to (:meth:`set_files`), or None."""
        return list(self._files) if self._files is not None else None

    def set_match_all(self, match_all: bool) -> None:
        self._match_all = bool(match_all)
        self.mode_combo.blockSignals(True)
        self.mode_combo.setCurrentIndex(0 if self._match_all else 1)
        self.mode_combo.blockSignals(False)
        self._refresh()

    @property
    def match_all(self) -> bool:
        return self._match_all

    def set_current(self, file: str | None) -> None:
        self.model.set_current(file)
        self._select_row(self.model.row_of(file))

    def set_indexing(self, active: bool, done: int = 0, total: int = 0, text: str = "") -> None:
        self.progress_box.setVisible(active)
        if active:
            self.progress.setRange(0, max(total, 0))
            self.progress.setValue(min(done, total) if total else 0)
            self.progress.setFormat(text or ("Reading %v of %m files" if total else "Looking…"))
        self._update_controls()

    def show_errors(self) -> None:
        index = self.index
        if index is None or not index.errors:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Files that could not be read")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(
            f"{plural(len(index.errors), 'file')} in the collection could not be read; "
            "the other letters are listed."
        )
        box.setDetailedText("\n".join(f"{e.file}: {e.message}" for e in index.errors))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        self.errors_dialog = box
        box.exec()

    # -- rows ------------------------------------------------------------------
    def rows(self) -> list[tuple[LetterSummary, int]]:
        """Every row's summary and count (reads every listed letter: for small lists, tests)."""
        model = self.model
        found = ((model.summary(row), model.count(row)) for row in range(model.rowCount()))
        return [(summary, count) for summary, count in found if summary is not None]

    def _refresh(self, keep_view: bool = False) -> None:
        """List the letters again; ``keep_view``: the same collection updated, so the
        list keeps its scroll position and the row chosen in it."""
        index = self.index
        current = self.model.current
        scroll = self.table.verticalScrollBar().value()
        chosen = self._chosen_file() if keep_view else None
        if index is None:
            self.model.set_letters(None)
        elif self._files is not None:
            found = index.letters_in(self._files)
            self.model.set_letters(index, {summary.id: 0 for summary, _count in found})
        elif self._ids:
            mode = "all" if self._match_all else "any"
            self.model.set_letters(index, index.letter_ids_mentioning(self._ids, mode))
        else:
            self.model.set_letters(index)
        counting = bool(self._ids) and self._files is None
        self.table.setColumnHidden(LetterListModel.COUNT, not counting)
        if keep_view:
            row = self.model.row_of(chosen) if chosen is not None else -1
            self._select_row(row if row >= 0 else self.model.row_of(current), scroll=False)
            # The reset has not laid the rows out yet: do it now, or the position is lost.
            self.table.doItemsLayout()
            self.table.verticalScrollBar().setValue(scroll)
        else:
            self._select_row(self.model.row_of(current))
        self._update_controls()

    def _chosen_file(self) -> str | None:
        """The file of the row chosen in the table (the open letter's, or one moved to)."""
        row = self.table.currentIndex().row()
        if not 0 <= row < self.model.rowCount():
            return None
        summary = self.model.summary(row)
        return summary.file if summary is not None else None

    def _update_controls(self) -> None:
        index = self.index
        shown = self.model.rowCount()
        by_files = self._files is not None
        self.mode_combo.setVisible(len(self._ids) > 1 and not by_files)
        self.show_all_button.setVisible(bool(self._ids) or by_files)
        if by_files:
            tip = "List the letters of the selection again" if self._ids else "List every letter"
        else:
            tip = "Clear the selection and list every letter (Esc)"
        self.show_all_button.setToolTip(tip)
        indexing = self.progress_box.isVisible()
        if index is None:
            self.summary_label.setText("Reading the folder…" if indexing else "No collection open")
        elif by_files:
            self.summary_label.setText(f"{self._files_label or 'Chosen letters'}: {shown:,}")
        elif self._ids:
            names = ", ".join(self._name(i) for i in sorted(self._ids, key=self._name))
            verb = "mention" if shown != 1 else "mentions"
            if len(self._ids) > 1:
                names = f"{'all' if self._match_all else 'any'} of {names}"
            self.summary_label.setText(
                f"{shown:,} of {plural(len(index.letters), 'letter')} {verb} {names}"
            )
        else:
            where = Path(index.folder).name or index.folder
            self.summary_label.setText(f"{plural(len(index.letters), 'letter')} in {where}")
        empty = index is not None and index.is_empty and not indexing
        self.table.setVisible(not empty)
        self.empty_label.setVisible(empty)
        self.open_folder_button.setVisible(empty)
        if empty:
            self.empty_label.setText(
                f"No letters in {index.folder}.\n"
                "Epistola lists the TEI letters it finds in a folder and its subfolders."
            )

    def _name(self, entity_id: str) -> str:
        entity = self.index.entity(entity_id) if self.index is not None else None
        return entity.name if entity is not None else entity_id

    def _select_row(self, row: int, scroll: bool = True) -> None:
        selection = self.table.selectionModel()
        if row < 0:
            selection.clearSelection()
            return
        index = self.model.index(row, 0)
        flags = QItemSelectionModel.SelectionFlag
        selection.setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
        if scroll:
            self.table.scrollTo(index)

    def _activated(self, index: QModelIndex) -> None:
        summary = self.model.summary(index.row()) if index.isValid() else None
        if summary is not None:
            self.letterActivated.emit(summary.file)

    def _show_all(self) -> None:
        # The chosen files go first; a selection, if any, is cleared by a second click.
        if self._files is not None:
            self.clear_files()
        else:
            self.clearRequested.emit()

    def _mode_changed(self, position: int) -> None:
        self._match_all = position == 0
        self._refresh()
        self.matchModeChanged.emit(self._match_all)

    def activate_row(self, row: int) -> None:
        """Open the letter on ``row`` as a click would (for keyboard actions and tests)."""
        if 0 <= row < self.model.rowCount():
            self._activated(self.model.index(row, 0))


# ========================================================= collection register

_HEADER_BASE = -1  # header rows are stored as _HEADER_BASE - kind position


class RegisterModel(QAbstractListModel):
    """Rows are positions in ``index.entities`` (kind headings are negative numbers).

    Resetting swaps one Python list: the view asks only for the rows it shows,
    so a new filter result of 100,000 rows costs no more than one of ten.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.collection: CollectionIndex | None = None
        self._rows: list[int] = []
        self._kinds: list[str] = []
        self._kind_totals: dict[str, int] = {}
        self._selected: frozenset[str] = frozenset()
        self._bold = QFont()
        self._bold.setBold(True)
        self._icons: dict[str, object] = {}
        self._dark = False

    def set_index(self, index: CollectionIndex | None, dark: bool = False) -> None:
        self.beginResetModel()
        self.collection = index
        self._kinds = [kind for kind, _n in index.kinds()] if index is not None else []
        self._kind_totals = dict(index.kinds()) if index is not None else {}
        self._rows = []
        self._icons = {}
        self._dark = dark
        self.endResetModel()

    def set_rows(self, rows: list[int]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def set_selected(self, ids: frozenset[str]) -> None:
        self._selected = ids
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def rows(self) -> list[int]:
        return self._rows

    def header_row(self, kind: str) -> int:
        return _HEADER_BASE - self._kinds.index(kind)

    def entity_at(self, row: int):
        if self.collection is None or not 0 <= row < len(self._rows):
            return None
        position = self._rows[row]
        return None if position < 0 else self.collection.entities[position]

    def kind_of_header(self, position: int) -> str:
        return self._kinds[_HEADER_BASE - position]

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        if index.isValid() and self._rows[index.row()] < 0:
            return Qt.ItemFlag.ItemIsEnabled
        return super().flags(index)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.collection is None:
            return None
        position = self._rows[index.row()]
        if position < 0:
            kind = self.kind_of_header(position)
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{_heading(kind)} ({self._kind_totals.get(kind, 0):,})"
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return f"{_heading(kind)}: {self._kind_totals.get(kind, 0)} entities"
            return None
        entity = self.collection.entities[position]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                f"{entity.name}  ·  {plural(entity.letter_count, 'letter')}, "
                f"{plural(entity.mentions, 'mention')}"
            )
        if role == Qt.ItemDataRole.DecorationRole:
            icon = self._icons.get(entity.kind)
            if icon is None:
                icon = self._icons[entity.kind] = swatch_icon(entity.kind, self._dark)
            return icon
        if role == Qt.ItemDataRole.FontRole and entity.id in self._selected:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(
                f"{entity.name}\n{kind_label(entity.kind)} · {entity.id}\n"
                f"{plural(entity.letter_count, 'letter')}, "
                f"{plural(entity.mentions, 'mention')} in the text"
            )
        if role == Qt.ItemDataRole.UserRole:
            return entity.id
        return None


def _heading(kind: str) -> str:
    from viewer.gui.panels import KIND_HEADINGS

    return KIND_HEADINGS.get(kind, kind_label(kind))


class RegisterPanel(QWidget):
    """Every entity of the collection; choosing one selects it in the window."""

    entitiesActivated = Signal(list, bool)  # ids, additive (Ctrl+click)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        named_entity: Callable[[str, Sequence[str]], Entity | None] | None = None,
    ) -> None:
        """``named_entity(entity_id, files)``: the entity as the first of ``files`` (letters
        naming it) reads it, or None; Copy takes its authority URIs from there, since the
        collection's index keeps none (None: Copy gives the name alone)."""
        super().__init__(parent)
        self.setObjectName("collectionRegister")
        self.index: CollectionIndex | None = None
        self._named_entity = named_entity
        self._last: tuple[str, str | None, tuple[str, ...]] | None = None
        self._last_positions: list[int] = []
        self._recent: dict[tuple[tuple[str, ...], str | None], list[int]] = {}

        self.search = QLineEdit()
        self.search.setObjectName("registerSearch")
        self.search.setPlaceholderText("Filter entities (every word; case and accents ignored)")
        self.search.setAccessibleName("Filter the collection register")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.apply_filter)
        self.kind_combo = QComboBox()
        self.kind_combo.setAccessibleName("Kind of entity")
        self.kind_combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.search, 1)
        top.addWidget(self.kind_combo)

        self.model = RegisterModel(self)
        # A one-column table rather than a QListView: a list view lays out every
        # row after a reset (100,000 Python rowCount() calls, ~0.2 s), a table
        # with fixed row heights asks only for the rows it shows.
        self.view = QTableView()
        self.view.setObjectName("registerList")
        self.view.setAccessibleName("Entities of the collection")
        self.view.setModel(self.model)
        self.view.horizontalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        rows = self.view.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.clicked.connect(self._clicked)
        self.view.activated.connect(self._activated)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.count_label = QLabel()
        self.count_label.setTextFormat(Qt.TextFormat.PlainText)
        self.count_label.setObjectName("registerCount")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.count_label)
        self._fill_kinds()

    def set_index(self, index: CollectionIndex | None) -> None:
        before = self.index
        # The same folder read again (a file changed on disk): the list keeps its
        # filter, its scroll position and the row chosen in it.
        same_folder = index is not None and before is not None and index.folder == before.folder
        scroll = self.view.verticalScrollBar().value()
        row = self.view.currentIndex().row()
        chosen = self.model.entity_at(row) if same_folder else None
        self.index = index
        self._last = None
        self._recent = {}
        self.model.set_index(index, is_dark(self.palette()))
        if index is not None:
            index.prepare_search()  # a no-op when the indexing thread did it
        self._fill_kinds()
        self.apply_filter()
        if same_folder:
            if chosen is not None:
                self._choose_row_near(chosen.id, row)
            self.view.doItemsLayout()
            self.view.verticalScrollBar().setValue(scroll)

    def _choose_row_near(self, entity_id: str, row: int, reach: int = 256) -> None:
        """Make the row of ``entity_id`` current if it is within ``reach`` rows of ``row``
        (an update moves rows a little; looking further would page the whole register)."""
        model = self.model
        for candidate in range(max(0, row - reach), min(model.rowCount(), row + reach + 1)):
            entity = model.entity_at(candidate)
            if entity is not None and entity.id == entity_id:
                flags = QItemSelectionModel.SelectionFlag
                self.view.selectionModel().setCurrentIndex(
                    model.index(candidate, 0), flags.ClearAndSelect | flags.Rows
                )
                return

    def set_selection(self, ids: Iterable[str]) -> None:
        self.model.set_selected(frozenset(ids))

    def kind(self) -> str | None:
        return self.kind_combo.currentData()

    def set_kind(self, kind: str | None) -> None:
        position = self.kind_combo.findData(kind)
        self.kind_combo.setCurrentIndex(max(position, 0))

    def apply_filter(self, *_args: object) -> None:
        """Filter in Python and push the rows to the view (one reset)."""
        index = self.index
        if index is None:
            self.model.set_rows([])
            self.count_label.setText("")
            return
        query = self.search.text()
        kind = self.kind()
        words = tuple(fold(query).split())
        key = (tuple(sorted(set(words))), kind)
        positions = self._recent.pop(key, None)
        if positions is None:
            within = None
            last = self._last
            # Typing narrows: when every earlier word is inside a word typed now,
            # only the previous result can match.
            if (
                last is not None
                and last[1] == kind
                and last[2]
                and all(any(old in new for new in words) for old in last[2])
            ):
                within = self._last_positions
            positions = index.entity_positions(query, kind, within)
        # Backspace goes back to a query just typed: keep the last few results.
        self._recent[key] = positions
        while len(self._recent) > RECENT_FILTERS:
            self._recent.pop(next(iter(self._recent)))
        self._last = (query, kind, words)
        self._last_positions = positions
        self.model.set_rows(self._with_headings(positions) if kind is None else positions)
        total = len(index.entities) if kind is None else self._kind_total(kind)
        self.count_label.setText(
            f"{len(positions):,} of {plural(total, 'entity', 'entities')}"
            if words
            else plural(total, "entity", "entities")
        )

    def _kind_total(self, kind: str) -> int:
        low, high = self.index.kind_range(kind) if self.index is not None else (0, 0)
        return high - low

    def _with_headings(self, positions: list[int]) -> list[int]:
        """Kind headings before each kind's rows (positions are sorted by kind)."""
        index = self.index
        if index is None or not positions:
            return []
        rows: list[int] = []
        for kind, _total in index.kinds():
            low, high = index.kind_range(kind)
            start = bisect.bisect_left(positions, low)
            stop = bisect.bisect_left(positions, high)
            if start < stop:
                rows.append(self.model.header_row(kind))
                rows.extend(positions[start:stop])
        return rows

    def entity_rows(self) -> list[str]:
        """The ids listed now, in order (headings left out)."""
        entities = self.index.entities if self.index is not None else []
        return [entities[p].id for p in self.model.rows() if p >= 0]

    def _fill_kinds(self) -> None:
        self.kind_combo.blockSignals(True)
        previous = self.kind_combo.currentData()
        self.kind_combo.clear()
        total = len(self.index.entities) if self.index is not None else 0
        self.kind_combo.addItem(f"All kinds ({total:,})", None)
        if self.index is not None:
            for kind, count in self.index.kinds():
                self.kind_combo.addItem(f"{_heading(kind)} ({count:,})", kind)
        position = self.kind_combo.findData(previous)
        self.kind_combo.setCurrentIndex(max(position, 0))
        self.kind_combo.blockSignals(False)

    def _clicked(self, index: QModelIndex) -> None:
        from PySide6.QtWidgets import QApplication

        additive = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ControlModifier)
        self._emit(index, additive)

    def _activated(self, index: QModelIndex) -> None:
        self._emit(index, False)

    def _emit(self, index: QModelIndex, additive: bool) -> None:
        entity = self.model.entity_at(index.row()) if index.isValid() else None
        if entity is not None:
            self.entitiesActivated.emit([entity.id], additive)

    def _context_menu(self, pos) -> None:
        entity = self.model.entity_at(self.view.indexAt(pos).row())
        if entity is not None:
            self.row_menu(entity).exec(self.view.viewport().mapToGlobal(pos))

    def row_menu(self, entity) -> QMenu:
        """The context menu of an entity's row (Copy: see :meth:`reference`)."""
        menu = QMenu(self)
        menu.addAction("Select", lambda: self.entitiesActivated.emit([entity.id], False))
        menu.addAction("Add to selection", lambda: self.entitiesActivated.emit([entity.id], True))
        menu.addSeparator()
        menu.addAction("Copy", lambda: QGuiApplication.clipboard().setText(self.reference(entity)))
        menu.addAction("Copy id", lambda: QGuiApplication.clipboard().setText(entity.id))
        return menu

    def reference(self, entity) -> str:
        """What Copy puts on the clipboard for a row: the name and authority URIs, as the
        side panel's Copy gives them, read from a letter that names the entity (the
        collection's index keeps no URIs); the name alone where none can be read."""
        from viewer.gui.printing import entity_reference

        if self._named_entity is None or self.index is None:
            return entity.name
        found = self._named_entity(entity.id, self.index.entity_letters(entity.id))
        return entity_reference(found) if found is not None else entity.name

    def activate(self, entity_id: str, additive: bool = False) -> bool:
        """Choose ``entity_id`` as a click on its row would (keyboard actions, tests)."""
        if self.index is None:
            return False
        # The register search looks in ids too: its few answers, not every row, are read.
        positions = self.index.entity_positions(entity_id)
        listed = {position: row for row, position in enumerate(self.model.rows())}
        candidates = [listed[p] for p in positions if p in listed]
        for row in candidates or range(self.model.rowCount()):
            entity = self.model.entity_at(row)
            if entity is not None and entity.id == entity_id:
                self.view.setCurrentIndex(self.model.index(row, 0))
                self._emit(self.model.index(row, 0), additive)
                return True
        return False


# ===================================================================== search


class SearchPanel(QWidget):
    """Full-text search across the collection; a hit opens its letter at the match."""

    hitActivated = Signal(object, str)  # Hit, the query

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("collectionSearch")
        self.index: CollectionIndex | None = None
        self.hits: list[Hit] = []
        self.query = ""

        self.field = QLineEdit()
        self.field.setObjectName("collectionSearchField")
        self.field.setPlaceholderText("Search the text of every letter (a phrase; Enter)")
        self.field.setAccessibleName("Search the collection")
        self.field.setClearButtonEnabled(True)
        self.field.returnPressed.connect(self.run)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.run)
        self.field.textChanged.connect(lambda _text: self._timer.start())
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setObjectName("searchStatus")
        self.results = QTreeWidget()
        self.results.setObjectName("searchResults")
        self.results.setAccessibleName("Search hits")
        self.results.setColumnCount(2)
        self.results.setHeaderLabels(["Letter", "Context"])
        self.results.setRootIsDecorated(False)
        self.results.setUniformRowHeights(True)
        self.results.setAlternatingRowColors(True)
        self.results.header().setStretchLastSection(True)
        self.results.header().resizeSection(0, 220)
        self.results.itemActivated.connect(self._item_activated)
        self.results.itemClicked.connect(self._item_activated)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.field)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.label)

    def set_index(self, index: CollectionIndex | None) -> None:
        same_folder = (
            index is not None and self.index is not None and index.folder == self.index.folder
        )
        scroll = self.results.verticalScrollBar().value()
        self.index = index
        if self.field.text().strip():
            self.run()
            if same_folder:  # updated in place: the hits stay where they were on screen
                self.results.doItemsLayout()
                self.results.verticalScrollBar().setValue(scroll)
        else:
            self._show([], "")

    def focus(self) -> None:
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()

    def run(self) -> None:
        self._timer.stop()
        query = self.field.text()
        if self.index is None or not query.strip():
            self._show([], query)
            return
        self._show(self.index.search(query, SEARCH_LIMIT), query)

    def _show(self, hits: list[Hit], query: str) -> None:
        self.hits = hits
        self.query = query
        self.results.clear()
        items = []
        summaries: dict[str, LetterSummary | None] = {}  # one query per letter, not per hit
        for position, hit in enumerate(hits):
            # Plain item text: the match is set off with guillemets, never markup.
            context = (
                f"{hit.context[: hit.match_start]}«{hit.context[hit.match_start : hit.match_end]}»"
                f"{hit.context[hit.match_end :]}"
            )
            if hit.file not in summaries:
                summaries[hit.file] = (
                    self.index.letter(hit.file) if self.index is not None else None
                )
            summary = summaries[hit.file]
            name = summary.date if summary is not None and summary.date else Path(hit.file).name
            label = f"{name} · {summary.sender}" if summary and summary.sender else name
            tip = f"{hit.title}\n{hit.file}"
            if hit.reading:
                # Found in the reading the window does not show (the letter's other text).
                label = f"{label} ({hit.reading})"
                tip += f"\nFound in the {hit.reading} reading"
            item = QTreeWidgetItem([label, context])
            item.setData(0, Qt.ItemDataRole.UserRole, position)
            item.setToolTip(0, plain_tooltip(tip))
            item.setToolTip(1, plain_tooltip(context))
            items.append(item)
        self.results.addTopLevelItems(items)
        if not query.strip():
            self.label.setText("")
        elif self.index is None:
            self.label.setText("No collection open")
        elif not hits:
            self.label.setText(f"No letter contains “{query.strip()}”")
        else:
            letters = len({hit.file for hit in hits})
            more = "+" if len(hits) >= SEARCH_LIMIT else ""
            self.label.setText(f"{plural(len(hits), 'hit')}{more} in {plural(letters, 'letter')}")

    def _item_activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        position = item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(position, int) and 0 <= position < len(self.hits):
            self.hitActivated.emit(self.hits[position], self.query)

    def activate_hit(self, position: int) -> None:
        item = self.results.topLevelItem(position)
        if item is not None:
            self._item_activated(item)


# ================================================================ watching


@dataclass(frozen=True)
class FolderTree:
    """What lies under a collection's folder: each folder (absolute) and its letter files."""

    folder: str
    names: dict[str, frozenset[str]]


def scan_tree(folder: str, cancel: Callable[[], bool] | None = None) -> FolderTree:
    """Every folder under ``folder`` (hidden ones skipped, as indexing skips them) with
    the names of the XML files in it. Runs on the indexing thread."""
    names: dict[str, frozenset[str]] = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        if cancel is not None and cancel():
            break
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        names[root] = _letter_names(files)
    return FolderTree(folder, names)


def _letter_names(names: Iterable[str]) -> frozenset[str]:
    from viewer.collection import LETTER_SUFFIXES

    return frozenset(
        name
        for name in names
        if not name.startswith(".") and name.lower().endswith(LETTER_SUFFIXES)
    )


class FolderWatcher(QObject):
    """Notices letter files added, changed and removed under the open collection's folder.

    Watches every folder of the collection (a file added, removed or renamed)
    and, up to ``file_limit`` of them, the letter files themselves (a file
    written in place changes no folder). Changes gather until ``delay_ms`` pass
    without one (an editor's save, a copy of many files, arrive as one), then
    ``changed`` carries the relative paths to look at again: every file of a
    folder that changed (reading them again is up to the index, which touches
    only those whose size or time differ). :meth:`flush` sends them at once.

    A QFileSystemWatcher checks each path added against every path it holds,
    so the paths are spread over several of them (SHARD_PATHS each, one inotify
    instance each) and added a chunk per turn of the event loop, folders
    first: the window stays responsive while a large collection's watch is set up.
    """

    changed = Signal(list)  # relative paths under the folder

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        delay_ms: int = WATCH_DELAY_MS,
        file_limit: int = WATCHED_FILES,
    ) -> None:
        super().__init__(parent)
        self.folder: str | None = None
        self.file_limit = file_limit
        self._names: dict[str, frozenset[str]] = {}
        self._pending: set[str] = set()
        # Several QFileSystemWatchers, each of at most SHARD_PATHS paths: one checks every
        # path added against all it holds, so one watcher of 20,000 files costs seconds.
        self._watchers: list[QFileSystemWatcher] = []
        self._files: set[str] = set()  # letter files watched one by one
        self._queue: list[str] = []  # paths still to watch (folders first)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.flush)
        self._chunks = QTimer(self)
        self._chunks.setSingleShot(True)
        self._chunks.setInterval(0)
        self._chunks.timeout.connect(self._watch_chunk)

    # -- what is watched -------------------------------------------------------
    def watch(self, tree: FolderTree) -> None:
        """Watch the folders (and letter files) of ``tree``, instead of what was watched."""
        self.stop()
        self.folder = tree.folder
        self._names = dict(tree.names)
        self._watchers = [self._new_watcher()]  # fresh ones: cheaper than removing paths
        files = [os.path.join(d, name) for d, names in self._names.items() for name in names]
        self._queue = [*self._names, *files[: self.file_limit]]
        self._watch_chunk()

    def _new_watcher(self) -> QFileSystemWatcher:
        watcher = QFileSystemWatcher(self)
        watcher.directoryChanged.connect(self._directory_changed)
        watcher.fileChanged.connect(self._file_changed)
        return watcher

    def _watcher_with_room(self, paths: int) -> QFileSystemWatcher | None:
        watcher = self._watchers[-1] if self._watchers else None
        if watcher is None:
            return None
        held = len(watcher.files()) + len(watcher.directories())
        if held + paths > SHARD_PATHS and len(self._watchers) < MAX_SHARDS:
            watcher = self._new_watcher()
            self._watchers.append(watcher)
        return watcher

    def _watch_chunk(self) -> None:
        if not self._watchers or not self._queue:
            return
        chunk, self._queue = self._queue[:WATCH_CHUNK], self._queue[WATCH_CHUNK:]
        watcher = self._watcher_with_room(len(chunk))
        failed = set(watcher.addPaths(chunk))
        self._files.update(p for p in chunk if p not in failed and p not in self._names)
        if any(p not in self._names and os.path.exists(p) for p in failed):
            # The system's watches are used up: the folders still catch files added
            # and removed; files written in place go unnoticed until their folder changes.
            self._queue = [p for p in self._queue if p in self._names]
        if self._queue:
            self._chunks.start()

    def stop(self) -> None:
        self._timer.stop()
        self._chunks.stop()
        self._pending.clear()
        self._names = {}
        self._files = set()
        self._queue = []
        self.folder = None
        for watcher in self._watchers:
            watcher.deleteLater()
        self._watchers = []

    @property
    def watching(self) -> bool:
        return bool(self._watchers)

    @property
    def settled(self) -> bool:
        """True when every path to watch is watched (none left for later turns)."""
        return not self._queue

    def watched_paths(self) -> list[str]:
        """The folders and files watched now (absolute)."""
        found: list[str] = []
        for watcher in self._watchers:
            found.extend(watcher.directories())
            found.extend(watcher.files())
        return found

    @property
    def pending(self) -> frozenset[str]:
        """The relative paths noticed and not yet sent."""
        return frozenset(self._pending)

    @property
    def debouncing(self) -> bool:
        """True while changes wait for the quiet spell before they are sent."""
        return self._timer.isActive()

    @property
    def delay_ms(self) -> int:
        return self._timer.interval()

    @delay_ms.setter
    def delay_ms(self, value: int) -> None:
        self._timer.setInterval(value)

    def flush(self) -> list[str]:
        """Send what was noticed now, without waiting for the quiet (tests, closing)."""
        self._timer.stop()
        pending = sorted(self._pending)
        self._pending.clear()
        if pending and self.folder is not None:
            self.changed.emit(pending)
        return pending

    # -- what changed --------------------------------------------------------------
    def _note(self, paths: Iterable[str]) -> None:
        folder = self.folder
        if folder is None:
            return
        for path in paths:
            rel = os.path.relpath(path, folder)
            if not rel.startswith(os.pardir):
                self._pending.add(rel)
        if self._pending:
            self._timer.start()  # restarted by every change: sent after a quiet spell

    def _directory_changed(self, path: str) -> None:
        if self.folder is None or not self._watchers:
            return
        before = self._names.get(path, frozenset())
        try:
            entries = list(os.scandir(path))
        except OSError:  # the folder went away: so did its letters and its subfolders'
            gone = [d for d in self._names if d == path or _is_under(d, path)]
            for folder in gone:
                files = [os.path.join(folder, name) for name in self._names.pop(folder)]
                self._files.difference_update(files)
                self._note(files)
            return
        now = _letter_names(entry.name for entry in entries if _is_file(entry))
        self._names[path] = now
        # Every letter of the folder, not only those added or removed: a file saved
        # by renaming another over it keeps its name.
        self._note(os.path.join(path, name) for name in before | now)
        added_files = [
            os.path.join(path, name)
            for name in now - before
            if os.path.join(path, name) not in self._files
        ]
        new_folders = [
            entry.path
            for entry in entries
            if not entry.name.startswith(".") and _is_dir(entry) and entry.path not in self._names
        ]
        for folder in new_folders:
            # A folder moved or copied in: its letters are new to the collection too.
            subtree = scan_tree(folder).names
            self._names.update(subtree)
            self._watchers[0].addPaths(list(subtree))
            for sub, names in subtree.items():
                self._note(os.path.join(sub, name) for name in names)
                added_files.extend(os.path.join(sub, name) for name in names)
        room = self.file_limit - len(self._files) - len(self._queue)
        if added_files and room > 0:
            self._queue.extend(added_files[:room])
            self._watch_chunk()

    def _file_changed(self, path: str) -> None:
        if not self._watchers:
            return
        self._note([path])
        # A save by renaming over the file drops its watch: watch the new file.
        if os.path.isfile(path):
            if not any(path in watcher.files() for watcher in self._watchers):
                watcher = self._watcher_with_room(1)
                if watcher is not None and watcher.addPath(path):
                    self._files.add(path)
        else:
            self._files.discard(path)


def _is_under(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def _is_file(entry: os.DirEntry) -> bool:
    """What os.walk (and so indexing) lists as a file: anything not a folder."""
    try:
        return not entry.is_dir()
    except OSError:
        return True


def _is_dir(entry: os.DirEntry) -> bool:
    """A folder indexing walks into (os.walk follows no link to a folder)."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


# ==================================================================== indexing

_RUNNING: set[IndexJob] = set()


@atexit.register
def _stop_running_jobs() -> None:
    """At exit, stop indexing threads before Python and Qt tear down (never abort)."""
    for job in list(_RUNNING):
        job.stop()
    _RUNNING.clear()


class IndexJob(QObject):
    """One indexing run on its own QThread; ``finished`` carries the CollectionIndex."""

    # Each signal carries the job itself: the receiver lives in the GUI thread and
    # must tell a current run from one it has replaced.
    progress = Signal(object, int, int)
    finished = Signal(object, object)  # job, CollectionIndex
    failed = Signal(object, str)

    def __init__(self, work: Callable[..., CollectionIndex]) -> None:
        super().__init__()
        self._work = work
        self._cancel = threading.Event()
        self._last_progress = 0.0
        self.thread = QThread()
        self.thread.setObjectName("epistola-indexing")
        self.moveToThread(self.thread)
        self.thread.started.connect(self._run)

    def start(self) -> None:
        # Held here until the thread has ended: Qt aborts the program when a
        # running QThread is destroyed (say, the window closing mid-indexing).
        # Ended runs are dropped here, in the GUI thread, never by the ending thread.
        for ended in [job for job in _RUNNING if job.thread.isFinished()]:
            _RUNNING.discard(ended)
        _RUNNING.add(self)
        self.thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def stop(self, timeout_ms: int = 10000) -> bool:
        """Cancel and wait for the thread to end; True when it has."""
        self.cancel()
        return self.thread.wait(timeout_ms)

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def _report(self, done: int, total: int) -> None:
        # Thousands of files: a signal per file would flood the window's event queue.
        now = time.monotonic()
        if done >= total or now - self._last_progress >= PROGRESS_INTERVAL:
            self._last_progress = now
            self.progress.emit(self, done, total)

    def _run(self) -> None:
        try:
            result = self._work(progress=self._report, cancel=self._cancel.is_set)
        except Exception as error:  # reported in the window, never lost
            from viewer.errors import EpistolaError

            message = str(error) if isinstance(error, EpistolaError) else repr(error)
            self.failed.emit(self, message)
        else:
            self.finished.emit(self, result)
        finally:
            self.thread.quit()


# =================================================================== indexer


def _prepare(index: CollectionIndex) -> None:
    """Read on the indexing thread what the views ask for first, not while the window waits:
    the register search's rows and the letters in date order (the list's first sort)."""
    index.prepare_search()
    index.order(LetterListModel.ORDERS[LetterListModel.DATE])


@dataclass(frozen=True)
class _Outcome:
    """What a run of the Indexer hands back to the GUI thread."""

    index: CollectionIndex
    tree: FolderTree | None = None  # a whole folder read: what to watch from now on
    check: Callable[[], None] | None = None  # a run to start next (the folder's check)
    unchanged: bool = False  # the check found the collection as it was shown: no news


class Indexer(QObject):
    """Reads collections in the background, one run at a time; says what it found.

    Holds no window, widget or selection: the window starts runs, shows their
    progress, and hands each finished index to the session. While a folder is
    open its :class:`FolderWatcher` reports files changed on disk, and the
    Indexer reads just those again (:meth:`refresh`), quietly: no progress, and
    the index it finishes with is the same collection, updated.
    """

    started = Signal(str)  # what is being read, for the status bar
    progress = Signal(int, int)  # done, total
    finished = Signal(object)  # the CollectionIndex of a run not superseded
    failed = Signal(str)
    idle = Signal()  # the last run has ended

    def __init__(
        self,
        catalog,
        cache_dir=None,
        parent: QObject | None = None,
        watcher: FolderWatcher | None = None,
    ) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.cache_dir = cache_dir
        self.folder: str | None = None
        self.reading = "normalised"
        self.watcher = watcher if watcher is not None else FolderWatcher()
        if self.watcher.parent() is None:
            self.watcher.setParent(self)
        self.watcher.changed.connect(self.refresh)
        self._job: IndexJob | None = None
        self._jobs: list[IndexJob] = []  # kept alive until their threads end
        self._quiet: set[IndexJob] = set()  # refresh runs: no progress shown
        self._pending: Callable[[], None] | None = None
        self._extra_files: list[str] = []
        self._stale: set[str] = set()  # files changed on disk, to read when no run is going

    def index_folder(self, folder: str, reading: str) -> None:
        """Read ``folder`` (a run in progress is cancelled first), then watch it."""
        self.folder = folder
        self.reading = reading
        self._extra_files = []
        self._stale.clear()
        self.watcher.stop()
        register_dirs = [str(d) for d in self.catalog.extra_folders]
        catalog, cache_dir = self.catalog, self.cache_dir
        from viewer.collection import index_folder, open_collection

        def shown_at_once(progress, cancel):
            # The collection as its database last saw it, in a moment, however
            # large; the folder is checked for changes by a second, quiet run.
            index = open_collection(
                folder, register_dirs=register_dirs, reading=reading, cache_dir=cache_dir
            )
            if index is None:
                return work(progress, cancel)
            _prepare(index)
            return _Outcome(index, check=lambda: self._start(
                checked, f"Checking {folder}…", replace=False, quiet=True
            ))  # fmt: skip

        def checked(progress, cancel):
            outcome = work(progress, cancel)
            stats = outcome.index.stats
            unchanged = not (stats.parsed or stats.removed or outcome.index.errors)
            return _Outcome(outcome.index, outcome.tree, unchanged=unchanged)

        def work(progress, cancel):
            index = index_folder(
                folder,
                register_dirs=register_dirs,
                cache_dir=cache_dir,
                progress=progress,
                cancel=cancel,
                reading=reading,
                catalog=catalog,
            )
            # Here, off the GUI thread: the first search would otherwise fold
            # every letter's text while the window waits.
            _prepare(index)
            # A run cancelled (by the user, or by another run) watches nothing.
            tree = None if cancel() else scan_tree(folder)
            return _Outcome(index, tree)

        self._start(shown_at_once, f"Reading {folder}…", replace=True)

    def add_files(
        self,
        files: Sequence[str],
        base: Callable[[], object],
        reading: str,
        letters: Mapping[str, Letter] | None = None,
    ) -> None:
        """Read letter files and merge them into ``base()`` (the collection shown when the
        run starts, or None). ``letters``: those already read whole in ``reading``, by path
        (the window's open letter), which are not read again."""
        paths = [os.path.abspath(f) for f in files]
        letters = dict(letters or {})
        self._extra_files.extend(p for p in paths if p not in self._extra_files)
        catalog = self.catalog
        from viewer.collection import index_files

        def work(progress, cancel):
            added = index_files(
                paths,
                reading=reading,
                progress=progress,
                cancel=cancel,
                catalog=catalog,
                letters=letters,
            )
            # Runs are one at a time, so the collection read here is the one shown.
            shown = base()
            index = shown.merged(added) if shown is not None else added
            _prepare(index)
            return _Outcome(index)

        self._start(work, f"Reading {plural(len(paths), 'file')}…", replace=False)

    def refresh(self, rels: Iterable[str]) -> None:
        """Read these files of the open folder again (relative paths: the watcher's news).

        In the background, after any run in progress; files added are indexed,
        files gone are dropped, the rest of the folder is taken from the database.
        """
        if self.folder is None:
            return
        self._stale.update(rels)
        if self._stale and self._job is None and self._pending is None:
            self._start_refresh()

    def _start_refresh(self) -> None:
        rels, self._stale = sorted(self._stale), set()
        folder, reading, extra = self.folder, self.reading, list(self._extra_files)
        register_dirs = [str(d) for d in self.catalog.extra_folders]
        catalog, cache_dir = self.catalog, self.cache_dir
        from viewer.collection import index_files, index_folder

        def work(progress, cancel):
            index = index_folder(
                folder,
                register_dirs=register_dirs,
                cache_dir=cache_dir,
                progress=progress,
                cancel=cancel,
                reading=reading,
                catalog=catalog,
                only=rels,
            )
            if extra:  # letters dropped on the window stay listed
                index = index.merged(index_files(extra, reading=reading, catalog=catalog))
            _prepare(index)
            return _Outcome(index)

        self._start(work, f"Updating {folder}…", replace=False, quiet=True)

    def _start(
        self,
        work: Callable[..., _Outcome],
        text: str,
        replace: bool,
        quiet: bool = False,
    ) -> None:
        if self._job is not None:
            # One run at a time: stop the current one, start this when it has ended.
            if replace:
                self._job.cancel()
            self._pending = lambda: self._start(work, text, replace, quiet)
            return
        job = IndexJob(work)
        job.progress.connect(self._progress)
        job.finished.connect(self._finished)
        job.failed.connect(self._failed)
        job.thread.finished.connect(self._threads_done)
        self._job = job
        self._jobs.append(job)
        if quiet:
            self._quiet.add(job)
        else:
            self.started.emit(text)
        job.start()

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._pending = None

    @property
    def indexing(self) -> bool:
        return self._job is not None

    def _progress(self, job: IndexJob, done: int, total: int) -> None:
        if job is self._job and job not in self._quiet:
            self.progress.emit(done, total)

    def _finished(self, job: IndexJob, outcome: _Outcome) -> None:
        if job is not self._job:
            return
        superseded = self._pending is not None and job.cancelled
        if superseded:
            return
        if outcome.tree is not None:
            self.watcher.watch(outcome.tree)
        if outcome.check is not None:
            self._pending = outcome.check  # starts when this run's thread has ended
        if not outcome.unchanged:
            self.finished.emit(outcome.index)

    def _failed(self, job: IndexJob, message: str) -> None:
        if job is self._job:
            if job in self._quiet:
                self.watcher.stop()  # the folder went away, or cannot be read any more
                self._stale.clear()
            self.failed.emit(message)

    def _threads_done(self) -> None:
        for job in [j for j in self._jobs if j.thread.isFinished()]:
            self._jobs.remove(job)
            self._quiet.discard(job)
            if job is self._job:
                self._job = None
        if self._job is None:
            pending, self._pending = self._pending, None
            if pending is not None:
                pending()
            elif self._stale and self.folder is not None:
                self._start_refresh()  # files changed while the last run went on
            else:
                self.idle.emit()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Process events until indexing (and anything queued after it) is done."""
        deadline = QDeadlineTimer(timeout_ms)
        while self._job is not None or self._pending is not None or self._jobs:
            if deadline.hasExpired():
                return False
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if self._job is not None:
                self._job.thread.wait(10)
        QCoreApplication.processEvents()
        return True

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Stop indexing and watching, and wait for the threads (the window is closing)."""
        self._pending = None
        self._stale.clear()
        self.watcher.stop()
        for job in list(self._jobs):
            job.stop(timeout_ms)


__all__ = [
    "FolderWatcher",
    "IndexJob",
    "Indexer",
    "LetterListPanel",
    "RegisterPanel",
    "SearchPanel",
]
