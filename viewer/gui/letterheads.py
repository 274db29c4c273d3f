"""The collection's Letterheads panel: every letterhead grouped by issuer, and its history.

A thin Qt adapter over :mod:`viewer.letterheads`: the groups and versions are
computed there (``CollectionIndex.letterhead_groups()``); this module only
shows them. :class:`LetterheadsPanel` lists the groups (title, letters, first
and last date) above a :class:`LetterheadHistory` of the chosen one: its
versions over time, what each added, removed or changed, its letters, and
which versions an undated letter's letterhead matches.

API (the window wires it): ``set_groups(groups, titles)`` fills it;
``lettersChosen(files)`` is emitted with the files to narrow the letter list to,
in date order (a group's letters, a version's letters, or one letter), and
``chosen_label`` then says what they are ("Letters on the letterhead of X");
``letterOpenRequested(file)`` when a letter of the history is double-clicked;
``show_letter(file, issuer)`` shows the history of a letter's letterhead with
the letter picked out in it, without narrowing anything (the user asked to see it).
Letter text reaches Qt only as plain item text and escaped tooltips.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from viewer.collection import normalise_for_compare
from viewer.filtering import TextFilter
from viewer.gui.panels import plain_tooltip
from viewer.letterheads import LetterheadGroup, Version

FILES_ROLE = Qt.ItemDataRole.UserRole + 1  # the files an item stands for, in date order
GROUP_ROLE = Qt.ItemDataRole.UserRole + 2  # a group row's index in the panel's groups


def _date_range(first: str | None, last: str | None) -> str:
    if not first:
        return "undated"
    return first if first == last or not last else f"{first} – {last}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class _ChoosingTree(QTreeWidget):
    """A tree whose items carry files: clicking or Enter on one chooses them."""

    filesChosen = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.itemClicked.connect(self._choose)

    def _choose(self, item: QTreeWidgetItem | None, column: int = 0) -> None:
        files = item.data(0, FILES_ROLE) if item is not None else None
        if files:
            self.filesChosen.emit(list(files))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self._choose(self.currentItem())
            event.accept()
            return
        super().keyPressEvent(event)


class LetterheadHistory(_ChoosingTree):
    """One issuer's letterhead over time: a row per version, what changed, its letters."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["Version", "Letters"])
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.header().setStretchLastSection(False)
        self.setAccessibleName("Letterhead history")
        self.setAccessibleDescription(
            "The versions of the chosen letterhead over time, what changed in each and "
            "its letters. Enter on a version or letter narrows the letter list to it."
        )
        self._group: LetterheadGroup | None = None

    @property
    def group(self) -> LetterheadGroup | None:
        return self._group

    def set_group(
        self, group: LetterheadGroup | None, titles: Mapping[str, str] | None = None
    ) -> None:
        self.clear()
        self._group = group
        if group is None:
            return
        for number, version in enumerate(group.versions):
            item = self._version_item(number, version, titles)
            self.addTopLevelItem(item)
            # Qt expands only items already in a tree: each version opens on what changed.
            item.setExpanded(True)
            if version.since is not None:
                item.child(0).setExpanded(True)
            elif group.versions and len(group.versions) == 1:
                item.child(0).setExpanded(True)  # the only version: show its lines
        if group.undated:
            item = self._undated_item(group, titles)
            self.addTopLevelItem(item)
            item.setExpanded(True)

    def version_items(self) -> list[QTreeWidgetItem]:
        return [
            self.topLevelItem(i)
            for i in range(self.topLevelItemCount())
            if self.topLevelItem(i).data(1, Qt.ItemDataRole.UserRole) == "version"
        ]

    def _version_item(
        self, number: int, version: Version, titles: Mapping[str, str]
    ) -> QTreeWidgetItem:
        label = f"Version {number + 1}: {_date_range(version.first, version.last)}"
        item = QTreeWidgetItem([label, _plural(len(version.letters), "letter")])
        item.setData(0, FILES_ROLE, list(version.letters))
        item.setData(1, Qt.ItemDataRole.UserRole, "version")
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        changes: list[str] = []
        if version.since is not None:
            changes += [f"+ {line}" for line in version.added]
            changes += [f"− {line}" for line in version.removed]
            changes += [f"~ {c.before} → {c.after}" for c in version.changed]
            title = f"Changed since version {version.since + 1}"
            if not changes:
                title = f"Same lines as version {version.since + 1}"
            summary = QTreeWidgetItem([title, _plural(len(changes), "change")])
            summary.setFlags(Qt.ItemFlag.ItemIsEnabled)
            for text in changes:
                child = QTreeWidgetItem([text])
                child.setToolTip(0, plain_tooltip(text))
                summary.addChild(child)
            item.addChild(summary)
        lines = QTreeWidgetItem(["Lines", str(len(version.lines))])
        lines.setFlags(Qt.ItemFlag.ItemIsEnabled)
        for line in version.lines:
            child = QTreeWidgetItem([line])
            child.setToolTip(0, plain_tooltip(line))
            lines.addChild(child)
        item.addChild(lines)
        item.addChild(self._letters_item(version.letters, titles))
        tip = [label, _plural(len(version.letters), "letter")]
        if changes:
            tip.append("\n".join(changes))
        item.setToolTip(0, plain_tooltip("\n".join(tip)))
        return item

    def _letters_item(self, files: Sequence[str], titles: Mapping[str, str]) -> QTreeWidgetItem:
        letters = QTreeWidgetItem(["Letters", str(len(files))])
        letters.setData(0, FILES_ROLE, list(files))
        for file in files:
            title = titles.get(file) or Path(file).name
            child = QTreeWidgetItem([title])
            child.setData(0, FILES_ROLE, [file])
            child.setToolTip(0, plain_tooltip(f"{title}\n{file}"))
            letters.addChild(child)
        return letters

    def _undated_item(self, group: LetterheadGroup, titles: Mapping[str, str]) -> QTreeWidgetItem:
        undated = group.undated
        item = QTreeWidgetItem(["Undated letters: matching versions", str(len(undated))])
        item.setData(0, FILES_ROLE, [letter.file for letter in undated])
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        for letter in undated:
            ranked = [
                (number, score)
                for number, score in group.matches(letter.lines)
                if group.versions[number].first  # dating it needs a dated version
            ]
            exact = [number + 1 for number, score in ranked if score == 1.0]
            if exact:
                verdict = "same as version " + ", ".join(map(str, exact))
            elif ranked and ranked[0][1] > 0:
                number, score = ranked[0]
                verdict = f"closest: version {number + 1} ({score:.0%} of lines alike)"
            else:
                verdict = "matches no dated version"
            title = titles.get(letter.file) or Path(letter.file).name
            child = QTreeWidgetItem([f"{title}: {verdict}"])
            child.setData(0, FILES_ROLE, [letter.file])
            child.setToolTip(0, plain_tooltip(f"{title}\n{letter.file}\n{verdict}"))
            item.addChild(child)
        return item


class LetterheadsPanel(QWidget):
    """The collection's letterheads by issuer (letters, first and last date) and a history."""

    lettersChosen = Signal(list)  # files, in date order (undated last)
    letterOpenRequested = Signal(str)  # a letter of the history, double-clicked

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._groups: list[LetterheadGroup] = []
        self._titles: Mapping[str, str] = {}
        self._chosen_label = ""
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Filter letterheads")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Filter letterheads")
        self.search.textChanged.connect(self._filter)
        self.groups = _ChoosingTree(self)
        self.groups.setColumnCount(4)
        self.groups.setHeaderLabels(["Letterhead", "Letters", "First", "Last"])
        self.groups.setRootIsDecorated(False)
        self.groups.setUniformRowHeights(True)
        self.groups.setSortingEnabled(False)
        header = self.groups.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # The counts and dates keep their width: in a narrow dock the title gives way.
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.groups.setAccessibleName("Letterheads")
        self.groups.setAccessibleDescription(
            "Every letterhead of the collection, by issuer. Choosing one narrows the letter "
            "list to the letters written on it and shows its history below."
        )
        self.history = LetterheadHistory(self)
        self.groups.filesChosen.connect(self._group_chosen)
        self.groups.currentItemChanged.connect(self._show_history)
        self.history.filesChosen.connect(self._history_chosen)
        self.history.itemDoubleClicked.connect(self._open_letter_item)
        self._empty = QLabel("No letter of this collection has a letterhead.", self)
        self._empty.setWordWrap(True)
        self._empty.hide()
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.groups)
        splitter.addWidget(self.history)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.search)
        layout.addWidget(self._empty)
        layout.addWidget(splitter, 1)

    # -- data ---------------------------------------------------------------------
    def set_groups(
        self, groups: Sequence[LetterheadGroup], titles: Mapping[str, str] | None = None
    ) -> None:
        """Show ``groups`` (``CollectionIndex.letterhead_groups()``); ``titles``: file -> title."""
        self._groups = list(groups)
        self._titles = dict(titles or {})
        self.groups.clear()
        self.history.set_group(None)
        for number, group in enumerate(self._groups):
            title = group.title or "Letterhead"
            row = QTreeWidgetItem(
                [title, str(len(group.files)), group.first or "", group.last or ""]
            )
            row.setData(0, FILES_ROLE, group.files)
            row.setData(0, GROUP_ROLE, number)
            row.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            issuer = group.issuer or "no issuer named: grouped by its printed text"
            kind = "printed lines" if group.printed else "sections of members"
            row.setToolTip(
                0,
                plain_tooltip(
                    f"{title}\nIssuer: {issuer}\n{_plural(len(group.versions), 'version')}, {kind}"
                ),
            )
            self.groups.addTopLevelItem(row)
        self._empty.setVisible(not self._groups)
        self._filter(self.search.text())

    def group_rows(self) -> list[QTreeWidgetItem]:
        return [self.groups.topLevelItem(i) for i in range(self.groups.topLevelItemCount())]

    def visible_group_rows(self) -> list[QTreeWidgetItem]:
        return [row for row in self.group_rows() if not row.isHidden()]

    def choose(self, issuer_or_title: str) -> bool:
        """Choose the group with this issuer id or title, as a click would."""
        for row in self.group_rows():
            group = self._groups[row.data(0, GROUP_ROLE)]
            if issuer_or_title in (group.issuer, group.title):
                self.groups.setCurrentItem(row)
                self.groups._choose(row)
                return True
        return False

    @property
    def chosen_label(self) -> str:
        """What the files of the last ``lettersChosen`` are, for the letter list's summary."""
        return self._chosen_label

    def show_letter(self, file: str, issuer: str | None = None) -> bool:
        """Show the history of the letterhead ``file`` is written on (the one of ``issuer``
        when it has several) with the letter picked out in it. Narrows nothing."""
        wanted = normalise_for_compare(file)
        rows = [
            row
            for row in self.group_rows()
            if any(
                normalise_for_compare(f) == wanted
                for f in self._groups[row.data(0, GROUP_ROLE)].files
            )
        ]
        if not rows:
            return False
        row = next(
            (r for r in rows if issuer and self._groups[r.data(0, GROUP_ROLE)].issuer == issuer),
            rows[0],
        )
        if row.isHidden():
            self.search.clear()  # the filter typed hides it: the user asked for this one
        self.groups.setCurrentItem(row)
        self.groups.scrollToItem(row)
        for item in self._history_items():
            files = item.data(0, FILES_ROLE)
            if files and len(files) == 1 and normalise_for_compare(files[0]) == wanted:
                parent = item.parent()
                while parent is not None:
                    parent.setExpanded(True)
                    parent = parent.parent()
                self.history.setCurrentItem(item)
                self.history.scrollToItem(item)
                break
        return True

    def _history_items(self) -> list[QTreeWidgetItem]:
        items: list[QTreeWidgetItem] = []
        pending = [self.history.topLevelItem(i) for i in range(self.history.topLevelItemCount())]
        while pending:
            item = pending.pop(0)
            items.append(item)
            pending.extend(item.child(i) for i in range(item.childCount()))
        return items

    # -- reacting -----------------------------------------------------------------
    def _group_chosen(self, files: list) -> None:
        row = self.groups.currentItem()
        number = row.data(0, GROUP_ROLE) if row is not None else None
        title = self._groups[number].title if number is not None else ""
        self._chosen_label = f"Letters on the letterhead of {title or 'Letterhead'}"
        self.lettersChosen.emit(files)

    def _open_letter_item(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        files = item.data(0, FILES_ROLE)
        if files and len(files) == 1 and item.childCount() == 0:  # a letter's row
            self.letterOpenRequested.emit(files[0])

    def _history_chosen(self, files: list) -> None:
        group = self.history.group
        title = (group.title if group is not None else "") or "Letterhead"
        top = self.history.currentItem()
        while top is not None and top.parent() is not None:
            top = top.parent()
        part = f" ({top.text(0)})" if top is not None else ""
        self._chosen_label = f"Letters on the letterhead of {title}{part}"
        self.lettersChosen.emit(files)

    def _show_history(self, current: QTreeWidgetItem | None, _previous=None) -> None:
        number = current.data(0, GROUP_ROLE) if current is not None else None
        group = self._groups[number] if number is not None else None
        self.history.set_group(group, self._titles)

    def _filter(self, text: str) -> None:
        search = TextFilter(text)
        for row in self.group_rows():
            group = self._groups[row.data(0, GROUP_ROLE)]
            row.setHidden(not search.matches(group.title, group.issuer))
