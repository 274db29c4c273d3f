"""Finding and caching the separate register files that letters point into.

Many editions keep their persons, places and works in register files beside
the letters. For a letter, :class:`RegisterCatalog` looks for register files

1. in the letter's own folder,
2. walking up from it, in the sibling folders of each ancestor (``people/``,
   ``register/personen/``, ``siteindex/``) that hold register files and no
   letters, stopping at the first ancestor whose other folders hold any, and
   at most ``MAX_LEVELS`` up,
3. in folders the user named (``--registers`` or the window's choice).

A file is a register when it is TEI holding entity lists and no letter
(:mod:`viewer.tei.classify`); a sibling folder that holds letters is another
collection, never a register folder. Each register file is parsed once per
catalog (one catalog lives as long as the process), keyed by path, size and
mtime; ``parse_count`` says how many parses happened.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from viewer.errors import EpistolaError
from viewer.model import Entity
from viewer.records import MutableRecord, mutable

if TYPE_CHECKING:
    from viewer.tei.registers import RegisterIndex

# The parser's modules (and lxml) are imported where a file is first sniffed or parsed, not
# here: the window makes its catalog before its first paint, while its first letter is read
# in a worker process (viewer.prefetch), and a self-contained letter never needs a register.

MAX_LEVELS = 3  # letter in edition/letters/group/volume/: registers in edition/register/
MAX_FILES_PER_FOLDER = 400  # register files taken from one folder tree
MAX_ENTRIES_SCANNED = 5000  # directory entries looked at below one sibling folder
MAX_DEPTH = 4  # folder levels below a sibling folder


_LIST_MARKUP = re.compile(rb"<(?:[\w.-]+:)?list(?:Person|Place|Org|Bibl|Event|Nym|Object)?[\s>]")


def _lists_entities(path: str | os.PathLike[str]) -> bool:
    """Whether a file that failed to parse at least starts like a register."""
    from viewer.tei.classify import read_head

    head = read_head(path)
    return head is not None and _LIST_MARKUP.search(head) is not None


def _absolute(path: str | os.PathLike[str]) -> Path:
    """The resolved path; for a symlink loop or an unreadable folder, just the absolute one."""
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


def _is_boundary(folder: Path) -> bool:
    """A folder the walk up never leaves: a repository's root, the home folder."""
    try:
        if folder == Path.home().resolve():
            return True
    except (OSError, RuntimeError):
        pass
    return any((folder / marker).exists() for marker in (".git", ".hg", ".svn"))


def looks_like_register(path: str | os.PathLike[str]) -> bool:
    """Whether a file is a register file (see :func:`viewer.tei.classify.classify`)."""
    from viewer.tei.classify import REGISTER, classify

    return classify(path) == REGISTER


@mutable
class LoadedRegister(MutableRecord):
    """One register file as last read: its stamp (size, mtime), its index, or why not."""

    path: str
    stamp: tuple[int, int]
    index: RegisterIndex
    error: str | None = None
    is_register: bool = True  # False: a file that looked like one but holds a letter or nothing


@mutable
class FolderScan(MutableRecord):
    """What a bounded walk of a folder found: candidate register files, and letters."""

    registers: list[Path]
    has_letters: bool


@mutable
class RegisterSet(MutableRecord):
    """The registers that apply to one letter: looked up in order, first hit wins."""

    registers: list[LoadedRegister] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return [r.path for r in self.registers if r.is_register]

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
        self._scans: dict[str, FolderScan] = {}
        self._discovered: dict[str, list[Path]] = {}
        self._folders: dict[str, Path] = {}  # a letter's folder as given -> resolved
        self._lock = threading.Lock()
        self.parse_count = 0  # how many register files were parsed: tests check the cache

    def add_folder(self, folder: str | os.PathLike[str]) -> None:
        path = Path(folder)
        if path not in self.extra_folders:
            self.extra_folders.append(path)
            self._discovered.clear()

    # -- discovery -------------------------------------------------------------
    def _scan(self, folder: Path, recursive: bool, stop_at_letter: bool = False) -> FolderScan:
        """Register files in ``folder`` (below it too when ``recursive``); whether it has letters.

        The sniff settles letters and non-TEI files; TEI without letter
        markup is parsed (once per session, as :meth:`load` keeps it) to tell
        a register from a plain letter. With ``stop_at_letter`` the caller
        only wants folders without letters: the first sniffed letter ends the
        walk before anything is parsed.
        """
        key = f"{folder}|{recursive}|{stop_at_letter}"
        cached = self._scans.get(key)
        if cached is not None:
            return cached
        from viewer.tei.classify import LETTER, sniff_file

        undecided: list[Path] = []
        has_letters = False
        for path in self._xml_files(folder, recursive):
            kind = sniff_file(path)
            if kind == LETTER:
                has_letters = True
                if stop_at_letter:
                    break
            elif kind is None and len(undecided) < MAX_FILES_PER_FOLDER:
                undecided.append(Path(path))
        registers: list[Path] = []
        if not (has_letters and stop_at_letter):
            for path in undecided:
                loaded = self.load(path)
                if loaded.is_register and (not loaded.error or _lists_entities(path)):
                    registers.append(path)
                elif not loaded.error:
                    has_letters = True  # TEI text without letter markup is a letter too
                    if stop_at_letter:
                        registers = []
                        break
        scan = FolderScan(registers, has_letters)
        self._scans[key] = scan
        return scan

    @staticmethod
    def _xml_files(folder: Path, recursive: bool) -> Iterator[str]:
        """``*.xml`` files, breadth first, within the depth and entry budgets.

        Paths as strings: discovery sniffs every file of a collection's folders,
        and a ``Path`` for each would cost more than the sniff's own parsing.
        """
        budget = MAX_ENTRIES_SCANNED
        pending: list[tuple[str, int]] = [(str(folder), 0)]
        while pending and budget > 0:
            current, depth = pending.pop(0)
            try:
                with os.scandir(current) as listing:
                    entries = sorted(listing, key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                budget -= 1
                if budget < 0:
                    return
                if entry.name.startswith("."):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if recursive and depth + 1 < MAX_DEPTH:
                            pending.append((entry.path, depth + 1))
                    elif entry.name.lower().endswith(".xml") and entry.is_file():
                        yield entry.path
                except OSError:
                    continue

    def discover(self, letter_path: str | os.PathLike[str]) -> list[Path]:
        """Register files for a letter, in lookup order (nearest first).

        Those beside the letter; when there are none, walking up, those in the
        sibling folders of each ancestor that hold register files and no
        letters (a sibling holding letters is another collection, not a
        register folder), stopping at the first level that has any, at
        ``MAX_LEVELS``, and never going above a repository root or the home
        folder; then those in the user's folders.
        """
        path = os.path.abspath(letter_path)
        if not os.path.islink(path):
            resolved = self._folders.get(os.path.dirname(path))
            if resolved is not None and not self._discovered.get(str(resolved), True):
                return []  # a folder without registers: no path built for its letters
        letter = self._letter_path(path)
        key = str(letter.parent)
        cached = self._discovered.get(key)
        if cached is not None:
            return [p for p in cached if p != letter]
        found: list[Path] = [
            p for p in self._scan(letter.parent, recursive=False).registers if p != letter
        ]
        came_from = letter.parent
        for _ in range(MAX_LEVELS if not found else 0):
            ancestor = came_from.parent
            if ancestor == came_from or _is_boundary(came_from):
                break
            at_level: list[Path] = []
            try:
                siblings = sorted(p for p in ancestor.iterdir() if p.is_dir() and p != came_from)
            except OSError:
                siblings = []
            for sibling in siblings:
                if sibling.name.startswith("."):
                    continue
                scan = self._scan(sibling, recursive=True, stop_at_letter=True)
                if scan.registers and not scan.has_letters:
                    at_level.extend(scan.registers)
            if at_level:
                found.extend(at_level)
                break
            came_from = ancestor
        for folder in self.extra_folders:
            found.extend(self._scan(_absolute(folder), recursive=True).registers)
        unique = list(dict.fromkeys(found))
        self._discovered[key] = unique
        return [p for p in unique if p != letter]

    def discover_folders(self, folders: Iterable[str]) -> dict[str, list[Path]]:
        """Discovery for the letters of each folder, by resolved folder, to :meth:`seed` with.

        (Worker processes each keep a catalog: one discovery, made once, serves them all.)
        """
        for folder in folders:
            # A hidden name is never a register file, so none is left out as "the letter".
            self.discover(os.path.join(folder, ".epistola-discovery"))
        return {key: list(found) for key, found in self._discovered.items()}

    def seed(self, discovered: dict[str, list[Path]]) -> None:
        """Take another catalog's :meth:`discover_folders` (same user folders) as found here."""
        for key, found in discovered.items():
            self._discovered.setdefault(key, list(found))

    def _letter_path(self, letter_path: str | os.PathLike[str]) -> Path:
        """The letter's resolved path, as :func:`_absolute` gives it.

        A collection's letters share a few folders: each folder is resolved
        once (a walk of its path, a system call per level), not once a letter.
        A letter that is itself a symbolic link is resolved whole.
        """
        path = os.path.abspath(letter_path)
        if os.path.islink(path):
            return _absolute(path)
        folder, name = os.path.split(path)
        resolved = self._folders.get(folder)
        if resolved is None:
            resolved = self._folders[folder] = _absolute(folder)
        return resolved / name

    # -- loading ---------------------------------------------------------------
    def load(self, path: Path) -> LoadedRegister:
        from viewer.tei.registers import RegisterIndex

        file = str(path)
        try:
            info = path.stat()
            stamp = (info.st_size, info.st_mtime_ns)
        except OSError as error:
            return LoadedRegister(
                file, (0, 0), RegisterIndex(), f"cannot be read ({error.strerror or error})"
            )
        with self._lock:
            loaded = self._loaded.get(file)
            if loaded is not None and loaded.stamp == stamp:
                return loaded
        loaded = self._parse(path, stamp)
        with self._lock:
            self._loaded[file] = loaded
        return loaded

    def _parse(self, path: Path, stamp: tuple[int, int]) -> LoadedRegister:
        from viewer.tei.classify import non_letter_document
        from viewer.tei.registers import RegisterIndex, index_entries
        from viewer.tei.xml import is_tei_root, parse_file

        self.parse_count += 1
        try:
            tree = parse_file(path)
        except EpistolaError as error:
            return LoadedRegister(str(path), stamp, RegisterIndex(), error.message)
        document = non_letter_document(tree.getroot())
        if document is None or not is_tei_root(document):
            return LoadedRegister(str(path), stamp, RegisterIndex(), is_register=False)
        index = index_entries(document, str(path))
        return LoadedRegister(str(path), stamp, index, is_register=len(index) > 0)

    def for_letter(self, letter_path: str | os.PathLike[str]) -> RegisterSet:
        return RegisterSet([self.load(path) for path in self.discover(letter_path)])

    def for_files(self, paths: Sequence[str | os.PathLike[str]]) -> RegisterSet:
        return RegisterSet([self.load(Path(p)) for p in paths])
