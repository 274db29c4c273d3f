"""A monkey at the window: thousands of random clicks, keys, panel picks and letter switches.

The window is built by the real composition root (``viewer.gui.app.build``)
and driven with a fixed seed through what a user can do: clicks anywhere in
the letter pane (plain, Ctrl, Shift, double), the keyboard (F3, Shift+F3,
Esc, Ctrl+F, zoom, Tab, arrows, Enter, typing into the search field), clicks
on random rows of every panel, kind toggles, the reading toggle, tooltips,
resizes, and switching between the ICBL letter, corpus letters from four
editions, a letter full of markup characters and a broken file. The rest of a long
letter arrives when the monkey's deliver_rest action says so (the session's runner is
injected), so that no run depends on how a thread is scheduled.

Nothing may go wrong: no exception (the crash handler ``build`` installs would
report it, and its reports must stay empty), no dialog but the one expected
for the broken file, and no Qt warning or critical message except the
harmless offscreen-platform ones listed in ALLOWED_QT_MESSAGES.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QHelpEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QFileDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
)
from testdata import CORPUS, require

pytestmark = [pytest.mark.gui, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"
CORPUS_LETTERS = [
    "schnitzler-briefe/editions/L00007.xml",
    "escher/briefe/K_0029_Heer_Oswald_an_Escher_1867-12-15.xml",
    "mitford/letters/1819-01-09-Elford.xml",
    "jean-paul/briefe/vonbriefe/I/I_106.xml",
]
SEED = 20070724
ACTIONS = 3000
# Every this many actions the monkey waits for a long letter being read to be whole.
REST_EVERY = 40

# Messages the offscreen platform prints whatever the application does. Anything
# else at warning level or above fails the test.
ALLOWED_QT_MESSAGES = (
    "This plugin does not support propagateSizeHints()",
    "This plugin does not support raise()",
)

MARKUP_LETTER = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc>
<titleStmt><title>&lt;b&gt;Markup&lt;/b&gt; &amp; \u202eevil</title></titleStmt>
</fileDesc></teiHeader>
<standOff><listPerson><person xml:id="p1"><persName>&lt;img src="x.png"&gt;</persName>
<idno type="URI">javascript:alert(1)</idno></person></listPerson></standOff>
<text><body><p>a &lt; b &amp;&amp; <persName ref="#p1">&lt;i&gt;Evil&lt;/i&gt;</persName>
<persName ref="#dangling">Zed</persName> \u2066iso\u2069 <note>a note &lt;b&gt;</note>
<choice><sic>teh</sic><corr>the</corr></choice> end.</p></body></text></TEI>
"""


@pytest.fixture
def letters(tmp_path) -> list[Path]:
    found = [ICBL]
    for relative in CORPUS_LETTERS:
        found.append(require(CORPUS / relative))
    markup = tmp_path / "markup.xml"
    markup.write_text(MARKUP_LETTER, encoding="utf-8")
    found.append(markup)
    return found


@pytest.fixture
def qt_messages():
    recorded: list[tuple[str, str]] = []

    def handler(mode, _context, message):
        if mode in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            recorded.append((mode.name, message))

    previous = qInstallMessageHandler(handler)
    yield recorded
    qInstallMessageHandler(previous)


@pytest.fixture
def no_modal(monkeypatch):
    """Dialogs and menus that would block the monkey are recorded and return at once."""
    shown: list[tuple[str, str]] = []

    def message_box(box):
        shown.append((box.windowTitle(), box.text()))
        return int(QMessageBox.StandardButton.Ok)

    monkeypatch.setattr(QMessageBox, "exec", message_box)
    monkeypatch.setattr(QMessageBox, "show", message_box)
    monkeypatch.setattr(QDialog, "exec", lambda dialog: shown.append((type(dialog).__name__, "")))
    monkeypatch.setattr(QMenu, "exec", lambda *args, **kwargs: None)
    monkeypatch.setattr(QMenu, "popup", lambda *args, **kwargs: None)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: "")
    return shown


KEYS = [
    (Qt.Key.Key_F3, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier),
    (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier),
    (Qt.Key.Key_Down, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_Up, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_Left, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier),
    (Qt.Key.Key_PageDown, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_Space, Qt.KeyboardModifier.NoModifier),
    (Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier),
    (Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier),
    (Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier),
    (Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier),
    (Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier),
]
MODIFIERS = [
    Qt.KeyboardModifier.NoModifier,
    Qt.KeyboardModifier.NoModifier,
    Qt.KeyboardModifier.ControlModifier,
    Qt.KeyboardModifier.ShiftModifier,
]
SEARCHES = ["Will", "hrw", "<b>", "&", "ä", "zz", "\u202e", "", "a b", "*", "[", "("]


class HeldRunner:
    """The session's runner for the monkey: the rest of a long letter is read when the
    monkey says so (its deliver_rest action), never by a thread racing it."""

    def __init__(self) -> None:
        self.jobs: list = []

    def __call__(self, work, done) -> None:
        self.jobs.append((work, done))

    def deliver(self) -> None:
        # Every rest asked for so far; those of letters replaced since are dropped unread.
        jobs, self.jobs = self.jobs, []
        for work, done in jobs:
            done(work())


class Monkey:
    def __init__(
        self, qtbot, window, letters: list[Path], broken: Path, seed: int, runner: HeldRunner
    ) -> None:
        self.qtbot = qtbot
        self.runner = runner
        self.window = window
        self.letters = letters
        self.broken = broken
        self.rng = random.Random(seed)
        self.counts: dict[str, int] = {}
        self.selected_steps = 0  # steps after which something was selected
        self.zoom_levels: set[int] = set()
        self.readings: set[str] = set()

    def run(self, actions: int) -> None:
        built = self.window.built  # before that, the window is its letter pane alone
        weighted = [
            (self.click_text, 30),
            (self.key, 25),
            (self.click_row, 20 if built else 0),
            (self.toggle_kind, 5),
            (self.search, 4 if built else 0),
            (self.tooltip, 6),
            (self.toggle_reading, 3),
            (self.resize, 2),
            (self.switch_letter, 4),
            (self.open_broken, 1),
            (self.deliver_rest, 3),
        ]
        choices = [action for action, weight in weighted for _ in range(weight)]
        for step in range(actions):
            action = self.rng.choice(choices)
            self.counts[action.__name__] = self.counts.get(action.__name__, 0) + 1
            action()
            if step % 5 == 0:
                QApplication.processEvents()
            if step % REST_EVERY == REST_EVERY - 1:
                self.let_rest_arrive()
            self.selected_steps += bool(self.window.selection)
            self.zoom_levels.add(self.window.view.zoom_level)
            self.readings.add(self.window.reading)

    def click_text(self) -> None:
        viewport = self.window.view.viewport()
        point = QPoint(
            self.rng.randrange(max(1, viewport.width())),
            self.rng.randrange(max(1, viewport.height())),
        )
        modifier = self.rng.choice(MODIFIERS)
        if self.rng.random() < 0.1:
            self.qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, modifier, point)
        else:
            self.qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, modifier, point)

    def key(self) -> None:
        key, modifier = self.rng.choice(KEYS)
        target = QApplication.focusWidget() or self.window.view
        if target.window() is not self.window:
            target = self.window.view
        self.qtbot.keyClick(target, key, modifier)

    def _item_views(self) -> list[QAbstractItemView]:
        return [
            view
            for view in self.window.findChildren(QAbstractItemView)
            if view.isVisible() and view.model() is not None and view.model().rowCount() > 0
        ]

    def click_row(self) -> None:
        views = self._item_views()
        if not views:
            return
        view = self.rng.choice(views)
        model = view.model()
        parent = view.rootIndex()
        if model.rowCount(parent) == 0:
            return
        index = model.index(self.rng.randrange(model.rowCount(parent)), 0, parent)
        while model.rowCount(index) and self.rng.random() < 0.7:
            index = model.index(self.rng.randrange(model.rowCount(index)), 0, index)
        view.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        rect = view.visualRect(index)
        if not rect.isValid():
            return
        modifier = self.rng.choice(MODIFIERS)
        point = rect.center()
        if self.rng.random() < 0.15:
            self.qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, point)
        else:
            self.qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, point)

    def toggle_kind(self) -> None:
        kinds = sorted(self.window.view.visible_kinds() | {"person", "place", "organisation"})
        kind = self.rng.choice(kinds)
        self.window.set_kind_visible(kind, self.rng.random() < 0.5)

    def search(self) -> None:
        self.window.panel.focus_search()
        field = QApplication.focusWidget()
        if isinstance(field, QLineEdit):
            field.clear()
            for character in self.rng.choice(SEARCHES):
                # QTest only types ASCII; other characters go in as a key event's text.
                if ord(character) < 128:
                    self.qtbot.keyClicks(field, character)
                else:
                    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                        event = QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, character)
                        QApplication.sendEvent(field, event)

    def tooltip(self) -> None:
        viewport = self.window.view.viewport()
        point = QPoint(
            self.rng.randrange(max(1, viewport.width())),
            self.rng.randrange(max(1, viewport.height())),
        )
        event = QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point))
        QApplication.sendEvent(viewport, event)

    def toggle_reading(self) -> None:
        self.window.set_reading(self.rng.choice(["normalised", "diplomatic"]))

    def let_rest_arrive(self) -> None:
        """Deliver any rest asked for and wait until the letter is whole (at once when it is).

        deliver_rest may let the monkey go on while the whole letter's document is
        built between events, and a letter switch then drops it: how many letters
        become whole would depend on how the build's time slices fall. Waiting
        here, every REST_EVERY steps, gives every run of a seed the same arrivals
        at least; it draws nothing from the seeded random sequence.
        """
        self.runner.deliver()
        self.qtbot.waitUntil(lambda: self.window.complete, timeout=60_000)

    def resize(self) -> None:
        self.window.resize(self.rng.randrange(500, 1600), self.rng.randrange(400, 1100))

    def switch_letter(self) -> None:
        path = self.rng.choice(self.letters)
        assert self.window.open_letter(str(path)), self.window.last_error

    def deliver_rest(self) -> None:
        self.runner.deliver()
        if self.rng.random() < 0.5:
            # The user waits for the whole letter (its document is built between events)...
            self.qtbot.waitUntil(lambda: self.window.complete, timeout=60_000)
        # ... or goes on clicking while it is built.

    def open_broken(self) -> None:
        assert self.window.open_letter(str(self.broken)) is False


def test_monkey(qtbot, tmp_path, letters, qt_messages, no_modal):
    run_monkey(qtbot, tmp_path, letters, qt_messages, no_modal, ACTIONS)


def test_monkey_at_a_window_built_in_two_steps(
    qtbot, tmp_path, letters, long_letter, qt_messages, no_modal
):
    """An interactive start shows the letter pane first (build(defer=True)): the monkey acts
    on it alone (text, keys, kinds, readings, letters, long letters), then the rest of the
    window is built, as right after the first paint, and the monkey goes on."""
    run_monkey(
        qtbot, tmp_path, [*letters, long_letter], qt_messages, no_modal, 1200, pane_first=300
    )


# Seed 3 found QTextEdit extending a Shift+click from a word double-clicked in the letter
# shown before (fixed in LetterView.mousePressEvent).
@pytest.mark.parametrize("seed", [SEED, 3])
def test_monkey_with_long_letters(
    qtbot, tmp_path, letters, long_letter, qt_messages, no_modal, seed
) -> None:
    """Long letters open in two stages: their rest arrives while the monkey goes on."""
    completed_meanwhile = run_monkey(
        qtbot, tmp_path, [*letters, long_letter, long_letter], qt_messages, no_modal, 1500, seed
    )
    assert completed_meanwhile >= 2


def run_monkey(
    qtbot,
    tmp_path,
    letters,
    qt_messages,
    no_modal,
    actions: int,
    seed: int = SEED,
    pane_first: int = 0,
) -> int:
    """Run the monkey; returns how many letters became whole while it was acting. With
    ``pane_first`` the window is built in two steps and the monkey's first ``pane_first``
    actions meet only its letter pane."""
    from viewer.gui.app import build
    from viewer.gui.crash import uninstall

    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<TEI><text><p>cut sho")
    args = type(
        "Args",
        (),
        {"paths": [], "select": [], "screenshot": None, "reading": "normalised", "registers": []},
    )()
    runner = HeldRunner()
    window, _settings, handler = build(
        args, interactive=True, restore=False, runner=runner, defer=bool(pane_first)
    )
    qtbot.addWidget(window)
    try:
        assert window.open_letter(str(ICBL)), window.last_error
        window.resize(1200, 850)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()

        monkey = Monkey(qtbot, window, letters, broken, seed, runner)
        completed: list = []
        window.letter_completed.connect(completed.append)
        started = time.monotonic()
        if pane_first:
            assert not window.built
            monkey.run(pane_first)
            window.ensure_built()
            actions -= pane_first
        monkey.run(actions)
        completed_meanwhile = len(completed)
        runner.deliver()
        qtbot.waitUntil(lambda: window.complete, timeout=60_000)
        QApplication.processEvents()
        elapsed = time.monotonic() - started

        assert handler.reports == [], handler.reports[0]
        # The monkey reached the features, not just empty space.
        assert monkey.selected_steps > actions // 10, monkey.selected_steps
        assert len(monkey.zoom_levels) > 2 and len(monkey.readings) == 2
        unexpected = [d for d in no_modal if d[0] != "Cannot open the letter"]
        assert unexpected == [], unexpected
        assert len(no_modal) == monkey.counts.get("open_broken", 0)
        assert all(str(broken) in text for _title, text in no_modal)
        harmful = [m for m in qt_messages if not m[1].startswith(ALLOWED_QT_MESSAGES)]
        assert harmful == [], harmful

        # Still a working window: a letter opens, a selection emphasises its mentions.
        assert window.open_letter(str(ICBL))
        window.set_selection(["pers.williams.jody"])
        assert window.view.emphasised_count > 0
        print(
            f"\nmonkey: {actions} actions in {elapsed:.1f} s: {sorted(monkey.counts.items())}; "
            f"{completed_meanwhile} letters became whole meanwhile"
        )
        return completed_meanwhile
    finally:
        uninstall(handler)
