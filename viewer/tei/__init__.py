"""The parsing layer: the only package that imports lxml.

It turns TEI files into the frozen dataclasses of :mod:`viewer.model`.
``read_letter`` is the entry point; the modules inside own one concern each
(``xml``: the hardened parser; ``text``: the reading text; ``registers`` and
``resolve``: entities; ``catalog``: register files found beside letters and
cached for the session; ``classify``: letter, register or other file;
``letterhead``; ``metadata``; ``reader``: assembly).

``read_letter`` and ``READINGS`` are imported from :mod:`viewer.tei.reader` on
first use, so that importing one module of the package (the window's
:mod:`viewer.tei.catalog`, before its first paint) does not import the parser.
"""

from __future__ import annotations

__all__ = ["READINGS", "read_letter"]


def __getattr__(name: str):
    if name in __all__:
        from viewer.tei import reader

        return getattr(reader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
