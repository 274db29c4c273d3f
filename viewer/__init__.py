"""Epistola: a desktop viewer for letters encoded in TEI XML.

The package is layered: ``viewer.tei`` owns lxml and turns files into the
frozen dataclasses of ``viewer.model``; ``viewer.filtering``,
``viewer.collection``, ``viewer.settings`` and ``viewer.images`` are Qt-free
logic; only
``viewer.gui`` imports PySide6.
"""

__version__ = "0.1.0"
