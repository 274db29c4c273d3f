"""The letter pane (viewer.gui.letter_view.LetterView) on real and inline TEI letters.

Every letter is parsed by viewer.tei.read_letter from a file; the widget is shown on
the offscreen platform and driven with real mouse and key events.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import sys
from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt, QUrl
from PySide6.QtGui import QColor, QHelpEvent, QImage, QPalette, QTextCursor, QTextDocument
from PySide6.QtWidgets import QApplication, QToolTip
from testdata import CORPUS, require

from viewer.gui.kinds import kind_style
from viewer.gui.letter_view import (
    FLASH_MS,
    SELECTION_ROLE,
    LetterView,
    describe_selection_layers,
)
from viewer.linebreaks import FLOWING, SOURCE_LINES, shown_text
from viewer.model import Letter
from viewer.tei import read_letter

ROOT = Path(__file__).resolve().parents[2]
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"
SCHNITZLER = CORPUS / "schnitzler-briefe" / "editions" / "L00288.xml"
SCHNITZLER_NOTES = CORPUS / "schnitzler-briefe" / "editions" / "L02663.xml"
JEAN_PAUL = CORPUS / "jean-paul" / "briefe" / "vonbriefe" / "I" / "I_10.xml"
MITFORD = CORPUS / "mitford" / "letters" / "1819-03-13_Elford.xml"

sys.path.insert(0, str(ROOT / "tests" / "bench"))
from make_big_letter import make_letter  # noqa: E402

NS = 'xmlns="http://www.tei-c.org/ns/1.0"'
REGISTER = """
<standOff>
  <listPerson>
    <person xml:id="p1"><persName type="reg">Anna Adler</persName></person>
    <person xml:id="p2"><persName type="reg">Bruno &lt;b&gt;Berg&lt;/b&gt;</persName></person>
    <person xml:id="p3"><persName type="reg">Clara Czerny</persName></person>
  </listPerson>
  <listOrg><org xml:id="o1"><orgName type="reg">Bank of Vienna</orgName></org></listOrg>
  <listPlace><place xml:id="l1"><placeName type="reg">Vienna</placeName></place></listPlace>
</standOff>
"""


def tei(body: str, register: str = REGISTER) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<TEI {NS}><teiHeader><fileDesc>'
        "<titleStmt><title>Inline test letter</title></titleStmt>"
        "<publicationStmt><p>test</p></publicationStmt>"
        "<sourceDesc><p>typed for the tests</p></sourceDesc></fileDesc></teiHeader>"
        f'{register}<text><body><div type="letter">{body}</div></body></text></TEI>'
    )


INLINE = tei(
    '<p>Dear <persName ref="#p1">Anna Adler</persName>, the '
    '<orgName ref="#o1">Bank of <placeName ref="#l1">Vienna</placeName></orgName> wrote to '
    '<rs type="person" ref="#p2 #p3">the Bergs</rs> about '
    '<persName ref="#ghost">Zed Zorn</persName>'
    '<note n="1">A note with &lt;b&gt;markup&lt;/b&gt; in it.</note> and '
    "<choice><sic>Nargorno</sic><corr>Nagorno</corr></choice>, <del>struck</del> "
    '<hi rend="bold">strong</hi> text.</p>'
    '<p>Again <persName ref="#p1">Anna</persName> and plain words here.</p>'
)


def read(tmp_path: Path, xml: str, name: str = "letter.xml") -> Letter:
    path = tmp_path / name
    path.write_text(xml, encoding="utf-8")
    return read_letter(path)


def corpus_file(path: Path) -> Path:
    return require(path)


@pytest.fixture
def view(qtbot) -> LetterView:
    widget = LetterView()
    widget.resize(760, 560)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def inline(tmp_path) -> Letter:
    return read(tmp_path, INLINE)


def mention_of(letter: Letter, surface: str, occurrence: int = 0):
    found = [m for m in letter.mentions if letter.text[m.start : m.end] == surface]
    assert len(found) > occurrence, (surface, [letter.text[m.start : m.end] for m in found])
    return found[occurrence]


def point_of(view: LetterView, offset: int) -> QPoint:
    """Viewport point over the middle of the character at ``offset`` (a BMP-only text)."""
    cursor = QTextCursor(view.document())
    cursor.setPosition(offset)
    left = view.cursorRect(cursor)
    cursor.setPosition(offset + 1)
    right = view.cursorRect(cursor)
    return QPoint((left.left() + right.left()) // 2 + 1, left.center().y())


def layers(view: LetterView, role: str) -> list[tuple[int, int]]:
    return [(s, e) for r, s, e in describe_selection_layers(view) if r == role]


def covered(ranges: list[tuple[int, int]]) -> set[int]:
    return {i for start, end in ranges for i in range(start, end)}


def painted_colour(
    view: LetterView, start: int, end: int, image: QImage | None = None
) -> QColor | None:
    """The colour most pixels of document range [start, end) show on screen (its
    background: the glyphs cover less), or None when the range is not on one line of
    the viewport."""
    cursor = QTextCursor(view.document())
    cursor.setPosition(start)
    left = view.cursorRect(cursor)
    cursor.setPosition(end)
    right = view.cursorRect(cursor)
    viewport = view.viewport().rect()
    if left.top() != right.top() or right.left() - left.left() < 8:
        return None
    if not (viewport.contains(left.topLeft()) and viewport.contains(right.bottomRight())):
        return None
    if image is None:
        image = view.viewport().grab().toImage()
    counts = Counter(
        image.pixel(x, y)
        for x in range(left.left() + 2, right.left() - 1)
        for y in range(left.top() + 1, left.bottom())
    )
    return QColor.fromRgb(counts.most_common(1)[0][0])


def between(colour: QColor, one: QColor, other: QColor) -> bool:
    """``colour`` is a mix of ``one`` and ``other``, and neither of them."""
    for channel in ("red", "green", "blue"):
        low, high = sorted((getattr(one, channel)(), getattr(other, channel)()))
        if not low <= getattr(colour, channel)() <= high:
            return False
    return colour != one and colour != other


# ------------------------------------------------------------------------ the text


@pytest.mark.slow
@pytest.mark.parametrize(
    "path", [ICBL, SCHNITZLER, SCHNITZLER_NOTES, JEAN_PAUL, MITFORD], ids=lambda p: p.stem
)
def test_document_text_is_the_letter_text(view, path) -> None:
    letter = read_letter(corpus_file(path) if CORPUS in path.parents else path)
    view.set_letter(letter)
    assert view.line_mode == FLOWING
    assert view.toPlainText() == shown_text(letter, FLOWING)
    # Built once: the document holds the same number of characters as the text.
    assert view.document().characterCount() == len(letter.text) + 1
    view.set_line_mode(SOURCE_LINES)
    assert view.toPlainText() == letter.text
    assert view.document().characterCount() == len(letter.text) + 1


@pytest.mark.slow
def test_generated_big_letter_text_and_mentions(view, tmp_path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(make_letter(target_bytes=120_000, mentions=3_000))
    letter = read_letter(path)
    assert len(letter.mentions) == 3_000
    view.set_letter(letter)
    assert view.toPlainText() == shown_text(letter, view.line_mode)
    for mention in letter.mentions[::97]:
        inner = view.mention_at(mention.start)
        assert inner is not None
        assert mention.start <= inner.start and inner.end <= mention.end


def test_letter_text_is_never_markup(view, tmp_path) -> None:
    letter = read(
        tmp_path,
        tei(
            "<p>Look: &lt;img src=x&gt; and &amp;lt;b&amp;gt; and "
            '<persName ref="#p1">&lt;i&gt;Anna&lt;/i&gt;</persName> &amp; '
            "&lt;a href='file:///etc/passwd'&gt;link&lt;/a&gt;</p>"
        ),
    )
    assert "<img src=x>" in letter.text and "&lt;b&gt;" in letter.text
    view.set_letter(letter)
    plain = view.toPlainText()
    assert plain == letter.text
    assert "<img src=x>" in plain and "&lt;b&gt;" in plain and "<i>Anna</i>" in plain
    block = view.document().begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            assert not fragment.charFormat().isImageFormat()
            assert not fragment.charFormat().isAnchor()
            iterator += 1
        block = block.next()


def test_no_resource_is_ever_loaded(view, tmp_path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG not really")
    view.set_letter(read(tmp_path, INLINE))
    for name in (QUrl.fromLocalFile(str(secret)), QUrl("http://example.com/x.png"), QUrl("x")):
        for kind in (
            QTextDocument.ResourceType.ImageResource,
            QTextDocument.ResourceType.StyleSheetResource,
        ):
            assert view.loadResource(int(kind.value), name) is None
            assert view.document().loadResource(int(kind.value), name) is None


def test_text_outside_the_basic_plane_keeps_offsets(view, tmp_path, qtbot) -> None:
    letter = read(
        tmp_path,
        tei('<p>𝔄𝔫𝔫𝔞 😀 wrote to <persName ref="#p1">Anna Adler</persName> 𝔞𝔤𝔞𝔦𝔫.</p>'),
    )
    mention = letter.mentions[0]
    assert letter.text[mention.start : mention.end] == "Anna Adler"
    view.set_letter(letter)
    assert view.toPlainText() == letter.text
    assert view.mention_at(mention.start + 2) == mention
    assert view.set_selection({"p1"}) == 1
    assert layers(view, "current") == [(mention.start, mention.end)]
    # The selection's cursor covers exactly "Anna Adler" in the document too.
    selection = next(
        s for s in view.extraSelections() if s.format.property(SELECTION_ROLE) == "current"
    )
    assert selection.cursor.selectedText() == "Anna Adler"


# ------------------------------------------------------------------------ clicks


def test_click_on_a_mention_activates_its_entity(view, inline, qtbot) -> None:
    view.set_letter(inline)
    anna = mention_of(inline, "Anna Adler")
    with qtbot.waitSignal(view.mentionActivated, timeout=1000) as signal:
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=point_of(view, anna.start + 5)
        )
    assert signal.args == [["p1"], False]


def test_ctrl_click_is_additive(view, inline, qtbot) -> None:
    view.set_letter(inline)
    anna = mention_of(inline, "Anna Adler")
    with qtbot.waitSignal(view.mentionActivated, timeout=1000) as signal:
        qtbot.mouseClick(
            view.viewport(),
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.ControlModifier,
            pos=point_of(view, anna.start + 3),
        )
    assert signal.args == [["p1"], True]


def test_click_in_a_nested_mention_gives_the_innermost(view, inline, qtbot) -> None:
    view.set_letter(inline)
    vienna = mention_of(inline, "Vienna")
    bank = mention_of(inline, "Bank of Vienna")
    with qtbot.waitSignal(view.mentionActivated, timeout=1000) as signal:
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=point_of(view, vienna.start + 2)
        )
    assert signal.args == [["l1"], False]
    with qtbot.waitSignal(view.mentionActivated, timeout=1000) as signal:
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=point_of(view, bank.start + 1)
        )
    assert signal.args == [["o1"], False]
    assert view.mention_at(vienna.start) == vienna
    assert view.mention_at(bank.start) == bank


def test_a_mention_of_several_entities_activates_all(view, inline, qtbot) -> None:
    view.set_letter(inline)
    bergs = mention_of(inline, "the Bergs")
    with qtbot.waitSignal(view.mentionActivated, timeout=1000) as signal:
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=point_of(view, bergs.start + 4)
        )
    assert signal.args == [["p2", "p3"], False]


def test_click_on_plain_text_emits_nothing(view, inline, qtbot) -> None:
    view.set_letter(inline)
    plain = inline.text.index("plain words")
    assert view.mention_at(plain + 2) is None
    with qtbot.assertNotEmitted(view.mentionActivated, wait=100):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point_of(view, plain + 2))
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(5, 540))


def test_enter_on_a_mention_activates_it(view, inline, qtbot) -> None:
    view.set_letter(inline)
    vienna = mention_of(inline, "Vienna")
    cursor = view.textCursor()
    cursor.setPosition(vienna.start + 1)
    view.setTextCursor(cursor)
    view.setFocus()
    with qtbot.waitSignal(view.mentionActivated, timeout=1000) as signal:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert signal.args == [["l1"], False]


# ------------------------------------------------------------------------ selection


def test_selection_marks_exactly_the_mentions_of_the_entity(view, qtbot) -> None:
    letter = read_letter(ICBL)
    view.set_letter(letter)
    wanted = "pers.bernstein.elizabeth"
    expected = sorted((m.start, m.end) for m in letter.mentions if wanted in m.entities)
    assert len(expected) >= 2
    assert view.set_selection({wanted}) == len(expected)
    assert view.emphasised_count == len(expected)
    assert view.current_mention_index == 0
    marked = sorted(layers(view, "emphasis") + layers(view, "current"))
    assert marked == expected
    assert layers(view, "current") == [expected[0]]
    # Every other mention keeps its tint, faded; text that names nothing gets no layer.
    others = [(m.start, m.end) for m in letter.mentions if wanted not in m.entities]
    dimmed = covered(layers(view, "dim"))
    assert covered(others) <= dimmed | covered(expected)
    assert dimmed <= covered([(m.start, m.end) for m in letter.mentions])
    # The caret moved to the first mention, which is on screen.
    assert view.textCursor().position() == expected[0][0]
    assert view.viewport().rect().intersects(view.cursorRect())

    assert view.set_selection(set()) == 0
    assert layers(view, "emphasis") == [] and layers(view, "dim") == []
    assert view.current_mention_index is None


def test_dimmed_tints_are_fainter_tints_of_the_same_kind(view) -> None:
    letter = read_letter(ICBL)
    view.set_letter(letter)
    view.set_selection({"pers.bernstein.elizabeth"})
    base = view.palette().color(QPalette.ColorRole.Base)
    tint = kind_style("place", dark=False).background
    seen = 0
    for place in (m for m in letter.mentions if m.kind == "place"):
        painted = painted_colour(view, place.start, place.end)
        if painted is None:
            continue  # off screen, or broken over two lines
        assert between(painted, tint, base), (letter.text[place.start : place.end], painted.name())
        seen += 1
    assert seen >= 2


def test_selection_of_several_entities_counts_shared_mentions_once(view, inline) -> None:
    view.set_letter(inline)
    # "the Bergs" names both p2 and p3.
    assert view.set_selection({"p2", "p3"}) == 1
    assert view.set_selection({"p1", "p2"}) == 3


@pytest.mark.slow
def test_next_and_previous_cycle_and_wrap(view, qtbot) -> None:
    letter = read_letter(ICBL)
    view.set_letter(letter)
    count = view.set_selection({"place.azerbaijan"})
    assert count >= 3
    ranges = view.emphasised_ranges()
    seen = [view.current_mention_index]
    for _ in range(count):
        seen.append(view.next_mention())
        assert layers(view, "current") == [ranges[seen[-1]]]
        assert view.textCursor().position() == ranges[seen[-1]][0]
    assert seen == [*range(count), 0]  # wrapped back to the first
    assert view.previous_mention() == count - 1  # and backwards past the first
    assert view.previous_mention() == count - 2
    view.set_selection(set())
    assert view.next_mention() is None and view.previous_mention() is None


def test_line_references_are_emphasised(view, tmp_path) -> None:
    letter = read(
        tmp_path,
        tei(
            '<p>Erste Zeile<lb xml:id="z1"/>zweite Zeile mit Bezug<lb xml:id="z2"/>dritte.'
            '<note corresp="#z1"><listPerson type="lineReference">'
            '<person ref="#p3"><persName>Clara</persName></person></listPerson></note></p>'
        ),
    )
    assert letter.line_references and letter.line_references[0].entities == ("p3",)
    view.set_letter(letter)
    reference = letter.line_references[0]
    assert view.set_selection({"p3"}) == 1
    assert layers(view, "current") == [(reference.start, reference.end)]


# ------------------------------------------------------------------------ kinds


def test_kind_toggle_hides_and_restores_highlighting(view, qtbot) -> None:
    letter = read_letter(ICBL)
    view.set_letter(letter)
    places = [(m.start, m.end) for m in letter.mentions if m.kind == "place"]
    assert places and layers(view, "hidden") == []
    assert "place" in view.visible_kinds()

    view.set_kind_visible("place", False)
    assert "place" not in view.visible_kinds()
    hidden = layers(view, "hidden")
    # Every place character is painted over, and nothing but place characters.
    assert covered(places) <= covered(hidden)
    assert covered(hidden) <= covered(places)

    view.set_kind_visible("place", True)
    assert layers(view, "hidden") == []
    assert view.visible_kinds() >= {"person", "organisation", "place", "date", "treaty"}


def test_hiding_an_inner_kind_shows_the_outer_one(view, inline) -> None:
    view.set_letter(inline)
    vienna = mention_of(inline, "Vienna")
    view.set_kind_visible("place", False)
    overlay = next(
        s for s in view.extraSelections() if s.format.property(SELECTION_ROLE) == "hidden"
    )
    assert (overlay.cursor.selectionStart(), overlay.cursor.selectionEnd()) == (
        vienna.start,
        vienna.end,
    )
    organisation = kind_style("organisation", dark=False).background
    assert overlay.format.background().color() == organisation


def test_kind_highlight_pixels_follow_the_toggle(view, qtbot) -> None:
    letter = read_letter(ICBL)
    view.set_letter(letter)
    mention = next(m for m in letter.mentions if m.kind == "treaty")
    view.show_range(mention.start, mention.start)  # scroll it into view; empty flash
    tint = kind_style("treaty", dark=False).background

    def tinted_pixels() -> int:
        image = view.viewport().grab().toImage()
        cursor = QTextCursor(view.document())
        cursor.setPosition(mention.start)
        left = view.cursorRect(cursor)
        cursor.setPosition(mention.end)
        right = view.cursorRect(cursor)
        found = 0
        for x in range(left.left() + 1, right.left() - 1):
            for y in range(left.top(), left.bottom()):
                if image.pixelColor(x, y).rgb() == tint.rgb():
                    found += 1
        return found

    assert tinted_pixels() > 20
    view.set_kind_visible("treaty", False)
    assert tinted_pixels() == 0
    view.set_kind_visible("treaty", True)
    assert tinted_pixels() > 20


def test_selection_survives_kind_toggles(view) -> None:
    letter = read_letter(ICBL)
    view.set_letter(letter)
    count = view.set_selection({"org.icbl"})
    before = sorted(layers(view, "emphasis") + layers(view, "current"))
    view.next_mention()
    current = view.current_mention_index
    view.set_kind_visible("organisation", False)
    assert view.emphasised_count == count
    assert sorted(layers(view, "emphasis") + layers(view, "current")) == before
    assert view.current_mention_index == current
    view.set_kind_visible("organisation", True)
    assert sorted(layers(view, "emphasis") + layers(view, "current")) == before


def test_unresolved_mentions_are_marked_and_can_be_hidden(view, inline) -> None:
    view.set_letter(inline)
    zed = mention_of(inline, "Zed Zorn")
    assert zed.unresolved and not zed.entities
    cursor = QTextCursor(view.document())
    cursor.setPosition(zed.start + 1)
    look = cursor.charFormat()
    assert look.underlineStyle() == look.UnderlineStyle.DashUnderline
    view.set_kind_visible("unresolved", False)
    assert covered([(zed.start, zed.end)]) <= covered(layers(view, "hidden"))


# ------------------------------------------------------------------------ notes, tips


def test_note_marker_tooltip_and_jump(view, inline, qtbot) -> None:
    view.set_letter(inline)
    note = inline.notes[0]
    assert inline.text[note.anchor : note.marker_end] == "[1]"
    tip = view.tooltip_at(note.anchor + 1)
    assert "A note with &lt;b&gt;markup&lt;/b&gt; in it." in tip
    assert "<b>markup" not in tip

    # The real event path: a tooltip event over the marker shows that text.
    point = point_of(view, note.anchor + 1)
    event = QHelpEvent(QEvent.Type.ToolTip, point, view.viewport().mapToGlobal(point))
    view.viewportEvent(event)
    assert "A note with" in QToolTip.text()
    QToolTip.hideText()

    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    flashed = layers(view, "flash")
    assert len(flashed) == 1
    start, end = flashed[0]
    assert inline.text[start:end] == "[1] " + note.text
    assert start > note.marker_end


def test_corpus_note_markers_are_superscript(view) -> None:
    letter = read_letter(corpus_file(SCHNITZLER_NOTES))
    view.set_letter(letter)
    for note in letter.notes:
        cursor = QTextCursor(view.document())
        cursor.setPosition(note.anchor + 1)
        align = cursor.charFormat().verticalAlignment()
        assert align == align.AlignSuperScript
        assert note.text and html_free(note.text) in view.tooltip_at(note.anchor)


def html_free(text: str) -> str:
    import html

    return html.escape(text)


def test_mention_tooltip_has_name_kind_and_letterhead_roles(view) -> None:
    letter = read_letter(ICBL)
    view.set_letter(letter)
    bernstein = next(m for m in letter.mentions if "pers.bernstein.elizabeth" in m.entities)
    tip = view.tooltip_at(bernstein.start + 1)
    assert "Elizabeth Bernstein" in tip and "Person" in tip
    assert "ICBL Ambassadors" in tip
    assert "Management Committee: Former ICBL Coordinator" in tip
    hrw = next(m for m in letter.mentions if "org.hrw" in m.entities)
    tip = view.tooltip_at(hrw.start + 1)
    assert "Human Rights Watch" in tip and "Organisation" in tip
    assert "affiliation of Steve Goose" in tip


def test_tooltip_escapes_names_and_lists_unresolved(view, inline) -> None:
    view.set_letter(inline)
    bergs = mention_of(inline, "the Bergs")
    tip = view.tooltip_at(bergs.start + 1)
    assert "Bruno &lt;b&gt;Berg&lt;/b&gt;" in tip and "Clara Czerny" in tip
    assert "<b>Berg" not in tip
    zed = mention_of(inline, "Zed Zorn")
    tip = view.tooltip_at(zed.start + 1)
    assert "Unresolved" in tip and "#ghost" in tip
    assert view.tooltip_at(inline.text.index("plain words")) == ""


def test_a_heading_normalised_only_in_case_gets_no_correction_mark(view, tmp_path) -> None:
    letter = read(
        tmp_path,
        tei(
            "<head><choice><orig>ADVISORY BOARD</orig><reg>Advisory Board</reg></choice></head>"
            "<p>Ask the <choice><orig>BOARD</orig><reg>Bord</reg></choice> now.</p>"
        ),
    )
    view.set_letter(letter)
    cursor = QTextCursor(view.document())
    cursor.setPosition(letter.text.index("Advisory") + 1)
    assert cursor.charFormat().underlineStyle() == cursor.charFormat().UnderlineStyle.NoUnderline
    assert "ADVISORY BOARD" in view.tooltip_at(letter.text.index("Advisory"))
    # A normalisation that changes more than the case is still marked.
    cursor.setPosition(letter.text.index("Bord") + 1)
    assert cursor.charFormat().underlineStyle() == cursor.charFormat().UnderlineStyle.DotLine


def test_corrections_show_the_other_reading(view, inline) -> None:
    view.set_letter(inline)
    position = inline.text.index("Nagorno")
    cursor = QTextCursor(view.document())
    cursor.setPosition(position + 1)
    assert cursor.charFormat().underlineStyle() == cursor.charFormat().UnderlineStyle.DotLine
    assert "Nargorno" in view.tooltip_at(position)
    struck = inline.text.index("struck")
    cursor.setPosition(struck + 1)
    assert cursor.charFormat().fontStrikeOut()
    strong = inline.text.index("strong")
    cursor.setPosition(strong + 1)
    assert cursor.charFormat().fontWeight() >= 700


# ------------------------------------------------------------------------ scrolling, zoom


@pytest.mark.slow
def test_show_range_scrolls_and_flashes(view, tmp_path, qtbot) -> None:
    path = tmp_path / "long.xml"
    path.write_bytes(make_letter(target_bytes=60_000, mentions=1_000))
    letter = read_letter(path)
    view.set_letter(letter)
    assert view.verticalScrollBar().value() == 0
    start = len(letter.text) - 40
    view.show_range(start, start + 10)
    assert view.verticalScrollBar().value() > 0
    assert layers(view, "flash") == [(start, start + 10)]
    qtbot.waitUntil(lambda: layers(view, "flash") == [], timeout=FLASH_MS + 2000)


def test_zoom(view, inline) -> None:
    view.set_letter(inline)
    size = view.font().pointSizeF()
    view.zoom_in()
    view.zoom_in()
    assert view.zoom_level == 2 and view.font().pointSizeF() > size
    assert view.document().defaultFont().pointSizeF() == view.font().pointSizeF()
    view.zoom_out()
    assert view.zoom_level == 1
    view.zoom_reset()
    assert view.zoom_level == 0 and view.font().pointSizeF() == pytest.approx(size)
    for _ in range(40):
        view.zoom_out()
    assert view.font().pointSizeF() > 3


def test_accessibility(view, inline) -> None:
    view.set_letter(inline)
    assert view.accessibleName() == "Letter text"
    assert view.isReadOnly()
    assert view.focusPolicy() != Qt.FocusPolicy.NoFocus


def test_dark_palette_rebuilds_with_dark_tints(view, inline) -> None:
    view.set_letter(inline)
    anna = mention_of(inline, "Anna Adler")
    view.set_selection({"p1"})
    palette = QPalette(view.palette())
    palette.setColor(QPalette.ColorRole.Base, QColor("#1e1f22"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#ececec"))
    view.setPalette(palette)
    cursor = QTextCursor(view.document())
    cursor.setPosition(anna.start + 1)
    assert cursor.charFormat().background().color() == kind_style("person", dark=True).background
    assert view.toPlainText() == inline.text
    assert view.emphasised_count == 2  # the selection survived the rebuild


@pytest.mark.slow
def test_big_letters_draw_layers_around_the_viewport(view, tmp_path, qtbot) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(make_letter(target_bytes=150_000, mentions=4_000))
    letter = read_letter(path)
    view.set_letter(letter)
    counts = letter.mention_counts()
    entity = max(counts, key=counts.get)
    ranges = sorted((m.start, m.end) for m in letter.mentions if entity in m.entities)
    view.set_kind_visible("person", False)
    assert view.set_selection({entity}) == len(ranges)

    def on_screen() -> tuple[int, int]:
        viewport = view.viewport()
        top = view.cursorForPosition(QPoint(0, 0)).position()
        bottom = view.cursorForPosition(QPoint(viewport.width(), viewport.height())).position()
        return top, bottom

    seen = 0
    maximum = view.verticalScrollBar().maximum()
    for scroll in (0, maximum // 3, maximum // 2, maximum * 3 // 4, maximum):
        view.verticalScrollBar().setValue(scroll)
        top, bottom = on_screen()
        marked = set(layers(view, "emphasis") + layers(view, "current"))
        visible = {r for r in ranges if r[1] > top and r[0] < bottom}
        assert visible <= marked, scroll
        assert len(marked) < len(ranges)  # only around the viewport
        seen += len(visible)
        people = [
            (m.start, m.end)
            for m in letter.mentions
            if m.kind == "person" and m.end > top and m.start < bottom
        ]
        assert covered(people) <= covered(layers(view, "hidden"))
        # The other mentions on screen are dimmed (people stay hidden), and only around it.
        others = [
            (m.start, m.end)
            for m in letter.mentions
            if m.kind != "person" and entity not in m.entities and m.end > top and m.start < bottom
        ]
        dim = layers(view, "dim")
        assert covered(others) <= covered(dim) | covered(ranges)
        assert not covered(dim) & covered(people)
        assert len(dim) < len(letter.mentions) // 4
    assert seen >= 3


@pytest.mark.slow
@pytest.mark.parametrize("mode", [FLOWING, SOURCE_LINES])
def test_after_scrolling_a_big_letter_the_mentions_on_screen_carry_their_highlights(
    view, tmp_path, qtbot, mode
) -> None:
    """What the screen shows, pixel by pixel, far from where the selection started: the
    selected entity's mentions in the emphasis colour, the other mentions in a faded
    tint of their kind, a hidden kind's in none."""
    from viewer.gui.kinds import emphasis_style
    from viewer.layout import Offsets

    path = tmp_path / "big.xml"
    path.write_bytes(make_letter(target_bytes=150_000, mentions=4_000, line_breaks=True))
    letter = read_letter(path)
    to_qt = Offsets(letter.text).to_qt
    view.set_line_mode(mode)
    view.set_letter(letter)
    view.set_kind_visible("person", False)
    view_hidden = {"person"}
    counts = letter.mention_counts()
    entity = max(counts, key=counts.get)
    total = view.set_selection({entity})
    base = view.palette().color(QPalette.ColorRole.Base)
    emphasis = emphasis_style(dark=False)
    ordered = sorted(letter.mentions, key=lambda m: (m.start, -m.end))
    alone = [
        m
        for i, m in enumerate(ordered)
        if (i == 0 or ordered[i - 1].end <= m.start)
        and (i + 1 == len(ordered) or ordered[i + 1].start >= m.end)
    ]

    def check_screen() -> tuple[int, int]:
        faded = emphasised = 0
        image = view.viewport().grab().toImage()
        for mention in alone:
            painted = painted_colour(view, to_qt(mention.start), to_qt(mention.end), image)
            if painted is None:
                continue
            shown = (mention.start, mention.end, letter.text[mention.start : mention.end])
            if entity in mention.entities:
                assert painted in (emphasis.background, emphasis.current_background), shown
                emphasised += 1
            elif mention.kind in view_hidden:
                assert painted == base, shown
            else:
                tint = kind_style(mention.kind, dark=False).background
                assert between(painted, tint, base), (shown, painted.name(), tint.name())
                faded += 1
        return faded, emphasised

    bar = view.verticalScrollBar()
    for _ in range(total // 2):  # on to a mention in the middle of the letter
        view.next_mention()
    assert bar.value() > bar.maximum() // 3
    faded, emphasised = check_screen()
    assert faded >= 10 and emphasised >= 1
    for fraction in (0.75, 0.25, 0.9):  # and on with the scroll bar, both ways
        bar.setValue(int(bar.maximum() * fraction))
        faded, _ = check_screen()
        assert faded >= 10, fraction
    # People shown again, on the same screen: their mentions fade like the others.
    view.set_kind_visible("person", True)
    view_hidden.clear()
    faded_with_people, _ = check_screen()
    assert faded_with_people > faded
    # The tints on a still screen are measured ahead of a click; a zoom lays the same
    # text out anew, and what was measured before must not be painted.
    bar.setValue(0)
    qtbot.waitUntil(lambda: not view._measure_timer.isActive(), timeout=5000)
    assert check_screen()[0] >= 10
    view.zoom_in()
    view.zoom_in()
    assert bar.value() == 0
    assert check_screen()[0] >= 10


def test_click_on_a_dangling_inner_mention_falls_back_to_the_outer(view, tmp_path, qtbot) -> None:
    letter = read(
        tmp_path,
        tei(
            '<p>From the <orgName ref="#o1">Bank of <placeName ref="#atlantis">Atlantis'
            "</placeName></orgName> today.</p>"
        ),
    )
    view.set_letter(letter)
    atlantis = mention_of(letter, "Atlantis")
    assert atlantis.unresolved and not atlantis.entities
    with qtbot.waitSignal(view.mentionActivated, timeout=1000) as signal:
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=point_of(view, atlantis.start + 3)
        )
    assert signal.args == [["o1"], False]


@pytest.mark.slow
def test_switching_from_a_scrolled_long_letter_keeps_no_old_layers(view, tmp_path, qtlog) -> None:
    """setDocument scrolls; the old letter's windowed layers must not land on the new one."""
    path = tmp_path / "long.xml"
    path.write_bytes(make_letter(target_bytes=150_000, mentions=4_000))
    long_letter = read_letter(path)
    view.set_letter(long_letter)
    view.set_kind_visible("person", False)
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    QApplication.processEvents()
    assert layers(view, "hidden")
    # A new text that ends inside a hidden run of the old one, near its start.
    person = next(m for m in long_letter.mentions if m.kind == "person" and m.start > 20)
    short = Letter(file=str(tmp_path / "short.xml"), title="Short", text="x" * (person.start + 1))
    view.set_letter(short)
    QApplication.processEvents()
    warnings = [r.message for r in qtlog.records if "out of range" in r.message]
    assert warnings == []
    assert all(end <= len(short.text) for _role, _start, end in describe_selection_layers(view))
