"""Crash-safe file replacement, and moving a damaged file out of the way.

Owns the two file operations that must never lose a user's data:

* :func:`write_atomic` replaces a file so that, whatever happens (a crash, a
  full disk, power loss), the file afterwards holds either the old contents or
  the new ones, never a mixture or nothing;
* :func:`set_aside` renames a file that could not be read to
  ``NAME.corrupt-YYYYmmdd-HHMMSS`` (``-2``, ``-3``, ... on a clash) so that it
  can be inspected later and is never overwritten.

Qt-free and lxml-free: used by ``viewer.settings`` and by anything else that
writes files the user cares about.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from pathlib import Path

# Bounds the search for a free name; far more than a person can make by hand.
_MAX_TRIES = 1000


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> None:
    """Replace ``path`` with ``data`` (``str`` is written as UTF-8), atomically.

    The data goes to a temporary file in the same directory (a rename is only
    atomic within one file system), is flushed and fsynced, and then renamed
    over ``path``. If anything fails the temporary file is removed, ``path``
    is left as it was, and :class:`OSError` is raised.

    A symbolic link at ``path`` is written through, not replaced, and an
    existing file keeps its permission bits.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    elif not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"data must be bytes or str, not {type(data).__name__}")

    target = Path(os.path.realpath(path))
    tmp_fd, tmp_path = _create_temp_beside(target)
    try:
        try:
            with os.fdopen(tmp_fd, "wb") as handle:
                _keep_mode(target, handle.fileno())
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_path, target)
        except BaseException:
            # Also on KeyboardInterrupt: a stray temp file is litter the user
            # would have to clean up by hand.
            with contextlib.suppress(OSError):
                os.unlink(tmp_path)
            raise
    except OSError:
        raise
    except Exception as exc:  # anything else is still "the write failed"
        raise OSError(f"could not write {target}: {exc}") from exc
    _fsync_directory(target.parent)


def set_aside(path: str | os.PathLike[str], *, now: float | None = None) -> Path:
    """Rename ``path`` to ``NAME.corrupt-YYYYmmdd-HHMMSS[-n]`` and return the new path.

    The new name never replaces an existing file: when the name is taken,
    ``-2``, ``-3``, ... is appended. ``now`` (seconds since the epoch, local
    time) is for tests. Raises :class:`OSError` if the file cannot be moved.
    """
    source = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    base = f"{source.name}.corrupt-{stamp}"
    for n in range(1, _MAX_TRIES + 1):
        candidate = source.with_name(base if n == 1 else f"{base}-{n}")
        try:
            _rename_no_replace(source, candidate)
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free name to set {source} aside as {base}[-n]")


def _create_temp_beside(target: Path) -> tuple[int, str]:
    """Create and open a new, uniquely named file next to ``target``."""
    # Mode 0o666 lets the umask decide, as for any ordinary new file
    # (tempfile.mkstemp would force 0o600 on the final file).
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(_MAX_TRIES):
        # Hidden and recognisable, so a leftover from a killed process is
        # obviously ours and stays out of directory listings.
        name = f".{target.name}.{os.urandom(4).hex()}.tmp"
        tmp_path = os.path.join(target.parent, name)
        try:
            return os.open(tmp_path, flags, 0o666), tmp_path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {target}")


def _keep_mode(target: Path, fd: int) -> None:
    """Give the new file the permission bits of the one it replaces."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return  # no old file: the umask's choice stands
    with contextlib.suppress(OSError):
        os.fchmod(fd, mode)


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable; best effort (not every OS allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _rename_no_replace(source: Path, destination: Path) -> None:
    """Rename, raising FileExistsError rather than replacing ``destination``."""
    try:
        # link() refuses an existing destination atomically, with no window
        # between "is it free?" and "take it".
        os.link(source, destination, follow_symlinks=False)
    except FileExistsError:
        raise
    except (OSError, NotImplementedError):
        # No hard links here (a directory, FAT, some network shares): check,
        # then rename. The race is harmless for a file nobody else writes.
        if os.path.lexists(destination):
            raise FileExistsError(destination) from None
        os.rename(source, destination)
        return
    try:
        os.unlink(source)
    except OSError:
        # Leave things as they were rather than with two names for one file.
        with contextlib.suppress(OSError):
            os.unlink(destination)
        raise
