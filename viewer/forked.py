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

:meth:`ForkedWork.start_staged` hands the answer over in parts, each as soon
as it is ready (:meth:`ForkedWork.part`): the caller goes on with the first
while the worker works out the next.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import sys
import threading
from collections.abc import Callable
from typing import BinaryIO, Generic, TypeVar

from viewer.gcpause import paused_gc

T = TypeVar("T")

# Before each of a staged worker's parts: its pickle's length and whether it is the last.
_HEAD = struct.Struct("!Q?")


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
        self._reader: BinaryIO | None = None  # a staged worker's pipe, once read from

    @classmethod
    def start(cls, work: Callable[[], T]) -> ForkedWork[T] | None:
        """Fork a worker running ``work``; None (nothing started) where forking is unsafe."""

        def answer(pipe: BinaryIO) -> None:
            with paused_gc():
                data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
            pipe.write(data)

        return cls._fork(answer)

    @classmethod
    def start_staged(
        cls, work: Callable[[Callable[[object], None]], object]
    ) -> ForkedWork[object] | None:
        """Fork a worker running ``work(hand_over)``: each ``hand_over(part)`` sends ``part``
        at once, and what ``work`` returns is the last part. None where forking is unsafe.

        Read the parts in order with :meth:`part`; :meth:`discard` the worker when no more
        are wanted.
        """

        def answer(pipe: BinaryIO) -> None:
            def send(part: object, last: bool) -> None:
                data = pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)
                pipe.write(_HEAD.pack(len(data), last))
                pipe.write(data)
                pipe.flush()

            with paused_gc():
                send(work(lambda part: send(part, False)), True)

        return cls._fork(answer)

    @classmethod
    def _fork(cls, answer: Callable[[BinaryIO], None]) -> ForkedWork | None:
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
                with os.fdopen(writable, "wb") as pipe:
                    answer(pipe)
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

    def part(self) -> object | None:
        """A staged worker's next part (waiting for it); None, the worker reaped, if it
        raised or died before sending it. After the last part the worker is reaped."""
        if self._pid is None:
            return None
        if self._reader is None:
            self._reader = os.fdopen(self._pipe, "rb")
        try:
            head = self._reader.read(_HEAD.size)
            if len(head) == _HEAD.size:
                size, last = _HEAD.unpack(head)
                data = self._reader.read(size)
                if len(data) == size:
                    # Unpickled before the worker is reaped, as in result().
                    with paused_gc():
                        value = pickle.loads(data)
                    if last:
                        self._close_reader()
                        self._reap()
                    return value
        except Exception:  # a half-written part: the caller does the work itself
            pass
        self._close_reader()
        self._reap()
        return None

    def _close_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            with contextlib.suppress(OSError):
                reader.close()

    def discard(self) -> None:
        """End the worker if it still runs, without waiting for its answer."""
        if self._pid is None:
            return
        import signal  # here: a start that takes its letter (the usual one) never needs it

        with contextlib.suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)
        if self._reader is not None:
            self._close_reader()
        else:
            os.close(self._pipe)
        self._reap()

    def _reap(self) -> None:
        pid, self._pid = self._pid, None
        if pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


__all__ = ["ForkedWork", "fork_is_safe"]
