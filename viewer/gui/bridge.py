"""The one bridge between the Qt-free session and Qt: session events as signals, a thread runner.

:class:`SessionBridge` relays every event of a :class:`viewer.session.Session`
as a Qt signal of the same meaning (so a widget connects to it like to any
other signal), and is the session's runner: :meth:`SessionBridge.run` starts
the work after the current event (the first part of a long letter is painted
first) in a daemon thread and hands the outcome back on the GUI thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot


class SessionBridge(QObject):
    """Session events as Qt signals; built before the session, whose runner it is."""

    letterShown = Signal(object)  # Letter (session.complete: whole or first part)
    letterCompleted = Signal(object)  # Letter: the whole of a letter opened in two stages
    restFailed = Signal(object)  # viewer.session.RestFailure
    selectionChanged = Signal(object)  # frozenset[str]
    readingChanged = Signal(str)
    kindVisibilityChanged = Signal(str, bool)
    collectionChanged = Signal(object)  # CollectionIndex or None
    matchModeChanged = Signal(bool)
    caretMoved = Signal(int)
    _delivered = Signal(object, object)  # (done, outcome), from the worker thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._delivered.connect(self._deliver)

    def relay(self, session) -> None:
        """Emit this bridge's signal for each of ``session``'s events."""
        relayed = {
            "letter_shown": self.letterShown,
            "letter_completed": self.letterCompleted,
            "rest_failed": self.restFailed,
            "selection_changed": self.selectionChanged,
            "reading_changed": self.readingChanged,
            "kind_visibility_changed": self.kindVisibilityChanged,
            "collection_changed": self.collectionChanged,
            "match_mode_changed": self.matchModeChanged,
            "caret_moved": self.caretMoved,
        }
        for event, signal in relayed.items():
            session.listen(event, signal.emit)

    def run(self, work: Callable[[], object], done: Callable[[object], None]) -> None:
        """The session's runner: ``work()`` in a thread once the event loop is back."""
        report = self._delivered

        def in_thread() -> None:
            outcome = work()
            # The bridge may be gone by now (the program ending): then PySide raises
            # RuntimeError or TypeError here, and nobody waits for this.
            with contextlib.suppress(RuntimeError, TypeError):
                report.emit(done, outcome)

        def start() -> None:
            threading.Thread(target=in_thread, name="epistola-read-rest", daemon=True).start()

        QTimer.singleShot(0, self, start)

    @Slot(object, object)
    def _deliver(self, done: Callable[[object], None], outcome: object) -> None:
        # A method of this QObject, so that Qt queues the call to the GUI thread.
        done(outcome)
