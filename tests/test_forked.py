"""viewer.forked: work in a forked worker, its answer pickled back, or None to do it here.

The test process has Qt loaded (pytest-qt), where no worker is forked, so the
workers are started from a fresh Python process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from viewer.forked import ForkedWork, fork_is_safe

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, os, sys, time
from viewer.forked import ForkedWork

def boom():
    raise ValueError("the work failed")

def discard_and_check(work):
    # How long discard() took, and whether it reaped the worker (waitpid finds no child).
    started = time.monotonic()
    pid = work._pid
    work.discard()
    answer["seconds"] = time.monotonic() - started
    try:
        os.waitpid(pid, os.WNOHANG)
        answer["reaped"] = False
    except ChildProcessError:
        answer["reaped"] = True

case = sys.argv[1]
answer = {}
if case == "answer":
    work = ForkedWork.start(lambda: {"pid": os.getpid(), "text": "Baku ✓", "big": "x" * 300_000})
    answer["forked"] = work is not None
    value = work.result()
    answer.update(other_pid=value["pid"] != os.getpid(), text=value["text"], big=len(value["big"]))
    answer["again"] = work.result()  # asked twice: the worker has already been reaped
elif case == "raises":
    work = ForkedWork.start(boom)
    answer["result"] = work.result()
elif case == "discard":
    work = ForkedWork.start(lambda: time.sleep(60))
    discard_and_check(work)
    answer["result"] = work.result()
elif case == "staged":
    go_read, go_write = os.pipe()  # the worker's last part waits for the first to arrive

    def staged(hand_over):
        hand_over({"pid": os.getpid(), "big": "y" * 300_000})
        os.read(go_read, 1)
        return "last"

    work = ForkedWork.start_staged(staged)
    first = work.part()
    os.write(go_write, b"!")
    answer.update(other_pid=first["pid"] != os.getpid(), big=len(first["big"]))
    answer["last"] = work.part()
    answer["after"] = work.part()  # the worker has been reaped after its last part
    answer["reaped"] = work._pid is None
elif case == "staged-raises":
    def staged(hand_over):
        hand_over("first")
        raise ValueError("the second part failed")

    work = ForkedWork.start_staged(staged)
    answer["parts"] = [work.part(), work.part()]
    answer["reaped"] = work._pid is None
elif case == "staged-discard":
    def staged(hand_over):
        hand_over("first")
        time.sleep(60)

    work = ForkedWork.start_staged(staged)
    answer["first"] = work.part()
    discard_and_check(work)
    answer["more"] = work.part()
print(json.dumps(answer))
"""


def run(case: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, case], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # a failing worker prints no traceback
    return json.loads(result.stdout)


@pytest.mark.e2e
def test_the_worker_answers_from_another_process():
    answer = run("answer")
    assert answer == {
        "forked": True,
        "other_pid": True,
        "text": "Baku ✓",
        "big": 300_000,  # more than a pipe holds: the worker waits for the reader
        "again": None,
    }


@pytest.mark.e2e
def test_work_that_raises_answers_none_silently():
    assert run("raises") == {"result": None}


@pytest.mark.e2e
def test_a_discarded_worker_is_ended_and_reaped_at_once():
    answer = run("discard")
    assert answer["seconds"] < 30 and answer["reaped"] and answer["result"] is None


@pytest.mark.e2e
def test_a_staged_worker_hands_each_part_over_as_soon_as_it_is_ready():
    answer = run("staged")
    # The first part arrived while the worker still waited (for the parent's word).
    assert answer == {
        "other_pid": True,
        "big": 300_000,
        "last": "last",
        "after": None,
        "reaped": True,
    }


@pytest.mark.e2e
def test_a_staged_worker_that_fails_after_a_part_answers_none_for_the_rest():
    assert run("staged-raises") == {"parts": ["first", None], "reaped": True}
    answer = run("staged-discard")
    assert answer["first"] == "first" and answer["seconds"] < 30
    assert answer["reaped"] and answer["more"] is None


def test_no_fork_with_qt_loaded_or_another_thread(monkeypatch):
    monkeypatch.setitem(sys.modules, "PySide6.QtCore", sys.modules.get("PySide6.QtCore", sys))
    assert not fork_is_safe()
    assert ForkedWork.start(lambda: 1) is None
    assert ForkedWork.start_staged(lambda hand_over: 1) is None
    monkeypatch.delitem(sys.modules, "PySide6.QtCore")
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not fork_is_safe()
        assert ForkedWork.start(lambda: 1) is None
    finally:
        release.set()
        other.join()


def test_a_fork_that_fails_leaves_the_work_to_the_caller(monkeypatch):
    import os

    import viewer.forked

    def refuse():
        raise BlockingIOError(11, "Resource temporarily unavailable")

    opened: list[int] = []
    real_pipe = os.pipe

    def pipe():
        ends = real_pipe()
        opened.extend(ends)
        return ends

    monkeypatch.setattr(viewer.forked, "fork_is_safe", lambda: True)
    monkeypatch.setattr(os, "fork", refuse)
    monkeypatch.setattr(os, "pipe", pipe)
    assert ForkedWork.start(lambda: 1) is None
    for end in opened:  # both ends of the pipe were closed again
        with pytest.raises(OSError):
            os.fstat(end)
