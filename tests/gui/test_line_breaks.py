"""The letter pane's two line modes on the Escher and Jean Paul letters of tests/data.

Flowing text (the default) has no line break where the source's lb was; source
lines start one block per lb, with a hanging indent and the encoding's numbers;
switching keeps the offsets, the selection, the caret and the line at the top;
the window's toggle is remembered; the two-stage open of a long letter works in
both modes. Everything runs inline: no sleeps, no timers waited on.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint
from PySide6.QtGui import QHelpEvent, QTextCursor
from PySide6.QtWidgets import QToolTip
from testdata import CORPUS, require

from viewer.gui.letter_view import HANG_PROPERTY, LetterView, describe_selection_layers
from viewer.linebreaks import FLOWING, NOTHING, SOURCE_LINES, page_and_line, shown_text
from viewer.settings import Settings
from viewer.tei import read_letter
from viewer.tei.catalog import RegisterCatalog
from viewer.tei.reader import read_letter_staged

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "bench"))
from make_big_letter import make_letter  # noqa: E402

ESCHER = CORPUS / "escher" / "briefe"
BLUMER = ESCHER / "K_0248_Blumer_Johann_Jakob_an_Escher_1841-07-07.xml"
ESCHER_LONG = ESCHER / "K_0146_von_Mlinen_Egbert_Friedrich_an_Escher_1837-12-13.xml"
JEAN_PAUL = CORPUS / "jean-paul" / "briefe" / "vonbriefe" / "II" / "II_211.xml"
WAIT_MS = 60_000


@pytest.fixture
def view(qtbot) -> LetterView:
    widget = LetterView()
    widget.resize(760, 420)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def block_starts(view: LetterView) -> set[int]:
    document = view.document()
    starts = set()
    block = document.begin()
    while block.isValid():
        starts.add(block.position())
        block = block.next()
    return starts


def top_character(view: LetterView) -> int:
    x = view._column_margin + 4
    return view.cursorForPosition(QPoint(x, 2)).position()


@pytest.mark.slow
@pytest.mark.parametrize("path", [BLUMER, ESCHER_LONG, JEAN_PAUL], ids=lambda p: p.stem)
@pytest.mark.parametrize("reading", ["normalised", "diplomatic"])
def test_flowing_has_no_line_at_an_lb_and_lines_have_one_per_lb(view, path, reading):
    letter = read_letter(require(path), reading=reading)
    flowing_breaks = [b for b in letter.line_breaks if b.flows]
    assert flowing_breaks
    view.set_letter(letter)
    assert view.line_mode == FLOWING
    starts = block_starts(view)
    # Flowing: no block starts where the source's line does, mid-paragraph.
    assert not starts & {b.offset for b in flowing_breaks}
    assert view.toPlainText() == shown_text(letter, FLOWING)
    if reading == "diplomatic" and any(b.in_word for b in flowing_breaks):
        assert NOTHING in view.toPlainText()
    for block in [view.document().findBlock(b.offset) for b in letter.line_breaks]:
        assert block.blockFormat().textIndent() == 0

    view.set_line_mode(SOURCE_LINES)
    assert view.toPlainText() == letter.text
    starts = block_starts(view)
    # Exactly one line start per lb: every lb starts a block, and every block that does
    # not follow a paragraph or line element's end starts at an lb.
    line_starts = [b.offset for b in letter.line_breaks]
    assert set(line_starts) <= starts
    assert len(set(line_starts)) == len(line_starts)
    extra = {s for s in starts - set(line_starts) if s and letter.text[s - 1] == "\n"}
    assert all(not b.flows for b in letter.line_breaks if b.offset in extra)
    assert len(starts) == letter.text.count("\n") + 1
    for offset in line_starts:
        look = view.document().findBlock(offset).blockFormat()
        assert look.textIndent() < 0 < look.leftMargin()  # a wrapped line hangs
        assert look.property(HANG_PROPERTY)
    for line in flowing_breaks:  # and so does the line an lb ends (a paragraph's first)
        assert view.document().findBlock(line.offset - 1).blockFormat().textIndent() < 0

    view.set_line_mode(FLOWING)
    assert view.toPlainText() == shown_text(letter, FLOWING)
    assert block_starts(view).isdisjoint({b.offset for b in flowing_breaks})
    for offset in line_starts + [b.offset - 1 for b in flowing_breaks]:
        assert view.document().findBlock(offset).blockFormat().textIndent() == 0


def test_line_numbers_match_the_encoding(view):
    letter = read_letter(require(JEAN_PAUL))
    view.set_letter(letter)
    numbers = view.line_numbers
    assert [n.offset for n in numbers] == [b.offset for b in letter.line_breaks]
    for number, line in zip(numbers, letter.line_breaks, strict=True):
        assert number.id == line.id
        if line.n:
            assert number.line == line.n
        elif line.id:
            assert (number.page, number.line) == page_and_line(line.id)
        else:
            assert number.line.isdigit() and not number.page  # counted within the page
    assert {n.label for n in numbers if n.always_shown} >= {"136,20", "136,25", "137,5"}

    escher = read_letter(require(BLUMER))
    view.set_letter(escher)
    assert [n.label for n in view.line_numbers][:4] == ["1,1", "1,2", "1,3", "1,4"]


def test_switching_keeps_selection_caret_and_the_top_line(view, qtbot):
    letter = read_letter(require(ESCHER_LONG))
    view.set_letter(letter)
    entity = max(
        {e for m in letter.mentions for e in m.entities}, key=lambda e: len(letter.mentions_of(e))
    )
    view.set_selection({entity})
    ranges = view.emphasised_ranges()
    bar = view.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(bar.maximum() // 2)
    caret = QTextCursor(view.document())
    caret.setPosition(top_character(view) + 40)
    caret.setPosition(top_character(view) + 55, QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(caret)
    bar.setValue(bar.maximum() // 2)
    for mode in (SOURCE_LINES, FLOWING, SOURCE_LINES):
        top = top_character(view)
        top_cursor = QTextCursor(view.document())
        top_cursor.setPosition(top)
        line_top = view.cursorRect(top_cursor).top()
        anchor, position = view.textCursor().anchor(), view.textCursor().position()
        view.set_line_mode(mode)
        assert view.line_mode == mode
        assert view.emphasised_ranges() == ranges
        assert view.selected_entities() == {entity}
        assert (view.textCursor().anchor(), view.textCursor().position()) == (anchor, position)
        top_cursor = QTextCursor(view.document())
        top_cursor.setPosition(top)
        # The character at the top is still on the top line, where it was.
        assert abs(view.cursorRect(top_cursor).top() - line_top) <= 1
        layers = describe_selection_layers(view)
        assert {(s, e) for role, s, e in layers if role in ("emphasis", "current")} >= {
            r
            for r in ranges
            if view._visible_positions()[0] <= r[0] <= view._visible_positions()[1]
        }


@pytest.mark.slow
def test_a_jean_paul_line_reference_scrolls_to_and_marks_its_line(view):
    path = require(JEAN_PAUL)
    letter = read_letter(path, registers=RegisterCatalog().for_letter(str(path)))
    view.set_letter(letter)
    view.set_line_mode(SOURCE_LINES)
    reference = max(
        (r for r in letter.line_references if r.entities and r.end > r.start),
        key=lambda r: r.start,
    )
    view.set_selection({reference.entities[0]})  # a click on its row in the Entities panel
    ranges = view.emphasised_ranges()
    assert (reference.start, reference.end) in ranges
    while ranges[view.current_mention_index] != (reference.start, reference.end):
        view.next_mention()
    layers = describe_selection_layers(view)
    assert ("current", reference.start, reference.end) in layers
    block = view.document().findBlock(reference.start)
    # In source lines the marked stretch is the line: one block, starting at its lb.
    assert block.position() == reference.start
    assert reference.end == block.position() + block.length() - 1
    assert block.position() in {n.offset for n in view.line_numbers}
    cursor = QTextCursor(view.document())
    cursor.setPosition(reference.start)
    assert view.viewport().rect().contains(view.cursorRect(cursor).center())

    index = [n.offset for n in view.line_numbers].index(block.position())
    view.show_line(index)
    assert ("flash", reference.start, reference.end) in describe_selection_layers(view)


@pytest.mark.slow
def test_two_stage_open_in_source_lines_and_switching_meanwhile(qtbot, view, long_letter):
    staged = read_letter_staged(long_letter)
    view.set_line_mode(SOURCE_LINES)
    view.set_letter(staged.letter)
    assert view.toPlainText() == staged.letter.text
    whole = staged.rest()
    with qtbot.waitSignal(view.letterCompleted, timeout=WAIT_MS):
        view.continue_letter(whole, LetterView.prepare(whole))
        assert view.completing
        view.set_line_mode(FLOWING)  # while the whole letter is being built
    assert view.toPlainText() == shown_text(whole, FLOWING)
    assert block_starts(view).isdisjoint({b.offset for b in whole.line_breaks if b.flows})
    view.set_line_mode(SOURCE_LINES)
    assert view.toPlainText() == whole.text
    assert {b.offset for b in whole.line_breaks} <= block_starts(view)


@pytest.mark.slow
def test_the_window_toggle_is_remembered(make_window, tmp_path):
    path = tmp_path / "big.xml"
    path.write_bytes(make_letter(target_bytes=40_000, mentions=500))
    window = make_window(require(BLUMER))
    assert window.view.line_mode == FLOWING
    assert not window.line_breaks_action.isChecked()
    assert window.line_breaks_action in window.toolbar.actions()
    assert window.line_breaks_action in window.menu("View").actions()
    window.line_breaks_action.trigger()
    assert window.view.line_mode == SOURCE_LINES
    window.close()
    assert Settings().load().line_mode == SOURCE_LINES
    again = make_window(require(BLUMER))
    assert again.view.line_mode == SOURCE_LINES
    assert again.line_breaks_action.isChecked()
    assert again.view.toPlainText() == again.current_letter.text
    again.diplomatic_action.trigger()  # the other reading, still in lines
    assert again.current_letter.reading == "diplomatic"
    assert again.view.toPlainText() == again.current_letter.text
    again.line_breaks_action.trigger()
    assert again.view.toPlainText() == shown_text(again.current_letter, FLOWING)


def test_the_margin_shows_every_number_on_hover_and_names_the_line(view, qtbot):
    letter = read_letter(require(JEAN_PAUL))
    view.set_letter(letter)
    view.set_line_mode(SOURCE_LINES)
    numbers = view.line_numbers
    index = next(i for i, n in enumerate(numbers) if n.id == "II_136-18")
    cursor = QTextCursor(view.document())
    cursor.setPosition(numbers[index].offset)
    y = view.cursorRect(cursor).center().y()
    point = QPoint(4, y)
    assert not view._numbers_hovered
    qtbot.mouseMove(view.viewport(), point)
    assert view._numbers_hovered  # every number shows, not only every fifth
    event = QHelpEvent(QEvent.Type.ToolTip, point, view.viewport().mapToGlobal(point))
    view.viewportEvent(event)
    assert QToolTip.text() == "Line 136,18 (II_136-18)"
    QToolTip.hideText()
    qtbot.mouseMove(view.viewport(), QPoint(view.viewport().width() // 2, y))
    assert not view._numbers_hovered
    view.set_line_mode(FLOWING)
    qtbot.mouseMove(view.viewport(), point)
    assert not view._numbers_hovered  # flowing text has no line numbers
