"""Arthur Schnitzler's correspondence (ACDH-CH): every letter opens; facts checked by hand.

Entities are listed inside each letter (``back/listPerson``...), mentions are
``rs type=... ref="#pmb..."`` with several ids, ``subtype="implied"`` and
nesting; commentary spans run from an ``anchor`` to a ``note``; ``c`` sits
inside words.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.corpus

EDITION = "schnitzler-briefe"


@pytest.mark.slow
def test_every_letter_opens_in_both_readings(letters_of, open_letter, check, corpus_root) -> None:
    letters = letters_of(EDITION)
    assert len(letters) == 23
    for path in letters:
        for reading in ("normalised", "diplomatic"):
            letter = open_letter(path.relative_to(corpus_root), reading)
            check(letter)
            assert all(not m.unresolved for m in letter.mentions), path
            assert all(e.source is None for e in letter.entities), path  # no register files


def test_boelsche_to_schnitzler(open_letter) -> None:
    letter = open_letter(f"{EDITION}/editions/L00007.xml")
    assert letter.title == "Wilhelm Bölsche an Arthur Schnitzler, 25. 10. 1890"
    assert [(p.name, p.entities) for p in letter.senders] == [("Bölsche, Wilhelm", ("pmb11061",))]
    assert [(p.name, p.entities) for p in letter.recipients] == [
        ("Schnitzler, Arthur", ("pmb2121",))
    ]
    assert letter.date is not None
    assert (letter.date.when, letter.date.text) == ("1890-10-25", "25. X. 90")
    assert [p.name for p in letter.places] == ["Berlin", "Wien"]
    bolsche = letter.entity("pmb11061")
    assert bolsche is not None and bolsche.name == "Wilhelm Bölsche"


def test_long_s_inside_a_word_and_the_commentary_lemma(open_letter) -> None:
    letter = open_letter(f"{EDITION}/editions/L00007.xml")
    assert "jetzt ganz abgeschworen[1] und bringen nur Prosa" in letter.text
    lemma = [letter.text[s.start : s.end] for s in letter.spans if s.style == "lemma"]
    assert lemma == ["ganz abgeschworen"]
    stage = letter.entity("pmb36149")
    assert stage is not None and stage.name == "Freie Bühne für modernes Leben"
    assert stage.kind == "work"
    inside_note = [m for m in letter.mentions_of("pmb36149") if m.in_note]
    assert len(inside_note) == 1


def test_goldmann_multi_and_implied_references(open_letter) -> None:
    letter = open_letter(f"{EDITION}/editions/L02663.xml")
    assert [p.entities for p in letter.senders] == [("pmb11485",)]
    assert letter.date is not None and letter.date.when == "1891-05-16"
    (fanjung,) = [m for m in letter.mentions if letter.text[m.start : m.end] == "Fanjung"]
    assert set(fanjung.entities) == {"pmb26388", "pmb26392"} and fanjung.implied
    beer_hofmann = letter.entity("pmb10863")
    assert beer_hofmann is not None and beer_hofmann.name == "Richard Beer-Hofmann"
    surfaces = {letter.text[m.start : m.end] for m in letter.mentions_of("pmb10863")}
    assert {"Beer-Hoffmann", "Beer-Hofmann"} <= surfaces  # the letter misspells him
    assert "am 1891-06-25 kennengelernt" in letter.text  # an empty diary reference shows its day


def test_supplied_date_is_not_the_letters_wording(open_letter) -> None:
    letter = open_letter(f"{EDITION}/editions/L01530.xml")
    assert letter.date is not None
    assert (letter.date.when, letter.date.text) == ("1905-07-16", "[16. 7. 1905?]")
