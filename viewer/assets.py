"""Where Epistola's shipped files are: the letters and the resources, as package data.

``letters/`` and ``resources/`` sit at the top of the checkout and are mapped
into the distribution as the packages ``viewer.letters`` and
``viewer.resources`` (pyproject.toml), so an editable install, a wheel, a
``pip install .`` and pipx all find them through ``importlib.resources``.
Installs are unpacked on disk (never zipped), so each is a real folder: the
package's own folder, from its import spec, without importing
``importlib.resources`` (about 20 ms of a start that opens the window), which
remains the answer for a package that has no folder of its own.
"""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

DEFAULT_LETTER_NAME = "icbl-2007-07-24-anama.xml"


def _package_dir(package: str) -> Path:
    spec = find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if len(locations) == 1 and Path(locations[0]).is_dir():
        return Path(locations[0])
    from importlib.resources import files

    return Path(str(files(package)))


def letters_dir() -> Path:
    """The folder of the letters shipped with Epistola."""
    return _package_dir("viewer.letters")


def resources_dir() -> Path:
    return _package_dir("viewer.resources")


def icon_path(name: str, suffix: str = ".svg") -> Path:
    """An icon of the window (``resources/icons/NAME.svg``)."""
    return resources_dir() / "icons" / f"{name}{suffix}"


def desktop_dir() -> Path:
    """The freedesktop files: the .desktop entry, the MIME type and the PNG icons."""
    return resources_dir() / "desktop"
