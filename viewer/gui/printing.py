"""A letter as it is shown, for the printer and for PDF.

Owns the print document of one :class:`viewer.model.Letter`: a heading
with the title, the metadata (sender, recipient, date, places, source), a
legend of the kinds highlighted (in the colours of :mod:`viewer.gui.kinds`,
with how many mentions each has), the letterhead as its sections and
members (with roles and affiliations), the letter's text with its mentions
highlighted and the selected entities' mentions emphasised (bright, bold and
underlined, so that they stand out in grey print too), the editorial notes
after it as endnotes, and a citation line (title, edition, file, date
printed).

The letter's text goes in as text (``QTextCursor.insertText``), never as
HTML: nothing in a letter can be taken as markup, and the PDF's text is real
text, searchable and copyable, with its fonts embedded by ``QPdfWriter``.
A long letter's 100,000 runs are not each a format of their own (that made
the 2 MB letter's PDF take three times as long): the kind tints are painted
beneath the text from where the layout put their characters, and only the
emphasis, note markers and strike-outs are formats, laid over the blocks'
layouts (:class:`PrintDocument`). Which kind tints each character and which
flags it carries is worked out without Qt (:mod:`viewer.exports.print_source`),
so that the ``--pdf`` command's worker process can do it while the command
starts Qt. :func:`print_letter` lays the document out on the device's pages
(A4 or Letter) and numbers them.

The window's File ▸ Print… (with a preview) and File ▸ Export ▸ Letter as
PDF… and ``python main.py FILE --pdf OUT.pdf`` all use :func:`build_document`,
:func:`print_letter` and :func:`write_pdf`; Edit ▸ Copy Citation uses
:func:`citation`, Copy on a panel row :func:`entity_reference`. Needs a
QGuiApplication (offscreen will do), no window.
"""

from __future__ import annotations

import datetime
import os
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPdfWriter,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextLayout,
)

from viewer import __version__
from viewer.errors import EpistolaError
from viewer.exports.print_source import (
    EMPHASISED,
    MARKER,
    STRUCK,
    LetterLooks,
    PendingRead,
    TintRuns,
    letter_looks_of,
    read_for_print,
    tint_runs_of,
)
from viewer.gcpause import paused_gc
from viewer.gui.kinds import KIND_ORDER, emphasis_style, kind_label, kind_style
from viewer.model import Entity, Letter

PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}
MARGIN_MM = 18.0
BODY_POINTS = 10.5
_DARK = False  # paper is light: the light palette's tints

# Gives a document's tints once it is laid out.
TintLater = Callable[[], TintRuns]


@dataclass(frozen=True)
class PrintOptions:
    """What the printout shows beyond the letter itself."""

    selected: tuple[str, ...] = ()  # entity ids whose mentions are emphasised
    page_size: str = "A4"  # "A4" or "Letter"
    hidden_kinds: frozenset[str] = field(default_factory=frozenset)  # kinds not highlighted
    edition: str | None = None  # for the citation; None: read from the letter's header
    printed_on: datetime.date | None = None  # for the citation; None: today
    title: str = ""  # the PDF's document title; "" : the letter's


# ------------------------------------------------------------------ citation


def edition_of(letter: Letter) -> str:
    """The edition the letter's header names ("" when it names none or cannot be read).

    Read from the file once while it is unchanged: the print preview asks
    for every repaint, and a 2 MB letter takes a tenth of a second to parse.
    """
    from viewer.tei.correspondence import read_correspondence

    try:
        stat = os.stat(letter.file)
    except OSError:
        return ""
    key = (letter.file, stat.st_size, stat.st_mtime_ns)
    if key in _editions:
        return _editions[key]
    try:
        record = read_correspondence(letter.file)
    except (EpistolaError, OSError):
        return ""
    edition = record.edition.title if record is not None else ""
    if len(_editions) >= 16:
        _editions.pop(next(iter(_editions)))
    _editions[key] = edition
    return edition


_editions: dict[tuple[str, int, int], str] = {}


def citation(letter: Letter, options: PrintOptions = PrintOptions()) -> str:
    """One line to cite the letter by: title, edition, file, date printed."""
    edition = options.edition if options.edition is not None else edition_of(letter)
    printed = options.printed_on or datetime.date.today()
    parts = [letter.title.strip() or Path(letter.file).name]
    if edition:
        parts.append(edition)
    if letter.date is not None and (letter.date.when or letter.date.text):
        parts.append(letter.date.when or letter.date.text)
    parts.append(f"File: {Path(letter.file).name}")
    parts.append(f"Printed {printed.isoformat()} with Epistola {__version__}")
    return ". ".join(p.rstrip(".") for p in parts) + "."


def entity_reference(entity: Entity) -> str:
    """What Copy on a panel row puts on the clipboard: the name, then its authority URIs."""
    return " ".join([entity.name, *entity.authority])


# ------------------------------------------------------------------ formats


def _char(
    *,
    bold: bool = False,
    italic: bool = False,
    points: float | None = None,
    background: QColor | None = None,
    foreground: QColor | None = None,
) -> QTextCharFormat:
    look = QTextCharFormat()
    if bold:
        look.setFontWeight(QFont.Weight.Bold)
    if italic:
        look.setFontItalic(True)
    if points is not None:
        look.setFontPointSize(points)
    if background is not None:
        look.setBackground(background)
    if foreground is not None:
        look.setForeground(foreground)
    return look


def _flag_format(flags: int) -> QTextCharFormat:
    """What a character's flags lay over its own format (body or endnote size)."""
    look = QTextCharFormat()
    if flags & EMPHASISED:
        emphasis = emphasis_style(_DARK)
        look.setBackground(emphasis.background)
        look.setForeground(emphasis.foreground)
        look.setFontWeight(QFont.Weight.Bold)
        look.setFontUnderline(True)
    if flags & MARKER:
        look.setVerticalAlignment(QTextCharFormat.VerticalAlignment.AlignSuperScript)
        look.setFontWeight(QFont.Weight.DemiBold)
    if flags & STRUCK:
        look.setFontStrikeOut(True)
    return look


# ------------------------------------------------------------------ document


@dataclass
class TintRects:
    """Tints laid out: ``rects[i]`` (document coordinates) in ``palette[numbers[i]]``, line
    by line in text order; ``tops[i]`` is ``rects[i].top()`` (a page's are bisected)."""

    rects: list[QRectF] = field(default_factory=list)
    numbers: bytearray = field(default_factory=bytearray)
    palette: list[QColor] = field(default_factory=list)
    tops: list[float] = field(default_factory=list)


@dataclass
class PrintDocument:
    """The print document of a letter and the kind tints painted beneath its text.

    ``tints`` are ``(start, end, colour)`` in document positions, in order. They
    are painted by :func:`print_letter` under the text rather than set as
    formats: a format boundary splits the text into one more item to shape,
    lay out and write, and the tints of 50,000 mentions made laying out and
    writing the PDF two and a half times slower. Emphasis, note markers and
    strike-outs are formats (``runs``, laid over the blocks' layouts).
    """

    document: QTextDocument
    tints: list[tuple[int, int, QColor]]
    runs: list[tuple[int, int, QTextCharFormat]]
    text_offset: int = 0  # where the letter's text starts in the document
    _laid: TintRects = field(default_factory=TintRects, repr=False)

    def paginate(
        self, page: QSizeF, device: QPaintDevice | None = None, tint_later: TintLater | None = None
    ) -> int:
        """Lay the document out on pages of ``page`` (for ``device``'s fonts); the page count.

        ``tint_later``: for a document built without its tints (:func:`build_document`),
        what gives them, asked once the document is laid out (the ``--pdf`` worker works
        them out meanwhile).
        """
        if device is not None:
            self.document.documentLayout().setPaintDevice(device)
        _keep_shaping(self.document)
        self.document.setPageSize(page)
        pages = self.document.pageCount()
        if tint_later is not None:
            self.tints = _stretches_of_runs(tint_later(), self.text_offset)
        with paused_gc():
            self._laid = _tint_rects(self.document, self.tints)
        return pages

    def tint_rects(self) -> list[tuple[QRectF, QColor]]:
        """Where :meth:`paginate` laid the tints, line by line, in document coordinates."""
        palette = self._laid.palette
        return [
            (rect, palette[number])
            for rect, number in zip(self._laid.rects, self._laid.numbers, strict=True)
        ]

    def paint_page(self, painter: QPainter, number: int) -> None:
        """Paint page ``number`` (from 0) at the painter's origin: the tints, then the text."""
        page = self.document.pageSize()
        top = number * page.height()
        laid = self._laid
        first = bisect_left(laid.tops, top)
        last = bisect_left(laid.tops, top + page.height())
        painter.save()
        painter.translate(0, -top)
        _paint_tints(painter, laid, first, last)
        self.document.drawContents(painter, QRectF(0, top, page.width(), page.height()))
        painter.restore()


def _keep_shaping(document: QTextDocument) -> None:
    """Let the blocks' layouts keep the glyphs that laying them out shaped.

    By default a block's layout drops them once it is laid out, so the tints'
    first ``cursorToX`` in a block and painting it each shaped the whole block
    again: the 2 MB letter's text was shaped three times, not once (the tint
    rectangles took 0.7-0.85 s instead of 0.45-0.5 s, painting ~0.1 s more).
    It costs memory while the document lives (the glyphs of its text).
    """
    block = document.begin()
    while block.isValid():
        block.layout().setCacheEnabled(True)
        block = block.next()


def build_document(
    letter: Letter, options: PrintOptions = PrintOptions(), looks: LetterLooks | None = None
) -> PrintDocument:
    """The print document of ``letter`` (see the module docstring).

    ``looks``: the letter's, for ``options`` (:func:`letter_looks_of`), when worked
    out already (the letter then needs no mentions). Looks without a ``tint``
    make a document without tints, to be given at :meth:`PrintDocument.paginate`.
    """
    if looks is None:
        looks = letter_looks_of(letter, options.hidden_kinds, options.selected)
    document = QTextDocument()
    document.setMetaInformation(
        QTextDocument.MetaInformation.DocumentTitle, options.title or letter.title
    )
    font = QFont()
    font.setPointSizeF(BODY_POINTS)
    # No ligatures: a PDF's "ﬁ" glyph copies and searches as U+FB01, not as "fi".
    for feature in ("liga", "clig", "dlig"):
        font.setFeature(QFont.Tag(feature), 0)
    document.setDefaultFont(font)
    cursor = QTextCursor(document)
    _heading(cursor, letter.title or Path(letter.file).name, first=True)
    _metadata(cursor, letter)
    _legend(cursor, letter, options, looks.counts)
    _letterhead(cursor, letter)
    _heading(cursor, "Letter")
    base, tints, runs = _text(cursor, letter, looks)
    _paragraph(cursor, top=14)
    cursor.insertText(citation(letter, options), _char(italic=True, points=BODY_POINTS - 1.5))
    return PrintDocument(document, tints, runs, base)


def _paragraph(cursor: QTextCursor, *, top: float = 0, indent: float = 0) -> None:
    block = QTextBlockFormat()
    block.setTopMargin(top)
    block.setLeftMargin(indent)
    cursor.insertBlock(block, QTextCharFormat())


def _heading(cursor: QTextCursor, text: str, *, first: bool = False) -> None:
    if first:
        block = QTextBlockFormat()
        block.setBottomMargin(6)
        cursor.setBlockFormat(block)
    else:
        _paragraph(cursor, top=12)
    points = BODY_POINTS + (5 if first else 2)
    cursor.insertText(text, _char(bold=True, points=points))


def _field(cursor: QTextCursor, label: str, value: str) -> None:
    if not value:
        return
    _paragraph(cursor)
    cursor.insertText(f"{label}: ", _char(bold=True))
    cursor.insertText(value, QTextCharFormat())


def _names(parties) -> str:
    return "; ".join(p.name for p in parties if p.name)


def _metadata(cursor: QTextCursor, letter: Letter) -> None:
    _field(cursor, "From", _names(letter.senders))
    _field(cursor, "To", _names(letter.recipients))
    if letter.date is not None:
        date = letter.date
        shown = date.text
        if date.when and date.when != date.text:
            shown = f"{date.text} ({date.when})" if date.text else date.when
        elif not date.when and (date.not_before or date.not_after):
            shown = f"{date.text} ({date.not_before or '?'} – {date.not_after or '?'})"
        _field(cursor, "Date", shown)
    _field(cursor, "Places", _names(letter.places))
    _field(cursor, "Source", letter.source)
    _field(cursor, "Reading", letter.reading)


def _legend(
    cursor: QTextCursor, letter: Letter, options: PrintOptions, counts: dict[str, int]
) -> None:
    kinds = [k for k in KIND_ORDER if counts.get(k) and k not in options.hidden_kinds]
    kinds += sorted(k for k in counts if k not in KIND_ORDER and k not in options.hidden_kinds)
    if not kinds and not options.selected:
        return
    _paragraph(cursor, top=6)
    cursor.insertText("Legend: ", _char(bold=True))
    for kind in kinds:
        style = kind_style(kind, _DARK)
        cursor.insertText(
            f" {kind_label(kind)} ",
            _char(background=style.background, foreground=style.foreground),
        )
        cursor.insertText(f" {counts[kind]}   ", QTextCharFormat())
    if options.selected:
        emphasis = emphasis_style(_DARK)
        names = []
        for entity_id in options.selected:
            entity = letter.entity(entity_id)
            names.append(entity.name if entity is not None else entity_id)
        look = _char(bold=True, background=emphasis.background, foreground=emphasis.foreground)
        look.setFontUnderline(True)
        cursor.insertText(" Selected ", look)
        cursor.insertText(f" {'; '.join(names)}", QTextCharFormat())


def _letterhead(cursor: QTextCursor, letter: Letter) -> None:
    if not letter.letterhead:
        return
    _heading(cursor, "Letterhead")
    for section in letter.letterhead:
        _paragraph(cursor, top=4)
        cursor.insertText(section.title or "Letterhead", _char(bold=True))
        for member in section.members:
            _paragraph(cursor, indent=14)
            cursor.insertText(member.name, QTextCharFormat())
            details = [d for d in (member.role,) if d]
            if member.affiliation is not None and member.affiliation.name:
                details.append(member.affiliation.name)
            if details:
                cursor.insertText(" — " + ", ".join(details), _char(italic=True))


def _text(
    cursor: QTextCursor, letter: Letter, looks: LetterLooks
) -> tuple[int, list[tuple[int, int, QColor]], list[tuple[int, int, QTextCharFormat]]]:
    """The letter's text, inserted whole; where it starts, its tints and runs in document
    positions (no tints where ``looks`` has none yet).

    One insertText for the letter and one for its endnotes (smaller): 100,000
    runs inserted one by one with their own formats took twice as long.
    The runs go over the blocks' layouts (``QTextLayout.setFormats``, as a
    syntax highlighter does).
    """
    # "\r\n" would become one block separator: keep the document's positions the text's.
    text = letter.text.replace("\r", "\n")
    note_from = min((b.start for b in letter.blocks if b.kind == "note"), default=len(text))
    _paragraph(cursor, top=4)
    base = cursor.position()
    cursor.insertText(text[:note_from], QTextCharFormat())
    if note_from < len(text):
        cursor.insertText(text[note_from:], _char(points=BODY_POINTS - 1.5))
    tints = [] if looks.tint is None else _tint_stretches(looks.tint, looks.kinds, offset=base)
    flags = _flag_runs(looks.flags, offset=base)
    formats: dict[int, QTextCharFormat] = {}
    runs = []
    for start, end, flag in flags:
        look = formats.get(flag)
        if look is None:
            look = formats[flag] = _flag_format(flag)
        runs.append((start, end, look))
    document = cursor.document()
    _lay_over(document, runs)
    document.markContentsDirty(base, len(text))
    return base, tints, runs


_RUN = re.compile(rb"([^\x00])\1*", re.DOTALL)
_FAR = 1 << 62  # beyond any position in a block


def letter_looks(
    letter: Letter,
    options: PrintOptions = PrintOptions(),
    *,
    offset: int = 0,
    looks: LetterLooks | None = None,
) -> tuple[list[tuple[int, int, QColor]], list[tuple[int, int, int]]]:
    """The letter's tinted stretches ``(start, end, colour)`` and flagged ones ``(start, end,
    flags)`` (EMPHASISED, MARKER, STRUCK), in text order, plus ``offset``; plain text is in
    neither.

    A mention inside another shows its own kind's tint unless that kind is
    hidden; a selected entity's mention is emphasised instead of tinted
    (:func:`viewer.exports.print_source.letter_looks_of`, or ``looks`` made by it).
    Kinds of one colour make one stretch where they meet.
    """
    if looks is None:
        looks = letter_looks_of(letter, options.hidden_kinds, options.selected)
    if looks.tint is None:
        raise ValueError("looks without their tints")
    return _tint_stretches(looks.tint, looks.kinds, offset), _flag_runs(looks.flags, offset)


def _tint_stretches(
    tint: bytearray, kinds: Sequence[str], offset: int = 0
) -> list[tuple[int, int, QColor]]:
    """The tinted stretches ``(start, end, colour)`` of ``tint`` (see :class:`LetterLooks`),
    plus ``offset``; kinds of one colour make one stretch where they meet."""
    return _stretches_of_runs(tint_runs_of(tint, kinds), offset)


def _stretches_of_runs(runs: TintRuns, offset: int = 0) -> list[tuple[int, int, QColor]]:
    """:func:`_tint_stretches` of the tint whose ``runs`` these are."""
    colours: list[QColor] = []
    palette: list[QColor] = [QColor()]  # a kind's number to its colour (one object per colour)
    for kind in runs.kinds:
        colour = kind_style(kind, _DARK).background
        same = next((c for c in colours if c == colour), None)
        if same is None:
            colours.append(colour)
            same = colour
        palette.append(same)
    shift = offset.__add__
    stretches = list(
        zip(
            map(shift, runs.starts),
            map(shift, runs.ends),
            map(palette.__getitem__, runs.numbers),
            strict=True,
        )
    )
    if len(colours) == len(runs.kinds):
        return stretches
    merged: list[tuple[int, int, QColor]] = []  # kinds of one colour: one stretch where they meet
    for stretch in stretches:
        if merged and merged[-1][1] == stretch[0] and merged[-1][2] is stretch[2]:
            merged[-1] = (merged[-1][0], stretch[1], stretch[2])
        else:
            merged.append(stretch)
    return merged


def _flag_runs(flags: bytearray, offset: int = 0) -> list[tuple[int, int, int]]:
    """The flagged stretches ``(start, end, flags)`` of ``flags``, plus ``offset``."""
    flagged = []
    for found in _RUN.finditer(flags):
        start, end = found.span()
        flagged.append((start + offset, end + offset, flags[start]))
    return flagged


def _lay_over(document: QTextDocument, runs: Sequence[tuple[int, int, QTextCharFormat]]) -> None:
    """Lay ``runs`` (document positions, in order) over their blocks' layouts."""
    if not runs:
        return
    block = document.findBlock(runs[0][0])
    block_start = block.position()
    next_start = block_start + block.length()  # its last character is the block separator
    ranges: list[QTextLayout.FormatRange] = []
    for start, end, look in runs:
        while True:
            while start >= next_start:
                if ranges:
                    block.layout().setFormats(ranges)
                    ranges = []
                block = block.next()
                block_start = block.position()
                next_start = block_start + block.length()
            stop = min(end, next_start - 1)
            if stop > start:
                stretch = QTextLayout.FormatRange()
                stretch.start = start - block_start
                stretch.length = stop - start
                stretch.format = look
                ranges.append(stretch)
            if end <= next_start:
                break
            start = next_start
    if ranges:
        block.layout().setFormats(ranges)


def _tint_rects(document: QTextDocument, tints: Sequence[tuple[int, int, QColor]]) -> TintRects:
    """The rectangles of ``tints`` line by line, as the document is laid out now.

    50,000 tints take two ``cursorToX`` each and a QRectF (about 1 µs apiece,
    most of the time this takes): the rest of the work per tint is kept to a
    few list look-ups (the lines' ends, tops and heights, and their
    ``cursorToX``, are read once per block; a block's tints come in order, so
    the line of each is found by going on from the last one's).
    """
    rects: list[QRectF] = []
    rect_tops: list[float] = []
    numbers = bytearray()  # each rectangle's colour, a number in palette
    palette: list[QColor] = []
    number_of: dict[int, int] = {}  # id(colour) -> its number: the tints share a few QColors
    append, append_top, append_number = rects.append, rect_tops.append, numbers.append
    index, count = 0, len(tints)
    carried = -1  # where the current tint goes on in the next block (-1: at its start)
    find_block = document.findBlock
    while index < count:
        start, end, colour = tints[index]
        if carried > start:
            start = carried
        block = find_block(start)
        if not block.isValid():
            break
        block_start = block.position()
        block_end = block_start + block.length() - 1  # the block separator's position
        layout = block.layout()
        origin = layout.position()
        left_edge, top_edge = origin.x(), origin.y()
        lines = [layout.lineAt(n) for n in range(layout.lineCount())]
        if not lines:  # not laid out: nothing to tint in this block
            carried = block_end + 1
            while index < count and tints[index][1] <= carried:
                index += 1
            continue
        starts = [line.textStart() for line in lines]
        ends = [first + line.textLength() for first, line in zip(starts, lines, strict=True)]
        tops = [top_edge + line.y() for line in lines]
        heights = [line.height() for line in lines]
        to_x = [line.cursorToX for line in lines]
        last_line = len(lines) - 1
        line_number = 0  # the line of the tint's start, and what is read of it:
        next_start = starts[1] if last_line else _FAR
        line_end = ends[0]
        x = to_x[0]
        top = tops[0]
        height = heights[0]
        while True:  # the tints in this block
            low = start - block_start
            high = (end if end < block_end else block_end) - block_start
            if low >= next_start:
                while line_number < last_line and starts[line_number + 1] <= low:
                    line_number += 1
                next_start = starts[line_number + 1] if line_number < last_line else _FAR
                line_end = ends[line_number]
                x = to_x[line_number]
                top = tops[line_number]
                height = heights[line_number]
            number = number_of.get(id(colour))
            if number is None:
                number = number_of[id(colour)] = len(palette)
                palette.append(colour)
            if high <= line_end:  # on one line, as nearly all are
                left = x(low)[0]
                right = x(high)[0]
                if right < left:
                    left, right = right, left
                if right > left:
                    append(QRectF(left_edge + left, top, right - left, height))
                    append_top(top)
                    append_number(number)
            else:
                line = line_number
                while line <= last_line and starts[line] < high:
                    xl = to_x[line]
                    left = xl(low if low > starts[line] else starts[line])[0]
                    right = xl(high if high < ends[line] else ends[line])[0]
                    if right < left:
                        left, right = right, left
                    if right > left:
                        append(QRectF(left_edge + left, tops[line], right - left, heights[line]))
                        append_top(tops[line])
                        append_number(number)
                    line += 1
            if end > block_end + 1:  # on into the next block
                carried = block_end + 1
                break
            carried = -1
            index += 1
            if index == count:
                break
            start, end, colour = tints[index]
            if start > block_end:
                break
    return TintRects(rects, numbers, palette, rect_tops)


# ------------------------------------------------------------------ output


def _layout(page_size: str) -> QPageLayout:
    if page_size not in PAGE_SIZES:
        raise EpistolaError(f"unknown page size {page_size!r} (use A4 or Letter)")
    return QPageLayout(
        QPageSize(PAGE_SIZES[page_size]),
        QPageLayout.Orientation.Portrait,
        QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM),
        QPageLayout.Unit.Millimeter,
    )


def print_letter(
    letter: Letter,
    device: QPagedPaintDevice,
    options: PrintOptions = PrintOptions(),
    looks: LetterLooks | None = None,
    tint_later: TintLater | None = None,
) -> int:
    """Lay out and print ``letter`` on ``device`` (a QPrinter, a QPdfWriter); the page count.

    ``looks`` without their tints come with ``tint_later`` (see :meth:`PrintDocument.paginate`).

    Painted page by page from the one document, laid out for the device
    (``QTextDocument.print_`` would first copy a long letter's document),
    the kind tints beneath the text, with "n / N" at the foot of each page.
    """
    with paused_gc():  # hundreds of thousands of small objects, none in a cycle
        printed = build_document(letter, options, looks)
    area = device.pageLayout().paintRectPixels(device.resolution())
    footer_font = QFont(printed.document.defaultFont())
    footer_font.setPointSizeF(BODY_POINTS - 2)
    footer_height = 2.5 * QFontMetricsF(footer_font, device).height()
    page = QSizeF(area.width(), max(area.height() - footer_height, area.height() / 2))
    pages = printed.paginate(page, device, tint_later)
    painter = QPainter()
    if not painter.begin(device):
        raise EpistolaError("the printer or PDF file could not be started")
    try:
        for number in range(pages):
            if number and not device.newPage():
                raise EpistolaError("the printer refused a new page")
            printed.paint_page(painter, number)
            painter.setFont(footer_font)
            painter.setPen(QColor(0x44, 0x44, 0x44))
            painter.drawText(
                QRectF(0, area.height() - footer_height, area.width(), footer_height),
                int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom),
                f"{number + 1} / {pages}",
            )
    finally:
        painter.end()
    return pages


def _paint_tints(painter: QPainter, laid: TintRects, first: int, last: int) -> None:
    """Fill ``laid``'s rectangles ``first`` to ``last``, one call per colour, in the order the
    colours first come there."""
    if first >= last:
        return
    rects = laid.rects[first:last]
    numbers = laid.numbers[first:last]
    painter.setPen(Qt.PenStyle.NoPen)
    colours = dict.fromkeys(numbers)  # in order of first appearance
    for number in colours:
        painter.setBrush(laid.palette[number])
        painter.drawRects(
            rects if len(colours) == 1 else list(compress(rects, map(number.__eq__, numbers)))
        )
    painter.setBrush(Qt.BrushStyle.NoBrush)


def pdf_bytes(
    letter: Letter,
    options: PrintOptions = PrintOptions(),
    looks: LetterLooks | None = None,
    tint_later: TintLater | None = None,
) -> bytes:
    """The letter as a PDF, in memory (``looks``, ``tint_later``: see :func:`print_letter`)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageLayout(_layout(options.page_size))
    writer.setResolution(300)
    writer.setTitle(options.title or letter.title)
    writer.setCreator(f"Epistola {__version__}")
    print_letter(letter, writer, options, looks, tint_later)
    del writer  # finishes the PDF
    buffer.close()
    data = bytes(QByteArray(buffer.data()))
    if not data.startswith(b"%PDF"):
        raise EpistolaError("the PDF could not be made (Qt wrote nothing)")
    return data


def write_pdf(
    letter: Letter,
    path: str | os.PathLike[str],
    options: PrintOptions = PrintOptions(),
    looks: LetterLooks | None = None,
    tint_later: TintLater | None = None,
) -> None:
    """Write the letter as a PDF to ``path`` atomically; EpistolaError when that fails."""
    from viewer.exports import write_export

    write_export(path, pdf_bytes(letter, options, looks, tint_later))


def print_letter_cli(
    file: str,
    out: str,
    *,
    reading: str = "normalised",
    selected: Sequence[str] = (),
    register_dirs: Sequence[str] = (),
    page_size: str = "A4",
    fail: Callable[[str], int],
    pending: PendingRead | None = None,
) -> int:
    """``python main.py FILE --pdf OUT.pdf``: 0, or ``fail``'s code with one line on stderr.

    The file is read and parsed once: the letter and the edition its header
    names (for the citation) come from the same tree. ``pending``: the letter
    already being read (:func:`viewer.exports.print_source.start_reading`, for
    this file, reading, registers and selection), else it is read here.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    # One letter, one PDF, then the process ends: the collector would only rescan the
    # letter's million objects (a fifth of a second on the 2 MB letter) to find no cycles.
    # They are let go before it is on again, or its first pass would scan them all.
    with paused_gc():
        _application = QGuiApplication.instance() or QGuiApplication(["epistola"])
        looks = tint_later = None
        try:
            if pending is not None:
                # The worker works the tints out while the document is laid out.
                source = pending.early_result()
                letter, edition, looks = source.letter, source.edition, source.looks
                if looks is not None and looks.tint is None:
                    tint_later = pending.tint
            else:
                letter, edition = read_for_print(file, reading, register_dirs)
        except EpistolaError as error:
            return fail(str(error))
        try:
            unknown = [entity_id for entity_id in selected if letter.entity(entity_id) is None]
            if unknown:
                return fail(f"{file}: no entity {', '.join(map(repr, unknown))} in this letter")
            options = PrintOptions(selected=tuple(selected), page_size=page_size, edition=edition)
            write_pdf(letter, out, options, looks, tint_later)
        except EpistolaError as error:
            return fail(str(error))
        finally:
            if pending is not None:
                pending.discard()  # a worker still running after a failure
            del letter, looks, tint_later
    return 0
