"""Print, PDF, CMIF, CSV and Copy Citation from the window's menus, built by the composition root.

File dialogs are replaced by their answers (monkeypatched), message boxes are
captured (the ``dialogs`` fixture), the print preview is never shown (its
``exec`` paints into a QPrinter writing a PDF file), and the background
exports are waited for on ``Exports.finished``: nothing here sleeps.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

import pypdf
import pytest
from conftest import WILLIAMS
from lxml import etree
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QToolButton, QWidget
from testdata import CMIF_RNG, CORPUS, require

pytestmark = pytest.mark.gui

EXPORT_TIMEOUT_MS = 120_000


def pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def answer_save_dialog(monkeypatch, path: Path | str, chosen_filter: str = "") -> list[tuple]:
    """Make QFileDialog.getSaveFileName answer ``path``; the calls it got, to look at."""
    calls: list[tuple] = []

    def fake(parent, caption="", directory="", file_filter="", selected="", *args, **kwargs):
        calls.append((caption, directory, file_filter, selected))
        return str(path), chosen_filter or selected or file_filter.split(";;")[0]

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(fake))
    return calls


def action_texts(menu) -> list[str]:
    return [a.text().replace("&", "") for a in menu.actions() if a.text()]


@pytest.fixture
def corpus_window(make_window, icbl_path, tmp_path):
    """A window with the test editions open as its collection (indexed, cache in tmp_path)."""
    window = make_window(icbl_path)
    window.indexer.cache_dir = tmp_path / "cache"
    window.open_folder(str(require(CORPUS)), open_first=False)
    assert window.wait_for_index(EXPORT_TIMEOUT_MS), "indexing did not finish"
    assert window.collection is not None and window.collection.letters
    yield window
    window.exports().shutdown()
    window.indexer.shutdown()


# ------------------------------------------------------------------ the menus


@pytest.mark.slow
def test_the_menus_hold_print_exports_and_copy_citation(window) -> None:
    file_menu = action_texts(window.menu("File"))
    assert "Print…" in file_menu and "Export" in file_menu
    assert file_menu.index("Print…") < file_menu.index("Export") < file_menu.index("Quit")
    assert action_texts(window.export_menu) == [
        "Letter as PDF…",
        "Collection as CMIF…",
        "Entities as CSV…",
        "Letters as CSV…",
    ]
    assert "Copy Citation" in action_texts(window.menu("Edit"))
    assert window.print_action.shortcut() == QKeySequence("Ctrl+P")
    assert window.copy_citation_action.shortcut() == QKeySequence("Ctrl+Shift+C")
    # A letter is open: it can be printed; no folder is open as the collection yet.
    assert window.print_action.isEnabled() and window.export_pdf_action.isEnabled()
    assert window.copy_citation_action.isEnabled()
    assert window.folder is None
    assert not window.export_cmif_action.isEnabled()
    assert not window.export_entities_action.isEnabled()


@pytest.mark.slow
def test_printing_and_exports_are_not_imported_for_the_first_paint(window) -> None:
    # The window's module imports none of them; they are loaded when an action is used.
    import viewer.gui.main_window as main_window

    source = Path(main_window.__file__).read_text(encoding="utf-8")
    header = source.split("class MainWindow", 1)[0]
    for module in ("viewer.gui.printing", "viewer.gui.export_ui", "viewer.exports"):
        assert f"import {module}" not in header and f"from {module} " not in header
    assert window._exports is None


# ------------------------------------------------------------- the letter


@pytest.mark.slow
def test_export_letter_as_pdf_writes_the_letter_text(window, tmp_path, monkeypatch) -> None:
    out = tmp_path / "letter.pdf"
    calls = answer_save_dialog(monkeypatch, out)
    window.set_selection([WILLIAMS])
    window.export_pdf_action.trigger()
    assert out.is_file()
    text = pdf_text(out)
    assert "Nazym Ismaylov" in text
    assert "Jody Williams" in text
    assert "icbl-2007-07-24-anama.xml" in text  # the citation line
    # The dialog offered both page sizes, the locale's first.
    _caption, directory, filters, selected = calls[0]
    assert directory.endswith("icbl-2007-07-24-anama.pdf")
    assert "A4" in filters and "US Letter" in filters and selected == filters.split(";;")[0]


@pytest.mark.slow
def test_the_chosen_page_size_is_the_pdf_page_size(window, tmp_path, monkeypatch) -> None:
    from viewer.gui.export_ui import PDF_FILTERS

    out = tmp_path / "letter-size"  # no suffix: .pdf is added
    answer_save_dialog(monkeypatch, out, PDF_FILTERS["Letter"])
    window.export_pdf_action.trigger()
    written = tmp_path / "letter-size.pdf"
    page = pypdf.PdfReader(str(written)).pages[0]
    width_in = float(page.mediabox.width) / 72
    height_in = float(page.mediabox.height) / 72
    assert (round(width_in, 1), round(height_in, 1)) == (8.5, 11.0)


@pytest.mark.slow
def test_a_failed_pdf_write_shows_an_error_and_writes_nothing(
    window, tmp_path, monkeypatch, dialogs
) -> None:
    out = tmp_path / "no-such-folder" / "letter.pdf"
    answer_save_dialog(monkeypatch, out)
    with_signal = window.exports().finished
    results: list[str] = []
    with_signal.connect(results.append)
    window.export_pdf_action.trigger()
    assert results == [""]
    assert not out.exists() and not out.parent.exists()
    assert len(dialogs) == 1
    title, message, _details = dialogs[0]
    assert title == "Cannot export the letter as PDF"
    assert "letter.pdf" in message and "nothing was changed" in message


@pytest.mark.slow
def test_cancelling_the_save_dialog_writes_nothing(window, tmp_path, monkeypatch) -> None:
    answer_save_dialog(monkeypatch, "")
    window.export_pdf_action.trigger()
    assert list(tmp_path.glob("*.pdf")) == []


@pytest.mark.slow
def test_the_print_preview_prints_the_letter_as_shown(window, tmp_path, monkeypatch) -> None:
    from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

    out = tmp_path / "printed.pdf"
    previews: list[QPrintPreviewDialog] = []

    def fake_exec(dialog):
        # What the preview does when it shows, and the Print button after: paint pages.
        previews.append(dialog)
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(out))
        dialog.paintRequested.emit(printer)
        return 0

    monkeypatch.setattr(QPrintPreviewDialog, "exec", fake_exec)
    window.set_selection([WILLIAMS])
    window.print_action.trigger()
    assert len(previews) == 1 and "Print" in previews[0].windowTitle()
    reader = pypdf.PdfReader(str(out))
    assert len(reader.pages) >= 1
    text = pdf_text(out)
    assert "Nazym Ismaylov" in text
    assert f"1 / {len(reader.pages)}" in text  # page numbers


def test_copy_citation_puts_the_citation_on_the_clipboard(window) -> None:
    from viewer.gui.printing import citation

    QApplication.clipboard().clear()
    window.copy_citation_action.trigger()
    copied = QApplication.clipboard().text()
    assert copied == citation(window.current_letter)
    assert window.current_letter.title.strip().rstrip(".") in copied
    assert "File: icbl-2007-07-24-anama.xml" in copied


# ------------------------------------------------------------ the collection


@pytest.mark.slow
def test_cmif_export_of_the_editions_validates_and_reports(
    corpus_window, tmp_path, monkeypatch, qtbot, dialogs
) -> None:
    from viewer.gui.export_ui import CmifDialog

    window = corpus_window
    assert window.export_cmif_action.isEnabled()
    asked: list[CmifDialog] = []

    def fill_in(dialog):
        asked.append(dialog)
        dialog.title_edit.setText("Test editions")
        dialog.editor_edit.setText("Epistola tests")
        dialog.url_edit.setText("https://example.org/cmif.xml")
        return int(QDialog.DialogCode.Accepted)

    monkeypatch.setattr(CmifDialog, "exec", fill_in)
    out = tmp_path / "editions"
    answer_save_dialog(monkeypatch, out)
    exports = window.exports()
    with qtbot.waitSignal(exports.finished, timeout=EXPORT_TIMEOUT_MS) as done:
        window.export_cmif_action.trigger()
        assert exports.running
    written = tmp_path / "editions.xml"
    assert done.args == [str(written)]
    assert not exports.running
    schema = etree.RelaxNG(etree.parse(str(require(CMIF_RNG))))
    root = etree.fromstring(written.read_bytes())
    assert schema.validate(root), schema.error_log.filter_from_errors()[:5]
    tei = "{http://www.tei-c.org/ns/1.0}"
    assert root.findtext(f"{tei}teiHeader/{tei}fileDesc/{tei}titleStmt/{tei}title") == (
        "Test editions"
    )
    letters = len(root.findall(f".//{tei}correspDesc"))
    assert letters >= 50
    assert any("d-nb.info/gnd/" in (e.get("ref") or "") for e in root.iter(f"{tei}persName"))
    # The report: how many letters, parties and places lack an authority identifier.
    assert len(dialogs) == 1
    title, text, details = dialogs[0]
    assert title == "CMIF export"
    assert str(written) in text
    assert f"{letters} letter(s) exported" in text and "parties:" in text and "places:" in text
    assert "lack an authority identifier" in details
    # The options are offered again, as given, next time (cancelled here: nothing runs).
    offered: list[tuple[str, str, str]] = []

    def look(dialog):
        offered.append(dialog.values())
        return int(QDialog.DialogCode.Rejected)

    monkeypatch.setattr(CmifDialog, "exec", look)
    window.export_cmif_action.trigger()
    assert offered == [("Test editions", "Epistola tests", "https://example.org/cmif.xml")]
    assert not exports.running and len(asked) == 1


@pytest.mark.slow
def test_csv_exports_write_a_spreadsheet(corpus_window, tmp_path, monkeypatch, qtbot) -> None:
    window = corpus_window
    exports = window.exports()
    for kind, action, first in (
        ("entities", window.export_entities_action, "id"),
        ("letters", window.export_letters_action, "file"),
    ):
        out = tmp_path / f"{kind}.csv"
        answer_save_dialog(monkeypatch, out)
        with qtbot.waitSignal(exports.finished, timeout=EXPORT_TIMEOUT_MS) as done:
            action.trigger()
        assert done.args == [str(out)]
        rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        assert rows[0][0] == first
        assert len(rows) > 50
    assert window.statusBar().currentMessage() == (
        f"Saved {len(rows) - 1} row(s), one per letter, to {out}"
    )


@pytest.mark.slow
def test_a_cancelled_export_writes_nothing(corpus_window, tmp_path, monkeypatch, qtbot) -> None:
    import threading

    window = corpus_window
    exports = window.exports()
    out = tmp_path / "cancelled.csv"
    answer_save_dialog(monkeypatch, out)
    # The export waits in its thread until the test has pressed Cancel.
    pressed = threading.Event()
    from viewer.exports import csv_export

    real = csv_export.read_letters

    def waiting_read(folder, *, register_dirs=(), progress=None, cancel=None):
        assert pressed.wait(30)
        return real(folder, register_dirs=register_dirs, progress=progress, cancel=cancel)

    monkeypatch.setattr(csv_export, "read_letters", waiting_read)
    with qtbot.waitSignal(exports.finished, timeout=EXPORT_TIMEOUT_MS) as done:
        window.export_letters_action.trigger()
        cancel = window.statusBar().findChild(QToolButton, "exportCancel")
        assert cancel is not None and cancel.isVisible()
        cancel.click()
        pressed.set()
    assert done.args == [""]
    assert not out.exists()
    assert "cancelled" in window.statusBar().currentMessage()
    assert not window.statusBar().findChild(QWidget, "exportProgress").isVisible()


@pytest.mark.slow
def test_a_failed_export_write_shows_an_error(
    corpus_window, tmp_path, monkeypatch, qtbot, dialogs
) -> None:
    window = corpus_window
    out = tmp_path / "missing" / "entities.csv"
    answer_save_dialog(monkeypatch, out)
    with qtbot.waitSignal(window.exports().finished, timeout=EXPORT_TIMEOUT_MS) as done:
        window.export_entities_action.trigger()
    assert done.args == [""]
    assert not out.parent.exists()
    assert [title for title, _text, _details in dialogs] == ["Cannot save the export"]
    assert "entities.csv" in dialogs[0][1]


# ------------------------------------------------------------- panel rows


@pytest.mark.slow
def test_copy_on_a_panel_row_copies_the_name_and_authority(
    make_window, small_letter, qtbot
) -> None:
    from PySide6.QtCore import Qt

    window = make_window(small_letter)
    tree = window.panel.entities
    window.panel.tabs.setCurrentWidget(tree)
    rome = next(row for row in tree.leaves() if row.text(0).startswith("Rome"))
    menu = tree.row_menu(rome)
    texts = [action.text() for action in menu.actions()]
    assert "Copy id" in texts
    clipboard = QApplication.clipboard()
    clipboard.clear()
    menu.actions()[texts.index("Copy")].trigger()
    assert clipboard.text() == "Rome http://www.wikidata.org/entity/Q220"
    menu.deleteLater()

    # Ctrl+C on the current row, and Edit ▸ Copy with the row focused, do the same.
    bob = next(row for row in tree.leaves() if row.text(0).startswith("Bob Baker"))
    tree.setCurrentItem(bob)
    tree.setFocus()
    clipboard.clear()
    qtbot.keyClick(tree, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == "Bob Baker"
    tree.setCurrentItem(rome)
    clipboard.clear()
    window.copy()
    assert clipboard.text() == "Rome http://www.wikidata.org/entity/Q220"


@pytest.mark.slow
def test_copy_on_a_register_row_copies_the_name_and_authority_uri(corpus_window, qtbot) -> None:
    window = corpus_window
    register = window.register_panel
    assert window.session.letter is not None and not window.session.letter.entity(
        "Oppenheim-Abraham-von"
    )  # the open letter does not name him: Copy reads a letter of the collection that does
    register.search.setText("Oppenheim")
    row = next(
        row
        for row in range(register.model.rowCount())
        if register.model.entity_at(row) is not None
        and register.model.entity_at(row).id == "Oppenheim-Abraham-von"
    )
    entity = register.model.entity_at(row)
    menu = register.row_menu(entity)
    texts = [action.text() for action in menu.actions()]
    clipboard = QApplication.clipboard()
    clipboard.clear()
    menu.actions()[texts.index("Copy")].trigger()
    assert clipboard.text() == "Abraham von Oppenheim https://d-nb.info/gnd/117742147"
    menu.actions()[texts.index("Copy id")].trigger()
    assert clipboard.text() == entity.id
    with qtbot.waitSignal(register.entitiesActivated) as chosen:
        menu.actions()[texts.index("Select")].trigger()
    assert chosen.args == [[entity.id], False]
    menu.deleteLater()
