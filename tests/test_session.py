"""The Qt-free session: opening, selection, reading, kinds, collection and two-stage letters.

No QApplication anywhere: letters come from a loader written here (or the real
reader for the shipped letter), and the rest of a long letter is read by a
runner the test steps by hand, so no test races a thread.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from viewer.errors import EpistolaError
from viewer.model import Entity, Letter, Mention, StagedLetter
from viewer.session import CLEAR, EVENTS, KEEP_ALL, KEEP_KNOWN, RestFailure, Session, run_inline

ROOT = Path(__file__).resolve().parent.parent
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"


def letter(file: str, *ids: str, reading: str = "normalised") -> Letter:
    """A letter mentioning each of ``ids`` once."""
    text = " ".join(ids) or "empty"
    mentions, at = [], 0
    for entity_id in ids:
        mentions.append(Mention(at, at + len(entity_id), "person", (entity_id,)))
        at += len(entity_id) + 1
    entities = tuple(Entity(i, "person", i.upper()) for i in ids)
    return Letter(
        file=file, title=file, text=text, entities=entities, mentions=tuple(mentions),
        reading=reading,
    )  # fmt: skip


class Loader:
    """Letters by file name: ``whole[file]`` ids; ``first[file]`` makes it a two-stage letter."""

    def __init__(self) -> None:
        self.whole: dict[str, tuple[str, ...]] = {}
        self.first: dict[str, tuple[str, ...]] = {}
        self.broken_rest: dict[str, BaseException] = {}
        self.calls: list[tuple[str, str, bool]] = []

    def __call__(self, path: str, reading: str, *, staged: bool = False) -> StagedLetter:
        self.calls.append((path, reading, staged))
        if path not in self.whole:
            raise EpistolaError(f"{path}: no such letter")
        whole = letter(path, *self.whole[path], reading=reading)
        if not staged or path not in self.first:
            return StagedLetter(whole)

        def rest() -> Letter:
            if path in self.broken_rest:
                raise self.broken_rest[path]
            return whole

        return StagedLetter(letter(path, *self.first[path], reading=reading), rest)


class StepRunner:
    """Keeps each job until the test says it is done: ``finish()`` runs the oldest."""

    def __init__(self) -> None:
        self.jobs: list = []

    def __call__(self, work, done) -> None:
        self.jobs.append((work, done))

    def finish(self) -> None:
        work, done = self.jobs.pop(0)
        done(work())


class Recorder:
    """Every event of a session, in order, as (name, *args)."""

    def __init__(self, session: Session) -> None:
        self.events: list[tuple] = []
        for name in EVENTS:
            session.listen(name, lambda *args, n=name: self.events.append((n, *args)))

    def names(self) -> list[str]:
        return [event[0] for event in self.events]

    def last(self, name: str) -> tuple:
        return next(event for event in reversed(self.events) if event[0] == name)


@pytest.fixture
def loader() -> Loader:
    made = Loader()
    made.whole["a.xml"] = ("p.a", "p.b", "p.c")
    made.whole["b.xml"] = ("p.b", "p.d")
    made.whole["long.xml"] = ("p.a", "p.b", "p.late")
    made.first["long.xml"] = ("p.a",)
    return made


@pytest.fixture
def runner() -> StepRunner:
    return StepRunner()


@pytest.fixture
def session(loader, runner) -> Session:
    return Session(loader, runner=runner)


# -------------------------------------------------------------------- opening


def test_open_shows_the_letter_and_clears_the_selection(session) -> None:
    events = Recorder(session)
    assert session.open("a.xml")
    session.select({"p.a"})
    assert session.open("b.xml")
    assert session.letter.file == "b.xml"
    assert session.selection == frozenset()
    assert session.complete
    assert events.names()[-2:] == ["letter_shown", "selection_changed"]
    assert events.last("letter_shown")[1] is session.letter


def test_a_letter_that_cannot_be_read_leaves_the_shown_one(session) -> None:
    session.open("a.xml")
    session.select({"p.b"})
    events = Recorder(session)
    assert not session.open("missing.xml")
    assert session.last_error == "missing.xml: no such letter"
    assert session.letter.file == "a.xml"
    assert session.selection == {"p.b"}
    assert events.events == []
    assert session.open("b.xml")
    assert session.last_error is None


def test_os_errors_become_a_message(loader) -> None:
    def failing(path, reading, *, staged=False):
        raise PermissionError(13, "Permission denied")

    session = Session(failing)
    assert not session.open("x.xml")
    assert "x.xml" in session.last_error and "Permission denied" in session.last_error


def test_keeping_the_selection_known_to_the_new_letter(session) -> None:
    session.open("a.xml")
    session.select({"p.a", "p.b"})
    assert session.open("b.xml", keep=KEEP_KNOWN)
    assert session.selection == {"p.b"}


def test_keeping_the_selection_whole(session) -> None:
    session.open("a.xml")
    session.select({"p.a", "p.b"})
    assert session.open("b.xml", keep=KEEP_ALL)
    assert session.selection == {"p.a", "p.b"}


def test_reload_reads_the_file_again_and_keeps_what_it_knows(session, loader) -> None:
    assert not session.reload()
    session.open("a.xml")
    session.select({"p.c"})
    loader.whole["a.xml"] = ("p.a",)
    assert session.reload()
    assert session.selection == frozenset()
    assert [call[0] for call in loader.calls] == ["a.xml", "a.xml"]


def test_the_real_reader_through_the_session() -> None:
    from viewer.tei.reader import read_letter_staged

    def read(path, reading, *, staged=False):
        return read_letter_staged(path, reading=reading)

    session = Session(read, runner=run_inline)
    assert session.open(str(ICBL))
    assert session.complete
    assert session.letter.mentions
    entity = session.letter.mentions[0].entities[0]
    session.toggle([entity])
    assert session.selection == {entity}


# ------------------------------------------------------------------ selection


def test_select_toggle_and_clear(session) -> None:
    session.open("a.xml")
    changes: list[frozenset[str]] = []
    session.listen("selection_changed", changes.append)
    session.toggle(["p.a"])
    assert session.selection == {"p.a"}
    session.toggle(["p.a"])  # a second plain click on the whole selection clears it
    assert session.selection == frozenset()
    session.toggle(["p.a"])
    session.toggle(["p.b"], additive=True)
    assert session.selection == {"p.a", "p.b"}
    session.toggle(["p.a"], additive=True)
    assert session.selection == {"p.b"}
    session.toggle(["p.a", "p.c"])  # a name standing for several entities
    assert session.selection == {"p.a", "p.c"}
    session.clear_selection()
    session.select(["p.b"])
    assert changes == [
        {"p.a"}, set(), {"p.a"}, {"p.a", "p.b"}, {"p.b"}, {"p.a", "p.c"}, set(), {"p.b"},
    ]  # fmt: skip


def test_unlisten_stops_the_calls(session) -> None:
    changes = []
    unlisten = session.listen("selection_changed", changes.append)
    session.select(["x"])
    unlisten()
    session.select(["y"])
    assert changes == [{"x"}]


def test_an_unknown_event_is_refused(session) -> None:
    with pytest.raises(ValueError, match="no session event 'letter_opened'"):
        session.listen("letter_opened", print)


# -------------------------------------------------------- reading, kinds, caret


def test_set_reading_reopens_the_letter_keeping_the_selection(session, loader) -> None:
    events = Recorder(session)
    assert session.set_reading("diplomatic")  # no letter yet: only remembered
    assert session.reading == "diplomatic"
    session.open("a.xml")
    session.select({"p.a"})
    assert session.set_reading("normalised")
    assert session.letter.reading == "normalised"
    assert session.selection == {"p.a"}
    assert loader.calls[-1] == ("a.xml", "normalised", True)
    assert events.last("reading_changed") == ("reading_changed", "normalised")


def test_a_reading_that_cannot_be_shown_is_not_taken(session, loader) -> None:
    session.open("a.xml")
    del loader.whole["a.xml"]  # the file went away
    events = Recorder(session)
    assert not session.set_reading("diplomatic")
    assert session.reading == "normalised"
    assert session.letter.file == "a.xml"
    assert "reading_changed" not in events.names()


def test_hidden_kinds(session) -> None:
    events = Recorder(session)
    assert session.kind_visible("place")
    session.set_kind_visible("place", False)
    session.set_kind_visible("place", False)  # no change, no event
    assert session.hidden_kinds == {"place"}
    session.set_kind_visible("place", True)
    assert session.hidden_kinds == frozenset()
    assert events.events == [
        ("kind_visibility_changed", "place", False),
        ("kind_visibility_changed", "place", True),
    ]
    assert Session(lambda *a, **k: None, hidden_kinds=["date"]).hidden_kinds == {"date"}


def test_caret_moves_are_told_once(session) -> None:
    moves = []
    session.listen("caret_moved", moves.append)
    session.move_caret(5)
    session.move_caret(5)
    session.move_caret(9)
    assert moves == [5, 9]
    assert session.caret == 9


def test_collection_and_match_mode(session) -> None:
    events = Recorder(session)
    assert session.match_all
    index = object()
    session.set_collection(index)
    assert session.collection is index
    session.set_match_all(False)
    session.set_match_all(False)
    assert not session.match_all
    assert events.events == [("collection_changed", index), ("match_mode_changed", False)]


# -------------------------------------------------------------- two stages


def test_a_long_letter_shows_its_first_part_then_the_whole(session, runner) -> None:
    events = Recorder(session)
    done = []
    assert session.open("long.xml")
    assert not session.complete
    assert session.letter.text == "p.a"
    session.when_complete(lambda: done.append(session.letter.text))
    assert done == [] and len(runner.jobs) == 1
    runner.finish()
    assert session.complete
    assert session.letter.text == "p.a p.b p.late"
    assert done == ["p.a p.b p.late"]
    assert events.names() == [
        "letter_shown", "selection_changed", "letter_completed", "selection_changed",
    ]  # fmt: skip
    assert events.last("letter_completed")[1] is session.letter
    session.when_complete(lambda: done.append("now"))
    assert done[-1] == "now"


def test_not_staged_means_whole_at_once(session, runner) -> None:
    assert session.open("long.xml", staged=False)
    assert session.complete and runner.jobs == []
    assert session.letter.text == "p.a p.b p.late"


def test_a_selection_kept_on_reload_stays_whole_until_the_rest_is_read(session, runner) -> None:
    session.open("long.xml")
    runner.finish()
    session.select({"p.late", "p.gone"})
    assert session.reload()
    assert not session.complete
    # The first part does not mention p.late: kept whole while it cannot tell...
    assert session.selection == {"p.late", "p.gone"}
    runner.finish()
    # ... and restricted to what the whole letter knows once it is read.
    assert session.selection == {"p.late"}


def test_the_selection_is_cleared_when_a_long_letter_opens(session, runner) -> None:
    session.open("a.xml")
    session.select({"p.a"})
    session.open("long.xml", keep=CLEAR)
    assert session.selection == frozenset()
    session.select({"p.late"})  # chosen from a register while the rest is read
    runner.finish()
    assert session.selection == {"p.late"}


def test_opening_another_letter_drops_the_late_rest(session, runner) -> None:
    events = Recorder(session)
    dropped = []
    session.open("long.xml")
    session.when_complete(lambda: dropped.append("ran"))
    session.open("a.xml")
    assert session.complete
    runner.finish()  # the rest of long.xml arrives after a.xml was opened
    assert session.letter.file == "a.xml"
    assert dropped == []
    assert "letter_completed" not in events.names()


def test_a_rest_opened_twice_takes_only_the_second(session, runner) -> None:
    session.open("long.xml")
    session.open("long.xml")
    completed = []
    session.listen("letter_completed", completed.append)
    runner.finish()  # the first open's rest: stale
    assert not session.complete and completed == []
    runner.finish()
    assert session.complete and len(completed) == 1


def test_a_rest_that_cannot_be_read_is_told_and_drops_the_waiting(session, loader, runner):
    loader.broken_rest["long.xml"] = EpistolaError("long.xml: truncated")
    failures: list[RestFailure] = []
    session.listen("rest_failed", failures.append)
    waiting = []
    session.open("long.xml")
    first = session.letter
    session.when_complete(lambda: waiting.append("ran"))
    runner.finish()
    assert session.complete
    assert session.letter is first  # the first part stays
    assert waiting == []
    (failure,) = failures
    assert failure.file == "long.xml" and not failure.bug
    assert failure.message == "long.xml: truncated"


def test_a_bug_while_reading_the_rest_carries_its_traceback(session, loader, runner) -> None:
    loader.broken_rest["long.xml"] = MemoryError("no room left")
    failures: list[RestFailure] = []
    session.listen("rest_failed", failures.append)
    session.open("long.xml")
    runner.finish()
    (failure,) = failures
    assert failure.bug
    assert failure.message == "no room left"
    assert "MemoryError: no room left" in failure.details


def test_a_builder_prepares_in_the_worker_and_says_when_it_has_shown(session, runner) -> None:
    prepared_in_worker, shown = [], []

    def prepare(whole: Letter) -> str:
        prepared_in_worker.append(whole.text)
        return "built"

    def show_rest(whole: Letter, prepared: object, done) -> None:
        shown.append((whole.text, prepared, done))

    session.attach_builder(prepare, show_rest)
    session.open("long.xml")
    runner.finish()
    assert prepared_in_worker == ["p.a p.b p.late"]
    assert [(text, prepared) for text, prepared, _done in shown] == [("p.a p.b p.late", "built")]
    assert not session.complete  # the widget has not finished building it
    shown[0][2]()
    assert session.complete
    assert session.letter.text == "p.a p.b p.late"


def test_a_builder_finishing_after_another_open_changes_nothing(session, runner) -> None:
    finishers = []
    session.attach_builder(None, lambda whole, prepared, done: finishers.append(done))
    session.open("long.xml")
    runner.finish()
    session.open("b.xml")
    finishers[0]()
    assert session.letter.file == "b.xml"


def test_a_rest_whose_letter_was_replaced_before_it_started_is_not_read(session, loader, runner):
    loader.whole["long2.xml"] = ("p.x", "p.y")
    loader.first["long2.xml"] = ("p.x",)
    session.open("long.xml")
    session.open("long2.xml")
    work, done = runner.jobs.pop(0)
    assert work() is None  # the worker starts after long2.xml replaced long.xml
    done(None)
    assert not session.complete
    runner.finish()
    assert session.complete and session.letter.file == "long2.xml"


# ------------------------------------------------------- an entity for Copy


def test_an_entity_is_named_by_the_open_letter_or_read_from_a_letter_naming_it(
    session, loader
) -> None:
    recorder = Recorder(session)
    assert session.entity_named("p.d", ["b.xml"]).name == "P.D"  # nothing open: read
    assert loader.calls[-1] == ("b.xml", "normalised", False)  # whole, in the reading
    assert session.letter is None and recorder.events == []  # shown nowhere
    session.open("a.xml")
    calls = len(loader.calls)
    assert session.entity_named("p.b", ["b.xml"]).name == "P.B"  # the open letter has it
    assert len(loader.calls) == calls  # nothing read
    assert session.entity_named("p.d", []) is None  # no letter names it
    assert session.entity_named("p.x", ["gone.xml"]) is None  # unreadable: None
    assert session.letter.file == "a.xml"
