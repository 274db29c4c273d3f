"""Alfred Escher's correspondence (Staatsarchiv Zürich): every letter opens; facts by hand.

Entities are not linked by id: ``persName/@key`` matches ``@n`` in the
separate registers ``people/people.xml`` and ``places/places.xml``, and the
correspDesc's sender/addressee labels are inverted in every letter.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.corpus

EDITION = "escher"
HEER = f"{EDITION}/briefe/K_0029_Heer_Oswald_an_Escher_1867-12-15.xml"
# Keys used in the sample that the register does not have (SOURCE.md: 12 of 115).
MISSING_KEYS = {
    "Böhm", "Jacob", "Klauser", "Lochmann", "Lohbauer", "Nemorino", "Rälleli", "Sala",
    "Schleich", "Sohn Johannes Tschudis", "Weiss", "de Antoni",
}  # fmt: skip


@pytest.mark.slow
def test_every_letter_opens_and_follows_its_title(letters_of, open_letter, check, corpus_root):
    letters = letters_of(EDITION)
    assert len(letters) == 21
    unresolved: set[str] = set()
    for path in letters:
        letter = open_letter(path.relative_to(corpus_root))
        check(letter)
        # The file names say who wrote: "AE_an_X" is Escher's, "X_an_Escher" to him.
        escher_ids = {"Escher-_vom-Glas-Alfred"}
        senders = {e for p in letter.senders for e in p.entities}
        recipients = {e for p in letter.recipients for e in p.entities}
        if path.name.split("_", 2)[2].startswith("AE_an_"):
            assert senders == escher_ids, path.name
        else:
            assert recipients == escher_ids, path.name
        swapped = [d for d in letter.diagnostics if d.code == "correspondence-swapped"]
        assert len(swapped) == 1 and swapped[0].severity == "info", path.name
        unresolved.update(t for m in letter.mentions for t in m.unresolved)
    assert unresolved == MISSING_KEYS


def test_heer_to_escher(open_letter, corpus_root) -> None:
    letter = open_letter(HEER)
    assert [p.name for p in letter.senders] == ["Oswald Heer"]
    assert [p.name for p in letter.recipients] == ["Alfred Escher"]
    assert letter.date is not None
    assert (letter.date.when, letter.date.text) == ("1867-12-15", "[15. Dezember 1867]")
    locher = letter.entity("Locher-Friedrich")
    assert locher is not None and locher.name == "Friedrich Locher" and locher.kind == "person"
    assert Path(locher.source) == corpus_root / "escher" / "people" / "people.xml"
    assert len(letter.mentions_of("Locher-Friedrich")) >= 4
    city = letter.entity("Zürich_Stadt")  # key "Zürich (Stadt)" is the place's @n
    assert city is not None and city.kind == "place"
    assert Path(city.source) == corpus_root / "escher" / "places" / "places.xml"


def test_abbreviations_notes_and_empty_references(open_letter) -> None:
    letter = open_letter(HEER)
    diplomatic = open_letter(HEER, "diplomatic")
    assert "nach Titel und Motto" in letter.text
    assert "nach Titel u. Motto" in diplomatic.text
    assert "Die neueste Schmähschrift[1] von Locher[2] veranlasst" in letter.text
    first = letter.notes[0]
    assert first.text.startswith("Heer bezieht sich auf das Pamphlet")
    assert "vergleiche →" in first.text  # a reference whose label was only an XML comment


def test_sic_notes_are_markers(open_letter) -> None:
    letter = open_letter(f"{EDITION}/briefe/K_0352_Burki_Josef_Laurenz_an_Escher_1845-01-31.xml")
    assert "der gesunde Sinn unseres States[sic!] dadurch" in letter.text
    assert "sic!" in [n.label for n in letter.notes]


def test_an_organisation_sends(open_letter) -> None:
    letter = open_letter(f"{EDITION}/briefe/K_2578_Gotthardausschuss_an_Escher_1871-11-27.xml")
    assert [p.name for p in letter.senders] == ["Gotthardausschuss"]
    assert [p.name for p in letter.recipients] == ["Alfred Escher"]
