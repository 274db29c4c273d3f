"""Where Epistola's shipped files are: the letters and the resources, as package data.

``letters/`` and ``resources/`` sit at the top of the checkout and are mapped
into the distribution as the packages ``viewer.letters`` and
``viewer.resources`` (pyproject.toml), so an editable install, a wheel, a
``pip install .`` and pipx all find them through ``importlib.resources``.
Installs are unpacked on disk (never zipped), so each is a real folder.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DEFAULT_LETTER_NAME = "icbl-2007-07-24-anama.xml"


def letters_dir() -> Path:
    """The folder of the letters shipped with Epistola."""
    return Path(str(files("viewer.letters")))


def resources_dir() -> Path:
    return Path(str(files("viewer.resources")))


def icon_path(name: str, suffix: str = ".svg") -> Path:
    """An icon of the window (``resources/icons/NAME.svg``)."""
    return resources_dir() / "icons" / f"{name}{suffix}"


def desktop_dir() -> Path:
    """The freedesktop files: the .desktop entry, the MIME type and the PNG icons."""
    return resources_dir() / "desktop"
