"""The --pdf command's reading: in a worker process forked before Qt starts, or in-process.

The worker's answer (the printed part of the letter, the edition, the looks
worked out from the mentions) must be what reading the letter in the process
gives, and a letter that cannot be read must fail with the same message.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from viewer.errors import EpistolaError
from viewer.exports.print_source import (
    EMPHASISED,
    MARKER,
    PendingRead,
    letter_flags_of,
    letter_looks_of,
    letter_tint_of,
    printed_part,
    read_for_print,
)
from viewer.model import Letter, Mention, Note

ROOT = Path(__file__).resolve().parents[1]
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"
WILLIAMS = "pers.williams.jody"

# Run in a fresh process: the test process has Qt loaded, where the worker is not forked.
WORKER = """
import json, sys
from viewer.errors import EpistolaError
from viewer.exports.print_source import letter_looks_of, printed_part, read_for_print
from viewer.exports.print_source import start_reading
file, reading, selected = sys.argv[1], sys.argv[2], sys.argv[3:]
pending = start_reading(file, reading, (), selected=selected)
forked = pending._worker is not None
try:
    source = pending.result()
except EpistolaError as error:
    print(json.dumps({"forked": forked, "error": [error.message, error.file]}))
    sys.exit(0)
letter, edition = read_for_print(file, reading)
looks = letter_looks_of(letter, frozenset(), selected)
print(json.dumps({
    "forked": forked,
    "no_mentions": source.letter.mentions == (),
    "letter": source.letter == printed_part(letter, selected),
    "edition": [source.edition, edition],
    "looks": source.looks == looks,
    "entity": source.letter.entity(selected[0]) == letter.entity(selected[0]) if selected else True,
}))
"""


# The worker's two parts: the letter with its flags, then the tints (made while the parent
# lays the document out); a worker that fails on the tints leaves them to the parent.
STAGED = """
import json, sys
import viewer.exports.print_source as print_source
from viewer.exports.print_source import letter_looks_of, read_for_print, start_reading
file, case, selected = sys.argv[1], sys.argv[2], sys.argv[3:]
real_tint_of = print_source.letter_tint_of
if case == "tints-fail":
    def failing(*args):
        raise print_source.EpistolaError("no tints in the worker")
    print_source.letter_tint_of = failing
hidden = frozenset({"place"})
pending = start_reading(file, "normalised", (), hidden_kinds=hidden, selected=selected)
forked = pending._worker is not None
early = pending.early_result()
print_source.letter_tint_of = real_tint_of  # the parent's own reading works
runs = pending.tint()
letter, _edition = read_for_print(file)
looks = letter_looks_of(letter, hidden, selected)
print(json.dumps({
    "forked": forked,
    "early_without_tints": early.looks.tint is None and early.looks.kinds == (),
    "flags": early.looks.flags == looks.flags,
    "counts": early.looks.counts == looks.counts,
    "tints": runs == print_source.tint_runs_of(looks.tint, looks.kinds) and runs.numbers != b"",
    "reaped": pending._worker is None,
}))
"""


def run_worker(*args: str, script: str = WORKER) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


@pytest.mark.e2e
def test_the_worker_reads_what_the_process_would():
    for reading in ("normalised", "diplomatic"):
        answer = run_worker(str(ICBL), reading, WILLIAMS)
        assert answer["forked"]
        assert answer["no_mentions"] and answer["letter"] and answer["looks"]
        assert answer["entity"]
        assert answer["edition"][0] == answer["edition"][1] != ""


@pytest.mark.e2e
@pytest.mark.parametrize("case", ["whole", "tints-fail"])
def test_the_worker_hands_over_the_tints_after_the_letter(case):
    answer = run_worker(str(ICBL), case, WILLIAMS, script=STAGED)
    assert answer == {
        "forked": True,
        "early_without_tints": True,
        "flags": True,
        "counts": True,
        "tints": True,
        "reaped": True,
    }


@pytest.mark.e2e
def test_the_worker_reports_what_reading_would_raise(tmp_path):
    missing = str(tmp_path / "missing.xml")
    with pytest.raises(EpistolaError) as here:
        read_for_print(missing)
    answer = run_worker(missing, "normalised")
    assert answer == {"forked": True, "error": [here.value.message, here.value.file]}
    bad = tmp_path / "bad.xml"
    bad.write_text("<TEI><text>unclosed", encoding="utf-8")
    with pytest.raises(EpistolaError) as here:
        read_for_print(str(bad))
    answer = run_worker(str(bad), "normalised")
    assert answer == {"forked": True, "error": [here.value.message, here.value.file]}
    # And a file that parses but is no letter.
    html = tmp_path / "page.xml"
    html.write_text("<html><body><p>no letter</p></body></html>", encoding="utf-8")
    with pytest.raises(EpistolaError) as here:
        read_for_print(str(html))
    answer = run_worker(str(html), "normalised")
    assert answer == {"forked": True, "error": [here.value.message, here.value.file]}
    with pytest.raises(EpistolaError, match="unknown reading"):
        read_for_print(str(ICBL), "sideways")


def test_with_qt_loaded_the_letter_is_read_in_the_process(monkeypatch):
    monkeypatch.setitem(sys.modules, "PySide6.QtCore", sys.modules.get("PySide6.QtCore", sys))
    pending = PendingRead(str(ICBL), "normalised", (), frozenset(), ())
    pending.start()
    assert pending._worker is None
    source = pending.result()
    assert source.looks is None and source.letter == read_for_print(str(ICBL))[0]


def test_looks_say_per_character_kind_and_flags():
    text = "Alpha Beta Gamma Delta"
    mentions = (
        Mention(0, 10, "place", ("pl1",)),  # "Alpha Beta", Beta inside it is a person
        Mention(6, 10, "person", ("p1",)),
        Mention(11, 16, "person", ("p2",)),  # selected: emphasised, not tinted
        Mention(17, 22, "date", ()),  # hidden
    )
    notes = (Note(anchor=16, marker_end=17, label="1", text="n"),)
    letter = Letter(file="l.xml", title="t", text=text, mentions=mentions, notes=notes)
    looks = letter_looks_of(letter, frozenset({"date"}), ("p2",))
    assert looks.kinds == ("place", "person")
    assert bytes(looks.tint) == bytes([1] * 6 + [2] * 4 + [0] * 12)
    assert bytes(looks.flags) == bytes([0] * 11 + [EMPHASISED] * 5 + [MARKER] + [0] * 5)
    assert looks.counts == {"place": 1, "person": 2, "date": 1}
    # The two halves the --pdf worker hands over one after the other.
    assert letter_flags_of(letter, ("p2",)) == (looks.flags, looks.counts)
    assert letter_tint_of(letter, frozenset({"date"}), ("p2",)) == (looks.tint, looks.kinds)


def test_the_printed_part_keeps_what_printing_needs():
    letter = read_for_print(str(ICBL))[0]
    part = printed_part(letter, [WILLIAMS])
    assert part.text == letter.text and part.letterhead == letter.letterhead
    assert (part.title, part.date, part.senders, part.recipients, part.places, part.source) == (
        letter.title, letter.date, letter.senders, letter.recipients, letter.places, letter.source
    )  # fmt: skip
    assert part.entity(WILLIAMS) == letter.entity(WILLIAMS) is not None
    other = next(entity.id for entity in letter.entities if entity.id != WILLIAMS)
    assert letter.entity(other) is not None and part.entity(other) is None
    assert not (part.mentions or part.spans or part.line_breaks or part.diagnostics)
    assert all(block.kind == "note" for block in part.blocks)
