"""CMIF export: valid against the official CMIF schema, and every trap of the sources handled.

The real editions and the shipped letters must give a file that
``tests/data/schemas/cmif.rng`` accepts, with the GND identifiers the
Schnitzler registers give; small generated letters pin down each rule
(cert, evidence, action types, dates, unknown parties, affiliations).
"""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from testdata import CMIF_RNG, CORPUS, require

from viewer.errors import EpistolaError
from viewer.exports import write_export
from viewer.exports.cmif import CmifOptions, build_cmif, collect_correspondence, export_cmif
from viewer.tei.metadata import calendar_date

ROOT = Path(__file__).resolve().parents[1]
TEI = "http://www.tei-c.org/ns/1.0"
NS = {"t": TEI}
FIXED = CmifOptions(
    title="Test", editor="Ed", url="https://example.org/cmif.xml",
    now=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
)  # fmt: skip


@pytest.fixture(scope="module")
def cmif_schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(require(CMIF_RNG))))


def valid(schema: etree.RelaxNG, data: bytes) -> etree._Element:
    root = etree.fromstring(data)
    assert schema.validate(root), schema.error_log.filter_from_errors()[:5]
    return root


def letter(correspdesc: str, back: str = "", header_extra: str = "", file_id: str = "L1") -> str:
    return (
        f'<TEI xmlns="{TEI}" xml:id="{file_id}"><teiHeader><fileDesc><titleStmt>'
        '<title level="s">Test Edition</title><title level="a">A an B</title></titleStmt>'
        "<publicationStmt><publisher>Test Press</publisher>"
        '<availability><licence target="https://creativecommons.org/licenses/by/4.0/"/>'
        f"</availability>{header_extra}</publicationStmt><sourceDesc><p/></sourceDesc>"
        f"</fileDesc><profileDesc><correspDesc>{correspdesc}</correspDesc></profileDesc>"
        f"</teiHeader><text><body><p>Dear B, hello.</p></body><back>{back}</back></text></TEI>"
    )


def export_one(tmp_path: Path, schema: etree.RelaxNG, xml: str) -> etree._Element:
    folder = tmp_path / "a" / "b" / "letters"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "letter.xml").write_text(xml, encoding="utf-8")
    result = export_cmif(folder, FIXED)
    return valid(schema, result.data)


# ------------------------------------------------------------ real data


@pytest.mark.slow
def test_the_four_editions_give_valid_cmif_with_schnitzlers_gnd(cmif_schema):
    result = export_cmif(require(CORPUS), FIXED)
    root = valid(cmif_schema, result.data)
    descriptions = root.findall(".//t:correspDesc", NS)
    assert len(descriptions) == result.report.letters == 87
    assert not result.report.errors
    refs = {p.get("ref") for p in root.iterfind(".//t:persName", NS)}
    # Arthur Schnitzler and Hugo von Hofmannsthal, as the Schnitzler registers give them.
    assert "https://d-nb.info/gnd/118609807" in refs
    by_key = {d.get("key"): d for d in descriptions}
    checked = 0
    for path in sorted((CORPUS / "schnitzler-briefe" / "editions").glob("L*.xml")):
        source = etree.parse(str(path))
        for name in source.iterfind(".//t:correspDesc/t:correspAction/t:persName", NS):
            person = source.find(
                f".//t:back//t:person[@xml:id='{name.get('ref', '').lstrip('#')}']",
                {**NS, "xml": "http://www.w3.org/XML/1998/namespace"},
            )
            gnd = None if person is None else person.find("t:idno[@type='gnd']", NS)
            if gnd is None:
                continue
            written = by_key[path.stem].find(f".//t:persName[.='{name.text}']", NS)
            assert gnd.text.strip().rstrip("/") in written.get("ref").split(), path.name
            checked += 1
    assert checked >= 20  # 22 in this sample
    # Jean Paul's places carry GeoNames; Escher's people their GND from people.xml.
    places = {p.get("ref") for p in root.iterfind(".//t:placeName", NS)}
    assert any(ref and "geonames.org" in ref for ref in places)
    escher = next(d for d in descriptions if d.get("key") == "K_0029")
    sent = escher.find("t:correspAction[@type='sent']/t:persName", NS)
    assert sent.text == "Oswald Heer"  # the title wins over the inverted labels
    assert sent.get("ref") == "https://d-nb.info/gnd/11656508X"
    # Schnitzler letters link to their handle; every source points at a bibl.
    assert escher.get("source").startswith("#edition-")
    bibl_ids = {b.get(f"{{{etree.QName('http://www.w3.org/XML/1998/namespace', 'id')}}}")
                for b in root.iterfind(".//t:bibl", NS)}  # fmt: skip
    assert bibl_ids


@pytest.mark.slow
def test_no_placeholder_date_and_no_forbidden_attribute_value_reaches_the_file(cmif_schema):
    root = valid(cmif_schema, export_cmif(require(CORPUS), FIXED).data)
    for date in root.iterfind(".//t:correspAction/t:date", NS):
        for attribute in ("when", "notBefore", "notAfter", "from", "to"):
            value = date.get(attribute)
            if value is not None:
                assert calendar_date(value) == value
    assert {e.get("cert") for e in root.iter() if e.get("cert")} <= {"low"}
    assert {e.get("evidence") for e in root.iter() if e.get("evidence")} <= {"conjecture"}
    for name in root.iterfind(".//t:correspAction/*", NS):
        assert len(name) == 0 and set(name.keys()) <= {
            "ref", "cert", "evidence", "when", "notBefore", "notAfter", "from", "to"
        }  # fmt: skip


def test_the_shipped_letters_give_valid_cmif(cmif_schema):
    result = export_cmif(ROOT / "letters", FIXED)
    root = valid(cmif_schema, result.data)
    assert len(root.findall(".//t:correspDesc", NS)) >= 1
    geneva = root.find(".//t:correspAction[@type='sent']/t:placeName", NS)
    assert (geneva.text, geneva.get("ref")) == ("Geneva", "http://www.wikidata.org/entity/Q71")


# ------------------------------------------------------------ the rules


def test_header_comes_from_the_letters_when_they_agree(tmp_path, cmif_schema):
    folder = tmp_path / "x" / "y" / "letters"
    folder.mkdir(parents=True)
    action = '<correspAction type="sent"><persName>A</persName></correspAction>'
    for n in (1, 2):
        (folder / f"l{n}.xml").write_text(letter(action, file_id=f"L{n}"), encoding="utf-8")
    result = export_cmif(folder, CmifOptions(url="https://example.org/c.xml"))
    root = valid(cmif_schema, result.data)
    assert root.findtext(".//t:titleStmt/t:title", namespaces=NS) == "Letters of Test Edition"
    assert root.findtext(".//t:publisher", namespaces=NS) == "Test Press"
    assert root.findtext(".//t:editor", namespaces=NS) == "Test Press"
    idno = root.find(".//t:publicationStmt/t:idno", NS)
    assert idno.get("type") == "url" and idno.text == "https://example.org/c.xml"
    (bibl,) = root.findall(".//t:sourceDesc/t:bibl", NS)
    assert bibl.get("type") == "online" and bibl.text == "Test Edition"
    bibl_id = bibl.get("{http://www.w3.org/XML/1998/namespace}id")
    assert bibl_id[0].isalpha()
    assert {d.get("source") for d in root.iterfind(".//t:correspDesc", NS)} == {f"#{bibl_id}"}
    assert [d.get("key") for d in root.iterfind(".//t:correspDesc", NS)] == ["L1", "L2"]
    # The same edition gives the same bibl id next time.
    again = export_cmif(folder, CmifOptions(url="https://example.org/c.xml"))
    assert bibl_id.encode() in again.data


def test_options_win_over_the_letters(tmp_path, cmif_schema):
    action = '<correspAction type="sent"><persName>A</persName></correspAction>'
    root = export_one(tmp_path, cmif_schema, letter(action))
    assert root.findtext(".//t:titleStmt/t:title", namespaces=NS) == "Test"
    assert root.findtext(".//t:editor", namespaces=NS) == "Ed"
    assert root.find(".//t:publicationStmt/t:date", NS).get("when") == "2026-01-02T03:04:05Z"


def test_cert_evidence_and_action_types_are_mapped_to_what_cmif_allows(tmp_path, cmif_schema):
    xml = letter(
        '<correspAction type="sent">'
        '<persName cert="high" evidence="internal">Certain Sender</persName>'
        '<placeName cert="medium" evidence="external">Maybe Town</placeName>'
        '<date when="1900-01-02" cert="low" evidence="conjecture">2. 1. 1900</date>'
        "</correspAction>"
        '<correspAction type="forwarded"><persName>Forwarder</persName></correspAction>'
        '<correspAction type="received"><persName evidence="conjecture">Guessed</persName>'
        "</correspAction>"
    )
    root = export_one(tmp_path, cmif_schema, xml)
    actions = root.findall(".//t:correspAction", NS)
    assert [a.get("type") for a in actions] == ["sent", "received"]
    sender = actions[0].find("t:persName", NS)
    assert sender.text == "Certain Sender" and sender.get("cert") is None
    assert sender.get("evidence") is None
    place = actions[0].find("t:placeName", NS)
    assert (place.get("cert"), place.get("evidence")) == ("low", "conjecture")
    date = actions[0].find("t:date", NS)
    assert (date.get("when"), date.get("cert"), date.get("evidence")) == (
        "1900-01-02", "low", "conjecture"
    )  # fmt: skip
    assert date.text is None  # the machine-readable form says it all
    assert b"Forwarder" not in etree.tostring(root)
    assert actions[1].find("t:persName", NS).get("evidence") == "conjecture"


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ('when="1836-04-00"', {}),
        ('when="yyyy-mm-dd"', {}),
        ('when="1836-02-30"', {}),
        ('when="1836-13"', {}),
        ('when="1836-04"', {"when": "1836-04"}),
        ('when="1836"', {"when": "1836"}),
        ('notBefore="1890-10-26" notAfter="1890-10-30"',
         {"notBefore": "1890-10-26", "notAfter": "1890-10-30"}),
        ('notBefore="1890-10-30" notAfter="1890-10-26"', {}),
        ('from="1876-06-14" to="1876-06-15"', {"from": "1876-06-14", "to": "1876-06-15"}),
        ('when="1836-04-00" notBefore="1836-04"', {"notBefore": "1836-04"}),
    ],
)  # fmt: skip
def test_only_real_calendar_dates_are_written(tmp_path, cmif_schema, attributes, expected):
    xml = letter(
        f'<correspAction type="sent"><persName>A</persName><date {attributes}/></correspAction>'
    )
    root = export_one(tmp_path, cmif_schema, xml)
    date = root.find(".//t:correspAction[@type='sent']/t:date", NS)
    found = {} if date is None else {k: v for k, v in date.attrib.items() if k not in ("cert",)}
    assert found == expected


def test_two_dated_days_in_one_action_become_from_and_to(tmp_path, cmif_schema):
    xml = letter(
        '<correspAction type="sent"><persName>A</persName>'
        '<date when="1876-06-15"/><date when="1876-06-14"/></correspAction>'
    )
    root = export_one(tmp_path, cmif_schema, xml)
    date = root.find(".//t:correspAction/t:date", NS)
    assert (date.get("from"), date.get("to")) == ("1876-06-14", "1876-06-15")


def test_a_missing_party_is_unknown(tmp_path, cmif_schema):
    xml = letter('<correspAction type="sent"><persName>A</persName></correspAction>').replace(
        '<title level="a">A an B</title>', '<title level="a">Ein Brief</title>'
    )
    folder = tmp_path / "p" / "q" / "letters"
    folder.mkdir(parents=True)
    (folder / "l.xml").write_text(xml, encoding="utf-8")
    result = export_cmif(folder, FIXED)
    root = valid(cmif_schema, result.data)
    received = root.find(".//t:correspAction[@type='received']", NS)
    assert [p.text for p in received] == ["Unknown"]
    assert result.report.unknown_parties == 1


def test_authority_uris_come_from_the_register_and_never_from_an_affiliation(tmp_path, cmif_schema):
    back = (
        "<listPerson>"
        '<person xml:id="p1"><persName><forename>Anna</forename><surname>A</surname></persName>'
        '<affiliation><orgName>Society</orgName><idno type="gnd">2001234-5</idno></affiliation>'
        "</person>"
        '<person xml:id="p2"><persName>Bert B</persName>'
        '<idno type="gnd">https://d-nb.info/gnd/118609807/</idno>'
        '<idno type="URL" subtype="pmb">https://pmb.acdh.oeaw.ac.at/entity/2121/</idno>'
        '<idno type="viaf">12345</idno></person>'
        "</listPerson>"
        '<listPlace><place xml:id="w"><placeName>Wien</placeName>'
        '<idno type="geonames">2761369</idno></place></listPlace>'
    )
    xml = letter(
        '<correspAction type="sent"><persName ref="#p1"><forename>Anna</forename> '
        '<surname>A</surname></persName><placeName ref="#w" type="x" n="1">Wien</placeName>'
        '</correspAction><correspAction type="received"><persName ref="#p2" key="k">B</persName>'
        "</correspAction>",
        back,
    )
    root = export_one(tmp_path, cmif_schema, xml)
    sender = root.find(".//t:correspAction[@type='sent']/t:persName", NS)
    assert sender.text == "Anna A" and sender.get("ref") is None
    recipient = root.find(".//t:correspAction[@type='received']/t:persName", NS)
    assert recipient.get("ref") == "https://d-nb.info/gnd/118609807 https://viaf.org/viaf/12345"
    place = root.find(".//t:placeName", NS)
    assert place.get("ref") == "https://www.geonames.org/2761369"
    assert set(place.keys()) == {"ref"}


def test_a_letter_without_correspdesc_falls_back_on_title_and_dateline(tmp_path, cmif_schema):
    xml = (
        f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt><title>Letter to '
        '<persName>Sir William Elford</persName>, <date when="yyyy-mm-dd">undated</date>'
        "</title><author>Mary Russell Mitford</author></titleStmt>"
        "<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc>"
        "</teiHeader><text><body><opener><dateline><placeName>Reading</placeName>, "
        '<date when="1819-01-09">9 Jan 1819</date></dateline></opener><p>Hi.</p></body>'
        "</text></TEI>"
    )
    root = export_one(tmp_path, cmif_schema, xml)
    sent = root.find(".//t:correspAction[@type='sent']", NS)
    assert sent.findtext("t:persName", namespaces=NS) == "Mary Russell Mitford"
    assert sent.findtext("t:placeName", namespaces=NS) == "Reading"
    assert sent.find("t:date", NS).get("when") == "1819-01-09"
    received = root.find(".//t:correspAction[@type='received']", NS)
    assert received.findtext("t:persName", namespaces=NS) == "Sir William Elford"


def test_bad_files_are_reported_and_the_rest_exported(tmp_path, cmif_schema):
    folder = tmp_path / "m" / "n" / "letters"
    folder.mkdir(parents=True)
    (folder / "good.xml").write_text(
        letter('<correspAction type="sent"><persName>A</persName></correspAction>'),
        encoding="utf-8",
    )
    (folder / "broken.xml").write_text(f'<TEI xmlns="{TEI}"><teiHeader>', encoding="utf-8")
    (folder / "other.xml").write_text("<mappingtable/>", encoding="utf-8")
    records, errors = collect_correspondence(folder)
    assert len(records) == 1
    assert [Path(e.file).name for e in errors] == ["broken.xml"]
    result = build_cmif(records, FIXED, folder=folder, errors=errors)
    valid(cmif_schema, result.data)
    assert any("broken.xml" in line for line in result.report.lines())


def test_a_folder_without_letters_is_an_error(tmp_path):
    with pytest.raises(EpistolaError, match="holds no letters"):
        export_cmif(tmp_path, FIXED)
    with pytest.raises(EpistolaError, match="is not a folder"):
        export_cmif(tmp_path / "missing", FIXED)


def test_a_failed_write_is_a_clear_error_and_changes_nothing(tmp_path):
    target = tmp_path / "no-such-folder" / "out.xml"
    with pytest.raises(EpistolaError, match="could not be written"):
        write_export(target, b"<x/>")
    existing = tmp_path / "keep.xml"
    existing.write_bytes(b"old")
    write_export(existing, b"new")
    assert existing.read_bytes() == b"new"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1836-04-00", None), ("yyyy-mm-dd", None), ("1900-02-29", None), ("2000-02-29",
     "2000-02-29"), ("1836", "1836"), ("1836-4-1", None), ("", None), (None, None),
     ("0000", None), ("1836-04", "1836-04")],
)  # fmt: skip
def test_calendar_date(value, expected):
    assert calendar_date(value) == expected


@pytest.mark.slow
@pytest.mark.e2e
def test_cli_writes_cmif_to_stdout_and_the_report_to_stderr(cmif_schema):
    result = subprocess.run(
        [sys.executable, "main.py", "--cmif", str(require(CORPUS / "schnitzler-briefe")),
         "--cmif-title", "Schnitzler", "--cmif-url", "https://example.org/s.xml"],
        cwd=ROOT, capture_output=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    root = valid(cmif_schema, result.stdout)
    assert root.findtext(".//t:titleStmt/t:title", namespaces=NS) == "Schnitzler"
    report = result.stderr.decode()
    assert "23 letter(s) exported" in report and "lack an authority identifier" in report
    bad = subprocess.run(
        [sys.executable, "main.py", "--cmif", "/no/such/folder"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and "is not a folder" in bad.stderr


def test_file_names_with_spaces_hashes_and_bytes_that_are_not_utf8(tmp_path, cmif_schema):
    import os

    from viewer.exports.csv_export import export_csv

    folder = tmp_path / "r" / "s" / "my letters"
    folder.mkdir(parents=True)
    xml = letter('<correspAction type="sent"><persName>A</persName></correspAction>')
    names = ["a b#1.xml", os.fsdecode(b"caf\xe9.xml")]
    for name in names:
        (folder / name).write_text(xml, encoding="utf-8")
    root = valid(cmif_schema, export_cmif(folder, FIXED).data)
    refs = sorted(d.get("ref") for d in root.iterfind(".//t:correspDesc", NS))
    assert refs == ["a%20b%231.xml", "caf%E9.xml"]
    table = export_csv("letters", folder).data.decode("utf-8-sig")
    assert "a b#1.xml" in table and "caf\\udce9.xml" in table


@pytest.mark.slow
def test_worker_processes_read_the_same_as_one_process():
    serial, serial_errors = collect_correspondence(require(CORPUS), mode="serial")
    parallel, parallel_errors = collect_correspondence(require(CORPUS), mode="process")
    assert parallel == serial and parallel_errors == serial_errors
    assert len(serial) == 87
