"""What printing a letter needs from it, without Qt, and reading it beside Qt's start.

Owns the Qt-free half of :mod:`viewer.gui.printing`: :func:`read_for_print`
reads a letter and the edition its header names from one parse, and
:func:`letter_looks_of` says per character which kind tints it and which
flags (emphasised, note marker, struck out) it carries.

``python main.py FILE --pdf OUT.pdf`` spends about 0.4 s importing PySide6
before it can print, and reading a 2 MB letter takes three times that, on
one core of two. :func:`start_reading` forks a worker process that reads the
letter and works out its looks while the command imports Qt; it hands back
only the part of the letter that printing reads (:func:`printed_part`:
unpickling its 50,000 mentions took about as long as the import it would
save) and the looks computed from them, in two parts: first the letter with
its flags and counts (:func:`letter_flags_of`), which is all that laying the
document out needs, then, while the command lays it out, the tints and their
runs (:func:`letter_tint_of`, :class:`TintRuns`), which are painted beneath
the laid-out text. Where fork is missing or unsafe (Qt or other threads
already running), and when the worker dies without an answer, the letter is
read in the process itself.
"""

from __future__ import annotations

import dataclasses
import re
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from viewer.errors import EpistolaError
from viewer.forked import ForkedWork
from viewer.model import Letter

EMPHASISED, MARKER, STRUCK = 1, 2, 4  # flags of a character of the letter's text

_START = attrgetter("start")
_KIND = attrgetter("kind")
_RAISE = {flag: bytes(i | flag for i in range(256)) for flag in (EMPHASISED, MARKER, STRUCK)}
_RUN = re.compile(rb"([^\x00])\1*", re.DOTALL)  # a run of one kind's tint


@dataclass(frozen=True)
class LetterLooks:
    """Per character of a letter's text: its tint's kind and its flags.

    ``tint[i]`` is 0 (no tint) or the number of the kind, from 1, in
    ``kinds``; ``flags[i]`` is EMPHASISED | MARKER | STRUCK. ``counts`` are
    the mentions per kind, for the legend. ``tint`` is None (and ``kinds``
    empty) where the tints come later (:meth:`PendingRead.early_result`).
    """

    tint: bytearray | None
    kinds: tuple[str, ...]
    flags: bytearray
    counts: dict[str, int]


def letter_looks_of(
    letter: Letter, hidden_kinds: frozenset[str] = frozenset(), selected: Sequence[str] = ()
) -> LetterLooks:
    """The looks of ``letter`` with ``hidden_kinds`` untinted and ``selected``'s emphasised.

    A mention inside another shows its own kind's tint unless that kind is
    hidden; a selected entity's mention is emphasised instead of tinted.
    """
    flags, counts = letter_flags_of(letter, selected)
    tint, kinds = letter_tint_of(letter, hidden_kinds, selected)
    return LetterLooks(tint, kinds, flags, counts)


def letter_flags_of(letter: Letter, selected: Sequence[str] = ()) -> tuple[bytearray, dict]:
    """The flags of :func:`letter_looks_of`'s looks, and its counts of mentions per kind.

    Apart from the tints: a document can be laid out with these alone (the
    tints are painted beneath its text), so the ``--pdf`` worker hands them
    over first (:class:`PendingRead`).
    """
    length = len(letter.text)
    flags = bytearray(length)

    def flag(start: int, end: int, value: int) -> None:
        end = min(end, length)
        if end > start:
            flags[start:end] = flags[start:end].translate(_RAISE[value])

    if selected:
        for start, end in _emphasised(letter, frozenset(selected)):
            flag(start, end, EMPHASISED)
    for note in letter.notes:
        flag(note.anchor, note.marker_end, MARKER)
    for span in letter.spans:
        if span.style == "del":
            flag(span.start, span.end, STRUCK)
    counts = dict(Counter(map(_KIND, letter.mentions)))
    return flags, counts


def _emphasised(letter: Letter, chosen: frozenset[str]) -> list[tuple[int, int]]:
    """Where the mentions of ``chosen`` entities are, clamped to the text."""
    length = len(letter.text)
    # Few of a long letter's mentions are the selection's: found first, in one comprehension.
    hits = [mention for mention in letter.mentions if not chosen.isdisjoint(mention.entities)]
    found = []
    for mention in hits:
        end = mention.end if mention.end < length else length
        if end > mention.start:
            found.append((mention.start, end))
    return found


def letter_tint_of(
    letter: Letter, hidden_kinds: frozenset[str] = frozenset(), selected: Sequence[str] = ()
) -> tuple[bytearray, tuple[str, ...]]:
    """The tints of :func:`letter_looks_of`'s looks, and their kinds."""
    length = len(letter.text)
    chosen = frozenset(selected)
    # Mentions are painted in start order, so an inner (later) one covers the outer one.
    tint = bytearray(length)
    kinds: list[str] = []
    fills: dict[str, bytes | None] = dict.fromkeys(hidden_kinds)  # None: a hidden kind
    unseen = b""
    emphasised: list[tuple[int, int]] = []
    for mention in sorted(letter.mentions, key=_START):
        start = mention.start
        end = mention.end
        if end > length:
            end = length
        if end <= start:
            continue
        if chosen and not chosen.isdisjoint(mention.entities):
            emphasised.append((start, end))
        kind = mention.kind
        fill = fills.get(kind, unseen)
        if fill is None:
            continue
        if fill is unseen:
            kinds.append(kind)
            if len(kinds) > 255:
                raise EpistolaError("too many kinds of mention to tint")
            fill = fills[kind] = bytes([len(kinds)])
        tint[start:end] = fill * (end - start)
    for start, end in emphasised:
        tint[start:end] = bytes(end - start)
    return tint, tuple(kinds)


@dataclass(frozen=True)
class TintRuns:
    """A letter's ``tint`` and ``kinds`` (see :class:`LetterLooks`) and its runs: the
    ``n``-th run of one kind's tint is ``starts[n]:ends[n]``, of kind ``numbers[n]``."""

    tint: bytearray
    kinds: tuple[str, ...]
    starts: array
    ends: array
    numbers: bytes


def tint_runs_of(tint: bytearray, kinds: Sequence[str]) -> TintRuns:
    """The runs of ``tint`` (in text order), as :class:`TintRuns`."""
    starts, ends = array("q"), array("q")
    add_start, add_end = starts.append, ends.append
    for found in _RUN.finditer(tint):
        start, end = found.span()
        add_start(start)
        add_end(end)
    numbers = bytes(tint[start] for start in starts)
    return TintRuns(tint, tuple(kinds), starts, ends, numbers)


# ------------------------------------------------------------------ reading


def read_for_print(
    file: str, reading: str = "normalised", register_dirs: Sequence[str] = ()
) -> tuple[Letter, str]:
    """The letter in ``file`` and the edition its header names, from one parse."""
    from viewer.tei.catalog import RegisterCatalog
    from viewer.tei.correspondence import correspondence_from_root
    from viewer.tei.reader import READINGS, letter_from_tree, letter_root
    from viewer.tei.xml import parse_bytes, read_bounded

    registers = RegisterCatalog(extra_folders=register_dirs).for_letter(file)
    if reading not in READINGS:
        raise EpistolaError(f"unknown reading {reading!r} (use one of {', '.join(READINGS)})")
    tree = parse_bytes(read_bounded(file), file)
    # Printing shows no diagnostics: the checks over the whole letter are left out.
    letter = letter_from_tree(tree, file, reading=reading, registers=registers, diagnose=False)
    edition = correspondence_from_root(letter_root(tree, file), file).edition.title
    return letter, edition


def printed_part(letter: Letter, selected: Sequence[str]) -> Letter:
    """What printing ``letter`` with ``selected`` emphasised needs of it once its looks
    are worked out (:func:`letter_looks_of`): no mentions, spans, line breaks or
    diagnostics, only the note blocks, only the selected entities.

    The worker hands this over: pickling the whole letter and reading it back
    took the command about 0.1 s (50,000 mentions were already left out).
    """
    chosen = frozenset(selected)
    return dataclasses.replace(
        letter,
        mentions=(),
        spans=(),
        line_breaks=(),
        line_references=(),
        diagnostics=(),
        pages=(),
        zones=(),
        blocks=tuple(block for block in letter.blocks if block.kind == "note"),
        entities=tuple(entity for entity in letter.entities if entity.id in chosen),
        _entity_index={},  # else replace() hands on the letter's index of all its entities
    )


@dataclass
class PrintSource:
    """A letter read for printing: the letter, its edition, and its looks when worked out.

    With ``looks``, ``letter`` is only its :func:`printed_part` (the looks were
    made from its mentions).
    """

    letter: Letter
    edition: str
    looks: LetterLooks | None = None


class PendingRead:
    """A letter being read for printing, in a worker process or (when asked for) here.

    The worker hands the letter over in two parts: the printed part with its
    flags and counts as soon as it is read (:meth:`early_result`: enough to
    lay the document out), then the tints (:meth:`tint`), which it works out
    while the document is laid out.
    """

    def __init__(
        self,
        file: str,
        reading: str,
        register_dirs: Sequence[str],
        hidden_kinds: frozenset[str],
        selected: Sequence[str],
    ) -> None:
        self._arguments = (file, reading, tuple(register_dirs))
        self._looks_for = (hidden_kinds, tuple(selected))
        self._worker: ForkedWork[object] | None = None

    def start(self) -> None:
        """Fork the worker where that is safe (see :mod:`viewer.forked`)."""
        self._worker = ForkedWork.start_staged(self._work)

    def _work(self, hand_over: Callable[[object], None]) -> tuple[str, object]:
        hidden_kinds, selected = self._looks_for
        try:
            letter, edition = read_for_print(*self._arguments)
            flags, counts = letter_flags_of(letter, selected)
        except EpistolaError as error:
            return "error", (error.message, error.file, error.line, error.column)
        looks = LetterLooks(None, (), flags, counts)
        hand_over(("ok", PrintSource(printed_part(letter, selected), edition, looks)))
        # An error here ends the worker without its last part: tint() reads the letter again.
        return "tint", tint_runs_of(*letter_tint_of(letter, hidden_kinds, selected))

    def result(self) -> PrintSource:
        """The letter read, with its whole looks when the worker read it; EpistolaError as
        reading it would raise."""
        source = self.early_result()
        if source.looks is not None and source.looks.tint is None:
            runs = self.tint()
            source.looks = dataclasses.replace(source.looks, tint=runs.tint, kinds=runs.kinds)
        return source

    def early_result(self) -> PrintSource:
        """The letter read; EpistolaError as reading it would raise. Read by the worker, its
        looks are there but for the tints: ask :meth:`tint` for those."""
        answer = self._worker.part() if self._worker is not None else None
        if answer is not None:
            status, value = answer  # type: ignore[misc]
            if status == "ok":
                return value  # type: ignore[no-any-return]
            self._worker = None
            if status == "error":
                raise EpistolaError(*value)
        # No worker, or one that ended without an answer: read here, where failures show.
        self.discard()
        letter, edition = read_for_print(*self._arguments)
        return PrintSource(letter, edition)

    def tint(self) -> TintRuns:
        """The tints, after :meth:`early_result` answered without them (the worker works
        out their runs too: the parent needs them once the document is laid out)."""
        worker, self._worker = self._worker, None
        answer = worker.part() if worker is not None else None
        if isinstance(answer, tuple) and answer[0] == "tint":
            return answer[1]  # type: ignore[no-any-return]
        if worker is not None:
            worker.discard()
        # The worker ended without them (or is gone): read the letter again, here.
        letter, _edition = read_for_print(*self._arguments)
        return tint_runs_of(*letter_tint_of(letter, *self._looks_for))

    def discard(self) -> None:
        """End the worker, if one runs, without waiting for the rest of its answer."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.discard()


def start_reading(
    file: str,
    reading: str = "normalised",
    register_dirs: Sequence[str] = (),
    *,
    hidden_kinds: frozenset[str] = frozenset(),
    selected: Sequence[str] = (),
) -> PendingRead:
    """Start reading ``file`` for printing (see the module docstring); ask ``result()``."""
    pending = PendingRead(file, reading, register_dirs, hidden_kinds, selected)
    pending.start()
    return pending
