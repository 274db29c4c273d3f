"""The facsimile pane in the window: built by the composition root, wired to the text.

Every window here comes from the real composition root (``viewer.gui.app.build``)
with the page images decoded synchronously (``synchronous_runner`` injected), so
no test waits on a thread. Letters and scans are made in each test: a letter
with TEI zones and PNGs written by Qt, and the Escher K_0018 copy with its line
table and JPEGs named as the table says.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_args
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter
from PySide6.QtWidgets import QApplication
from testdata import CORPUS, require

from viewer.gui.kinds import kind_style

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]
TEI = "http://www.tei-c.org/ns/1.0"
K_0018 = "K_0018_AE_an_Heer_Oswald_1836-04-00.xml"
PAPER = QColor(240, 230, 210)

FACSIMILE = (
    '<facsimile><surface xml:id="s1"><graphic url="p1.png"/>'
    '<zone xml:id="z1" ulx="100" uly="100" lrx="700" lry="160"/>'
    '<zone xml:id="z2" ulx="100" uly="300" lrx="700" lry="360"/></surface>'
    '<surface xml:id="s2"><graphic url="p2.png"/>'
    '<zone xml:id="z3" ulx="100" uly="500" lrx="700" lry="560"/></surface></facsimile>'
)
BODY = (
    '<p><pb facs="#s1"/><lb facs="#z1"/>Erste Zeile mit <persName ref="#anna">Anna</persName>'
    '<lb facs="#z2"/>zweite Zeile in <placeName ref="#wien">Wien</placeName></p>'
    '<p><pb facs="#s2"/><lb facs="#z3"/>dritte mit <persName ref="#anna">Anna</persName></p>'
)
REGISTER = (
    '<standOff><listPerson><person xml:id="anna"><persName>Anna Zeile</persName></person>'
    '</listPerson><listPlace><place xml:id="wien"><placeName>Wien</placeName></place>'
    "</listPlace></standOff>"
)


def write_image(path: Path, width: int, height: int) -> Path:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(PAPER)
    painter = QPainter(image)
    painter.setPen(QColor(40, 30, 20))
    for y in range(40, height, 60):
        painter.drawLine(20, y, width - 20, y)
    painter.end()
    assert image.save(str(path)), path
    return path


def zone_letter(folder: Path, images: Path | None = None) -> Path:
    """A two-page letter linked line by line to p1.png and p2.png (in ``images``, if given,
    else beside the letter)."""
    folder.mkdir(parents=True, exist_ok=True)
    scans = images or folder
    scans.mkdir(parents=True, exist_ok=True)
    write_image(scans / "p1.png", 800, 1000)
    write_image(scans / "p2.png", 800, 1000)
    path = folder / "zones.xml"
    path.write_text(
        f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt><title>Zeilen</title></titleStmt>'
        "<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc>"
        f"</teiHeader>{REGISTER}{FACSIMILE}<text><body>{BODY}</body></text></TEI>",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def make_facsimile_window(qtbot):
    """A window from the composition root, its page images decoded synchronously."""
    from viewer.gui.app import build
    from viewer.gui.crash import uninstall
    from viewer.gui.facsimile import synchronous_runner

    handlers = []

    def make(path: Path | None = None, *, images=(), restore: bool = True, runner=None):
        args = make_args()
        args.images = [str(folder) for folder in images]
        window, _settings, handler = build(
            args,
            interactive=True,
            restore=restore,
            collection=False,
            image_runner=synchronous_runner,
            runner=runner,
        )
        handlers.append(handler)
        qtbot.addWidget(window)
        window.resize(1200, 700)
        if path is not None:
            assert window.open_letter(str(path)), window.last_error
        window.show()
        qtbot.waitExposed(window)
        return window

    yield make
    for handler in handlers:
        uninstall(handler)


def set_caret(window, offset: int) -> None:
    cursor = window.view.textCursor()
    cursor.setPosition(offset)
    window.view.setTextCursor(cursor)


@pytest.mark.slow
def test_a_letter_with_page_images_shows_the_pane_with_its_pages(make_facsimile_window, tmp_path):
    window = make_facsimile_window(zone_letter(tmp_path / "letters"))
    pane = window.facsimile
    assert window.splitter.indexOf(pane) == 1  # between the text and the side panel
    assert pane.isVisible() and pane.has_images()
    assert window.facsimile_action.isEnabled() and window.facsimile_action.isChecked()
    assert pane.page_label.text() == "Page 1 of 2"
    assert [Path(page.image).name for page in pane.pages()] == ["p1.png", "p2.png"]
    assert not pane._pixmap_item.pixmap().isNull()
    sizes = window.splitter.sizes()
    assert all(size > 100 for size in sizes), sizes
    assert pane.width() >= pane.minimumSizeHint().width()


@pytest.mark.slow
def test_a_letter_without_images_hides_the_pane(make_facsimile_window, tmp_path, icbl_path):
    window = make_facsimile_window(icbl_path)
    pane = window.facsimile
    assert not pane.isVisible()
    assert not window.facsimile_action.isEnabled()
    assert pane.pages() == []  # nothing decoded for a hidden pane
    assert window.open_letter(str(zone_letter(tmp_path / "letters")))
    assert pane.isVisible()
    assert window.open_letter(str(icbl_path))
    assert not pane.isVisible()
    QApplication.processEvents()  # the splitter lays out its children again
    assert window.splitter.sizes()[1] == 0
    assert window.splitter.sizes()[0] > 0 and window.splitter.sizes()[2] > 0


@pytest.mark.slow
def test_the_pane_follows_the_caret_to_its_page_and_line(make_facsimile_window, tmp_path, qtbot):
    window = make_facsimile_window(zone_letter(tmp_path / "letters"))
    pane = window.facsimile
    text = window.current_letter.text
    with qtbot.assertNotEmitted(pane.page_chosen):
        set_caret(window, text.index("dritte") + 2)
    assert pane.current_page() == 1
    assert [o.rect.getRect() for o in pane.outlines()] == [(100.0, 500.0, 600.0, 60.0)]
    set_caret(window, text.index("zweite"))
    assert pane.current_page() == 0
    assert [o.rect.getRect() for o in pane.outlines()] == [(100.0, 300.0, 600.0, 60.0)]


@pytest.mark.slow
def test_choosing_a_page_moves_the_text_caret_to_its_page_break(
    make_facsimile_window, tmp_path, qtbot
):
    window = make_facsimile_window(zone_letter(tmp_path / "letters"))
    pane = window.facsimile
    second = window.current_letter.pages[1].offset
    assert window.current_letter.text[second:].startswith("dritte")
    qtbot.mouseClick(pane.next_button, Qt.MouseButton.LeftButton)
    assert window.view.caret_offset() == second
    assert window.session.caret == second
    assert pane.current_page() == 1 and pane.page_label.text() == "Page 2 of 2"
    qtbot.mouseClick(pane.previous_button, Qt.MouseButton.LeftButton)
    assert window.view.caret_offset() == 0 and pane.current_page() == 0


@pytest.mark.slow
def test_clicking_a_line_on_the_image_moves_the_text_caret_there(
    make_facsimile_window, tmp_path, qtbot
):
    window = make_facsimile_window(zone_letter(tmp_path / "letters"))
    pane = window.facsimile
    point = pane.view.mapFromScene(QPointF(400, 330))
    qtbot.mouseClick(pane.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    line = window.current_letter.text.index("zweite Zeile")
    assert window.view.caret_offset() == line
    # The line clicked stays outlined (the pane does not follow the caret back).
    assert [o.rect.getRect() for o in pane.outlines()] == [(100.0, 300.0, 600.0, 60.0)]


@pytest.mark.slow
def test_a_selection_outlines_its_regions_on_every_page_and_clearing_removes_them(
    make_facsimile_window, tmp_path
):
    window = make_facsimile_window(zone_letter(tmp_path / "letters"))
    pane = window.facsimile
    person = kind_style("person", False).underline
    window.set_selection({"anna"})

    def selected():
        return [(o.rect.getRect(), o.colour) for o in pane.outlines() if o.fill]

    assert selected() == [((100.0, 100.0, 600.0, 60.0), person)]
    pane.show_page(1)
    assert selected() == [((100.0, 500.0, 600.0, 60.0), person)]
    window.set_selection({"anna", "wien"})
    pane.show_page(0)
    place = kind_style("place", False).underline
    assert sorted(selected(), key=lambda o: o[0]) == [
        ((100.0, 100.0, 600.0, 60.0), person),
        ((100.0, 300.0, 600.0, 60.0), place),
    ]
    window.clear_action.trigger()
    assert selected() == []


@pytest.mark.slow
def test_the_escher_table_lines_are_outlined_for_a_selected_entity(make_facsimile_window, tmp_path):
    edition = tmp_path / "escher"
    (edition / "briefe").mkdir(parents=True)
    (edition / "regions").mkdir()
    scans = tmp_path / "scans"  # the archivist's own folder, given with --images
    scans.mkdir()
    source = require(CORPUS / "escher")
    shutil.copy(source / "briefe" / K_0018, edition / "briefe" / K_0018)
    shutil.copy(source / "regions" / "K_0018_mapping.xml", edition / "regions")
    for name, width in (("1r", 1171), ("1v", 1183), ("2r", 1181)):
        write_image(scans / f"K_0018_{name}_crop.jpg", width, 1440)
    window = make_facsimile_window(edition / "briefe" / K_0018, images=[scans])
    pane = window.facsimile
    assert pane.isVisible() and len(pane.pages()) == 3
    letter = window.current_letter
    # The table's line boxes: "28sten" (a date) is on line p1-l4, "Melchthals" on p1-l9.
    date = next(m for m in letter.mentions if letter.text[m.start : m.end] == "28sten")
    window.set_selection(set(date.entities))
    colour = kind_style("date", False).underline
    assert [(o.rect.getRect(), o.colour) for o in pane.outlines() if o.fill] == [
        ((262.0, 209.0, 892.0, 61.0), colour)
    ]
    set_caret(window, letter.text.index("Melchthals"))
    assert (44.0, 427.0, 1108.0, 71.0) in [o.rect.getRect() for o in pane.outlines()]


@pytest.mark.slow
def test_the_toggle_hides_the_pane_and_is_remembered(make_facsimile_window, tmp_path, qtbot):
    from viewer.settings import Settings

    path = zone_letter(tmp_path / "letters")
    window = make_facsimile_window(path)
    keys = {
        k.toString(QKeySequence.SequenceFormat.PortableText)
        for k in window.facsimile_action.shortcuts()
    }
    assert keys == {"Ctrl+Shift+I"}
    assert window.facsimile_action in window.menu("View").actions()
    assert window.facsimile_action in window.toolbar.actions()
    window.facsimile_action.trigger()  # what the toolbar button and the shortcut do
    assert not window.facsimile_action.isChecked()
    assert not window.facsimile.isVisible()
    window.close()
    assert Settings().load().facsimile_shown is False

    again = make_facsimile_window(path)
    assert not again.facsimile_action.isChecked() and not again.facsimile.isVisible()
    again.facsimile_action.trigger()
    assert again.facsimile.isVisible() and again.facsimile.page_label.text() == "Page 1 of 2"
    again.close()
    assert Settings().load().facsimile_shown is True


def test_no_two_window_actions_share_a_shortcut(make_facsimile_window):
    window = make_facsimile_window()
    seen: dict[str, str] = {}
    for action in window.actions():
        for key in action.shortcuts():
            name = key.toString(QKeySequence.SequenceFormat.PortableText)
            assert name not in seen, f"{name}: {seen.get(name)} and {action.text()}"
            seen[name] = action.text()


@pytest.mark.slow
def test_add_image_folder_finds_the_scans_and_is_remembered(
    make_facsimile_window, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QFileDialog

    from viewer.settings import Settings

    scans = tmp_path / "my-scans"
    path = zone_letter(tmp_path / "a" / "b" / "c" / "letters", images=scans)
    window = make_facsimile_window(path)
    assert not window.facsimile.isVisible()
    assert not any(page.image for page in window.current_letter.pages)
    assert "Add Image Folder" in window.facsimile_action.toolTip()
    asked = []

    def choose(parent, caption, start):
        asked.append(caption)
        return str(scans)

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(choose))
    assert window.image_folder_action in window.menu("View").actions()
    window.image_folder_action.trigger()
    assert asked
    assert [Path(page.image).name for page in window.current_letter.pages] == ["p1.png", "p2.png"]
    assert window.facsimile.isVisible()
    assert "2 of 2 pages have an image" in window.statusBar().currentMessage()
    assert Settings().load().image_folders == [str(scans.resolve())]

    # The next window looks there too.
    window.close()
    again = make_facsimile_window(path)
    assert again.facsimile.isVisible()


@pytest.mark.slow
def test_screenshot_shows_the_page_image_from_images_dir(qapp, tmp_path):
    scans = tmp_path / "scans"
    path = zone_letter(tmp_path / "letters", images=scans)
    png = tmp_path / "shot.png"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "EPISTOLA_CONFIG_DIR": str(tmp_path / "config"),
        "EPISTOLA_CACHE_DIR": str(tmp_path / "cache"),
        "EPISTOLA_LOG_DIR": str(tmp_path / "logs"),
    }
    result = subprocess.run(
        [sys.executable, "main.py", str(path), "--images", str(scans), "--screenshot", str(png)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    shot = QImage(str(png))
    assert not shot.isNull()
    # The scan's paper colour fills the page drawn in the pane.
    paper = PAPER.rgb()
    hits = sum(
        1
        for x in range(0, shot.width(), 4)
        for y in range(0, shot.height(), 4)
        if shot.pixel(x, y) == paper
    )
    assert hits > 2000, hits


@pytest.mark.slow
def test_a_long_letter_gets_its_images_in_both_parts(make_facsimile_window, tmp_path, qtbot):
    from viewer.tei.reader import STAGED_FROM_BYTES

    folder = tmp_path / "long"
    path = zone_letter(folder)
    filler = "".join(
        f"<p>Absatz {n}: ein langer Brief, der in zwei Teilen gelesen wird, Zeile um Zeile.</p>"
        for n in range(STAGED_FROM_BYTES // 80 + 100)
    )
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('</p><p><pb facs="#s2"/>', f'</p>{filler}<p><pb facs="#s2"/>'))
    assert path.stat().st_size > STAGED_FROM_BYTES
    held = []
    window = make_facsimile_window(runner=lambda work, done: held.append((work, done)))
    assert window.open_letter(str(path))
    assert not window.complete and len(held) == 1
    first = window.current_letter
    assert first.pages and first.pages[0].image  # found before the first part is shown
    assert window.facsimile.isVisible()
    work, done = held.pop()
    done(work())  # the worker's part, here on this thread
    qtbot.waitUntil(lambda: window.complete)
    whole = window.current_letter
    assert [Path(page.image).name for page in whole.pages] == ["p1.png", "p2.png"]
    assert len(window.facsimile.pages()) == 2
    window.set_selection({"anna"})
    window.facsimile.show_page(1)
    assert [o.rect.getRect() for o in window.facsimile.outlines() if o.fill] == [
        (100.0, 500.0, 600.0, 60.0)
    ]


@pytest.mark.slow
def test_the_splitter_keeps_the_pane_width_across_sessions(make_facsimile_window, tmp_path):
    path = zone_letter(tmp_path / "letters")
    window = make_facsimile_window(path)
    window.splitter.setSizes([500, 380, 300])
    sizes = window.splitter.sizes()
    window.close()
    again = make_facsimile_window(path)
    assert again.facsimile.isVisible()
    assert again.splitter.sizes() == sizes


@pytest.mark.slow
def test_keys_on_the_image_reach_the_pane_and_the_window_zoom_stays_unambiguous(
    make_facsimile_window, tmp_path, qtbot
):
    window = make_facsimile_window(zone_letter(tmp_path / "letters"))
    window.activateWindow()
    qtbot.waitActive(window)
    pane = window.facsimile
    pane.view.setFocus()  # where a click on the image puts it
    # Focus reaches the application once the window system has activated the window.
    qtbot.waitUntil(lambda: QApplication.focusWidget() is pane.view)
    keys = window.windowHandle()  # through the window system, so shortcuts apply
    scale = pane.scale()
    qtbot.keyClick(keys, Qt.Key.Key_Plus)
    assert pane.scale() == pytest.approx(scale * 1.25)
    qtbot.keyClick(keys, Qt.Key.Key_R)
    assert pane.rotation() == 90
    qtbot.keyClick(keys, Qt.Key.Key_PageDown)
    assert pane.current_page() == 1
    assert window.view.caret_offset() == window.current_letter.pages[1].offset
    zoom = window.view.zoom_level
    qtbot.keyClick(keys, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert window.view.zoom_level == zoom + 1  # Ctrl++ is the text's zoom, never ambiguous
    qtbot.keyClick(
        keys, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert not window.facsimile_action.isChecked() and not pane.isVisible()


@pytest.mark.slow
def test_a_screenshot_shows_the_pane_whatever_the_remembered_toggle(
    make_facsimile_window, tmp_path
):
    from viewer.settings import Settings

    settings = Settings().load()
    settings.facsimile_shown = False
    assert settings.save()
    path = zone_letter(tmp_path / "letters")
    assert not make_facsimile_window(path).facsimile.isVisible()
    # --screenshot builds without restoring the window's state: the pane shows.
    shot = make_facsimile_window(path, restore=False)
    assert shot.facsimile_action.isChecked() and shot.facsimile.isVisible()


@pytest.mark.slow
def test_a_new_letter_shows_its_first_page_whatever_the_caret_was(make_facsimile_window, tmp_path):
    first = zone_letter(tmp_path / "one")
    second = zone_letter(tmp_path / "two")
    window = make_facsimile_window(first)
    set_caret(window, window.current_letter.pages[1].offset + 3)
    assert window.facsimile.current_page() == 1
    assert window.open_letter(str(second))
    assert window.view.caret_offset() == 0
    assert window.facsimile.current_page() == 0


@pytest.mark.slow
def test_the_pane_is_built_for_the_first_letter_with_page_images(
    make_facsimile_window, tmp_path, icbl_path
):
    # Most letters have no page images: the pane (and its module) waits for one that has.
    window = make_facsimile_window(icbl_path)
    assert window._facsimile is None
    assert window.splitter.count() == 3 and window.splitter.sizes()[1] == 0
    assert not window.facsimile_action.isEnabled()
    window.close()  # saving the state does not build it either
    assert window._facsimile is None
    window.show()
    assert window.open_letter(str(zone_letter(tmp_path / "letters")))
    pane = window._facsimile
    assert pane is not None and window.facsimile is pane
    assert window.splitter.indexOf(pane) == 1 and pane.isVisible()
    assert pane.page_label.text() == "Page 1 of 2"
    assert window.splitter.count() == 3
