"""Facsimiles without Qt: pages, line breaks, zones, line tables, finding images, their sizes.

Every test makes its own letters and images (``tests/imagefiles.py`` writes
them byte by byte); the Escher tests copy a real letter and its real line
table from ``tests/data`` into a folder of their own and put generated scans
beside them, named as the table says.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from imagefiles import write_jpeg_header, write_png, write_tiff, write_webp_header
from testdata import CORPUS, require

from viewer.images import ImageFinder, attach_images, image_size
from viewer.model import Region, letter_to_json
from viewer.settings import Settings
from viewer.tei import read_letter

ROOT = Path(__file__).resolve().parents[1]
TEI = "http://www.tei-c.org/ns/1.0"
ESCHER = CORPUS / "escher"
K_0018 = "K_0018_AE_an_Heer_Oswald_1836-04-00.xml"
K_0146 = "K_0146_von_Mlinen_Egbert_Friedrich_an_Escher_1837-12-13.xml"


def tei(body: str, facsimile: str = "") -> str:
    return (
        f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt><title>T</title></titleStmt>'
        "<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc>"
        f"</teiHeader>{facsimile}<text><body>{body}</body></text></TEI>"
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder deep enough that looking upwards for images stays inside tmp_path."""
    deep = tmp_path / "edition" / "letters" / "vol"
    deep.mkdir(parents=True)
    return deep


def letter_file(folder: Path, body: str, facsimile: str = "", name: str = "l.xml") -> Path:
    path = folder / name
    path.write_text(tei(body, facsimile), encoding="utf-8")
    return path


# ------------------------------------------------------------------ line and page breaks


def test_line_breaks_record_offset_n_and_id_of_each_line_start(folder):
    path = letter_file(
        folder,
        '<p><lb xml:id="a1"/>Erste Zeile mit<lb n="2" xml:id="a2"/>zweiter und '
        'Unter<lb xml:id="a3" break="no"/>hemd<lb xml:id="a4" rend="x"/>Ende</p>',
    )
    letter = read_letter(path)
    assert letter.text == "Erste Zeile mit\nzweiter und Unterhemd\nEnde"
    breaks = [(b.offset, b.n, b.id) for b in letter.line_breaks]
    # The lb inside a word makes no break in the normalised reading: it is left out.
    assert breaks == [(0, "", "a1"), (16, "2", "a2"), (38, "", "a4")]
    for offset, _n, _id in breaks[1:]:
        assert letter.text[offset - 1] == "\n"
    diplomatic = read_letter(path, reading="diplomatic")
    assert [b.id for b in diplomatic.line_breaks] == ["a1", "a2", "a3", "a4"]
    dumped = letter_to_json(letter)["lineBreaks"]
    assert dumped[1] == {"offset": 16, "n": "2", "id": "a2"}
    assert all(set(entry) == {"offset", "n", "id"} for entry in dumped)


def test_page_breaks_are_pages_and_a_commented_out_pb_is_not(folder):
    path = letter_file(
        folder,
        '<p><pb n="1r" facs="IMG_0201.JPG"/>Vorne.</p><!-- <pb n="x" facs="IMG_9999.JPG"/> -->'
        '<p>Mitte.<pb n="1v" facs="IMG_0202.JPG"/>Hinten.</p>',
    )
    letter = read_letter(path)
    assert [(p.n, p.facs, p.offset, p.image) for p in letter.pages] == [
        ("1r", "IMG_0201.JPG", 0, None),
        ("1v", "IMG_0202.JPG", letter.text.index("Hinten"), None),
    ]
    assert letter.text[letter.pages[1].offset :] == "Hinten."


# ------------------------------------------------------------------ TEI zones

ZONES = """
<facsimile>
  <surface xml:id="s1" ulx="0" uly="0" lrx="500" lry="800">
    <graphic url="scans/page1.jpg" width="1000px" height="1600px"/>
    <zone xml:id="z1" ulx="10" uly="20" lrx="410" lry="60"/>
    <zone xml:id="z2" ulx="10" uly="70" lrx="410" lry="110" corresp="#line2"/>
    <zone xml:id="z3" points="100,200 300,200 300,240 100,250"/>
  </surface>
  <surface xml:id="s2">
    <graphic url="page2.png"/>
    <zone xml:id="z4" ulx="5" uly="5" lrx="95" lry="25"/>
  </surface>
</facsimile>"""

ZONE_BODY = (
    '<p><pb facs="#s1"/><lb facs="#z1"/>Ich sah <persName ref="#anna">Anna</persName> heute'
    '<lb xml:id="line2"/>und <placeName ref="#wien">Wien</placeName> auch.</p>'
    '<p><seg facs="#z3">Ein Gruss an <persName ref="#bob">Bob</persName>.</seg></p>'
    '<p><pb facs="#s2"/><lb facs="#z4"/>Wieder <persName ref="#anna">Anna</persName>.</p>'
)


def test_zones_link_lines_and_elements_and_mentions_get_their_regions(folder):
    letter = read_letter(letter_file(folder, ZONE_BODY, ZONES))
    assert [(p.facs, p.width, p.height) for p in letter.pages] == [
        ("scans/page1.jpg", 1000, 1600),
        ("page2.png", None, None),
    ]
    by_text = {letter.text[m.start : m.end]: m for m in reversed(letter.mentions)}  # first wins
    # The surface is 500 wide, its image 1000: zone coordinates are doubled into pixels.
    assert by_text["Anna"].regions == (Region(0, 20, 40, 800, 80),)  # lb/@facs
    assert by_text["Wien"].regions == (Region(0, 20, 140, 800, 80),)  # zone/@corresp
    assert by_text["Bob"].regions == (Region(0, 200, 400, 400, 100),)  # seg/@facs, @points
    second_anna = [m for m in letter.mentions if letter.text[m.start : m.end] == "Anna"][1]
    assert second_anna.regions == (Region(1, 5, 5, 90, 20),)
    dumped = letter_to_json(letter)["mentions"][0]["regions"]
    assert dumped == [{"page": 0, "x": 20, "y": 40, "w": 800, "h": 80}]
    # Every zone knows the text it holds: clicking it can move the caret there.
    assert {letter.text[z.start : z.end] for z in letter.zones} >= {
        "Ich sah Anna heute",
        "und Wien auch.",
        "Ein Gruss an Bob.",
    }


def test_surfaces_without_pb_are_pages_placed_at_their_first_linked_text(folder):
    body = '<p><lb facs="#z1"/>Seite eins.</p><p><lb facs="#z4"/>Seite zwei.</p>'
    letter = read_letter(letter_file(folder, body, ZONES))
    assert [p.facs for p in letter.pages] == ["scans/page1.jpg", "page2.png"]
    assert letter.pages[0].offset == 0
    assert letter.text[letter.pages[1].offset :] == "Seite zwei."


def test_graphics_named_by_bare_pb_facs_and_reused_graphics(folder):
    facsimile = (
        '<facsimile><graphic url="HS.NZ85.1.3483_0011"/><graphic url="HS.NZ85.1.3483_0011"/>'
        '<graphic url="HS.NZ85.1.3483_0012"/></facsimile>'
    )
    body = '<p><pb facs="HS.NZ85.1.3483_0011"/>Eins.<pb facs="HS.NZ85.1.3483_0011"/>Noch eins.</p>'
    letter = read_letter(letter_file(folder, body, facsimile))
    # Pages follow the pbs: a graphic used twice is two pages, one never used is none.
    assert [p.facs for p in letter.pages] == ["HS.NZ85.1.3483_0011"] * 2


def test_dangling_pointer_is_a_warning_and_a_remote_image_is_never_fetched(folder):
    body = (
        '<p><pb n="22" facs="#f0183"/>Eins.<pb n="23" '
        'facs="https://iiif.example.org/iiif/2/abc/full/full/0/default.jpg"/>Zwei.</p>'
    )
    letter = attach_images(read_letter(letter_file(folder, body)), ImageFinder())
    assert [p.image for p in letter.pages] == [None, None]
    assert [p.remote for p in letter.pages] == [False, True]
    codes = {d.code: d for d in letter.diagnostics}
    assert codes["dangling-facs"].severity == "warning"
    assert "#f0183" in codes["dangling-facs"].message
    assert codes["remote-image"].severity == "info"
    assert "iiif.example.org" in codes["remote-image"].message


# ------------------------------------------------------------------ finding images


def test_finder_matches_names_with_dots_case_and_other_extensions(folder, tmp_path):
    edition = folder.parent.parent
    (edition / "images").mkdir()
    write_png(edition / "images" / "HS.NZ85.1.3483_0011.png", 30, 40)
    write_png(edition / "images" / "HS.NZ85.1.png", 5, 5)  # must not be taken for _0011
    write_png(folder / "img_0201.jpeg", 8, 6)  # beside the letter, other case and extension
    own = tmp_path / "my scans"
    own.mkdir()
    write_tiff(own / "Brief 3.TIF", 12, 9)
    finder = ImageFinder([own])
    letter = folder / "l.xml"
    assert finder.find("HS.NZ85.1.3483_0011", letter) == edition / "images" / (
        "HS.NZ85.1.3483_0011.png"
    )
    assert finder.find("IMG_0201.JPG", letter) == folder / "img_0201.jpeg"
    assert finder.find("brief 3.tif", letter) == own / "Brief 3.TIF"
    assert finder.find("Brief 3", letter) == own / "Brief 3.TIF"
    assert finder.find("HS.NZ85.1.3483_0099", letter) is None
    assert finder.find("../../etc/passwd", letter) is None


def test_missing_images_are_an_info_not_an_error(folder):
    path = letter_file(folder, '<p><pb n="1" facs="IMG_0201.JPG"/>Eins.</p>')
    letter = attach_images(read_letter(path), ImageFinder())
    assert letter.pages[0].image is None
    missing = [d for d in letter.diagnostics if d.code == "image-missing"]
    assert len(missing) == 1 and missing[0].severity == "info"
    assert "IMG_0201.JPG" in missing[0].message


def test_pages_get_the_real_size_and_regions_scale_to_it(folder):
    facsimile = (
        '<facsimile><surface xml:id="s1"><graphic url="p1.jpg" width="100" height="200"/>'
        '<zone xml:id="z1" ulx="10" uly="20" lrx="60" lry="40"/></surface></facsimile>'
    )
    body = '<p><pb facs="#s1"/><lb facs="#z1"/>Nur <persName ref="#x">Anna</persName>.</p>'
    path = letter_file(folder, body, facsimile)
    letter = read_letter(path)
    assert (letter.pages[0].width, letter.pages[0].height) == (100, 200)  # declared
    write_jpeg_header(folder / "p1.jpg", 300, 600, exif_bytes=40_000)  # a 3x larger scan
    found = attach_images(letter, ImageFinder())
    assert found.pages[0].image == str(folder / "p1.jpg")
    assert (found.pages[0].width, found.pages[0].height) == (300, 600)
    assert found.mentions[0].regions == (Region(0, 30, 60, 150, 60),)
    assert found.zones[0].region == Region(0, 30, 60, 150, 60)
    again = attach_images(found, ImageFinder())
    assert again.mentions[0].regions == found.mentions[0].regions


@pytest.mark.parametrize(
    ("writer", "name"),
    [
        (write_png, "a.png"),
        (lambda p, w, h: write_tiff(p, w, h, little=True), "a.tif"),
        (lambda p, w, h: write_tiff(p, w, h, little=False), "b.tiff"),
        (write_jpeg_header, "a.jpg"),
        (write_webp_header, "a.webp"),
    ],
)
def test_image_size_reads_headers(tmp_path, writer, name):
    path = writer(tmp_path / name, 321, 123)
    assert image_size(path) == (321, 123)


def test_image_size_of_junk_is_none(tmp_path):
    (tmp_path / "x.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00")
    (tmp_path / "y.png").write_bytes(b"not an image at all")
    (tmp_path / "z.tif").write_bytes(b"II*\x00\xff\xff\xff\x7f")
    for name in ("x.jpg", "y.png", "z.tif", "missing.png"):
        assert image_size(tmp_path / name) is None


# ------------------------------------------------------------------ Escher line tables


def escher_copy(tmp_path: Path, name: str, mapping: str) -> Path:
    """The letter in briefe/ and its line table in regions/, as the edition lays them out."""
    edition = tmp_path / "escher"
    (edition / "briefe").mkdir(parents=True)
    (edition / "regions").mkdir()
    shutil.copy(require(ESCHER / "briefe" / name), edition / "briefe" / name)
    shutil.copy(require(ESCHER / "regions" / mapping), edition / "regions" / mapping)
    return edition / "briefe" / name


def test_escher_table_gives_pages_and_every_mention_a_region(tmp_path):
    path = escher_copy(tmp_path, K_0018, "K_0018_mapping.xml")
    images = tmp_path / "escher" / "images"
    images.mkdir()
    # The table measures K_0018_1r_crop.jpg at 1171x1440; this scan is twice as large.
    write_png(images / "K_0018_1r_crop.png", 2342, 2880)
    write_png(images / "K_0018_1v_crop.png", 1183, 1440)
    write_png(images / "K_0018_2r_crop.png", 1181, 1440)
    letter = attach_images(read_letter(path), ImageFinder())
    # No pb for page 1: its page comes from the table's doc n="1" and starts the text.
    assert [(p.n, p.offset == 0) for p in letter.pages] == [
        ("1", True),
        ("2", False),
        ("3", False),
    ]
    assert [Path(p.image).name for p in letter.pages if p.image] == [
        "K_0018_1r_crop.png",
        "K_0018_1v_crop.png",
        "K_0018_2r_crop.png",
    ]
    assert (letter.pages[0].width, letter.pages[0].height) == (2342, 2880)
    in_text = [m for m in letter.mentions if not m.in_note]
    assert in_text
    for mention in in_text:
        assert mention.regions, letter.text[mention.start : mention.end]
        for region in mention.regions:
            page = letter.pages[region.page]
            assert region.x >= 0 and region.x + region.w <= page.width
            assert region.y >= 0 and region.y + region.h <= page.height
    # Melchthals is on line p1-l9: coords="44,427,1152,498" in the table, doubled here.
    melchthal = next(m for m in in_text if letter.text[m.start : m.end] == "Melchthals")
    assert melchthal.regions == (Region(0, 88, 854, 2216, 142),)
    # The thumbnail area (the whole page, target="p1") is no line: no zone holds it.
    assert not any(z.target in ("p1", "p2", "p3") for z in letter.zones)
    assert all(z.target.startswith("p") and "-l" in z.target for z in letter.zones)


def test_escher_pages_numbered_again_in_an_enclosure_keep_their_own_images(tmp_path):
    path = escher_copy(tmp_path, K_0146, "K_0146_mapping.xml")
    letter = read_letter(path)
    assert [(p.n, p.facs) for p in letter.pages] == [
        ("1", "K_0146_1r_crop.jpg"),
        ("2", "K_0146_1v_crop.jpg"),
        ("3", "K_0146_2r_crop.jpg"),
        ("4", "K_0146_2v_crop.jpg"),
        ("1", None),
        ("2", None),
        ("3", None),
    ]
    offsets = [p.offset for p in letter.pages]
    assert offsets == sorted(offsets) and offsets[0] == 0


@pytest.mark.slow
def test_every_escher_letter_in_the_corpus_links_every_mention_in_its_text():
    letters = sorted(require(ESCHER / "briefe").glob("K_*.xml"))
    assert len(letters) == 21
    for path in letters:
        letter = read_letter(path)
        assert letter.pages and letter.pages[0].offset == 0, path.name
        assert all(p.facs and "_crop" in p.facs for p in letter.pages[:1]), path.name
        for mention in letter.mentions:
            if not mention.in_note:
                assert mention.regions, (path.name, letter.text[mention.start : mention.end])


def test_a_broken_line_table_is_a_warning(tmp_path):
    path = escher_copy(tmp_path, K_0018, "K_0018_mapping.xml")
    table = tmp_path / "escher" / "regions" / "K_0018_mapping.xml"
    table.write_text("<mappingtable><doc n='1' image='x.jpg'><area coords=", encoding="utf-8")
    letter = read_letter(path)
    problems = [d for d in letter.diagnostics if d.code == "line-table-unreadable"]
    assert len(problems) == 1 and problems[0].severity == "warning"
    assert all(not m.regions for m in letter.mentions)


# ------------------------------------------------------------------ the command line


@pytest.mark.slow
def test_dump_with_images_gives_pages_and_regions(folder, tmp_path):
    facsimile = (
        '<facsimile><surface xml:id="s1"><graphic url="Seite.1.tif"/>'
        '<zone xml:id="z1" ulx="1" uly="2" lrx="11" lry="12"/></surface></facsimile>'
    )
    body = '<p><pb n="1" facs="#s1"/><lb facs="#z1"/><persName ref="#a">Anna</persName></p>'
    path = letter_file(folder, body, facsimile)
    scans = tmp_path / "scans"
    scans.mkdir()
    write_tiff(scans / "seite.1.TIF", 40, 30)
    result = subprocess.run(
        [sys.executable, "main.py", "--dump", str(path), "--images", str(scans)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    dumped = json.loads(result.stdout)
    assert dumped["pages"] == [
        {
            "n": "1",
            "facs": "Seite.1.tif",
            "image": str(scans / "seite.1.TIF"),
            "width": 40,
            "height": 30,
            "offset": 0,
            "remote": False,
        }
    ]
    assert dumped["mentions"][0]["regions"] == [{"page": 0, "x": 1, "y": 2, "w": 10, "h": 10}]
    assert dumped["lineBreaks"] == [{"offset": 0, "n": "", "id": ""}]
    assert not any(d["code"] == "image-missing" for d in dumped["diagnostics"])


def test_added_image_folders_are_remembered(tmp_path):
    settings = Settings(tmp_path)
    settings.image_folders = ["/scans/escher", "/scans/escher", "/scans/mitford"]
    assert settings.save()
    again = Settings(tmp_path).load()
    assert again.image_folders == ["/scans/escher", "/scans/mitford"]
    assert again.facsimile_shown is True
    (tmp_path / "settings.json").write_text('{"image_folders": "not a list"}', encoding="utf-8")
    broken = Settings(tmp_path).load()
    assert broken.image_folders == [] and broken.warnings


def test_hostile_coordinates_are_ignored_not_fatal(folder):
    facsimile = (
        '<facsimile><surface xml:id="s1" ulx="0" uly="0" lrx="0" lry="0">'
        '<graphic url="p.png" width="-5px" height="12em"/>'
        '<zone xml:id="z1" ulx="nan" uly="0" lrx="inf" lry="1e999"/>'
        '<zone xml:id="z2" points="1,2,3"/>'
        '<zone xml:id="z3" ulx="5" uly="5" lrx="1" lry="1"/></surface></facsimile>'
    )
    body = '<p><pb facs="#s1"/><lb facs="#z1"/>Eins <lb facs="#z2"/>zwei <lb facs="#z3"/>drei</p>'
    letter = read_letter(letter_file(folder, body, facsimile))
    assert [(p.width, p.height) for p in letter.pages] == [(None, None)]
    assert [(z.region, letter.text[z.start : z.end]) for z in letter.zones] == [
        (Region(0, 1, 1, 4, 4), "drei")
    ]
