"""The side panel: Letterhead, Entities, Details and Diagnostics tabs under one search field.

Owns the thin Qt adapters that turn ``viewer.filtering``'s answers into rows:
which rows exist (one per letterhead member, entity, party, diagnostic), how a
click on a row becomes an ``entitiesActivated(ids, additive)`` signal, and how
rows are marked (bold, tinted, a mark icon) and narrowed for a selection and
a search. What is selected, what matches and what involves what is decided
in ``viewer.filtering``; the window wires the signals.

Letter text only ever reaches Qt as plain text: item texts, plain-text labels,
and tooltips passed through :func:`plain_tooltip` (Qt guesses that a tooltip
is rich text when it looks like markup, so every tooltip is escaped).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QBrush,
    QColor,
    QDesktopServices,
    QFont,
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from viewer.filtering import (
    TextFilter,
    entity_rows,
    letterhead_roles,
    letterhead_rows_involving,
    mentions_on_line,
)
from viewer.gui.kinds import is_dark, kind_style
from viewer.model import Letter

KIND_HEADINGS = {
    "person": "People",
    "organisation": "Organisations",
    "place": "Places",
    "date": "Dates",
    "treaty": "Treaties",
    "work": "Works",
    "event": "Events",
    "other": "Other",
}
SAFE_SCHEMES = ("http", "https")
ISSUER_ROLE = Qt.ItemDataRole.UserRole + 7  # a letterhead section's issuer id (or None)
MARK = "\N{BLACK RIGHT-POINTING SMALL TRIANGLE}"


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally, whatever it contains."""
    if not text:
        return ""
    # Qt renders a tooltip as rich text when it "might be" markup; escaping and
    # wrapping it makes the decision explicit and keeps the line breaks.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "<p style='white-space:pre-wrap'>" + escaped + "</p>"


def open_authority(url: str) -> bool:
    """Open an authority record in the browser, but only an http(s) one."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return False
    if scheme not in SAFE_SCHEMES:
        return False
    return bool(QDesktopServices.openUrl(QUrl(url.strip())))


def authority_label(url: str) -> str:
    """A short label for an authority URI: "Q227" for Wikidata, "GND 118…" for the GND."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    host = parts.hostname or ""
    tail = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if "wikidata" in host and tail:
        return tail
    if "d-nb.info" in host and tail:
        return f"GND {tail}"
    if "viaf" in host and tail:
        return f"VIAF {tail}"
    if "geonames" in host:
        return "GeoNames " + (parts.path.strip("/").split("/", 1)[0] or tail)
    return host.removeprefix("www.") or url


def _swatch(color: QColor, marked: bool, size: int = 12) -> QIcon:
    """A small round swatch of a kind's colour; selected rows get a ring and a dot."""
    ratio = (
        QGuiApplication.primaryScreen().devicePixelRatio() if QGuiApplication.primaryScreen() else 1
    )
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if marked:
        highlight = QApplication.palette().color(QPalette.ColorRole.Highlight)
        painter.setPen(highlight.darker(115))
        painter.setBrush(highlight)
        painter.drawEllipse(0, 0, size - 1, size - 1)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("white"))
        painter.drawEllipse(size // 2 - 2, size // 2 - 2, 4, 4)
    else:
        painter.setPen(color.darker(140))
        painter.setBrush(color)
        painter.drawEllipse(2, 2, size - 5, size - 5)
    painter.end()
    return QIcon(pixmap)


class _LazyBuild:
    """Builds a panel's rows when it is first shown or asked for, not when a letter opens.

    Only one tab is visible at a time; building the others before the first
    paint would only delay it. ``apply`` on an unbuilt, hidden panel just
    remembers the state, and the build applies it.
    """

    def _lazy_init(self) -> None:
        self._letter: Letter | None = None
        self._dirty = False
        self._state: tuple | None = None

    def set_letter(self, letter: Letter | None) -> None:
        self._letter = letter
        self._dirty = True
        if self.isVisible():  # type: ignore[attr-defined]
            self.ensure_built()

    def ensure_built(self) -> None:
        if self._dirty:
            self._dirty = False
            self._build(self._letter)
            if self._state is not None:
                self._apply_now(*self._state)

    def showEvent(self, event) -> None:
        self.ensure_built()
        super().showEvent(event)  # type: ignore[misc]

    def apply(self, *state):
        self._state = state
        if self._dirty and not self.isVisible():  # type: ignore[attr-defined]
            return None
        self.ensure_built()
        return self._apply_now(*state)

    def _build(self, letter: Letter | None) -> None:
        raise NotImplementedError

    def _apply_now(self, *state):
        raise NotImplementedError


class _Row(QTreeWidgetItem):
    """A row that stands for entities: the ids a click selects, the ids that mark it."""

    def __init__(
        self,
        texts: Sequence[str],
        *,
        select: Iterable[str],
        involves: Iterable[str] = (),
        search: Iterable[str | None] = (),
        kind: str = "other",
    ) -> None:
        super().__init__(list(texts))
        self.select = tuple(select)
        self.involves = frozenset(involves) | frozenset(self.select)
        self.search = tuple(t for t in search if t)
        self.kind = kind
        self.marked = False
        self.alternate_select: tuple[str, ...] = ()  # what a click on column 1 selects


class EntityTree(_LazyBuild, QTreeWidget):
    """A tree whose leaf rows select entities; base of the Letterhead and Entities tabs."""

    entitiesActivated = Signal(list, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lazy_init()
        self._leaves: list[_Row] = []
        self._groups: list[tuple[QTreeWidgetItem, list[_Row]]] = []
        self._icons: dict[tuple[str, bool], QIcon] = {}
        self._marked_count = 0
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(False)
        self.setRootIsDecorated(True)
        self.setIndentation(14)
        self.setIconSize(QSize(12, 12))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.itemClicked.connect(self._clicked)
        self.setMouseTracking(True)

    # -- building -------------------------------------------------------------
    def _reset(self) -> None:
        self.clear()
        self._leaves = []
        self._groups = []
        self._marked_count = 0
        self._icons.clear()

    def _icon(self, kind: str, marked: bool) -> QIcon:
        key = (kind, marked)
        icon = self._icons.get(key)
        if icon is None:
            style = kind_style(kind, is_dark(self.palette()))
            icon = _swatch(QColor(style.underline), marked)
            self._icons[key] = icon
        return icon

    def _add_group(self, title: str, rows: list[_Row], tooltip: str = "") -> QTreeWidgetItem:
        group = QTreeWidgetItem([title])
        font = group.font(0)
        font.setBold(True)
        group.setFont(0, font)
        group.setFlags(Qt.ItemFlag.ItemIsEnabled)
        group.setFirstColumnSpanned(False)
        if tooltip:
            group.setToolTip(0, plain_tooltip(tooltip))
        for row in rows:
            row.setIcon(0, self._icon(row.kind, False))
            group.addChild(row)
        self.addTopLevelItem(group)
        group.setExpanded(True)
        self._groups.append((group, rows))
        self._leaves.extend(rows)
        return group

    # -- selection and filtering ------------------------------------------------
    @property
    def marked_count(self) -> int:
        self.ensure_built()
        return self._marked_count

    def leaves(self) -> list[_Row]:
        self.ensure_built()
        return list(self._leaves)

    def visible_leaves(self) -> list[_Row]:
        self.ensure_built()
        return [row for row in self._leaves if not row.isHidden() and not row.parent().isHidden()]

    def marked_leaves(self) -> list[_Row]:
        self.ensure_built()
        return [row for row in self._leaves if row.marked]

    def _apply_now(self, ids: frozenset[str], search: TextFilter, only_selected: bool) -> int:
        """Mark rows involving ``ids`` and hide the rows the search and selection rule out.

        With a selection and ``only_selected``, a row stays when it is marked
        or (while a search is typed) matches the search, so that more
        entities can be found and Ctrl+clicked in. Returns the visible rows.
        """
        tint = QColor(self.palette().color(QPalette.ColorRole.Highlight))
        tint.setAlpha(60)
        tint_brush = QBrush(tint)
        marked_count = 0
        first_marked: _Row | None = None
        self.setUpdatesEnabled(False)
        try:
            for row in self._leaves:
                marked = not row.involves.isdisjoint(ids)
                if marked != row.marked:
                    self._style_row(row, marked, tint_brush)
                if marked:
                    marked_count += 1
                    first_marked = first_marked or row
                matches = search.matches(*row.search)
                # With a selection, the search adds rows to Ctrl+click in; it hides none.
                visible = (
                    (marked or (search.active and matches)) if ids and only_selected else matches
                )
                row.setHidden(not visible)
            for group, rows in self._groups:
                shown = sum(not row.isHidden() for row in rows)
                group.setHidden(shown == 0)
                total = len(rows)
                group.setText(1, f"{shown} of {total}" if shown < total else str(total))
        finally:
            self.setUpdatesEnabled(True)
        self._marked_count = marked_count
        if first_marked is not None:
            self.scrollToItem(first_marked, QAbstractItemView.ScrollHint.EnsureVisible)
        return len(self.visible_leaves())

    def _style_row(self, row: _Row, marked: bool, tint: QBrush) -> None:
        row.marked = marked
        for column in range(self.columnCount()):
            font = row.font(column)
            font.setBold(marked)
            row.setFont(column, font)
            row.setBackground(column, tint if marked else QBrush())
        row.setIcon(0, self._icon(row.kind, marked))
        # The mark is also spoken: screen readers do not see bold or colour.
        name = row.text(0)
        row.setData(0, Qt.ItemDataRole.AccessibleTextRole, f"{name}, selected" if marked else name)

    # -- activation ---------------------------------------------------------------
    def _activate(self, row: QTreeWidgetItem | None, column: int, additive: bool) -> None:
        if not isinstance(row, _Row):
            return
        ids = row.alternate_select if column == 1 and row.alternate_select else row.select
        if ids:
            self.entitiesActivated.emit(list(ids), additive)

    def _clicked(self, item: QTreeWidgetItem, column: int) -> None:
        if self._column_click(item, column):
            return
        additive = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ControlModifier)
        self._activate(item, column, additive)

    def _column_click(self, item: QTreeWidgetItem, column: int) -> bool:
        """Subclasses handle clicks on special columns (links) here."""
        return False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            item = self.currentItem()
            if isinstance(item, _Row):
                additive = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
                self._activate(item, 0, additive)
                event.accept()
                return
        if event.matches(QKeySequence.StandardKey.Copy) and isinstance(self.currentItem(), _Row):
            self.copy()  # the entity's name and authority URIs, not just the cell's text
            event.accept()
            return
        super().keyPressEvent(event)

    # -- copying ------------------------------------------------------------------
    def reference(self, item: _Row) -> str:
        """What Copy puts on the clipboard for a row: each entity's name and authority URIs
        (one line each), or the row's text when it names no known entity."""
        from viewer.gui.printing import entity_reference

        letter = self._letter
        entities = [letter.entity(i) for i in item.select] if letter is not None else []
        lines = [entity_reference(entity) for entity in entities if entity is not None]
        return "\n".join(lines) or item.text(0)

    def copy(self) -> None:
        """Edit ▸ Copy and Ctrl+C on a row: its entities' references to the clipboard."""
        item = self.currentItem()
        if isinstance(item, _Row):
            QGuiApplication.clipboard().setText(self.reference(item))

    def _context_menu(self, pos) -> None:
        menu = self.context_menu(self.itemAt(pos))
        if menu is not None:
            menu.exec(self.viewport().mapToGlobal(pos))

    def context_menu(self, item: QTreeWidgetItem | None) -> QMenu | None:
        """The context menu of ``item`` (None: it has none)."""
        selects = isinstance(item, _Row) and item.select
        menu = self.row_menu(item) if selects else QMenu(self)
        if item is not None:
            self._item_actions(menu, item)
        if menu.isEmpty():
            menu.deleteLater()
            return None
        return menu

    def row_menu(self, item: _Row) -> QMenu:
        """The context menu of a row that selects entities."""
        menu = QMenu(self)
        menu.addAction("Select", lambda: self._activate(item, 0, False))
        menu.addAction("Add to selection", lambda: self._activate(item, 0, True))
        if item.alternate_select:
            menu.addAction(
                f"Select {item.text(1)}",
                lambda: self.entitiesActivated.emit(list(item.alternate_select), False),
            )
        menu.addSeparator()
        copy = menu.addAction(
            "Copy", lambda: QGuiApplication.clipboard().setText(self.reference(item))
        )
        copy.setToolTip("The name and its authority URIs (GND, VIAF, Wikidata…)")
        ids = " ".join(item.select)
        menu.addAction("Copy id", lambda: QGuiApplication.clipboard().setText(ids))
        self._extend_menu(menu, item)
        return menu

    def _extend_menu(self, menu: QMenu, item: _Row) -> None:
        pass

    def _item_actions(self, menu: QMenu, item: QTreeWidgetItem) -> None:
        """Subclasses add actions for any row here (a group heading too)."""


# What the second column says of a printed letterhead line of each kind.
PRINTED_LINE_KINDS = {
    "organisation": "Organisation",
    "person": "Person",
    "place": "Place",
    "contact": "Address / contact",
    "line": "Printed line",
}


class LetterheadPanel(EntityTree):
    """The letterhead as the XML gives it: sections in order, members with role/affiliation.

    With a collection open (``set_history_available(True)``), every row's context
    menu offers "Show This Letterhead's History": ``historyRequested(issuer)`` (the
    section's issuer id, or None), which the window answers with the collection's
    Letterheads panel.
    """

    historyRequested = Signal(object)  # the section's issuer id, or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._history_available = False
        self.setColumnCount(2)
        self.setHeaderLabels(["Name", "Role / affiliation"])
        header = self.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.setAccessibleName("Letterhead")
        self.setAccessibleDescription(
            "Sections and members of the sender's letterhead. Enter selects the member; "
            "Ctrl+Enter adds it to the selection."
        )
        self._empty = QLabel("This letter has no letterhead.", self.viewport())
        self._empty.hide()

    def _build(self, letter: Letter | None) -> None:
        self._reset()
        self._empty.hide()
        if letter is None:
            return
        for section in letter.letterhead:
            rows: list[_Row] = []
            for member in section.members:
                affiliation = member.affiliation.name if member.affiliation else None
                detail = ", ".join(part for part in (member.role, affiliation) if part)
                if section.printed and not detail:
                    # A printed line: what kind of line it is (an address, the issuer...).
                    detail = PRINTED_LINE_KINDS.get(member.kind, member.kind)
                # Long one-line members (an address block) read better on one line.
                name = " ".join(member.name.split())
                row = _Row(
                    [name, detail],
                    select=member.entities
                    or (member.affiliation.entities if member.affiliation else ()),
                    involves=(
                        *member.entities,
                        *(member.affiliation.entities if member.affiliation else ()),
                    ),
                    search=(name, member.role, affiliation, section.title),
                    kind=member.kind,
                )
                if member.affiliation is not None and member.entities:
                    row.alternate_select = member.affiliation.entities
                tip = [name]
                if member.role:
                    tip.append(f"Role: {member.role}")
                if affiliation:
                    tip.append(f"Affiliation: {affiliation}")
                if section.printed:
                    tip.append(f"Printed letterhead of {section.title}")
                    names = [self._entity_name(i) for i in member.entities]
                    if names:
                        tip.append("Names: " + "; ".join(names))
                else:
                    tip.append(f"Section: {section.title}")
                row.setToolTip(0, plain_tooltip("\n".join(tip)))
                if detail:
                    row.setToolTip(1, plain_tooltip("\n".join(tip)))
                rows.append(row)
            tooltip = ""
            if section.printed:
                issuer = f" ({section.issuer})" if section.issuer else " (no issuer named)"
                tooltip = f"Printed letterhead: {section.title}{issuer}, {len(rows)} lines"
            group = self._add_group(section.title or "(untitled section)", rows, tooltip)
            group.setData(0, ISSUER_ROLE, section.issuer)
            group.setText(1, str(len(rows)))
            group.setForeground(1, self.palette().brush(QPalette.ColorRole.PlaceholderText))
        self._fit_columns()
        self._empty.setVisible(not letter.letterhead)
        self._empty.move(12, 12)
        self._empty.adjustSize()

    def _entity_name(self, entity_id: str) -> str:
        entity = self._letter.entity(entity_id) if self._letter is not None else None
        return entity.name if entity is not None and entity.name else entity_id

    def _extend_menu(self, menu: QMenu, item: _Row) -> None:
        # A printed line may name several entities ("3 Quay Road, Lakeside"): pick one.
        if len(item.select) < 2:
            return
        menu.addSeparator()
        for entity_id in item.select:
            name = self._entity_name(entity_id)
            menu.addAction(
                f"Select only {name}",
                lambda chosen=entity_id: self.entitiesActivated.emit([chosen], False),
            )

    def set_history_available(self, available: bool) -> None:
        """Whether there is a collection whose letterheads can show this one's history."""
        self._history_available = bool(available)

    def _item_actions(self, menu: QMenu, item: QTreeWidgetItem) -> None:
        if not self._history_available:
            return
        section = item if item.parent() is None else item.parent()
        issuer = section.data(0, ISSUER_ROLE)
        if not menu.isEmpty():
            menu.addSeparator()
        menu.addAction(
            "Show This Letterhead's History", lambda: self.historyRequested.emit(issuer or None)
        )

    def _fit_columns(self) -> None:
        # Names are what people scan: give them most of the width, roles the rest.
        width = self.viewport().width()
        if width > 0:
            self.setColumnWidth(0, max(160, int(width * 0.56)))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_columns()


class EntitiesPanel(EntityTree):
    """Every entity of the letter grouped by kind, with mention counts and authority links."""

    AUTHORITY_COLUMN = 2

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(3)
        self.setHeaderLabels(["Name", "Mentions", "Authority"])
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.setAccessibleName("Entities")
        self.setAccessibleDescription(
            "Every entity of the letter grouped by kind with its number of mentions. "
            "Enter selects the entity; Ctrl+Enter adds it to the selection."
        )

    def set_partial(self, partial: bool) -> None:
        """While only a letter's first part is read, its mentions are counted "so far"."""
        self.setHeaderLabels(["Name", "Mentions so far" if partial else "Mentions", "Authority"])

    def _build(self, letter: Letter | None) -> None:
        self._reset()
        if letter is None:
            return
        roles = letterhead_roles(letter)
        link_brush = self.palette().brush(QPalette.ColorRole.Link)
        muted = self.palette().brush(QPalette.ColorRole.PlaceholderText)
        for group in entity_rows(letter):
            rows: list[_Row] = []
            for entry in group.rows:
                entity = entry.entity
                name = entity.name
                if entry.line_ids:
                    name += "  \N{MIDDLE DOT} line " + ", ".join(entry.line_ids[:3])
                    if len(entry.line_ids) > 3:
                        name += f" +{len(entry.line_ids) - 3}"
                count = str(entry.mentions)
                if entry.letterhead_only:
                    count = "letterhead"
                links = [a for a in entity.authority if a.strip()]
                label = authority_label(links[0]) if links else ""
                if len(links) > 1:
                    label += f" +{len(links) - 1}"
                row = _Row(
                    [name, count, label],
                    select=(entity.id,),
                    search=(entity.name, *entity.variants, *roles.get(entity.id, ()), entity.id),
                    kind=entity.kind,
                )
                row.authority = tuple(links)  # type: ignore[attr-defined]
                row.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                tip = [f"{entity.name} ({entity.kind})", f"id: {entity.id}"]
                if entity.variants:
                    tip.append("Also: " + "; ".join(entity.variants))
                if entry.mentions:
                    tip.append(f"{entry.mentions} mention(s) in the text")
                if entry.line_ids:
                    tip.append("Lines: " + ", ".join(entry.line_ids))
                if entry.letterhead_only:
                    tip.append("Named only in the letterhead")
                tip.extend(roles.get(entity.id, ()))
                if not entry.known:
                    tip.append("Not in any register")
                if entity.description:
                    tip.append(entity.description)
                if entity.source:
                    tip.append(f"Register: {entity.source}")
                row.setToolTip(0, plain_tooltip("\n".join(tip)))
                if entry.letterhead_only or not entry.known:
                    font = row.font(0)
                    font.setItalic(True)
                    row.setFont(0, font)
                    row.setForeground(1, muted)
                if not entry.known:
                    row.setForeground(0, muted)
                if links:
                    font = QFont(row.font(2))
                    font.setUnderline(True)
                    row.setFont(2, font)
                    row.setForeground(2, link_brush)
                    row.setToolTip(2, plain_tooltip("Open in the browser:\n" + "\n".join(links)))
                rows.append(row)
            heading = KIND_HEADINGS.get(group.kind, group.kind.capitalize())
            item = self._add_group(heading, rows)
            item.setText(1, str(len(rows)))
            item.setForeground(1, muted)
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def _column_click(self, item: QTreeWidgetItem, column: int) -> bool:
        if column != self.AUTHORITY_COLUMN or not isinstance(item, _Row):
            return False
        links = getattr(item, "authority", ())
        if not links:
            return False
        for link in links:
            if open_authority(link):
                break
        return True

    def _extend_menu(self, menu: QMenu, item: _Row) -> None:
        for link in getattr(item, "authority", ()):
            scheme = urlsplit(link).scheme.lower()
            action = QAction(f"Open {authority_label(link)} in the browser", menu)
            action.setEnabled(scheme in SAFE_SCHEMES)
            action.triggered.connect(lambda _checked=False, url=link: open_authority(url))
            menu.addAction(action)


class DiagnosticsPanel(_LazyBuild, QTreeWidget):
    """The parser's diagnostics; a row whose line holds a mention shows that mention."""

    rangeRequested = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lazy_init()
        self.setColumnCount(4)
        self.setHeaderLabels(["Severity", "Code", "Message", "Line"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setWordWrap(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.setAccessibleName("Diagnostics")
        self.setAccessibleDescription(
            "Problems the reader found in the letter's encoding. Enter shows the mention on "
            "that line."
        )
        self.itemClicked.connect(lambda item, _column: self._show(item))
        self._rows: list[tuple[QTreeWidgetItem, tuple[str, ...], tuple[int, int] | None]] = []

    def _build(self, letter: Letter | None) -> None:
        self.clear()
        self._rows = []
        if letter is None:
            return
        from PySide6.QtWidgets import QStyle  # its Python type is costly; not needed to start

        style = self.style()
        icons = {
            "error": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
            "warning": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning),
            "info": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation),
        }
        for diagnostic in letter.diagnostics:
            line = "" if diagnostic.line is None else str(diagnostic.line)
            item = QTreeWidgetItem([diagnostic.severity, diagnostic.code, diagnostic.message, line])
            item.setIcon(0, icons.get(diagnostic.severity, icons["info"]))
            item.setToolTip(2, plain_tooltip(diagnostic.message))
            item.setTextAlignment(3, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            target: tuple[int, int] | None = None
            on_line = mentions_on_line(letter, diagnostic.line)
            # Prefer the mention the diagnostic is about (the one with the dangling reference).
            dangling = [m for m in on_line if m.unresolved] or on_line
            if dangling:
                target = (dangling[0].start, dangling[0].end)
                item.setToolTip(
                    3, plain_tooltip("Click to show the mention on this line in the text")
                )
            self.addTopLevelItem(item)
            search = (diagnostic.severity, diagnostic.code, diagnostic.message)
            self._rows.append((item, search, target))

    def row_count(self) -> int:
        self.ensure_built()
        return len(self._rows)

    def visible_rows(self) -> list[QTreeWidgetItem]:
        self.ensure_built()
        return [item for item, _s, _t in self._rows if not item.isHidden()]

    def target_of(self, item: QTreeWidgetItem) -> tuple[int, int] | None:
        self.ensure_built()
        for row, _search, target in self._rows:
            if row is item:
                return target
        return None

    def _apply_now(self, search: TextFilter) -> int:
        for item, texts, _target in self._rows:
            item.setHidden(not search.matches(*texts))
        return len(self.visible_rows())

    def _show(self, item: QTreeWidgetItem | None) -> None:
        target = self.target_of(item) if item is not None else None
        if target is not None:
            self.rangeRequested.emit(*target)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._show(self.currentItem())
            event.accept()
            return
        super().keyPressEvent(event)


class _PartyButton(QToolButton):
    """A sender, recipient or place in Details: a link-like button that selects its entities.

    It is checked while it involves the selection, which draws it pressed.
    """

    def __init__(self, text: str, ids: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setText(text)
        self.ids = ids
        self.marked = False
        self.setAutoRaise(True)
        self.setCheckable(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setObjectName("partyButton")
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.ButtonText, palette.color(QPalette.ColorRole.Link))
        self.setPalette(palette)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.setToolTip(plain_tooltip(f"{text}\nClick to select; Ctrl+click to add"))
        self.setAccessibleName(text)

    def set_marked(self, marked: bool) -> None:
        if marked == self.marked:
            return
        self.marked = marked
        self.setChecked(marked)
        text = self.text().removeprefix(MARK + " ")
        self.setText(f"{MARK} {text}" if marked else text)
        font = self.font()
        font.setBold(marked)
        self.setFont(font)
        self.setAccessibleName(f"{text}, selected" if marked else text)


class DetailsPanel(_LazyBuild, QScrollArea):
    """The letter's metadata as a form: title, sender, recipient, date, places, source, file."""

    entitiesActivated = Signal(list, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lazy_init()
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("Details")
        self._body = QWidget()
        self._form = QFormLayout(self._body)
        self._form.setContentsMargins(12, 12, 12, 12)
        self._form.setVerticalSpacing(8)
        self._form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self._form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.setWidget(self._body)
        self._buttons: list[_PartyButton] = []
        self._values: dict[str, str] = {}

    @property
    def party_buttons(self) -> list[_PartyButton]:
        self.ensure_built()
        return list(self._buttons)

    def value(self, label: str) -> str:
        """The text shown for a field ("Title", "Date", ...); for tests and copying."""
        self.ensure_built()
        return self._values.get(label, "")

    def _label(self, text: str) -> QLabel:
        label = QLabel(text)
        # Plain text, always: a title like "<b>" must show as typed.
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        return label

    def _field(self, name: str, text: str) -> None:
        if not text:
            return
        self._values[name] = text
        label = self._label(text)
        label.setAccessibleName(name)
        self._form.addRow(self._caption(name), label)

    def _caption(self, name: str) -> QLabel:
        caption = QLabel(name)
        caption.setTextFormat(Qt.TextFormat.PlainText)
        caption.setObjectName("detailsCaption")
        caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        return caption

    def _parties(self, name: str, parties) -> None:
        if not parties:
            return
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        shown = []
        for party in parties:
            shown.append(party.name)
            if party.entities:
                button = _PartyButton(party.name, tuple(party.entities))
                button.clicked.connect(lambda _c=False, b=button: self._clicked(b))
                self._buttons.append(button)
                layout.addWidget(button)
            else:
                layout.addWidget(self._label(party.name))
        self._values[name] = "; ".join(shown)
        box.setAccessibleName(name)
        self._form.addRow(self._caption(name), box)

    def _clicked(self, button: _PartyButton) -> None:
        button.setChecked(button.marked)  # the selection, not the click, decides the look
        additive = bool(QApplication.keyboardModifiers() & Qt.KeyboardModifier.ControlModifier)
        self.entitiesActivated.emit(list(button.ids), additive)

    def _build(self, letter: Letter | None) -> None:
        while self._form.rowCount():
            self._form.removeRow(0)
        self._buttons = []
        self._values = {}
        if letter is None:
            return
        self._field("Title", letter.title)
        self._parties("Sender", letter.senders)
        self._parties("Recipient", letter.recipients)
        if letter.date is not None:
            date = letter.date
            parts = [date.text or ""]
            if date.when and date.when != date.text:
                parts.append(f"ISO {date.when}")
            if date.not_before:
                parts.append(f"not before {date.not_before}")
            if date.not_after:
                parts.append(f"not after {date.not_after}")
            self._field("Date", " \N{MIDDLE DOT} ".join(p for p in parts if p))
        self._parties("Places", letter.places)
        self._field("Source", letter.source)
        self._field(
            "Reading", letter.reading + (" (has sic/corr choices)" if letter.has_choices else "")
        )
        self._field("File", letter.file)

    def _apply_now(self, ids: frozenset[str]) -> None:
        for button in self._buttons:
            button.set_marked(not ids.isdisjoint(button.ids))


class SidePanel(QWidget):
    """The search field, the "selected only" switch and the tabs; forwards activations."""

    entitiesActivated = Signal(list, bool)
    rangeRequested = Signal(int, int)
    letterheadHistoryRequested = Signal(object)  # the letterhead's issuer id, or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidePanel")
        self._ids: frozenset[str] = frozenset()
        self._letter: Letter | None = None
        self._entity_ids: frozenset[str] | None = None
        self._letterhead_left = False  # a letter without one switched away from the tab

        self.search = QLineEdit()
        self.search.setObjectName("panelSearch")
        self.search.setPlaceholderText("Filter names, roles, affiliations  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Filter panel rows")
        self.search.setAccessibleDescription(
            "Every word must match a name, role or affiliation; case and accents are ignored"
        )
        self.search.textChanged.connect(lambda _text: self._apply())

        self.only_selected = QToolButton()
        self.only_selected.setText("Selected only")
        self.only_selected.setCheckable(True)
        self.only_selected.setChecked(True)
        self.only_selected.setAutoRaise(True)
        self.only_selected.setToolTip(
            "While something is selected, list only the rows that are or involve it"
        )
        self.only_selected.setAccessibleName("List only rows involving the selection")
        self.only_selected.toggled.connect(lambda _on: self._apply())

        self.letterhead = LetterheadPanel()
        self.entities = EntitiesPanel()
        self.details = DetailsPanel()
        self.diagnostics = DiagnosticsPanel()
        for panel in (self.letterhead, self.entities, self.details):
            panel.entitiesActivated.connect(self.entitiesActivated)
        self.diagnostics.rangeRequested.connect(self.rangeRequested)
        self.letterhead.historyRequested.connect(self.letterheadHistoryRequested)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.setAccessibleName("Side panel")
        self.tabs.addTab(self.letterhead, "Letterhead")
        self.tabs.addTab(self.entities, "Entities")
        self.tabs.addTab(self.details, "Details")
        self.tabs.addTab(self.diagnostics, "Diagnostics")
        self.tabs.currentChanged.connect(lambda _index: self._update_hint())

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(6)
        top.addWidget(self.search, 1)
        top.addWidget(self.only_selected)
        self.hint = QLabel(
            "Only the rows that involve the selection are listed. "
            "Esc clears the selection; “Selected only” shows every row."
        )
        self.hint.setWordWrap(True)
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.hint.setContentsMargins(4, 0, 4, 4)
        self.hint.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 8, 8, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.hint)
        self.setFocusProxy(self.search)

    # -- state ------------------------------------------------------------------
    def set_letter(self, letter: Letter | None) -> None:
        self._letter = letter
        self._entity_ids: frozenset[str] | None = None
        for panel in (self.letterhead, self.entities, self.details, self.diagnostics):
            panel.set_letter(letter)
        has_letterhead = letter is not None and bool(letter.letterhead)
        if not has_letterhead and self.tabs.currentWidget() is self.letterhead:
            self.tabs.setCurrentWidget(self.entities)
            self._letterhead_left = True
        self.tabs.setTabEnabled(self.tabs.indexOf(self.letterhead), has_letterhead)
        if has_letterhead and self._letterhead_left:
            # Only a letter without one took the Letterhead tab away: the next one gives it back.
            self._letterhead_left = False
            self.tabs.setCurrentWidget(self.letterhead)
        self._apply()

    def set_selection(self, ids: Iterable[str]) -> None:
        self._ids = frozenset(ids)
        self._apply()

    def set_letterhead_history_available(self, available: bool) -> None:
        """Offer "Show This Letterhead's History" on the Letterhead tab (a collection is open)."""
        self.letterhead.set_history_available(available)

    def set_partial(self, partial: bool) -> None:
        """Say that the counts are of a letter's first part only (it opens in two stages)."""
        self.entities.set_partial(partial)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def clear_search(self) -> None:
        self.search.clear()

    def _apply(self) -> None:
        search = TextFilter(self.search.text())
        only = self.only_selected.isChecked()
        self._update_hint()
        self.letterhead.apply(self._ids, search, only)
        self.entities.apply(self._ids, search, only)
        self.details.apply(self._ids)
        self.diagnostics.apply(search)
        letter = self._letter
        # Counted from the letter, not the rows: a tab not shown yet has no rows.
        in_letterhead = in_entities = 0
        if letter is not None and self._ids:
            in_letterhead = len(letterhead_rows_involving(letter, self._ids))
            if self._entity_ids is None:
                self._entity_ids = frozenset(
                    row.id for group in entity_rows(letter) for row in group.rows
                )
            in_entities = len(self._ids & self._entity_ids)
        self._title(self.letterhead, "Letterhead", in_letterhead)
        self._title(self.entities, "Entities", in_entities)
        errors = 0 if letter is None else sum(d.severity != "info" for d in letter.diagnostics)
        title = f"Diagnostics ({errors})" if errors else "Diagnostics"
        self.tabs.setTabText(self.tabs.indexOf(self.diagnostics), title)

    def _update_hint(self) -> None:
        narrowing = bool(self._ids) and self.only_selected.isChecked()
        self.hint.setVisible(
            narrowing and self.tabs.currentWidget() in (self.letterhead, self.entities)
        )

    def _title(self, panel: QWidget, name: str, marked: int) -> None:
        index = self.tabs.indexOf(panel)
        self.tabs.setTabText(index, f"{name} \N{BULLET} {marked}" if marked else name)
        tip = f"{marked} row(s) involve the selection" if marked else ""
        if not self.tabs.isTabEnabled(index):
            tip = "This letter has no letterhead"
        self.tabs.setTabToolTip(index, tip)
