"""Finding a letter's page images on disk, and reading their pixel size, without Qt.

Owns:

* where images are looked for (:class:`ImageFinder`): the letter's folder, the
  ``images/``, ``facsimiles/`` and ``img/`` folders in it and in the folders
  above it (up to the edition's root, ``MAX_LEVELS`` up), then the folders
  the user added (View ▸ Add Image Folder…, ``--images DIR``);
* how a name is matched: exactly, else case-insensitively, else without its
  extension with any of :data:`IMAGE_SUFFIXES` (``IMG_0201.JPG`` finds
  ``img_0201.png``; ``HS.NZ85.1.3483_0011`` finds ``HS.NZ85.1.3483_0011.jpg``:
  only a known image extension is ever taken off, never "whatever follows the
  last dot");
* :func:`image_size`: the pixel size read from a PNG, JPEG, TIFF, WebP or GIF
  header (a few hundred bytes; the image is never decoded);
* :func:`attach_images`: a letter's pages with their image files and real
  sizes; its regions scaled from the size the encoding declares to the real
  one (an archivist's full-resolution scan of a page the edition measured on a
  reduced copy); a missing image is an ``info`` diagnostic, a remote (http,
  IIIF) one is named and never fetched.

Folder listings are cached per finder (one finder per window or command).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from viewer.model import Diagnostic, Letter, Page, Region

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp")
IMAGE_FOLDERS = ("images", "facsimiles", "img")
MAX_LEVELS = 3  # letter in edition/letters/group/volume/: images in edition/images/
MAX_LISTED = 20_000  # directory entries looked at in one folder


class ImageFinder:
    """Looks up page images for letters; see the module docstring for where and how."""

    def __init__(self, folders: Iterable[str | os.PathLike[str]] = ()) -> None:
        self.folders: list[Path] = []
        self._listings: dict[Path, dict[str, str]] = {}
        for folder in folders:
            self.add_folder(folder)

    def add_folder(self, folder: str | os.PathLike[str]) -> None:
        path = Path(folder)
        if path not in self.folders:
            self.folders.append(path)

    def refresh(self) -> None:
        """Forget the cached folder listings (files were added or renamed since)."""
        self._listings = {}

    def search_folders(self, letter_file: str | os.PathLike[str] | None) -> list[Path]:
        """The folders searched for ``letter_file``'s images, in order."""
        found: list[Path] = []
        if letter_file:
            folder = Path(letter_file).parent
            found.append(folder)
            for _level in range(MAX_LEVELS + 1):
                found.extend(folder / name for name in IMAGE_FOLDERS)
                if folder.parent == folder:
                    break
                folder = folder.parent
        found.extend(self.folders)
        return list(dict.fromkeys(found))

    def find(self, name: str, letter_file: str | os.PathLike[str] | None = None) -> Path | None:
        """The image file for ``name`` (what a page's facs says), or None."""
        wanted = _wanted_names(name)
        if not wanted:
            return None
        exact = _base_name(name)
        for folder in self.search_folders(letter_file):
            listing = self._listing(folder)
            if not listing:
                continue
            if exact.lower() in listing and (folder / exact).is_file():
                return folder / exact  # the exact name beats one differing in case
            for candidate in wanted:
                actual = listing.get(candidate)
                if actual is not None:
                    return folder / actual
        return None

    def _listing(self, folder: Path) -> dict[str, str]:
        """Lower-cased name -> actual name of the files in ``folder`` (cached)."""
        cached = self._listings.get(folder)
        if cached is not None:
            return cached
        listing: dict[str, str] = {}
        try:
            with os.scandir(folder) as entries:
                for count, entry in enumerate(entries):
                    if count >= MAX_LISTED:
                        break
                    try:
                        if entry.is_file():
                            listing.setdefault(entry.name.lower(), entry.name)
                    except OSError:
                        continue
        except OSError:
            pass
        self._listings[folder] = listing
        return listing


def _base_name(name: str) -> str:
    """The file name in ``name`` (a bare name, a relative path, a file: URL)."""
    base = name.strip().split("#", 1)[0].split("?", 1)[0]
    return base.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _wanted_names(name: str) -> list[str]:
    """Lower-cased file names that would do for ``name``, best first."""
    base = _base_name(name)
    if not base or base in (".", ".."):
        return []
    lowered = base.lower()
    stems = [lowered]
    for suffix in IMAGE_SUFFIXES:
        if lowered.endswith(suffix) and len(lowered) > len(suffix):
            stems.append(lowered[: -len(suffix)])
            break
    wanted = [lowered]
    for stem in stems:
        wanted.extend(stem + suffix for suffix in IMAGE_SUFFIXES)
    return list(dict.fromkeys(wanted))


# ------------------------------------------------------------------ pixel sizes


def image_size(path: str | os.PathLike[str]) -> tuple[int, int] | None:
    """(width, height) in pixels from the file's header, or None if it is not readable."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(32)
            if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
                return _positive(*struct.unpack(">II", head[16:24]))
            if head.startswith(b"\xff\xd8"):
                return _jpeg_size(stream)
            if head[:4] in (b"II*\x00", b"MM\x00*"):
                return _tiff_size(stream, head[:2] == b"II")
            if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
                return _webp_size(head, stream)
            if head[:6] in (b"GIF87a", b"GIF89a"):
                return _positive(*struct.unpack("<HH", head[6:10]))
    except (OSError, struct.error, ValueError):
        return None
    return None


def _positive(width: int, height: int) -> tuple[int, int] | None:
    return (width, height) if width > 0 and height > 0 else None


_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(stream: BinaryIO) -> tuple[int, int] | None:
    stream.seek(2)
    for _segment in range(10_000):
        byte = stream.read(1)
        while byte and byte != b"\xff":
            byte = stream.read(1)
        while byte == b"\xff":
            byte = stream.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in (0x01, *range(0xD0, 0xD8)):
            continue  # markers without a length
        if marker in (0xD9, 0xDA):
            return None  # end of image or start of scan before any frame header
        length_bytes = stream.read(2)
        if len(length_bytes) < 2:
            return None
        (length,) = struct.unpack(">H", length_bytes)
        if marker in _SOF:
            frame = stream.read(5)
            if len(frame) < 5:
                return None
            height, width = struct.unpack(">HH", frame[1:5])
            return _positive(width, height)
        stream.seek(length - 2, os.SEEK_CUR)
    return None


def _tiff_size(stream: BinaryIO, little: bool) -> tuple[int, int] | None:
    order = "<" if little else ">"
    stream.seek(4)
    (offset,) = struct.unpack(order + "I", stream.read(4))
    stream.seek(offset)
    (count,) = struct.unpack(order + "H", stream.read(2))
    width = height = None
    for _entry in range(min(count, 4096)):
        entry = stream.read(12)
        if len(entry) < 12:
            break
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag not in (256, 257):
            continue
        if kind == 3:  # SHORT
            (value,) = struct.unpack(order + "H", entry[8:10])
        elif kind == 4:  # LONG
            (value,) = struct.unpack(order + "I", entry[8:12])
        else:
            continue
        if tag == 256:
            width = value
        else:
            height = value
    if width is None or height is None:
        return None
    return _positive(width, height)


def _webp_size(head: bytes, stream: BinaryIO) -> tuple[int, int] | None:
    stream.seek(12)
    chunk = stream.read(30)
    kind = chunk[:4]
    if kind == b"VP8X":
        width = 1 + int.from_bytes(chunk[12:15], "little")
        height = 1 + int.from_bytes(chunk[15:18], "little")
        return _positive(width, height)
    if kind == b"VP8L" and chunk[8] == 0x2F:
        bits = int.from_bytes(chunk[9:13], "little")
        return _positive((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if kind == b"VP8 " and chunk[11:14] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", chunk[14:18])
        return _positive(width & 0x3FFF, height & 0x3FFF)
    return None


# ------------------------------------------------------------------ letters


def attach_images(letter: Letter, finder: ImageFinder) -> Letter:
    """``letter`` with each page's image file and real size, and its regions in real pixels.

    A page's regions are measured in the size the encoding declares for its
    image; when the file found is larger or smaller, they are scaled to it.
    Idempotent: a second call finds the same files and scales by 1.
    """
    if not letter.pages:
        return letter
    pages: list[Page] = []
    scales: dict[int, tuple[float, float]] = {}
    diagnostics: list[Diagnostic] = []
    missing: list[str] = []
    for index, page in enumerate(letter.pages):
        label = page.n or str(index + 1)
        if not page.facs:
            pages.append(page)
            continue
        if page.remote:
            diagnostics.append(
                Diagnostic(
                    "info",
                    "remote-image",
                    f"page {label} wants the remote image {page.facs}: Epistola does not "
                    "fetch images from the network; put a copy in an image folder",
                    None,
                )
            )
            pages.append(page)
            continue
        if page.facs.startswith("#"):  # a pointer to nothing (already a warning)
            pages.append(page)
            continue
        found = finder.find(page.facs, letter.file)
        if found is None:
            missing.append(f"{label} ({page.facs})")
            pages.append(page)
            continue
        size = image_size(found)
        if size is None:
            diagnostics.append(
                Diagnostic(
                    "warning",
                    "image-unreadable",
                    f"page {label}: {found} is not an image Epistola can read",
                    None,
                )
            )
            pages.append(page)
            continue
        width, height = size
        if page.width and page.height and (page.width, page.height) != size:
            scales[index] = (width / page.width, height / page.height)
        pages.append(replace(page, image=str(found), width=width, height=height))
    if missing:
        where = ", ".join(str(f) for f in finder.search_folders(letter.file)[:4])
        diagnostics.append(
            Diagnostic(
                "info",
                "image-missing",
                f"no image file found for page{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing[:6])}{' …' if len(missing) > 6 else ''} "
                f"(looked in {where} … and the image folders added)",
                None,
            )
        )
    zones = letter.zones
    mentions = letter.mentions
    if scales:
        zones = tuple(replace(z, region=_scaled(z.region, scales)) for z in letter.zones)
        mentions = tuple(
            replace(m, regions=tuple(_scaled(r, scales) for r in m.regions)) if m.regions else m
            for m in letter.mentions
        )
    return replace(
        letter,
        pages=tuple(pages),
        zones=zones,
        mentions=mentions,
        diagnostics=(*letter.diagnostics, *diagnostics),
    )


def _scaled(region: Region, scales: dict[int, tuple[float, float]]) -> Region:
    scale = scales.get(region.page)
    if scale is None:
        return region
    sx, sy = scale
    return Region(
        region.page,
        round(region.x * sx),
        round(region.y * sy),
        round(region.w * sx),
        round(region.h * sy),
    )
