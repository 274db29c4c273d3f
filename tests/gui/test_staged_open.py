"""Opening a long letter in two stages: its first part at once, the rest from a thread.

The window built by the composition root opens a letter of at least
``STAGED_FROM_BYTES`` by showing its first part, reading the rest in a worker
thread and building the whole document between events. These tests drive that
path as a user would and check that what ends up on screen is exactly what a
one-stage open shows.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from viewer.gui.letter_view import LetterView, describe_selection_layers
from viewer.linebreaks import shown_text
from viewer.tei import read_letter
from viewer.tei.reader import read_letter_staged

pytestmark = [pytest.mark.gui, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "bench"))
from make_big_letter import make_letter  # noqa: E402

WAIT_MS = 60_000


def document_html(view: LetterView) -> str:
    # The root frame's side margins follow the widget's width; the rest must match.
    return re.sub(r'<table style="-qt-table-type: root;[^"]*">', "", view.document().toHtml())


def last_part_entity(path: Path) -> str:
    """An entity mentioned only after the first part."""
    staged = read_letter_staged(path)
    early = {e for m in staged.letter.mentions for e in m.entities}
    whole = staged.rest()
    return next(e for m in reversed(whole.mentions) for e in m.entities if e not in early)


def test_continue_letter_builds_what_set_letter_builds(qtbot, long_letter) -> None:
    staged = read_letter_staged(long_letter)
    assert not staged.complete
    view = LetterView()
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    view.set_letter(staged.letter)
    view.set_kind_visible("place", False)
    entity = staged.letter.mentions[3].entities[0]
    view.set_selection({entity})
    whole = staged.rest()
    with qtbot.waitSignal(view.letterCompleted, timeout=WAIT_MS):
        view.continue_letter(whole, LetterView.prepare(whole))
        assert view.completing
    assert not view.completing
    assert view.letter() is whole
    assert view.toPlainText() == shown_text(whole, view.line_mode)
    assert view.selected_entities() == {entity}
    assert view.emphasised_count == len(whole.mentions_of(entity))
    assert "place" not in view.visible_kinds()

    reference = LetterView()
    qtbot.addWidget(reference)
    reference.resize(900, 700)
    reference.set_letter(whole)
    assert document_html(view) == document_html(reference)


def test_the_lines_read_stay_in_place_when_the_whole_letter_arrives(qtbot, tmp_path) -> None:
    # As long as the benchmark's letter: Qt lays the swapped-in document out lazily, and
    # at this size only its beginning when it is shown.
    path = tmp_path / "very-long.xml"
    path.write_bytes(make_letter(target_bytes=2_000_000, mentions=50_000))
    staged = read_letter_staged(path)
    view = LetterView()
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    view.set_letter(staged.letter)
    # Laid out to its end (Qt does it lazily), then scrolled well down.
    qtbot.waitUntil(lambda: view.document().lastBlock().layout().lineCount() > 0)
    bar = view.verticalScrollBar()
    assert bar.maximum() > 3000
    bar.setValue(bar.maximum() * 3 // 4)
    QApplication.processEvents()
    top = view.cursorForPosition(QPoint(5, 5)).position()
    value = bar.value()
    assert top > 0
    with qtbot.waitSignal(view.letterCompleted, timeout=WAIT_MS):
        view.continue_letter(staged.rest())
    assert bar.value() == value
    # Qt lays the swapped-in document out lazily, in steps between events: until it has
    # reached the viewport a hit test there can answer from the unlaid rest. Wait for
    # the layout, not for a time; a top line that moved never comes back and fails here.
    qtbot.waitUntil(lambda: view.cursorForPosition(QPoint(5, 5)).position() == top, timeout=WAIT_MS)
    assert bar.value() == value


def test_setting_another_letter_cancels_a_continuation(qtbot, long_letter, icbl_path) -> None:
    staged = read_letter_staged(long_letter)
    view = LetterView()
    qtbot.addWidget(view)
    view.set_letter(staged.letter)
    view.continue_letter(staged.rest())
    assert view.completing
    small = read_letter(icbl_path)
    view.set_letter(small)
    assert not view.completing
    for _ in range(20):
        QApplication.processEvents()
    assert view.letter() is small
    assert view.toPlainText() == small.text


def test_window_shows_the_first_part_then_the_whole(qtbot, make_window, long_letter) -> None:
    window = make_window()
    completed = []
    window.letter_completed.connect(completed.append)
    assert window.open_letter(str(long_letter))
    first = window.current_letter
    assert not window.complete
    assert window.progress_label.isVisible()
    assert window.progress_label.text() == "Reading the rest of the letter…"
    assert window.view.toPlainText() == shown_text(first, window.view.line_mode)
    assert "so far" in window.letter_label.text()
    assert window.panel.entities.headerItem().text(1) == "Mentions so far"
    qtbot.waitUntil(lambda: window.complete, timeout=WAIT_MS)
    whole = window.current_letter
    assert completed == [whole]
    at_once = read_letter(long_letter)
    assert (whole.text, whole.mentions, whole.entities) == (
        at_once.text,
        at_once.mentions,
        at_once.entities,
    )
    assert whole.text.startswith(first.text) and len(whole.text) > len(first.text)
    assert window.view.toPlainText() == shown_text(whole, window.view.line_mode)
    assert not window.progress_label.isVisible()
    assert window.letter_label.text().startswith(f"{len(whole.mentions)} mentions")
    assert window.panel.entities.headerItem().text(1) == "Mentions"
    # The Entities panel counts the whole letter's mentions.
    rows = {row.text(0): row for row in window.panel.entities.leaves()}
    entity = whole.mentions[-1].entities[0]
    name = whole.entity(entity).name
    shown = sum(int(row.text(1)) for text, row in rows.items() if text == name)
    assert shown >= len(whole.mentions_of(entity))


def test_selection_made_meanwhile_and_kept_on_reload(qtbot, make_window, long_letter) -> None:
    window = make_window()
    late = last_part_entity(long_letter)
    window.open_letter(str(long_letter))
    qtbot.waitUntil(lambda: window.complete, timeout=WAIT_MS)
    window.set_selection([late])
    count = window.view.emphasised_count
    assert count > 0
    assert window.reload()
    assert not window.complete
    # Kept whole while only the first part (without the entity) is shown...
    assert late in window.selection
    qtbot.waitUntil(lambda: window.complete, timeout=WAIT_MS)
    # ... and shown again once the whole letter is.
    assert window.view.selected_entities() == {late}
    assert window.view.emphasised_count == count
    assert str(count) in window.mention_counter.text()


def test_a_search_hit_beyond_the_first_part_waits_for_it(qtbot, make_window, long_letter) -> None:
    window = make_window()
    shown = []
    window.open_letter(str(long_letter))
    whole_text = read_letter(long_letter).text
    start = len(whole_text) - 40
    window.when_complete(lambda: shown.append(window.current_letter.text[start : start + 10]))
    window.when_complete(lambda: window.show_text_range(start, start + 10))
    assert shown == []
    qtbot.waitUntil(lambda: window.complete, timeout=WAIT_MS)
    assert shown == [whole_text[start : start + 10]]
    flashes = [(s, e) for role, s, e in describe_selection_layers(window.view) if role == "flash"]
    assert flashes == [(start, start + 10)]


def test_opening_another_letter_drops_the_late_rest(qtbot, make_window, long_letter, icbl_path):
    window = make_window()
    window.open_letter(str(long_letter))
    assert not window.complete
    assert window.open_letter(str(icbl_path))
    assert window.complete
    # Whatever the thread still delivers belongs to a letter no longer shown.
    qtbot.wait(1500)
    assert window.current_letter.file == str(icbl_path)
    assert window.view.toPlainText() == shown_text(window.current_letter, window.view.line_mode)


def test_a_rest_that_cannot_be_read_is_told_and_logged(
    qtbot, make_window, long_letter, monkeypatch
) -> None:
    import viewer.tei.reader as reader
    from viewer.gui.crash import log_path

    def broken(*args, **kwargs):
        raise MemoryError("no room left")

    window = make_window()
    monkeypatch.setattr(reader, "letter_from_tree", broken)
    window.open_letter(str(long_letter))
    first = window.current_letter
    qtbot.waitUntil(lambda: window.complete, timeout=WAIT_MS)
    assert window.current_letter is first  # the first part stays
    message = window.statusBar().currentMessage()
    assert "Only the first part of long.xml is shown" in message and "no room left" in message
    assert str(log_path()) in message
    assert "MemoryError: no room left" in log_path().read_text(encoding="utf-8")
    assert not window.progress_label.isVisible()


def test_closing_the_window_while_reading_is_harmless(qtbot, make_window, long_letter) -> None:
    window = make_window()
    window.open_letter(str(long_letter))
    QApplication.processEvents()  # the thread starts after the first paint
    window.close()
    qtbot.waitUntil(lambda: window.complete, timeout=WAIT_MS)  # and no exception anywhere
