"""Work done in a forked worker process while this process does something else.

Starting the window (or ``--pdf``) spends a few hundred milliseconds
importing PySide6 on one core while the machine has at least two: a forked
worker can read the letter meanwhile. :class:`ForkedWork` runs one function
in such a worker and hands its answer back pickled through a pipe.

A fork is only made where it is safe: ``os.fork`` exists, Qt is not loaded
yet and no other thread runs (a forked copy of a running Qt or of another
thread's locks can deadlock). The worker never returns into the caller's
code: it ends with ``os._exit`` whatever happens, so no ``atexit`` handler,
buffered output or ``finally`` of the caller runs twice. When the work
raises, or the worker dies, :meth:`ForkedWork.result` answers ``None``:
the caller does the work itself, where any error shows as it always does.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from viewer.gcpause import paused_gc

T = TypeVar("T")


def fork_is_safe() -> bool:
    """Whether this process may fork a worker: fork exists, no Qt, no other thread."""
    if not hasattr(os, "fork") or "PySide6.QtCore" in sys.modules:
        return False
    return threading.active_count() == 1


class ForkedWork(Generic[T]):
    """``work()`` running in a forked worker; :meth:`result` waits for its answer."""

    def __init__(self, pid: int, pipe: int) -> None:
        self._pid: int | None = pid
        self._pipe = pipe

    @classmethod
    def start(cls, work: Callable[[], T]) -> ForkedWork[T] | None:
        """Fork a worker running ``work``; None (nothing started) where forking is unsafe."""
        if not fork_is_safe():
            return None
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is forked into the worker
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.flush()
        try:
            readable, writable = os.pipe()
        except OSError:  # out of file descriptors: the caller does the work itself
            return None
        try:
            pid = os.fork()
        except OSError:  # out of processes or memory: likewise
            os.close(readable)
            os.close(writable)
            return None
        if pid == 0:  # the worker: answer and end, never return into the caller
            code = 1
            try:
                os.close(readable)
                with paused_gc():
                    data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(writable, "wb") as pipe:
                    pipe.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(writable)
        return cls(pid, readable)

    def result(self) -> T | None:
        """The worker's answer (waiting for it); None if it raised, died or was discarded."""
        if self._pid is None:
            return None
        try:
            with os.fdopen(self._pipe, "rb") as pipe:
                data = pipe.read()
            if not data:
                return None
            # Unpickled before the worker is reaped: it is still freeing its memory.
            with paused_gc():
                return pickle.loads(data)
        except Exception:  # a half-written answer: the caller does the work itself
            return None
        finally:
            self._reap()

    def discard(self) -> None:
        """End the worker if it still runs, without waiting for its answer."""
        if self._pid is None:
            return
        import signal  # here: a start that takes its letter (the usual one) never needs it

        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)
        os.close(self._pipe)
        self._reap()

    def _reap(self) -> None:
        pid, self._pid = self._pid, None
        if pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


__all__ = ["ForkedWork", "fork_is_safe"]
