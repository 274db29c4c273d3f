"""read_metadata's two shortcuts (choose_title ranks before it splits titles into parties;
_contradicts is settled by a first party named wholly on its own side) give the Metadata
that the plain versions below, as they were before, give: on every corpus letter and on
constructed headers of the shapes the shortcuts decide.

The plain reading also leaves out read_metadata's fast paths and caches (text-only
elements read without plain_text's walk, written dates yielded lazily, each title read
once, a party's words cached; see test_metadata_fast_paths.py), so the comparison, the
order of resolution included, covers them too."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_metadata_fast_paths import plain_tokens, plain_written_dates
from testdata import CORPUS, DATA, LETTERHEADS, require

import viewer.tei.metadata as metadata
from viewer.tei.catalog import RegisterCatalog
from viewer.tei.extract import _LocalIndex
from viewer.tei.metadata import _match, choose_title, read_metadata, title_parties
from viewer.tei.reader import letter_parts
from viewer.tei.resolve import Resolver
from viewer.tei.xml import TEI_NS, children, find_path, first, parse_bytes, plain_text

REPO = Path(__file__).resolve().parents[1]


def plain_choose_title(header):
    """choose_title as it was: every title scored in full, the first least score wins."""
    titles = [t for t in children(find_path(header, "fileDesc", "titleStmt"), "title")]
    titles = [t for t in titles if plain_text(t)]
    if not titles:
        return None

    def score(title):
        level = (title.get("level") or "").lower()
        kind = (title.get("type") or "").lower()
        structural = 0 if level == "a" or kind == "main" else 2 if level in ("s", "m", "j") else 1
        if kind in ("iso-date", "date", "sub", "short", "desc") or title.get("when-iso"):
            structural = 3
        sender, recipient = title_parties(plain_text(title))
        parties = 0 if sender and recipient else 1 if recipient else 2
        shouting = 1 if plain_text(title).isupper() else 0
        return (structural, parties, shouting)

    return min(titles, key=score)


def plain_choose_among(titles):
    """read_metadata's choice among the title statement's titles, by plain_choose_title."""
    titles = [t for t in titles if plain_text(t)]
    if not titles:
        return None, ""
    header = titles[0].getparent().getparent().getparent()  # the titles' own header
    chosen = plain_choose_title(header)
    return chosen, plain_text(chosen)


def plain_read_title(element, _read):
    """A title-like element read afresh each time (no reading shared)."""
    text = plain_text(element, skip=frozenset({"note"}))
    return text, title_parties(text)


def plain_contradicts(senders, recipients, sides, entity_names):
    """_contradicts as it was: every party's names looked up until one settles it."""
    sender_side, recipient_side = sides
    labelled = [(p, sender_side, recipient_side) for p in senders] + [
        (p, recipient_side, sender_side) for p in recipients
    ]
    if not labelled:
        return False
    strong = False
    for party, own, other in labelled:
        names = [party.name] + [n for e in party.entities for n in entity_names(e)]
        own_score, other_score = _match(names, own), _match(names, other)
        if other_score <= own_score:
            return False
        strong = strong or other_score >= 0.5
    return strong


def _both(data: bytes, file: str, catalog: RegisterCatalog):
    """(the plain versions', read_metadata's) Metadata and the entities each resolver
    reached, in order."""
    results = []
    for plain in (True, False):
        with pytest.MonkeyPatch.context() as patch:
            if plain:
                patch.setattr(metadata, "_choose_title", plain_choose_among)
                patch.setattr(metadata, "_contradicts", plain_contradicts)
                patch.setattr(metadata, "_plain", plain_text)
                patch.setattr(metadata, "_tokens", plain_tokens)
                patch.setattr(metadata, "_written_dates", plain_written_dates)
                patch.setattr(metadata, "_read_title", plain_read_title)
            tree = parse_bytes(data, file)
            root, _text = letter_parts(tree, file)
            resolver = Resolver(_LocalIndex(root), catalog.for_letter(file))
            found = read_metadata(root, resolver.resolve_all, resolver.names_of)
            results.append((found, list(resolver.used)))
    return results


@pytest.fixture(scope="module")
def catalog() -> RegisterCatalog:
    return RegisterCatalog()


@pytest.mark.slow
def test_every_corpus_letter_has_the_same_metadata(catalog) -> None:
    folders = [CORPUS, LETTERHEADS, DATA / "letterhead-placements", REPO / "letters"]
    files = sorted(p for folder in folders for p in require(folder).rglob("*.xml"))
    compared = 0
    for path in files:
        data = path.read_bytes()
        try:
            (full, used_full), (fast, used_fast) = _both(data, str(path), catalog)
        except Exception:  # registers, broken files: not letters the extractor reads
            continue
        assert fast == full, path
        assert used_fast == used_full, path  # references resolved in the same order
        compared += 1
    assert compared > 150


def _letter(header: str, body: str = "<p>Text</p>") -> bytes:
    return (
        f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc>{header}</fileDesc>'
        "<profileDesc><correspDesc>"
        '<correspAction type="sent"><persName ref="#a">Anna Weber</persName>'
        '<date when="1890-01-02">2. 1. 1890</date></correspAction>'
        '<correspAction type="received"><persName ref="#b">Ben Berg</persName>'
        "</correspAction></correspDesc></profileDesc></teiHeader>"
        f"<text><body>{body}</body><back><listPerson>"
        '<person xml:id="a"><persName>Anna Weber</persName><persName type="alt">Nannerl'
        '</persName></person><person xml:id="b"><persName>Ben Berg</persName></person>'
        "</listPerson></back></text></TEI>"
    ).encode()


def _titles(*titles: str) -> str:
    return f"<titleStmt>{''.join(titles)}</titleStmt>"


HEADERS = {
    "one-title": _titles("<title>Anna Weber an Ben Berg</title>"),
    "level-a-among-others": _titles(
        '<title level="s">Series</title><title type="iso-date" when-iso="1890">1890</title>'
        '<title level="a">Anna Weber an Ben Berg, 2. 1. 1890</title>'
    ),
    "ties-broken-by-parties": _titles(
        "<title>Ein Brief</title><title>An Ben Berg</title><title>Anna Weber an Ben Berg</title>"
    ),
    "ties-broken-by-shouting": _titles(
        "<title>ANNA WEBER AN BEN BERG</title><title>Anna Weber an Ben Berg</title>"
    ),
    "all-ranks-tied-first-wins": _titles("<title>Erster</title><title>Zweiter</title>"),
    "empty-titles-skipped": _titles(
        '<title level="a"> </title><title level="a"><note/></title><title>Zweiter</title>'
    ),
    "no-title": _titles(""),
    "main-and-date-types": _titles(
        '<title type="sub">Anna Weber an Ben Berg</title><title type="main">Hauptsache</title>'
        '<title type="DATE">2. 1. 1890</title>'
    ),
    "swapped-labels": _titles("<title>Ben Berg an Anna Weber</title>"),
    "swapped-by-variant-name": _titles("<title>Ben Berg an Nannerl</title>"),
    "name-partly-on-its-side": _titles("<title>Anna Berg an Ben Weber</title>"),
    "title-with-note": _titles(
        '<title level="a">Anna Weber<note>falsch: Ben</note> an Ben Berg</title>'
    ),
    "title-by-choice": _titles(
        "<title><choice><sic>Ben Berg</sic><corr>Anna Weber</corr></choice> an Ben Berg</title>"
    ),
    "upper-case-title-alone": _titles("<title>BEN BERG AN ANNA WEBER</title>"),
}


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_constructed_headers_have_the_same_metadata(name, catalog, tmp_path) -> None:
    (tmp_path / ".git").mkdir()
    path = tmp_path / f"{name}.xml"
    data = _letter(HEADERS[name])
    path.write_bytes(data)
    (full, used_full), (fast, used_fast) = _both(data, str(path), catalog)
    assert fast == full
    assert used_fast == used_full


def test_the_swapped_cases_do_swap(catalog, tmp_path) -> None:
    (tmp_path / ".git").mkdir()
    for name in ("swapped-labels", "swapped-by-variant-name", "upper-case-title-alone"):
        path = tmp_path / f"{name}.xml"
        path.write_bytes(_letter(HEADERS[name]))
        (_full, _), (fast, _) = _both(path.read_bytes(), str(path), catalog)
        assert [p.name for p in fast.senders] == ["Ben Berg"], name
        assert [d.code for d in fast.diagnostics] == ["correspondence-swapped"]


def test_the_title_choice_equals_the_plain_one_on_the_corpus() -> None:
    for path in sorted(require(CORPUS).rglob("*.xml"))[:300]:
        header = first(parse_bytes(path.read_bytes(), str(path)).getroot(), "teiHeader")
        assert choose_title(header) is plain_choose_title(header), path


def test_a_first_party_named_wholly_on_its_side_settles_it_without_other_names() -> None:
    from viewer.model import Party

    def no_lookups(_entity):
        raise AssertionError("the entities' other names were looked up")

    anna = Party("Anna Weber", ("a",))
    ben = Party("Ben Berg", ("b",))
    sides = ("Anna Weber", "Ben Berg")
    assert metadata._contradicts([anna], [ben], sides, no_lookups) is False
    with pytest.raises(AssertionError, match="looked up"):  # not named wholly: looked up
        metadata._contradicts([Party("Anna Schmidt", ("a",))], [ben], sides, no_lookups)
