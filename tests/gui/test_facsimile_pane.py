"""The facsimile pane: pages, zoom, rotation, outlines, clicks, decoding at the size shown.

Images are written by Qt in each test (JPEG, PNG, TIFF); the loader runs its
decodes synchronously (an injected runner) except in the one test that uses
the real thread pool and waits for the signal that says the page is shown.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QWheelEvent
from PySide6.QtWidgets import QApplication
from testdata import CORPUS, require

from viewer.gui.facsimile import (
    FacsimilePane,
    PageImageLoader,
    synchronous_runner,
    thread_pool_runner,
)
from viewer.gui.kinds import kind_style
from viewer.images import ImageFinder, attach_images, image_size
from viewer.model import Region
from viewer.tei import read_letter

pytestmark = pytest.mark.gui

TEI = "http://www.tei-c.org/ns/1.0"
K_0018 = "K_0018_AE_an_Heer_Oswald_1836-04-00.xml"


def write_image(path: Path, width: int, height: int, fmt: str | None = None) -> Path:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(240, 230, 210))
    painter = QPainter(image)
    painter.setPen(QColor(40, 30, 20))
    for y in range(40, height, 60):
        painter.drawLine(20, y, width - 20, y)
    painter.end()
    assert image.save(str(path), fmt), path
    return path


@pytest.fixture
def pane(qtbot):
    widget = FacsimilePane(loader=PageImageLoader(runner=synchronous_runner))
    widget.resize(420, 640)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def escher(tmp_path: Path):
    """K_0018 with its line table, and scans (JPEG) named as the table says."""
    edition = tmp_path / "escher"
    (edition / "briefe").mkdir(parents=True)
    (edition / "regions").mkdir()
    (edition / "images").mkdir()
    source = require(CORPUS / "escher")
    shutil.copy(source / "briefe" / K_0018, edition / "briefe" / K_0018)
    shutil.copy(source / "regions" / "K_0018_mapping.xml", edition / "regions")
    for name, width in (("1r", 1171), ("1v", 1183), ("2r", 1181)):
        write_image(edition / "images" / f"K_0018_{name}_crop.jpg", width, 1440)
    return attach_images(read_letter(edition / "briefe" / K_0018), ImageFinder())


def zone_letter(tmp_path: Path) -> Path:
    write_image(tmp_path / "p1.png", 800, 1000)
    write_image(tmp_path / "p2.png", 800, 1000)
    facsimile = (
        '<facsimile><surface xml:id="s1"><graphic url="p1.png"/>'
        '<zone xml:id="z1" ulx="100" uly="100" lrx="700" lry="160"/>'
        '<zone xml:id="z2" ulx="100" uly="300" lrx="700" lry="360"/></surface>'
        '<surface xml:id="s2"><graphic url="p2.png"/>'
        '<zone xml:id="z3" ulx="100" uly="500" lrx="700" lry="560"/></surface></facsimile>'
    )
    body = (
        '<p><pb facs="#s1"/><lb facs="#z1"/>Erste Zeile mit <persName ref="#a">Anna</persName>'
        '<lb facs="#z2"/>zweite Zeile</p><p><pb facs="#s2"/><lb facs="#z3"/>dritte mit '
        '<persName ref="#a">Anna</persName></p>'
    )
    path = tmp_path / "zones.xml"
    path.write_text(
        f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt><title>T</title></titleStmt>'
        "<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc>"
        f"</teiHeader>{facsimile}<text><body>{body}</body></text></TEI>",
        encoding="utf-8",
    )
    return path


def test_qt_written_images_have_the_size_the_header_reader_says(tmp_path):
    for name, fmt in (("a.jpg", "JPEG"), ("a.png", "PNG"), ("a.tif", "TIFF"), ("a.webp", "WEBP")):
        path = write_image(tmp_path / name, 333, 222, fmt)
        assert image_size(path) == (333, 222), name


@pytest.mark.slow
def test_pages_show_decoded_at_the_size_shown_and_full_size_when_zoomed(pane, escher):
    assert pane.has_images() is False
    pane.set_pages(escher.pages, escher.zones)
    assert pane.has_images()
    assert pane.page_label.text() == "Page 1 of 3"
    pixmap = pane._pixmap_item.pixmap()
    # Fitted into the pane, the 1440 px scan is decoded at about the size shown, not in full.
    shown = 1440 * pane.scale()
    assert not pixmap.isNull() and shown <= pixmap.height() < 1440
    assert pane._scene.sceneRect().height() == 1440  # scene stays in the scan's pixels
    for _ in range(6):
        pane.zoom_by(1.25)
    assert pane._pixmap_item.pixmap().size().toTuple() == (1171, 1440)
    decodes = pane._loader.decodes
    pane.show_page(1)  # decoded in the background while page 1 was shown
    pane.show_page(0)  # back: the decode is in the cache
    assert pane._loader.decodes == decodes


@pytest.mark.slow
def test_the_caret_line_is_outlined_and_its_page_shown(pane, escher, qtbot):
    pane.set_pages(escher.pages, escher.zones)
    text = escher.text
    melchthal = text.index("Melchthals")
    with qtbot.assertNotEmitted(pane.page_chosen):
        pane.follow_offset(melchthal)
    assert pane.current_page() == 0
    rects = [o.rect.getRect() for o in pane.outlines()]
    assert rects == [(44.0, 427.0, 1108.0, 71.0)]  # line p1-l9 of the table
    pane.follow_offset(escher.pages[2].offset + 5)
    assert pane.current_page() == 2
    assert pane.page_label.text() == "Page 3 of 3"
    assert all(o.rect.width() > 0 for o in pane.outlines())


def test_selected_entity_regions_are_outlined_in_the_kind_colour_on_every_page(pane, tmp_path):
    letter = attach_images(read_letter(zone_letter(tmp_path)), ImageFinder())
    pane.set_pages(letter.pages, letter.zones)
    annas = [m for m in letter.mentions if letter.text[m.start : m.end] == "Anna"]
    pane.outline_mentions(annas)
    colour = kind_style("person", False).underline
    assert [(o.rect.getRect(), o.colour) for o in pane.outlines()] == [
        ((100.0, 100.0, 600.0, 60.0), colour)
    ]
    pane.show_page(1)
    assert [o.rect.getRect() for o in pane.outlines()] == [(100.0, 500.0, 600.0, 60.0)]
    pane.set_regions([])
    assert pane.outlines() == []


def test_clicking_a_region_emits_its_text_offset_and_dragging_does_not(pane, tmp_path, qtbot):
    letter = attach_images(read_letter(zone_letter(tmp_path)), ImageFinder())
    pane.set_pages(letter.pages, letter.zones)
    view = pane.view
    point = view.mapFromScene(QPointF(400, 330))
    with qtbot.waitSignal(pane.offset_clicked) as clicked:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert clicked.args == [letter.text.index("zweite Zeile")]
    assert [o.rect.getRect() for o in pane.outlines()] == [(100.0, 300.0, 600.0, 60.0)]
    outside = view.mapFromScene(QPointF(400, 700))
    with qtbot.assertNotEmitted(pane.offset_clicked):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=outside)
        qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
        qtbot.mouseMove(view.viewport(), point + QPoint(40, 40))
        qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=point + QPoint(40, 40))


def test_page_buttons_fit_zoom_wheel_and_rotation(pane, tmp_path, qtbot):
    letter = attach_images(read_letter(zone_letter(tmp_path)), ImageFinder())
    pane.set_pages(letter.pages, letter.zones)
    assert not pane.previous_button.isEnabled()
    with qtbot.waitSignal(pane.page_chosen) as chosen:
        qtbot.mouseClick(pane.next_button, Qt.MouseButton.LeftButton)
    assert chosen.args == [1] and pane.page_label.text() == "Page 2 of 2"
    assert not pane.next_button.isEnabled()
    pane.fit_page()
    fitted = pane.scale()
    viewport = pane.view.viewport().size()
    assert 1000 * fitted <= viewport.height() and 800 * fitted <= viewport.width()
    pane.fit_width()
    assert pane.scale() == pytest.approx((viewport.width() - 8) / 800)
    before = pane.scale()
    centre = QPointF(pane.view.viewport().rect().center())
    wheel = QWheelEvent(
        centre,
        pane.view.viewport().mapToGlobal(centre),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(pane.view.viewport(), wheel)
    assert pane.scale() == pytest.approx(before * 1.25)
    pane.fit_page()
    pane.rotate(90)
    assert pane.rotation() == 90
    transform = pane.view.transform()
    assert transform.m11() == pytest.approx(0, abs=1e-9) and transform.m12() != 0
    # Turned, the page's 1000 px height now lies across the view's width.
    assert 1000 * pane.scale() <= viewport.width()


def test_a_page_without_a_local_image_says_why_in_plain_text(pane, tmp_path):
    path = tmp_path / "remote.xml"
    path.write_text(
        f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt><title>T</title></titleStmt>'
        "<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc>"
        '</teiHeader><text><body><p><pb n="1" facs="&lt;b&gt;IMG_1.JPG"/>Eins.'
        '<pb n="2" facs="https://iiif.example.org/x/full/full/0/default.jpg"/>Zwei.</p>'
        "</body></text></TEI>",
        encoding="utf-8",
    )
    letter = attach_images(read_letter(path), ImageFinder())
    pane.set_pages(letter.pages, letter.zones)
    assert not pane.has_images()
    message = pane._message_item.text()
    assert "<b>IMG_1.JPG" in message and "no image file found" in message
    pane.show_page(1)
    assert "remote image" in pane._message_item.text()
    assert "iiif.example.org" in pane._message_item.text()


@pytest.mark.slow
def test_decoding_on_the_thread_pool_reports_when_the_page_is_shown(qtbot, tmp_path):
    letter = attach_images(read_letter(zone_letter(tmp_path)), ImageFinder())
    widget = FacsimilePane(loader=PageImageLoader(runner=thread_pool_runner()))
    widget.resize(420, 640)
    qtbot.addWidget(widget)
    widget.show()
    with qtbot.waitSignal(widget.page_shown, timeout=10_000) as shown:
        widget.set_pages(letter.pages, letter.zones)
    assert shown.args == [0]
    assert not widget._pixmap_item.pixmap().isNull()
    with qtbot.waitSignal(widget.page_shown, timeout=10_000) as shown:
        widget.show_page(1)
    assert shown.args == [1]


def test_regions_stay_on_the_page_they_belong_to(pane, tmp_path):
    letter = attach_images(read_letter(zone_letter(tmp_path)), ImageFinder())
    pane.set_pages(letter.pages, letter.zones)
    pane.set_regions([(Region(1, 1, 2, 3, 4), QColor("red"))])
    assert pane.outlines() == []
    pane.show_page(1)
    assert [o.rect.getRect() for o in pane.outlines()] == [(1.0, 2.0, 3.0, 4.0)]


@pytest.mark.slow
def test_the_other_pages_are_decoded_while_one_is_shown(pane, escher):
    pane.set_pages(escher.pages, escher.zones)
    assert pane._loader.decodes == 3  # page 1, then pages 2 and 3 in the background
    assert not pane._loader.busy()
    pane.show_page(2)
    pane.show_page(1)
    assert pane._loader.decodes == 3  # the turns found them decoded
    assert not pane._pixmap_item.pixmap().isNull()


def test_a_decode_finishing_after_the_pane_is_gone_is_dropped(qtbot, tmp_path):
    import shiboken6

    letter = attach_images(read_letter(zone_letter(tmp_path)), ImageFinder())
    queued: list = []
    loader = PageImageLoader(runner=queued.append)
    widget = FacsimilePane(loader=loader)
    widget.set_pages(letter.pages, letter.zones)
    assert len(queued) == 1  # page 1 asked for, not decoded yet
    shiboken6.delete(widget)
    shiboken6.delete(loader)
    queued[0]()  # the worker finishes: nobody is there to tell, and nothing breaks
