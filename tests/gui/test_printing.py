"""Print and PDF: the letter as shown, read back from the PDF's real text with pypdf.

The PDF must hold the letter's text, the legend, the letterhead members with
their roles and affiliations, the metadata, the notes as endnotes and the
citation, with page numbers, on A4 or Letter pages; the selection is
emphasised; letter text is never taken as markup; a failed write is a clear
error.
"""

from __future__ import annotations

import datetime
import io
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pypdf
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextCursor
from testdata import CORPUS, require

from viewer.errors import EpistolaError
from viewer.gui.kinds import emphasis_style, kind_style
from viewer.gui.printing import (
    PrintOptions,
    build_document,
    citation,
    entity_reference,
    pdf_bytes,
    print_letter,
    write_pdf,
)
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


def fragment_formats(document, needle: str):
    """The character formats of the runs whose text is exactly ``needle``, in order."""
    found = []
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.text() == needle:
                found.append(fragment.charFormat())
            iterator += 1
        block = block.next()
    return found


def test_highlights_are_in_the_kind_colours_and_the_selection_stands_out(icbl):
    document = build_document(icbl, PrintOptions(selected=(WILLIAMS,)))
    place = fragment_formats(document, "Azerbaijan")
    assert place and place[0].background().color() == kind_style("place", False).background
    emphasised = [f for f in fragment_formats(document, "Jody Williams") if f.fontUnderline()]
    assert emphasised
    look = emphasised[0]
    assert look.background().color() == emphasis_style(False).background
    assert look.fontWeight() == QFont.Weight.Bold
    hidden = build_document(icbl, PrintOptions(hidden_kinds=frozenset({"place"})))
    unmarked = fragment_formats(hidden, "Azerbaijan")
    assert unmarked and all(f.background().style() == Qt.BrushStyle.NoBrush for f in unmarked)


def test_the_text_of_the_document_is_the_letters_text(icbl):
    document = build_document(icbl, FIXED)
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
    document = build_document(letter, FIXED)
    cursor = QTextCursor(document)
    plain = document.toPlainText()
    first = letter.notes[0]
    marker = letter.text[first.anchor : first.marker_end]
    at = plain.index(letter.text) + first.anchor
    cursor.setPosition(at + 1)
    assert (
        cursor.charFormat().verticalAlignment()
        == cursor.charFormat().VerticalAlignment.AlignSuperScript
    )
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
