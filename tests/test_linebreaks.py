"""Reading the source's line breaks without Qt: which newlines flow, the shown text, numbers.

On the Escher and Jean Paul letters of tests/data (their lbs are the manuscript's
and the printed edition's lines) and on small letters written here for the cases
the corpus has few of (break="no", an lb ending a verse line, pages).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from testdata import CORPUS, require

from viewer.linebreaks import (
    FLOWING,
    NOTHING,
    SOURCE_LINES,
    flowing_characters,
    line_index_at,
    line_numbers,
    page_and_line,
    shown_text,
)
from viewer.tei import read_letter

ROOT = Path(__file__).resolve().parents[1]
TEI = "http://www.tei-c.org/ns/1.0"
ESCHER = CORPUS / "escher" / "briefe"
BLUMER = ESCHER / "K_0248_Blumer_Johann_Jakob_an_Escher_1841-07-07.xml"
JEAN_PAUL = CORPUS / "jean-paul" / "briefe" / "vonbriefe" / "II" / "II_211.xml"
# A line broken inside a sentence: a word character or comma, a newline, a word.
MID_SENTENCE = re.compile(r"[\w,;]\n[\w(«„]")
LINED_BLOCKS = {"opener", "closer", "address", "dateline", "salute", "signed", "letterhead"}


def tei(body: str) -> str:
    return (
        f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt><title>T</title></titleStmt>'
        "<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc>"
        f"</teiHeader><text><body>{body}</body></text></TEI>"
    )


def letter_of(tmp_path: Path, body: str, reading: str = "normalised"):
    path = tmp_path / "l.xml"
    path.write_text(tei(body), encoding="utf-8")
    return read_letter(path, reading=reading)


def corpus_letters() -> list[Path]:
    escher = sorted(require(ESCHER).glob("*.xml"))
    jean_paul = sorted(require(CORPUS / "jean-paul" / "briefe").rglob("*.xml"))
    return escher + [p for p in jean_paul if "<lb" in p.read_text(encoding="utf-8")]


@pytest.mark.slow
@pytest.mark.parametrize("reading", ["normalised", "diplomatic"])
def test_flowing_text_has_no_mid_sentence_line_break_and_keeps_every_offset(reading):
    broken_before = 0
    for path in corpus_letters():
        letter = read_letter(path, reading=reading)
        flowing = shown_text(letter, FLOWING)
        assert len(flowing) == len(letter.text), path.name
        assert shown_text(letter, SOURCE_LINES) == letter.text
        # A line element (a dateline in an opener, an address line) still ends its line,
        # and so does an lb in an opener, closer or address: they are set in lines.
        structural = {b.end for b in letter.blocks} | {b.start - 1 for b in letter.blocks}
        lined = [(b.start, b.end) for b in letter.blocks if b.kind in LINED_BLOCKS]
        broken = [m.start() + 1 for m in MID_SENTENCE.finditer(flowing)]
        left = [
            flowing[at - 11 : at + 8]
            for at in broken
            if at not in structural and not any(a <= at < b for a, b in lined)
        ]
        assert left == [], path.name
        changed = [i for i, (a, b) in enumerate(zip(letter.text, flowing, strict=True)) if a != b]
        assert changed == [at for at, _ in flowing_characters(letter)]
        assert all(letter.text[i] == "\n" for i in changed)
        broken_before += len(MID_SENTENCE.findall(letter.text))
        paragraphs = letter.text.count("\n\n")
        assert flowing.count("\n\n") == paragraphs  # paragraphs stay paragraphs
    assert broken_before > 500  # the source lines did break sentences: the test has teeth


def test_line_breaks_one_per_lb_that_breaks_in_order_each_at_a_line_start():
    letter = read_letter(require(BLUMER))
    source = BLUMER.read_text(encoding="utf-8")
    ids = re.findall(r'<lb xml:id="([^"]+)"(?! break="no")', source)
    assert [b.id for b in letter.line_breaks] == ids
    assert len(ids) == 17  # 18 lbs, one of them inside "mitzu<lb break="no"/>nehmen"
    offsets = [b.offset for b in letter.line_breaks]
    assert offsets == sorted(set(offsets))
    text = letter.text
    for offset in offsets:
        assert offset == 0 or text[offset - 1] == "\n"
        assert text[offset] != "\n"
    diplomatic = read_letter(BLUMER, reading="diplomatic")
    assert "p1-l5" in [b.id for b in diplomatic.line_breaks]


@pytest.mark.slow
def test_corpus_line_breaks_start_distinct_lines():
    for path in corpus_letters():
        for reading in ("normalised", "diplomatic"):
            letter = read_letter(path, reading=reading)
            offsets = [b.offset for b in letter.line_breaks]
            assert offsets == sorted(set(offsets)), path.name
            for offset in offsets:
                assert offset == 0 or letter.text[offset - 1] == "\n", (path.name, offset)
                assert letter.text[offset] != "\n", (path.name, offset)


@pytest.mark.slow
def test_dump_line_breaks_are_the_models(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--dump", str(require(BLUMER))],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    dumped = json.loads(out.stdout)
    letter = read_letter(BLUMER)
    assert dumped["text"] == letter.text
    assert dumped["lineBreaks"] == [
        {"offset": b.offset, "n": b.n, "id": b.id} for b in letter.line_breaks
    ]


def test_line_numbers_follow_n_then_the_id_then_the_count():
    assert page_and_line("VI_218-3") == ("218", "3")
    assert page_and_line("II_136-17") == ("136", "17")
    assert page_and_line("IV-5_173-3") == ("173", "3")
    assert page_and_line("p1-l3") == ("1", "3")
    assert page_and_line("d1e2345") is None
    assert page_and_line("line") is None

    letter = read_letter(require(JEAN_PAUL))
    numbers = line_numbers(letter)
    assert len(numbers) == len(letter.line_breaks)
    by_id = {n.id: n for n in numbers}
    assert by_id["II_136-18"].label == "136,18"
    assert by_id["II_136-20"].line == "20"  # lb n="20" xml:id="II_136-20"
    assert by_id["II_136-20"].label == "136,20"
    assert by_id["II_136-20"].always_shown and not by_id["II_136-18"].always_shown
    assert by_id["II_137-5"].line == "5"
    for number, line in zip(numbers, letter.line_breaks, strict=True):
        assert number.offset == line.offset
        if line.n:
            assert number.line == line.n
        elif line.id:
            assert number.label == ",".join(page_and_line(line.id))

    escher = line_numbers(read_letter(BLUMER))
    assert [n.line for n in escher] == [str(i) for i in range(1, 19) if i != 5]


def test_line_count_restarts_on_each_page(tmp_path):
    letter = letter_of(
        tmp_path,
        '<pb n="1"/><p><lb/>eins zwei<lb/>drei vier<lb/>fünf</p>'
        '<pb n="2"/><p><lb/>sechs<lb n="9"/>sieben</p>',
    )
    numbers = line_numbers(letter)
    assert [n.line for n in numbers] == ["1", "2", "3", "1", "9"]
    assert line_index_at(numbers, letter.text.index("vier")) == 1
    assert line_index_at(numbers, letter.text.index("sieben")) == 4


def test_break_inside_a_word_reads_as_nothing_and_verse_lines_do_not_flow(tmp_path):
    body = (
        "<p>Das Unter<lb break='no'/>hemd und der<lb/>Rock</p>"
        "<lg><l>Erste Zeile<lb/></l><l>zweite Zeile</l></lg>"
        "<p><address><addrLine><lb/>Herrn</addrLine><addrLine><lb/>Escher</addrLine></address></p>"
    )
    normalised = letter_of(tmp_path, body)
    flowing = shown_text(normalised, FLOWING)
    assert flowing.startswith("Das Unterhemd und der Rock\n\n")
    assert "Erste Zeile\nzweite Zeile" in flowing  # a verse line ends with or without lb
    assert "Herrn\nEscher" in flowing
    diplomatic = letter_of(tmp_path, body, reading="diplomatic")
    assert diplomatic.text.startswith("Das Unter\nhemd und der\nRock")
    assert shown_text(diplomatic, FLOWING).startswith(f"Das Unter{NOTHING}hemd und der Rock")


def test_an_lb_closing_a_paragraph_numbers_the_next_line_once(tmp_path):
    letter = letter_of(
        tmp_path, '<p>eins<lb xml:id="a-1"/></p><p><lb xml:id="a-2"/>zwei<lb xml:id="a-3"/></p>'
    )
    assert letter.text == "eins\n\nzwei"
    assert [(b.offset, b.id, b.flows) for b in letter.line_breaks] == [(6, "a-2", False)]
    assert shown_text(letter, FLOWING) == letter.text


def test_a_letterhead_keeps_its_lines_in_flowing_text():
    letter = read_letter(ROOT / "letters" / "icbl-2007-07-24-anama.xml")
    assert "Sylvie Brigot\nExecutive Director" in letter.text
    assert "Sylvie Brigot\nExecutive Director" in shown_text(letter, FLOWING)
    assert "Jody Williams\nNobel Peace Laureate" in shown_text(letter, FLOWING)  # signed


@pytest.mark.slow
@pytest.mark.e2e
def test_screenshots_of_both_line_modes_differ(tmp_path):
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "EPISTOLA_CONFIG_DIR": str(tmp_path / "config"),
        "EPISTOLA_LOG_DIR": str(tmp_path / "logs"),
        "EPISTOLA_CACHE_DIR": str(tmp_path / "cache"),
    }
    shots = {}
    for mode in ("flowing", "lines"):
        png = tmp_path / f"{mode}.png"
        result = subprocess.run(
            [sys.executable, str(ROOT / "main.py"), str(require(BLUMER)),
             "--line-breaks", mode, "--screenshot", str(png)],
            cwd=ROOT, env=env, capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        shots[mode] = png.read_bytes()
    assert shots["flowing"] != shots["lines"]
    bad = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--line-breaks", "wrapped", str(BLUMER)],
        cwd=ROOT, env=env, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr
