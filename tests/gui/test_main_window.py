"""The main window as a user drives it: click-to-filter, navigation, menus, files, settings."""

from __future__ import annotations

import json
import os
import time

import pytest
from conftest import AZERBAIJAN, BERNSTEIN, GOOSE, HRW, ICBL, WILLIAMS, make_args
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel
from testdata import CORPUS, require

from viewer.filtering import count_mentions

pytestmark = pytest.mark.gui


# ------------------------------------------------------------------ helpers


def click_text(qtbot, window, offset: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Click the letter text at character ``offset``, as a user would."""
    view = window.view
    view.show_range(offset, offset + 1)
    QApplication.processEvents()
    cursor = QTextCursor(view.document())
    cursor.setPosition(offset)
    rect = view.cursorRect(cursor)
    point = QPoint(rect.x() + 3, rect.center().y())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, point)


def first_mention(letter, entity_id: str):
    return letter.mentions_of(entity_id)[0]


def row_named(tree, section: str, name: str):
    for row in tree.leaves():
        if row.parent().text(0) == section and row.text(0).startswith(name):
            return row
    raise AssertionError(f"no row {name!r} in {section!r}")


def click_row(qtbot, tree, row, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    tree.scrollToItem(row)
    rect = tree.visualItemRect(row)
    point = QPoint(rect.x() + 40, rect.center().y())
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, modifier, point)


def marked_names(tree) -> list[tuple[str, str]]:
    return [(row.parent().text(0), row.text(0)) for row in tree.marked_leaves()]


def emphasised(view) -> set[tuple[int, int]]:
    """Ranges the view's extra selections draw as emphasised (the selection's mentions)."""
    from viewer.gui.letter_view import SELECTION_ROLE

    return {
        (s.cursor.selectionStart(), s.cursor.selectionEnd())
        for s in view.extraSelections()
        if s.format.property(SELECTION_ROLE) in ("emphasis", "current")
    }


def covers(view, start: int, end: int) -> bool:
    return (start, end) in emphasised(view)


# ----------------------------------------------------------- opening letters


def test_window_opens_the_letter(window):
    letter = window.current_letter
    assert letter is not None and letter.file.endswith("icbl-2007-07-24-anama.xml")
    assert window.view.toPlainText().replace("\u2029", "\n").startswith("Nazym Ismaylov")
    assert "Jody Williams" in window.title_label.text()
    assert window.windowTitle().endswith("Epistola")
    assert window.panel.letterhead.topLevelItemCount() == len(letter.letterhead)
    assert window.width() >= 1000 and window.height() >= 600


@pytest.mark.slow
def test_letter_opened_signal(qtbot, make_window, small_letter, icbl_path):
    window = make_window(icbl_path)
    with qtbot.waitSignal(window.letter_opened) as blocker:
        assert window.open_letter(str(small_letter))
    assert blocker.args[0] is window.current_letter
    assert window.current_letter.file == str(small_letter)


@pytest.mark.slow
def test_bad_file_shows_dialog_and_keeps_letter(window, tmp_path, dialogs):
    before = window.current_letter
    bad = tmp_path / "broken.xml"
    bad.write_text("<TEI><text>unclosed", encoding="utf-8")
    assert window.open_letter(str(bad)) is False
    assert len(dialogs) == 1
    title, text, _details = dialogs[0]
    assert title == "Cannot open the letter"
    assert "broken.xml" in text
    assert window.current_letter is before
    assert window.last_error and "broken.xml" in window.last_error


def test_missing_file_shows_dialog(window, tmp_path, dialogs):
    assert window.open_letter(str(tmp_path / "nowhere.xml")) is False
    assert dialogs and "nowhere.xml" in dialogs[0][1]
    assert window.current_letter.file.endswith("anama.xml")


# ------------------------------------------------------------ click-to-filter


@pytest.mark.slow
def test_clicking_a_mention_selects_and_marks_panel_rows(qtbot, window):
    letter = window.current_letter
    mention = first_mention(letter, BERNSTEIN)
    with qtbot.waitSignal(window.selection_changed) as blocker:
        click_text(qtbot, window, mention.start + 2)
    assert blocker.args == [frozenset({BERNSTEIN})]
    assert window.selection == {BERNSTEIN}
    assert marked_names(window.panel.letterhead) == [
        ("ICBL Ambassadors", "Elizabeth Bernstein"),
        ("Management Committee", "Elizabeth Bernstein"),
    ]
    assert window.view.emphasised_count == len(letter.mentions_of(BERNSTEIN))
    status = window.selection_label.text()
    assert status.startswith("Elizabeth Bernstein (person)")
    assert "ICBL Ambassadors, Management Committee" in status


@pytest.mark.slow
def test_clicking_a_panel_row_emphasises_mentions(qtbot, window):
    letter = window.current_letter
    tree = window.panel.letterhead
    assert emphasised(window.view) == set()
    click_row(qtbot, tree, row_named(tree, "Advisory Board", "Human Rights Watch"))
    assert window.selection == {HRW}
    mentions = letter.mentions_of(HRW)
    assert window.view.emphasised_count == len(mentions) == 2
    for mention in mentions:
        assert covers(window.view, mention.start, mention.end)
    assert emphasised(window.view) == {(m.start, m.end) for m in mentions}
    # HRW marks its board seat and Steve Goose's affiliation
    assert marked_names(tree) == [
        ("Advisory Board", "Human Rights Watch"),
        ("Management Committee", "Steve Goose"),
    ]


@pytest.mark.slow
def test_jody_williams_marks_ambassador_and_signature(qtbot, window):
    letter = window.current_letter
    window.set_selection({WILLIAMS})
    assert marked_names(window.panel.letterhead) == [("ICBL Ambassadors", "Jody Williams")]
    signature = letter.mentions_of(WILLIAMS)[-1]
    assert letter.text[signature.start : signature.end] == "Jody Williams"
    assert covers(window.view, signature.start, signature.end)
    assert window.view.emphasised_count == len(letter.mentions_of(WILLIAMS))


@pytest.mark.slow
def test_ctrl_click_adds_to_selection(qtbot, window):
    tree = window.panel.letterhead
    window.panel.only_selected.setChecked(False)
    click_row(qtbot, tree, row_named(tree, "Advisory Board", "Human Rights Watch"))
    click_row(
        qtbot, tree, row_named(tree, "ICBL Ambassadors", "Elizabeth Bernstein"),
        Qt.KeyboardModifier.ControlModifier,
    )  # fmt: skip
    assert window.selection == {HRW, BERNSTEIN}
    assert len(marked_names(tree)) == 4
    letter = window.current_letter
    expected = len(letter.mentions_of(HRW)) + len(letter.mentions_of(BERNSTEIN))
    assert window.view.emphasised_count == expected
    # Ctrl+click in the text adds too
    goose = first_mention(letter, GOOSE)
    click_text(qtbot, window, goose.start + 1, Qt.KeyboardModifier.ControlModifier)
    assert window.selection == {HRW, BERNSTEIN, GOOSE}
    # and a plain click replaces the selection
    click_text(qtbot, window, goose.start + 1)
    assert window.selection == {GOOSE}


@pytest.mark.slow
def test_entities_panel_row_selects(qtbot, window):
    tree = window.panel.entities
    window.panel.tabs.setCurrentWidget(tree)
    click_row(qtbot, tree, row_named(tree, "Places", "Azerbaijan"))
    assert window.selection == {AZERBAIJAN}
    assert window.view.emphasised_count == len(window.current_letter.mentions_of(AZERBAIJAN))


@pytest.mark.slow
def test_next_previous_cycle(qtbot, window):
    window.set_selection({AZERBAIJAN})
    view = window.view
    count = view.emphasised_count
    assert count == len(window.current_letter.mentions_of(AZERBAIJAN)) > 3
    seen = []
    for _ in range(count):
        window.next_action.trigger()
        seen.append(view.current_mention_index)
    assert sorted(seen) == list(range(count)), "Next visits every mention once per cycle"
    window.next_action.trigger()
    assert view.current_mention_index == seen[0], "and wraps around"
    window.previous_action.trigger()
    assert view.current_mention_index == seen[-1]
    assert window.mention_counter.text() == f"{seen[-1] + 1} / {count}"


@pytest.mark.slow
def test_navigation_disabled_without_selection(window):
    assert not window.next_action.isEnabled()
    window.set_selection({AZERBAIJAN})
    assert window.next_action.isEnabled() and window.previous_action.isEnabled()
    window.clear()
    assert not window.next_action.isEnabled()


def test_f3_and_shift_f3(qtbot, window):
    window.set_selection({AZERBAIJAN})
    window.view.setFocus()
    start = window.view.current_mention_index
    qtbot.keyClick(window.view, Qt.Key.Key_F3)
    after_next = window.view.current_mention_index
    assert after_next != start
    qtbot.keyClick(window.view, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert window.view.current_mention_index == start


def test_panel_filter_narrows_rows(qtbot, window):
    panel = window.panel
    window.find_action.trigger()
    qtbot.keyClicks(panel.search, "goose watch")
    assert [(r.parent().text(0), r.text(0)) for r in panel.letterhead.visible_leaves()] == [
        ("Management Committee", "Steve Goose")
    ]


def test_escape_clears_selection_and_search(qtbot, window):
    window.set_selection({HRW})
    window.panel.search.setText("goose")
    window.panel.search.setFocus()
    qtbot.keyClick(window.panel.search, Qt.Key.Key_Escape)
    assert window.selection == frozenset()
    assert window.panel.search.text() == ""
    assert window.view.emphasised_count == 0
    assert marked_names(window.panel.letterhead) == []
    assert len(window.panel.letterhead.visible_leaves()) == len(window.panel.letterhead.leaves())
    # Esc from the text works too
    window.set_selection({HRW})
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Escape)
    assert window.selection == frozenset()


def test_kind_toggles_keep_the_selection(qtbot, window):
    window.set_selection({HRW})
    count = window.view.emphasised_count
    window.legend.button("organisation").click()
    assert "organisation" not in window.view.visible_kinds()
    assert not window._kind_actions["organisation"].isChecked()
    assert window.selection == {HRW}
    assert window.view.emphasised_count == count
    assert window.settings.kind_toggles["organisation"] is False
    # the View menu's action turns it back on, and the legend follows
    window._kind_actions["organisation"].trigger()
    assert "organisation" in window.view.visible_kinds()
    assert window.legend.button("organisation").isChecked()
    assert window.selection == {HRW}


@pytest.mark.slow
def test_reading_toggle_rereads_and_keeps_selection(qtbot, make_window, small_letter):
    window = make_window(small_letter)
    assert window.current_letter.has_choices
    assert window.diplomatic_action.isEnabled()
    window.set_selection({"p2"})
    assert " the end" in window.current_letter.text
    window.diplomatic_action.trigger()
    assert window.current_letter.reading == "diplomatic"
    assert " teh end" in window.current_letter.text
    assert window.selection == {"p2"}
    assert window.view.emphasised_count == len(window.current_letter.mentions_of("p2"))
    assert window.settings.reading == "diplomatic"
    window.normalised_action.trigger()
    assert " the end" in window.current_letter.text


def test_reading_disabled_without_choices(make_window, tmp_path):
    plain = tmp_path / "plain.xml"
    plain.write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>P'
        "</title></titleStmt></fileDesc></teiHeader><text><body><p>Just text.</p></body>"
        "</text></TEI>",
        encoding="utf-8",
    )
    window = make_window(plain)
    assert not window.current_letter.has_choices
    assert not window.diplomatic_action.isEnabled()
    assert not window.normalised_action.isEnabled()
    assert window.selection_label.text()  # the hint about clicking


def test_select_unknown_entity_in_status(window):
    window.set_selection({"no.such.entity"})
    assert "not in this letter" in window.selection_label.text()


# ---------------------------------------------------------------- menus, keys


def test_menus_and_shortcuts(window):
    names = ("File", "Edit", "View", "Go", "Help")
    assert [window.menu(name).title().replace("&", "") for name in names] == list(names)

    def keys(action):
        return {k.toString(QKeySequence.SequenceFormat.PortableText) for k in action.shortcuts()}

    assert "Ctrl+O" in keys(window.open_action)
    assert "Ctrl+Q" in keys(window.quit_action)
    assert "Ctrl+F" in keys(window.find_action)
    assert "F3" in keys(window.next_action)
    assert "Shift+F3" in keys(window.previous_action)
    assert "Esc" in keys(window.clear_action)
    assert {"Ctrl++", "Ctrl+="} <= keys(window.zoom_in_action)
    assert "Ctrl+-" in keys(window.zoom_out_action)
    assert "Ctrl+0" in keys(window.zoom_reset_action)
    for name in ("File", "Edit", "View", "Go", "Help"):
        assert window.menu(name).actions(), f"{name} menu is empty"
    go = window.menu("Go").actions()
    assert window.next_action in go and window.previous_action in go and window.clear_action in go


def test_find_focuses_search(qtbot, window):
    window.activateWindow()
    window.panel.search.setText("abc")
    window.find_action.trigger()
    assert window.panel.search.hasFocus() or QApplication.focusWidget() is window.panel.search
    assert window.panel.search.selectedText() == "abc"


@pytest.mark.slow
def test_zoom_actions(window):
    level = window.view.zoom_level
    window.zoom_in_action.trigger()
    assert window.view.zoom_level > level
    window.zoom_reset_action.trigger()
    assert window.view.zoom_level == level
    window.zoom_out_action.trigger()
    assert window.view.zoom_level < level


@pytest.mark.slow
def test_accessible_names_and_focus_order(window):
    for widget in (window.view, window.panel.search, window.panel.tabs, window.legend,
                   window.selection_label, window.title_label):  # fmt: skip
        assert widget.accessibleName(), widget
    assert window.view.nextInFocusChain() is not None
    # Tab from the text goes to the panel's search field
    order = []
    widget = window.view
    for _ in range(40):
        widget = widget.nextInFocusChain()
        order.append(widget)
        if widget is window.panel.search:
            break
    assert window.panel.search in order


def test_about_box(window, dialogs):
    window.about_action.trigger()
    assert dialogs and dialogs[0][0] == "About Epistola"


# ------------------------------------------------------------ public API


def test_add_panel_and_menu(window):
    label = QLabel("collection")
    dock = window.add_panel(label, "Letters", Qt.DockWidgetArea.LeftDockWidgetArea)
    assert isinstance(dock, QDockWidget) and dock.widget() is label
    assert window.dockWidgetArea(dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert dock.toggleViewAction() in window.menu("View").actions()


def test_status_and_show_text_range(window):
    window.status("Hello there")
    assert window.statusBar().currentMessage() == "Hello there"
    letter = window.current_letter
    signature = letter.mentions_of(WILLIAMS)[-1]
    window.view.verticalScrollBar().setValue(0)
    window.show_text_range(signature.start, signature.end)
    QApplication.processEvents()
    assert window.view.verticalScrollBar().value() > 0, "the text scrolled to the range"


@pytest.mark.slow
def test_drop_files_emits_paths(qtbot, window, small_letter):
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(small_letter))])
    event = QDropEvent(
        QPointF(10, 10), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    with qtbot.waitSignal(window.paths_dropped) as blocker:
        window.dropEvent(event)
    assert blocker.args == [[str(small_letter)]]
    # the composition root connects it: the dropped letter opens
    assert window.current_letter.file == str(small_letter)


@pytest.mark.slow
def test_drop_folder_opens_its_first_letter(qtbot, window, tmp_path, small_letter):
    # The collection takes the folder: it is indexed in the background, listed, and
    # its first letter opens.
    window.paths_dropped.emit([str(tmp_path)])
    assert window.wait_for_index(30000)
    assert window.current_letter.file == str(small_letter)
    assert window.letter_list.rows()[0][0].file == str(small_letter)


# ------------------------------------------------------------ file watching


@pytest.mark.slow
def test_changed_file_is_reloaded_keeping_selection(qtbot, make_window, tmp_path, small_letter):
    window = make_window(small_letter)
    window.set_selection({"p2"})
    text = small_letter.read_text(encoding="utf-8").replace("I write", "I now write")
    time.sleep(0.05)
    small_letter.write_text(text, encoding="utf-8")
    qtbot.waitUntil(lambda: "I now write" in window.current_letter.text, timeout=5000)
    assert window.selection == {"p2"}
    assert "reloaded" in window.statusBar().currentMessage()


@pytest.mark.slow
def test_deleted_file_keeps_letter_with_notice(qtbot, make_window, small_letter):
    window = make_window(small_letter)
    letter = window.current_letter
    os.remove(small_letter)
    qtbot.waitUntil(lambda: "deleted" in window.statusBar().currentMessage(), timeout=5000)
    assert window.current_letter is letter


# ---------------------------------------------------------------- settings


@pytest.mark.slow
def test_settings_round_trip(qtbot, make_window, icbl_path, user_dirs):
    config, _logs = user_dirs
    window = make_window(icbl_path)
    # The offscreen screen is 800x600, and restoreGeometry keeps windows on screen.
    window.resize(760, 560)
    window.splitter.setSizes([400, 300])
    window.set_kind_visible("date", False)
    window.zoom_in_action.trigger()
    window.zoom_in_action.trigger()
    sizes = window.splitter.sizes()
    window.close()
    data = json.loads((config / "settings.json").read_text(encoding="utf-8"))
    assert data["kind_toggles"]["date"] is False
    assert data["zoom"] == 2
    assert data["last_letter"] == str(icbl_path)
    assert data["splitter_sizes"] == sizes
    assert data["window_geometry"]

    again = make_window(icbl_path)
    assert "date" not in again.view.visible_kinds()
    assert not again._kind_actions["date"].isChecked()
    assert again.view.zoom_level == 2
    assert (again.width(), again.height()) == (760, 560)
    assert again.splitter.sizes() == sizes
    assert again.settings.last_letter == str(icbl_path)


@pytest.mark.slow
def test_corrupt_settings_recovery(qtbot, make_window, icbl_path, user_dirs, dialogs):
    config, _logs = user_dirs
    config.mkdir(parents=True)
    (config / "settings.json").write_bytes(b"\x00{garbage not json")
    window = make_window(icbl_path)
    assert window.current_letter is not None
    assert window.settings.warnings, "the damage is reported"
    assert window.view.visible_kinds() >= {"person", "organisation", "place"}
    assert window.view.zoom_level == 0
    from viewer.gui.app import _show_settings_warnings

    _show_settings_warnings(window, window.settings.warnings)
    assert dialogs and "unreadable" in dialogs[0][1]
    assert "unreadable" in window.statusBar().currentMessage()
    kept = [p.name for p in config.iterdir() if p.name != "settings.json"]
    assert kept, "the damaged file was set aside, not deleted"


@pytest.mark.slow
def test_run_reports_settings_warnings_on_stderr_in_screenshot_mode(
    qapp, tmp_path, user_dirs, capsys
):
    from viewer.gui.app import run

    config, _logs = user_dirs
    config.mkdir(parents=True)
    (config / "settings.json").write_text("[1, 2", encoding="utf-8")
    png = tmp_path / "shot.png"
    assert run(make_args(str(ICBL), screenshot=str(png))) == 0
    assert png.is_file()
    assert "Settings file" in capsys.readouterr().err


@pytest.mark.slow
def test_run_select_and_screenshot_in_process(qapp, tmp_path, capsys):
    from PySide6.QtGui import QImage

    from viewer.gui.app import run

    png = tmp_path / "hrw.png"
    assert run(make_args(str(ICBL), select=[HRW], screenshot=str(png))) == 0
    image = QImage(str(png))
    assert (image.width(), image.height()) == (1280, 800)
    assert run(make_args(str(ICBL), select=["nope"], screenshot=str(png))) == 2
    assert "nope" in capsys.readouterr().err


# ------------------------------------------------------------- crash handler


@pytest.mark.slow
def test_crash_handler_logs_and_shows_dialog(window, user_dirs, dialogs):
    import sys

    _config, logs = user_dirs
    try:
        raise RuntimeError("boom <b>inside</b>")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    log = (logs / "crash.log").read_text(encoding="utf-8")
    assert "RuntimeError: boom <b>inside</b>" in log and "Traceback" in log
    title, text, details = dialogs[-1]
    assert "problem" in title
    assert "RuntimeError: boom <b>inside</b>" in text
    assert "Traceback" in details
    assert window.isVisible(), "the window stays"


@pytest.mark.slow
def test_crash_in_a_slot_is_caught(qtbot, window, user_dirs, dialogs):
    from PySide6.QtCore import QTimer

    def broken():
        raise ValueError("slot failure")

    QTimer.singleShot(0, broken)
    qtbot.waitUntil(lambda: any("slot failure" in text for _t, text, _d in dialogs), timeout=3000)
    assert window.isVisible()


# ------------------------------------------------------------------ the corpus

NOT_LETTERS = ("register", "people", "places", "regions", "siteindex")


@pytest.mark.corpus
@pytest.mark.slow
def test_every_corpus_letter_opens_with_all_panels(qtbot, make_window, icbl_path, dialogs):
    require(CORPUS)
    letters = [
        path
        for path in sorted(CORPUS.rglob("*.xml"))
        if not any(part in NOT_LETTERS for part in path.relative_to(CORPUS).parts)
    ]
    assert len(letters) >= 80
    window = make_window(icbl_path)
    panel = window.panel
    for path in letters:
        assert window.open_letter(str(path)), f"{path}: {window.last_error}"
        letter = window.current_letter
        for tab in (panel.letterhead, panel.entities, panel.details, panel.diagnostics):
            panel.tabs.setCurrentWidget(tab)
        assert panel.diagnostics.row_count() == len(letter.diagnostics)
        listed = {row.select[0] for row in panel.entities.leaves()}
        assert {entity.id for entity in letter.entities} <= listed, path
        chosen = [entity.id for entity in letter.entities[:2]]
        window.set_selection(chosen)
        assert window.selection == frozenset(chosen)
        assert (window.view.emphasised_count > 0) == (count_mentions(letter, chosen) > 0), path
        window.clear()
    assert dialogs == []


@pytest.mark.slow
def test_select_option_outside_screenshot_mode(window):
    from viewer.gui.app import apply_select

    assert apply_select(window, [HRW, "no.such", HRW], strict=False) is None
    assert window.selection == {HRW}
    assert "no.such" in window.statusBar().currentMessage()
    window.clear()
    problem = apply_select(window, [HRW, "no.such"], strict=True)
    assert problem and "no.such" in problem
    assert window.selection == frozenset()


# ------------------------------------------------------------ register folders

REGISTER_USER = """<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc>
<titleStmt><title>Register</title></titleStmt><publicationStmt><p>x</p></publicationStmt>
<sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader><text><body>
<listPerson><person xml:id="far.away"><persName>Fara Way</persName></person></listPerson>
</body></text></TEI>"""

LETTER_POINTING_AWAY = """<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc>
<titleStmt><title>A letter</title></titleStmt><publicationStmt><p>x</p></publicationStmt>
<sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader><text><body>
<p>Greetings to <persName ref="#far.away">Fara</persName>.</p></body></text></TEI>"""


def test_a_register_folder_the_user_picks_resolves_references_and_is_remembered(
    make_window, tmp_path, tmp_path_factory
):
    from viewer.settings import Settings

    # Deep enough that walking up from the letter never reaches the register.
    letter_path = tmp_path / "a" / "b" / "c" / "letter.xml"
    letter_path.parent.mkdir(parents=True)
    letter_path.write_text(LETTER_POINTING_AWAY, encoding="utf-8")
    registers = tmp_path_factory.mktemp("picked-registers")
    (registers / "persons.xml").write_text(REGISTER_USER, encoding="utf-8")

    window = make_window(letter_path)
    (mention,) = window.current_letter.mentions
    assert mention.unresolved == ("#far.away",) and not mention.entities

    assert window.add_register_folder(str(registers))
    (mention,) = window.current_letter.mentions
    assert mention.entities == ("far.away",)
    assert window.current_letter.entity("far.away").name == "Fara Way"
    assert "1 more reference resolves" in window.statusBar().currentMessage()
    assert Settings().load().register_folders == [str(registers.resolve())]


def test_a_broken_register_beside_the_letter_is_told_in_diagnostics(make_window, tmp_path):
    # The window's lazy registers implement the registers' Protocol (files, errors), so
    # the window says what --check says, instead of "(no register files were found)".
    tei = 'xmlns="http://www.tei-c.org/ns/1.0"'
    header = (
        "<teiHeader><fileDesc><titleStmt><title>T</title></titleStmt>"
        "<publicationStmt><p>p</p></publicationStmt><sourceDesc><p>s</p></sourceDesc>"
        "</fileDesc></teiHeader>"
    )
    (tmp_path / "people.xml").write_text(
        f"<TEI {tei}>{header}<text><body><listPerson><person xml:id='b'></body></text></TEI>",
        encoding="utf-8",
    )
    letter = tmp_path / "letter.xml"
    letter.write_text(
        f'<TEI {tei}>{header}<text><body><p><persName ref="#nobody">Nobody</persName> wrote.'
        "</p></body></text></TEI>",
        encoding="utf-8",
    )
    window = make_window(letter)
    tree = window.panel.diagnostics
    rows = [tree.topLevelItem(i) for i in range(tree.row_count())]
    codes = {row.text(1): row.text(2) for row in rows}
    assert "register-unreadable" in codes, codes
    assert "people.xml" in codes["register-unreadable"]
    assert "no register files were found" not in codes.get("dangling-ref", "")


@pytest.mark.slow
def test_the_collection_is_attached_after_the_first_paint(qtbot, small_letter, tmp_path):
    # app.run starts the window as its letter pane, without its collection panels, and
    # builds the rest, docks the panels and starts indexing once the letter has been painted.
    from viewer.gui.app import _after_first_paint, attach_collection, build
    from viewer.gui.crash import uninstall

    window, _settings, handler = build(make_args(), collection=False, restore=False, defer=True)
    qtbot.addWidget(window)
    try:
        assert window.letter_list is None and window.indexer is None
        assert not window.built and window.panel is None
        assert window.open_letter(str(small_letter))
        window.set_selection(["p2"])
        attached = []
        _after_first_paint(
            window,
            lambda: (attach_collection(window, [str(small_letter.parent)]), attached.append(1)),
        )
        assert attached == []
        window.show()
        qtbot.waitUntil(lambda: bool(attached), timeout=10_000)
        assert window.built and window.panel.isVisible()
        assert marked_names(window.panel.letterhead) == [("Board", "Bob Baker")]
        assert window.wait_for_index(30000)
        assert window.letter_dock.isVisible()
        assert [row[0].file for row in window.letter_list.rows()] == [str(small_letter)]
        assert window.letter_list.model.current == str(small_letter)
        # The letter list follows the session's selection from then on.
        window.set_selection(["nobody.named.so"])
        assert window.letter_list.rows() == []
        window.set_selection([])
        assert len(window.letter_list.rows()) == 1
        window.indexer.shutdown()
    finally:
        uninstall(handler)


@pytest.mark.slow
def test_the_caret_and_the_letter_reach_session_observers(window) -> None:
    # What a new panel would do: observe the session through the bridge.
    shown, carets = [], []
    window.bridge.letterShown.connect(shown.append)
    window.bridge.caretMoved.connect(carets.append)
    cursor = window.view.textCursor()
    cursor.setPosition(25)
    window.view.setTextCursor(cursor)
    assert window.session.caret == 25 and carets[-1] == 25
    assert window.reload()
    assert shown == [window.current_letter]


# ------------------------------------------------------------ start-up in two steps


def test_a_deferred_window_is_its_letter_pane_until_the_rest_is_built(qtbot, small_letter):
    # An interactive start paints the letter pane first (build(defer=True)); everything
    # the session did meanwhile shows in the parts ensure_built() adds.
    from viewer.gui.app import build
    from viewer.gui.crash import uninstall

    window, _settings, handler = build(make_args(), collection=False, restore=False, defer=True)
    qtbot.addWidget(window)
    try:
        assert not window.built
        assert window.panel is None and window.facsimile is None and window._menus == {}
        assert window.open_letter(str(small_letter))
        window.set_selection(["p2"])
        window.set_kind_visible("place", False)
        # The text, the header and the legend show it at once.
        count = len(window.current_letter.mentions_of("p2"))
        assert count > 1 and window.view.emphasised_count == count
        assert window.title_label.text() == window.current_letter.title
        assert not window.legend.button("place").isChecked()
        assert "place" not in window.view.visible_kinds()
        window.show()
        qtbot.waitExposed(window)

        window.ensure_built()
        assert window.built
        assert window.splitter.indexOf(window.facsimile) == 1
        assert window.splitter.indexOf(window.panel) == 2
        assert window.splitter.count() == 3
        assert marked_names(window.panel.letterhead) == [("Board", "Bob Baker")]
        assert window.selection_label.text().startswith("Bob Baker")
        assert window.next_action.isEnabled()
        assert window.mention_counter.text() == f"1 / {count}"
        assert not window._kind_actions["place"].isChecked()
        assert window._kind_actions["person"].isChecked()
        assert window.letter_label.text().startswith(f"{len(window.current_letter.mentions)} ")
        QApplication.processEvents()  # the shown window lays out the bars it was given
        assert window.menu("File").actions() and window.toolbar.isVisible()
        assert window.menuBar().isVisible() and window.statusBar().isVisible()
        assert window._watched == os.path.abspath(small_letter)
        # Once: a second call builds nothing more.
        panel = window.panel
        window.ensure_built()
        assert window.panel is panel and window.splitter.count() == 3
        # From now on the parts follow the session.
        window.set_selection([])
        assert window.selection_label.text().startswith("Click a highlighted name")
        assert not window.next_action.isEnabled()
    finally:
        uninstall(handler)


def test_a_deferred_window_keeps_the_remembered_state_and_saves_it_unbuilt(
    qtbot, small_letter, user_dirs
):
    from viewer.gui.app import build
    from viewer.gui.crash import uninstall
    from viewer.settings import Settings

    settings = Settings().load()
    settings.kind_toggles = {"place": False}
    settings.facsimile_shown = False
    settings.splitter_sizes = [700, 0, 300]
    assert settings.save()
    window, _settings, handler = build(make_args(), collection=False, defer=True)
    qtbot.addWidget(window)
    try:
        assert window.open_letter(str(small_letter))
        assert "place" not in window.view.visible_kinds()
        # The letter pane has its remembered share of the width from the first paint on.
        sizes = window.splitter.sizes()
        assert sizes[1] == 0 and sizes[0] > 2 * sizes[2] > 0, sizes
        window.close()  # before the rest was built: the state is saved all the same
        saved = Settings().load()
        assert saved.kind_toggles["place"] is False
        assert saved.facsimile_shown is False
        assert saved.last_letter == os.path.abspath(small_letter)
        window.ensure_built()
        assert not window.facsimile_action.isChecked()
        assert not window._kind_actions["place"].isChecked()
    finally:
        uninstall(handler)


def test_a_panel_or_an_action_added_to_a_deferred_window_builds_the_rest_first(qtbot):
    # Another part of Epistola adding its panel or action from the composition root gets
    # the whole window, not a KeyError for a menu that does not exist yet.
    from PySide6.QtGui import QAction

    from viewer.gui.app import build
    from viewer.gui.crash import uninstall

    window, _settings, handler = build(make_args(), collection=False, restore=False, defer=True)
    qtbot.addWidget(window)
    try:
        action = window.add_action("Help", QAction("Extra", window))
        assert window.built and action in window.menu("Help").actions()
        dock = window.add_panel(QLabel("extra"), "Extra")
        assert dock.toggleViewAction() in window.menu("View").actions()
    finally:
        uninstall(handler)


@pytest.mark.slow
def test_the_startup_benchmark_mode_reports_the_first_paint_then_the_whole_window(tmp_path):
    # tests/bench/bench_startup.py reads these two lines from a real start of main.py.
    import subprocess
    import sys

    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "EPISTOLA_CONFIG_DIR": str(tmp_path / "config"),
        "EPISTOLA_LOG_DIR": str(tmp_path / "logs"),
        "EPISTOLA_CACHE_DIR": str(tmp_path / "cache"),
        "EPISTOLA_BENCH_STARTUP": "1",
    }
    done = subprocess.run(
        [sys.executable, str(ICBL.parents[1] / "main.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    marks = [line.split() for line in done.stderr.splitlines() if line.startswith("EPISTOLA_")]
    assert [mark[0] for mark in marks] == ["EPISTOLA_FIRST_PAINT", "EPISTOLA_WINDOW_BUILT"]
    assert float(marks[0][1]) <= float(marks[1][1])


def test_the_screenshot_is_the_painted_window_without_painting_it_again(
    make_window, icbl_path, monkeypatch
):
    # --screenshot takes the image the window's first paint left in its backing store
    # (offscreen platform) instead of rendering the whole window once more: the pixels
    # must be the ones QWidget.grab renders.
    from PySide6.QtGui import QImage

    from viewer.gui.app import _grab

    window = make_window(icbl_path)
    window.set_selection([HRW])
    for _round in range(5):
        QApplication.processEvents()
    app = QApplication.instance()
    assert app.platformName() == "offscreen"
    rendered = window.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    with monkeypatch.context() as patch:
        patch.setattr(window, "grab", lambda: pytest.fail("painted the window again"))
        painted = _grab(app, window).toImage().convertToFormat(QImage.Format.Format_RGB32)
    assert painted.size() == rendered.size() == window.size()
    assert painted == rendered
