"""The application state of one Epistola window, without Qt: what is open, shown and selected.

Owns the current letter (and, for a long letter opened in two stages, the
completion still on its way), the selection, the reading, the hidden entity
kinds, the open collection with its match mode (all or any of the selected
entities), and the caret. Widgets never hold a copy of this state: they call
the operations (:meth:`Session.open`, :meth:`Session.select`,
:meth:`Session.toggle`, :meth:`Session.set_reading`, :meth:`Session.when_complete`
...) and observe the events with :meth:`Session.listen`.

Events (``listen(name, callback)``; the callback's arguments in brackets):

* ``letter_shown`` (letter): a letter was opened; ``session.complete`` tells
  whether it is whole or only its first part;
* ``letter_completed`` (letter): the whole of a letter opened in two stages is shown;
* ``rest_failed`` (RestFailure): the rest of a long letter could not be read;
* ``selection_changed`` (frozenset of ids);
* ``reading_changed`` (reading);
* ``kind_visibility_changed`` (kind, visible);
* ``collection_changed`` (the collection index, or None);
* ``match_mode_changed`` (match_all: bool);
* ``caret_moved`` (offset in the letter's text).

The rest of a long letter is read by the ``runner`` given to the
constructor: ``runner(work, done)`` runs ``work()`` somewhere (the window
passes a thread) and calls ``done(outcome)`` back on the session's thread.
Tests pass :func:`run_inline` or a runner they step by hand, so no test races
a thread. A widget that builds the whole letter incrementally attaches itself
with :meth:`Session.attach_builder`; the letter is complete once it has said so.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import field
from typing import Any

from viewer.errors import EpistolaError
from viewer.filtering import Selection, known_ids
from viewer.model import Entity, Letter, StagedLetter
from viewer.records import MutableRecord, Record, frozen, mutable

EVENTS = (
    "letter_shown",
    "letter_completed",
    "rest_failed",
    "selection_changed",
    "reading_changed",
    "kind_visibility_changed",
    "collection_changed",
    "match_mode_changed",
    "caret_moved",
)

# loader(path, reading, staged=...) -> StagedLetter; staged=False asks for the whole letter.
Loader = Callable[..., StagedLetter]
# runner(work, done): run work() (in a thread, say), then done(its result) on our thread.
Runner = Callable[[Callable[[], object], Callable[[object], None]], None]
# show_rest(letter, prepared, done): show the whole letter, call done() once it is shown.
ShowRest = Callable[[Letter, object, Callable[[], None]], None]

# How open() treats the selection: cleared, kept to what the new letter knows, kept whole.
CLEAR, KEEP_KNOWN, KEEP_ALL = "clear", "known", "all"


def run_inline(work: Callable[[], object], done: Callable[[object], None]) -> None:
    """A runner that does the work at once, on the caller's thread."""
    done(work())


@frozen
class RestFailure(Record):
    """The rest of a long letter could not be read; ``bug`` with a traceback to log."""

    file: str
    error: BaseException
    details: str = ""  # the traceback, for an unexpected exception (a bug)

    @property
    def bug(self) -> bool:
        return not isinstance(self.error, EpistolaError)

    @property
    def message(self) -> str:
        return str(self.error) or type(self.error).__name__


@mutable
class _Completion(MutableRecord):
    """A letter opened in two stages whose rest is on its way."""

    number: int  # which open() it belongs to: a late rest of an older letter is dropped
    letter: Letter | None = None  # the whole letter, once read
    then: list[Callable[[], object]] = field(default_factory=list)


class Session:
    """The state of one window; every change is announced to the listeners of its event."""

    def __init__(
        self,
        loader: Loader,
        *,
        runner: Runner = run_inline,
        reading: str = "normalised",
        match_all: bool = True,
        hidden_kinds: Iterable[str] = (),
    ) -> None:
        self._loader = loader
        self._runner = runner
        self._reading = reading
        self._letter: Letter | None = None
        self._selection = Selection()
        self._hidden: set[str] = set(hidden_kinds)
        self._collection: Any = None
        self._match_all = match_all
        self._caret = 0
        self._opened = 0
        self._completing: _Completion | None = None
        self._prepare: Callable[[Letter], object] | None = None
        self._show_rest: ShowRest | None = None
        self._listeners: dict[str, list[Callable[..., object]]] = {name: [] for name in EVENTS}
        self.last_error: str | None = None  # the message of the last open() that failed

    # ----------------------------------------------------------------- observing
    def listen(self, event: str, callback: Callable[..., object]) -> Callable[[], None]:
        """Call ``callback`` on ``event`` (see the module's docstring); returns an unlisten."""
        if event not in self._listeners:
            raise ValueError(f"no session event {event!r} (one of {', '.join(EVENTS)})")
        self._listeners[event].append(callback)
        return lambda: self._listeners[event].remove(callback)

    def _emit(self, event: str, *args: object) -> None:
        for callback in list(self._listeners[event]):
            callback(*args)

    def attach_builder(
        self, prepare: Callable[[Letter], object] | None, show_rest: ShowRest | None
    ) -> None:
        """A widget that builds the whole letter: ``prepare(letter)`` runs in the runner's
        worker, ``show_rest(letter, prepared, done)`` on our thread, ``done()`` once shown."""
        self._prepare = prepare
        self._show_rest = show_rest

    # --------------------------------------------------------------------- state
    @property
    def letter(self) -> Letter | None:
        return self._letter

    @property
    def selection(self) -> frozenset[str]:
        return self._selection.ids

    @property
    def reading(self) -> str:
        return self._reading

    @property
    def hidden_kinds(self) -> frozenset[str]:
        return frozenset(self._hidden)

    def kind_visible(self, kind: str) -> bool:
        return kind not in self._hidden

    @property
    def complete(self) -> bool:
        """False while the rest of a letter opened in two stages is still on its way."""
        return self._completing is None

    @property
    def collection(self) -> Any:
        """The open collection's index (viewer.collection.CollectionIndex), or None."""
        return self._collection

    @property
    def match_all(self) -> bool:
        """The letter list shows letters naming all (True) or any of the selected entities."""
        return self._match_all

    @property
    def caret(self) -> int:
        return self._caret

    def entity_named(self, entity_id: str, files: Sequence[str]) -> Entity | None:
        """The entity ``entity_id`` as the open letter has it, else as the first of ``files``
        (letters naming it) reads in this reading; None where it cannot be read. What the
        collection register's Copy takes an entity's authority URIs from: the collection's
        index keeps none. Shows nothing and leaves the session as it is."""
        shown = self._letter.entity(entity_id) if self._letter is not None else None
        if shown is not None or not files:
            return shown
        try:
            return self._loader(os.fspath(files[0]), self._reading, staged=False).letter.entity(
                entity_id
            )
        except (EpistolaError, OSError):
            return None

    # ---------------------------------------------------------------- operations
    def open(self, path: str, *, keep: str = CLEAR, staged: bool = True) -> bool:
        """Read and show the letter at ``path``; False (and ``last_error``) when it cannot be.

        ``keep`` says what becomes of the selection: CLEAR, KEEP_KNOWN (the ids the
        new letter knows; kept whole while only a first part is there to tell) or
        KEEP_ALL. With ``staged`` a long letter shows its first part at once and
        the rest when the runner has read it (``letter_completed``).
        """
        path = os.fspath(path)
        try:
            read = self._loader(path, self._reading, staged=staged)
        except (EpistolaError, OSError) as error:
            self.last_error = str(error) if isinstance(error, EpistolaError) else f"{path}: {error}"
            return False
        self.last_error = None
        self._opened += 1
        previous = self._selection
        letter = read.letter
        self._letter = letter
        if keep == KEEP_ALL or (keep == KEEP_KNOWN and not read.complete):
            self._selection = previous
        elif keep == KEEP_KNOWN:
            self._selection = previous.restricted_to(known_ids(letter))
        else:
            self._selection = Selection()
        self._completing = None if read.complete else _Completion(self._opened)
        self._emit("letter_shown", letter)
        self._emit("selection_changed", self._selection.ids)
        if read.rest is not None:
            number = self._opened
            self._runner(
                self._rest_work(number, path, read.rest),
                lambda outcome: self._rest_read(number, outcome),
            )
        return True

    def reload(self) -> bool:
        """Read the current letter again, keeping the selection it still knows."""
        if self._letter is None:
            return False
        return self.open(self._letter.file, keep=KEEP_KNOWN)

    def when_complete(self, action: Callable[[], object]) -> None:
        """Run ``action`` now, or once the whole of the letter being opened is shown.

        Dropped if the rest cannot be read or another letter is opened meanwhile.
        """
        if self._completing is None:
            action()
        else:
            self._completing.then.append(action)

    def select(self, ids: Iterable[str]) -> None:
        self._set_selection(Selection(ids))

    def toggle(self, ids: Iterable[str], additive: bool = False) -> None:
        """A click on something naming ``ids``; ``additive`` is Ctrl+click."""
        self._set_selection(self._selection.toggle_many(ids, additive))

    def clear_selection(self) -> None:
        self._set_selection(Selection())

    def set_reading(self, reading: str) -> bool:
        """Show the letter in ``reading``; False (the reading unchanged) when it cannot be."""
        if reading == self._reading:
            return True
        previous = self._reading
        self._reading = reading
        if self._letter is not None and not self.open(self._letter.file, keep=KEEP_KNOWN):
            self._reading = previous
            return False
        self._emit("reading_changed", reading)
        return True

    def set_kind_visible(self, kind: str, visible: bool) -> None:
        if visible == (kind not in self._hidden):
            return
        if visible:
            self._hidden.discard(kind)
        else:
            self._hidden.add(kind)
        self._emit("kind_visibility_changed", kind, visible)

    def set_collection(self, index: Any) -> None:
        self._collection = index
        self._emit("collection_changed", index)

    def set_match_all(self, match_all: bool) -> None:
        if match_all != self._match_all:
            self._match_all = match_all
            self._emit("match_mode_changed", match_all)

    def move_caret(self, offset: int) -> None:
        if offset != self._caret:
            self._caret = offset
            self._emit("caret_moved", offset)

    # ----------------------------------------------------------------- internals
    def _set_selection(self, selection: Selection) -> None:
        self._selection = selection
        self._emit("selection_changed", selection.ids)

    def _stale(self, number: int) -> bool:
        completion = self._completing
        return completion is None or completion.number != number

    def _rest_work(
        self, number: int, path: str, rest: Callable[[], Letter]
    ) -> Callable[[], object]:
        prepare = self._prepare

        def work() -> object:
            # Another letter opened before the worker started: reading this rest would only
            # take the interpreter from the letter now shown.
            if self._stale(number):
                return None
            try:
                letter = rest()
                prepared = prepare(letter) if prepare is not None else None
                letter.mention_counts()  # counted here, not while the window waits
            except EpistolaError as error:
                return RestFailure(path, error)
            except Exception as error:  # a bug: told and logged, never lost
                return RestFailure(path, error, traceback.format_exc())
            return letter, prepared

        return work

    def _rest_read(self, number: int, outcome: object) -> None:
        completion = self._completing
        if completion is None or completion.number != number or outcome is None:
            return  # another letter was opened meanwhile
        if isinstance(outcome, RestFailure):
            # What waited for the whole letter (a search hit, a count) is dropped with it.
            self._completing = None
            self._emit("rest_failed", outcome)
            return
        letter, prepared = outcome  # type: ignore[misc]
        completion.letter = letter
        if self._show_rest is None:
            self._finish(number)
        else:
            self._show_rest(letter, prepared, lambda: self._finish(number))

    def _finish(self, number: int) -> None:
        completion = self._completing
        if completion is None or completion.number != number or completion.letter is None:
            return
        self._completing = None
        letter = completion.letter
        self._letter = letter
        self._selection = self._selection.restricted_to(known_ids(letter))
        self._emit("letter_completed", letter)
        self._emit("selection_changed", self._selection.ids)
        for action in completion.then:
            action()


__all__ = [
    "CLEAR",
    "EVENTS",
    "KEEP_ALL",
    "KEEP_KNOWN",
    "RestFailure",
    "Session",
    "run_inline",
]
