"""Finding and caching the separate register files that letters point into.

Many editions keep their persons, places and works in register files beside
the letters. For a letter, :class:`RegisterCatalog` looks for register files

1. in the letter's own folder,
2. walking up from it, in the sibling folders of each ancestor (``people/``,
   ``register/personen/``, ``siteindex/``), stopping at the first ancestor
   whose other folders hold any, and at most ``MAX_LEVELS`` up,
3. in folders the user named (``--registers`` or the window's choice).

A file is a register when it is TEI holding entity lists and no letter
(no ``correspDesc``). Each register file is parsed once per catalog (one
catalog lives as long as the process), keyed by path, size and mtime.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from viewer.errors import EpistolaError
from viewer.model import Entity
from viewer.tei.registers import RegisterIndex, collect_entries
from viewer.tei.xml import is_tei_root, parse_file

MAX_LEVELS = 4
MAX_FILES_PER_FOLDER = 400
SNIFF_BYTES = 64 * 1024
_REGISTER_MARKERS = (b"<listPerson", b"<listPlace", b"<listOrg", b"<listBibl", b"<listEvent")
_LETTER_MARKERS = (
    b"<correspDesc", b"<correspAction", b"<opener", b"<closer", b"<salute", b"<dateline",
    b'type="letter"',
)  # fmt: skip
_ENTRY_MARKERS = (b"<person ", b"<place ", b"<org ", b"<bibl ", b"<event ", b"<item ")


def looks_like_register(path: Path) -> bool:
    """A cheap sniff of a file's start: entity lists, and nothing that makes a letter."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(SNIFF_BYTES)
    except OSError:
        return False
    if any(marker in head for marker in _LETTER_MARKERS):
        return False
    if b"TEI" not in head:
        return False
    return any(m in head for m in _REGISTER_MARKERS) and any(m in head for m in _ENTRY_MARKERS)


@dataclass
class LoadedRegister:
    path: str
    stamp: tuple[int, int]
    index: RegisterIndex
    error: str | None = None


@dataclass
class RegisterSet:
    """The registers that apply to one letter: looked up in order, first hit wins."""

    registers: list[LoadedRegister] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return [r.path for r in self.registers]

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(r.path, r.error) for r in self.registers if r.error]

    def lookup_id(self, entity_id: str) -> Entity | None:
        for register in self.registers:
            entity = register.index.get(entity_id)
            if entity is not None:
                return entity
        return None

    def lookup_key(self, key: str) -> Entity | None:
        for register in self.registers:
            entity = register.index.by_sort_key(key)
            if entity is not None:
                return entity
        return None

    def lookup_uri(self, uri: str) -> Entity | None:
        for register in self.registers:
            entity = register.index.by_authority(uri)
            if entity is not None:
                return entity
        return None


class RegisterCatalog:
    """Discovers register files for letters and keeps each parsed file for the session."""

    def __init__(self, extra_folders: Iterable[str | os.PathLike[str]] = ()) -> None:
        self.extra_folders = [Path(f) for f in extra_folders]
        self._loaded: dict[str, LoadedRegister] = {}
        self._folder_files: dict[str, list[Path]] = {}
        self._discovered: dict[str, list[Path]] = {}
        self._lock = threading.Lock()
        self.parse_count = 0  # how many register files were parsed: tests check the cache

    def add_folder(self, folder: str | os.PathLike[str]) -> None:
        path = Path(folder)
        if path not in self.extra_folders:
            self.extra_folders.append(path)
            self._discovered.clear()

    # -- discovery -------------------------------------------------------------
    def _registers_in(self, folder: Path, recursive: bool = False) -> list[Path]:
        key = f"{folder}|{recursive}"
        cached = self._folder_files.get(key)
        if cached is not None:
            return cached
        found: list[Path] = []
        try:
            candidates = folder.rglob("*.xml") if recursive else folder.glob("*.xml")
            for count, candidate in enumerate(sorted(candidates)):
                if count >= MAX_FILES_PER_FOLDER:
                    break
                if candidate.is_file() and looks_like_register(candidate):
                    found.append(candidate)
        except OSError:
            pass
        self._folder_files[key] = found
        return found

    def discover(self, letter_path: str | os.PathLike[str]) -> list[Path]:
        letter = Path(letter_path).resolve()
        key = str(letter.parent)
        cached = self._discovered.get(key)
        if cached is not None:
            return [p for p in cached if p != letter]
        found: list[Path] = list(self._registers_in(letter.parent))
        came_from = letter.parent
        for _ in range(MAX_LEVELS):
            ancestor = came_from.parent
            if ancestor == came_from:
                break
            at_level: list[Path] = []
            try:
                siblings = sorted(p for p in ancestor.iterdir() if p.is_dir() and p != came_from)
            except OSError:
                siblings = []
            for sibling in siblings:
                if sibling.name.startswith("."):
                    continue
                at_level.extend(self._registers_in(sibling, recursive=True))
            if at_level:
                found.extend(at_level)
                break
            came_from = ancestor
        for folder in self.extra_folders:
            found.extend(self._registers_in(folder, recursive=True))
        unique = list(dict.fromkeys(found))
        self._discovered[key] = unique
        return [p for p in unique if p != letter]

    # -- loading ---------------------------------------------------------------
    def load(self, path: Path) -> LoadedRegister:
        file = str(path)
        try:
            info = path.stat()
            stamp = (info.st_size, info.st_mtime_ns)
        except OSError as error:
            return LoadedRegister(file, (0, 0), RegisterIndex(), f"cannot be read: {error}")
        with self._lock:
            loaded = self._loaded.get(file)
            if loaded is not None and loaded.stamp == stamp:
                return loaded
        loaded = self._parse(path, stamp)
        with self._lock:
            self._loaded[file] = loaded
        return loaded

    def _parse(self, path: Path, stamp: tuple[int, int]) -> LoadedRegister:
        self.parse_count += 1
        try:
            tree = parse_file(path)
        except EpistolaError as error:
            return LoadedRegister(str(path), stamp, RegisterIndex(), error.message)
        root = tree.getroot()
        if not is_tei_root(root):
            return LoadedRegister(str(path), stamp, RegisterIndex(), "is not TEI")
        index, _entries = collect_entries(root, str(path), skip=frozenset())
        return LoadedRegister(str(path), stamp, index)

    def for_letter(self, letter_path: str | os.PathLike[str]) -> RegisterSet:
        return RegisterSet([self.load(path) for path in self.discover(letter_path)])

    def for_files(self, paths: Sequence[str | os.PathLike[str]]) -> RegisterSet:
        return RegisterSet([self.load(Path(p)) for p in paths])
