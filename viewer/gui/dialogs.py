"""Dialogs: the About box, error messages and the crash report.

Imported lazily (the first frame needs none of it). Every text that comes
from a file or an exception is shown as plain text.
"""

from __future__ import annotations

import html
import platform

from PySide6 import __version__ as PYSIDE_VERSION
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from viewer import __version__

ABOUT = """\
<h3>Epistola {version}</h3>
<p>A desktop viewer for letters encoded in TEI XML: named entities highlighted
by kind, the sender's letterhead beside the text, and click-to-filter.</p>
<p>Python {python} · Qt {qt} · PySide6 {pyside}</p>
<p>MIT licence.</p>"""


def show_about(parent: QWidget | None) -> None:
    text = ABOUT.format(
        version=html.escape(__version__),
        python=html.escape(platform.python_version()),
        qt=html.escape(qVersion()),
        pyside=html.escape(PYSIDE_VERSION),
    )
    box = QMessageBox(parent)
    box.setWindowTitle("About Epistola")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(text)
    icon = parent.windowIcon() if parent is not None else None
    if icon is not None and not icon.isNull():
        box.setIconPixmap(icon.pixmap(64, 64))
    box.exec()


def show_error(parent: QWidget | None, title: str, message: str, details: str = "") -> None:
    """A modal error with ``message`` shown literally (never as markup)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(message)
    if details:
        box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.exec()


def show_crash(parent: QWidget | None, summary: str, details: str, log_path: str | None) -> None:
    """The crash report: what happened, where it was logged, the traceback to copy."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("Epistola ran into a problem")
    box.setTextFormat(Qt.TextFormat.PlainText)
    text = f"Something went wrong inside Epistola:\n\n{summary}\n\nThe window stays usable."
    if log_path:
        text += f"\nThe details were saved to {log_path}."
    box.setText(text)
    box.setInformativeText("Please include the details below when you report this problem.")
    box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.exec()


def show_notice(parent: QWidget | None, title: str, lines: list[str]) -> QMessageBox:
    """A non-modal notice (settings warnings): shown, not waited for."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText("\n\n".join(lines))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setWindowModality(Qt.WindowModality.NonModal)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.show()
    return box
