"""Broken and hostile input in the window: one dialog each, and the window keeps working.

The window is built by the real composition root (``viewer.gui.app.build``);
message boxes are captured instead of shown. After every refusal the letter
shown before is still there, the window still filters and navigates, and a
good letter still opens. Also: a file that vanishes or turns to garbage while
it is open, and the crash handler (an exception in a slot is logged to the log
folder and shown, and the window lives on).
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from .hostile_support import REPO, tei
from .test_broken_input import PATHS, REFUSED

pytestmark = [pytest.mark.gui, pytest.mark.hostile]

ICBL = REPO / "letters" / "icbl-2007-07-24-anama.xml"
WILLIAMS = "pers.williams.jody"


@pytest.fixture
def dialogs(monkeypatch):
    """Message boxes captured instead of shown: (title, text, details) of each."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[tuple[str, str, str]] = []

    def capture(box):
        shown.append((box.windowTitle(), box.text(), box.detailedText()))
        return int(QMessageBox.StandardButton.Ok)

    monkeypatch.setattr(QMessageBox, "exec", capture)
    monkeypatch.setattr(QMessageBox, "show", capture)
    return shown


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch, dialogs):
    from viewer.gui.app import build
    from viewer.gui.crash import uninstall

    for name in ("CONFIG", "CACHE", "LOG"):
        monkeypatch.setenv(f"EPISTOLA_{name}_DIR", str(tmp_path / f"user-{name.lower()}"))
    args = argparse.Namespace(
        paths=[], select=[], screenshot=None, reading="normalised", registers=[]
    )
    window, _settings, handler = build(args, interactive=True, restore=False)
    qtbot.addWidget(window)
    assert window.open_letter(str(ICBL)), window.last_error
    window.show()
    qtbot.waitExposed(window)
    yield window
    uninstall(handler)


def assert_still_working(window, dialogs, tmp_path, shown: str = ICBL.name) -> None:
    """The letter is still shown, selection and navigation work, a good letter opens."""
    letter = window.current_letter
    assert letter is not None and Path(letter.file).name == shown
    assert window.view.toPlainText() == letter.text
    window.set_selection([WILLIAMS])
    assert window.selection == frozenset({WILLIAMS})
    assert window.view.emphasised_count > 0
    window.next_mention()
    window.set_selection([])
    good = tmp_path / "good.xml"
    good.write_bytes(tei('Dear <persName ref="#x">Ann</persName>,'))
    before = len(dialogs)
    assert window.open_letter(str(good)), window.last_error
    assert window.view.toPlainText() == "Dear Ann,"
    assert len(dialogs) == before
    assert window.open_letter(str(ICBL))


def _expect_one_dialog(window, dialogs, path: Path, fragment: str) -> None:
    assert window.open_letter(str(path)) is False
    assert len(dialogs) == 1, dialogs
    title, text, _details = dialogs[0]
    assert title == "Cannot open the letter"
    assert text.startswith(str(path)) and fragment in text, text
    assert "Traceback" not in text
    dialogs.clear()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_broken_file_gets_a_dialog(name, window, dialogs, tmp_path):
    data, fragment = REFUSED[name]
    path = tmp_path / f"{name}.xml"
    path.write_bytes(data)
    _expect_one_dialog(window, dialogs, path, fragment)
    assert_still_working(window, dialogs, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(PATHS))
def test_bad_path_gets_a_dialog(name, window, dialogs, tmp_path):
    make, fragment = PATHS[name]
    path = make(tmp_path)
    _expect_one_dialog(window, dialogs, path, fragment)
    assert_still_working(window, dialogs, tmp_path)


@pytest.mark.slow
def test_entity_expansion_attack_gets_a_dialog(window, dialogs, tmp_path):
    path = tmp_path / "laughs.xml"
    levels = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    path.write_bytes(tei("&l9;", prolog=f'<!DOCTYPE TEI [<!ENTITY l0 "lol">{levels}]>'))
    _expect_one_dialog(window, dialogs, path, "cannot be opened safely")
    assert_still_working(window, dialogs, tmp_path)


@pytest.mark.slow
def test_external_entity_is_shown_unexpanded(window, dialogs, tmp_path, marker, watch, secret):
    path = tmp_path / "xxe.xml"
    path.write_bytes(
        tei("a &x; b", prolog=f'<!DOCTYPE TEI [<!ENTITY x SYSTEM "{marker.as_uri()}">]>')
    )
    assert window.open_letter(str(path)), window.last_error
    assert window.view.toPlainText() == "a &x; b"
    assert secret not in window.view.toPlainText()
    assert watch.opened() == []
    assert dialogs == []


@pytest.mark.slow
def test_file_that_vanishes_while_open(window, dialogs, tmp_path):
    copy = tmp_path / "letter.xml"
    shutil.copy(ICBL, copy)
    assert window.open_letter(str(copy))
    text = window.view.toPlainText()
    copy.unlink()
    assert window.reload() is False
    assert len(dialogs) == 1 and "no such file" in dialogs[0][1]
    assert window.view.toPlainText() == text  # the letter as last read stays
    dialogs.clear()
    window.set_selection([WILLIAMS])
    assert window.view.emphasised_count > 0


@pytest.mark.slow
def test_file_turned_to_garbage_while_open_keeps_the_letter(qtbot, window, dialogs, tmp_path):
    """The file watcher notices; the reload fails quietly and the letter stays."""
    copy = tmp_path / "letter.xml"
    shutil.copy(ICBL, copy)
    assert window.open_letter(str(copy))
    text = window.view.toPlainText()
    copy.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00garbage")
    qtbot.waitUntil(lambda: "Could not read" in window.statusBar().currentMessage(), timeout=5000)
    assert "is not XML" in window.statusBar().currentMessage()
    assert window.view.toPlainText() == text
    assert dialogs == []
    assert_still_working(window, dialogs, tmp_path, shown="letter.xml")


@pytest.mark.slow
@pytest.mark.qt_no_exception_capture
def test_unexpected_exception_is_logged_shown_and_survived(qtbot, window, dialogs, tmp_path):
    from PySide6.QtCore import QTimer

    from viewer.gui.crash import log_path

    def slot_that_fails():
        raise RuntimeError("boom from a slot: <b>not markup</b>")

    QTimer.singleShot(0, slot_that_fails)
    qtbot.waitUntil(lambda: len(dialogs) == 1, timeout=5000)
    title, text, details = dialogs[0]
    assert title == "Epistola ran into a problem"
    assert "RuntimeError: boom from a slot: <b>not markup</b>" in text
    assert "Traceback (most recent call last)" in details and "slot_that_fails" in details
    log = log_path()
    assert log.parent == tmp_path / "user-log"
    logged = log.read_text(encoding="utf-8")
    assert "slot_that_fails" in logged and "RuntimeError: boom from a slot" in logged
    assert str(log) in text
    dialogs.clear()
    assert_still_working(window, dialogs, tmp_path)
