"""The session's Qt bridge: its events as signals, and its runner's threads."""

from __future__ import annotations

import threading

import pytest

from viewer.gui.bridge import SessionBridge
from viewer.model import Letter, StagedLetter
from viewer.session import Session

pytestmark = pytest.mark.gui


def test_the_runner_works_in_a_thread_and_answers_in_the_gui_thread(qtbot) -> None:
    bridge = SessionBridge()
    answered: list[tuple[str, str]] = []
    bridge.run(
        lambda: threading.current_thread().name,
        lambda worker: answered.append((worker, threading.current_thread().name)),
    )
    assert answered == []  # started once the event loop is back, never inside the caller
    qtbot.waitUntil(lambda: bool(answered), timeout=10_000)
    assert answered == [("epistola-read-rest", threading.main_thread().name)]


def test_session_events_arrive_as_signals(qtbot) -> None:
    whole = Letter(file="a.xml", title="A", text="whole text")
    first = Letter(file="a.xml", title="A", text="whole")
    bridge = SessionBridge()
    session = Session(
        lambda path, reading, staged=False: StagedLetter(first, lambda: whole),
        runner=bridge.run,
    )
    bridge.relay(session)
    shown, selections, moves = [], [], []
    bridge.letterShown.connect(shown.append)
    bridge.selectionChanged.connect(selections.append)
    bridge.caretMoved.connect(moves.append)
    with qtbot.waitSignal(bridge.letterCompleted, timeout=10_000) as completed:
        assert session.open("a.xml")
        assert shown == [first] and not session.complete
    assert completed.args == [whole]
    assert session.complete and session.letter is whole
    session.select(["x"])
    session.move_caret(3)
    assert selections[-1] == {"x"} and moves == [3]
