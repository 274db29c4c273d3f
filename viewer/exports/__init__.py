"""Exports archivists hand on: CMIF for correspSearch and CSV spreadsheets, without Qt.

Each module takes a folder (or records read from one) and options, and
returns the bytes of the export; :func:`write_export` writes them atomically
and turns a failed write into an :class:`viewer.errors.EpistolaError` with a
message fit to show. The window and the command line do the asking and the
choosing of file names; nothing here overwrites a file on its own initiative.
"""

from __future__ import annotations

import os

from viewer.atomic import write_atomic
from viewer.errors import EpistolaError


def write_export(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically; EpistolaError when it cannot be written."""
    try:
        write_atomic(path, data)
    except OSError as error:
        reason = error.strerror or str(error)
        raise EpistolaError(
            f"could not be written ({reason}); nothing was changed", str(path)
        ) from None
