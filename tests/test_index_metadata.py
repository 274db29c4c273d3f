"""viewer.tei.index_metadata gives read_metadata's Metadata (without the source), sooner."""

from __future__ import annotations

from pathlib import Path

import pytest
from testdata import CORPUS, DATA, LETTERHEADS, require

from viewer.tei.catalog import RegisterCatalog
from viewer.tei.extract import _LocalIndex
from viewer.tei.index_metadata import choose_title_among, index_metadata
from viewer.tei.metadata import choose_title, read_metadata
from viewer.tei.reader import letter_parts
from viewer.tei.resolve import Resolver
from viewer.tei.xml import TEI_NS, children, find_path, first, parse_bytes

REPO = Path(__file__).resolve().parents[1]


def _both(data: bytes, file: str, catalog: RegisterCatalog):
    """(read_metadata's, index_metadata's) Metadata and the entities each resolver reached."""
    results = []
    for read in (
        lambda root, r: read_metadata(root, r.resolve_all, r.names_of, with_source=False),
        lambda root, r: index_metadata(root, r.resolve_all, r.names_of),
    ):
        tree = parse_bytes(data, file)
        root, _text = letter_parts(tree, file)
        resolver = Resolver(_LocalIndex(root), catalog.for_letter(file))
        results.append((read(root, resolver), list(resolver.used)))
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


def test_the_title_choice_equals_choose_title_on_the_corpus() -> None:
    for path in sorted(require(CORPUS).rglob("*.xml"))[:300]:
        header = first(parse_bytes(path.read_bytes(), str(path)).getroot(), "teiHeader")
        titles = children(find_path(header, "fileDesc", "titleStmt"), "title")
        assert choose_title_among(titles) is choose_title(header), path
