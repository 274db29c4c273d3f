"""Jean Paul's letters (BBAW/TELOTA): every letter opens; facts checked by hand.

Registers are separate and split alphabetically (``register/personen/R.xml``),
found by walking up from ``briefe/vonbriefe/I/``. Letters by and to Jean Paul
tag no entity inline: ``note corresp="#line-id"`` lists them per printed line.
Letters around him tag ``persName key="JP-..."`` inline.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.corpus

EDITION = "jean-paul"
TO_MOTHER = f"{EDITION}/briefe/vonbriefe/I/I_10.xml"
OERTEL = f"{EDITION}/briefe/umfeldbriefe/1795/1795-03-02_FOertel_RVarnhagen.xml"


@pytest.mark.slow
def test_every_letter_opens_and_every_reference_resolves(
    letters_of, open_letter, check, corpus_root
) -> None:
    letters = letters_of(EDITION)
    assert len(letters) == 22
    line_references = 0
    for path in letters:
        letter = open_letter(path.relative_to(corpus_root))
        check(letter)
        for party in (*letter.senders, *letter.recipients):
            assert party.entities and party.entities[0].startswith("JP-"), (path, party)
        assert all(not m.unresolved for m in letter.mentions), path
        for reference in letter.line_references:
            assert reference.entities and not reference.unresolved, (path, reference)
            line_references += 1
        assert not [d for d in letter.diagnostics if d.code == "dangling-line"], path
    assert line_references == 205


@pytest.mark.slow
def test_to_his_mother(open_letter, corpus_root) -> None:
    letter = open_letter(TO_MOTHER)
    assert letter.title.startswith("Von Jean Paul an Sophie Rosine Richter")
    assert [p.entities for p in letter.senders] == [("JP-999999",)]
    assert [p.entities for p in letter.recipients] == [("JP-003496",)]
    assert letter.date is not None
    assert (letter.date.when, letter.date.text) == ("1781-08-27", "27 August 1781")
    mother = letter.entity("JP-003496")
    assert mother is not None and mother.name == "Sophie Rosine Richter"
    assert Path(mother.source) == corpus_root / EDITION / "register" / "personen" / "R.xml"
    jean_paul = letter.entity("JP-999999")
    assert jean_paul is not None and "Jean Paul" in jean_paul.variants


def test_line_references_land_on_their_line(open_letter) -> None:
    letter = open_letter(TO_MOTHER)
    by_line = {}
    for reference in letter.line_references:
        by_line.setdefault(reference.line_id, []).append(reference)
    # lb xml:id closes the printed line it names: the note before it annotates that line
    # (the edition's commentary, "12, 31 Dies Mensch", agrees).
    (riese,) = by_line["I_12-31"]
    assert riese.entities == ("JP-003515",) and riese.label == "Frau Riese"
    assert letter.text[riese.start : riese.end] == (
        "Post mit der andern. Der lezte Brief ist fast ganz vol. Dies Mensch,"
    )
    riedel = by_line["I_13-14"]
    assert [r.entities[0] for r in riedel] == ["JP-003504", "JP-003505", "JP-003503"]
    assert [r.uncertain for r in riedel] == [True, False, True]
    assert letter.text[riedel[0].start : riedel[0].end] == (
        "Riedelspak, welche Plagen würden Sie nicht von denen auszustehen"
    )
    (hof,) = by_line["I_13-8"]
    assert "nach Hof ziehen" in letter.text[hof.start : hof.end]
    hamlet = by_line["I_13-20"][0]
    work = letter.entity(hamlet.entities[0])
    assert work is not None and work.kind == "work" and work.name == "Hamlet (1603)"
    assert "à la Hamlet gemacht sein." in letter.text[hamlet.start : hamlet.end]
    assert letter.mention_counts()["JP-003515"] == 2  # Frau Riese, on two lines


def test_hyphenated_line_ends_join_per_reading(open_letter) -> None:
    normalised = open_letter(TO_MOTHER)
    diplomatic = open_letter(TO_MOTHER, "diplomatic")
    assert "keine Unterhemde brauch’ ich nicht" in normalised.text
    assert "keine Unter-\nhemde brauch’ ich nicht" in diplomatic.text
    assert "in der Klostergasse." in normalised.text


def test_a_letter_around_him_with_inline_keys(open_letter, corpus_root) -> None:
    letter = open_letter(OERTEL)
    assert [p.name for p in letter.senders] == ["Friedrich Benedikt von Oertel"]
    assert [p.name for p in letter.recipients] == ["Rahel Levin"]
    assert letter.date is not None
    assert (letter.date.when, letter.date.text) == ("1795-03-02", "Weimar 2 März 95")
    herder = letter.entity("JP-001675")
    assert herder is not None and herder.name == "Johann Gottfried von Herder"
    assert Path(herder.source) == corpus_root / EDITION / "register" / "personen" / "H.xml"
    assert [letter.text[m.start : m.end] for m in letter.mentions_of("JP-001675")] == ["Herder"]
    # seg type="comment": the lemma ("L.") and its gloss as a note.
    assert "liebe L.[1] und das muß" in letter.text
    assert letter.notes[0].text == "Rahel Levin selbst."
    lemmas = [letter.text[s.start : s.end] for s in letter.spans if s.style == "lemma"]
    assert "L." in lemmas and "Thiton" in lemmas
    assert "an die belle devote." in letter.text  # no space from the XML's indentation


def test_a_letter_to_him_with_commentary_sections(open_letter) -> None:
    letter = open_letter(f"{EDITION}/briefe/anbriefe/IV/IV_128.xml")
    assert [p.entities for p in letter.senders] == [("JP-001288",)]
    assert [p.entities for p in letter.recipients] == [("JP-999999",)]
    assert letter.date is not None
    assert (letter.date.when, letter.date.text) == ("1801-05-02", "d. 2ten Mai 1801.")
    assert "wie der Mittelpunkt sind" in letter.text
    assert "Sonnabend\nd. 2ten Mai 1801." in letter.text  # opener parts are lines
    comments = [b for b in letter.blocks if b.kind == "comment"]
    assert len(comments) == 1
    assert letter.text[comments[0].start :].startswith("Überlieferung")


def test_date_ranges(open_letter) -> None:
    letter = open_letter(f"{EDITION}/briefe/umfeldbriefe/1822/1822-06-07_ORichter_CRichter.xml")
    assert letter.date is not None
    assert (letter.date.when, letter.date.not_before, letter.date.not_after) == (
        None,
        "1822-06-07",
        "1822-06-16",
    )
