"""The search text's finishing steps (viewer.tei.extract) against their plain versions.

``_normalise`` turns the stylesheet's output (text, whitespace, marks) into the
reader's text in as few scans of the bytes as it can. The step-by-step version
it replaced, one scan or replacement for each kind of mark and each pair of
marks, is kept here as the reference: both must give the same bytes for any
mix of words, whitespace, marks and note labels, and on the stylesheet's
output for every letter of the test corpus. ``_notes_after`` (the notes' texts
moved after the letter's) is checked the same way against its lazy ``.*?``
pattern.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testdata import CORPUS, LETTERHEADS, require

from viewer.tei import extract
from viewer.tei.extract import (
    _B_BLOCK,
    _B_CLOSE,
    _B_FLAG,
    _B_JOIN,
    _B_LINE,
    _B_NOTE,
    _B_NOTE_BODY,
    _B_NOTE_END,
    _B_OPEN,
    _B_SOFT,
    _SOFT_BEFORE_CLOSING,
    _labelled,
    _normalise,
    _notes_after,
)
from viewer.tei.xml import parse_file

# ------------------------------------------------------------ the reference

_OTHER_SPACES = (b"\xc2\xa0", b"\xc2\x85", b"\xe2\x81\x9f", b"\xe3\x80\x80", b"\xe1\x9a\x80")
_GENERAL_SPACES = re.compile(rb"\xe2\x80[\x80-\x8a\xa8\xa9\xaf]")


def _collapse(text: bytes, pair: bytes, single: bytes) -> bytes:
    while pair in text:
        text = text.replace(pair, single)
    return text


def reference_normalise(raw: bytes) -> bytes:
    for space in _OTHER_SPACES:
        if space in raw:
            raw = raw.replace(space, b" ")
    if b"\xe2\x80" in raw:
        raw = _GENERAL_SPACES.sub(b" ", raw)
    raw = _SOFT_BEFORE_CLOSING.sub(_B_SOFT, raw)
    text = b" ".join(raw.split())
    if _B_SOFT in text:
        text = text.replace(b" " + _B_SOFT, b"").replace(_B_SOFT, b"")
    if _B_JOIN in text:
        text = text.replace(b" " + _B_JOIN, _B_JOIN).replace(_B_JOIN + b" ", _B_JOIN)
        text = text.replace(_B_JOIN, b"")
    if _B_NOTE in text:
        text = _labelled(text, _B_NOTE, numbered=True, sticky=True)
    if _B_FLAG in text:
        text = _labelled(text, _B_FLAG, numbered=False, sticky=True)
    if _B_NOTE_BODY in text:
        text = _labelled(text, _B_NOTE_BODY, numbered=True, sticky=False)
    for mark in (_B_LINE, _B_BLOCK):
        if mark in text:
            text = text.replace(b" " + mark, mark).replace(mark + b" ", mark)
    if _B_BLOCK in text:
        text = _collapse(text, _B_LINE + _B_BLOCK, _B_BLOCK)
        text = _collapse(text, _B_BLOCK + _B_LINE, _B_BLOCK)
        text = _collapse(text, _B_BLOCK + _B_BLOCK, _B_BLOCK).replace(_B_BLOCK, b"\n\n")
    if _B_LINE in text:
        text = _collapse(text, _B_LINE + _B_LINE, _B_LINE).replace(_B_LINE, b"\n")
    return text.strip()


_LAZY_NOTE_TEXTS = re.compile(
    re.escape(_B_NOTE) + b"(.*?)" + re.escape(_B_NOTE_END) + re.escape(_B_OPEN)
    + b"(.*?)" + re.escape(_B_CLOSE),
    re.S,
)  # fmt: skip


def reference_notes_after(raw: bytes) -> bytes:
    if _B_OPEN in raw:
        notes: list[bytes] = []

        def keep(match: re.Match[bytes]) -> bytes:
            label, body = match.group(1), match.group(2)
            notes.append(_B_BLOCK + _B_NOTE_BODY + label + _B_NOTE_END + b" " + body + _B_BLOCK)
            return _B_NOTE + label + _B_NOTE_END

        raw = _LAZY_NOTE_TEXTS.sub(keep, raw) + b"".join(notes)
    return raw


# ------------------------------------------------------------ generated pieces

_LABELS = [b"", b"1", b"a", b"*", b"12", "\u00fc".encode()]
_PIECES = [
    b"Wort", b"und", b"x", "Stra\u00dfe".encode(), "\u2014".encode(), "\u201e".encode(),
    b" ", b"  ", b"\n", b"\n   ", b"\t", b"\r\n", b"\x0b", b"\x0c", b"\x1c", b".", b",", b")",
    b"]", b"!", b"(",
    "\u00bb".encode(),
    b"\xc2\xa0", b"\xc2\x85", b"\xe2\x80\x83", b"\xe2\x80\xa8", b"\xe2\x80\xaf", b"\xe2\x81\x9f",
    b"\xe3\x80\x80", b"\xe1\x9a\x80", "\u00ab".encode(), "\u3001".encode(), "\u1680x".encode(),
    _B_BLOCK, _B_BLOCK, _B_LINE, _B_LINE, _B_JOIN, "\uf8ff".encode(), "\ufffd".encode(),
]  # fmt: skip
_NOTES = [_B_NOTE, _B_NOTE, _B_NOTE_BODY, _B_FLAG]

piece = st.one_of(
    st.sampled_from(_PIECES),
    st.builds(lambda mark, label: mark + label + _B_NOTE_END, st.sampled_from(_NOTES),
              st.sampled_from(_LABELS)),
)  # fmt: skip


@settings(max_examples=800, deadline=None)
@given(st.lists(piece, max_size=40))
def test_any_mix_normalises_as_the_step_by_step_version(pieces: list[bytes]) -> None:
    raw = b"".join(pieces)
    assert _normalise(raw) == reference_normalise(raw)


@settings(max_examples=400, deadline=None)
@given(st.lists(piece.filter(lambda p: not p.startswith(_B_FLAG)), max_size=40))
def test_markers_and_notes_without_flags_take_the_one_pass_way(pieces: list[bytes]) -> None:
    raw = b"".join(pieces)
    assert _normalise(raw) == reference_normalise(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b"w " + _B_FLAG + b"sic" + _B_NOTE_END + b" " + _B_NOTE + b"1" + _B_NOTE_END + b" z",
        b"w " + _B_NOTE + _B_NOTE_END + _B_NOTE + _B_NOTE_END + b" z",
        b"a " + _B_LINE + b" " + _B_LINE + b" b " + _B_LINE + _B_BLOCK + _B_LINE + b" c",
        _B_BLOCK + b" " + _B_NOTE_BODY + b"7" + _B_NOTE_END + b" body " + _B_BLOCK,
        b"Wort\n   . und\n\t, " + _B_JOIN + b" fort",
        b"",
        b"   ",
    ],
)
def test_the_shapes_that_decide(raw: bytes) -> None:
    assert _normalise(raw) == reference_normalise(raw)


# The stylesheet's output: text, flags (label and end) and notes (marker, label, end, then
# the note's text between two marks), which may hold any of those marks but a note's.
_RAW_PIECES = [*_PIECES, *(_B_FLAG + label + _B_NOTE_END for label in _LABELS)]
note = st.builds(
    lambda label, body: _B_NOTE + label + _B_NOTE_END + _B_OPEN + b"".join(body) + _B_CLOSE,
    st.sampled_from([*_LABELS, "\uf8ff".encode()]),
    st.lists(st.sampled_from([*_RAW_PIECES, _B_NOTE_END, _B_OPEN, b"\xef\xb7"]), max_size=8),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_RAW_PIECES), note), max_size=30))
def test_notes_move_after_the_letter_as_the_lazy_pattern_moves_them(pieces: list[bytes]) -> None:
    raw = b"".join(pieces)
    assert _notes_after(raw) == reference_notes_after(raw)


def _letters() -> list[str]:
    files = sorted(require(CORPUS).rglob("*.xml")) + sorted(require(LETTERHEADS).rglob("*.xml"))
    return [str(path) for path in files]


def test_every_corpus_letter_normalises_as_the_step_by_step_version() -> None:
    checked = 0
    for path in _letters():
        try:
            tree = parse_file(path)
        except Exception:
            continue  # not well-formed: not a letter the extractor reads
        for reading in ("normalised", "diplomatic"):
            for records in (False, True):
                stylesheet = extract._stylesheets()[reading, True, records]
                output = bytes(stylesheet(tree))
                raw = extract._notes_after(output)
                assert raw == reference_notes_after(output), path
                assert _normalise(raw) == reference_normalise(raw), path
                checked += 1
    assert checked > 400
