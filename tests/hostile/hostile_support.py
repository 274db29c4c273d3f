"""Tripwires, runners, builders and fixtures shared by the hostile-input tests.

tests/hostile is a package so that its conftest is imported as
``hostile.conftest``: tests/gui's modules do ``from conftest import ...``, and a
second top-level ``conftest`` module would shadow theirs.

Every test here proves a negative ("nothing else was read", "the network was
not touched"), so each negative has a detector that would fire:

- ``marker``: a file holding a unique secret; no output may ever contain it.
- ``fifo``: a named pipe. A parser that opens it blocks in ``open()`` until a
  writer appears; a thread keeps trying to open the write end without
  blocking, which only succeeds while someone holds the read end. If it ever
  succeeds it records the fact and writes the secret, so nothing hangs and the
  secret would reach the output too.
- ``listener``: a TCP socket on 127.0.0.1 that counts connections.
- ``watch``: inotify on the folder that holds the marker (and a real PNG),
  reporting every open or read of a file in it, by this process or any other.
  The pipe cannot serve in-process Qt tests: Qt keeps the GIL while it blocks
  in ``open()``, so the tripwire thread could never answer and the test would
  hang instead of failing.

``run_epistola`` runs ``python main.py ...`` as the user does, with a hang
guard, and follows the child's peak memory (VmHWM in /proc/PID/status, polled
while it runs). Not ``ru_maxrss``: on Linux a child's maxrss starts at its
parent's resident size at fork, so under a big pytest process it measures the
parent, not the child.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
import struct
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TEI_NS = "http://www.tei-c.org/ns/1.0"
HANG_GUARD_SECONDS = 20  # a hang guard, not a performance measurement
MAX_GROWTH_MB = 300  # "grows memory by no more than a few hundred MB"


def tei(body: str, *, prolog: str = "", header: str = "") -> bytes:
    """A minimal TEI letter with ``body`` inside <body><p>…</p></body>."""
    return (
        f'{prolog}<TEI xmlns="{TEI_NS}" xmlns:xi="http://www.w3.org/2001/XInclude">'
        f"<teiHeader><fileDesc><titleStmt><title>Hostile</title></titleStmt>{header}"
        "</fileDesc></teiHeader>"
        f"<text><body><p>{body}</p></body></text></TEI>"
    ).encode()


@pytest.fixture
def secret() -> str:
    return f"EPISTOLA-SECRET-{uuid.uuid4().hex}"


@pytest.fixture
def marker(tmp_path: Path, secret: str) -> Path:
    """A file outside the letter whose content must never show up anywhere.

    Its text is also a valid DTD declaring an entity with the secret, so that a
    parser that did load it as a DTD and expand entities would print the secret.
    """
    path = tmp_path / "private" / "marker.txt"
    path.parent.mkdir()
    path.write_text(f'<!ENTITY leak "{secret}">\n<!-- {secret} -->\n', encoding="utf-8")
    return path


# A 1x1 transparent PNG: something Qt would happily load if it ever rendered an <img>.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082"
)

_IN_ACCESS, _IN_OPEN, _IN_ISDIR = 0x1, 0x20, 0x40000000
_IN_NONBLOCK, _IN_CLOEXEC = os.O_NONBLOCK, getattr(os, "O_CLOEXEC", 0)


class FileWatch:
    """Every open or read of a file inside ``folder`` (Linux inotify, through ctypes)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.events: list[str] = []
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        self._fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if self._fd < 0:
            pytest.skip("inotify is not available")
        watch = libc.inotify_add_watch(self._fd, os.fsencode(folder), _IN_OPEN | _IN_ACCESS)
        if watch < 0:
            os.close(self._fd)
            pytest.skip("inotify cannot watch the temporary folder")

    def opened(self) -> list[str]:
        """Names of files opened or read since the watch began (folders listed are not counted)."""
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                break
            offset = 0
            while offset < len(data):
                _wd, mask, _cookie, size = struct.unpack_from("iIII", data, offset)
                name = data[offset + 16 : offset + 16 + size].rstrip(b"\0").decode()
                offset += 16 + size
                if not mask & _IN_ISDIR:
                    self.events.append(name)
        return self.events

    def close(self) -> None:
        os.close(self._fd)


@pytest.fixture
def watch(marker: Path):
    """Watches the marker's folder; a real PNG sits beside the marker for <img> tests."""
    (marker.parent / "picture.png").write_bytes(PNG_1X1)
    watcher = FileWatch(marker.parent)
    yield watcher
    watcher.close()


class FifoTripwire:
    def __init__(self, path: Path, secret: str) -> None:
        self.path = path
        self.secret = secret
        self.opened = 0
        self._stop = threading.Event()
        os.mkfifo(path)
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                descriptor = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: nobody has the read end open
                time.sleep(0.005)
                continue
            self.opened += 1
            try:
                os.write(descriptor, f'<!ENTITY leak "{self.secret}">{self.secret}'.encode())
            except OSError:
                pass
            finally:
                os.close(descriptor)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture
def fifo(tmp_path: Path, secret: str):
    tripwire = FifoTripwire(tmp_path / "private-pipe", secret)
    yield tripwire
    tripwire.close()


class Listener:
    """A TCP server on 127.0.0.1 that only counts who connects."""

    def __init__(self) -> None:
        self.connections = 0
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.settimeout(0.05)
        self.port = self._socket.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._socket.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@dataclass
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: str
    seconds: float
    maxrss_mb: float

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.splitlines()


def run_epistola(
    *args: str, timeout: float = HANG_GUARD_SECONDS, cwd: Path = REPO, fail_on_timeout=True
) -> Run | None:
    """``python main.py *args`` in its own process; fails the test if it hangs.

    With ``fail_on_timeout=False`` a hang returns None instead (for xfail tests).
    """
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONDONTWRITEBYTECODE="1")
    out_dir = Path(os.environ.get("TMPDIR", "/tmp"))
    with (
        open(out_dir / f"epistola-{uuid.uuid4().hex}.out", "w+b") as out,
        open(out_dir / f"epistola-{uuid.uuid4().hex}.err", "w+b") as err,
    ):
        try:
            start = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, str(REPO / "main.py"), *args],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
            peak_kb = 0
            while True:
                peak_kb = max(peak_kb, _peak_kb(process.pid))
                pid, status, _usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() - start > timeout:
                    process.kill()
                    os.wait4(process.pid, 0)
                    if not fail_on_timeout:
                        return None
                    pytest.fail(f"epistola {' '.join(args)} still running after {timeout} s")
                time.sleep(0.005)
            seconds = time.monotonic() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read().decode("utf-8", "replace")
        finally:
            os.unlink(out.name)
            os.unlink(err.name)
    return Run(args, process.returncode, stdout, stderr, seconds, peak_kb / 1024)


def _peak_kb(pid: int) -> int:
    """The process's resident high-water mark in kB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


@pytest.fixture(scope="session")
def baseline_rss(tmp_path_factory) -> float:
    """Peak memory of ``--dump`` on a tiny letter: what a child needs before any attack."""
    path = tmp_path_factory.mktemp(".baseline") / "tiny.xml"
    path.write_bytes(tei("Dear friend,"))
    result = run_epistola("--dump", str(path))
    assert result.returncode == 0, result.stderr
    return result.maxrss_mb


def assert_one_line_error(result: Run, *fragments: str) -> str:
    """Exit 2, nothing on stdout, exactly one line on stderr naming the problem."""
    assert result.returncode == 2, (result.returncode, result.stderr, result.stdout[:300])
    assert "Traceback" not in result.stderr
    assert result.stdout == b""
    lines = result.stderr_lines
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("epistola: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line
