"""The letter pane: one letter's reading text with its mentions highlighted by kind.

Owns how a :class:`viewer.model.Letter` is drawn and how the reader touches it:
typography of the editorial markup, kind highlighting, notes, tooltips, clicks on
mentions, and the emphasis of selected entities.

The document is built once per letter by inserting the text as text (never as HTML)
through a QTextCursor, one run of equal formatting at a time, so that
``toPlainText() == letter.text`` (in source-lines mode); the kind tints are part of
those character formats.
Everything that changes afterwards (hiding a kind, emphasising a selection, flashing a
search hit) is drawn with ``setExtraSelections`` from offsets recorded at build time:
re-formatting a 2 MB document costs about a second, while a handful of extra selections
cost a few milliseconds. Offsets are kept between calls; the QTextCursors an extra
selection needs are created when the selections are applied (those of the hidden kinds'
overlays are reused while the viewport stays in the text they cover)
(tests/bench/bench_letter_view.py measures both). While entities are selected, the
other mentions keep a faded tint: paintEvent paints those beneath the text, and
transparent extra selections (one per block) keep Qt from painting the built tints over
them (one extra selection per faded run cost a click four times the repaint). A long letter gets
its layers only around the viewport, renewed as it scrolls.

Source line breaks (``lb``) are read in one of two modes (:mod:`viewer.linebreaks`):
flowing (the default: the newline an ``lb`` made is inserted as a space, or as a
zero-width space inside a word) or source lines (each ``lb`` starts a block; wrapped
lines hang, and the margin numbers the lines). Either way one character stands for
each break, so every letter offset is the same document position in both modes and
``toPlainText()`` is ``shown_text(letter, mode)``; ``set_line_mode`` switches by
replacing those characters in place, keeping the caret, the selection and the line
at the top.

A long letter read in two stages (``viewer.tei.reader.read_letter_staged``) is shown
with ``set_letter`` for its first part, then ``continue_letter`` builds the whole
letter's document between events and swaps it in without moving what is on screen.

What needs no Qt (cutting the text into runs, the rendition vocabulary, offsets in
code points versus UTF-16 units, note targets) is :mod:`viewer.layout`.
"""

from __future__ import annotations

import sys
import time
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable
from math import ceil, floor

from PySide6.QtCore import QEvent, QPoint, QPointF, QRect, QRectF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QResizeEvent,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextLength,
)
from PySide6.QtWidgets import QApplication, QTextEdit, QToolTip, QWidget

from viewer.filtering import letterhead_roles
from viewer.gcpause import paused_gc
from viewer.gui.kinds import (
    UNRESOLVED,
    contrast_ratio,
    emphasis_style,
    is_dark,
    kind_label,
    kind_style,
    unresolved_colour,
)
from viewer.layout import (
    CHOICE,
    Chain,
    Key,
    Layout,
    Offsets,
    note_targets,
    rend_tokens,
    segment,
)
from viewer.linebreaks import (
    DEFAULT_LINE_MODE,
    LINE_MODES,
    SOURCE_LINES,
    LineNumber,
    flowing_characters,
    line_index_at,
    line_numbers,
    shown_text,
)
from viewer.model import ENTITY_KINDS, Letter, Mention, Note, Span
from viewer.records import MutableRecord, mutable

# Extra selections carry their purpose in this property, so that tests (and anyone
# debugging) can tell the layers apart: "hidden", "dim", "emphasis", "current", "flash".
SELECTION_ROLE = int(QTextFormat.Property.UserProperty) + 17
# A block's hanging indent in source-lines mode, in pixels (so that it can be undone).
HANG_PROPERTY = int(QTextFormat.Property.UserProperty) + 18
HANG_EMS = 1.5

ZOOM_MIN, ZOOM_MAX = -6, 16
FLASH_MS = 1600
_READING_FAMILIES = ["Source Serif 4", "Charter", "Georgia", "Noto Serif", "DejaVu Serif"]
_TYPE_FAMILIES = ["Source Sans 3", "Noto Sans", "DejaVu Sans", "Arial"]
_MAX_COLUMN_EMS = 38  # a comfortable line length: about 75 characters
# Above this many formatting runs (a few thousand mentions), extra selections are made
# only for the text around the viewport (half a screen above and below) and renewed as it
# scrolls: a 2 MB letter with 50,000 mentions would otherwise need tens of thousands.
WINDOW_RUNS = 4000
# While entities are selected, the other mentions' tints fade this far towards the page.
DIM_AMOUNT = 0.6
_UNSET = object()
# continue_letter appends for about this long before letting the window handle events.
APPEND_SLICE_SECONDS = 0.012
# Once the view has been still this long, the geometry of the faded tints on screen is
# measured, so that a click there need not (about 3 ms of a click on the 2 MB letter).
MEASURE_AFTER_MS = 150

CHOICE_TIPS = {
    "corr": "Corrected; the letter has",
    "reg": "Normalised; the letter has",
    "expan": "Expanded; the letter has",
    "ex": "Expanded; the letter has",
    "sic": "As the letter has it; corrected",
    "orig": "As the letter has it; normalised",
    "abbr": "Abbreviated; expanded",
    "am": "Abbreviated; expanded",
}
_SPAN_TIPS = {
    "del": "Deleted in the letter",
    "add": "Added in the letter",
    "gap": "Gap in the transcription",
    "unclear": "Unclear reading",
    "supplied": "Supplied by the editors",
}


@mutable
class _Colours(MutableRecord):
    """Colours taken from the widget's palette at build time."""

    dark: bool
    base: QColor
    text: QColor
    grey: QColor
    added: QColor
    deleted: QColor
    marker: QColor
    choice: QColor
    unresolved: QColor

    @classmethod
    def of(cls, palette: QPalette) -> _Colours:
        dark = is_dark(palette)
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)

        def readable(rgb: tuple[int, int, int]) -> QColor:
            # Walk the colour towards the text colour until it reads on the base.
            colour = QColor(*rgb)
            for step in range(11):
                mixed = _mix(colour, text, step / 10)
                if contrast_ratio(_rgb(mixed), _rgb(base)) >= 4.6:
                    return mixed
            return QColor(text)

        return cls(
            dark=dark,
            base=base,
            text=text,
            grey=readable((0x8A, 0x8A, 0x8A) if not dark else (0x9A, 0x9A, 0x9A)),
            added=readable((0x00, 0x9E, 0x73)),
            deleted=readable((0xD5, 0x5E, 0x00)),
            marker=readable((0x00, 0x72, 0xB2) if not dark else (0x56, 0xB4, 0xE9)),
            choice=readable((0x80, 0x80, 0x80)),
            unresolved=unresolved_colour(dark),
        )


def _escape(text: str) -> str:
    """``text`` for a rich-text tooltip: shown as written, never read as markup."""
    # Imported on the first tooltip: the html module is not needed to show a letter.
    from html import escape

    return escape(text)


def _rgb(colour: QColor) -> tuple[int, int, int]:
    return (colour.red(), colour.green(), colour.blue())


def _mix(a: QColor, b: QColor, amount: float) -> QColor:
    return QColor(
        round(a.red() + (b.red() - a.red()) * amount),
        round(a.green() + (b.green() - a.green()) * amount),
        round(a.blue() + (b.blue() - a.blue()) * amount),
    )


# A run's look: the chain of mentions around it (innermost first: (kind, unresolved))
# and its typographic tokens. Runs with equal keys share one QTextCharFormat.
@mutable
class _Continuation(MutableRecord):
    """continue_letter's work in progress: ``document`` holds the runs before ``next_run``."""

    letter: Letter
    build: Layout
    document: QTextDocument
    formats: list[QTextCharFormat]
    text: str  # what is inserted: the letter's text as the line mode shows it
    next_run: int = 0


class _LetterDocument(QTextDocument):
    """A document that never loads anything a letter names (images, style sheets)."""

    def loadResource(self, type: int, name: QUrl) -> None:
        return None


class LetterView(QTextEdit):
    """Read-only view of one letter. See the module docstring for how it draws.

    Offsets in this API (``mention_at``, ``show_range``) index ``Letter.text``.
    """

    mentionActivated = Signal(list, bool)
    letterCompleted = Signal()  # continue_letter has shown the whole letter
    lineModeChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._window: tuple[int, int] | None = None  # document positions the layers cover
        self._hidden_starts: list[int] = []
        self._hidden_ends: list[int] = []
        self._revealing = False
        self._column_margin = -1
        # Before setFont below: a font change measures the tints anew (_measure_later).
        self._build: Layout | None = None
        self._measure_timer = QTimer(self)
        self._measure_timer.setSingleShot(True)
        self._measure_timer.timeout.connect(self._measure_screen)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setAcceptDrops(False)
        self.setTabChangesFocus(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setAccessibleName("Letter text")
        self.setAccessibleDescription(
            "The letter's text. Named entities are highlighted by kind; "
            "press Enter on one to select it."
        )
        self.setFrameShape(QTextEdit.Shape.NoFrame)
        self.viewport().setMouseTracking(True)
        font = QFont(self.font())
        font.setFamilies(_READING_FAMILIES)
        font.setStyleHint(QFont.StyleHint.Serif)
        font.setPointSizeF(max(11.0, QApplication.font().pointSizeF() + 2))
        self.setFont(font)
        self._base_point_size = font.pointSizeF()
        self._zoom = 0

        self._letter: Letter | None = None
        self._continuation: _Continuation | None = None
        self._offsets = Offsets("")
        self._colours = _Colours.of(self.palette())
        self._kinds: frozenset[str] = frozenset((*ENTITY_KINDS, UNRESOLVED))
        self._overlay_formats: dict[tuple[int, frozenset[str]], QTextCharFormat | None] = {}
        self._dim_tints: dict[tuple[int, frozenset[str]], QColor | None] = {}
        self._see_through_formats: dict[int, QTextCharFormat] = {}  # id(hidden look) ->
        self._clear: QTextCharFormat | None = None
        self._tint_layout: tuple | None = None  # what _tint_spans was measured in
        self._tint_spans: dict[int, list[tuple[float, float, float, float, int]]] = {}
        # margin -> (what the answer depends on, answer) of _visible_positions
        self._visible_cache: dict[float, tuple[tuple, tuple[int, int]]] = {}
        self._by_entity: dict[str, list[int]] | None = None
        self._mention_spans: list[tuple[int, int]] = []  # (start, end) per letter.mentions
        self._roles: dict[str, list[str]] = {}
        self._note_targets: list[tuple[int, int, int]] = []  # (marker start, end, note start)
        self._page_breaks: list[tuple[int, str]] = []  # (document position, label)
        self._page_break_positions: list[int] = []
        self._line_marks: list[tuple[int, QColor]] = []  # (document position, colour)
        self._line_mark_positions: list[int] = []
        self._line_mode = DEFAULT_LINE_MODE
        self._flowing: list[tuple[int, str]] = []  # (document position, shown character)
        self._line_numbers: list[LineNumber] = []
        self._line_number_positions: list[int] = []  # document positions of line starts
        self._numbers_hovered = False  # the mouse is over the margin: every number shows

        self._hidden: set[str] = set()
        self._hidden_spec: list[tuple[int, int, QTextCharFormat]] = []
        self._hidden_generation = 0  # counts the changes of _hidden_spec
        # see-through -> (what they were made for, the hidden kinds' extra selections)
        self._hidden_layer_kept: dict[bool, tuple[tuple, list[QTextEdit.ExtraSelection]]] = {}
        self._clear_layer_kept: tuple[tuple, list[QTextEdit.ExtraSelection]] | None = None
        self._selected: frozenset[str] = frozenset()
        self._emphasis: list[tuple[int, int]] = []  # letter offsets, in text order
        self._current: int | None = None
        self._flash: tuple[int, int] | None = None
        self._flash_timer = QTimer(self)
        self._flash_timer.setSingleShot(True)
        self._flash_timer.timeout.connect(self._end_flash)
        self._press: QPoint | None = None
        self._documents_shown = 0  # counts setDocument calls
        self._anchored_in = 0  # which document the last plain or double click was in
        self._column_margin = -1
        self.verticalScrollBar().valueChanged.connect(self._follow_viewport)
        self.verticalScrollBar().valueChanged.connect(self._measure_later)

    # ------------------------------------------------------------------ building
    def set_letter(self, letter: Letter) -> None:
        """Show ``letter``: builds its document once; keeps hidden kinds, drops selection."""
        self._drop_continuation()  # a letter still being built gives way
        self._letter = letter
        self._selected = frozenset()
        self._emphasis = []
        self._current = None
        self._flash = None
        self._rebuild()

    def letter(self) -> Letter | None:
        return self._letter

    def _line_colour(self, entity_ids: Iterable[str]) -> QColor:
        letter = self._letter
        for entity_id in entity_ids:
            entity = letter.entity(entity_id) if letter is not None else None
            if entity is not None:
                return kind_style(entity.kind, self._colours.dark).underline
        return self._colours.unresolved

    def _rebuild(self) -> None:
        letter = self._letter
        if letter is None:
            return
        self._colours = _Colours.of(self.palette())
        self._overlay_formats = {}
        self._see_through_formats = {}
        self._dim_tints = {}
        self._offsets = Offsets(letter.text)
        # The build allocates hundreds of thousands of small objects and frees none:
        # cyclic garbage collection passes in between would only rescan them.
        with paused_gc():
            self._build = segment(letter)
            # Kinds outside the model's list (a parser extension) still get toggles.
            self._kinds = frozenset((*ENTITY_KINDS, UNRESOLVED, *self._build.runs_by_kind))
            document = self._make_document(letter, self._build)
        self._show_document(document)
        self._index_letter(letter)
        self._apply()

    def _index_letter(self, letter: Letter) -> None:
        """Everything besides the document that the view keeps of ``letter``."""
        self._by_entity = None
        # Built on the first selection, or shortly after the first paint, whichever
        # comes first: opening a big letter should not wait for it.
        QTimer.singleShot(50, self, self._entity_index)
        self._roles = letterhead_roles(letter)
        self._note_targets = note_targets(letter)
        self._line_marks = sorted(
            (
                (self._offsets.to_qt(ref.start), self._line_colour(ref.entities))
                for ref in letter.line_references
                if ref.end > ref.start
            ),
            key=lambda mark: mark[0],
        )
        self._line_mark_positions = [position for position, _ in self._line_marks]
        self._page_breaks = [
            (self._offsets.to_qt(span.start), span.detail)
            for span in letter.spans
            if span.style == "pb" and span.start == span.end
        ]
        self._page_break_positions = [position for position, _ in self._page_breaks]
        self._index_lines(letter)
        self._set_hidden_spec()

    def _index_lines(self, letter: Letter) -> None:
        to_qt = self._offsets.to_qt
        self._flowing = [(to_qt(at), shown) for at, shown in flowing_characters(letter)]
        self._line_numbers = line_numbers(letter)
        self._line_number_positions = [to_qt(n.offset) for n in self._line_numbers]

    # ------------------------------------------------------------ in two stages
    @staticmethod
    def prepare(letter: Letter) -> Layout:
        """The runs ``continue_letter`` inserts: plain Python, safe in a worker thread."""
        return segment(letter)

    def continue_letter(self, letter: Letter, prepared: Layout | None = None) -> None:
        """Show the whole of a letter whose first part is shown (read_letter_staged).

        The whole letter's document is built beside the shown one, a slice at a
        time between events, so that the window answers meanwhile; then it
        replaces the first part's, keeping selection, hidden kinds and the
        scroll position (the first part's text is a prefix of the whole), and
        ``letterCompleted`` is emitted. The result equals ``set_letter(letter)``.
        """
        build = prepared if prepared is not None else segment(letter)
        if self._letter is None:
            self.set_letter(letter)
            self.letterCompleted.emit()
            return
        self._kinds = self._kinds | frozenset(build.runs_by_kind)
        formats = [self._run_format(i, key) for i, key in enumerate(build.keys)]
        self._continuation = _Continuation(
            letter=letter,
            build=build,
            document=self._new_document(),
            formats=formats,
            text=shown_text(letter, self._line_mode),
        )
        self._append_slice()

    def _drop_continuation(self) -> _Continuation | None:
        work, self._continuation = self._continuation, None
        if work is not None:
            work.document.deleteLater()
        return work

    @property
    def completing(self) -> bool:
        """True while continue_letter is still building the whole letter's document."""
        return self._continuation is not None

    def _append_slice(self) -> None:
        work = self._continuation
        if work is None:
            return  # another letter was shown meanwhile
        build, text, formats = work.build, work.text, work.formats
        starts, ends, keys = build.run_starts, build.run_ends, build.run_keys
        cursor = QTextCursor(work.document)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        insert = cursor.insertText
        deadline = time.perf_counter() + APPEND_SLICE_SECONDS
        run, total = work.next_run, len(starts)
        # As in _rebuild: many small objects, nothing to collect.
        with paused_gc():
            cursor.beginEditBlock()
            try:
                while run < total:
                    insert(text[starts[run] : ends[run]], formats[keys[run]])
                    run += 1
                    if not run % 512 and time.perf_counter() > deadline:
                        break
            finally:
                cursor.endEditBlock()
        work.next_run = run
        if run < total:
            QTimer.singleShot(0, self, self._append_slice)
            return
        self._continuation = None
        self._swap_in(work)

    def _swap_in(self, work: _Continuation) -> None:
        letter, document = work.letter, work.document
        scroll_bar = self.verticalScrollBar()
        scrolled = scroll_bar.value()
        top = self.cursorForPosition(QPoint(0, 0)) if scrolled else None
        top_y = self.cursorRect(top).top() if top is not None else 0
        self._letter = letter
        self._build = work.build
        self._overlay_formats = {}
        self._see_through_formats = {}
        self._dim_tints = {}
        self._offsets = Offsets(letter.text)
        self._kinds = frozenset((*ENTITY_KINDS, UNRESOLVED, *work.build.runs_by_kind))
        self._format_blocks(document, letter)
        self._show_document(document)
        if top is not None:
            # The text up to here is the same: bring the line that was at the top back
            # to where it was. Moving the caret there makes QTextEdit lay the new
            # document out that far (it does so lazily) and scroll to it.
            caret = QTextCursor(document)
            caret.setPosition(top.position())
            self._revealing = True
            try:
                self.setTextCursor(caret)
                scroll_bar.setValue(scroll_bar.value() + self.cursorRect(caret).top() - top_y)
            finally:
                self._revealing = False
        self._index_letter(letter)
        current = self._current
        self._emphasis = self._ranges_of(self._selected)
        if not self._emphasis:
            self._current = None
        elif current is None or current >= len(self._emphasis):
            self._current = 0
        self._apply()
        self.letterCompleted.emit()

    def _new_document(self) -> QTextDocument:
        document = _LetterDocument(self)
        document.setUndoRedoEnabled(False)
        document.setDefaultFont(self.font())
        document.setDocumentMargin(0)
        # New blocks inherit the format of the one they split.
        QTextCursor(document).setBlockFormat(self._paragraph_format())
        return document

    def _make_document(self, letter: Letter, build: Layout) -> QTextDocument:
        document = self._new_document()
        text = shown_text(letter, self._line_mode)
        cursor = QTextCursor(document)
        cursor.beginEditBlock()
        insert = cursor.insertText
        formats = [self._run_format(i, key) for i, key in enumerate(build.keys)]
        for start, end, key in zip(build.run_starts, build.run_ends, build.run_keys, strict=True):
            insert(text[start:end], formats[key])
        self._format_blocks(document, letter)
        cursor.endEditBlock()
        return document

    def _show_document(self, document: QTextDocument) -> None:
        old = self.document()
        ours = isinstance(old, _LetterDocument)  # QTextEdit deletes its own default one
        self.setExtraSelections([])
        self._hidden_layer_kept = {}
        self._clear_layer_kept = None
        self._visible_cache = {}
        self._documents_shown += 1
        # Layers are renewed for the new document once it is indexed; until then, the
        # scrolling that setDocument causes must not re-apply the old document's.
        self._window = None
        # Margins before the view lays the document out, so that it is laid out once.
        self._column_margin = -1
        self._update_column(document)
        self.setDocument(document)
        if ours:
            old.deleteLater()
        self._measure_later()

    def _paragraph_format(self) -> QTextBlockFormat:
        paragraph = QTextBlockFormat()
        # Extra leading for reading. A whole number of pixels between lines, not a
        # percentage: with proportional heights a selection over whole lines leaves a
        # 1 px sliver of the tints above.
        leading = round(0.3 * self.fontMetrics().height())
        paragraph.setLineHeight(leading, QTextBlockFormat.LineHeightTypes.LineDistanceHeight.value)
        return paragraph

    def _format_blocks(self, document: QTextDocument, letter: Letter) -> None:
        self._format_note_blocks(document, letter)
        if self._line_mode == SOURCE_LINES:
            to_qt = self._offsets.to_qt
            starts = [to_qt(b.offset) for b in letter.line_breaks]
            breaks = [to_qt(at) for at, _ in flowing_characters(letter)]
            self._hang(document, _lined(starts, breaks))

    def _format_note_blocks(self, document: QTextDocument, letter: Letter) -> None:
        em = self.fontMetrics().horizontalAdvance("M")
        to_qt = self._offsets.to_qt
        first_note: int | None = None
        for block in letter.blocks:
            if block.kind == "letterhead":
                look = QTextBlockFormat()
                look.setLeftMargin(2 * em)
                look.setRightMargin(em)
            elif block.kind == "note":
                look = QTextBlockFormat()
                look.setTopMargin(em * 0.3)
                if first_note is None or block.start < first_note:
                    first_note = block.start
            else:
                continue
            _merge_block_format(document, to_qt(block.start), to_qt(block.end), look)
        if first_note is not None and first_note > 0:
            # A short rule above the notes, like the line above footnotes on a page.
            separator = document.findBlock(to_qt(first_note)).previous()
            if separator.isValid() and separator.length() <= 1:
                rule = QTextBlockFormat()
                rule.setProperty(
                    QTextFormat.Property.BlockTrailingHorizontalRulerWidth,
                    QTextLength(QTextLength.Type.PercentageLength, 25),
                )
                cursor = QTextCursor(separator)
                cursor.mergeBlockFormat(rule)

    def _run_format(self, key_index: int, key: Key) -> QTextCharFormat:
        chain, tokens = key
        look = QTextCharFormat()
        if "italic" in tokens:
            look.setFontItalic(True)
        if "bold" in tokens:
            look.setFontWeight(QFont.Weight.Bold)
        if "strike" in tokens:
            look.setFontStrikeOut(True)
        if "sup" in tokens or "marker" in tokens:
            look.setVerticalAlignment(QTextCharFormat.VerticalAlignment.AlignSuperScript)
        elif "sub" in tokens:
            look.setVerticalAlignment(QTextCharFormat.VerticalAlignment.AlignSubScript)
        if "smallcaps" in tokens:
            look.setFontCapitalization(QFont.Capitalization.SmallCaps)
        elif "capitals" in tokens:
            look.setFontCapitalization(QFont.Capitalization.AllUppercase)
        if "spaced" in tokens:
            look.setFontLetterSpacingType(QFont.SpacingType.PercentageSpacing)
            look.setFontLetterSpacing(118)
        if "sans" in tokens or "printed" in tokens:
            look.setFontFamilies(_TYPE_FAMILIES)
            look.setFontStyleHint(QFont.StyleHint.SansSerif)
        if "note" in tokens or "letterhead" in tokens:
            # Relative, so that zooming scales it with the rest.
            look.setProperty(QTextFormat.Property.FontSizeAdjustment, -1)
        if "marker" in tokens:
            look.setFontWeight(QFont.Weight.DemiBold)
        self._decorate(look, chain, tokens, self._all_kinds(), explicit=False)
        return look

    def _all_kinds(self) -> frozenset[str]:
        return self._kinds

    def _decorate(
        self,
        look: QTextCharFormat,
        chain: Chain,
        tokens: frozenset[str],
        visible: Collection[str],
        *,
        explicit: bool,
    ) -> None:
        """Colours and underline of a run, given which kinds show.

        ``explicit`` (for overlays) sets every property, so that an extra selection
        painted over the built format replaces what the build put there.
        """
        colours = self._colours
        shown = next(((k, u) for k, u in chain if k in visible), None)
        background: QColor | None = None
        foreground: QColor | None = None
        if shown is not None:
            style = kind_style(shown[0], colours.dark)
            background = style.background
            foreground = style.foreground
        elif "marker" in tokens:
            foreground = colours.marker
        elif "del" in tokens:
            foreground = colours.deleted
        elif "add" in tokens:
            foreground = colours.added
        elif "grey" in tokens or "letterhead" in tokens:
            foreground = colours.grey
        if background is not None:
            look.setBackground(background)
        elif explicit:
            look.setBackground(colours.base)
        if foreground is not None:
            look.setForeground(foreground)
        elif explicit:
            look.setForeground(colours.text)
        if shown is not None and shown[1] and UNRESOLVED in visible:
            look.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DashUnderline)
            look.setUnderlineColor(colours.unresolved)
        elif "choice" in tokens:
            look.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
            look.setUnderlineColor(colours.choice)
        elif "underline" in tokens:
            look.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
            if explicit:
                look.setUnderlineColor(foreground or colours.text)
        elif explicit:
            look.setUnderlineStyle(QTextCharFormat.UnderlineStyle.NoUnderline)

    # ------------------------------------------------------------------ kinds
    def set_kind_visible(self, kind: str, visible: bool) -> None:
        """Show or hide one kind's highlighting (``"unresolved"``: the dashed marks)."""
        hidden = set(self._hidden)
        if visible:
            hidden.discard(kind)
        else:
            hidden.add(kind)
        if hidden == self._hidden:
            return
        self._hidden = hidden
        self._set_hidden_spec()
        self._apply()

    def visible_kinds(self) -> set[str]:
        return set(self._all_kinds()) - self._hidden

    def _set_hidden_spec(self) -> None:
        self._hidden_spec = self._hidden_overlay()
        self._hidden_generation += 1
        self._hidden_starts = [start for start, _, _ in self._hidden_spec]
        self._hidden_ends = [end for _, end, _ in self._hidden_spec]

    def _hidden_overlay(self) -> list[tuple[int, int, QTextCharFormat]]:
        """Extra selections that paint hidden kinds' runs as if they were not tagged."""
        build = self._build
        if build is None or not self._hidden:
            return []
        affected: set[int] = set()
        for kind in self._hidden:
            affected.update(build.runs_by_kind.get(kind, ()))
        hidden_key = frozenset(self._hidden)
        visible = self._all_kinds() - hidden_key
        to_qt = self._offsets.to_qt
        spec: list[tuple[int, int, QTextCharFormat]] = []
        for run in sorted(affected):
            key_index = build.run_keys[run]
            cache_key = (key_index, hidden_key)
            if cache_key not in self._overlay_formats:
                chain, tokens = build.keys[key_index]
                if _shown(chain, visible) == _shown(chain, self._all_kinds()) and (
                    UNRESOLVED not in hidden_key or not any(u for _, u in chain)
                ):
                    self._overlay_formats[cache_key] = None
                else:
                    look = QTextCharFormat()
                    self._decorate(look, chain, tokens, visible, explicit=True)
                    look.setProperty(SELECTION_ROLE, "hidden")
                    self._overlay_formats[cache_key] = look
            look = self._overlay_formats[cache_key]
            if look is not None:
                spec.append((to_qt(build.run_starts[run]), to_qt(build.run_ends[run]), look))
        return spec

    # ------------------------------------------------------------------ selection
    def set_selection(self, entity_ids: Collection[str]) -> int:
        """Emphasise every mention of any of ``entity_ids``; returns how many there are.

        Counts distinct mentions plus line references (Jean Paul), like the status bar.
        An empty collection clears the emphasis.
        """
        self._selected = frozenset(entity_ids)
        self._emphasis = self._ranges_of(self._selected)
        self._current = 0 if self._emphasis else None
        if self._current is not None:
            self._reveal(*self._emphasis[0])
        self._apply()
        return len(self._emphasis)

    def selected_entities(self) -> frozenset[str]:
        return self._selected

    def emphasised_ranges(self) -> list[tuple[int, int]]:
        """Letter offsets of the emphasised mentions, in text order."""
        return list(self._emphasis)

    def _ranges_of(self, ids: frozenset[str]) -> list[tuple[int, int]]:
        letter = self._letter
        if letter is None or not ids:
            return []
        index = self._entity_index()
        if len(ids) == 1:
            chosen: Iterable[int] = index.get(next(iter(ids)), ())
        else:
            found: set[int] = set()  # a mention naming two of them counts once
            for entity_id in ids:
                found.update(index.get(entity_id, ()))
            chosen = sorted(found)
        spans = self._mention_spans
        ranges = [spans[i] for i in chosen]
        if letter.line_references:
            ranges += [
                (ref.start, ref.end)
                for ref in letter.line_references
                if ref.end > ref.start and not ids.isdisjoint(ref.entities)
            ]
        ranges.sort()
        return ranges

    def _entity_index(self) -> dict[str, list[int]]:
        """Entity id -> indices of the mentions naming it."""
        if self._by_entity is None:
            index: dict[str, list[int]] = {}
            mentions = self._letter.mentions if self._letter is not None else ()
            for position, mention in enumerate(mentions):
                for entity_id in mention.entities:
                    index.setdefault(entity_id, []).append(position)
            # A click on an entity with a thousand mentions reads their offsets from here.
            self._mention_spans = [(mention.start, mention.end) for mention in mentions]
            self._by_entity = index
        return self._by_entity

    @property
    def emphasised_count(self) -> int:
        return len(self._emphasis)

    @property
    def current_mention_index(self) -> int | None:
        return self._current

    def next_mention(self) -> int | None:
        """Move to the next emphasised mention (after the last: the first)."""
        return self._step(1)

    def previous_mention(self) -> int | None:
        """Move to the previous emphasised mention (before the first: the last)."""
        return self._step(-1)

    def _step(self, delta: int) -> int | None:
        if not self._emphasis:
            return None
        if self._current is None:
            self._current = 0 if delta > 0 else len(self._emphasis) - 1
        else:
            self._current = (self._current + delta) % len(self._emphasis)
        self._reveal(*self._emphasis[self._current])
        self._apply()
        return self._current

    # ------------------------------------------------------------------ show range
    def show_range(self, start: int, end: int) -> None:
        """Scroll to ``[start, end)`` and highlight it for a moment (a search hit)."""
        if self._letter is None:
            return
        length = len(self._letter.text)
        start = max(0, min(start, length))
        end = max(start, min(end, length))
        self._flash = (start, end)
        self._reveal(start, end)
        self._apply()
        self._flash_timer.start(FLASH_MS)

    def go_to(self, offset: int) -> None:
        """Put the caret at letter offset ``offset`` and scroll it into view, without a flash
        (a page or a line chosen on the facsimile)."""
        if self._letter is None:
            return
        offset = max(0, min(offset, len(self._letter.text)))
        self._reveal(offset, offset)
        self._apply()

    def _end_flash(self) -> None:
        if self._flash is not None:
            self._flash = None
            self._apply()

    # ------------------------------------------------------------------ line modes
    @property
    def line_mode(self) -> str:
        """FLOWING or SOURCE_LINES (viewer.linebreaks)."""
        return self._line_mode

    def set_line_mode(self, mode: str) -> None:
        """Show the source's line breaks flowing or as lines, keeping what is shown.

        The characters that stand for the breaks are replaced in place (a space or a
        zero-width space <-> a block separator), so every offset keeps its position;
        the caret, the selected text and the emphasised mentions stay, and the line at
        the top of the viewport stays at the top.
        """
        if mode not in LINE_MODES:
            raise ValueError(f"unknown line mode {mode!r}")
        if mode == self._line_mode:
            return
        self._line_mode = mode
        document = self.document()
        if self._letter is not None and isinstance(document, _LetterDocument):
            unfinished = self._drop_continuation()
            self._switch_lines(document, mode)
            if unfinished is not None:
                # The whole letter was being built in the other mode: build it in this one.
                self.continue_letter(unfinished.letter, unfinished.build)
        self.lineModeChanged.emit(mode)

    def _switch_lines(self, document: QTextDocument, mode: str) -> None:
        scroll_bar = self.verticalScrollBar()
        scrolled = scroll_bar.value()
        top = self._top_position()
        top_y = self._position_y(top) - scrolled if top is not None else 0.0
        caret = self.textCursor()
        anchor, position = caret.anchor(), caret.position()
        lined = _lined(self._line_number_positions, [at for at, _ in self._flowing])
        cursor = QTextCursor(document)
        with paused_gc():
            cursor.beginEditBlock()
            try:
                if mode == SOURCE_LINES:
                    for at, _shown in self._flowing:
                        cursor.setPosition(at + 1)
                        look = cursor.charFormat()  # the break character's own format
                        cursor.setPosition(at, QTextCursor.MoveMode.KeepAnchor)
                        cursor.insertBlock(cursor.blockFormat(), look)
                    self._hang(document, lined)
                else:
                    self._hang(document, lined, undo=True)
                    for at, shown in self._flowing:
                        cursor.setPosition(at + 1)
                        look = cursor.charFormat()
                        cursor.setPosition(at, QTextCursor.MoveMode.KeepAnchor)
                        cursor.insertText(shown, look)
            finally:
                cursor.endEditBlock()
        self._visible_cache = {}
        restored = QTextCursor(document)
        restored.setPosition(anchor)
        restored.setPosition(position, QTextCursor.MoveMode.KeepAnchor)
        self._revealing = True
        try:
            self.setTextCursor(restored)
            if top is not None:
                # The same text at the same height: the top line stays where it was.
                scroll_bar.setValue(round(self._position_y(top) - top_y))
            else:
                scroll_bar.setValue(0)
        finally:
            self._revealing = False
        self._apply()
        self.viewport().update()
        self._measure_later()

    def _top_position(self) -> int | None:
        """The document position of the first character at the top of the viewport."""
        if not self.verticalScrollBar().value():
            return None
        left = float(max(0, self._column_margin) + 2)
        return self._hit(left, float(self.verticalScrollBar().value()), downwards=True)

    def _position_y(self, position: int) -> float:
        """Document y of the line holding ``position`` (lays the document out that far)."""
        document = self.document()
        block = document.findBlock(position)
        box = document.documentLayout().blockBoundingRect(block)
        layout = block.layout()
        line = layout.lineForTextPosition(position - block.position())
        return box.top() + (line.y() if line.isValid() else 0.0)

    def _hang(self, document: QTextDocument, positions: list[int], *, undo: bool = False):
        """Give the blocks holding ``positions`` a hanging indent (or take it back)."""
        hang = round(HANG_EMS * self.fontMetrics().horizontalAdvance("M"))
        cursor = QTextCursor(document)
        last = -1
        for position in positions:
            block = document.findBlock(position)
            if not block.isValid() or block.blockNumber() == last:
                continue
            last = block.blockNumber()
            look = block.blockFormat()
            had = look.property(HANG_PROPERTY)
            if undo:
                if not had:
                    continue
                look.setLeftMargin(look.leftMargin() - float(had))
                look.setTextIndent(0)
                look.clearProperty(HANG_PROPERTY)
            else:
                if had:
                    continue
                look.setLeftMargin(look.leftMargin() + hang)
                look.setTextIndent(-hang)
                look.setProperty(HANG_PROPERTY, hang)
            cursor.setPosition(block.position())
            cursor.setBlockFormat(look)

    @property
    def line_numbers(self) -> list[LineNumber]:
        """The numbers of the source lines (one per ``letter.line_breaks``)."""
        return list(self._line_numbers)

    def show_line(self, index: int) -> None:
        """Scroll to source line ``index`` (of ``line_numbers``) and mark it for a moment."""
        letter = self._letter
        if letter is None or not 0 <= index < len(self._line_numbers):
            return
        start = self._line_numbers[index].offset
        end = letter.text.find("\n", start)
        if index + 1 < len(self._line_numbers):
            following = self._line_numbers[index + 1].offset - 1
            end = following if end < 0 else min(end, following)
        self.show_range(start, len(letter.text) if end < 0 else end)

    def _numbers_at_y(self, y: float) -> LineNumber | None:
        """The source line whose first row is at viewport height ``y``, in lines mode."""
        if self._line_mode != SOURCE_LINES or not self._line_numbers:
            return None
        position = self._hit(float(max(0, self._column_margin) + 2), y + self._scrolled(),
                             downwards=True)  # fmt: skip
        if position is None:
            return None
        index = line_index_at(self._line_numbers, self._offsets.from_qt(position))
        return None if index is None else self._line_numbers[index]

    def _scrolled(self) -> float:
        return float(self.verticalScrollBar().value())

    def _paint_line_numbers(self, painter: QPainter, top: int, bottom: int) -> None:
        """Source-lines mode: every fifth line's number in the left margin (all on hover)."""
        if self._line_mode != SOURCE_LINES or not self._line_numbers:
            return
        first = bisect_left(self._line_number_positions, top)
        last = bisect_right(self._line_number_positions, bottom)
        if first >= last:
            return
        font = QFont(self.font())
        font.setFamilies(_TYPE_FAMILIES)
        font.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.7))
        painter.setFont(font)
        painter.setPen(self._colours.grey)
        width = self._number_width()
        # Left of the dots that mark the lines commentary refers to (_paint_line_marks).
        right = self._column_margin - 18
        for index in range(first, last):
            number = self._line_numbers[index]
            if not (number.always_shown or self._numbers_hovered):
                continue
            cursor = QTextCursor(self.document())
            cursor.setPosition(self._line_number_positions[index])
            rect = self.cursorRect(cursor)
            area = QRectF(max(0, right - width), rect.top(), min(width, right), rect.height())
            painter.drawText(area, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             number.line)  # fmt: skip

    def _number_width(self) -> int:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.7))
        return QFontMetrics(font).horizontalAdvance("0000")

    # ------------------------------------------------------------------ painting
    def _apply(self) -> None:
        """Hand the current layers to QTextEdit as extra selections."""
        document = self.document()
        to_qt, from_qt = self._offsets.to_qt, self._offsets.from_qt
        end_of_text = document.characterCount() - 1
        windowed = self._build is not None and len(self._build.run_starts) > WINDOW_RUNS
        low, high = self._visible_positions(margin=0.5) if windowed else (0, end_of_text)
        self._window = (low, high) if windowed else None
        hidden = self._hidden_layer(document, low, high, see_through=bool(self._emphasis))
        selections: list[QTextEdit.ExtraSelection] = []
        if self._emphasis:
            # The other mentions keep a faded tint. paintEvent paints those tints beneath
            # the text (_paint_dimmed); the "clear" selections keep Qt from painting the
            # built tints over them, and the hidden kinds' overlays lose their background
            # for the same reason. One extra selection per faded run instead (220 on a
            # screen of the 2 MB letter) made a click's repaint four times as slow: Qt
            # clips and redraws the line once per selection.
            selections.extend(self._clear_layer(document, low, high))
            selections.extend(hidden)
            style = emphasis_style(self._colours.dark)
            letter_low, letter_high = from_qt(low), from_qt(high)
            marked = QTextCharFormat()
            marked.setBackground(style.background)
            marked.setForeground(style.foreground)
            marked.setProperty(SELECTION_ROLE, "emphasis")
            current = QTextCharFormat(marked)
            current.setBackground(style.current_background)
            current.setProperty(SELECTION_ROLE, "current")
            emphasis = self._emphasis
            # In text order: those starting past the window are cut off by bisecting.
            last = bisect_right(emphasis, (letter_high, sys.maxsize))
            shown = [i for i in range(last) if emphasis[i][1] >= letter_low]
            if self._current is not None and self._current not in shown:
                shown.append(self._current)
            for index in shown:
                start, stop = emphasis[index]
                look = current if index == self._current else marked
                selections.append(_selection(document, to_qt(start), to_qt(stop), look))
        else:
            selections.extend(hidden)
        if self._flash is not None:
            flash = QTextCharFormat()
            flash.setBackground(self.palette().color(QPalette.ColorRole.Highlight))
            flash.setForeground(self.palette().color(QPalette.ColorRole.HighlightedText))
            flash.setProperty(SELECTION_ROLE, "flash")
            start, stop = self._flash
            selections.append(_selection(document, to_qt(start), to_qt(stop), flash))
        self.setExtraSelections(selections)

    def _hidden_layer(
        self, document: QTextDocument, low: int, high: int, *, see_through: bool
    ) -> list[QTextEdit.ExtraSelection]:
        """The hidden kinds' overlays for the runs in [low, high] (document positions).

        Made once per window, with and without their backgrounds, and kept: a click on
        the same screen reuses them (a hundred of them cost a few milliseconds).
        """
        key = (self._documents_shown, document.revision(), low, high,
               self._hidden_generation)  # fmt: skip
        kept = self._hidden_layer_kept.get(see_through)
        if kept is not None and kept[0] == key:
            return kept[1]
        first = bisect_right(self._hidden_ends, low)
        last = bisect_left(self._hidden_starts, high)
        look_of = self._see_through if see_through else (lambda look: look)
        made = [
            _selection(document, start, end, look_of(look))
            for start, end, look in self._hidden_spec[first:last]
        ]
        self._hidden_layer_kept[see_through] = (key, made)
        return made

    def _clear_layer(
        self, document: QTextDocument, low: int, high: int
    ) -> list[QTextEdit.ExtraSelection]:
        """The "clear" selections over [low, high]: one per block, kept like _hidden_layer.

        One per block, not one for the range: QTextEdit measures a selection that spans
        blocks against the whole document, which a click right after opening a 2 MB
        letter (laid out lazily) paid with a third of a second of layout.
        """
        key = (self._documents_shown, document.revision(), low, high)
        if self._clear_layer_kept is not None and self._clear_layer_kept[0] == key:
            return self._clear_layer_kept[1]
        look = self._clear_format()
        made: list[QTextEdit.ExtraSelection] = []
        block = document.findBlock(low)
        while block.isValid() and block.position() <= high:
            start = max(low, block.position())
            end = min(high, block.position() + block.length() - 1)
            if end > start:
                made.append(_selection(document, start, end, look))
            block = block.next()
        self._clear_layer_kept = (key, made)
        return made

    def _clear_format(self) -> QTextCharFormat:
        """An extra selection's look that paints nothing and hides the built tints.

        A selection with a background brush makes Qt leave out the backgrounds of the
        characters it covers and draw their text on top of what is already painted;
        a fully transparent brush adds nothing of its own (Qt.NoBrush would count as
        no background and let the built tints through).
        """
        if self._clear is None:
            look = QTextCharFormat()
            look.setBackground(QColor(0, 0, 0, 0))
            # Whole lines from margin to margin: the built tint of a line's last
            # character can reach a pixel past the line's own rectangle.
            look.setProperty(QTextFormat.Property.FullWidthSelection, True)
            look.setProperty(SELECTION_ROLE, "clear")
            self._clear = look
        return self._clear

    def _see_through(self, look: QTextCharFormat) -> QTextCharFormat:
        """``look`` (a hidden kind's overlay) without its background, which paintEvent paints."""
        found = self._see_through_formats.get(id(look))
        if found is None:
            found = QTextCharFormat(look)
            found.setBackground(QColor(0, 0, 0, 0))
            self._see_through_formats[id(look)] = found
        return found

    def _dimmed_runs(self, low: int, high: int) -> list[tuple[int, int, QColor]]:
        """(start, end, faded tint) in document positions, per tinted run in [low, high]
        (letter offsets), while entities are selected."""
        build = self._build
        if build is None or not self._emphasis:
            return []
        visible = frozenset(self._all_kinds() - self._hidden)
        to_qt = self._offsets.to_qt
        starts, ends, keys = build.run_starts, build.run_ends, build.run_keys
        first = bisect_right(ends, low)
        last = bisect_left(starts, high)
        found: list[tuple[int, int, QColor]] = []
        for run in range(first, last):
            tint = self._dim_tint(keys[run], visible)
            if tint is not None:
                found.append((to_qt(starts[run]), to_qt(ends[run]), tint))
        return found

    def _dim_tint(self, key_index: int, visible: frozenset[str]) -> QColor | None:
        """The faded tint of runs with ``build.keys[key_index]`` (None: untinted)."""
        cache_key = (key_index, visible)
        if cache_key in self._dim_tints:
            return self._dim_tints[cache_key]
        assert self._build is not None
        shown = _shown(self._build.keys[key_index][0], visible)
        tint = None
        if shown is not None:
            colours = self._colours
            tint = _mix(kind_style(shown[0], colours.dark).background, colours.base, DIM_AMOUNT)
        self._dim_tints[cache_key] = tint
        return tint

    def _paint_dimmed(self, area: QRect) -> None:
        """Paint the faded tints of the runs on the lines in viewport ``area``.

        Painted before QTextEdit draws the text, which then shows them through the
        "clear" selection (see _apply).
        """
        build = self._build
        if not self._emphasis or build is None:
            return
        top, bottom = self._visible_positions()
        document = self.document()
        layout = document.documentLayout()
        dx = float(self.horizontalScrollBar().value())
        dy = float(self.verticalScrollBar().value())
        area_top, area_bottom = float(area.top()), float(area.bottom() + 1)
        visible = frozenset(self._all_kinds() - self._hidden)
        tints = self._dim_tints
        self._check_tint_layout(document)
        painter: QPainter | None = None
        block = document.findBlock(top)
        while block.isValid() and block.position() <= bottom:
            box = layout.blockBoundingRect(block)
            x0, y0 = box.left() - dx, box.top() - dy
            if y0 > area_bottom:
                break
            if y0 + box.height() >= area_top:
                spans = self._tint_spans.get(block.position())
                if spans is None:
                    spans = self._tinted_spans(block)
                for x1, x2, y, height, key_index in spans:
                    tint = tints.get((key_index, visible), _UNSET)
                    if tint is _UNSET:
                        tint = self._dim_tint(key_index, visible)
                    if tint is None:
                        continue
                    if painter is None:
                        painter = QPainter(self.viewport())
                    # The smallest whole-pixel rectangle around the span, as Qt fills
                    # a selection.
                    left, upper = floor(x0 + x1), floor(y0 + y)
                    painter.fillRect(QRect(left, upper, ceil(x0 + x2) - left,
                                           ceil(y0 + y + height) - upper), tint)  # fmt: skip
            block = block.next()
        if painter is not None:
            painter.end()

    def _check_tint_layout(self, document: QTextDocument) -> None:
        """Forget the measured tints when what they were measured in has changed."""
        state = (self._documents_shown, document.revision(), document.textWidth(),
                 self._column_margin, self.font().pointSizeF())  # fmt: skip
        if state != self._tint_layout:
            self._tint_layout = state
            self._tint_spans = {}

    def _measure_later(self) -> None:
        if self._build is not None:
            self._measure_timer.start(MEASURE_AFTER_MS)  # again: it waits for a still view

    def _measure_screen(self) -> None:
        """Measure the tints of the lines on screen that are not measured yet."""
        if self._build is None:
            return
        document = self.document()
        self._check_tint_layout(document)
        top, bottom = self._visible_positions()
        block = document.findBlock(top)
        while block.isValid() and block.position() <= bottom:
            if block.position() not in self._tint_spans:
                self._tinted_spans(block)
            block = block.next()

    def _tinted_spans(self, block: QTextBlock) -> list[tuple[float, float, float, float, int]]:
        """(x1, x2, y, height, key index) of each mention run's part on each line of
        ``block``, in the block's coordinates: what a selection of the run would fill.

        Kept per block in _tint_spans while the layout stays (_check_tint_layout), and
        measured ahead once the view is still (_measure_screen): a click paints from
        there without measuring.
        """
        block_start = block.position()
        text_layout = block.layout()
        line_count = text_layout.lineCount()
        build = self._build
        assert build is not None
        block_end = block_start + block.length() - 1  # before the paragraph separator
        from_qt, to_qt = self._offsets.from_qt, self._offsets.to_qt
        starts, ends, run_keys, keys = build.run_starts, build.run_ends, build.run_keys, build.keys
        first = bisect_right(ends, from_qt(block_start))
        last = bisect_left(starts, from_qt(block_end))
        runs = [run for run in range(first, last) if keys[run_keys[run]][0]]
        spans: list[tuple[float, float, float, float, int]] = []
        if runs and line_count:
            lines = []
            for index in range(line_count):
                line = text_layout.lineAt(index)
                line_start = line.textStart()
                lines.append((line_start, line_start + line.textLength(), line))
            for run in runs:
                a_run = max(0, to_qt(starts[run]) - block_start)
                b_run = min(block_end, to_qt(ends[run])) - block_start
                for line_start, line_end, line in lines:
                    if line_end <= a_run:
                        continue
                    if line_start >= b_run:
                        break
                    a, b = max(a_run, line_start), min(b_run, line_end)
                    if a == line_start and b == line_end:
                        whole = line.naturalTextRect()  # what Qt fills for a whole line
                        x1, x2 = whole.left(), whole.right()
                    else:
                        x1, x2 = line.cursorToX(a)[0], line.cursorToX(b)[0]
                        if b == line_end:  # not over the space a wrapped line ends with
                            x2 = min(x2, line.naturalTextRect().right())
                    if x2 < x1:
                        x1, x2 = x2, x1
                    spans.append((x1, x2, line.y(), line.height(), run_keys[run]))
        if line_count or block.length() <= 1:
            self._tint_spans[block_start] = spans  # a block not laid out yet is measured later
        return spans

    def _visible_positions(self, margin: float = 0.0) -> tuple[int, int]:
        """Document positions of the lines at the top and bottom of the viewport.

        ``margin`` widens the range by that many screens up and down.
        """
        viewport = self.viewport()
        document = self.document()
        scrolled = self.verticalScrollBar().value()
        laid_out = document.lastBlock().layout().lineCount() > 0
        # A click asks twice for the same answer (to place the layers, then to paint),
        # and each hit test walks a long document's layout (about 0.7 ms at 2 MB).
        state = (id(document), scrolled, viewport.width(), viewport.height(),
                 self._column_margin, self.font().pointSizeF(), laid_out)  # fmt: skip
        cached = self._visible_cache.get(margin)
        if laid_out and cached is not None and cached[0] == state:
            return cached[1]
        extra = viewport.height() * margin
        left = float(max(0, self._column_margin) + 2)
        right = max(left, float(viewport.width() - max(0, self._column_margin) - 2))
        end = document.characterCount() - 1
        top = self._hit(left, max(0.0, scrolled - extra), downwards=True)
        bottom = self._hit(right, scrolled + viewport.height() + extra, downwards=False)
        top = 0 if top is None else _line_bound(document, top, start=True)
        bottom = end if bottom is None else min(end, _line_bound(document, bottom, start=False))
        found = min(top, bottom), max(top, bottom)
        self._visible_cache[margin] = (state, found)
        return found

    def _hit(self, x: float, y: float, *, downwards: bool) -> int | None:
        """The document position at (x, y), or None above the start / below the end.

        While the document is still being laid out (lazily, in the background), a hit
        test that lands between lines (leading, margins) runs on into blocks not laid out
        yet and answers with a stray position; and asking for the document size to avoid
        that lays out everything (0.3 s at 2 MB). So: accept only a hit inside a laid-out
        block, stepping a few pixels to get out of a gap.
        """
        document = self.document()
        layout = document.documentLayout()
        if document.lastBlock().layout().lineCount():
            # Laid out to the end (the lazy layout goes in order): every hit is right.
            position = layout.hitTest(QPointF(x, max(0.0, y)), Qt.HitTestAccuracy.FuzzyHit)
            return None if position < 0 else position
        step = 3.0 if downwards else -3.0
        for attempt in range(12):
            probe = y + attempt * step
            if probe < 0:
                return None
            position = layout.hitTest(QPointF(x, probe), Qt.HitTestAccuracy.FuzzyHit)
            if position < 0:
                return None
            block = document.findBlock(position)
            text_layout = block.layout()
            if not block.isValid() or text_layout.lineCount() == 0:
                continue
            box = text_layout.boundingRect().translated(text_layout.position())
            if box.top() - 1 <= probe <= box.bottom() + 1:
                return position
            if probe > box.bottom() and not block.next().isValid():
                return position  # below the last line: the end
        return None if downwards else layout.hitTest(QPointF(x, y), Qt.HitTestAccuracy.FuzzyHit)

    def _follow_viewport(self) -> None:
        """Renew windowed layers when the viewport leaves the text they cover."""
        if self._window is None or self._revealing:
            return
        if not (self._hidden_spec or self._emphasis or self._flash):
            return
        top, bottom = self._visible_positions()
        if top < self._window[0] or bottom > self._window[1]:
            self._apply()

    def paintEvent(self, event: QPaintEvent) -> None:
        self._paint_dimmed(event.rect())
        super().paintEvent(event)
        if self._letter is None:
            return
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        top, bottom = self._visible_positions()
        self._paint_page_breaks(painter, top, bottom)
        self._paint_line_numbers(painter, top, bottom)
        self._paint_line_marks(painter, top, bottom)
        if self._current is not None and self._current < len(self._emphasis):
            start, end = self._emphasis[self._current]
            outline = emphasis_style(self._colours.dark).outline
            painter.setPen(QPen(outline, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for rect in self._range_rects(self._offsets.to_qt(start), self._offsets.to_qt(end)):
                painter.drawRoundedRect(rect.adjusted(-2, 0, 2, 0), 3, 3)
        painter.end()

    def _paint_line_marks(self, painter: QPainter, top: int, bottom: int) -> None:
        """A dot in the left margin per entity that commentary attaches to a printed line."""
        if not self._line_marks:
            return
        first = bisect_left(self._line_mark_positions, top)
        last = bisect_right(self._line_mark_positions, bottom)
        per_line: dict[int, int] = {}
        painter.setPen(Qt.PenStyle.NoPen)
        for position, colour in self._line_marks[first:last]:
            cursor = QTextCursor(self.document())
            cursor.setPosition(position)
            rect = self.cursorRect(cursor)
            index = per_line.get(rect.top(), 0)
            per_line[rect.top()] = index + 1
            if index >= 4:
                continue
            painter.setBrush(colour)
            x = self._column_margin - 12 - index * 9
            painter.drawEllipse(QPointF(x, rect.center().y() + 0.5), 3.2, 3.2)

    def _paint_page_breaks(self, painter: QPainter, top: int, bottom: int) -> None:
        if not self._page_breaks:
            return
        viewport = self.viewport()
        first = bisect_left(self._page_break_positions, top)
        last = bisect_right(self._page_break_positions, bottom)
        if first >= last:
            return
        font = QFont(self.font())
        font.setFamilies(_TYPE_FAMILIES)
        font.setPointSizeF(max(7.0, self.font().pointSizeF() * 0.72))
        painter.setFont(font)
        grey = self._colours.grey
        faint = QColor(grey)
        faint.setAlpha(150)
        tick = QPen(faint, 1.0, Qt.PenStyle.DotLine)
        for position, label in self._page_breaks[first:last]:
            cursor = QTextCursor(self.document())
            cursor.setPosition(position)
            rect = self.cursorRect(cursor)
            line_start = (
                cursor.block().layout().lineForTextPosition(position - cursor.block().position())
            )
            mid_line = line_start.isValid() and position - cursor.block().position() > (
                line_start.textStart()
            )
            if mid_line:
                # A dotted tick where the page turns inside a line (unlike the solid caret).
                painter.setPen(tick)
                painter.drawLine(
                    QPointF(rect.left() + 0.5, rect.top() + 1),
                    QPointF(rect.left() + 0.5, rect.bottom()),
                )
            painter.setPen(grey)
            text = (f"p. {label}" if label[:1].isdigit() else label) if label else "new page"
            x = viewport.width() - self._column_margin + 10
            area = QRectF(x, rect.top(), max(0, self._column_margin - 12), rect.height() + 20)
            painter.drawText(area, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, text)

    def _range_rects(self, start: int, end: int) -> list[QRectF]:
        """Viewport rectangles covering document positions [start, end), one per line."""
        document = self.document()
        layout = document.documentLayout()
        dx = self.horizontalScrollBar().value()
        dy = self.verticalScrollBar().value()
        rects: list[QRectF] = []
        block = document.findBlock(start)
        while block.isValid() and block.position() <= end:
            text_layout = block.layout()
            origin = layout.blockBoundingRect(block).topLeft()
            position = block.position()
            for i in range(text_layout.lineCount()):
                line = text_layout.lineAt(i)
                line_start = position + line.textStart()
                line_end = line_start + line.textLength()
                a, b = max(start, line_start), min(end, line_end)
                if a > b or (a == b and start != end):
                    continue
                x1 = line.cursorToX(a - position)[0]
                x2 = line.cursorToX(b - position)[0]
                rects.append(
                    QRectF(
                        origin.x() + min(x1, x2) - dx,
                        origin.y() + line.y() - dy,
                        abs(x2 - x1),
                        line.height(),
                    )
                )
            if block.position() + block.length() > end:
                break
            block = block.next()
        return rects

    def _reveal(self, start: int, end: int) -> None:
        """Put the caret at ``start`` and scroll so the range sits in the upper third."""
        qt_start, qt_end = self._offsets.to_qt(start), self._offsets.to_qt(end)
        cursor = QTextCursor(self.document())
        cursor.setPosition(qt_start)
        self._revealing = True  # the caller applies the layers once, after scrolling
        try:
            self.setTextCursor(cursor)
            rects = self._range_rects(qt_start, qt_end)
            if rects:
                top = min(r.top() for r in rects)
                bottom = max(r.bottom() for r in rects)
                height = self.viewport().height()
                edge = self.fontMetrics().height()  # a line of context on either side
                if top < edge or bottom > height - edge:
                    bar = self.verticalScrollBar()
                    bar.setValue(bar.value() + int(top - height / 3))
        finally:
            self._revealing = False
        self.viewport().update()

    def _update_column(self, document: QTextDocument | None = None) -> None:
        """Centre the text in a column of readable width, leaving room for page numbers."""
        width = self.viewport().width()
        em = self.fontMetrics().horizontalAdvance("M")
        column = int(_MAX_COLUMN_EMS * em)
        margin = max(int(2.2 * em), (width - column) // 2)
        if margin == self._column_margin:
            return
        self._column_margin = margin
        frame = (document or self.document()).rootFrame()
        look = frame.frameFormat()
        look.setLeftMargin(margin)
        look.setRightMargin(margin)
        look.setTopMargin(int(1.2 * em))
        look.setBottomMargin(int(2 * em))
        frame.setFrameFormat(look)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_column()
        self._follow_viewport()
        self._measure_later()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self._letter is not None:
            colours = _Colours.of(self.palette())
            if (colours.dark, _rgb(colours.base), _rgb(colours.text)) != (
                self._colours.dark,
                _rgb(self._colours.base),
                _rgb(self._colours.text),
            ):
                # Tints are baked into the document: rebuild it, keeping what is shown.
                selected, current = self._selected, self._current
                unfinished = self._drop_continuation()
                self._rebuild()
                if selected:
                    self._selected = selected
                    self._emphasis = self._ranges_of(selected)
                    self._current = current if self._emphasis else None
                    self._apply()
                if unfinished is not None:
                    self.continue_letter(unfinished.letter, unfinished.build)
        elif event.type() == QEvent.Type.FontChange:
            self._column_margin = -1
            self._update_column()
            self._follow_viewport()
            self._measure_later()

    # ------------------------------------------------------------------ zoom
    @property
    def zoom_level(self) -> int:
        return self._zoom

    def zoom_in(self) -> None:
        self._set_zoom(self._zoom + 1)

    def zoom_out(self) -> None:
        self._set_zoom(self._zoom - 1)

    def zoom_reset(self) -> None:
        self._set_zoom(0)

    def set_zoom_level(self, level: int) -> None:
        self._set_zoom(level)

    def _set_zoom(self, level: int) -> None:
        level = max(ZOOM_MIN, min(ZOOM_MAX, level))
        if level == self._zoom:
            return
        self._zoom = level
        font = QFont(self.font())
        font.setPointSizeF(self._base_point_size * (1.1**level))
        self.setFont(font)

    # ------------------------------------------------------------------ lookup
    def caret_offset(self) -> int:
        """The text cursor's position as a letter offset (code points, not UTF-16 units)."""
        return self._offsets.from_qt(self.textCursor().position())

    def mention_at(self, position: int) -> Mention | None:
        """The innermost mention covering letter offset ``position``."""
        build, letter = self._build, self._letter
        if build is None or letter is None:
            return None
        segment = bisect_right(build.bounds, position) - 1
        if segment < 0 or segment >= len(build.inner):
            return None
        index = build.inner[segment]
        return letter.mentions[index] if index >= 0 else None

    def _entities_at(self, position: int) -> list[str]:
        """Entities of the innermost mention at ``position`` that names any."""
        build, letter = self._build, self._letter
        if build is None or letter is None:
            return []
        mention = self.mention_at(position)
        if mention is None:
            return []
        # An innermost mention pointing nowhere: an enclosing one may know its entity.
        index = build.inner[bisect_right(build.bounds, position) - 1]
        while index >= 0:
            found = letter.mentions[index]
            if found.entities and found.start <= position < found.end:
                return list(found.entities)
            index = build.parent[index]
        return []

    def offset_at(self, point: QPoint) -> int | None:
        """Letter offset of the character under viewport ``point``, None off the text."""
        document = self.document()
        layout = document.documentLayout()
        dx = self.horizontalScrollBar().value()
        dy = self.verticalScrollBar().value()
        at = QPointF(point.x() + dx, point.y() + dy)
        position = layout.hitTest(at, Qt.HitTestAccuracy.ExactHit)
        if position < 0:
            return None
        block = document.findBlock(position)
        if not block.isValid():
            return None
        text_layout = block.layout()
        line = text_layout.lineForTextPosition(position - block.position())
        if line.isValid():
            origin = layout.blockBoundingRect(block).topLeft()
            x = origin.x() + line.cursorToX(position - block.position())[0]
            if at.x() < x and position > block.position():
                position -= 1  # the click was on the character before the boundary
            if not (line.y() <= at.y() - origin.y() <= line.y() + line.height()):
                return None
        if position >= block.position() + block.length() - 1:
            return None  # past the end of the paragraph
        return self._offsets.from_qt(position)

    def note_at(self, position: int) -> Note | None:
        """The note whose marker covers letter offset ``position``."""
        if self._letter is None:
            return None
        for index, (start, end, _target) in enumerate(self._note_targets):
            if start <= position < end:
                return self._letter.notes[index]
        return None

    def tooltip_at(self, position: int) -> str:
        """The rich-text tooltip for letter offset ``position`` ("" when none)."""
        letter = self._letter
        if letter is None:
            return ""
        parts: list[str] = []
        note = self.note_at(position)
        if note is not None:
            heading = f"Note {_escape(note.label)}"
            if note.kind:
                heading += f" <span style='color:gray'>({_escape(note.kind)})</span>"
            body = _escape(note.text) if note.text else "<i>(empty)</i>"
            parts.append(f"<b>{heading}</b><br>{body}<br><i>Click to read it in full.</i>")
        mentions = [m for m in letter.mentions if m.start <= position < m.end]
        mentions.sort(key=lambda m: (m.start, -m.end))
        for mention in reversed(mentions):  # innermost first
            parts.append(self._mention_tip(mention))
        parts += self._span_tips(position)
        parts += self._line_tips(position)
        if not parts:
            return ""
        return "<qt>" + "<hr>".join(parts) + "</qt>"

    def _mention_tip(self, mention: Mention) -> str:
        letter = self._letter
        assert letter is not None
        lines: list[str] = []
        for entity_id in mention.entities:
            entity = letter.entity(entity_id)
            name = entity.name if entity is not None else entity_id
            kind = entity.kind if entity is not None else mention.kind
            lines.append(
                f"<b>{_escape(name)}</b> &nbsp;<span style='color:gray'>"
                f"{_escape(kind_label(kind))}</span>"
            )
            for role in self._roles.get(entity_id, ()):
                lines.append("&nbsp;&nbsp;• " + _escape(role))
            if entity is not None and entity.description:
                lines.append(f"<i>{_escape(_shorten(entity.description, 200))}</i>")
        if mention.unresolved:
            what = ", ".join(_escape(token) for token in mention.unresolved)
            label = _escape(kind_label(mention.kind))
            lines.append(
                f"<span style='color:{self._colours.unresolved.name()}'>"
                f"Unresolved {label.lower()} reference: {what}</span>"
            )
        if mention.implied:
            lines.append("<i>An implied reference</i>")
        return "<br>".join(lines)

    def _line_tips(self, position: int) -> list[str]:
        """What the commentary attaches to the printed line at ``position`` (Jean Paul)."""
        letter = self._letter
        assert letter is not None
        lines: list[str] = []
        for ref in letter.line_references:
            if not (ref.start <= position < ref.end):
                continue
            names = []
            for entity_id in ref.entities:
                entity = letter.entity(entity_id)
                name = entity.name if entity is not None else entity_id
                kind = kind_label(entity.kind) if entity is not None else ""
                names.append(
                    f"<b>{_escape(name)}</b>"
                    + (f" <span style='color:gray'>{_escape(kind)}</span>" if kind else "")
                )
            if not names:
                names.append(f"<b>{_escape(ref.label or '?')}</b>")
            text = "On this line: " + ", ".join(names)
            if ref.uncertain:
                text += " <i>(uncertain)</i>"
            if ref.unresolved:
                text += (
                    f"<br><span style='color:{self._colours.unresolved.name()}'>Unresolved: "
                    + _escape(", ".join(ref.unresolved))
                    + "</span>"
                )
            lines.append(text)
        return lines

    def _span_tips(self, position: int) -> list[str]:
        letter = self._letter
        assert letter is not None
        tips: list[str] = []
        seen: set[str] = set()
        for span in letter.spans:
            if not (span.start <= position < span.end):
                continue
            tip = _span_tip(span)
            if tip and tip not in seen:
                seen.add(tip)
                tips.append(tip)
        return tips

    # ------------------------------------------------------------------ events
    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Leave and self._numbers_hovered:
            self._numbers_hovered = False
            self.viewport().update()
        if event.type() == QEvent.Type.ToolTip:
            assert isinstance(event, QHelpEvent)
            if event.pos().x() < self._column_margin:
                number = self._numbers_at_y(float(event.pos().y()))
                if number is not None:
                    tip = f"Line {number.label}" + (f" ({number.id})" if number.id else "")
                    QToolTip.showText(event.globalPos(), _escape(tip), self.viewport())
                    return True
            offset = self.offset_at(event.pos())
            tip = self.tooltip_at(offset) if offset is not None else ""
            if tip:
                QToolTip.showText(event.globalPos(), tip, self.viewport())
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._press = event.position().toPoint()
        shift = Qt.KeyboardModifier.ShiftModifier
        if event.modifiers() & shift and self._anchored_in != self._documents_shown:
            # QTextEdit extends a Shift+click from the word or line a double or triple
            # click chose, and keeps that choice across setDocument: in another letter
            # it points into the old text. A first click in a letter is a plain one.
            event = QMouseEvent(
                event.type(),
                event.position(),
                event.globalPosition(),
                event.button(),
                event.buttons(),
                event.modifiers() & ~shift,
            )
        self._anchored_in = self._documents_shown
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self._anchored_in = self._documents_shown
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        in_margin = (
            self._line_mode == SOURCE_LINES
            and bool(self._line_numbers)
            and event.position().x() < self._column_margin
        )
        if in_margin != self._numbers_hovered:
            self._numbers_hovered = in_margin
            self.viewport().update()
        if event.buttons() != Qt.MouseButton.NoButton:
            return
        offset = self.offset_at(event.position().toPoint())
        active = offset is not None and (
            bool(self._entities_at(offset)) or self.note_at(offset) is not None
        )
        shape = Qt.CursorShape.PointingHandCursor if active else Qt.CursorShape.IBeamCursor
        if self.viewport().cursor().shape() != shape:
            self.viewport().setCursor(shape)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        press, self._press = self._press, None
        if event.button() != Qt.MouseButton.LeftButton or press is None:
            return
        point = event.position().toPoint()
        if (point - press).manhattanLength() > QApplication.startDragDistance():
            return  # a drag selects text; it does not activate anything
        offset = self.offset_at(point)
        if offset is None:
            return
        additive = bool(
            event.modifiers()
            & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier)
        )
        self._activate(offset, additive)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            position = self._offsets.from_qt(self.textCursor().position())
            additive = bool(
                event.modifiers()
                & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.MetaModifier)
            )
            if self._activate(position, additive) or (
                position > 0 and self._activate(position - 1, additive)
            ):
                event.accept()
                return
        super().keyPressEvent(event)

    def _activate(self, offset: int, additive: bool) -> bool:
        for index, (start, end, target) in enumerate(self._note_targets):
            if start <= offset < end:
                self._jump_to_note(index, target)
                return True
            if target >= 0 and target <= offset < target + (end - start):
                self.show_range(start, end)  # from the note back to its marker
                return True
        ids = self._entities_at(offset)
        if not ids:
            return False
        self.mentionActivated.emit(ids, additive)
        return True

    def _jump_to_note(self, index: int, target: int) -> None:
        letter = self._letter
        if letter is None or target < 0:
            return
        end = letter.text.find("\n", target)
        self.show_range(target, len(letter.text) if end < 0 else end)

    def loadResource(self, type: int, name: QUrl) -> None:
        """Never load anything a letter names: no images, no style sheets, no network."""
        return None


# ---------------------------------------------------------------------- helpers


def _selection(
    document: QTextDocument, start: int, end: int, look: QTextCharFormat
) -> QTextEdit.ExtraSelection:
    selection = QTextEdit.ExtraSelection()
    cursor = QTextCursor(document)
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    selection.cursor = cursor
    selection.format = look
    return selection


def _lined(line_starts: list[int], breaks: list[int]) -> list[int]:
    """Positions in every block that source-lines mode hangs: the lines the lbs start and
    the ones they end (a paragraph's first line, when no lb starts it)."""
    return sorted({*line_starts, *breaks})


def _line_bound(document: QTextDocument, position: int, *, start: bool) -> int:
    """Start (or end) of the laid-out line holding ``position``: lines, not paragraphs,
    so that a letter set as one enormous paragraph still gets a small window."""
    block = document.findBlock(position)
    if not block.isValid():
        return position
    line = block.layout().lineForTextPosition(position - block.position())
    if not line.isValid():
        return block.position() if start else block.position() + block.length()
    if start:
        return block.position() + line.textStart()
    return block.position() + line.textStart() + line.textLength()


def _shown(chain: Chain, visible: Collection[str]) -> tuple[str, bool] | None:
    return next(((k, u) for k, u in chain if k in visible), None)


def _merge_block_format(
    document: QTextDocument, start: int, end: int, look: QTextBlockFormat
) -> None:
    block = document.findBlock(start)
    while block.isValid() and block.position() <= end:
        QTextCursor(block).mergeBlockFormat(look)
        block = block.next()


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _span_tip(span: Span) -> str:
    if span.style in CHOICE:
        label = CHOICE_TIPS[span.style]
        if span.detail:
            return f"{label}: <b>{_escape(span.detail)}</b>"
        return ""
    label = _SPAN_TIPS.get(span.style)
    if label is None:
        return ""
    if span.detail:
        return f"{label} ({_escape(span.detail)})"
    return label


def describe_selection_layers(view: LetterView) -> list[tuple[str, int, int]]:
    """(role, start, end) of every layer over the built text, in letter offsets (for tests,
    debugging): the extra selections, then the faded tints that paintEvent paints beneath
    the text while entities are selected ("dim", one per tinted run the layers cover)."""
    layers: list[tuple[str, int, int]] = []
    from_qt = view._offsets.from_qt
    for selection in view.extraSelections():
        role = selection.format.property(SELECTION_ROLE)
        cursor = selection.cursor
        layers.append((str(role), from_qt(cursor.selectionStart()), from_qt(cursor.selectionEnd())))
    low, high = view._window or (0, view.document().characterCount() - 1)
    for start, end, _tint in view._dimmed_runs(from_qt(low), from_qt(high)):
        layers.append(("dim", from_qt(start), from_qt(end)))
    return layers


__all__ = [
    "SELECTION_ROLE",
    "LetterView",
    "describe_selection_layers",
    "rend_tokens",
]
