"""The side panel on its own: rows, marking, narrowing, search, activation, links, escaping."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import BERNSTEIN, GOOSE, HRW, SMALL_LETTER, WILLIAMS
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QDesktopServices, QFont

from viewer.gui.panels import MARK, SidePanel, authority_label, open_authority, plain_tooltip
from viewer.model import Entity, Letter, LineReference
from viewer.tei import read_letter

pytestmark = pytest.mark.gui


@pytest.fixture
def icbl(icbl_path) -> Letter:
    return read_letter(icbl_path)


@pytest.fixture
def small() -> Letter:
    return read_letter("small.xml", data=SMALL_LETTER.encode("utf-8"))


@pytest.fixture
def panel(qtbot):
    widget = SidePanel()
    qtbot.addWidget(widget)
    widget.resize(480, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def section_titles(tree) -> list[str]:
    tree.ensure_built()
    return [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]


def visible(tree) -> list[tuple[str, str]]:
    return [(row.parent().text(0), row.text(0)) for row in tree.visible_leaves()]


def marked(tree) -> list[tuple[str, str]]:
    return [(row.parent().text(0), row.text(0)) for row in tree.marked_leaves()]


def row_named(tree, section: str, name: str):
    for row in tree.leaves():
        if row.parent().text(0) == section and row.text(0).startswith(name):
            return row
    raise AssertionError(f"no row {name!r} in {section!r}")


def click(qtbot, tree, row, column: int = 0, modifier=Qt.KeyboardModifier.NoModifier):
    tree.scrollToItem(row)
    rect = tree.visualItemRect(row)
    x = (
        tree.header().sectionViewportPosition(column)
        + 8
        + (tree.iconSize().width() if column == 0 else 0)
    )
    point = QPoint(x + 12, rect.center().y())
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, modifier, point)


# ----------------------------------------------------------------- Letterhead


def test_letterhead_sections_in_order_with_roles_and_affiliations(panel, icbl):
    panel.set_letter(icbl)
    tree = panel.letterhead
    assert section_titles(tree) == [s.title for s in icbl.letterhead]
    assert section_titles(tree)[:5] == [
        "Staff", "ICBL Ambassadors", "Advisory Board", "Diplomatic Advisor", "Management Committee",
    ]  # fmt: skip
    assert len(tree.leaves()) == sum(len(s.members) for s in icbl.letterhead)
    assert row_named(tree, "Staff", "Sylvie Brigot").text(1) == "Executive Director"
    assert row_named(tree, "Management Committee", "Steve Goose").text(1) == "Human Rights Watch"
    assert row_named(tree, "Management Committee", "Elizabeth Bernstein").text(1) == (
        "Former ICBL Coordinator"
    )
    # every section the parser gives is shown, whatever its kind of members
    for section in icbl.letterhead:
        for member in section.members:
            assert row_named(tree, section.title, " ".join(member.name.split())[:20])


def test_another_letterhead_shows_its_own_sections(panel, small):
    panel.set_letter(small)
    assert section_titles(panel.letterhead) == ["Board", "Friends"]
    assert row_named(panel.letterhead, "Board", "Carl").text(1) == "Chair"
    assert row_named(panel.letterhead, "Friends", "Carl").text(1) == "Acme Works"


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ({BERNSTEIN}, [("ICBL Ambassadors", "Elizabeth Bernstein"),
                       ("Management Committee", "Elizabeth Bernstein")]),
        ({HRW}, [("Advisory Board", "Human Rights Watch"),
                 ("Management Committee", "Steve Goose")]),
        ({WILLIAMS}, [("ICBL Ambassadors", "Jody Williams")]),
    ],
)  # fmt: skip
def test_selection_marks_and_narrows_letterhead(panel, icbl, ids, expected):
    panel.set_letter(icbl)
    panel.set_selection(ids)
    tree = panel.letterhead
    assert marked(tree) == expected
    # narrowed: only the rows involving the selection, their sections kept as context
    assert visible(tree) == expected
    shown_sections = [
        tree.topLevelItem(i).text(0)
        for i in range(tree.topLevelItemCount())
        if not tree.topLevelItem(i).isHidden()
    ]
    assert shown_sections == list(dict.fromkeys(section for section, _name in expected))
    for row in tree.marked_leaves():
        assert row.font(0).bold() and row.font(1).bold()
        assert row.background(0).color().alpha() > 0, "marked rows are tinted"
        assert row.data(0, Qt.ItemDataRole.AccessibleTextRole).endswith(", selected")
    assert panel.tabs.tabText(0) == f"Letterhead \N{BULLET} {len(expected)}", "the tab counts them"


def test_selected_only_off_keeps_all_rows_but_marks(panel, icbl):
    panel.set_letter(icbl)
    panel.only_selected.setChecked(False)
    panel.set_selection({HRW})
    assert len(visible(panel.letterhead)) == len(panel.letterhead.leaves())
    assert len(marked(panel.letterhead)) == 2
    unmarked = row_named(panel.letterhead, "Staff", "Sylvie Brigot")
    assert not unmarked.font(0).bold()
    assert unmarked.background(0).style() == Qt.BrushStyle.NoBrush


def test_clearing_selection_unmarks_and_restores(panel, icbl):
    panel.set_letter(icbl)
    panel.set_selection({BERNSTEIN})
    panel.set_selection(set())
    assert marked(panel.letterhead) == []
    assert len(visible(panel.letterhead)) == len(panel.letterhead.leaves())
    assert all(not row.font(0).bold() for row in panel.letterhead.leaves())
    assert panel.tabs.tabText(0) == "Letterhead"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("goose", [("Management Committee", "Steve Goose")]),
        # words match across name, role and affiliation, in any order
        ("human watch goose", [("Management Committee", "Steve Goose")]),
        ("bernstein committee", [("Management Committee", "Elizabeth Bernstein")]),
        ("FORMER coordinator", [("Management Committee", "Elizabeth Bernstein")]),
        ("director advocacy", [("Staff", "Simona Beltrami")]),
        ("nobody-at-all", []),
    ],
)
def test_search_narrows_letterhead_rows(panel, icbl, query, expected):
    panel.set_letter(icbl)
    panel.search.setText(query)
    assert visible(panel.letterhead) == expected


def test_search_ignores_accents_and_case(panel, small):
    panel.set_letter(small)
    panel.search.setText("SCHONBERG chair")
    assert visible(panel.letterhead) == [("Board", "Carl Schönberg")]
    panel.search.setText("acme schönberg")
    assert visible(panel.letterhead) == [("Friends", "Carl Schönberg")]
    panel.clear_search()
    assert len(visible(panel.letterhead)) == 3


def test_search_with_selection_lets_more_rows_be_found(panel, icbl):
    panel.set_letter(icbl)
    panel.set_selection({BERNSTEIN})
    panel.search.setText("goose")
    # the marked rows stay, and the search finds Steve Goose to Ctrl+click in
    assert ("Management Committee", "Steve Goose") in visible(panel.letterhead)
    assert ("ICBL Ambassadors", "Elizabeth Bernstein") in visible(panel.letterhead)
    assert ("Staff", "Sylvie Brigot") not in visible(panel.letterhead)


def test_clicking_rows_emits_activation(qtbot, panel, icbl):
    panel.set_letter(icbl)
    tree = panel.letterhead
    with qtbot.waitSignal(panel.entitiesActivated) as blocker:
        click(qtbot, tree, row_named(tree, "ICBL Ambassadors", "Elizabeth Bernstein"))
    assert blocker.args == [[BERNSTEIN], False]
    with qtbot.waitSignal(panel.entitiesActivated) as blocker:
        click(qtbot, tree, row_named(tree, "Management Committee", "Steve Goose"),
              modifier=Qt.KeyboardModifier.ControlModifier)  # fmt: skip
    assert blocker.args == [[GOOSE], True]
    # the affiliation column selects the affiliation
    with qtbot.waitSignal(panel.entitiesActivated) as blocker:
        click(qtbot, tree, row_named(tree, "Management Committee", "Steve Goose"), column=1)
    assert blocker.args == [[HRW], False]


def test_enter_activates_the_current_row(qtbot, panel, icbl):
    panel.set_letter(icbl)
    tree = panel.letterhead
    tree.setFocus()
    tree.setCurrentItem(row_named(tree, "Advisory Board", "Human Rights Watch"))
    with qtbot.waitSignal(panel.entitiesActivated) as blocker:
        qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert blocker.args == [[HRW], False]
    with qtbot.waitSignal(panel.entitiesActivated) as blocker:
        qtbot.keyClick(tree, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert blocker.args == [[HRW], True]


def test_section_rows_select_nothing(qtbot, panel, icbl):
    panel.set_letter(icbl)
    tree = panel.letterhead
    with qtbot.assertNotEmitted(panel.entitiesActivated):
        tree.itemClicked.emit(tree.topLevelItem(0), 0)


def test_member_naming_two_organisations_selects_both(qtbot, panel, icbl):
    panel.set_letter(icbl)
    row = row_named(panel.letterhead, "Advisory Board", "Dan Church Aid")
    with qtbot.waitSignal(panel.entitiesActivated) as blocker:
        click(qtbot, panel.letterhead, row)
    assert blocker.args == [["org.dca", "org.lwf"], False]


# ------------------------------------------------------------------- Entities


def test_entities_grouped_by_kind_with_counts(panel, icbl):
    panel.set_letter(icbl)
    tree = panel.entities
    assert section_titles(tree)[:5] == ["People", "Organisations", "Places", "Dates", "Treaties"]
    counts = icbl.mention_counts()
    azerbaijan = row_named(tree, "Places", "Azerbaijan")
    assert azerbaijan.text(1) == str(counts["place.azerbaijan"])
    assert azerbaijan.text(2) == "Q227"
    listed = {row.select[0] for row in tree.leaves()}
    assert {entity.id for entity in icbl.entities} <= listed


def test_entities_selection_marks_the_entity(panel, icbl):
    panel.set_letter(icbl)
    panel.set_selection({HRW})
    assert [row.select for row in panel.entities.marked_leaves()] == [(HRW,)]
    assert visible(panel.entities) == [("Organisations", "Human Rights Watch")]


def test_letterhead_only_entities_are_flagged(panel, icbl):
    # Take the letterhead out of the text: its members are then named only in the letterhead.
    letter = dataclasses.replace(
        icbl,
        mentions=tuple(m for m in icbl.mentions if BERNSTEIN not in m.entities),
        entities=icbl.entities,
    )
    panel.set_letter(letter)
    row = row_named(panel.entities, "People", "Elizabeth Bernstein")
    assert row.text(1) == "letterhead"
    assert row.font(0).italic()
    assert "only in the letterhead" in row.toolTip(0)


def test_line_references_appear_with_their_line_ids(panel):
    rome = Entity("jp.rome", "place", "Rom")
    letter = Letter(
        file="jp.xml",
        title="Jean Paul",
        text="erste Zeile\nzweite Zeile\n",
        entities=(rome,),
        line_references=(
            LineReference(0, 11, "I_12-31", ("jp.rome",), label="Rom"),
            LineReference(12, 24, "I_12-32", ("jp.rome",), label="Rom"),
        ),
    )
    panel.set_letter(letter)
    row = row_named(panel.entities, "Places", "Rom")
    assert "I_12-31" in row.text(0) and "I_12-32" in row.text(0)
    assert row.text(1) == "2"


def test_authority_links_open_only_http_on_click(qtbot, panel, small, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", lambda url: opened.append(url.toString()) or True
    )
    evil = Entity("evil", "place", "Evil", authority=("javascript:alert(1)",))
    letter = dataclasses.replace(
        small, entities=tuple(evil if e.id == "evil" else e for e in small.entities)
    )
    panel.set_letter(letter)
    tree = panel.entities
    rome = row_named(tree, "Places", "Rome")
    assert opened == [], "nothing opens by itself"
    with qtbot.assertNotEmitted(panel.entitiesActivated):
        click(qtbot, tree, rome, column=2)
    assert opened == ["http://www.wikidata.org/entity/Q220"]
    click(qtbot, tree, row_named(tree, "Places", "Evil"), column=2)
    assert opened == ["http://www.wikidata.org/entity/Q220"], "a javascript: link never opens"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://d-nb.info/gnd/118609807", True),
        ("http://www.wikidata.org/entity/Q71", True),
        ("file:///etc/passwd", False),
        ("javascript:alert(1)", False),
        ("data:text/html,<b>x</b>", False),
        ("", False),
    ],
)
def test_open_authority_checks_the_scheme(monkeypatch, qapp, url, ok):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda u: opened.append(u) or True)
    assert open_authority(url) is ok
    assert len(opened) == (1 if ok else 0)


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("http://www.wikidata.org/entity/Q227", "Q227"),
        ("https://d-nb.info/gnd/118609807", "GND 118609807"),
        ("https://viaf.org/viaf/12345/", "VIAF 12345"),
        ("https://www.example.org/x", "example.org"),
    ],
)
def test_authority_label(url, label):
    assert authority_label(url) == label


# -------------------------------------------------------------------- Details


def test_details_show_metadata_as_plain_text(panel, small):
    panel.set_letter(small)
    details = panel.details
    assert details.value("Title") == "Letter from Anna <b>Ärmel</b> to Bob"
    assert details.value("Sender") == "Anna Ärmel"
    assert details.value("Recipient") == "Bob Baker"
    assert "3 Feb. 1901" in details.value("Date") and "1901-02-03" in details.value("Date")
    assert details.value("Source") == "Typed for the tests <script>"
    assert details.value("File") == "small.xml"
    from PySide6.QtWidgets import QLabel

    labels = details.findChildren(QLabel)
    assert labels and all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)
    assert any(label.text() == "Letter from Anna <b>Ärmel</b> to Bob" for label in labels)


def test_details_date_range(panel, small):
    from viewer.model import LetterDate

    letter = dataclasses.replace(
        small, date=LetterDate(None, "spring 1901", not_before="1901-03", not_after="1901-05")
    )
    panel.set_letter(letter)
    assert panel.details.value("Date") == "spring 1901 · not before 1901-03 · not after 1901-05"


def test_details_parties_select_and_mark(qtbot, panel, icbl):
    panel.set_letter(icbl)
    tabs = panel.tabs
    tabs.setCurrentWidget(panel.details)
    buttons = {b.ids: b for b in panel.details.party_buttons}
    button = buttons[(WILLIAMS,)]
    with qtbot.waitSignal(panel.entitiesActivated) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert blocker.args == [[WILLIAMS], False]
    panel.set_selection({WILLIAMS})
    assert button.marked and button.isChecked() and button.font().weight() >= QFont.Weight.Bold
    assert button.text().startswith(MARK)
    panel.set_selection(set())
    assert not button.marked and button.text() == "Jody Williams"


# ---------------------------------------------------------------- Diagnostics


def test_diagnostics_rows_and_click_shows_the_mention(qtbot, panel, small):
    panel.set_letter(small)
    tree = panel.diagnostics
    assert tree.row_count() == len(small.diagnostics) >= 1
    item = tree.topLevelItem(0)
    assert (item.text(0), item.text(1)) == ("warning", "dangling-ref")
    assert item.text(3) == str(small.diagnostics[0].line)
    zed = next(m for m in small.mentions if m.unresolved)
    with qtbot.waitSignal(panel.rangeRequested) as blocker:
        tree.itemClicked.emit(item, 0)
    assert blocker.args == [zed.start, zed.end]
    assert "Diagnostics (1)" in [panel.tabs.tabText(i) for i in range(panel.tabs.count())]


def test_diagnostics_filtered_by_search(panel, small):
    panel.set_letter(small)
    panel.search.setText("nobody")
    assert len(panel.diagnostics.visible_rows()) == 1
    panel.search.setText("unrelated words")
    assert panel.diagnostics.visible_rows() == []


# ---------------------------------------------------------------- plain text


def test_plain_tooltip_escapes_markup():
    tip = plain_tooltip("<img src=x onerror=alert(1)> & <b>")
    assert "<img" not in tip and "&lt;img" in tip and "&amp;" in tip
    assert plain_tooltip("") == ""


def test_tooltips_of_rows_are_escaped(panel, small):
    panel.set_letter(small)
    for tree in (panel.letterhead, panel.entities):
        for row in tree.leaves():
            tip = row.toolTip(0)
            assert tip.startswith("<p style='white-space:pre-wrap'>")
            assert "<b>" not in tip


def test_accessible_names(panel):
    assert panel.search.accessibleName()
    for widget in (panel.letterhead, panel.entities, panel.details, panel.diagnostics):
        assert widget.accessibleName()


def test_hint_shows_while_narrowing_lists(panel, icbl):
    panel.set_letter(icbl)
    assert not panel.hint.isVisible()
    panel.set_selection({HRW})
    assert panel.hint.isVisible()
    panel.tabs.setCurrentWidget(panel.details)
    assert not panel.hint.isVisible(), "Details is not narrowed"
    panel.tabs.setCurrentWidget(panel.entities)
    assert panel.hint.isVisible()
    panel.only_selected.setChecked(False)
    assert not panel.hint.isVisible()


@pytest.mark.slow
def test_letter_without_letterhead_disables_the_tab(panel, icbl):
    letter = dataclasses.replace(icbl, letterhead=())
    panel.set_letter(letter)
    index = panel.tabs.indexOf(panel.letterhead)
    assert not panel.tabs.isTabEnabled(index)
    assert panel.tabs.currentWidget() is panel.entities
    assert "no letterhead" in panel.tabs.tabToolTip(index)
    panel.set_letter(icbl)
    assert panel.tabs.isTabEnabled(index)
