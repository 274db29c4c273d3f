"""Correspondence metadata: the title cross-check, dates and placeholders, fallbacks."""

from __future__ import annotations

import pytest

from viewer.model import Letter, LetterDate
from viewer.tei import read_letter
from viewer.tei.metadata import iso_date, title_parties

TEI = "http://www.tei-c.org/ns/1.0"
PEOPLE = """
<back><listPerson>
  <person xml:id="ae" n="Escher Alfred"><persName>Alfred Escher</persName></person>
  <person xml:id="oh" n="Heer Oswald"><persName>Oswald Heer</persName></person>
  <person xml:id="jp"><persName>Johann Paul Friedrich Richter</persName>
    <persName>Jean Paul</persName></person>
  <person xml:id="mrm"><persName>Mary Russell Mitford</persName></person>
  <person xml:id="elford"><persName>Sir William Elford</persName></person>
</listPerson></back>
"""


def read(
    titles: str = "<title>Test</title>",
    profile: str = "",
    body: str = "<p>Text.</p>",
    source: str = "<p/>",
    front: str = "",
) -> Letter:
    xml = (
        f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt>{titles}</titleStmt>'
        f"<publicationStmt><p/></publicationStmt><sourceDesc>{source}</sourceDesc></fileDesc>"
        f"<profileDesc>{profile}</profileDesc></teiHeader>"
        f"<text>{front}<body>{body}</body>{PEOPLE}</text></TEI>"
    )
    return read_letter("meta.xml", data=xml.encode("utf-8"))


def parties(letter: Letter) -> tuple[list[str], list[str]]:
    return [p.name for p in letter.senders], [p.name for p in letter.recipients]


def swapped(letter: Letter) -> bool:
    return any(d.code == "correspondence-swapped" for d in letter.diagnostics)


# ----------------------------------------------------------- title parsing

TITLES = [
    (
        "Oswald Heer an Alfred Escher, Zürich, Sonntag, [15. Dezember 1867]",
        "Oswald Heer",
        "Alfred Escher",
    ),
    (
        "Daniel Wirth-Sand und Felix Kubly an Alfred Escher, Bern",
        "Daniel Wirth-Sand und Felix Kubly",
        "Alfred Escher",
    ),
    (
        "Von Jean Paul an Sophie Rosine Richter. Leipzig, 27. August 1781",
        "Jean Paul",
        "Sophie Rosine Richter",
    ),
    (
        "Von Jean Paul an Maximilian I. Joseph, König von Bayern. Bayreuth",
        "Jean Paul",
        "Maximilian I. Joseph",
    ),
    ("Brief von Anna an Ben", "Anna", "Ben"),
    (
        "Letter from Mary Russell Mitford to Sir William Elford, 1819 January 9.",
        "Mary Russell Mitford",
        "Sir William Elford",
    ),
    ("Letter to Sir William Elford, January 9, 1819", None, "Sir William Elford"),
    ("10. An Frau Richter in Schwarzenbach.", None, "Frau Richter in Schwarzenbach"),
    ("500. An Georg Reimer (in Leipzig?).", None, "Georg Reimer"),
    ("Lettre de Clemente Maraini à Alfred Escher", "Clemente Maraini", "Alfred Escher"),
    ("John Smith to Jane Doe, 3 May 1850", "John Smith", "Jane Doe"),
    ("Arthur Schnitzler: Briefwechsel mit Autorinnen und Autoren", None, None),
    ("Site Index of Named Entities", None, None),
]


@pytest.mark.parametrize(("title", "sender", "recipient"), TITLES)
def test_title_parties(title: str, sender: str | None, recipient: str | None) -> None:
    assert title_parties(title) == (sender, recipient)


# ---------------------------------------------------------- the cross-check

ESCHER_LIKE = """
<correspDesc><correspAction type="sent">
  <persName key="Heer Oswald" type="{heer}">Oswald Heer</persName>
  <persName key="Escher Alfred" type="{escher}">Alfred Escher</persName>
  <placeName>Zürich</placeName><date when="1867-12-15">[15. Dezember 1867]</date>
</correspAction></correspDesc>
"""


def test_inverted_correspdesc_labels_follow_the_title() -> None:
    letter = read(
        "<title>Oswald Heer an Alfred Escher, Zürich, Sonntag</title>",
        ESCHER_LIKE.format(heer="addressee", escher="sender"),
    )
    assert parties(letter) == (["Oswald Heer"], ["Alfred Escher"])
    assert letter.senders[0].entities == ("oh",) and letter.recipients[0].entities == ("ae",)
    (note,) = [d for d in letter.diagnostics if d.code == "correspondence-swapped"]
    assert note.severity == "info"
    assert "contradicts the title; following the title" in note.message


def test_agreeing_labels_are_kept_without_a_diagnostic() -> None:
    letter = read(
        "<title>Oswald Heer an Alfred Escher</title>",
        ESCHER_LIKE.format(heer="sender", escher="addressee"),
    )
    assert parties(letter) == (["Oswald Heer"], ["Alfred Escher"])
    assert not swapped(letter)


def test_a_title_naming_no_parties_changes_nothing() -> None:
    letter = read("<title>Brief</title>", ESCHER_LIKE.format(heer="addressee", escher="sender"))
    assert parties(letter) == (["Alfred Escher"], ["Oswald Heer"])
    assert not swapped(letter)


JEAN_PAUL = """
<correspDesc>
  <correspAction type="sent"><persName ref="#jp">Johann Paul Friedrich Richter</persName>
    <date when="1781-08-27">27. August 1781</date></correspAction>
  <correspAction type="received"><persName>Sophie Rosine Richter</persName></correspAction>
</correspDesc>
"""


def test_a_pen_name_in_the_title_is_no_contradiction() -> None:
    # "Jean Paul" is a name of the sender's entity; "Richter" alone proves nothing.
    letter = read(
        '<title n="print">10. An Frau Richter in Schwarzenbach.</title>'
        '<title n="digital">Von Jean Paul an Sophie Rosine Richter. Leipzig</title>',
        JEAN_PAUL,
    )
    assert parties(letter) == (["Johann Paul Friedrich Richter"], ["Sophie Rosine Richter"])
    assert not swapped(letter)
    assert letter.title == "Von Jean Paul an Sophie Rosine Richter. Leipzig"


@pytest.mark.parametrize(
    ("titles", "chosen"),
    [
        (
            '<title level="s">Briefwechsel</title>'
            '<title type="iso-date" when-iso="1890">1890</title>'
            '<title level="a">Wilhelm Bölsche an Arthur Schnitzler</title>',
            "Wilhelm Bölsche an Arthur Schnitzler",
        ),
        ("<title>First</title><title>Second</title>", "First"),
        ('<title type="main">Main</title><title type="sub">Sub</title>', "Main"),
        ("<title>VON A. BERLIN</title><title>Von A an B. Berlin</title>", "Von A an B. Berlin"),
    ],
)
def test_the_letters_own_title_is_chosen(titles: str, chosen: str) -> None:
    assert read(titles).title == chosen


# ------------------------------------------------------------- fallbacks


def test_without_correspdesc_sender_is_the_author_and_recipient_from_the_title() -> None:
    letter = read(
        '<title>Letter to <persName ref="#elford">Sir William Elford</persName>, '
        '<date when="1819-01-09">January 9, 1819</date></title>'
        '<author ref="#mrm">Mary Russell Mitford</author>'
    )
    assert parties(letter) == (["Mary Russell Mitford"], ["Sir William Elford"])
    assert letter.senders[0].entities == ("mrm",)
    assert letter.recipients[0].entities == ("elford",)
    assert letter.date == LetterDate("1819-01-09", "January 9, 1819")


def test_recipient_from_the_manuscript_head_when_the_title_names_none() -> None:
    letter = read(
        "<title>A letter</title>",
        source="<msDesc><msIdentifier><idno>1</idno></msIdentifier>"
        '<head>Letter from <persName ref="#mrm">Mary Russell Mitford</persName> to '
        '<persName ref="#elford">Sir William Elford</persName>, <date when="1819-01-09">1819 '
        "January 9</date>.</head></msDesc>",
    )
    assert parties(letter) == (["Mary Russell Mitford"], ["Sir William Elford"])
    assert letter.recipients[0].entities == ("elford",)
    assert letter.date is not None and letter.date.when == "1819-01-09"


def test_recipient_text_without_a_name_element() -> None:
    letter = read("<title>Letter to Mary and Eliza Webb, September 24, 1822</title>")
    assert parties(letter)[1] == ["Mary and Eliza Webb"]
    assert letter.recipients[0].entities == ()


def test_no_title_falls_back_to_the_file_name() -> None:
    assert read("").title == "meta.xml"


def test_places_fall_back_to_the_dateline() -> None:
    letter = read(
        front='<opener><dateline><name type="place">Bertram House</name> '
        '<date when="1819-01-09">Jan. 9</date></dateline></opener>'
    )
    assert [p.name for p in letter.places] == ["Bertram House"]


# ------------------------------------------------------------------ dates

ISO = [
    ("1867-12-15", "1867-12-15"),
    ("1819-04", "1819-04"),
    ("1905", "1905"),
    ("yyyy-mm-dd", None),
    ("yyyy", None),
    ("1819-13-01", None),
    ("1819-02-32", None),
    ("", None),
    ("  1801-05-02 ", "1801-05-02"),
]


@pytest.mark.parametrize(("value", "iso"), ISO)
def test_iso_dates_and_placeholders(value: str, iso: str | None) -> None:
    assert iso_date(value) == iso


def sent_date(date: str) -> str:
    return f'<correspDesc><correspAction type="sent">{date}</correspAction></correspDesc>'


DATES = [
    (
        '<date when="1867-12-15">[15. Dezember 1867]</date>',
        LetterDate("1867-12-15", "[15. Dezember 1867]"),
    ),
    ('<date when="1801-05-02"/>', LetterDate("1801-05-02", "1801-05-02")),
    ('<date when="yyyy-mm-dd">undated</date>', LetterDate(None, "undated")),
    ('<date when="yyyy"/>', None),
    (
        '<date notBefore="1822-03-01" notAfter="1822-03-10">Anfang März 1822</date>',
        LetterDate(None, "Anfang März 1822", "1822-03-01", "1822-03-10"),
    ),
    (
        '<date from="1807-06-21" to="1807-07-19"/>',
        LetterDate(None, "1807-06-21 – 1807-07-19", "1807-06-21", "1807-07-19"),
    ),
    (
        '<date when="1876-06-14">14. Juni 1876</date><date when="1876-06-15">15. Juni 1876</date>',
        LetterDate("1876-06-14", "14. Juni 1876 / 15. Juni 1876", "1876-06-14", "1876-06-15"),
    ),
]


@pytest.mark.parametrize(("date", "expected"), DATES)
def test_correspdesc_dates(date: str, expected: LetterDate | None) -> None:
    assert read(profile=sent_date(date), body="<p>x</p>").date == expected


def test_placeholder_in_the_dateline_falls_back_to_the_header() -> None:
    letter = read(
        '<title>Letter to X, <date when="1822-09-24">September 24, 1822</date></title>',
        front='<opener><dateline><date when="yyyy-mm-dd"/></dateline></opener>',
    )
    assert letter.date == LetterDate("1822-09-24", "September 24, 1822")


WRITTEN = [
    # The dateline's own wording wins when it agrees with the date...
    ('<dateline>Wien, <date when="1890-10-25">25. X. 90</date></dateline>', "25. X. 90"),
    ("<dateline><date>25. X. 90</date>.</dateline>", "25. X. 90"),
    # ...not when it names another day, or several, or was supplied by the editors.
    ('<dateline><date when="1890-10-28">28. X. 90</date></dateline>', "25. 10. 1890"),
    (
        '<dateline><date when="1890-10-25">25</date>/<date when="1890-10-26">26</date></dateline>',
        "25. 10. 1890",
    ),
    ("<dateline><supplied><date>1890</date></supplied></dateline>", "25. 10. 1890"),
    ("<dateline>Wien, Sonntag</dateline>", "25. 10. 1890"),
]


@pytest.mark.parametrize(("dateline", "text"), WRITTEN)
def test_date_text_as_the_letter_writes_it(dateline: str, text: str) -> None:
    letter = read(
        profile=sent_date('<date when="1890-10-25">25. 10. 1890</date>'),
        front=f"<opener>{dateline}</opener>",
    )
    assert letter.date is not None
    assert (letter.date.when, letter.date.text) == ("1890-10-25", text)


def test_dateline_text_stands_in_for_an_empty_header_date() -> None:
    letter = read(
        profile=sent_date('<date when="1795-03-02"/>'),
        front="<opener><dateline>Weimar 2 März 95</dateline></opener>",
    )
    assert letter.date == LetterDate("1795-03-02", "Weimar 2 März 95")


def test_manuscript_head_date_wins_over_a_disagreeing_dateline() -> None:
    letter = read(
        "<title>Letter to X</title>",
        source="<msDesc><msIdentifier><idno>1</idno></msIdentifier>"
        '<head>Letter, <date when="1819-08-02">1819 August 2</date>.</head></msDesc>',
        front='<opener><dateline><date when="1819-09-08">Monday</date></dateline></opener>',
    )
    assert letter.date == LetterDate("1819-08-02", "1819 August 2")


def test_undated_letter_keeps_its_bounds() -> None:
    letter = read(
        "<title>Letter to Miss Webb, undated</title>",
        source='<msDesc><msIdentifier><idno>1</idno></msIdentifier><head><date notBefore="1815">'
        "undated</date></head></msDesc>",
    )
    assert letter.date == LetterDate(None, "undated", "1815", None)
