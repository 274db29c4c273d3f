"""The letterhead widgets on their own: a printed letterhead in the side panel, and the
collection's Letterheads panel with its history (pytest-qt, offscreen)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from testdata import DATA, LETTERHEADS, require

from viewer.collection import index_folder
from viewer.gui.letterheads import LetterheadsPanel
from viewer.gui.panels import SidePanel
from viewer.letterheads import LetterheadRecord, group_letterheads
from viewer.tei import read_letter

pytestmark = pytest.mark.gui

PLACEMENTS = DATA / "letterhead-placements"


def click(qtbot, tree, item, column: int = 0) -> None:
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    x = tree.header().sectionViewportPosition(column) + 20
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, rect.center().y()))


# ------------------------------------------------------------ one letter's panel


@pytest.fixture
def side(qtbot):
    widget = SidePanel()
    qtbot.addWidget(widget)
    widget.resize(480, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_a_printed_letterhead_shows_its_issuer_lines_and_kinds(side) -> None:
    letter = read_letter(require(LETTERHEADS / "schnitzler-briefe" / "editions" / "L00500.xml"))
    side.set_letter(letter)
    tree = side.letterhead
    tree.ensure_built()
    assert side.tabs.isTabEnabled(0)
    group = tree.topLevelItem(0)
    assert group.text(0) == "Neues Wiener Journal"
    assert "pmb29320" in group.toolTip(0)
    rows = {row.text(0): row for row in tree.leaves()}
    assert [row.text(0) for row in tree.leaves()] == [m.name for m in letter.letterhead[0].members]
    assert rows["J. Lippowitz"].text(1) == "Person"
    assert rows["Telephon Nr. 7920."].text(1) == "Address / contact"
    assert rows["Neues Wiener Journal"].text(1) == "Organisation"


def test_clicking_a_printed_line_selects_its_entity(side, qtbot) -> None:
    letter = read_letter(require(LETTERHEADS / "schnitzler-briefe" / "editions" / "L00500.xml"))
    side.set_letter(letter)
    tree = side.letterhead
    (row,) = [r for r in tree.leaves() if r.text(0) == "J. Lippowitz"]
    with qtbot.waitSignal(side.entitiesActivated) as signal:
        click(qtbot, tree, row)
    assert signal.args == [["pmb4054"], False]
    side.set_selection({"pmb4054"})
    assert [r.text(0) for r in tree.marked_leaves()] == ["J. Lippowitz"]


def test_letter_text_in_a_printed_line_stays_plain(side) -> None:
    data = (
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>T'
        "</title></titleStmt><publicationStmt><p/></publicationStmt><sourceDesc><p/>"
        "</sourceDesc></fileDesc></teiHeader><text><body><div><opener>"
        '<seg type="letterhead">&lt;b&gt;Bold&lt;/b&gt; Ltd</seg></opener><p>x</p></div>'
        "</body></text></TEI>"
    )
    side.set_letter(read_letter("inline.xml", data=data.encode()))
    side.letterhead.ensure_built()
    (row,) = side.letterhead.leaves()
    assert row.text(0) == "<b>Bold</b> Ltd"
    assert "&lt;b&gt;" in row.toolTip(0)


# ------------------------------------------------------------ the collection's panel


@pytest.fixture
def panel(qtbot):
    widget = LetterheadsPanel()
    qtbot.addWidget(widget)
    widget.resize(520, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def society_groups(tmp_path: Path):
    folder = tmp_path / "a" / "b" / "c" / "d" / "society"
    folder.mkdir(parents=True)
    for path in sorted(require(PLACEMENTS).glob("*.xml")):
        shutil.copy(path, folder / path.name)
    index = index_folder(folder, cache_dir=tmp_path / "cache", mode="serial")
    titles = {s.file: s.title for s in index.letters}
    return index.letterhead_groups(), titles


def test_groups_are_listed_with_letters_and_dates(panel, society_groups) -> None:
    groups, titles = society_groups
    panel.set_groups(groups, titles)
    rows = panel.group_rows()
    first = rows[0]
    assert (first.text(0), first.text(1), first.text(2), first.text(3)) == (
        "Society for Alpine Botany",
        "5",
        "1908-04-01",
        "1913-11-03",
    )
    assert len(rows) == len(groups) == 5


def test_choosing_a_letterhead_emits_its_letters_in_date_order(panel, society_groups, qtbot):
    groups, titles = society_groups
    panel.set_groups(groups, titles)
    row = panel.group_rows()[0]
    with qtbot.waitSignal(panel.lettersChosen) as signal:
        click(qtbot, panel.groups, row)
    assert [Path(f).name for f in signal.args[0]] == [
        "society-1.xml",
        "society-2.xml",
        "society-3.xml",
        "society-4.xml",
        "society-undated.xml",
    ]
    # ... and its history shows below: three versions, then the undated letter's match.
    versions = panel.history.version_items()
    assert [v.text(0) for v in versions] == [
        "Version 1: 1908-04-01 – 1909-06-15",
        "Version 2: 1911-02-20",
        "Version 3: 1913-11-03",
    ]
    changes = versions[2].child(0)
    assert changes.text(0) == "Changed since version 2"
    assert [changes.child(i).text(0) for i in range(changes.childCount())] == [
        "~ Council: Ada Hale — President → Council: Ada Hale — Honorary President",
        "~ Council: Eva Lind — Treasurer → Council: Eva Lind — President",
    ]
    undated = panel.history.topLevelItem(panel.history.topLevelItemCount() - 1)
    assert undated.child(0).text(0).endswith(": same as version 2")


def test_choosing_a_version_emits_its_letters(panel, society_groups, qtbot) -> None:
    groups, titles = society_groups
    panel.set_groups(groups, titles)
    assert panel.choose("org.sab")
    first = panel.history.version_items()[0]
    with qtbot.waitSignal(panel.lettersChosen) as signal:
        click(qtbot, panel.history, first)
    assert [Path(f).name for f in signal.args[0]] == ["society-1.xml", "society-2.xml"]


def test_the_filter_narrows_the_groups(panel, society_groups, qtbot) -> None:
    groups, titles = society_groups
    panel.set_groups(groups, titles)
    qtbot.keyClicks(panel.search, "harbour")
    assert [r.text(0) for r in panel.visible_group_rows()] == ["Harbour Press"]
    panel.search.clear()
    assert len(panel.visible_group_rows()) == 5


def test_an_undated_letter_without_an_exact_match_gets_the_closest_version(panel) -> None:
    def record(*lines: str) -> list[LetterheadRecord]:
        return [LetterheadRecord("o", "Paper <i>Co</i>", True, lines)]

    groups = group_letterheads(
        [
            ("1.xml", "1900", record("A", "B", "C")),
            ("2.xml", "1910", record("A", "B", "D")),
            ("u.xml", "", record("A", "B", "C", "E")),
        ]
    )
    panel.set_groups(groups)
    assert panel.choose("o")
    assert panel.group_rows()[0].text(0) == "Paper <i>Co</i>"  # shown as written, not markup
    undated = panel.history.topLevelItem(panel.history.topLevelItemCount() - 1)
    assert undated.child(0).text(0) == "u.xml: closest: version 1 (75% of lines alike)"


def test_an_empty_collection_says_so(panel) -> None:
    panel.set_groups([])
    assert panel.group_rows() == []
    assert not panel._empty.isHidden()


def test_the_letterhead_tab_comes_back_for_a_letter_that_has_one(side) -> None:
    with_one = read_letter(require(LETTERHEADS / "schnitzler-briefe" / "editions" / "L00500.xml"))
    without = read_letter(
        "inline.xml",
        data=(
            b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>T'
            b"</title></titleStmt><publicationStmt><p/></publicationStmt><sourceDesc><p/>"
            b"</sourceDesc></fileDesc></teiHeader><text><body><p>x</p></body></text></TEI>"
        ),
    )
    side.set_letter(with_one)
    assert side.tabs.currentWidget() is side.letterhead
    side.set_letter(without)
    assert side.tabs.currentWidget() is side.entities
    side.set_letter(with_one)
    assert side.tabs.currentWidget() is side.letterhead
    # A tab the reader chose stays chosen.
    side.tabs.setCurrentWidget(side.details)
    side.set_letter(with_one)
    assert side.tabs.currentWidget() is side.details
