"""Reading a long letter in two stages (viewer.tei.reader.read_letter_staged), without Qt.

The first part must be a true beginning of the whole letter: its text a prefix of
the whole text, its mentions, spans and blocks exactly the whole letter's ones
that lie in it, so that the window can show it and later swap in the rest
without anything moving. ``rest()`` must give what read_letter gives.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from testdata import CORPUS, require

from viewer.errors import EpistolaError
from viewer.model import Letter
from viewer.tei import read_letter
from viewer.tei.catalog import RegisterCatalog
from viewer.tei.classify import classify
from viewer.tei.reader import read_letter_staged

ROOT = Path(__file__).resolve().parents[1]
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"

sys.path.insert(0, str(ROOT / "tests" / "bench"))
from make_big_letter import make_letter  # noqa: E402

# ``long_letter`` (tests/conftest.py): a generated letter of 400 KB with 8,000 mentions.

TEI = 'xmlns="http://www.tei-c.org/ns/1.0"'


def assert_true_beginning(first: Letter, whole: Letter) -> None:
    assert len(first.text) < len(whole.text)
    assert whole.text.startswith(first.text)
    cut = len(first.text)
    assert list(first.mentions) == [m for m in whole.mentions if m.start < cut]
    assert all(m.end <= cut for m in first.mentions)
    whole_spans = [s for s in whole.spans if s.start < cut or (s.start == s.end == cut)]
    assert [s for s in first.spans if s.start < cut] == [s for s in whole_spans if s.start < cut]
    assert set(first.blocks) <= set(whole.blocks) | {b for b in first.blocks if b.end > cut}
    for entity_id in {e for m in first.mentions for e in m.entities}:
        # The same entity; a date's variants may grow with later mentions of it.
        seen, known = first.entity(entity_id), whole.entity(entity_id)
        assert seen is not None and known is not None
        assert (seen.kind, seen.name, seen.source) == (known.kind, known.name, known.source)
    assert first.title == whole.title
    assert first.senders == whole.senders and first.recipients == whole.recipients
    assert first.date == whole.date


@pytest.mark.slow
def test_a_long_letter_comes_in_two_stages(long_letter: Path) -> None:
    staged = read_letter_staged(long_letter)
    assert not staged.complete
    first = staged.letter
    assert 12_000 <= len(first.text) < 20_000  # a few screens, ending where a paragraph does
    assert first.diagnostics == ()  # told once the whole letter is read
    whole = staged.rest()
    assert whole == read_letter(long_letter)
    assert_true_beginning(first, whole)


def test_a_short_letter_comes_whole() -> None:
    staged = read_letter_staged(ICBL)
    assert staged.complete and staged.rest is None
    assert staged.letter == read_letter(ICBL)


@pytest.mark.slow
def test_first_part_length_is_a_parameter(long_letter: Path) -> None:
    staged = read_letter_staged(long_letter, first_characters=500)
    assert 500 <= len(staged.letter.text) < 3_000
    assert_true_beginning(staged.letter, staged.rest())


def write_letter(path: Path, title: str, body: str) -> Path:
    path.write_text(
        f"<TEI {TEI}><teiHeader><fileDesc><titleStmt><title>{title}</title></titleStmt>"
        "<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc>"
        f"</teiHeader><text><body>{body}</body></text></TEI>",
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
def test_a_text_without_a_place_to_stop_comes_whole(tmp_path: Path) -> None:
    words = " ".join(f'<persName ref="#p">Anna</persName> word{i}' for i in range(3_000))
    path = write_letter(tmp_path / "one-paragraph.xml", "One", f"<p>{words}</p>")
    staged = read_letter_staged(path, staged_from_bytes=0, first_characters=100)
    assert staged.complete
    assert staged.letter == read_letter(path)


def test_notes_texts_come_with_the_rest(tmp_path: Path) -> None:
    paragraphs = "".join(
        f"<p>Paragraph {i} names <persName>Anna</persName>"
        f'<note n="{i}">Note {i} on <placeName>Wien</placeName>.</note> and goes on.</p>'
        for i in range(40)
    )
    path = write_letter(tmp_path / "notes.xml", "Notes", paragraphs)
    staged = read_letter_staged(path, staged_from_bytes=0, first_characters=300)
    first, whole = staged.letter, staged.rest()
    assert_true_beginning(first, whole)
    assert "Note 0 on Wien" not in first.text  # notes are written after the letter
    assert "[0]" in first.text and "Note 0 on Wien" in whole.text
    assert all(not m.in_note for m in first.mentions)


def test_broken_files_fail_before_anything_is_shown(tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_bytes(make_letter(target_bytes=300_000, mentions=2_000)[:-200])
    with pytest.raises(EpistolaError):
        read_letter_staged(path)


def test_unknown_reading_is_refused(long_letter: Path) -> None:
    with pytest.raises(EpistolaError, match="unknown reading"):
        read_letter_staged(long_letter, reading="phonetic")


@pytest.mark.slow
@pytest.mark.parametrize("reading", ["normalised", "diplomatic"])
def test_every_corpus_letter_splits_into_a_true_beginning(reading: str) -> None:
    require(CORPUS / "README.md")
    catalog = RegisterCatalog()
    letters = [p for p in sorted(CORPUS.rglob("*.xml")) if classify(p) == "letter"]
    assert len(letters) == 87
    split = 0
    for path in letters:
        registers = catalog.for_letter(path)
        staged = read_letter_staged(
            path, reading=reading, registers=registers, first_characters=400, staged_from_bytes=0
        )
        whole = read_letter(path, reading=reading, registers=registers)
        if staged.complete:
            assert staged.letter == whole, path
            continue
        split += 1
        assert staged.rest() == whole, path
        assert_true_beginning(staged.letter, whole)
    assert split >= 60  # most letters have somewhere to stop after 400 characters


@pytest.mark.slow
def test_mention_counts_are_counted_once_and_handed_out_as_copies(long_letter: Path) -> None:
    letter = read_letter(long_letter)
    counts = letter.mention_counts()
    counts["not-an-entity"] = 99  # a caller's change stays its own
    again = letter.mention_counts()
    assert "not-an-entity" not in again
    assert sum(again.values()) == sum(len(m.entities) for m in letter.mentions) + sum(
        len(r.entities) for r in letter.line_references
    )
