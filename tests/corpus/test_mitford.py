"""Mary Russell Mitford's letters (Digital Mitford): every letter opens; facts by hand.

No correspDesc: the sender is the title statement's author, the recipient is
named in the title ("Letter to <persName>...</persName>, date"). ``@ref="#Id"``
points into the project's Site Index (``siteindex/si-local.xml``), where 31
referenced ids do not exist. Placeholder dates, BOMs, several closers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.corpus

EDITION = "mitford"
ELFORD = f"{EDITION}/letters/1819-01-09-Elford.xml"


@pytest.mark.slow
def test_every_letter_opens(letters_of, open_letter, check, corpus_root) -> None:
    letters = letters_of(EDITION)
    assert len(letters) == 21
    unresolved: set[str] = set()
    for path in letters:
        letter = open_letter(path.relative_to(corpus_root))
        check(letter)
        assert [p.entities for p in letter.senders] == [("MRM",)], path
        unresolved.update(t for m in letter.mentions for t in m.unresolved)
        dangling = {d.message.split("'")[1] for d in letter.diagnostics if d.code == "dangling-ref"}
        assert {t for m in letter.mentions for t in m.unresolved} <= dangling, path
    # Ids the Site Index lacks (typos, placeholders); the real entries do resolve.
    assert {"#Napolean", "#Russel_M", "#MarstonM", "#Colburn"} <= unresolved
    assert not unresolved & {"#Napoleon", "#Russell_M", "#Elford_SirWm", "#MRM"}
    assert len(unresolved) == 24


def test_letter_to_elford(open_letter, corpus_root) -> None:
    letter = open_letter(ELFORD)
    assert letter.title == "Letter to Sir William Elford, January 9, 1819"
    assert [(p.name, p.entities) for p in letter.senders] == [("Mary Russell Mitford", ("MRM",))]
    assert [(p.name, p.entities) for p in letter.recipients] == [
        ("Sir William Elford", ("Elford_SirWm",))
    ]
    assert letter.date is not None
    assert (letter.date.when, letter.date.text) == ("1819-01-09", "Jany 9th 1819")
    chaucer = letter.entity("Chaucer")
    assert chaucer is not None and chaucer.name == "Geoffrey Chaucer"
    assert Path(chaucer.source) == corpus_root / EDITION / "siteindex" / "si-local.xml"
    assert len(letter.mentions_of("Chaucer")) == 2  # once in the text, once in a note


def test_choices_and_editorial_marks(open_letter) -> None:
    letter = open_letter(ELFORD)
    diplomatic = open_letter(ELFORD, "diplomatic")
    assert "Trousers, Coat, neckcloth" in letter.text
    assert "Trowsers, Coat, neckcloth" in diplomatic.text
    styles = {s.style for s in letter.spans}
    assert {"del", "add", "gap", "unclear", "supplied", "reg"} <= styles
    assert "If you wa[…]nt such a book" in letter.text


def test_placeholder_dateline_and_two_recipients(open_letter) -> None:
    letter = open_letter(f"{EDITION}/letters/1822-09-24_MandEWebb.xml")
    assert letter.date is not None and letter.date.when == "1822-09-24"
    (recipient,) = letter.recipients
    assert recipient.name == "Mary and Eliza Webb"
    assert set(recipient.entities) == {"Webb_Mary_younger", "Webb_Eliza"}


def test_undated_letter(open_letter) -> None:
    letter = open_letter(f"{EDITION}/letters/WebbMiss_undated_letter3.xml")
    assert letter.date is not None
    assert (letter.date.when, letter.date.text, letter.date.not_before) == (
        None,
        "undated",
        "1815",
    )


def test_files_with_a_byte_order_mark(open_letter, corpus_root) -> None:
    for name in ("1819-01-20-MaryWebb.xml", "1819-06-09_MWebb.xml", "1819-08-02_MWebb.xml"):
        assert (corpus_root / EDITION / "letters" / name).read_bytes().startswith(b"\xef\xbb\xbf")
        letter = open_letter(f"{EDITION}/letters/{name}")
        assert letter.title.startswith("Letter to ")
        assert "\ufeff" not in letter.text and "\ufeff" not in letter.title


def test_artworks_listed_in_the_letter_resolve(open_letter) -> None:
    letter = open_letter(f"{EDITION}/letters/1819-06-09_MWebb.xml")
    painting = letter.entity("PostOffice_EVR")
    assert painting is not None and painting.kind == "work" and painting.name == "The Post Office"
    assert painting.source is None  # the letter's own list, not the Site Index
