"""The main window: composes the letter view, the side panel and the legend, and wires them.

Owns the window's layout, actions, menus, toolbar and status bar, the file
watcher on the open letter, drag and drop, and saving/restoring its own state
through :class:`viewer.settings.Settings`. It holds no application state and
computes nothing: the current letter, the selection, the reading, the hidden
kinds and the completion of a long letter live in the Qt-free
:class:`viewer.session.Session`, whose events reach the widgets through the
:class:`viewer.gui.bridge.SessionBridge`'s signals. Every connection is made in
two places: ``_connect_pane_signals()`` (the letter pane's, made in
``__init__``) and ``_connect_signals()`` (the rest's, made by ``ensure_built``).

The window is built in two steps, so that the letter is painted before the
rest exists: ``__init__`` builds the letter pane (header, legend, text) and
keeps places in the splitter for the facsimile pane and the side panel;
``ensure_built()`` calls the composition root's ``rest()`` for the side panel,
the facsimile pane (and the collection's panels), then builds the actions,
menus, toolbar and status bar, connects them and shows the session as it is
(letter, selection, hidden kinds, reading). ``viewer.gui.app.build`` calls it
at once unless told to defer it (an interactive start: after the first paint);
``built`` says whether it has run. Until then only the letter pane follows the
session.

Adding a panel (at merge time): build the widget in ``viewer.gui.app.build``'s
``rest()`` (or later), then ``window.add_panel(widget, "Title", area)`` docks it
(View gets its toggle); menus exist once the window is built:
``window.add_action(menu_name, action)`` puts an action in a menu;
the widget observes ``window.bridge`` (``letterShown``, ``letterCompleted``,
``selectionChanged``, ``caretMoved``...) and calls ``window.session``'s
operations (``select``, ``toggle``, ``open``...).

Public API other parts of Epistola build on (keep the names):
``open_letter(path) -> bool``, ``current_letter``, ``letter_opened``,
``selection_changed``, ``set_selection(ids)``, ``add_panel(widget, title,
area)``, ``add_action(menu_name, action)``, ``menu(name)``,
``show_text_range(start, end)``, ``set_line_mode(mode)``, ``status(message)``,
``paths_dropped``, ``session``, ``bridge``.

The facsimile pane (viewer.gui.facsimile.FacsimilePane, handed in as
``WindowParts.facsimile``) sits in the central splitter between the text and the side
panel, shown while the letter has a page image and View ▸ Facsimile is on;
it follows the caret, and choosing a page or clicking a line on it moves the
text's caret there. ``image_finder`` (viewer.images.ImageFinder, shared with
the composition root's loader) gets the folders added with View ▸ Add Image
Folder….
"""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QFileSystemWatcher, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QFont,
    QIcon,
    QPalette,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from viewer.assets import resources_dir
from viewer.filtering import fold, plural, status_text
from viewer.gui.bridge import SessionBridge
from viewer.gui.kinds import KIND_ORDER, kind_label, mention_kind_counts
from viewer.linebreaks import FLOWING, SOURCE_LINES
from viewer.model import Letter
from viewer.records import Record, frozen
from viewer.session import CLEAR, KEEP_ALL, KEEP_KNOWN, RestFailure, Session

if TYPE_CHECKING:
    from PySide6.QtGui import QKeySequence

ICONS = resources_dir() / "icons"
MENUS = ("File", "Edit", "View", "Go", "Help")
DEFAULT_SIZE = (1280, 800)
SPLIT_RATIO = 0.6
FACSIMILE_SPLIT = (0.4, 0.3, 0.3)  # text, facsimile, side panel, while the pane shows
NOTICE_MS = 8000
LIST_WIDTH = 320  # the letter list's dock
WATCH_DELAY_MS = 250  # editors save in several steps (truncate, write, rename): wait for the last


def icon(name: str) -> QIcon:
    path = ICONS / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


@frozen
class CollectionParts(Record):
    """What the window needs to show collections (built by viewer.gui.app)."""

    letter_list: QWidget  # viewer.gui.collection_ui.LetterListPanel
    register_panel: QWidget  # ... RegisterPanel
    search_panel: QWidget  # ... SearchPanel
    indexer: object  # ... Indexer: reads collections in the background
    letterheads_panel: QWidget  # viewer.gui.letterheads.LetterheadsPanel


@frozen
class WindowParts(Record):
    """What the window adds to its letter pane in ensure_built() (built by viewer.gui.app)."""

    side_panel: QWidget  # viewer.gui.panels.SidePanel
    # Builds the viewer.gui.facsimile.FacsimilePane, when a letter with page images is
    # first shown (or the pane is asked for): most letters have none.
    facsimile: Callable[[], QWidget] | None = None
    collection: CollectionParts | None = None


class MainWindow(QMainWindow):
    """Epistola's window. Built by ``viewer.gui.app``, which hands in every part."""

    letter_opened = Signal(object)  # Letter
    selection_changed = Signal(object)  # frozenset[str]
    paths_dropped = Signal(list)  # list[str]
    letter_completed = Signal(object)  # Letter: the whole of a letter opened in two stages

    def __init__(
        self,
        *,
        session: Session,
        bridge: SessionBridge,
        letter_view: QWidget,
        legend: QWidget,
        rest: Callable[[], WindowParts],
        with_facsimile: bool = True,
        settings=None,
        catalog=None,
        image_finder=None,
        save_settings_on_close: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.bridge = bridge
        self.view = letter_view
        self.legend = legend
        # Built by ensure_built() from ``rest()``: the side panel, the facsimile pane,
        # actions, menus, toolbar and status bar. Until then the window is its letter pane.
        self._rest: Callable[[], WindowParts] | None = rest
        self._built = False
        self.panel = None
        self._facsimile: QWidget | None = None  # the pane, once built (see facsimile)
        self._make_facsimile: Callable[[], QWidget] | None = None
        self._with_facsimile = with_facsimile  # the splitter keeps the pane's place
        # The collection's panels and indexer: attach_collection() (app.run attaches them
        # after the first paint, which does not need them).
        self.letter_list = None
        self.register_panel = None
        self.search_panel = None
        self.letterheads_panel = None
        self.indexer = None
        self.settings = settings
        self.catalog = catalog  # viewer.tei.catalog.RegisterCatalog: Add Register Folder
        self.image_finder = image_finder  # viewer.images.ImageFinder: Add Image Folder
        self._following_facsimile = False  # the caret moves because the facsimile asked
        self._sizes_with_facsimile: list[int] | None = None  # the splitter, the pane shown
        self._facsimile_shown = True  # View ▸ Facsimile (restore_state: the remembered one)
        self.save_settings_on_close = save_settings_on_close
        self._menus: dict[str, QMenu] = {}
        self._kind_actions: dict[str, QAction] = {}
        self._watched: str | None = None
        self._view_done: Callable[[], None] | None = None  # the session waits on the view
        self._open_first = False  # open the collection's first letter once it is read
        self._exports = None  # viewer.gui.export_ui.Exports, built when first used

        self.setWindowTitle("Epistola")
        self.setObjectName("mainWindow")
        self.resize(*DEFAULT_SIZE)
        self._build_centre()
        self._connect_pane_signals()

    @property
    def built(self) -> bool:
        """True once the window has more than its letter pane (see :meth:`ensure_built`)."""
        return self._built

    def ensure_built(self) -> None:
        """Build the rest of the window (once): the side panel, the facsimile pane, actions,
        menus, toolbar, status bar and their connections, showing the session as it is now.

        The composition root calls it at once, or, for an interactive start, right after
        the first paint of the letter pane, which needs none of it."""
        rest, self._rest = self._rest, None
        if rest is None:
            return
        parts = rest()
        self.panel = parts.side_panel
        self.splitter.replaceWidget(self.splitter.count() - 1, self.panel).deleteLater()
        if self._with_facsimile:
            if parts.facsimile is None:
                raise ValueError("the window keeps a place for a facsimile pane: pass one")
            self._make_facsimile = parts.facsimile
        self._set_stretch()
        # Focus order: the text, then the panel's search field, then the tabs.
        QWidget.setTabOrder(self.view, self.panel.search)
        QWidget.setTabOrder(self.panel.search, self.panel.tabs)
        self.setAcceptDrops(True)
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._watcher = QFileSystemWatcher(self)
        self._watch_timer = QTimer(self)
        self._watch_timer.setSingleShot(True)
        self._watch_timer.setInterval(WATCH_DELAY_MS)
        self._connect_signals()
        self._built = True
        self._show_session()
        if parts.collection is not None:
            self.attach_collection(parts.collection)

    def _show_session(self) -> None:
        """The parts built by ensure_built() show the session's letter and selection."""
        letter = self.session.letter
        if letter is not None:
            self._show_letter_around(letter)
            if self._with_facsimile:
                self._show_facsimile(letter)
        count = self.view.emphasised_count if letter is not None else 0
        self._show_selection_around(self.session.selection, count or 0)
        self._update_export_actions()

    # ------------------------------------------------------------------ layout
    def _build_centre(self) -> None:
        self.title_label = QLabel()
        self.title_label.setObjectName("letterTitle")
        self.title_label.setTextFormat(Qt.TextFormat.PlainText)
        self.title_label.setWordWrap(True)
        self.title_label.setAccessibleName("Letter title")
        font = QFont(self.title_label.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setWeight(QFont.Weight.DemiBold)
        self.title_label.setFont(font)
        self.subtitle_label = QLabel()
        self.subtitle_label.setObjectName("letterSubtitle")
        self.subtitle_label.setTextFormat(Qt.TextFormat.PlainText)
        self.subtitle_label.setWordWrap(True)
        self.subtitle_label.setAccessibleName("Sender, recipient and date")
        self.subtitle_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        header = QWidget()
        header.setObjectName("letterHeader")
        header_layout = QVBoxLayout(header)
        header_layout.setContentsMargins(14, 10, 14, 6)
        header_layout.setSpacing(2)
        header_layout.addWidget(self.title_label)
        header_layout.addWidget(self.subtitle_label)
        header_layout.addSpacing(4)
        header_layout.addWidget(self.legend)

        self.view.setAccessibleName("Letter text")
        centre = QWidget()
        centre.setObjectName("letterPane")
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(0)
        centre_layout.addWidget(header)
        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Plain)
        rule.setForegroundRole(QPalette.ColorRole.Mid)
        centre_layout.addWidget(rule)
        centre_layout.addWidget(self.view, 1)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(centre)
        # Places kept for the facsimile pane and the side panel (ensure_built() puts them
        # in), so that the letter pane has its width from the first paint on.
        if self._with_facsimile:
            facsimile_place = QWidget()
            self.splitter.addWidget(facsimile_place)
            facsimile_place.hide()
        self.splitter.addWidget(QWidget())
        self._set_stretch()
        width = DEFAULT_SIZE[0]
        self.splitter.setSizes(
            self._split_sizes([int(width * SPLIT_RATIO), int(width * (1 - SPLIT_RATIO))])
        )
        self.setCentralWidget(self.splitter)

    def _set_stretch(self) -> None:
        # Kept in each widget's size policy: set again for the widgets ensure_built() puts in.
        self.splitter.setStretchFactor(0, 65)
        if self._with_facsimile:
            self.splitter.setStretchFactor(1, 50)
        self.splitter.setStretchFactor(self.splitter.count() - 1, 35)

    def _action(
        self,
        text: str,
        slot: Callable[[], object] | None = None,
        shortcuts: Iterable[QKeySequence | QKeySequence.StandardKey | str] = (),
        tip: str = "",
        icon_name: str = "",
    ) -> QAction:
        from PySide6.QtGui import QKeySequence

        action = QAction(text, self)
        keys: list[QKeySequence] = []
        for shortcut in shortcuts:
            if isinstance(shortcut, QKeySequence.StandardKey):
                keys.extend(QKeySequence.keyBindings(shortcut))
            else:
                keys.append(QKeySequence(shortcut))
        unique: list[QKeySequence] = []
        for key in keys:
            if not key.isEmpty() and key not in unique:
                unique.append(key)
        if unique:
            action.setShortcuts(unique)
        if tip:
            action.setStatusTip(tip)
            shown = unique[0].toString(QKeySequence.SequenceFormat.NativeText) if unique else ""
            action.setToolTip(f"{tip} ({shown})" if shown else tip)
        if icon_name:
            action.setIcon(icon(icon_name))
        if slot is not None:
            action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)  # shortcuts work even while the menu bar is hidden
        return action

    def _build_actions(self) -> None:
        # Imported with the actions, after the first paint: making the class's Python enums
        # (StandardKey has about 70 members) took 12 ms that the first paint does not need.
        from PySide6.QtGui import QKeySequence

        view = self.view
        self.open_action = self._action(
            "&Open…", self.choose_file, [QKeySequence.StandardKey.Open], "Open a letter", "open"
        )
        self.reload_action = self._action(
            "&Reload", self.reload, ["F5"], "Read the letter again from disk", "reload"
        )
        self.register_folder_action = self._action(
            "Add Re&gister Folder…", self.choose_register_folder, [],
            "Resolve references against the register files in a folder (remembered)",
        )  # fmt: skip
        self.open_folder_action = self._action(
            "Open &Folder…", self.choose_folder, ["Ctrl+Shift+O"],
            "Open a folder of letters as a collection",
        )  # fmt: skip
        self.search_action = self._action(
            "&Search in Collection…", self.show_search, ["Ctrl+Shift+F"],
            "Search the text of every letter in the collection",
        )  # fmt: skip
        self.next_letter_action = self._action(
            "Ne&xt Letter", lambda: self.open_adjacent(1), ["Ctrl+PgDown"],
            "Open the next letter of the list",
        )  # fmt: skip
        self.previous_letter_action = self._action(
            "Pre&vious Letter", lambda: self.open_adjacent(-1), ["Ctrl+PgUp"],
            "Open the previous letter of the list",
        )  # fmt: skip
        self.quit_action = self._action("&Quit", self.close, ["Ctrl+Q"], "Quit Epistola")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.find_action = self._action(
            "&Find…", self.panel.focus_search, ["Ctrl+F"], "Filter the side panel's rows", "find"
        )
        self.copy_action = self._action("&Copy", self.copy, [], "Copy the selected text")
        # Ctrl+C is left to the focused widget (text view, search field); the menu shows it.
        self.copy_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        self.copy_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.zoom_in_action = self._action(
            "Zoom &In",
            view.zoom_in,
            [QKeySequence.StandardKey.ZoomIn, "Ctrl++", "Ctrl+="],
            "Larger text",
            "zoom-in",
        )
        self.zoom_out_action = self._action(
            "Zoom &Out", view.zoom_out, [QKeySequence.StandardKey.ZoomOut, "Ctrl+-"],
            "Smaller text", "zoom-out",
        )  # fmt: skip
        self.zoom_reset_action = self._action(
            "&Actual Size", view.zoom_reset, ["Ctrl+0"], "Text at its normal size"
        )
        self.next_action = self._action(
            "&Next Mention", self.next_mention, [QKeySequence.StandardKey.FindNext, "F3"],
            "Go to the next mention of the selection", "next",
        )  # fmt: skip
        self.previous_action = self._action(
            "&Previous Mention", self.previous_mention,
            [QKeySequence.StandardKey.FindPrevious, "Shift+F3"],
            "Go to the previous mention of the selection", "previous",
        )  # fmt: skip
        self.clear_action = self._action(
            "&Clear Selection", self.clear, ["Esc"], "Clear the selection and the filter", "clear"
        )
        self.about_action = self._action("&About Epistola", self.about, [], "About Epistola")
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

        self.reading_group = QActionGroup(self)
        self.reading_group.setExclusive(True)
        self.normalised_action = self._action(
            "&Normalised Reading", lambda: self.set_reading("normalised"), ["Ctrl+Shift+N"],
            "Show corrections, regularisations and expansions",
        )  # fmt: skip
        self.diplomatic_action = self._action(
            "&Diplomatic Reading", lambda: self.set_reading("diplomatic"), ["Ctrl+Shift+D"],
            "Show the text as written: sic, original spellings, abbreviations",
        )  # fmt: skip
        for action in (self.normalised_action, self.diplomatic_action):
            action.setCheckable(True)
            self.reading_group.addAction(action)
        self.normalised_action.setText("Normalised")
        self.diplomatic_action.setText("Diplomatic")
        self._sync_reading_actions()

        self.line_breaks_action = self._action(
            "Source &Line Breaks", None, ["Ctrl+Shift+L"],
            "Start a new line at each of the source's line breaks, numbered in the margin "
            "(off: the text flows)", "line-breaks",
        )  # fmt: skip
        self.line_breaks_action.setCheckable(True)
        self.line_breaks_action.setChecked(view.line_mode == SOURCE_LINES)
        self.line_breaks_action.setIconText("Line Breaks")

        for number, kind in enumerate(KIND_ORDER, start=1):
            action = self._action(
                f"{kind_label(kind)}", None, [f"Alt+{number}"],
                f"Show or hide the highlighting of {kind_label(kind).lower()} mentions",
            )  # fmt: skip
            action.setCheckable(True)
            action.setChecked(self.session.kind_visible(kind))
            action.toggled.connect(lambda on, k=kind: self.set_kind_visible(k, on))
            self._kind_actions[kind] = action
        self.recent_menu = QMenu("Open &Recent", self)

        self.facsimile_action = self._action(
            "&Facsimile", None, ["Ctrl+Shift+I"],
            "Show the page images beside the text (letters with scans)",
        )  # fmt: skip
        self.facsimile_action.setCheckable(True)
        self.facsimile_action.setChecked(self._facsimile_shown)  # restore_state(): remembered
        self.facsimile_action.setEnabled(False)  # until a letter has a page image
        self.image_folder_action = self._action(
            "Add &Image Folder…", self.choose_image_folder, [],
            "Look for page images (scans) in a folder too (remembered)",
        )  # fmt: skip
        if not self._with_facsimile:
            self.facsimile_action.setVisible(False)
            self.image_folder_action.setVisible(False)
        # Print and exports: viewer.gui.export_ui does the work, imported when first used.
        self.print_action = self._action(
            "&Print…", self.print_letter, [QKeySequence.StandardKey.Print],
            "Print the letter as shown, with a preview",
        )  # fmt: skip
        self.export_pdf_action = self._action(
            "Letter as &PDF…", self.export_pdf, [],
            "Save the letter as shown (highlights, letterhead, notes) as a PDF file",
        )  # fmt: skip
        self.export_cmif_action = self._action(
            "Collection as &CMIF…", self.export_cmif, [],
            "Save the collection's correspondence metadata as CMIF, for correspSearch",
        )  # fmt: skip
        self.export_entities_action = self._action(
            "&Entities as CSV…", lambda: self.export_csv("entities"), [],
            "Save every entity of the collection as a spreadsheet (CSV)",
        )  # fmt: skip
        self.export_letters_action = self._action(
            "&Letters as CSV…", lambda: self.export_csv("letters"), [],
            "Save one row per letter of the collection as a spreadsheet (CSV)",
        )  # fmt: skip
        self.copy_citation_action = self._action(
            "Copy Ci&tation", self.copy_citation, ["Ctrl+Shift+C"],
            "Copy a line to cite the letter by (title, edition, file, date)",
        )  # fmt: skip
        self.export_menu = QMenu("&Export", self)
        self._update_export_actions()

    def _build_menus(self) -> None:
        bar = self.menuBar()
        for name in MENUS:
            self._menus[name] = bar.addMenu(f"&{name}")
        file_menu = self._menus["File"]
        file_menu.addAction(self.open_action)
        file_menu.addAction(self.open_folder_action)
        file_menu.addMenu(self.recent_menu)
        file_menu.addAction(self.reload_action)
        file_menu.addAction(self.register_folder_action)
        file_menu.addSeparator()
        file_menu.addAction(self.print_action)
        for action in (
            self.export_pdf_action,
            self.export_cmif_action,
            self.export_entities_action,
            self.export_letters_action,
        ):
            self.export_menu.addAction(action)
        file_menu.addMenu(self.export_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        edit = self._menus["Edit"]
        edit.addAction(self.copy_action)
        edit.addAction(self.copy_citation_action)
        edit.addAction(self.find_action)
        edit.addAction(self.search_action)
        view = self._menus["View"]
        view.addAction(self.zoom_in_action)
        view.addAction(self.zoom_out_action)
        view.addAction(self.zoom_reset_action)
        view.addSeparator()
        kinds = view.addMenu("&Highlighting")
        for action in self._kind_actions.values():
            kinds.addAction(action)
        reading = view.addMenu("&Reading")
        reading.addAction(self.normalised_action)
        reading.addAction(self.diplomatic_action)
        view.addAction(self.line_breaks_action)
        view.addSeparator()
        view.addAction(self.facsimile_action)
        view.addAction(self.image_folder_action)
        view.addSeparator()
        go = self._menus["Go"]
        go.addAction(self.next_action)
        go.addAction(self.previous_action)
        go.addSeparator()
        go.addAction(self.clear_action)
        go.addSeparator()
        go.addAction(self.next_letter_action)
        go.addAction(self.previous_letter_action)
        self._menus["Help"].addAction(self.about_action)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main toolbar", self)
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setFloatable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setAccessibleName("Main toolbar")
        bar.addAction(self.open_action)
        bar.addAction(self.reload_action)
        bar.addSeparator()
        bar.addAction(self.previous_action)
        self.mention_counter = QLabel()
        self.mention_counter.setObjectName("mentionCounter")
        self.mention_counter.setAccessibleName("Current mention")
        self.mention_counter.setMinimumWidth(64)
        self.mention_counter.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.mention_counter.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        bar.addWidget(self.mention_counter)
        bar.addAction(self.next_action)
        bar.addAction(self.clear_action)
        bar.addSeparator()
        self.reading_label = QLabel(" Reading: ")
        bar.addWidget(self.reading_label)
        bar.addAction(self.normalised_action)
        bar.addAction(self.diplomatic_action)
        bar.addSeparator()
        bar.addAction(self.line_breaks_action)
        bar.addAction(self.facsimile_action)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        bar.addAction(self.zoom_out_action)
        bar.addAction(self.zoom_in_action)
        for action in (self.zoom_in_action, self.zoom_out_action):
            button = bar.widgetForAction(action)
            if button is not None:
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.addToolBar(bar)
        self.toolbar = bar
        self._menus["View"].addAction(bar.toggleViewAction())

    def _build_status_bar(self) -> None:
        self.selection_label = QLabel()
        self.selection_label.setObjectName("selectionStatus")
        self.selection_label.setTextFormat(Qt.TextFormat.PlainText)
        self.selection_label.setAccessibleName("Selection")
        self.letter_label = QLabel()
        self.letter_label.setTextFormat(Qt.TextFormat.PlainText)
        self.letter_label.setObjectName("letterStatus")
        self.letter_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.progress_label = QLabel()
        self.progress_label.setObjectName("readingProgress")
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress_label.setAccessibleName("Reading progress")
        self.progress_label.hide()
        self.statusBar().addWidget(self.selection_label, 1)
        self.statusBar().addPermanentWidget(self.progress_label)
        self.statusBar().addPermanentWidget(self.letter_label)
        self._update_navigation(0)

    def attach_collection(self, parts: CollectionParts) -> None:
        """Dock the collection's panels and wire them and the indexer (once)."""
        if self.indexer is not None:
            raise RuntimeError("the window already has its collection")
        self.ensure_built()
        self.letter_list = parts.letter_list
        self.register_panel = parts.register_panel
        self.search_panel = parts.search_panel
        self.letterheads_panel = parts.letterheads_panel
        self.indexer = parts.indexer
        self.indexer.setParent(self)
        self._build_docks()
        self._connect_collection_signals()
        letter = self.session.letter
        if letter is not None:
            self.letter_list.set_current(letter.file)
        self._show_collection(self.session.collection)

    def _build_docks(self) -> None:
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self.letter_dock = self.add_panel(self.letter_list, "Letters", left)
        self.register_dock = self.add_panel(self.register_panel, "Collection Register", left)
        self.letterheads_dock = self.add_panel(self.letterheads_panel, "Letterheads", left)
        self.tabifyDockWidget(self.register_dock, self.letterheads_dock)
        self.register_dock.raise_()
        self.search_dock = self.add_panel(
            self.search_panel, "Search", Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.search_dock.hide()
        # Wide enough for date, sender and recipient beside the title.
        self.resizeDocks([self.letter_dock], [LIST_WIDTH], Qt.Orientation.Horizontal)
        self.letter_list.set_match_all(self.session.match_all)

    def _connect_pane_signals(self) -> None:
        """The letter pane's connections (made in __init__): session events to the text, the
        header and the legend; clicks in the text and on the legend to the session."""
        session, bridge = self.session, self.bridge
        bridge.letterShown.connect(self._show_letter)
        bridge.letterCompleted.connect(self._show_whole_letter)
        bridge.restFailed.connect(self._tell_rest_failed)
        bridge.selectionChanged.connect(self._apply_selection)
        bridge.readingChanged.connect(self._reading_changed)
        bridge.kindVisibilityChanged.connect(self._kind_visibility_changed)
        session.attach_builder(self.view.prepare, self._continue_in_view)
        self.view.letterCompleted.connect(self._view_completed)
        self.view.cursorPositionChanged.connect(
            lambda: session.move_caret(self.view.caret_offset())
        )
        self.view.mentionActivated.connect(session.toggle)
        self.legend.kindToggled.connect(self.set_kind_visible)

    def _connect_signals(self) -> None:
        """The connections of the parts ensure_built() adds: the side panel, actions, file
        watcher, drops and the facsimile pane."""
        session, bridge = self.session, self.bridge
        self.panel.entitiesActivated.connect(session.toggle)
        self.panel.rangeRequested.connect(self.show_text_range)
        self.line_breaks_action.toggled.connect(
            lambda on: self.set_line_mode(SOURCE_LINES if on else FLOWING)
        )
        self.view.lineModeChanged.connect(
            lambda mode: self.line_breaks_action.setChecked(mode == SOURCE_LINES)
        )
        self._watcher.fileChanged.connect(self._file_changed)
        self._watch_timer.timeout.connect(self._check_watched)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.paths_dropped.connect(self.open_paths)
        if self._with_facsimile:  # the pane's own signals: when it is built (facsimile)
            bridge.letterShown.connect(self._show_facsimile)
            bridge.letterCompleted.connect(self._show_facsimile)
            bridge.caretMoved.connect(self._facsimile_follows_caret)
            bridge.selectionChanged.connect(self._outline_selection)
            self.facsimile_action.toggled.connect(self._facsimile_toggled)
        bridge.letterShown.connect(lambda _letter: self._update_export_actions())
        bridge.collectionChanged.connect(lambda _index: self._update_export_actions())

    def _connect_collection_signals(self) -> None:
        """The collection's connections, made when its parts are attached."""
        session, bridge = self.session, self.bridge
        bridge.collectionChanged.connect(self._show_collection)
        bridge.matchModeChanged.connect(self._match_mode_changed)
        letters = self.letter_list
        letters.letterActivated.connect(self.open_letter_from_list)
        letters.matchModeChanged.connect(session.set_match_all)
        letters.cancelRequested.connect(self.indexer.cancel)
        letters.clearRequested.connect(session.clear_selection)
        letters.openFolderRequested.connect(self.choose_folder)
        self.register_panel.entitiesActivated.connect(session.toggle)
        self.search_panel.hitActivated.connect(self.open_hit)
        self.letterheads_panel.lettersChosen.connect(self._letterhead_chosen)
        self.letterheads_panel.letterOpenRequested.connect(self.open_letter_from_list)
        self.panel.letterheadHistoryRequested.connect(self.show_letterhead_history)
        indexer = self.indexer
        indexer.started.connect(self._indexing_started)
        indexer.progress.connect(lambda done, total: letters.set_indexing(True, done, total))
        indexer.finished.connect(session.set_collection)
        indexer.failed.connect(self._indexing_failed)
        indexer.idle.connect(lambda: letters.set_indexing(False))

    # ------------------------------------------------------------ public API
    @property
    def current_letter(self) -> Letter | None:
        return self.session.letter

    @property
    def selection(self) -> frozenset[str]:
        return self.session.selection

    @property
    def reading(self) -> str:
        return self.session.reading

    @property
    def last_error(self) -> str | None:
        """The message of the last open_letter that failed (None after one that worked)."""
        return self.session.last_error

    def menu(self, name: str) -> QMenu:
        """One of the window's menus: "File", "Edit", "View", "Go" or "Help" (asking for one
        builds the rest of the window, if it is not built yet)."""
        self.ensure_built()
        return self._menus[name]

    def add_panel(
        self,
        widget: QWidget,
        title: str,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.LeftDockWidgetArea,
    ) -> QDockWidget:
        """Dock ``widget`` at ``area``; View gets an entry to show or hide it (the rest of the
        window is built first, if it is not yet)."""
        self.ensure_built()
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title}")
        dock.setWidget(widget)
        dock.setAccessibleName(title)
        self.addDockWidget(area, dock)
        self._menus["View"].addAction(dock.toggleViewAction())
        return dock

    def add_action(self, menu_name: str, action: QAction) -> QAction:
        """Append ``action`` to the menu ``menu_name``; its shortcut works with the menu bar
        hidden (the rest of the window is built first, if it is not yet)."""
        self.ensure_built()
        self.addAction(action)
        self._menus[menu_name].addAction(action)
        return action

    def status(self, message: str, timeout: int = NOTICE_MS) -> None:
        """A passing notice in the status bar (the selection line comes back after it)."""
        self.statusBar().showMessage(message, timeout)

    def show_text_range(self, start: int, end: int) -> None:
        self.view.show_range(start, end)

    def open_letter(
        self,
        path: str,
        *,
        keep_selection: bool = False,
        quiet: bool = False,
        staged: bool = True,
        keep: str | None = None,
    ) -> bool:
        """Read and show the letter at ``path`` (``Session.open``).

        A problem becomes a dialog (or, with ``quiet``, a status notice) and
        False; the letter shown before stays. With ``staged`` a long letter
        shows its first part at once and the rest as soon as it is read (in a
        worker thread): ``letter_completed`` then, and ``complete`` is True.
        ``keep`` (a viewer.session constant) overrides ``keep_selection``.
        """
        path = os.fspath(path)
        if keep is None:
            keep = KEEP_KNOWN if keep_selection else CLEAR
        if self.session.open(path, keep=keep, staged=staged):
            return True
        message = self.session.last_error or f"{path}: could not be read"
        if quiet:
            self.status(f"Could not read {Path(path).name}: {message}")
        else:
            from viewer.gui.dialogs import show_error

            show_error(self, "Cannot open the letter", message)
        return False

    @property
    def complete(self) -> bool:
        """False while the rest of a letter opened in two stages is still on its way."""
        return self.session.complete

    def when_complete(self, action: Callable[[], object]) -> None:
        """Run ``action`` now, or once the whole of the letter being opened is shown."""
        self.session.when_complete(action)

    def _continue_in_view(self, letter: Letter, prepared: object, done: Callable[[], None]):
        self._view_done = done
        self.view.continue_letter(letter, prepared)

    def _view_completed(self) -> None:
        done, self._view_done = self._view_done, None
        if done is not None:
            done()

    def _show_whole_letter(self, letter: Letter) -> None:
        self._show_legend(letter)
        if not self.built:
            return  # ensure_built() shows the whole letter in the parts it adds
        self.progress_label.hide()
        self.panel.set_letter(letter)
        self.panel.set_partial(False)
        self._show_letter_facts(letter)
        self.letter_completed.emit(letter)

    def _tell_rest_failed(self, failure: RestFailure) -> None:
        if self.built:
            self.progress_label.hide()
        detail = failure.message
        if failure.bug:
            from viewer.gui.crash import write_log

            log = write_log(failure.details)
            if log is not None:
                detail += f"; details in {log}"
        self.status(
            f"Only the first part of {Path(failure.file).name} is shown: "
            f"the rest could not be read ({detail})",
            0,
        )

    def set_selection(self, ids: Iterable[str]) -> None:
        self.session.select(ids)

    # -- the facsimile ---------------------------------------------------------
    @property
    def facsimile(self) -> QWidget | None:
        """The facsimile pane (built the first time it is needed), or None: the window has
        none, or is not built yet."""
        if self._facsimile is None and self._make_facsimile is not None:
            pane, self._make_facsimile = self._make_facsimile(), None
            pane.setAccessibleName("Facsimile")
            pane.hide()  # shown for a letter with a page image
            self.splitter.replaceWidget(1, pane).deleteLater()
            self._set_stretch()
            pane.page_chosen.connect(self._go_to_page)
            pane.offset_clicked.connect(self._go_to_offset)
            self._facsimile = pane
        return self._facsimile

    def _split_sizes(self, sizes: list[int]) -> list[int]:
        """Splitter sizes for [text, side panel] (or all three) as the splitter has widgets."""
        if self._with_facsimile and len(sizes) == 2:
            return [sizes[0], 0, sizes[1]]
        return sizes

    def _wants_facsimile(self, letter: Letter | None) -> bool:
        return (
            self._with_facsimile
            and self.built
            and letter is not None
            and self.facsimile_action.isChecked()
            and any(page.image for page in letter.pages)
        )

    def _show_facsimile(self, letter: Letter) -> None:
        """A letter (or the whole of one) is shown: its pages in the pane, if it has images."""
        has_images = any(page.image for page in letter.pages)
        self.facsimile_action.setEnabled(has_images)
        if has_images:
            tip = "Show the page images beside the text"
        elif letter.pages:
            tip = "No image of this letter's pages was found: View ▸ Add Image Folder…"
        else:
            tip = "This letter names no page images"
        self.facsimile_action.setStatusTip(tip)
        self.facsimile_action.setToolTip(f"{tip} (Ctrl+Shift+I)")
        if self._wants_facsimile(letter):
            self.facsimile.set_pages(letter.pages, letter.zones)
            self.facsimile.follow_offset(self.view.caret_offset())
        elif self._facsimile is not None:
            self._facsimile.set_pages([], [])  # nothing decoded for a pane nobody sees
        self._place_facsimile(self._wants_facsimile(letter))

    def _place_facsimile(self, shown: bool) -> None:
        facsimile = self._facsimile
        if facsimile is None or shown == facsimile.isVisibleTo(self):
            return
        if not shown:
            self._sizes_with_facsimile = self.splitter.sizes()
            facsimile.hide()
            return
        total = sum(self.splitter.sizes())
        facsimile.show()
        if self._sizes_with_facsimile is not None:
            # The widths the user gave the three the last time the pane showed.
            self.splitter.setSizes(self._sizes_with_facsimile)
        elif total > 0:
            self.splitter.setSizes([int(total * share) for share in FACSIMILE_SPLIT])

    def _facsimile_toggled(self, shown: bool) -> None:
        if self.settings is not None:
            self.settings.facsimile_shown = shown
        letter = self.session.letter
        if letter is not None:
            self._show_facsimile(letter)
            self._outline_selection(self.session.selection)

    def _facsimile_follows_caret(self, offset: int) -> None:
        if self._facsimile is not None and not self._following_facsimile:
            self._facsimile.follow_offset(offset)

    def _outline_selection(self, ids: frozenset[str]) -> None:
        """Outline, on every page, the regions of the selected entities' mentions."""
        letter = self.session.letter
        if self._facsimile is None:
            return
        if not ids or letter is None:
            self._facsimile.set_regions([])
            return
        self._facsimile.outline_mentions(
            m for m in letter.mentions if m.regions and not ids.isdisjoint(m.entities)
        )

    def _go_to_page(self, index: int) -> None:
        pages = self.facsimile.pages()
        if 0 <= index < len(pages):
            self._go_to_offset(pages[index].offset)

    def _go_to_offset(self, offset: int) -> None:
        """The facsimile chose a page or a line: the text's caret goes there, and the pane,
        which already shows it, does not follow the caret back."""
        self._following_facsimile = True
        try:
            self.view.go_to(offset)
        finally:
            self._following_facsimile = False

    def _dialog_folder(self) -> str:
        """Where a file dialog starts: the open letter's folder, else the home folder."""
        letter = self.session.letter
        return str(Path(letter.file).parent) if letter is not None else str(Path.home())

    def choose_image_folder(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        start = self._dialog_folder()
        folder = QFileDialog.getExistingDirectory(self, "Add a folder of page images", start)
        if folder:
            self.add_image_folder(folder)

    def add_image_folder(self, folder: str) -> bool:
        """Look for page images in ``folder`` too, from now on; the letter is read again."""
        finder = self.image_finder
        path = str(Path(folder).resolve())
        if finder is None or not Path(path).is_dir():
            self.status(f"{folder} is not a folder")
            return False
        finder.add_folder(path)
        finder.refresh()  # scans copied in since a folder was first looked at count too
        if self.settings is not None and path not in self.settings.image_folders:
            self.settings.image_folders = [*self.settings.image_folders, path]
            self.settings.save()
        if self.session.letter is not None:
            self.open_letter(self.session.letter.file, keep_selection=True)

        def tell() -> None:
            letter = self.session.letter
            message = f"Image folder {Path(path).name} added"
            if letter is not None and letter.pages:
                found = sum(1 for page in letter.pages if page.image)
                message += f": {found} of {plural(len(letter.pages), 'page')} have an image"
            self.status(message)

        self.when_complete(tell)
        return True

    # ------------------------------------------------------------- actions
    def choose_file(self) -> None:
        start = self._dialog_folder()
        from PySide6.QtWidgets import QFileDialog

        path, _filter = QFileDialog.getOpenFileName(
            self, "Open a letter", start, "TEI letters (*.xml *.tei);;All files (*)"
        )
        if path:
            self.open_letter(path)

    def choose_register_folder(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        start = self._dialog_folder()
        folder = QFileDialog.getExistingDirectory(self, "Add a register folder", start)
        if folder:
            self.add_register_folder(folder)

    def add_register_folder(self, folder: str) -> bool:
        """Resolve references against ``folder``'s register files too, from now on."""
        catalog = self.catalog
        path = str(Path(folder).resolve())
        if catalog is None or not Path(path).is_dir():
            self.status(f"{folder} is not a folder")
            return False
        catalog.add_folder(path)
        if self.settings is not None and path not in self.settings.register_folders:
            self.settings.register_folders = [*self.settings.register_folders, path]
            self.settings.save()
        before = self._unresolved_count()
        if self.session.letter is not None:
            self.open_letter(self.session.letter.file, keep_selection=True)

        def tell() -> None:
            resolved = before - self._unresolved_count()
            message = f"Register folder {Path(path).name} added"
            if resolved == 1:
                message += ": 1 more reference resolves in this letter"
            elif resolved > 1:
                message += f": {resolved} more references resolve in this letter"
            self.status(message)

        self.when_complete(tell)  # a long letter is counted once it is whole
        return True

    def _unresolved_count(self) -> int:
        letter = self.session.letter
        if letter is None:
            return 0
        return sum(len(m.unresolved) for m in letter.mentions)

    def reload(self) -> bool:
        letter = self.session.letter
        if letter is None:
            return False
        if self.image_finder is not None:
            self.image_finder.refresh()  # scans added to the folders since count too
        ok = self.open_letter(letter.file, keep_selection=True)
        if ok:
            self.status(f"Reloaded {Path(letter.file).name}")
        return ok

    def set_reading(self, reading: str) -> None:
        if not self.session.set_reading(reading):
            message = self.session.last_error or "the letter could not be read"
            from viewer.gui.dialogs import show_error

            show_error(self, "Cannot open the letter", message)
        if self.built:
            self._sync_reading_actions()

    def _reading_changed(self, reading: str) -> None:
        if self.built:
            self._sync_reading_actions()
        if self.settings is not None:
            self.settings.reading = reading

    def set_line_mode(self, mode: str) -> None:
        """Flowing text or the source's lines (View ▸ Source Line Breaks)."""
        self.view.set_line_mode(mode)

    def set_kind_visible(self, kind: str, visible: bool) -> None:
        self.session.set_kind_visible(kind, visible)

    def _kind_visibility_changed(self, kind: str, visible: bool) -> None:
        self.view.set_kind_visible(kind, visible)
        action = self._kind_actions.get(kind)
        if action is not None and action.isChecked() != visible:
            action.blockSignals(True)
            action.setChecked(visible)
            action.blockSignals(False)
        self.legend.set_visible_kinds(set(self.view.visible_kinds()))
        if self.settings is not None:
            self.settings.kind_toggles = {**self.settings.kind_toggles, kind: visible}

    def next_mention(self) -> None:
        self.view.next_mention()
        if self.built:
            self._update_navigation(self.view.emphasised_count)

    def previous_mention(self) -> None:
        self.view.previous_mention()
        if self.built:
            self._update_navigation(self.view.emphasised_count)

    def clear(self) -> None:
        """Esc: clear the selection, the panel's search and a letterhead's narrowing."""
        if self.panel is not None:
            self.panel.clear_search()
        if self.letter_list is not None:
            self.letter_list.clear_files()
        if self.session.selection:
            self.session.clear_selection()

    def copy(self) -> None:
        widget = self.focusWidget()
        target = widget if widget is not None and hasattr(widget, "copy") else self.view
        if hasattr(target, "copy"):
            target.copy()

    def about(self) -> None:
        from viewer.gui.dialogs import show_about

        show_about(self)

    # ------------------------------------------------------------ internals
    def _apply_selection(self, ids: frozenset[str]) -> None:
        letter = self.session.letter
        count = self.view.set_selection(set(ids)) if letter is not None else 0
        if self.built:
            self._show_selection_around(ids, count or 0)

    def _show_selection_around(self, ids: frozenset[str], count: int) -> None:
        """The side panel, the lists, the status bar and the navigation show the selection
        (the text shows it already); ``count``: the mentions it emphasises."""
        letter = self.session.letter
        self.panel.set_selection(ids)
        if self.letter_list is not None:
            self.letter_list.set_filter(ids)
            self.register_panel.set_selection(ids)
        text = status_text(letter, ids)
        if not text and letter is not None:
            text = "Click a highlighted name, or a row in the side panel, to follow it."
        self.selection_label.setText(text)
        self.selection_label.setToolTip(text)
        self._update_navigation(count)
        self.selection_changed.emit(ids)

    def _update_navigation(self, count: int) -> None:
        self.next_action.setEnabled(count > 0)
        self.previous_action.setEnabled(count > 0)
        self.clear_action.setEnabled(True)
        if count <= 0:
            self.mention_counter.setText("")
            self.mention_counter.setAccessibleDescription("no mentions selected")
            return
        index = self.view.current_mention_index
        shown = f"{index + 1} / {count}" if isinstance(index, int) and index >= 0 else f"{count}"
        self.mention_counter.setText(shown)
        self.mention_counter.setAccessibleDescription(f"mention {shown}")

    def _show_letter(self, letter: Letter) -> None:
        self.view.set_letter(letter)
        self._show_legend(letter)
        self.title_label.setText(letter.title)
        self.subtitle_label.setText(self._subtitle(letter))
        self.setWindowTitle(f"{letter.title} — Epistola")
        self.setWindowFilePath(letter.file)
        if self.settings is not None:
            self.settings.last_letter = os.path.abspath(letter.file)
            self.settings.add_recent(letter.file)
        if self.built:
            self._show_letter_around(letter)

    def _show_letter_around(self, letter: Letter) -> None:
        """The side panel, the status bar, the file watch and the letter list show
        ``letter`` (the letter pane shows it already)."""
        complete = self.session.complete
        self.panel.set_letter(letter)
        self._show_letter_facts(letter)
        self._watch(letter.file)
        if self.letter_list is not None:
            self.letter_list.set_current(letter.file)
        self.panel.set_partial(not complete)
        if complete:
            self.progress_label.hide()
        else:
            self.progress_label.setText("Reading the rest of the letter…")
            self.progress_label.show()
            self.letter_label.setText(f"{len(letter.mentions)} mentions so far")
        self.letter_opened.emit(letter)

    def _show_legend(self, letter: Letter) -> None:
        self.legend.set_counts(mention_kind_counts(letter))
        self.legend.set_visible_kinds(set(self.view.visible_kinds()))

    def _show_letter_facts(self, letter: Letter) -> None:
        self.letter_label.setText(f"{len(letter.mentions)} mentions · {letter.reading} reading")
        self.letter_label.setToolTip(letter.file)
        self.reading_group.setEnabled(letter.has_choices)
        self.reading_label.setEnabled(letter.has_choices)
        tip = "" if letter.has_choices else "This letter has no sic/corr, orig/reg or abbr/expan"
        self.reading_label.setToolTip(tip)

    @staticmethod
    def _subtitle(letter: Letter) -> str:
        parts = []
        senders = ", ".join(p.name for p in letter.senders)
        recipients = ", ".join(p.name for p in letter.recipients)
        if senders or recipients:
            parts.append(f"{senders or '?'}  →  {recipients or '?'}")
        if letter.places:
            parts.append(", ".join(p.name for p in letter.places[:2]))
        if letter.date is not None and letter.date.text:
            parts.append(letter.date.text)
        return "   ·   ".join(parts)

    def _sync_reading_actions(self) -> None:
        reading = self.session.reading
        self.normalised_action.setChecked(reading == "normalised")
        self.diplomatic_action.setChecked(reading == "diplomatic")

    def _fill_recent(self) -> None:
        """Recent letters and folders: a folder opens as the collection, a file as the letter."""
        menu = self.recent_menu
        menu.clear()
        recent = list(self.settings.recent_files) if self.settings is not None else []
        for path in recent:
            is_folder = os.path.isdir(path)
            name = Path(path).name or path
            action = menu.addAction(f"{name}{os.sep}" if is_folder else name)
            action.setToolTip(path)
            action.setStatusTip(path)
            if is_folder:
                action.triggered.connect(lambda _c=False, p=path: self.open_folder(p))
            else:
                action.triggered.connect(lambda _c=False, p=path: self.open_letter(p))
        if not recent:
            menu.addAction("(none)").setEnabled(False)

    # -- print and exports (viewer.gui.export_ui) ------------------------------------
    def exports(self):
        """The window's :class:`viewer.gui.export_ui.Exports`, built the first time."""
        if self._exports is None:
            from viewer.gui.export_ui import Exports

            catalog = self.catalog
            self._exports = Exports(
                self,
                self.session,
                folder=lambda: self.folder if self.session.collection is not None else None,
                register_dirs=lambda: (
                    [str(d) for d in catalog.extra_folders] if catalog is not None else []
                ),
                status=self.status,
                status_bar=self.statusBar(),
            )
        return self._exports

    def print_letter(self) -> None:
        self.exports().print_letter()

    def export_pdf(self) -> None:
        self.exports().export_pdf()

    def export_cmif(self) -> None:
        self.exports().export_cmif()

    def export_csv(self, kind: str) -> None:
        self.exports().export_csv(kind)

    def copy_citation(self) -> None:
        self.exports().copy_citation()

    def _update_export_actions(self) -> None:
        has_letter = self.session.letter is not None
        for action in (self.print_action, self.export_pdf_action, self.copy_citation_action):
            action.setEnabled(has_letter)
        has_folder = self.folder is not None and self.session.collection is not None
        for action in (
            self.export_cmif_action,
            self.export_entities_action,
            self.export_letters_action,
        ):
            action.setEnabled(has_folder)

    # -- the collection ------------------------------------------------------------
    @property
    def collection(self):
        """The open collection's index (``session.collection``), or None."""
        return self.session.collection

    @property
    def folder(self) -> str | None:
        """The folder open as the collection, if any."""
        return self.indexer.folder if self.indexer is not None else None

    def choose_folder(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        start = self.folder or self._dialog_folder()
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of letters", start)
        if folder:
            self.open_folder(folder)

    def open_paths(self, paths: Iterable[str], *, open_letter: bool = True) -> None:
        """Folders and files from the command line or a drop.

        The first folder opens as the collection; files are added to the list
        and the first of them opens. With ``open_letter`` False no letter is
        opened (the caller has opened one already): only the list is built.
        """
        paths = [os.fspath(p) for p in paths]
        if self.indexer is None:  # dropped before the collection was attached
            if open_letter and paths and not os.path.isdir(paths[0]):
                self.open_letter(paths[0])
            return
        folders = [p for p in paths if os.path.isdir(p)]
        files = [p for p in paths if not os.path.isdir(p)]
        if folders:
            self.open_folder(folders[0], open_first=open_letter and not files)
            if len(folders) > 1:
                self.status(f"Opened {folders[0]} as the collection; one folder at a time")
        if files:
            missing = [f for f in files if not os.path.exists(f)]
            files = [f for f in files if os.path.exists(f)]
            if missing:
                self.status(f"No such file: {missing[0]}")
            if files:
                if open_letter:
                    self.open_letter(files[0])
                self.indexer.add_files(
                    files, lambda: self.session.collection, self.reading, self._letters_at_hand()
                )

    def _letters_at_hand(self) -> dict[str, Letter]:
        """The open letter, when it is whole and in the window's reading: listing it needs
        no second reading of its file."""
        letter = self.session.letter
        if letter is None or not self.session.complete or letter.reading != self.reading:
            return {}
        return {letter.file: letter}

    def open_folder(self, folder: str, *, open_first: bool = True) -> None:
        """Index ``folder`` in the background and list its letters."""
        folder = os.path.abspath(folder)
        if self.indexer is None:
            return
        if not os.path.isdir(folder):
            self.status(f"{folder} is not a folder")
            return
        self._open_first = open_first
        if self.settings is not None:
            self.settings.add_recent(folder)
            self.settings.save()
        self.indexer.index_folder(folder, self.reading)

    def wait_for_index(self, timeout_ms: int = 30000) -> bool:
        """Process events until indexing (and anything queued after it) is done."""
        return self.indexer.wait(timeout_ms) if self.indexer is not None else True

    def _indexing_started(self, text: str) -> None:
        self.letter_list.set_indexing(True, 0, 0)
        self.status(text)

    def _indexing_failed(self, message: str) -> None:
        from viewer.gui.dialogs import show_error

        self.status(f"The collection could not be read: {message}")
        show_error(self, "Cannot open the collection", message)

    def _show_collection(self, index) -> None:
        selection = self.session.selection
        self.letter_list.set_index(index)
        self.letter_list.set_filter(selection)
        self.register_panel.set_index(index)
        self.register_panel.set_selection(selection)
        self.search_panel.set_index(index)
        groups = index.letterhead_groups() if index is not None else []
        titles = self._letterhead_titles(index, groups) if groups else {}
        self.letterheads_panel.set_groups(groups, titles)
        self.panel.set_letterhead_history_available(bool(groups))
        current = self.session.letter
        if current is not None:
            self.letter_list.set_current(current.file)
        if index is None:
            return
        stats = index.stats
        parts = [plural(len(index.letters), "letter")]
        if stats.cached and stats.parsed:
            parts.append(f"{stats.parsed:,} read, {stats.cached:,} from the cache")
        if index.errors:
            parts.append(f"{plural(len(index.errors), 'file')} could not be read")
        message = ", ".join(parts)
        if index.cancelled:
            message = f"Indexing cancelled: {message} so far"
        elif index.is_empty:
            message = f"No letters in {index.folder}"
        for note in index.notes:
            message += f". {note}"
        self.status(message)
        if self._open_first and not index.is_empty and not index.cancelled:
            self._open_first = False
            in_collection = current is not None and index.letter(current.file) is not None
            if not in_collection and self.letter_list.model.rowCount():
                self.letter_list.activate_row(0)

    @staticmethod
    def _letterhead_titles(index, groups) -> dict[str, str]:
        """The titles of the letters written on a letterhead (not of every letter)."""
        files = {file for group in groups for file in group.files}
        titles: dict[str, str] = {}
        for file in files:
            summary = index.letter(file)
            if summary is not None:
                titles[file] = summary.title
        return titles

    def _letterhead_chosen(self, files: list) -> None:
        self.letter_list.set_files(files, self.letterheads_panel.chosen_label)
        self.letter_dock.show()
        self.letter_dock.raise_()

    def show_letterhead_history(self, issuer: str | None = None) -> bool:
        """Show the Letterheads panel on the current letter's letterhead (of ``issuer``)."""
        letter = self.session.letter
        if self.letterheads_panel is None or letter is None:
            return False
        if not self.letterheads_panel.show_letter(letter.file, issuer):
            self.status("This letter's letterhead is not among the collection's letterheads")
            return False
        self.letterheads_dock.show()
        self.letterheads_dock.raise_()
        return True

    def _match_mode_changed(self, match_all: bool) -> None:
        self.letter_list.set_match_all(match_all)
        if self.settings is not None:
            self.settings.match_all = match_all

    def _is_current(self, file: str) -> bool:
        from viewer.collection import normalise_for_compare

        current = self.session.letter
        return current is not None and normalise_for_compare(current.file) == normalise_for_compare(
            file
        )

    def open_letter_from_list(self, file: str) -> bool:
        if self._is_current(file):
            return True
        # The list is narrowed by the selection: it stays whole across the letters
        # opened from the list.
        return self.open_letter(file, keep=KEEP_ALL)

    def open_adjacent(self, step: int) -> bool:
        if self.letter_list is None:
            return False
        model = self.letter_list.model
        if model.rowCount() == 0:
            return False
        row = model.row_of(model.current)
        target = 0 if row < 0 else row + step
        if not 0 <= target < model.rowCount():
            return False
        summary = model.summary(target)  # None: the file left the collection a moment ago
        return summary is not None and self.open_letter_from_list(summary.file)

    def open_hit(self, hit, query: str) -> bool:
        """Open the letter of a search hit and show the hit (once the letter is whole)."""
        if not self._is_current(hit.file) and not self.open_letter(hit.file):
            return False
        if self.session.complete:
            return self._show_hit(hit, query)
        # A long letter shows its first part first; the hit may lie beyond it.
        self.session.when_complete(lambda: self._show_hit(hit, query))
        return True

    def _show_hit(self, hit, query: str) -> bool:
        letter = self.session.letter
        if letter is None:
            return False
        start, end = hit.start, hit.end
        found = letter.text[start:end]
        if fold(" ".join(found.split())) != fold(" ".join(query.split())):
            # The letter shows another reading, or changed since it was indexed.
            from viewer.collection import locate

            span = locate(letter.text, query, near=start)
            if span is None:
                if hit.reading:
                    self.status(f"“{query.strip()}” is in this letter's {hit.reading} reading")
                else:
                    self.status(f"“{query.strip()}” is no longer in this letter")
                return False
            start, end = span
        self.show_text_range(start, end)
        return True

    def show_search(self) -> None:
        if self.search_panel is None:
            return
        self.search_dock.show()
        self.search_dock.raise_()
        self.search_panel.focus()

    # -- the file on disk ----------------------------------------------------
    def _watch(self, path: str) -> None:
        files = self._watcher.files()
        if files:
            self._watcher.removePaths(files)
        self._watched = os.path.abspath(path)
        if os.path.exists(self._watched):
            self._watcher.addPath(self._watched)

    def _file_changed(self, _path: str) -> None:
        self._watch_timer.start()

    def _check_watched(self) -> None:
        path = self._watched
        if path is None:
            return
        name = Path(path).name
        if not os.path.exists(path):
            self.status(f"{name} was deleted or moved; the letter as last read stays open.", 0)
            return
        if path not in self._watcher.files():
            self._watcher.addPath(path)  # a save by rename drops the watch
        if self.open_letter(path, keep_selection=True, quiet=True):
            self.status(f"{name} changed on disk and was reloaded.")

    # -- drag and drop --------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and all(url.isLocalFile() for url in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.paths_dropped.emit(paths)

    # -- state ------------------------------------------------------------------
    def restore_state(self) -> None:
        """Geometry, splitter, kinds, zoom, line mode and the facsimile toggle from the
        settings (reading is passed in)."""
        settings = self.settings
        if settings is None:
            return
        if settings.window_geometry:
            # Settings checked it is base64; restoreGeometry ignores bytes it cannot use.
            self.restoreGeometry(QByteArray(base64.b64decode(settings.window_geometry)))
        sizes = self._split_sizes(list(settings.splitter_sizes))
        if len(sizes) == self.splitter.count() and sizes[0] > 0 and sizes[-1] > 0:
            self.splitter.setSizes(sizes)
            if self._with_facsimile and sizes[1] > 0:
                self._sizes_with_facsimile = sizes
        for kind, visible in settings.kind_toggles.items():
            if kind in KIND_ORDER and not visible:
                self.set_kind_visible(kind, False)
        if settings.zoom:
            self.view.set_zoom_level(settings.zoom)
        self.set_line_mode(settings.line_mode)
        self._facsimile_shown = settings.facsimile_shown
        if self.built and self._with_facsimile:
            self.facsimile_action.setChecked(settings.facsimile_shown)

    def store_state(self) -> None:
        settings = self.settings
        if settings is None:
            return
        settings.window_geometry = base64.b64encode(bytes(self.saveGeometry().data())).decode()
        sizes = self.splitter.sizes()
        shown = self._facsimile is not None and self._facsimile.isVisibleTo(self)
        if self._with_facsimile and not shown:
            sizes = self._sizes_with_facsimile or sizes  # the pane's width is kept for later
        settings.splitter_sizes = [int(size) for size in sizes]
        settings.zoom = int(self.view.zoom_level)
        settings.line_mode = self.view.line_mode
        if self.built and self._with_facsimile:
            settings.facsimile_shown = self.facsimile_action.isChecked()
        settings.reading = self.session.reading
        settings.kind_toggles = {
            **settings.kind_toggles,
            **{kind: self.session.kind_visible(kind) for kind in KIND_ORDER},
        }
        if self.session.letter is not None:
            settings.last_letter = os.path.abspath(self.session.letter.file)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.store_state()
        if self.settings is not None and self.save_settings_on_close and not self.settings.save():
            # The window is going away: the terminal, if any, is the last place to say so.
            for warning in self.settings.warnings[-1:]:
                sys.stderr.write(f"epistola: {warning}\n")
        super().closeEvent(event)
