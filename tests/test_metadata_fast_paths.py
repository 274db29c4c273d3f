"""The fast paths under read_metadata and entity_from_element give what the plain code gives.

Each fast path (a text-only element read without plain_text's walk, the header's parts
found in one pass, tags compared as sets, the written dates yielded lazily, a party's
words cached, a register name's parts read once) is compared here with the plain code it
replaces, on the odd shapes it must refuse or get right: entity references, comments,
foreign namespaces, namespace-less TEI, duplicates, whitespace other than spaces, nested
dates and names, mixed content.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from lxml import etree

import viewer.tei.metadata as metadata
import viewer.tei.registers as registers
from viewer.tei.xml import (
    TEI_NS,
    descendants,
    find_path,
    first,
    local,
    norm_space,
    parse_bytes,
    plain_text,
)

LOOSE = etree.XMLParser(resolve_entities=False, remove_comments=False, remove_pis=False)


def _tree(markup: str, *, tei: bool = True, hardened: bool = True) -> etree._Element:
    """``markup`` inside a root element (TEI namespace or none); an entity ``&e;`` declared."""
    namespace = f' xmlns="{TEI_NS}"' if tei else ""
    data = f'<!DOCTYPE r [<!ENTITY e "E">]><r{namespace} xmlns:f="urn:f">{markup}</r>'.encode()
    return parse_bytes(data).getroot() if hardened else etree.fromstring(data, LOOSE)


# ------------------------------------------------------------------ _plain


PLAIN_SHAPES = {
    "leaf": "<x>  Anna\n\tWeber  </x>",
    "empty leaf": "<x/>",
    "whitespace-only leaf": "<x>  \n </x>",
    "unicode spaces": "<x>\u00a0Anna\u2003Weber\u3000\u2028x\u0085y\u1680z\t\r\n</x>",
    "lb leaf": "<lb/>",
    "lb leaf no break": '<lb break="no"/>',
    "lb leaf with text": "<lb>odd</lb>",
    "note leaf (skipped)": "<note>aside</note>",
    "choice leaf": "<choice>plain</choice>",
    "entity child": "<x>Anna &e; Weber</x>",
    "only an entity": "<x>&e;</x>",
    "children": "<x>Anna <hi>W</hi>eber<note>n</note> <lb/>Berg</x>",
    "choice": "<x><choice><sic>Ben</sic><corr>Anna</corr></choice></x>",
    "foreign leaf": "<f:x> Anna  Weber </f:x>",
}


@pytest.mark.parametrize("tei", [True, False])
@pytest.mark.parametrize("skip", [frozenset(), frozenset({"note"}), frozenset({"x", "note"})])
@pytest.mark.parametrize("shape", sorted(PLAIN_SHAPES))
def test_plain_is_plain_text(shape, skip, tei) -> None:
    element = _tree(PLAIN_SHAPES[shape], tei=tei)[0]
    assert metadata._plain(element, skip) == plain_text(element, skip)


def test_plain_of_a_leaf_with_a_comment_walks() -> None:
    element = _tree("<x>Anna<!-- c --> Weber</x>", hardened=False)[0]
    assert len(element) == 1  # the comment is a child: not a text-only element
    assert metadata._plain(element) == plain_text(element) == "Anna Weber"


# ------------------------------------------------------------ header parts


def _header(markup: str, *, tei: bool = True, hardened: bool = True) -> etree._Element:
    return _tree(f"<teiHeader>{markup}</teiHeader>", tei=tei, hardened=hardened)[0]


HEADER_SHAPES = {
    "usual": "<fileDesc><titleStmt/><publicationStmt/><sourceDesc/></fileDesc>"
    "<profileDesc><langUsage/><correspDesc/></profileDesc>",
    "missing all": "",
    "no fileDesc": "<profileDesc><correspDesc/></profileDesc>",
    "no profileDesc": "<fileDesc><titleStmt/></fileDesc>",
    "duplicates: the first wins": "<fileDesc><titleStmt n='1'/><titleStmt n='2'/></fileDesc>"
    "<fileDesc><titleStmt n='3'/><sourceDesc n='3'/></fileDesc>"
    "<profileDesc><correspDesc n='1'/><correspDesc n='2'/></profileDesc>"
    "<profileDesc><correspDesc n='3'/></profileDesc>",
    "foreign namesakes": "<f:fileDesc><titleStmt n='f'/></f:fileDesc><fileDesc>"
    "<f:titleStmt/><titleStmt n='t'/><f:sourceDesc/></fileDesc>"
    "<profileDesc><f:correspDesc/></profileDesc>",
    "entities among them": "&e;<fileDesc>&e;<titleStmt/>&e;<sourceDesc/></fileDesc>&e;"
    "<profileDesc>&e;<correspDesc/></profileDesc>",
}


@pytest.mark.parametrize("tei", [True, False])
@pytest.mark.parametrize("shape", sorted(HEADER_SHAPES))
def test_header_parts_are_find_paths(shape, tei) -> None:
    header = _header(HEADER_SHAPES[shape], tei=tei)
    assert metadata._header_parts(header) == (
        find_path(header, "fileDesc", "titleStmt"),
        find_path(header, "fileDesc", "sourceDesc"),
        find_path(header, "profileDesc", "correspDesc"),
    )
    title_stmt = find_path(header, "fileDesc", "titleStmt")
    assert metadata._titles(metadata._header_parts(header)[0]) == (
        [] if title_stmt is None else [t for t in title_stmt if local(t) == "title"]
    )


def test_header_parts_with_comments() -> None:
    header = _header(
        "<!--a--><fileDesc><!--b--><titleStmt><!--c--><title>T</title></titleStmt></fileDesc>"
        "<profileDesc><!--d--><correspDesc/></profileDesc>",
        hardened=False,
    )
    title_stmt, source_desc, correspondence = metadata._header_parts(header)
    assert title_stmt is find_path(header, "fileDesc", "titleStmt")
    assert source_desc is None
    assert correspondence is find_path(header, "profileDesc", "correspDesc")
    assert [t.text for t in metadata._titles(title_stmt)] == ["T"]


def test_no_header_has_no_parts() -> None:
    assert metadata._header_parts(None) == (None, None, None)
    assert metadata.choose_title(None) is None


# ----------------------------------------------------------- written dates


def plain_written_dates(text: etree._Element) -> list[list[etree._Element]]:
    """_written_dates as it was: a list of every group, names by local()."""
    found: list[list[etree._Element]] = []
    for element in text.iter():
        name = local(element)
        if name not in ("dateline", "div", "opener", "closer"):
            continue
        is_dateline = name == "dateline" or (
            name == "div" and (element.get("type") or "").lower() == "dateline"
        )
        if not (is_dateline or name in ("opener", "closer")):
            continue
        if not _plain_outside_notes(element, text):
            continue
        dates = [
            d
            for d in descendants(element, "date")
            if _plain_outside_notes(d, element)
            and not [x for x in descendants(d, "date") if x is not d]
        ]
        if dates:
            found.append(dates)
        elif is_dateline:
            found.append([element])
    return found


def _plain_outside_notes(element: etree._Element, stop: etree._Element) -> bool:
    parent = element.getparent()
    while parent is not None and parent is not stop:
        if local(parent) in ("note", "supplied"):
            return False
        parent = parent.getparent()
    return True


DATE_SHAPES = {
    "opener date": "<opener><date when='1890-01-02'>2. 1.</date></opener>",
    "dateline without date": "<dateline>Wien, Sonntag</dateline>",
    "div typed as a dateline": "<div type='DateLine'>Wien<date>heute</date></div>",
    "div of another type": "<div type='letter'><p><date>x</date></p></div>",
    "nested dates: only the innermost": "<dateline><date><date when='1890'>1890</date>"
    "</date><date>3.</date></dateline>",
    "dates in notes and supplements": "<closer><note><date>n</date></note><supplied>"
    "<date>s</date></supplied><date>c</date></closer>",
    "dateline in a note": "<p><note><dateline><date>n</date></dateline></note></p>"
    "<dateline><date>d</date></dateline>",
    "foreign dateline and date": "<f:dateline><date>f</date></f:dateline>"
    "<dateline><f:date>x</f:date></dateline>",
    "several groups": "<opener>Dear</opener><dateline><date>1</date></dateline>"
    "<closer><date>2</date><date>3</date></closer><dateline>Ort</dateline>",
    "entities and empty dates": "<dateline>&e;<date/>&e;<date>&e;</date></dateline>",
    "nothing": "<p>text</p>",
    "no date, a div typed as a dateline": "<opener>Dear</opener><div type='letter'>"
    "<div type=' dateline'>x</div><div type='Dateline'>Wien</div></div>",
    "no date, no dateline": "<opener>Dear</opener><div type='letter'><p>x</p></div>"
    "<closer>Yours</closer>",
    "a date outside any dateline only": "<p><date>1890</date></p><opener>Dear</opener>",
}


@pytest.mark.parametrize("tei", [True, False])
@pytest.mark.parametrize("shape", sorted(DATE_SHAPES))
def test_written_dates_are_the_plain_ones(shape, tei) -> None:
    text = _tree(f"<text><body>{DATE_SHAPES[shape]}</body></text>", tei=tei)[0]
    assert list(metadata._written_dates(text)) == plain_written_dates(text)


def test_written_dates_stop_where_their_reader_stops() -> None:
    text = _tree("<text><dateline><date>1</date></dateline><closer><date>2</date></closer></text>")[
        0
    ]
    groups = metadata._written_dates(text)
    assert [d.text for d in next(groups)] == ["1"]  # the closer is not looked at yet
    assert [d.text for d in next(groups)] == ["2"]
    assert next(groups, None) is None


# ----------------------------------------------------------------- _tokens


def plain_tokens(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return {t for t in re.findall(r"\w+", folded) if len(t) > 1 and t not in metadata._STOPWORDS}


@pytest.mark.parametrize(
    "text", ["Anna Weber", "Herr Dr. Émile von Zoë", "", "A B", "ŁUKASZ Øster", "x" * 300]
)
def test_tokens_are_the_plain_ones_cached_or_not(text) -> None:
    metadata._TOKENS.pop(text, None)
    assert metadata._tokens(text) == plain_tokens(text)  # computed
    assert metadata._tokens(text) == plain_tokens(text)  # cached
    assert isinstance(metadata._tokens(text), frozenset)  # a cached value cannot be changed


def test_the_token_cache_stays_bounded(monkeypatch) -> None:
    monkeypatch.setattr(metadata, "_TOKENS", {})
    monkeypatch.setattr(metadata, "_TOKENS_LIMIT", 3)
    for n in range(10):
        assert metadata._tokens(f"name {n}x") == {"name", f"{n}x"}
        assert len(metadata._TOKENS) <= 3


# ------------------------------------------------------------------- titles


def test_each_title_is_read_once_and_the_reading_is_shared() -> None:
    header = _header(
        "<fileDesc><titleStmt><title>Anna Weber an Ben Berg<note>n</note></title>"
        "<title>Ben Berg an Anna Weber</title></titleStmt></fileDesc>"
    )
    titles = metadata._titles(metadata._header_parts(header)[0])
    read: dict = {}
    assert metadata._title_sides(titles, read) == ("Anna Weber", "Ben Berg")
    assert list(read) == [titles[0]]  # the second was not needed
    assert read[titles[0]] == ("Anna Weber an Ben Berg", ("Anna Weber", "Ben Berg"))
    assert metadata._title_sides(titles) == metadata._title_sides(titles, read)


# -------------------------------------------------------- register entries


def plain_name_text(element: etree._Element) -> str:
    """registers._name_text as it was."""
    parts = [c for c in element if local(c) is not None]
    mixed = any((c.tail or "").strip() for c in element) or (element.text or "").strip()
    names = {local(c) for c in parts}
    if mixed or not names & {"surname", "forename"} or not names <= registers._NAME_PARTS:
        return plain_spaced_text(element)
    first_name = next(i for i, c in enumerate(parts) if local(c) in ("surname", "forename"))
    leading = [plain_spaced_text(c) for c in parts[:first_name]]
    rest = parts[first_name:]
    forenames = [plain_spaced_text(c) for c in rest if local(c) == "forename"]
    surnames = [plain_spaced_text(c) for c in rest if local(c) in ("surname", "nameLink")]
    additions = [plain_spaced_text(c) for c in rest if local(c) in ("addName", "genName")]
    name = norm_space(" ".join(leading + forenames + surnames))
    if additions:
        name = f"{name}, {' '.join(additions)}"
    return name or plain_spaced_text(element)


def plain_spaced_text(element: etree._Element) -> str:
    """registers._spaced_text as it was."""
    pieces: list[str] = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str):
            pieces.append(" " + plain_text(child) + " ")
        pieces.append(child.tail or "")
    return norm_space("".join(pieces)).replace(" ,", ",").replace("( ", "(").replace(" )", ")")


NAME_SHAPES = {
    "text only": "<persName> Weber ,  Anna ( 1850 ) </persName>",
    "unicode spaces": "<persName>Anna\u00a0\u2003Weber</persName>",
    "empty": "<persName/>",
    "whitespace only": "<persName>\n  </persName>",
    "surname first": "<persName>\n <surname>Weber</surname>\n <forename>Anna</forename>\n"
    "</persName>",
    "role and additions": "<persName><roleName>Sir</roleName><surname>Elford</surname>"
    "<forename>William</forename><addName>the elder</addName><genName>II</genName></persName>",
    "role after the names": "<persName><forename>A</forename><surname>B</surname>"
    "<roleName>Dr</roleName></persName>",
    "nested parts": "<persName><surname><nameLink>de</nameLink>Mariana</surname>"
    "<forename>Juan</forename></persName>",
    "mixed text": "<persName>Frau <surname>Weber</surname></persName>",
    "mixed tail": "<persName><surname>Weber</surname>, <forename>Anna</forename></persName>",
    "whitespace tails": "<persName><surname>Weber</surname> \n\u00a0<forename>Anna</forename>"
    "</persName>",
    "other child": "<persName><surname>Weber</surname><date>1850</date></persName>",
    "no forename or surname": "<persName><roleName>Kaiser</roleName></persName>",
    "foreign child": "<persName><f:x>y</f:x><surname>Weber</surname></persName>",
    "entity": "<persName><surname>W&e;ber</surname>&e;<forename>A</forename></persName>",
    "empty parts": "<persName><surname/><forename> </forename></persName>",
    "choice and lb": "<persName><surname><choice><abbr>W.</abbr><expan>Weber</expan></choice>"
    "</surname><forename>An<lb break='no'/>na</forename></persName>",
    "brackets and commas in parts": "<persName><forename>( Anna )</forename>"
    "<surname>Weber ,</surname></persName>",
}


@pytest.mark.parametrize("tei", [True, False])
@pytest.mark.parametrize("shape", sorted(NAME_SHAPES))
def test_register_names_read_as_before(shape, tei) -> None:
    element = _tree(NAME_SHAPES[shape], tei=tei)[0]
    assert registers._name_text(element) == plain_name_text(element)
    assert registers._spaced_text(element) == plain_spaced_text(element)
    for part in element.iter():
        if isinstance(part.tag, str):
            assert registers._spaced_text(part) == plain_spaced_text(part)


def test_register_names_with_comments_read_as_before() -> None:
    element = _tree(
        "<persName><!--c--><surname>Weber</surname><!--d--> <forename>A</forename></persName>",
        hardened=False,
    )[0]
    assert registers._name_text(element) == plain_name_text(element) == "A Weber"


def plain_ordered_names(entry: etree._Element) -> list[str]:
    """entity_from_element's names as it chose them: the preferred first, then the rest."""
    names = registers._names(entry)
    preferred = next(
        (n for t in registers._PREFERRED_NAME_TYPES for n in names if (n.get("type") or "") == t),
        None,
    )
    ordered = ([preferred] if preferred is not None else []) + [
        n for n in names if n is not preferred
    ]
    texts: list[str] = []
    for name_element in ordered:
        text = plain_name_text(name_element)
        if text and not any(text.casefold() in known.casefold() for known in texts):
            texts.append(text)
    return texts


ENTRY_SHAPES = {
    "no types": "<person xml:id='a'><persName>Anna</persName><persName>Nannerl</persName></person>",
    "later preferred type wins by type order": "<person xml:id='a'><persName type='full'>"
    "Anna Maria Weber</persName><persName type='main'>Anna Weber</persName></person>",
    "first of a type": "<person xml:id='a'><persName type='alt'>Nannerl</persName>"
    "<persName type='reg'>Anna W.</persName><persName type='reg'>Anna Weber</persName></person>",
    "empty type": "<person xml:id='a'><persName type=''>Anna</persName><persName>Ben</persName>"
    "</person>",
    "type case matters": "<person xml:id='a'><persName type='REG'>Anna</persName>"
    "<persName type='pref'>Ben</persName></person>",
    "names of another kind": "<place xml:id='p'><settlement>Wien</settlement>"
    "<country>Österreich</country></place>",
    "own and other names": "<place xml:id='p'><country>A</country><placeName>Wien</placeName>"
    "<placeName type='pref'>Vienna</placeName></place>",
    "pieces of the name": "<place xml:id='p'><placeName>Aachen (D)</placeName>"
    "<placeName>(D)</placeName></place>",
    "foreign names": "<org xml:id='o'><f:orgName>X</f:orgName><orgName>Y</orgName></org>",
    "no name": "<person xml:id='a'><birth>1850</birth></person>",
}


@pytest.mark.parametrize("tei", [True, False])
@pytest.mark.parametrize("shape", sorted(ENTRY_SHAPES))
def test_entries_are_named_as_before(shape, tei) -> None:
    entry = _tree(ENTRY_SHAPES[shape], tei=tei)[0]
    texts = plain_ordered_names(entry)
    for variants in (True, False):
        entity = registers.entity_from_element(entry, None, variants=variants)
        if texts:
            assert entity.name == texts[0]
            assert entity.variants == (tuple(texts[1:]) if variants else ())
        else:
            assert entity.name == plain_text(entry)  # the fallback, untouched


def test_a_missing_header_still_reads() -> None:
    dateline = "<dateline>Wien, <date when='1890'>1890</date></dateline>"
    root = _tree(f"<text><body>{dateline}</body></text>")
    found = metadata.read_metadata(root, lambda refs: ((), ()))
    assert found.title == ""
    assert found.date is not None and found.date.when == "1890"
    assert first(root, "teiHeader") is None


def plain_dateline_places(text, resolve):
    """_dateline_places as it was (names by local())."""
    for element in text.iter():
        if local(element) != "dateline" and not (
            local(element) == "div" and (element.get("type") or "").lower() == "dateline"
        ):
            continue
        found = []
        for place in element.iter():
            name = local(place)
            if name in ("placeName", "settlement") or (
                name in ("name", "rs") and (place.get("type") or "").lower() == "place"
            ):
                party = metadata._party(place, resolve)
                if party.name and party not in found:
                    found.append(party)
        if found:
            return found
    return []


PLACE_SHAPES = {
    "dateline": "<dateline><placeName ref='#w'>Wien</placeName>, 2. 1.</dateline>",
    "div typed as a dateline": "<div type='DATELINE'><settlement>Graz</settlement></div>",
    "div of another type first": "<div type='letter'><placeName>Linz</placeName>"
    "<dateline><rs type='Place'>Ischl</rs><name type='person'>Anna</name></dateline></div>",
    "foreign dateline": "<f:dateline><placeName>X</placeName></f:dateline>",
    "empty dateline, then one": "<dateline>2. 1.</dateline><dateline><placeName>Bern"
    "</placeName><placeName>Bern</placeName></dateline>",
    "none": "<p><placeName>Wien</placeName></p>",
}


@pytest.mark.parametrize("tei", [True, False])
@pytest.mark.parametrize("shape", sorted(PLACE_SHAPES))
def test_dateline_places_are_the_plain_ones(shape, tei) -> None:
    text = _tree(f"<text><body>{PLACE_SHAPES[shape]}</body></text>", tei=tei)[0]
    calls: list[list] = [[], []]

    def resolver(found):
        def resolve(references):
            found.append(references)
            return tuple(token for _attribute, token in references), ()

        return resolve

    assert metadata._dateline_places(text, resolver(calls[0])) == plain_dateline_places(
        text, resolver(calls[1])
    )
    assert calls[0] == calls[1]  # the same references resolved, in the same order


def test_the_first_header_and_text_are_read() -> None:
    root = _tree(
        "&e;<teiHeader><fileDesc><titleStmt><title>Erster</title></titleStmt></fileDesc>"
        "</teiHeader><teiHeader><fileDesc><titleStmt><title>Zweiter</title></titleStmt>"
        "</fileDesc></teiHeader><f:text><dateline><date when='1800'>x</date></dateline></f:text>"
        "<text><dateline><date when='1890'>1890</date></dateline></text>"
        "<text><dateline><date when='1900'>1900</date></dateline></text>"
    )
    found = metadata.read_metadata(root, lambda refs: ((), ()))
    assert found.title == "Erster"
    assert found.date is not None and found.date.when == "1890"
