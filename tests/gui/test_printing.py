"""Print and PDF: the letter as shown, read back from the PDF's real text with pypdf.

The PDF must hold the letter's text, the legend, the letterhead members with
their roles and affiliations, the metadata, the notes as endnotes and the
citation, with page numbers, on A4 or Letter pages; the selection is
emphasised; letter text is never taken as markup; a failed write is a clear
error.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pypdf
import pytest
from PySide6.QtCore import QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QTextCharFormat
from testdata import CORPUS, require

from viewer.errors import EpistolaError
from viewer.exports.print_source import letter_looks_of, printed_part, tint_runs_of
from viewer.gui.kinds import emphasis_style, kind_style
from viewer.gui.printing import (
    EMPHASISED,
    MARKER,
    STRUCK,
    PrintOptions,
    build_document,
    citation,
    edition_of,
    entity_reference,
    letter_looks,
    pdf_bytes,
    print_letter,
    write_pdf,
)
from viewer.model import Letter, Mention
from viewer.tei import read_letter

ROOT = Path(__file__).resolve().parents[2]
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"
WILLIAMS = "pers.williams.jody"
TEI = "http://www.tei-c.org/ns/1.0"
FIXED = PrintOptions(edition="Test Edition", printed_on=datetime.date(2026, 1, 2))

pytestmark = pytest.mark.gui


def pdf_text(data: bytes) -> tuple[pypdf.PdfReader, list[str]]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = [
        " ".join(unicodedata.normalize("NFC", page.extract_text()).split()) for page in reader.pages
    ]
    return reader, pages


def squeeze(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def icbl(qapp):
    return read_letter(ICBL)


@pytest.mark.slow
def test_the_pdf_holds_the_letter_legend_letterhead_metadata_and_citation(icbl):
    data = pdf_bytes(icbl, PrintOptions(selected=(WILLIAMS,), edition="ICBL letters"))
    reader, pages = pdf_text(data)
    whole = " ".join(pages)
    assert len(pages) >= 2
    # The letter's text, as text: every paragraph's start and end is in the PDF (compared
    # without spaces: text extraction spaces highlighted runs as it pleases).
    solid = "".join(whole.split())
    for paragraph in icbl.text.split("\n\n"):
        words = paragraph.split()
        if len(words) >= 8:
            assert "".join(words[:4]) in solid
            assert "".join(words[-4:]) in solid
    # The legend, with the kinds and their counts, and the selection.
    assert re.search(r"Legend: Person \d+ Organisation \d+ Place \d+", whole)
    assert "Selected Jody Williams" in whole
    # The letterhead: sections and members with roles and affiliations.
    assert "Staff Sylvie Brigot — Executive Director" in whole
    assert "Habbouba Aoun — Landmine Resource Center (Lebanon)" in whole
    assert "Management Committee" in whole
    # Metadata and citation.
    assert "From: Jody Williams" in whole and "To: Nazym Ismaylov" in whole
    assert "Date: 24 July 2007 (2007-07-24)" in whole
    assert "ICBL letters" in whole and "File: icbl-2007-07-24-anama.xml" in whole
    # Page numbers at the foot of every page; A4 by default; no ligature glyphs.
    for number, page in enumerate(pages, 1):
        assert page.endswith(f"{number} / {len(pages)}")
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [595, 842]
    assert not any("\ufb00" <= c <= "\ufb06" for c in whole)
    assert reader.metadata.title == icbl.title


@pytest.mark.slow
def test_letter_page_size(icbl):
    reader, _pages = pdf_text(pdf_bytes(icbl, PrintOptions(page_size="Letter")))
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [612, 792]
    with pytest.raises(EpistolaError, match="page size"):
        pdf_bytes(icbl, PrintOptions(page_size="A5"))


def overlay_at(document, position: int) -> QTextCharFormat:
    """The format the block's layout lays over the character at ``position`` (merged)."""
    block = document.findBlock(position)
    look = QTextCharFormat()
    for stretch in block.layout().formats():
        if stretch.start <= position - block.position() < stretch.start + stretch.length:
            look.merge(stretch.format)
    return look


def tint_at(printed, position: int):
    """The colour painted beneath the character at ``position``, or None."""
    colours = [c for start, end, c in printed.tints if start <= position < end]
    assert len(colours) <= 1
    return colours[0] if colours else None


def letter_start(printed, letter) -> int:
    return printed.document.toPlainText().replace("\u2029", "\n").index(letter.text)


def test_highlights_are_in_the_kind_colours_and_the_selection_stands_out(icbl):
    printed = build_document(icbl, PrintOptions(selected=(WILLIAMS,)))
    base = letter_start(printed, icbl)
    place = icbl.text.index("Azerbaijan")
    assert tint_at(printed, base + place) == kind_style("place", False).background
    assert tint_at(printed, base + place + len("Azerbaijan") - 1) is not None
    assert not overlay_at(printed.document, base + place).fontUnderline()
    williams = icbl.mentions_of(WILLIAMS)[0]
    look = overlay_at(printed.document, base + williams.start)
    assert look.fontUnderline() and look.fontWeight() == QFont.Weight.Bold
    assert look.background().color() == emphasis_style(False).background
    assert tint_at(printed, base + williams.start) is None  # emphasis is not tinted under
    hidden = build_document(icbl, PrintOptions(hidden_kinds=frozenset({"place"})))
    assert tint_at(hidden, letter_start(hidden, icbl) + place) is None


def expected_looks(letter, options):
    """Per character: (tint colour's rgba or None, flags), the slow and obvious way."""
    tints: list = [None] * len(letter.text)
    flags = [0] * len(letter.text)
    for mention in sorted(letter.mentions, key=lambda m: m.start):
        if mention.kind in options.hidden_kinds:
            continue
        for i in range(mention.start, mention.end):
            tints[i] = kind_style(mention.kind, False).background.rgba()
    for mention in letter.mentions:
        if set(options.selected) & set(mention.entities):
            for i in range(mention.start, mention.end):
                tints[i] = None
                flags[i] |= EMPHASISED
    for note in letter.notes:
        for i in range(note.anchor, note.marker_end):
            flags[i] |= MARKER
    for span in letter.spans:
        if span.style == "del":
            for i in range(span.start, span.end):
                flags[i] |= STRUCK
    return tints, flags


@pytest.mark.parametrize(
    "letter_path, options",
    [
        (ICBL, PrintOptions(selected=(WILLIAMS,))),
        (ICBL, PrintOptions(hidden_kinds=frozenset({"person", "place"}))),
        (CORPUS / "escher" / "briefe" / "K_0029_Heer_Oswald_an_Escher_1867-12-15.xml", FIXED),
    ],
)
def test_tints_and_formats_land_on_their_characters(qapp, letter_path, options):
    letter = read_letter(require(letter_path))
    tints, flags = expected_looks(letter, options)
    tinted, flagged = letter_looks(letter, options)
    got_tints: list = [None] * len(letter.text)
    for start, end, colour in tinted:
        assert start < end
        got_tints[start:end] = [colour.rgba()] * (end - start)
    got_flags = [0] * len(letter.text)
    for start, end, value in flagged:
        got_flags[start:end] = [value] * (end - start)
    assert got_tints == tints
    assert got_flags == flags
    # And in the document: each flagged character carries its run's format.
    printed = build_document(letter, options)
    base = letter_start(printed, letter)
    for start, end, value in flagged:
        for position in (start, end - 1):
            look = overlay_at(printed.document, base + position)
            assert look.fontUnderline() == bool(value & EMPHASISED)
            assert look.fontStrikeOut() == bool(value & STRUCK)
            superscript = look.verticalAlignment() == look.VerticalAlignment.AlignSuperScript
            assert superscript == bool(value & MARKER)
        if end < len(letter.text) and not flags[end]:
            assert overlay_at(printed.document, base + end).isEmpty()


def point_sizes(document) -> list[float]:
    """The point size of each run of the document's text, in order."""
    sizes = []
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            sizes.append(fragments.fragment().charFormat().fontPointSize())
            fragments += 1
        block = block.next()
    return sizes


ESCHER_NOTES = CORPUS / "escher" / "briefe" / "K_0029_Heer_Oswald_an_Escher_1867-12-15.xml"


@pytest.mark.parametrize(
    "letter_path, options",
    [
        (ICBL, PrintOptions(selected=(WILLIAMS,))),
        (ICBL, PrintOptions(hidden_kinds=frozenset({"place"}))),
        (ESCHER_NOTES, PrintOptions(selected=("date:1867-12-15",))),
    ],
)
def test_looks_worked_out_beforehand_print_a_letter_without_mentions_alike(
    qapp, letter_path, options
):
    # The --pdf command's worker hands over only the printed part of the letter, and its looks.
    letter = read_letter(require(letter_path))
    looks = letter_looks_of(letter, options.hidden_kinds, options.selected)
    slim = printed_part(letter, options.selected)
    assert not slim.mentions and not slim.spans and len(slim.entities) <= len(options.selected)
    whole, ahead = build_document(letter, options), build_document(slim, options, looks)
    assert ahead.document.toPlainText() == whole.document.toPlainText()
    assert "Person " in ahead.document.toPlainText()  # the legend's counts came along
    rgba = [(s, e, c.rgba()) for s, e, c in ahead.tints]
    assert rgba == [(s, e, c.rgba()) for s, e, c in whole.tints] and rgba
    assert ahead.runs == whole.runs
    # The endnotes are set smaller (the note blocks came along).
    assert point_sizes(ahead.document) == point_sizes(whole.document)
    if letter.notes:
        assert len(set(point_sizes(whole.document))) > 3
    assert (
        pdf_text(pdf_bytes(slim, FIXED, letter_looks_of(letter)))[1]
        == pdf_text(pdf_bytes(letter, FIXED))[1]
    )


@pytest.mark.parametrize(
    "options", [PrintOptions(selected=(WILLIAMS,)), PrintOptions(hidden_kinds=frozenset({"place"}))]
)
def test_tints_given_once_the_document_is_laid_out_land_as_if_given_at_once(qapp, options):
    # The --pdf command's worker hands over the flags first and the tints while the
    # document is laid out (PrintDocument.paginate's tint_later).
    letter = read_letter(ICBL)
    looks = letter_looks_of(letter, options.hidden_kinds, options.selected)
    slim = printed_part(letter, options.selected)
    at_once = build_document(slim, options, looks)
    later = build_document(slim, options, dataclasses.replace(looks, tint=None, kinds=()))
    assert later.tints == [] and later.runs == at_once.runs
    assert later.document.toPlainText() == at_once.document.toPlainText()
    asked = []

    def tint_later():
        asked.append(later.document.pageCount())  # laid out by then
        return tint_runs_of(looks.tint, looks.kinds)

    page = QSizeF(400, 600)
    pages = at_once.paginate(page)
    assert later.paginate(page, tint_later=tint_later) == pages and asked == [pages]
    rgba = [(s, e, c.rgba()) for s, e, c in later.tints]
    assert rgba == [(s, e, c.rgba()) for s, e, c in at_once.tints] and rgba
    assert [(r.getRect(), c.rgba()) for r, c in later.tint_rects()] == [
        (r.getRect(), c.rgba()) for r, c in at_once.tint_rects()
    ]
    with_later = pdf_bytes(
        slim,
        FIXED,
        dataclasses.replace(looks, tint=None),
        lambda: tint_runs_of(looks.tint, looks.kinds),
    )
    assert pdf_text(with_later)[1] == pdf_text(pdf_bytes(slim, FIXED, looks))[1]


def test_kinds_of_one_colour_make_one_stretch_where_they_meet(qapp, monkeypatch):
    import types

    import viewer.gui.printing as printing

    text = "Alpha Beta Gamma Delta"
    mentions = (
        Mention(0, 5, "person", ("p1",)),
        Mention(5, 10, "place", ("l1",)),  # meets the person: one colour, one stretch
        Mention(11, 16, "person", ("p1",)),
        Mention(17, 22, "work", ("w1",)),
    )
    letter = Letter(file="l.xml", title="t", text=text, mentions=mentions)
    looks = letter_looks_of(letter)
    apart = printing._tint_stretches(looks.tint, looks.kinds, offset=3)
    assert [(s, e) for s, e, _colour in apart] == [(3, 8), (8, 13), (14, 19), (20, 25)]
    real = printing.kind_style
    grey = types.SimpleNamespace(background=QColor(0x80, 0x80, 0x80))
    monkeypatch.setattr(
        printing, "kind_style", lambda kind, dark: grey if kind != "work" else real(kind, dark)
    )
    together = printing._tint_stretches(looks.tint, looks.kinds, offset=3)
    assert [(s, e, c.rgba()) for s, e, c in together] == [
        (3, 13, grey.background.rgba()),
        (14, 19, grey.background.rgba()),
        (20, 25, apart[3][2].rgba()),
    ]


def test_line_and_paragraph_separators_keep_the_tints_on_their_words(qapp):
    # "\r\n" would be one block separator in the document and shift every later tint.
    text = "Alpha\r\nBeta \ufdd0Gamma\u2029Delta\u2028Eps Zeta\x0bEta"
    words = ("Alpha", "Beta", "Gamma", "Delta", "Zeta", "Eta")
    mentions = tuple(
        Mention(text.index(w), text.index(w) + len(w), "person", ("p1",)) for w in words
    )
    letter = Letter(file="letter.xml", title="t", text=text, mentions=mentions)
    printed = build_document(letter, FIXED)
    shown = [
        "".join(printed.document.characterAt(i) for i in range(start, end))
        for start, end, _colour in printed.tints
    ]
    assert shown == list(words)


def test_tints_over_lines_and_paragraphs_cover_their_characters_line_by_line(qapp):
    # Each tint's rectangles, worked out character by character: one per line it is on,
    # from its first character's left edge to its last one's right edge there.
    words = " ".join(f"word{i}" for i in range(60))
    text = f"{words}\n\n{words}\n{words}"
    starts = [0, 3, 40, 200, len(words) - 30, len(words) + 5, 2 * len(words) + 10]
    mentions = tuple(
        Mention(start, min(start + length, len(text)), kind, ("p1",))
        for start, length, kind in zip(
            starts, (2, 30, 150, 8, 60, 400, 500), ("person", "place") * 4, strict=False
        )
    )
    letter = Letter(file="letter.xml", title="t", text=text, mentions=mentions)
    printed = build_document(letter, FIXED)
    printed.paginate(QSizeF(300, 400))
    document = printed.document
    expected = []
    for start, end, colour in printed.tints:
        lines: dict[tuple[int, int], list[int]] = {}
        for position in range(start, end):
            block = document.findBlock(position)
            if position == block.position() + block.length() - 1:
                continue  # the paragraph's end: not a character on a line
            inside = position - block.position()
            line = block.layout().lineForTextPosition(inside)
            lines.setdefault((block.blockNumber(), line.lineNumber()), []).append(inside)
        for (number, line_number), positions in lines.items():
            layout = document.findBlockByNumber(number).layout()
            line = layout.lineAt(line_number)
            left = line.cursorToX(positions[0])[0]
            right = line.cursorToX(positions[-1] + 1)[0]
            top = layout.position().y() + line.y()
            rect = (layout.position().x() + left, top, right - left, line.height())
            expected.append((rect, colour.rgba()))
    got = [(rect.getRect(), colour.rgba()) for rect, colour in printed.tint_rects()]
    assert got == expected
    assert len({rect[1] for rect, _colour in got}) > 10  # over many lines
    assert printed._laid.tops == [rect.top() for rect, _colour in printed.tint_rects()]


def test_tints_are_painted_beneath_the_text(icbl):
    printed = build_document(icbl, FIXED)
    pages = printed.paginate(QSizeF(500, 700))
    base = letter_start(printed, icbl)
    place = base + icbl.text.index("Azerbaijan")
    colour = kind_style("place", False).background
    rects = [r for r, c in printed.tint_rects() if c == colour]
    block = printed.document.findBlock(place)
    line = block.layout().lineForTextPosition(place - block.position())
    top = block.layout().position().y() + line.y()
    left = block.layout().position().x() + line.cursorToX(place - block.position())[0]
    rect = next(r for r in rects if abs(r.top() - top) < 0.5 and abs(r.left() - left) < 0.5)
    assert rect.width() > 20 and rect.height() == pytest.approx(line.height())
    number = int(rect.top() // 700)
    assert number < pages
    image = QImage(500, 700, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    printed.paint_page(painter, number)
    painter.end()
    y = int(rect.top() - number * 700 + 1)
    row = [image.pixelColor(int(x), y) for x in range(int(rect.left()) + 1, int(rect.right()))]
    assert sum(c == colour for c in row) > len(row) / 2  # the tint, where no glyph is
    inked = [
        image.pixelColor(x, y).lightness()
        for x in range(int(rect.left()) + 1, int(rect.right()))
        for y in range(int(rect.top() - number * 700), int(rect.bottom() - number * 700))
    ]
    assert min(inked) < 100  # and the word's glyphs on it


def test_a_tint_over_a_line_break_is_a_rectangle_on_each_line(icbl):
    printed = build_document(icbl, FIXED)
    printed.paginate(QSizeF(160, 2000))  # narrow: long names wrap
    alone = [  # one line of text, no other mention inside
        m
        for m in icbl.mentions
        if "\n" not in icbl.text[m.start : m.end]
        and not any(o is not m and o.start < m.end and m.start < o.end for o in icbl.mentions)
    ]
    mention = max(alone, key=lambda m: m.end - m.start)
    colour = kind_style(mention.kind, False).background
    start = letter_start(printed, icbl) + mention.start
    end = start + mention.end - mention.start
    block = printed.document.findBlock(start)
    layout = block.layout()
    first = layout.lineForTextPosition(start - block.position())
    last = layout.lineForTextPosition(end - block.position())
    assert last.lineNumber() > first.lineNumber()
    origin = layout.position()

    def on_line(line):
        top = origin.y() + line.y()
        return [r for r, c in printed.tint_rects() if c == colour and r.top() == pytest.approx(top)]

    head = max(on_line(first), key=lambda r: r.left())  # the mention ends the first line
    tail = min(on_line(last), key=lambda r: r.left())  # and starts the last
    assert head.left() == pytest.approx(origin.x() + first.cursorToX(start - block.position())[0])
    assert head.right() == pytest.approx(origin.x() + first.naturalTextWidth(), abs=8)
    assert tail.left() == pytest.approx(origin.x() + last.cursorToX(last.textStart())[0])
    assert tail.right() == pytest.approx(origin.x() + last.cursorToX(end - block.position())[0])


def test_the_text_of_the_document_is_the_letters_text(icbl):
    document = build_document(icbl, FIXED).document
    plain = document.toPlainText()
    assert icbl.text in plain.replace("\u2029", "\n")
    assert plain.rstrip().endswith(citation(icbl, FIXED))


def test_letter_text_is_never_markup(qapp, tmp_path):
    hostile = tmp_path / "hostile.xml"
    hostile.write_text(
        f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt><title>&lt;h1&gt;Title&lt;/h1&gt;'
        "</title></titleStmt><publicationStmt><p/></publicationStmt><sourceDesc><p/>"
        "</sourceDesc></fileDesc></teiHeader><text><body>"
        "<p>Say &lt;b&gt;bold&lt;/b&gt; &amp;amp; &lt;img src=x&gt; =1+1</p>"
        "</body></text></TEI>",
        encoding="utf-8",
    )
    letter = read_letter(hostile)
    _reader, pages = pdf_text(pdf_bytes(letter, FIXED))
    whole = " ".join(pages)
    assert "<h1>Title</h1>" in whole
    assert "Say <b>bold</b> &amp; <img src=x> =1+1" in whole


@pytest.mark.slow
def test_notes_are_endnotes_with_markers(qapp):
    path = require(CORPUS / "escher" / "briefe" / "K_0029_Heer_Oswald_an_Escher_1867-12-15.xml")
    letter = read_letter(path)
    assert letter.notes
    printed = build_document(letter, FIXED)
    first = letter.notes[0]
    marker = letter.text[first.anchor : first.marker_end]
    look = overlay_at(printed.document, letter_start(printed, letter) + first.anchor)
    assert look.verticalAlignment() == look.VerticalAlignment.AlignSuperScript
    _reader, pages = pdf_text(pdf_bytes(letter, FIXED))
    whole = " ".join(pages)
    # The note's text comes after the letter's last words, with its marker.
    assert whole.index(squeeze(first.text)[:40]) > whole.index("Datierung") - 10_000
    assert squeeze(marker) in whole


def test_write_pdf_is_atomic_and_a_failed_write_is_an_error(icbl, tmp_path):
    target = tmp_path / "letter.pdf"
    target.write_bytes(b"old")
    write_pdf(icbl, target, FIXED)
    assert target.read_bytes().startswith(b"%PDF")
    with pytest.raises(EpistolaError, match="could not be written"):
        write_pdf(icbl, tmp_path / "missing" / "letter.pdf", FIXED)


def test_citation(icbl):
    line = citation(icbl, FIXED)
    assert line.startswith(icbl.title)
    assert "Test Edition" in line and "2007-07-24" in line
    assert "File: icbl-2007-07-24-anama.xml" in line and "Printed 2026-01-02" in line


@pytest.mark.slow
@pytest.mark.e2e
def test_cli_writes_a_pdf_without_a_window(tmp_path):
    out = tmp_path / "out.pdf"
    result = subprocess.run(
        [sys.executable, "main.py", str(ICBL), "--pdf", str(out), "--select", WILLIAMS,
         "--reading", "diplomatic", "--page-size", "Letter"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    reader, pages = pdf_text(out.read_bytes())
    whole = " ".join(pages)
    assert "Selected Jody Williams" in whole and "Reading: diplomatic" in whole
    # The citation names the edition from the letter's header, read from the same parse.
    assert "Encoded for the Epistola letter viewer" in pages[-1]
    assert [round(float(v)) for v in reader.pages[0].mediabox[2:]] == [612, 792]
    for args, message in (
        ([str(ICBL), "--pdf", str(out), "--select", "nobody"], "no entity 'nobody'"),
        ([str(tmp_path / "missing.xml"), "--pdf", str(out)], "no such file"),
        (["--pdf", str(out)], "exactly one letter FILE"),
        ([str(ICBL), "--pdf", str(tmp_path / "no" / "out.pdf")], "could not be written"),
    ):
        bad = subprocess.run(
            [sys.executable, "main.py", *args],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert bad.returncode == 2, (args, bad.stderr)
        assert message in bad.stderr and bad.stderr.count("\n") == 1


def test_the_edition_is_read_once_while_the_file_is_unchanged(qapp, tmp_path, monkeypatch):
    import viewer.tei.correspondence as correspondence

    copy = tmp_path / ICBL.name
    copy.write_bytes(ICBL.read_bytes())
    letter = read_letter(copy)
    reads: list[str] = []
    real = correspondence.read_correspondence
    monkeypatch.setattr(
        correspondence, "read_correspondence", lambda path: reads.append(path) or real(path)
    )
    first = edition_of(letter)
    assert first.startswith("Encoded for the Epistola letter viewer")
    assert edition_of(letter) == first and citation(letter) == citation(letter)
    assert len(reads) == 1
    copy.write_bytes(ICBL.read_bytes().replace(b"Encoded for the Epistola", b"Re-encoded for the"))
    assert edition_of(letter).startswith("Re-encoded for the")  # changed: read again
    assert len(reads) == 2


def test_entity_reference_is_name_and_authority(icbl):
    azerbaijan = icbl.entity("place.azerbaijan")
    assert entity_reference(azerbaijan) == "Azerbaijan http://www.wikidata.org/entity/Q227"


@pytest.mark.slow
def test_print_preview_and_qprinter_use_the_same_pages(icbl, tmp_path):
    from PySide6.QtPrintSupport import QPrinter, QPrintPreviewWidget

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    pages = print_letter(icbl, printer, FIXED)
    assert pages >= 2
    reader, texts = pdf_text((tmp_path / "printed.pdf").read_bytes())
    assert len(reader.pages) == pages and texts[-1].endswith(f"{pages} / {pages}")
    preview = QPrintPreviewWidget()
    counted: list[int] = []
    preview.paintRequested.connect(lambda device: counted.append(print_letter(icbl, device, FIXED)))
    preview.updatePreview()
    assert counted and preview.pageCount() == counted[-1]
