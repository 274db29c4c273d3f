"""viewer.tei.classify's sniff: its fast look for letter markup, and reading a file's head."""

from __future__ import annotations

import itertools
import os
import random

import pytest
from testdata import CORPUS, LETTERHEADS, require

from viewer.tei.classify import (
    _COMMENT,
    _LETTER_MARKUP,
    SNIFF_BYTES,
    _has_letter_markup,
    read_head,
)


def _expected(head: bytes) -> bool:
    return _LETTER_MARKUP.search(_COMMENT.sub(b"", head)) is not None


PIECES = [
    b"<correspDesc>",
    b"<tei:correspDesc/>",
    b"<correspDesc",
    b"correspDesc",
    b'<objectType corresp="brief"/>',
    b"<correspAction type='sent'>",
    b"<opener>",
    b"<closer/>",
    b"<div type='letter'>",
    b'<tei:div n="1" type = "letter">',
    b"<div type='register'>",
    b"<!--",
    b"-->",
    b"<!-- <correspDesc> -->",
    b"<p>text</p>",
    b"<",
    b">",
    b" ",
    b"individual dateline",
    b"<x:y.z:correspDesc>",
]


def test_fast_look_agrees_with_the_expression_on_odd_heads() -> None:
    rng = random.Random(5)
    for _ in range(20_000):
        head = b"".join(rng.choice(PIECES) for _ in range(rng.randint(0, 8)))
        assert _has_letter_markup(head) is _expected(head), head
    for a, b in itertools.product(PIECES, repeat=2):
        assert _has_letter_markup(a + b) is _expected(a + b), a + b


def test_markup_only_inside_a_comment_is_not_a_letter() -> None:
    assert not _has_letter_markup(b"<TEI><!-- <correspDesc> --><teiHeader/>")
    assert not _has_letter_markup(b"<TEI><!-- unterminated <correspDesc>")
    assert _has_letter_markup(b"<TEI><!-- x --><correspDesc>")
    assert _has_letter_markup(b'<TEI><x corresp="a"/><correspDesc>')


def test_fast_look_agrees_on_the_test_corpus() -> None:
    files = sorted(require(CORPUS).rglob("*.xml")) + sorted(require(LETTERHEADS).rglob("*.xml"))
    assert files
    for path in files:
        head = path.read_bytes()[:SNIFF_BYTES]
        assert _has_letter_markup(head) is _expected(head), path


@pytest.mark.parametrize(
    "size", [0, 1, 4095, SNIFF_BYTES - 1, SNIFF_BYTES, SNIFF_BYTES + 1, 200_000]
)
def test_read_head_reads_the_first_bytes_of_a_file(size: int, tmp_path) -> None:
    path = tmp_path / "f.xml"
    data = bytes(random.Random(size).randrange(256) for _ in range(size))
    path.write_bytes(data)
    assert read_head(path) == data[:SNIFF_BYTES]
    assert read_head(str(path), 10) == data[:10]


def test_read_head_refuses_what_is_not_a_regular_file(tmp_path) -> None:
    assert read_head(tmp_path) is None
    assert read_head(tmp_path / "missing.xml") is None
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.xml"
        os.mkfifo(fifo)
        assert read_head(fifo) is None  # at once: nobody writes to it
