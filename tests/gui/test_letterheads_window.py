"""The Letterheads panel in the window the composition root builds: docked with the
collection, narrowing the letter list to a letterhead's letters, and following the
current letter's letterhead into its history (pytest-qt, offscreen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from testdata import LETTERHEADS, require

from viewer.collection import normalise_for_compare
from viewer.gui.letterheads import FILES_ROLE

pytestmark = pytest.mark.gui

EDITIONS = LETTERHEADS / "schnitzler-briefe" / "editions"
FRANKFURTER_ZEITUNG = "pmb29442"
HISTORY_ACTION = "Show This Letterhead's History"


@pytest.fixture
def window(make_window, tmp_path):
    window = make_window()
    window.indexer.cache_dir = tmp_path / "cache"
    yield window
    window.indexer.shutdown()


def open_and_wait(window) -> None:
    window.open_folder(str(require(EDITIONS)), open_first=False)
    assert window.wait_for_index(60000), "indexing did not finish"


def listed(window) -> list[str]:
    return [normalise_for_compare(summary.file) for summary, _count in window.letter_list.rows()]


def normalised(files) -> list[str]:
    return [normalise_for_compare(file) for file in files]


def group_row(window, title: str):
    rows = [row for row in window.letterheads_panel.group_rows() if row.text(0) == title]
    assert len(rows) == 1, [row.text(0) for row in window.letterheads_panel.group_rows()]
    return rows[0]


def click_row(qtbot, tree, item) -> None:
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    qtbot.mouseClick(
        tree.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() + 20, rect.center().y())
    )


def test_the_letterheads_panel_is_docked_with_the_collection_register(window) -> None:
    assert window.letterheads_dock.windowTitle() == "Letterheads"
    assert window.letterheads_dock.widget() is window.letterheads_panel
    assert window.letterheads_dock in window.tabifiedDockWidgets(window.register_dock)
    toggles = [action.text() for action in window.menu("View").actions()]
    assert "Letterheads" in toggles
    # No collection yet: nothing listed, and it says so.
    assert window.letterheads_panel.group_rows() == []


@pytest.mark.slow
def test_choosing_a_letterhead_narrows_the_letter_list_in_date_order(window, qtbot) -> None:
    open_and_wait(window)
    everything = listed(window)
    assert len(everything) == 60
    panel = window.letterheads_panel
    row = group_row(window, "Frankfurter Zeitung")
    assert row.text(1) == "25"
    (group,) = [g for g in window.collection.letterhead_groups() if g.issuer == FRANKFURTER_ZEITUNG]
    assert len(group.files) == 25

    window.letterheads_dock.show()
    window.letterheads_dock.raise_()
    click_row(qtbot, panel.groups, row)

    letters = window.letter_list
    assert listed(window) == normalised(group.files)
    dates = [summary.sort_date for summary, _count in letters.rows()]
    assert dates == sorted(dates) and all(dates)
    assert letters.summary_label.text() == "Letters on the letterhead of Frankfurter Zeitung: 25"
    assert letters.show_all_button.isVisible()
    assert letters.table.isColumnHidden(letters.model.COUNT)
    # The history of the chosen letterhead shows below it.
    assert panel.history.group is group
    assert len(panel.history.version_items()) == len(group.versions)

    # Opening a letter of the narrowed list keeps the list narrowed.
    letters.activate_row(3)
    assert normalise_for_compare(window.current_letter.file) == normalised(group.files)[3]
    assert listed(window) == normalised(group.files)
    # Next Letter walks the letterhead's letters in date order.
    window.next_letter_action.trigger()
    assert normalise_for_compare(window.current_letter.file) == normalised(group.files)[4]

    # Show All clears the narrowing: every letter again.
    qtbot.mouseClick(letters.show_all_button, Qt.MouseButton.LeftButton)
    assert letters.files_filter is None
    assert listed(window) == everything
    assert not letters.show_all_button.isVisible()


@pytest.mark.slow
def test_a_version_of_the_history_narrows_to_its_letters(window, qtbot) -> None:
    open_and_wait(window)
    panel = window.letterheads_panel
    window.letterheads_dock.show()
    window.letterheads_dock.raise_()
    assert panel.choose(FRANKFURTER_ZEITUNG)
    group = panel.history.group
    assert len(group.versions) > 1
    version = panel.history.version_items()[1]
    click_row(qtbot, panel.history, version)
    assert listed(window) == normalised(group.versions[1].letters)
    label = window.letter_list.summary_label.text()
    assert label.startswith("Letters on the letterhead of Frankfurter Zeitung (Version 2: ")
    assert label.endswith(f": {len(group.versions[1].letters)}")


@pytest.mark.slow
def test_an_entity_chosen_afterwards_replaces_the_letterhead_narrowing(window) -> None:
    open_and_wait(window)
    assert window.letterheads_panel.choose(FRANKFURTER_ZEITUNG)
    letters = window.letter_list
    assert len(letters.rows()) == 25
    schnitzler = window.collection.entity("pmb2121")
    assert schnitzler is not None
    assert window.register_panel.activate("pmb2121")
    assert window.selection == frozenset({"pmb2121"})
    assert letters.files_filter is None
    mentioning = normalised(s.file for s, _n in window.collection.letters_mentioning(["pmb2121"]))
    assert sorted(listed(window)) == sorted(mentioning)
    assert letters.summary_label.text().endswith(schnitzler.name)
    # A letterhead chosen while an entity is selected narrows to its letters; Show All
    # goes back to the entity's letters, and a second Show All clears the selection.
    assert window.letterheads_panel.choose(FRANKFURTER_ZEITUNG)
    assert len(letters.rows()) == 25
    letters.show_all_button.click()
    assert sorted(listed(window)) == sorted(mentioning)
    assert window.selection == frozenset({"pmb2121"})
    letters.show_all_button.click()
    assert window.selection == frozenset()
    assert len(letters.rows()) == 60


@pytest.mark.slow
def test_the_side_panel_shows_the_current_letterheads_history(window, qtbot) -> None:
    open_and_wait(window)
    (group,) = [g for g in window.collection.letterhead_groups() if g.issuer == FRANKFURTER_ZEITUNG]
    letter_file = group.files[5]
    assert window.open_letter(letter_file)
    tree = window.panel.letterhead
    tree.ensure_built()
    heading = tree.topLevelItem(0)
    assert heading.text(0) == "Frankfurter Zeitung"
    for item in (heading, heading.child(0)):
        menu = tree.context_menu(item)
        assert menu is not None
        actions = {action.text(): action for action in menu.actions()}
        assert HISTORY_ACTION in actions
    window.letterheads_dock.hide()
    actions[HISTORY_ACTION].trigger()
    panel = window.letterheads_panel
    assert window.letterheads_dock.isVisible()
    assert panel.groups.currentItem() is group_row(window, "Frankfurter Zeitung")
    assert panel.history.group.issuer == FRANKFURTER_ZEITUNG
    chosen = panel.history.currentItem()
    assert chosen is not None
    assert normalised(chosen.data(0, FILES_ROLE)) == [normalise_for_compare(letter_file)]
    # Looking at the history narrows nothing.
    assert window.letter_list.files_filter is None
    assert len(window.letter_list.rows()) == 60
    # A double click on another letter of the history opens it.
    other = next(
        item
        for item in panel._history_items()
        if item.childCount() == 0
        and item.data(0, FILES_ROLE)
        and normalised(item.data(0, FILES_ROLE)) == normalised(group.files[:1])
    )
    other.parent().setExpanded(True)
    panel.history.scrollToItem(other)
    rect = panel.history.visualItemRect(other)
    point = QPoint(rect.left() + 30, rect.center().y())
    # As a real double click arrives: a click (press, release), then the double click.
    qtbot.mouseClick(panel.history.viewport(), Qt.MouseButton.LeftButton, pos=point)
    qtbot.mouseDClick(panel.history.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert normalise_for_compare(window.current_letter.file) == normalised(group.files)[0]


@pytest.mark.slow
def test_without_a_collection_the_history_action_is_not_offered(window) -> None:
    letter = require(EDITIONS / "L00500.xml")
    assert window.open_letter(str(letter))
    tree = window.panel.letterhead
    tree.ensure_built()
    heading = tree.topLevelItem(0)
    menu = tree.context_menu(heading)
    assert menu is None or HISTORY_ACTION not in [a.text() for a in menu.actions()]
    assert window.show_letterhead_history() is False
    assert Path(window.current_letter.file).name == "L00500.xml"


@pytest.mark.slow
def test_escape_clears_a_letterheads_narrowing(window, qtbot) -> None:
    open_and_wait(window)
    everything = listed(window)
    assert window.letterheads_panel.choose(FRANKFURTER_ZEITUNG)
    group_files = window.letter_list.files_filter
    assert group_files is not None and len(listed(window)) == 25
    window.clear_action.trigger()  # Esc
    assert window.letter_list.files_filter is None
    assert listed(window) == everything
