"""Print, PDF, CMIF and CSV in the window: the dialogs and the background export runner.

Owns what File ▸ Print…, File ▸ Export ▸ … and Edit ▸ Copy Citation do once
chosen: the print preview (:class:`QPrintPreviewDialog`, whose pages come
from :func:`viewer.gui.printing.print_letter`), the PDF file dialog (A4 or
US Letter, the system locale's size first), the CMIF options dialog
(:class:`CmifDialog`), and :class:`Exports`, which reads a collection for
CMIF or CSV on a QThread (an :class:`viewer.gui.collection_ui.IndexJob`),
shows its progress with a Cancel button in the status bar, writes the file
atomically with :func:`viewer.exports.write_export` and reports.

File dialogs ask before overwriting; a cancelled export writes nothing; a
failed write is an error dialog and leaves any existing file as it was.
The window imports this module when one of these actions is first used,
never before its first paint; the printing and export modules are imported
here only inside the methods that need them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLocale, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QStatusBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

PDF_FILTERS = {"A4": "PDF, A4 pages (*.pdf)", "Letter": "PDF, US Letter pages (*.pdf)"}
CSV_FILTER = "CSV spreadsheets (*.csv)"
CMIF_FILTER = "CMIF (TEI XML) (*.xml)"
REPORT_LINES = 6  # shown in the report's text; every line is in its details


def default_page_size(locale: QLocale | None = None) -> str:
    """US Letter where the locale measures in US units, A4 everywhere else."""
    locale = locale or QLocale.system()
    imperial = locale.measurementSystem() == QLocale.MeasurementSystem.ImperialUSSystem
    return "Letter" if imperial else "A4"


def _with_suffix(path: str, suffix: str) -> str:
    return path if Path(path).suffix else path + suffix


class CmifDialog(QDialog):
    """Title, editor and URL of the CMIF file; a blank field: taken from the letters."""

    def __init__(
        self, parent: QWidget | None, title: str = "", editor: str = "", url: str = ""
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export the collection as CMIF")
        intro = QLabel(
            "CMIF is the format correspSearch harvests. A blank field is taken from the "
            "letters' headers where they all agree."
        )
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        self.title_edit = QLineEdit(title)
        self.title_edit.setPlaceholderText("From the letters' headers")
        self.title_edit.setAccessibleName("Title of the CMIF file")
        self.editor_edit = QLineEdit(editor)
        self.editor_edit.setPlaceholderText("From the letters' headers")
        self.editor_edit.setAccessibleName("Editor or publisher")
        self.url_edit = QLineEdit(url)
        self.url_edit.setPlaceholderText("https://… (where the CMIF file will be published)")
        self.url_edit.setAccessibleName("URL of the CMIF file")
        form = QFormLayout()
        form.addRow("&Title:", self.title_edit)
        form.addRow("&Editor:", self.editor_edit)
        form.addRow("&URL:", self.url_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export…")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(460, self.sizeHint().height())

    def values(self) -> tuple[str, str, str]:
        return (
            self.title_edit.text().strip(),
            self.editor_edit.text().strip(),
            self.url_edit.text().strip(),
        )


class Exports(QObject):
    """Print, PDF, CMIF and CSV for one window (built by it the first time one is used).

    ``finished`` is emitted when an export or PDF has ended, with the path
    written ("" when nothing was: cancelled, refused or failed); tests wait on it.
    """

    finished = Signal(str)

    def __init__(
        self,
        parent: QWidget,
        session,
        *,
        folder: Callable[[], str | None],
        register_dirs: Callable[[], list[str]],
        status: Callable[[str], None],
        status_bar: QStatusBar,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self.session = session
        self._folder = folder
        self._register_dirs = register_dirs
        self._status = status
        self._status_bar = status_bar
        self._job = None  # the running IndexJob
        self._jobs: list = []  # kept alive until their threads end
        self._what = ""
        self._on_result: Callable[[object], None] | None = None
        self._cmif_values = ("", "", "")
        self._last_dir: str | None = None
        self._progress_widget: QWidget | None = None
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ------------------------------------------------------------ the letter
    def _print_options(self, page_size: str):
        from viewer.gui.printing import PrintOptions

        session = self.session
        return PrintOptions(
            selected=tuple(sorted(session.selection)),
            page_size=page_size,
            hidden_kinds=frozenset(session.hidden_kinds),
        )

    def print_letter(self) -> None:
        """The print preview of the letter as shown; printing goes from there."""
        if self.session.letter is None:
            return
        # A long letter opening in two stages is printed whole, once it is.
        self.session.when_complete(self._preview)

    def _preview(self) -> None:
        from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog

        letter = self.session.letter
        if letter is None:
            return
        options = self._print_options(default_page_size())
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(letter.title)
        dialog = QPrintPreviewDialog(printer, self._parent)
        dialog.setWindowTitle(f"Print — {letter.title}")
        failures: list[str] = []

        def paint(device) -> None:
            from viewer.errors import EpistolaError
            from viewer.gui.printing import print_letter

            try:
                print_letter(letter, device, options)
            except EpistolaError as error:
                failures.append(str(error))

        dialog.paintRequested.connect(paint)
        dialog.exec()
        dialog.deleteLater()
        if failures:
            from viewer.gui.dialogs import show_error

            show_error(self._parent, "Cannot print the letter", failures[-1])

    def export_pdf(self) -> None:
        letter = self.session.letter
        if letter is None:
            return
        page_size = default_page_size()
        start = os.path.join(self._start_dir(), Path(letter.file).stem + ".pdf")
        filters = [PDF_FILTERS[page_size]] + [f for k, f in PDF_FILTERS.items() if k != page_size]
        path, chosen = QFileDialog.getSaveFileName(
            self._parent, "Export the letter as PDF", start, ";;".join(filters), filters[0]
        )
        if not path:
            return
        path = self._suffixed(path, ".pdf")
        if not path:
            return
        sizes = {text: size for size, text in PDF_FILTERS.items()}
        page_size = sizes.get(chosen, page_size)
        self._last_dir = str(Path(path).parent)
        self.session.when_complete(lambda: self._write_pdf(path, page_size))

    def _write_pdf(self, path: str, page_size: str) -> None:
        from viewer.errors import EpistolaError
        from viewer.gui.printing import write_pdf

        letter = self.session.letter
        if letter is None:
            self.finished.emit("")
            return
        try:
            write_pdf(letter, path, self._print_options(page_size))
        except EpistolaError as error:
            from viewer.gui.dialogs import show_error

            show_error(self._parent, "Cannot export the letter as PDF", str(error))
            self.finished.emit("")
            return
        self._status(f"Saved the letter as {path} ({page_size} pages)")
        self.finished.emit(path)

    def copy_citation(self) -> str:
        """Put the letter's citation line on the clipboard; the line ("" without a letter)."""
        from viewer.gui.printing import citation

        letter = self.session.letter
        if letter is None:
            return ""
        text = citation(letter)
        QGuiApplication.clipboard().setText(text)
        self._status("Copied the citation")
        return text

    # -------------------------------------------------------- the collection
    def export_cmif(self) -> None:
        folder = self._folder()
        if folder is None or self._busy():
            return
        dialog = CmifDialog(self._parent, *self._cmif_values)
        accepted = dialog.exec() == QDialog.DialogCode.Accepted
        values = dialog.values()
        dialog.deleteLater()
        if not accepted:
            return
        self._cmif_values = values
        name = f"{Path(folder).name or 'collection'}-cmif.xml"
        path = self._ask_path("Export the collection as CMIF", name, CMIF_FILTER, ".xml")
        if not path:
            return
        from viewer.exports.cmif import CmifOptions

        title, editor, url = values
        options = CmifOptions(title=title or None, editor=editor or None, url=url or None)
        register_dirs = self._register_dirs()

        def work(progress, cancel):
            from viewer.exports.cmif import export_cmif

            return export_cmif(
                folder, options, register_dirs=register_dirs, progress=progress, cancel=cancel
            )

        self._start("CMIF", work, lambda result: self._save_cmif(path, result))

    def export_csv(self, kind: str) -> None:
        folder = self._folder()
        if folder is None or self._busy():
            return
        name = f"{Path(folder).name or 'collection'}-{kind}.csv"
        path = self._ask_path(f"Export the {kind} as CSV", name, CSV_FILTER, ".csv")
        if not path:
            return
        register_dirs = self._register_dirs()

        def work(progress, cancel):
            from viewer.exports.csv_export import export_csv

            return export_csv(
                kind, folder, register_dirs=register_dirs, progress=progress, cancel=cancel
            )

        self._start(f"{kind} CSV", work, lambda result: self._save_csv(path, kind, result))

    def _save_cmif(self, path: str, result) -> None:
        if not self._write(path, result.data):
            return
        lines = result.report.lines()
        box = QMessageBox(self._parent)
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle("CMIF export")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"Saved {path}.\n\n" + "\n".join(lines[:REPORT_LINES]))
        if len(lines) > REPORT_LINES:
            box.setInformativeText(f"{len(lines) - REPORT_LINES} more line(s) in the details.")
        box.setDetailedText("\n".join(lines))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.exec()
        box.deleteLater()
        self._status(f"Saved the CMIF file {path}")
        self.finished.emit(path)

    def _save_csv(self, path: str, kind: str, result) -> None:
        if not self._write(path, result.data):
            return
        one = {"entities": "entity", "letters": "letter"}.get(kind, kind)
        message = f"Saved {result.rows:,} row(s), one per {one}, to {path}"
        if result.errors:
            from viewer.gui.dialogs import show_error

            skipped = "\n".join(f"{file}: {reason}" for file, reason in result.errors)
            show_error(
                self._parent,
                "CSV export",
                f"{message}.\n\n{len(result.errors)} file(s) could not be read and were left out.",
                skipped,
            )
        self._status(message)
        self.finished.emit(path)

    def _write(self, path: str, data: bytes) -> bool:
        from viewer.errors import EpistolaError
        from viewer.exports import write_export

        try:
            write_export(path, data)
        except EpistolaError as error:
            from viewer.gui.dialogs import show_error

            show_error(self._parent, "Cannot save the export", str(error))
            self.finished.emit("")
            return False
        return True

    # ----------------------------------------------------------- the runner
    def _busy(self) -> bool:
        if self._job is not None:
            self._status(f"The {self._what} export is still running")
            return True
        return False

    @property
    def running(self) -> bool:
        return self._job is not None

    def _start(self, what: str, work, on_result: Callable[[object], None]) -> None:
        from viewer.gui.collection_ui import IndexJob

        job = IndexJob(work)
        job.thread.setObjectName("epistola-export")
        # Bound methods of this object (GUI thread): the job's signals arrive queued.
        job.progress.connect(self._progress)
        job.finished.connect(self._finished)
        job.failed.connect(self._failed)
        job.thread.finished.connect(self._threads_done)
        self._job, self._what, self._on_result = job, what, on_result
        self._jobs.append(job)
        self._show_progress(0, 0)
        self._status(f"Exporting {what}…")
        job.start()

    def cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _progress(self, job, done: int, total: int) -> None:
        if job is self._job:
            self._show_progress(done, total)

    def _finished(self, job, result) -> None:
        if job is not self._job:
            return
        on_result = self._end()
        if job.cancelled:
            self._status(f"{self._what} export cancelled; nothing was written")
            self.finished.emit("")
            return
        if on_result is not None:
            on_result(result)

    def _failed(self, job, message: str) -> None:
        if job is not self._job:
            return
        self._end()
        if job.cancelled:  # stopped before any letter was read: "no letters" is no failure
            self._status(f"{self._what} export cancelled; nothing was written")
            self.finished.emit("")
            return
        from viewer.gui.dialogs import show_error

        self._status(f"The {self._what} export failed")
        show_error(self._parent, f"Cannot export {self._what}", message)
        self.finished.emit("")

    def _end(self) -> Callable[[object], None] | None:
        on_result, self._on_result, self._job = self._on_result, None, None
        if self._progress_widget is not None:
            self._progress_widget.hide()
        return on_result

    def _threads_done(self) -> None:
        self._jobs = [job for job in self._jobs if not job.thread.isFinished()]

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Cancel a running export and wait for its thread (the application is quitting)."""
        for job in list(self._jobs):
            job.stop(timeout_ms)

    def _show_progress(self, done: int, total: int) -> None:
        widget = self._progress_widget
        if widget is None:
            widget = QWidget()
            widget.setObjectName("exportProgress")
            bar = QProgressBar(widget)
            bar.setObjectName("exportProgressBar")
            bar.setMaximumWidth(160)
            bar.setAccessibleName("Export progress")
            cancel = QToolButton(widget)
            cancel.setText("Cancel")
            cancel.setObjectName("exportCancel")
            cancel.setAccessibleName("Cancel the export")
            cancel.clicked.connect(self.cancel)
            layout = QHBoxLayout(widget)
            layout.setContentsMargins(0, 0, 0, 0)
            layout.addWidget(bar)
            layout.addWidget(cancel)
            self._status_bar.addPermanentWidget(widget)
            self._progress_widget = widget
        bar = widget.findChild(QProgressBar)
        bar.setMaximum(max(total, 0))
        bar.setValue(done if total else 0)
        bar.setFormat(f"{self._what}: %v / %m" if total else f"{self._what}…")
        widget.show()

    # --------------------------------------------------------------- helpers
    def _start_dir(self) -> str:
        return self._last_dir or str(Path.home())

    def _ask_path(self, caption: str, name: str, file_filter: str, suffix: str) -> str:
        start = os.path.join(self._start_dir(), name)
        path, _chosen = QFileDialog.getSaveFileName(self._parent, caption, start, file_filter)
        if not path:
            return ""
        self._last_dir = str(Path(path).parent)
        return self._suffixed(path, suffix)

    def _suffixed(self, path: str, suffix: str) -> str:
        """``path`` with ``suffix`` when it has none; "" when that names a file the user
        would not replace (the file dialog asked about the name typed, not this one)."""
        full = _with_suffix(path, suffix)
        if full == path or not os.path.exists(full):
            return full
        answer = QMessageBox.question(
            self._parent,
            "Replace the file?",
            f"{full} already exists. Replace it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return full if answer == QMessageBox.StandardButton.Yes else ""


__all__ = ["CmifDialog", "Exports", "default_page_size"]
