"""The letter's layout without Qt: runs, rendition tokens, offsets, note targets."""

from __future__ import annotations

import re

from testdata import CORPUS, require

from viewer.layout import UNRESOLVED, Offsets, note_targets, rend_tokens, segment
from viewer.model import Block, Letter, Mention, Note, Span
from viewer.tei import read_letter

SCHNITZLER_NOTES = CORPUS / "schnitzler-briefe" / "editions" / "L02663.xml"
TEI = 'xmlns="http://www.tei-c.org/ns/1.0"'


def test_rend_tokens() -> None:
    assert rend_tokens("hi", "#b") == {"bold"}
    assert rend_tokens("hi", "underline") == {"underline"}
    assert rend_tokens("hi", "italic bold") == {"italic", "bold"}
    assert rend_tokens("hi", "superscript") == {"sup"}
    assert rend_tokens("hi", "#g") == {"spaced"}
    assert rend_tokens("emph", "") == {"italic"}
    assert rend_tokens("del", "") == {"strike", "del"}
    assert rend_tokens("unclear", "") == {"grey", "italic"}
    assert rend_tokens("corr", "Nargorno") == {"choice"}
    assert rend_tokens("hi", "#unknown-rendition") == {"italic"}
    assert rend_tokens("head", "") == {"bold"}
    assert rend_tokens("p", "bold") == frozenset()


def test_offsets_count_astral_characters_twice_for_qt() -> None:
    plain = Offsets("abc")
    assert plain.to_qt(2) == 2 and plain.from_qt(2) == 2
    text = "a\U0001f600b\U0001f600c"  # two characters outside the BMP
    offsets = Offsets(text)
    assert [offsets.to_qt(i) for i in range(len(text) + 1)] == [0, 1, 3, 4, 6, 7]
    assert [offsets.from_qt(offsets.to_qt(i)) for i in range(len(text) + 1)] == list(
        range(len(text) + 1)
    )


def test_segment_runs_innermost_mentions_and_kinds() -> None:
    text = "Anna met Bob in Rome."
    letter = Letter(
        file="x.xml",
        title="x",
        text=text,
        mentions=(
            Mention(0, 4, "person", ("p.anna",)),
            Mention(9, 20, "place", ("pl.x",)),  # "Bob in Rome"
            Mention(9, 12, "person", (), ("#bob",)),  # nested, unresolved
        ),
        spans=(Span(16, 20, "hi", "bold"),),
    )
    layout = segment(letter)
    runs = [text[a:b] for a, b in zip(layout.run_starts, layout.run_ends, strict=True)]
    assert "".join(runs) == text
    assert runs == ["Anna", " met ", "Bob", " in ", "Rome", "."]
    chains = [layout.keys[key][0] for key in layout.run_keys]
    assert chains[0] == (("person", False),)
    assert chains[2] == (("person", True), ("place", False))  # innermost first
    assert layout.keys[layout.run_keys[4]][1] == {"bold"}
    # Segments know their innermost mention; mentions their parent.
    at = {text[layout.bounds[i] : layout.bounds[i + 1]]: m for i, m in enumerate(layout.inner)}
    assert at["Anna"] == 0 and at["Bob"] == 2 and at["Rome"] == 1 and at["."] == -1
    assert layout.parent == [-1, -1, 1]
    assert layout.runs_by_kind["person"] == [0, 2]
    assert layout.runs_by_kind[UNRESOLVED] == [2]


def test_segment_leaves_out_mentions_outside_the_text() -> None:
    letter = Letter(
        file="x.xml", title="x", text="short",
        mentions=(Mention(0, 5, "person", ("a",)), Mention(3, 99, "place", ("b",))),
    )  # fmt: skip
    layout = segment(letter)
    assert layout.inner == [0]
    assert layout.parent == [-1, -1]


def test_note_paragraphs_are_marked() -> None:
    letter = Letter(
        file="x.xml",
        title="x",
        text="Text[1]\n[1] The note.",
        notes=(Note(4, 7, "1", "The note.", body=8),),
        blocks=(Block(8, 21, "note"),),
    )
    layout = segment(letter)
    looks = {
        letter.text[a:b]: layout.keys[k][1]
        for a, b, k in zip(layout.run_starts, layout.run_ends, layout.run_keys, strict=True)
    }
    assert looks["[1]"] == {"marker"}
    assert looks["[1] The note."] == {"note"}
    assert note_targets(letter) == [(4, 7, 8)]


def test_the_parser_records_where_each_note_is_shown(tmp_path) -> None:
    path = tmp_path / "notes.xml"
    path.write_text(
        f"<TEI {TEI}><teiHeader><fileDesc><titleStmt><title>T</title></titleStmt>"
        "<publicationStmt><p>p</p></publicationStmt><sourceDesc><p>s</p></sourceDesc>"
        "</fileDesc></teiHeader><text><body><p>One<note n='a'>First [b] note.</note> two"
        "<note>Second.</note> three<note>sic!</note></p></body></text></TEI>",
        encoding="utf-8",
    )
    letter = read_letter(path)
    shown = [n for n in letter.notes if n.body >= 0]
    assert [n.label for n in shown] == ["a", "2"]
    assert [n.body for n in letter.notes if n.text == "sic!"] in ([], [-1])
    for note in shown:
        assert letter.text[note.body :].startswith(f"[{note.label}] {note.text}")
        assert letter.text[note.body - 1] == "\n"
    # "[b]" inside the first note's text is not taken for the paragraph of a note "b".
    assert all(target != -1 for _a, _e, target in note_targets(letter)[:2])


def test_corpus_note_targets_are_the_note_paragraphs() -> None:
    letter = read_letter(require(SCHNITZLER_NOTES))
    assert letter.notes
    for anchor, marker_end, target in note_targets(letter):
        marker = letter.text[anchor:marker_end]
        assert target > marker_end
        assert letter.text.startswith(marker, target)
        assert re.match(r"\[[^\]]+\] ", letter.text[target:])
