"""The crash handler: an unexpected exception is logged and shown, and the window lives on.

:func:`install` replaces ``sys.excepthook`` (PySide6 routes exceptions raised
in slots and event handlers there). The traceback is appended to
``crash.log`` in the user's log directory (``viewer.settings.log_dir()``:
appdirs' user_log_dir, or $EPISTOLA_LOG_DIR), and a dialog shows it with the
details to copy. Without a user to answer a dialog (``interactive=False``:
screenshots, benchmarks) the report goes to stderr instead.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from viewer import __version__

LOG_NAME = "crash.log"
MAX_LOG_BYTES = 1024 * 1024  # rotate once: crash.log -> crash.log.1


def log_path() -> Path:
    from viewer.settings import log_dir

    return log_dir() / LOG_NAME


def write_log(details: str) -> Path | None:
    """Append ``details`` to the crash log; None when it cannot be written."""
    import datetime  # here, not at start-up: only a crash needs it

    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > MAX_LOG_BYTES:
            os.replace(path, path.with_name(LOG_NAME + ".1"))
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(f"=== {stamp} Epistola {__version__} (Python {sys.version.split()[0]})\n")
            stream.write(details.rstrip("\n") + "\n\n")
    except OSError:
        return None
    return path


class CrashHandler:
    """The installed hook; keeps the previous one to restore."""

    def __init__(
        self,
        parent_getter: Callable[[], object] = lambda: None,
        interactive: bool = True,
    ) -> None:
        self.parent_getter = parent_getter
        self.interactive = interactive
        self.previous = sys.excepthook
        self.reports: list[str] = []  # what was reported this session, newest last
        self._showing = False

    def __call__(
        self,
        kind: type[BaseException],
        value: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(kind, KeyboardInterrupt):
            self.previous(kind, value, tb)
            return
        import traceback

        details = "".join(traceback.format_exception(kind, value, tb))
        self.reports.append(details)
        path = write_log(details)
        summary = f"{kind.__name__}: {value}"
        if not self.interactive or self._showing:
            # A second exception while the dialog is up (or no one to click it): stderr only.
            sys.stderr.write(details)
            if path is not None:
                sys.stderr.write(f"epistola: the details were saved to {path}\n")
            return
        self._showing = True
        try:
            from viewer.gui.dialogs import show_crash

            show_crash(self.parent_getter(), summary, details, str(path) if path else None)
        except Exception:  # the dialog itself failed: stderr still gets the report
            sys.stderr.write(details)
        finally:
            self._showing = False


def install(parent_getter: Callable[[], object] = lambda: None, interactive: bool = True):
    handler = CrashHandler(parent_getter, interactive)
    sys.excepthook = handler
    return handler


def uninstall(handler: CrashHandler) -> None:
    if sys.excepthook is handler:
        sys.excepthook = handler.previous
