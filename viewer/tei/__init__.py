"""The parsing layer: the only package that imports lxml.

It turns TEI files into the frozen dataclasses of :mod:`viewer.model`.
``read_letter`` is the entry point; the modules inside own one concern each
(``xml``: the hardened parser; ``text``: the reading text; ``registers`` and
``resolve``: entities; ``catalog``: register files found beside letters and
cached for the session; ``classify``: letter, register or other file;
``letterhead``; ``metadata``; ``reader``: assembly).
"""

from viewer.tei.reader import READINGS, read_letter

__all__ = ["READINGS", "read_letter"]
