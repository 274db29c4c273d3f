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

The letter's text goes in as text (``QTextCursor.insertText``, run by run
with its character format), never as HTML: nothing in a letter can be
taken as markup, and the PDF's text is real text, searchable and copyable,
with its fonts embedded by ``QPdfWriter``; :func:`print_letter` lays it out
on the device's pages (A4 or Letter) and numbers them.

The window's File ▸ Print… (with a preview) and File ▸ Export ▸ Letter as
PDF… and ``python main.py FILE --pdf OUT.pdf`` all use :func:`build_document`,
:func:`print_letter` and :func:`write_pdf`; Edit ▸ Copy Citation uses
:func:`citation`, Copy on a panel row :func:`entity_reference`. Needs a
QGuiApplication (offscreen will do), no window.
"""

from __future__ import annotations

import datetime
import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)

from viewer import __version__
from viewer.errors import EpistolaError
from viewer.gui.kinds import KIND_ORDER, emphasis_style, kind_label, kind_style
from viewer.model import Entity, Letter

PAGE_SIZES = {"A4": QPageSize.PageSizeId.A4, "Letter": QPageSize.PageSizeId.Letter}
MARGIN_MM = 18.0
BODY_POINTS = 10.5
_DARK = False  # paper is light: the light palette's tints


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
    """The edition the letter's header names ("" when it names none or cannot be read)."""
    from viewer.tei.correspondence import read_correspondence

    try:
        record = read_correspondence(letter.file)
    except (EpistolaError, OSError):
        return ""
    return record.edition.title if record is not None else ""


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


class _Runs:
    """Character formats of the letter's text, one per (kind, emphasised, marker, note)."""

    def __init__(self, hidden: frozenset[str]) -> None:
        self.hidden = hidden
        self.emphasis = emphasis_style(_DARK)
        self._cache: dict[tuple[str | None, bool, bool, bool, bool], QTextCharFormat] = {}

    def get(
        self, kind: str | None, emphasised: bool, marker: bool, note: bool, struck: bool
    ) -> QTextCharFormat:
        key = (kind, emphasised, marker, note, struck)
        look = self._cache.get(key)
        if look is not None:
            return look
        look = QTextCharFormat()
        look.setFontPointSize(BODY_POINTS - 1.5 if note else BODY_POINTS)
        if emphasised:
            look.setBackground(self.emphasis.background)
            look.setForeground(self.emphasis.foreground)
            look.setFontWeight(QFont.Weight.Bold)
            look.setFontUnderline(True)
        elif kind is not None and kind not in self.hidden:
            style = kind_style(kind, _DARK)
            look.setBackground(style.background)
            if style.foreground is not None:
                look.setForeground(style.foreground)
        if marker:
            look.setVerticalAlignment(QTextCharFormat.VerticalAlignment.AlignSuperScript)
            look.setFontWeight(QFont.Weight.DemiBold)
        if struck:
            look.setFontStrikeOut(True)
        self._cache[key] = look
        return look


# ------------------------------------------------------------------ document


def build_document(letter: Letter, options: PrintOptions = PrintOptions()) -> QTextDocument:
    """The print document of ``letter`` (see the module docstring)."""
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
    _legend(cursor, letter, options)
    _letterhead(cursor, letter)
    _heading(cursor, "Letter")
    _text(cursor, letter, options)
    _paragraph(cursor, top=14)
    cursor.insertText(citation(letter, options), _char(italic=True, points=BODY_POINTS - 1.5))
    return document


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


def _legend(cursor: QTextCursor, letter: Letter, options: PrintOptions) -> None:
    counts: dict[str, int] = {}
    for mention in letter.mentions:
        counts[mention.kind] = counts.get(mention.kind, 0) + 1
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


def _text(cursor: QTextCursor, letter: Letter, options: PrintOptions) -> None:
    """The letter's text, run by run: each run one insertText with its format."""
    text = letter.text
    selected = frozenset(options.selected)
    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    cuts = {0, len(text)}
    mentions = letter.mentions
    for index, mention in enumerate(mentions):
        if mention.end <= mention.start:
            continue
        starts.setdefault(mention.start, []).append(index)
        ends.setdefault(mention.end, []).append(index)
        cuts.add(mention.start)
        cuts.add(mention.end)
    marker_at: dict[int, int] = {}
    for note in letter.notes:
        if note.marker_end > note.anchor:
            marker_at[note.anchor] = note.marker_end
            cuts.update((note.anchor, note.marker_end))
    struck_spans = [s for s in letter.spans if s.style == "del" and s.end > s.start]
    for span in struck_spans:
        cuts.update((span.start, span.end))
    note_from = min((b.start for b in letter.blocks if b.kind == "note"), default=len(text))
    cuts.add(note_from)
    boundaries = sorted(c for c in cuts if 0 <= c <= len(text))

    hidden = options.hidden_kinds
    runs = _Runs(hidden)
    active: list[int] = []  # mention indexes covering the current run, in start order
    struck_starts: dict[int, int] = {}
    for span in struck_spans:
        struck_starts[span.start] = max(struck_starts.get(span.start, 0), span.end)
    struck_until = 0
    marker_until = 0
    pending_look: QTextCharFormat | None = None
    pending_start = pending_end = 0
    _paragraph(cursor, top=4)
    for position, end in itertools.pairwise(boundaries):
        finished = ends.get(position)
        if finished:
            for index in finished:
                active.remove(index)
        if position in starts:
            active.extend(starts[position])
        if position in marker_at:
            marker_until = max(marker_until, marker_at[position])
        if position in struck_starts:
            struck_until = max(struck_until, struck_starts[position])
        kind = None
        emphasised = False
        if active:
            # The innermost mention whose kind shows (a hidden kind lets the outer one show).
            kind = mentions[active[-1]].kind
            if hidden and kind in hidden:
                kind = next(
                    (mentions[i].kind for i in reversed(active) if mentions[i].kind not in hidden),
                    None,
                )
            if selected:
                emphasised = any(selected.intersection(mentions[i].entities) for i in active)
        look = runs.get(
            kind,
            emphasised,
            position < marker_until,
            position >= note_from,
            position < struck_until,
        )
        if look is pending_look:
            pending_end = end  # the same look goes on (a hidden kind, adjoining mentions)
            continue
        if pending_look is not None:
            cursor.insertText(text[pending_start:pending_end], pending_look)
        pending_look, pending_start, pending_end = look, position, end
    if pending_look is not None:
        cursor.insertText(text[pending_start:pending_end], pending_look)


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
    letter: Letter, device: QPagedPaintDevice, options: PrintOptions = PrintOptions()
) -> int:
    """Lay out and print ``letter`` on ``device`` (a QPrinter, a QPdfWriter); the page count.

    Painted page by page from the one document, laid out for the device
    (``QTextDocument.print_`` would first copy a long letter's document),
    with "n / N" at the foot of each page.
    """
    document = build_document(letter, options)
    area = device.pageLayout().paintRectPixels(device.resolution())
    document.documentLayout().setPaintDevice(device)
    footer_font = QFont(document.defaultFont())
    footer_font.setPointSizeF(BODY_POINTS - 2)
    footer_height = 2.5 * QFontMetricsF(footer_font, device).height()
    page = QSizeF(area.width(), max(area.height() - footer_height, area.height() / 2))
    document.setPageSize(page)
    pages = document.pageCount()
    painter = QPainter()
    if not painter.begin(device):
        raise EpistolaError("the printer or PDF file could not be started")
    try:
        for number in range(pages):
            if number and not device.newPage():
                raise EpistolaError("the printer refused a new page")
            top = number * page.height()
            painter.save()
            painter.translate(0, -top)
            document.drawContents(painter, QRectF(0, top, page.width(), page.height()))
            painter.restore()
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


def pdf_bytes(letter: Letter, options: PrintOptions = PrintOptions()) -> bytes:
    """The letter as a PDF, in memory."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageLayout(_layout(options.page_size))
    writer.setResolution(300)
    writer.setTitle(options.title or letter.title)
    writer.setCreator(f"Epistola {__version__}")
    print_letter(letter, writer, options)
    del writer  # finishes the PDF
    buffer.close()
    data = bytes(QByteArray(buffer.data()))
    if not data.startswith(b"%PDF"):
        raise EpistolaError("the PDF could not be made (Qt wrote nothing)")
    return data


def write_pdf(
    letter: Letter, path: str | os.PathLike[str], options: PrintOptions = PrintOptions()
) -> None:
    """Write the letter as a PDF to ``path`` atomically; EpistolaError when that fails."""
    from viewer.exports import write_export

    write_export(path, pdf_bytes(letter, options))


def print_letter_cli(
    file: str,
    out: str,
    *,
    reading: str = "normalised",
    selected: Sequence[str] = (),
    register_dirs: Sequence[str] = (),
    page_size: str = "A4",
    fail: Callable[[str], int],
) -> int:
    """``python main.py FILE --pdf OUT.pdf``: 0, or ``fail``'s code with one line on stderr."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    from viewer.tei import read_letter
    from viewer.tei.catalog import RegisterCatalog

    try:
        catalog = RegisterCatalog(extra_folders=register_dirs)
        letter = read_letter(file, reading=reading, registers=catalog.for_letter(file))
    except EpistolaError as error:
        return fail(str(error))
    unknown = [entity_id for entity_id in selected if letter.entity(entity_id) is None]
    if unknown:
        return fail(f"{file}: no entity {', '.join(map(repr, unknown))} in this letter")
    _application = QGuiApplication.instance() or QGuiApplication(["epistola"])
    try:
        write_pdf(letter, out, PrintOptions(selected=tuple(selected), page_size=page_size))
    except EpistolaError as error:
        return fail(str(error))
    return 0
