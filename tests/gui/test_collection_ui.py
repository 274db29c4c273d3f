"""Collections in the window: the letter list, the register, search, indexing, drops.

The panels are driven the way a user drives them (clicks, keys, typing) over
real collections written into tmp_path; the last tests install the collection
into the window the composition root builds and check the wiring end to end.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from viewer.collection import index_folder
from viewer.filtering import fold
from viewer.gui.collection_ui import (
    IndexJob,
    LetterListModel,
    LetterListPanel,
    RegisterPanel,
    SearchPanel,
)

pytestmark = pytest.mark.gui

TEI_NS = "http://www.tei-c.org/ns/1.0"


def letter_xml(title: str, sender: tuple, recipient: tuple, when: str, body: str, extra="") -> str:
    people = {sender[0]: sender[1], recipient[0]: recipient[1]}
    persons = "".join(
        f'<person xml:id="{pid}"><persName>{name}</persName></person>'
        for pid, name in people.items()
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="{TEI_NS}">
  <teiHeader>
    <fileDesc><titleStmt><title>{title}</title></titleStmt>
      <publicationStmt><p>test</p></publicationStmt><sourceDesc><p>test</p></sourceDesc>
    </fileDesc>
    <profileDesc><correspDesc>
      <correspAction type="sent"><persName ref="#{sender[0]}">{sender[1]}</persName>
        <date when="{when}">{when}</date></correspAction>
      <correspAction type="received"><persName ref="#{recipient[0]}">{recipient[1]}</persName>
      </correspAction>
    </correspDesc></profileDesc>
  </teiHeader>
  <text><body><div type="letter"><p>{body}</p></div></body>
  <back><listPerson>{persons}{extra}</listPerson>
    <listPlace><place xml:id="zh"><placeName>Zürich</placeName></place></listPlace></back></text>
</TEI>
"""


ANNA = ("anna", "Anna Zürcher")
BRUNO = ("bruno", "Bruno Straße")
CARL = ("carl", "Carl Dritter")


def write_letters(folder: Path) -> dict[str, Path]:
    """Three letters: Anna is in a and b, Zürich in a and b, Carl only sends c."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {name: folder / f"{name}.xml" for name in "abc"}
    files["a"].write_text(
        letter_xml(
            "Alpha letter", ANNA, BRUNO, "1900-01-02",
            'Dear <persName ref="#bruno">Bruno</persName>, from '
            '<placeName ref="#zh">Zürich</placeName>, the Große Straße, '
            '<persName ref="#anna">Anna</persName>.',
        ),
        encoding="utf-8",
    )  # fmt: skip
    files["b"].write_text(
        letter_xml(
            "Beta letter", BRUNO, ANNA, "1901-05-06",
            'Dear <persName ref="#anna">Anna</persName>, <placeName ref="#zh">Zurich</placeName>'
            ' again; <persName ref="#anna">you</persName> know it.',
        ),
        encoding="utf-8",
    )  # fmt: skip
    files["c"].write_text(
        letter_xml(
            "Gamma letter", CARL, BRUNO, "1899-12-31",
            'Greetings to <persName ref="#bruno">Bruno</persName> from Paris.',
        ),
        encoding="utf-8",
    )  # fmt: skip
    return files


@pytest.fixture
def home(tmp_path: Path) -> Path:
    # Four levels down: register discovery looks at the siblings of a letter's
    # ancestors, which under pytest are other tests' folders.
    folder = tmp_path / "d1" / "d2" / "d3" / "d4"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def letters(home: Path) -> dict[str, Path]:
    return write_letters(home / "letters")


@pytest.fixture
def index(letters, tmp_path):
    return index_folder(letters["a"].parent, cache_dir=tmp_path / "cache")


def names_in_list(panel: LetterListPanel) -> list[str]:
    return [Path(summary.file).stem for summary, _count in panel.rows()]


def row_point(table, row: int, column: int = 3) -> QPoint:
    return table.visualRect(table.model().index(row, column)).center()


# ================================================================ letter list


def test_letter_list_sorts_by_each_column(qtbot, index) -> None:
    panel = LetterListPanel()
    qtbot.addWidget(panel)
    panel.set_index(index)
    panel.show()
    assert names_in_list(panel) == ["c", "a", "b"]  # by date, oldest first
    table = panel.table
    table.sortByColumn(LetterListModel.SENDER, Qt.SortOrder.AscendingOrder)
    assert names_in_list(panel) == ["a", "b", "c"]  # Anna, Bruno, Carl
    table.sortByColumn(LetterListModel.RECIPIENT, Qt.SortOrder.AscendingOrder)
    assert names_in_list(panel)[0] == "b"  # Anna first
    table.sortByColumn(LetterListModel.TITLE, Qt.SortOrder.DescendingOrder)
    assert names_in_list(panel) == ["c", "b", "a"]  # Gamma, Beta, Alpha
    # A click on the Date header sorts by date again.
    header = table.horizontalHeader()
    x = header.sectionViewportPosition(LetterListModel.DATE) + 10
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))
    order = names_in_list(panel)
    assert order in (["c", "a", "b"], ["b", "a", "c"])
    shown = [table.model().index(r, 0).data() for r in range(3)]
    assert sorted(shown) == ["1899-12-31", "1900-01-02", "1901-05-06"]


def test_click_and_enter_open_a_letter(qtbot, index, letters) -> None:
    panel = LetterListPanel()
    qtbot.addWidget(panel)
    panel.set_index(index)
    panel.show()
    qtbot.waitExposed(panel)
    opened: list[str] = []
    panel.letterActivated.connect(opened.append)
    qtbot.mouseClick(
        panel.table.viewport(), Qt.MouseButton.LeftButton, pos=row_point(panel.table, 1)
    )
    assert opened == [str(letters["a"])]
    panel.table.setFocus()
    panel.table.setCurrentIndex(panel.model.index(2, 0))
    qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    assert opened[-1] == str(letters["b"])


def test_the_current_letter_is_marked(qtbot, index, letters) -> None:
    panel = LetterListPanel()
    qtbot.addWidget(panel)
    panel.set_index(index)
    panel.set_current(str(letters["b"]))
    row = panel.model.row_of(str(letters["b"]))
    font = panel.model.index(row, 3).data(Qt.ItemDataRole.FontRole)
    assert font is not None and font.bold()
    assert panel.model.index(row, 0).data(Qt.ItemDataRole.DecorationRole) is not None
    other = panel.model.index(panel.model.row_of(str(letters["a"])), 3)
    assert other.data(Qt.ItemDataRole.FontRole) is None
    assert panel.table.selectionModel().isRowSelected(row)


def test_selecting_entities_narrows_the_list(qtbot, index) -> None:
    panel = LetterListPanel()
    qtbot.addWidget(panel)
    panel.set_index(index)
    panel.show()
    assert panel.table.isColumnHidden(LetterListModel.COUNT)

    panel.set_filter({"anna"})
    assert sorted(zip(names_in_list(panel), [c for _s, c in panel.rows()], strict=True)) == [
        ("a", 1),
        ("b", 2),
    ]
    assert not panel.table.isColumnHidden(LetterListModel.COUNT)
    assert "2 of 3 letters mention Anna Zürcher" in panel.summary_label.text()
    assert not panel.mode_combo.isVisible()  # one entity: nothing to choose

    changes: list[bool] = []
    panel.matchModeChanged.connect(changes.append)
    panel.set_filter({"anna", "carl"})
    assert panel.mode_combo.isVisible()
    assert names_in_list(panel) == []  # all: no letter names both
    panel.mode_combo.setCurrentIndex(1)  # any
    assert changes == [False]
    assert sorted(names_in_list(panel)) == ["a", "b", "c"]
    assert "any of" in panel.summary_label.text()

    cleared: list[bool] = []
    panel.clearRequested.connect(lambda: cleared.append(True))
    qtbot.mouseClick(panel.show_all_button, Qt.MouseButton.LeftButton)
    assert cleared == [True]
    panel.set_filter(())
    assert sorted(names_in_list(panel)) == ["a", "b", "c"]
    assert panel.table.isColumnHidden(LetterListModel.COUNT)


def test_chosen_files_narrow_the_list_until_cleared(qtbot, index, letters, tmp_path) -> None:
    panel = LetterListPanel()
    qtbot.addWidget(panel)
    panel.set_index(index)
    panel.show()
    cleared: list[bool] = []
    panel.clearRequested.connect(lambda: cleared.append(True))
    # The files as given (one outside the collection is left out), sorted by the list's column.
    panel.set_files([str(letters["b"]), str(letters["c"]), "/nowhere/x.xml"], "Letters on X")
    assert names_in_list(panel) == ["c", "b"]
    assert panel.summary_label.text() == "Letters on X: 2"
    assert panel.show_all_button.isVisible() and not panel.mode_combo.isVisible()
    # The same collection read again keeps them; the same selection set again too.
    panel.set_index(index_folder(letters["a"].parent, cache_dir=tmp_path / "cache"))
    panel.set_filter(())
    assert names_in_list(panel) == ["c", "b"]
    # Show All clears the chosen files only (no selection to clear).
    qtbot.mouseClick(panel.show_all_button, Qt.MouseButton.LeftButton)
    assert panel.files_filter is None and cleared == []
    assert names_in_list(panel) == ["c", "a", "b"]
    # A new selection replaces them; no collection drops them.
    panel.set_files([str(letters["c"])], "Letters on Y")
    panel.set_filter({"anna"})
    assert panel.files_filter is None
    assert sorted(names_in_list(panel)) == ["a", "b"]
    panel.set_files([str(letters["c"])], "Letters on Y")
    panel.set_index(None)
    assert panel.files_filter is None


def test_bad_files_are_listed_with_a_dialog(qtbot, letters, tmp_path, monkeypatch) -> None:
    folder = letters["a"].parent
    (folder / "broken.xml").write_text(f'<TEI xmlns="{TEI_NS}"><teiHeader><correspDesc>', "utf-8")
    broken_index = index_folder(folder, cache_dir=tmp_path / "cache")
    panel = LetterListPanel()
    qtbot.addWidget(panel)
    panel.set_index(broken_index)
    panel.show()
    assert panel.errors_box.isVisible()
    assert panel.errors_label.text() == "1 file could not be read and was skipped"
    from PySide6.QtWidgets import QMessageBox

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box.detailedText()) or 0)
    qtbot.mouseClick(panel.errors_button, Qt.MouseButton.LeftButton)
    assert len(shown) == 1 and "broken.xml" in shown[0] and "well-formed" in shown[0]
    assert len(names_in_list(panel)) == 3


def test_an_empty_folder_says_so(qtbot, home, tmp_path) -> None:
    (home / "empty").mkdir()
    panel = LetterListPanel()
    qtbot.addWidget(panel)
    panel.set_index(index_folder(home / "empty", cache_dir=tmp_path / "cache"))
    panel.show()
    assert panel.empty_label.isVisible()
    assert "No letters in" in panel.empty_label.text()
    assert not panel.table.isVisible()


# ================================================================== register


def test_register_lists_every_entity_grouped_and_filters(qtbot, index) -> None:
    panel = RegisterPanel()
    qtbot.addWidget(panel)
    panel.set_index(index)
    panel.show()
    assert set(panel.entity_rows()) == {"anna", "bruno", "carl", "zh"}
    headings = [
        panel.model.index(row, 0).data()
        for row in range(panel.model.rowCount())
        if panel.model.rows()[row] < 0
    ]
    assert [h.split(" (")[0] for h in headings] == ["People", "Places"]
    texts = [panel.model.index(r, 0).data() for r in range(panel.model.rowCount())]
    assert any("Anna Zürcher" in t and "2 letters" in t and "3 mentions" in t for t in texts)

    qtbot.keyClicks(panel.search, "ZUR")
    assert panel.entity_rows() == ["anna", "zh"]
    qtbot.keyClicks(panel.search, "CHER")
    assert panel.entity_rows() == ["anna"]
    assert panel.count_label.text() == "1 of 4 entities"
    panel.search.clear()
    panel.set_kind("place")
    assert panel.entity_rows() == ["zh"]
    panel.set_kind(None)
    assert len(panel.entity_rows()) == 4


def test_choosing_an_entity_in_the_register(qtbot, index) -> None:
    panel = RegisterPanel()
    qtbot.addWidget(panel)
    panel.set_index(index)
    panel.show()
    qtbot.waitExposed(panel)
    chosen: list[tuple[list, bool]] = []
    panel.entitiesActivated.connect(lambda ids, additive: chosen.append((ids, additive)))
    row = next(r for r in range(panel.model.rowCount()) if panel.model.entity_at(r) and
               panel.model.entity_at(r).id == "zh")  # fmt: skip
    point = panel.view.visualRect(panel.model.index(row, 0)).center()
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert chosen == [(["zh"], False)]
    qtbot.mouseClick(
        panel.view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ControlModifier,
        point,
    )
    assert chosen[-1] == (["zh"], True)
    # A heading is not an entity: clicking it selects nothing.
    heading = next(r for r in range(panel.model.rowCount()) if panel.model.rows()[r] < 0)
    point = panel.view.visualRect(panel.model.index(heading, 0)).center()
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert len(chosen) == 2
    panel.set_selection({"zh"})
    font = panel.model.index(row, 0).data(Qt.ItemDataRole.FontRole)
    assert font is not None and font.bold()


# ==================================================================== search


@pytest.mark.slow
def test_search_lists_hits_with_context_and_opens_them(qtbot, index, letters) -> None:
    panel = SearchPanel()
    qtbot.addWidget(panel)
    panel.set_index(index)
    panel.show()
    qtbot.keyClicks(panel.field, "grosse strasse")
    qtbot.keyClick(panel.field, Qt.Key.Key_Return)
    assert panel.results.topLevelItemCount() == 1
    item = panel.results.topLevelItem(0)
    assert "«Große Straße»" in item.text(1)
    assert panel.label.text() == "1 hit in 1 letter"
    opened = []
    panel.hitActivated.connect(lambda hit, query: opened.append((hit, query)))
    rect = panel.results.visualItemRect(item)
    qtbot.mouseClick(panel.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    (hit, query), *_ = opened
    assert hit.file == str(letters["a"])
    text = index.text_of(hit.file)
    assert text[hit.start : hit.end] == "Große Straße"
    assert query == "grosse strasse"

    panel.field.clear()
    qtbot.keyClicks(panel.field, "zurich")
    qtbot.waitUntil(lambda: panel.results.topLevelItemCount() == 2)  # typing searches too
    assert all(fold(h.context[h.match_start : h.match_end]) == "zurich" for h in panel.hits)
    panel.field.clear()
    qtbot.keyClicks(panel.field, "nowhere at all")
    qtbot.keyClick(panel.field, Qt.Key.Key_Return)
    assert panel.results.topLevelItemCount() == 0
    assert "No letter contains" in panel.label.text()


def both_readings(path: Path):
    """A collection of one letter whose index holds its diplomatic text beside its own."""
    from viewer.collection import CollectionIndex, letter_record
    from viewer.tei import read_letter

    record = letter_record(read_letter(path))
    record["altText"] = read_letter(path, reading="diplomatic").text
    return CollectionIndex.from_records(
        str(path.parent), [(str(path), {"kind": "letter", "letter": record})]
    )


def test_a_hit_in_the_other_reading_says_which(qtbot, small_letter) -> None:
    panel = SearchPanel()
    qtbot.addWidget(panel)
    panel.set_index(both_readings(small_letter))
    panel.field.setText("teh end")  # the diplomatic reading's <sic>
    panel.run()
    assert panel.results.topLevelItemCount() == 1
    item = panel.results.topLevelItem(0)
    assert panel.hits[0].reading == "diplomatic"
    assert item.text(0) == "1901-02-03 · Anna Ärmel (diplomatic)"
    assert "«teh end»" in item.text(1)
    assert "Found in the diplomatic reading" in item.toolTip(0)
    panel.field.setText("the end")  # the collection's own reading
    panel.run()
    assert [h.reading for h in panel.hits] == [""]
    assert panel.results.topLevelItem(0).text(0) == "1901-02-03 · Anna Ärmel"


@pytest.mark.slow
def test_a_hit_in_the_other_reading_opens_its_letter(make_window, small_letter) -> None:
    window = make_window()
    window.session.set_collection(both_readings(small_letter))
    panel = window.search_panel
    panel.field.setText("teh end")
    panel.run()
    panel.activate_hit(0)
    assert window.current_letter.file == str(small_letter)
    assert "diplomatic reading" in window.statusBar().currentMessage()
    panel.field.setText("the end")
    panel.run()
    panel.activate_hit(0)
    from viewer.gui.letter_view import describe_selection_layers

    letter = window.current_letter
    flashes = [(s, e) for role, s, e in describe_selection_layers(window.view) if role == "flash"]
    assert [letter.text[s:e] for s, e in flashes] == ["the end"]


# ================================================================== indexing


@pytest.mark.slow
def test_an_index_job_runs_in_a_thread_and_cancel_stops_it(qtbot, home, tmp_path) -> None:
    folder = home / "many"
    folder.mkdir()
    for n in range(120):
        (folder / f"l{n:03}.xml").write_text(
            letter_xml(f"L{n}", ANNA, BRUNO, "1900-01-01", "Hello " * 50), "utf-8"
        )
    main_thread = QApplication.instance().thread()
    threads = []
    # The job is held after its fifth letter until the test has cancelled it, so the
    # cancel always arrives mid-run, however fast the machine reads (no timing involved).
    reached_five = threading.Event()
    cancelled_by_test = threading.Event()

    def work(progress, cancel):
        from PySide6.QtCore import QThread

        threads.append(QThread.currentThread())

        def report(done, total):
            progress(done, total)
            if done == 5:
                reached_five.set()
                assert cancelled_by_test.wait(20), "the test never cancelled the job"

        return index_folder(
            folder, cache_dir=tmp_path / "cache", mode="serial", progress=report, cancel=cancel
        )

    job = IndexJob(work)
    results = []
    job.finished.connect(lambda _job, result: results.append(result))
    job.start()
    qtbot.waitUntil(reached_five.is_set, timeout=20000)
    job.cancel()
    cancelled_by_test.set()
    qtbot.waitUntil(lambda: bool(results), timeout=20000)
    assert job.thread.wait(5000)
    (result,) = results
    assert threads and threads[0] is not main_thread
    assert result.cancelled
    assert len(result.letters) == 5


# ================================================== the window (integration)


@pytest.fixture
def installed(make_window, tmp_path):
    """A window built by the composition root (its collection cache in tmp_path), twice:
    as the window, and as what drives the collection (the same window)."""
    window = make_window()
    window.indexer.cache_dir = tmp_path / "cache"
    yield window, window
    window.indexer.shutdown()


def open_and_wait(controller, folder) -> None:
    controller.open_folder(str(folder))
    assert controller.wait_for_index(30000), "indexing did not finish"


@pytest.mark.slow
def test_open_folder_lists_letters_and_opens_the_first(installed, letters) -> None:
    window, controller = installed
    open_and_wait(controller, letters["a"].parent)
    assert len(controller.collection.letters) == 3
    assert controller.letter_list.model.rowCount() == 3
    # The window had no letter: the first of the list (oldest) opens.
    assert window.current_letter is not None
    assert Path(window.current_letter.file).name == "c.xml"
    assert os.path.abspath(letters["a"].parent) in window.settings.recent_files
    assert controller.letter_dock.isVisible() and controller.register_dock.isVisible()


@pytest.mark.slow
def test_click_in_the_list_opens_the_letter_and_marks_it(installed, letters, qtbot) -> None:
    window, controller = installed
    open_and_wait(controller, letters["a"].parent)
    table = controller.letter_list.table
    row = controller.letter_list.model.row_of(str(letters["b"]))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=row_point(table, row))
    assert Path(window.current_letter.file).name == "b.xml"
    font = controller.letter_list.model.index(row, 3).data(Qt.ItemDataRole.FontRole)
    assert font is not None and font.bold()
    # Next/previous letter follow the list's order (by date: c, a, b).
    controller.previous_letter_action.trigger()
    assert Path(window.current_letter.file).name == "a.xml"
    controller.next_letter_action.trigger()
    assert Path(window.current_letter.file).name == "b.xml"


@pytest.mark.slow
def test_an_entity_from_the_register_filters_the_list_and_stays_selected(
    installed, letters, qtbot
) -> None:
    window, controller = installed
    open_and_wait(controller, letters["a"].parent)
    assert controller.register_panel.activate("anna")
    assert window.selection == frozenset({"anna"})
    assert sorted(names_in_list(controller.letter_list)) == ["a", "b"]
    # Open the other letter of the filtered list: Anna stays selected, the list
    # stays narrowed, and her mentions stand out there.
    for target in ("a", "b"):
        row = controller.letter_list.model.row_of(str(letters[target]))
        controller.letter_list.activate_row(row)
        assert Path(window.current_letter.file).name == f"{target}.xml"
        assert window.selection == frozenset({"anna"})
        assert sorted(names_in_list(controller.letter_list)) == ["a", "b"]
        assert window.view.emphasised_count == len(window.current_letter.mentions_of("anna"))
    # Ctrl+click adds Zürich; All keeps a and b, then Esc clears everything.
    controller.register_panel.activate("zh", additive=True)
    assert window.selection == frozenset({"anna", "zh"})
    assert sorted(names_in_list(controller.letter_list)) == ["a", "b"]
    window.set_selection(())
    assert sorted(names_in_list(controller.letter_list)) == ["a", "b", "c"]


@pytest.mark.slow
def test_any_mode_is_remembered_in_the_settings(installed, letters) -> None:
    window, controller = installed
    open_and_wait(controller, letters["a"].parent)
    window.set_selection({"anna", "carl"})
    assert names_in_list(controller.letter_list) == []
    controller.letter_list.mode_combo.setCurrentIndex(1)
    assert sorted(names_in_list(controller.letter_list)) == ["a", "b", "c"]
    assert window.settings.match_all is False


def test_dropping_a_folder_opens_it_as_the_collection(installed, letters, qtbot) -> None:
    window, controller = installed
    folder = letters["a"].parent
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    event = QDropEvent(
        QPointF(200, 200),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(event)
    assert controller.wait_for_index(30000)
    assert controller.collection is not None and len(controller.collection.letters) == 3
    assert controller.folder == os.path.abspath(folder)


@pytest.mark.slow
def test_dropping_files_opens_the_first_and_adds_them(installed, letters, home) -> None:
    window, controller = installed
    other = write_letters(home / "other")
    open_and_wait(controller, letters["a"].parent)
    controller.open_paths([str(other["b"])])
    assert controller.wait_for_index(30000)
    assert window.current_letter.file == str(other["b"])
    assert len(controller.collection.letters) == 4
    assert controller.letter_list.model.row_of(str(other["b"])) >= 0


@pytest.mark.slow
def test_search_opens_the_letter_at_the_hit(installed, letters, qtbot) -> None:
    window, controller = installed
    open_and_wait(controller, letters["a"].parent)
    controller.search_action.trigger()
    assert controller.search_dock.isVisible()
    panel = controller.search_panel
    qtbot.keyClicks(panel.field, "grosse strasse")
    qtbot.keyClick(panel.field, Qt.Key.Key_Return)
    assert panel.results.topLevelItemCount() == 1
    panel.activate_hit(0)
    letter = window.current_letter
    assert Path(letter.file).name == "a.xml"
    from viewer.gui.letter_view import describe_selection_layers

    flashes = [(s, e) for role, s, e in describe_selection_layers(window.view) if role == "flash"]
    assert [letter.text[s:e] for s, e in flashes] == ["Große Straße"]


@pytest.mark.slow
def test_cancel_stops_indexing_in_the_window(installed, home, qtbot, monkeypatch) -> None:
    _window, controller = installed
    # Index in this process, a little slowly, so that the cancel always lands while
    # letters remain: on an idle machine two worker processes read 240 small letters
    # before the progress signal that presses Cancel reaches the window.
    import viewer.collection as collection

    monkeypatch.setattr(collection, "PARALLEL_THRESHOLD", 10**9)
    read_one = collection._index_one

    def slow_index_one(*args, **kwargs):
        time.sleep(0.005)
        return read_one(*args, **kwargs)

    monkeypatch.setattr(collection, "_index_one", slow_index_one)
    folder = home / "many"
    folder.mkdir()
    for n in range(240):
        (folder / f"l{n:03}.xml").write_text(
            letter_xml(f"L{n}", ANNA, BRUNO, "1900-01-01", "Hello " * 300), "utf-8"
        )
    panel = controller.letter_list

    def press_cancel(value: int) -> None:
        if value >= 10 and panel.cancel_button.isVisible():
            qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)

    panel.progress.valueChanged.connect(press_cancel)
    controller.open_folder(str(folder))
    assert panel.progress_box.isVisible()
    assert controller.wait_for_index(60000)
    assert not panel.progress_box.isVisible()
    assert controller.collection is not None
    assert 10 <= len(controller.collection.letters) < 240
    assert "cancelled" in controller.statusBar().currentMessage()
    # Opening it again reads only the rest.
    panel.progress.valueChanged.disconnect(press_cancel)
    open_and_wait(controller, folder)
    assert len(controller.collection.letters) == 240
    assert controller.collection.stats.cached >= 10


@pytest.mark.slow
def test_recent_menu_reopens_a_folder(installed, letters) -> None:
    _window, controller = installed
    folder = letters["a"].parent
    open_and_wait(controller, folder)
    controller.session.set_collection(None)
    controller.recent_menu.aboutToShow.emit()
    actions = [a for a in controller.recent_menu.actions() if a.toolTip() == str(folder)]
    assert actions, [a.toolTip() for a in controller.recent_menu.actions()]
    actions[0].trigger()
    assert controller.wait_for_index(30000)
    assert controller.collection is not None and len(controller.collection.letters) == 3


def test_the_window_owns_the_collection_menus(installed, letters) -> None:
    window, _ = installed
    names = [a.text().replace("&", "") for a in window.menu("File").actions() if a.text()]
    assert names[:4] == ["Open…", "Open Folder…", "Open Recent", "Reload"]
    assert names.count("Open Recent") == 1
    assert "Search in Collection…" in [
        a.text().replace("&", "") for a in window.menu("Edit").actions()
    ]
    go = [a.text().replace("&", "") for a in window.menu("Go").actions()]
    assert go[-2:] == ["Next Letter", "Previous Letter"]
    # One filler: a remembered file and a remembered folder, each once.
    open_and_wait(window, letters["a"].parent)
    window.recent_menu.aboutToShow.emit()
    tips = [a.toolTip() for a in window.recent_menu.actions()]
    assert tips.count(str(letters["a"].parent)) == 1
    assert len(tips) == len(set(tips))
