"""The open collection follows its folder: letters added, changed and removed on disk.

The window's indexer watches the folder it opened (a real QFileSystemWatcher).
The tests wait for the watcher to notice a change (the event that matters),
then flush it at once instead of waiting out the quiet spell, and wait for
the background update through the indexer; no test sleeps.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from viewer.collection import index_folder
from viewer.gui.collection_ui import FolderWatcher, LetterListPanel, scan_tree

pytestmark = pytest.mark.gui

TEI_NS = "http://www.tei-c.org/ns/1.0"
NEVER_MS = 3_600_000  # the quiet spell, for tests that flush by hand


def letter_xml(title: str, when: str, sender: str = "Anna Zürcher", body: str = "") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>{title}</title></titleStmt>
<publicationStmt><p>t</p></publicationStmt><sourceDesc><p>t</p></sourceDesc></fileDesc>
<profileDesc><correspDesc>
<correspAction type="sent"><persName ref="#anna">{sender}</persName>
<date when="{when}">{when}</date></correspAction>
<correspAction type="received"><persName ref="#bruno">Bruno Straße</persName></correspAction>
</correspDesc></profileDesc></teiHeader>
<text><body><div type="letter"><p>Dear <persName ref="#bruno">Bruno</persName>, {body}</p>
</div></body><back><listPerson>
<person xml:id="anna"><persName>{sender}</persName></person>
<person xml:id="bruno"><persName>Bruno Straße</persName></person>
</listPerson></back></text></TEI>
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    # Four levels down: register discovery looks beside a letter's ancestors.
    folder = tmp_path / "d1" / "d2" / "d3" / "letters"
    folder.mkdir(parents=True)
    (folder / "a.xml").write_text(letter_xml("Alpha letter", "1900-01-02"), "utf-8")
    (folder / "b.xml").write_text(letter_xml("Beta letter", "1901-05-06"), "utf-8")
    (folder / "c.xml").write_text(letter_xml("Gamma letter", "1899-12-31"), "utf-8")
    return folder


@pytest.fixture
def window(make_window, tmp_path, folder):
    """The window with ``folder`` open as its collection, the quiet spell never ending."""
    window = make_window()
    window.indexer.cache_dir = tmp_path / "cache"
    window.indexer.watcher.delay_ms = NEVER_MS
    window.open_folder(str(folder))
    assert window.wait_for_index(30000)
    assert window.indexer.watcher.watching
    yield window
    window.indexer.shutdown()


def titles(window) -> list[str]:
    panel = window.letter_list
    return [summary.title for summary, _count in panel.rows()]


def update(window, qtbot, *rels: str) -> None:
    """Wait until the watcher has noticed ``rels``, send them now and wait for the update."""
    watcher = window.indexer.watcher
    qtbot.waitUntil(lambda: set(rels) <= watcher.pending, timeout=10000)
    assert watcher.debouncing  # held back until the quiet spell (flushed here)
    assert watcher.flush()
    assert window.wait_for_index(30000)
    assert not watcher.pending


def test_a_letter_written_into_the_folder_appears(window, folder, qtbot) -> None:
    opened = window.current_letter.file
    assert Path(opened).name == "c.xml"  # the oldest opened first
    window.set_selection({"anna"})
    window.register_panel.search.setText("bruno")
    (folder / "d.xml").write_text(letter_xml("Delta letter", "1902-03-04"), "utf-8")
    update(window, qtbot, "d.xml")
    assert titles(window) == ["Gamma letter", "Alpha letter", "Beta letter", "Delta letter"]
    assert len(window.collection) == 4
    # The open letter stays open and marked; the selection and its narrowing stay.
    assert window.current_letter.file == opened
    assert window.letter_list.model.row_of(opened) == 0
    assert window.selection == frozenset({"anna"})
    assert "mention Anna Zürcher" in window.letter_list.summary_label.text()
    # In the register (its filter kept) and the search too.
    anna = window.collection.entity("anna")
    assert anna.letter_count == 4
    register = window.register_panel
    assert register.search.text() == "bruno" and register.entity_rows() == ["bruno"]
    texts = [register.model.index(r, 0).data() for r in range(register.model.rowCount())]
    assert any("Bruno Straße" in t and "4 letters" in t for t in texts), texts
    window.search_panel.field.setText("delta")
    window.search_panel.run()
    assert window.search_panel.results.topLevelItemCount() == 0  # titles are not text
    window.search_panel.field.setText("dear bruno")
    window.search_panel.run()
    assert window.search_panel.results.topLevelItemCount() == 4


def test_a_letter_removed_from_the_folder_disappears(window, folder, qtbot) -> None:
    os.remove(folder / "b.xml")
    update(window, qtbot, "b.xml")
    assert titles(window) == ["Gamma letter", "Alpha letter"]
    assert window.collection.letter(str(folder / "b.xml")) is None
    assert window.collection.entity("anna").letter_count == 2


def test_a_changed_letter_shows_its_new_title(window, folder, qtbot) -> None:
    window.letter_list.table.sortByColumn(3, Qt.SortOrder.AscendingOrder)  # by title
    (folder / "a.xml").write_text(letter_xml("Zeta, once Alpha", "1900-01-02"), "utf-8")
    update(window, qtbot, "a.xml")
    assert titles(window) == ["Beta letter", "Gamma letter", "Zeta, once Alpha"]
    assert window.collection.stats.parsed == 1  # only the changed file was read again


def test_a_folder_of_letters_moved_in_is_added(window, folder, tmp_path, qtbot) -> None:
    outside = tmp_path / "incoming"
    outside.mkdir()
    (outside / "e.xml").write_text(letter_xml("Epsilon letter", "1903-01-01"), "utf-8")
    os.rename(outside, folder / "incoming")
    update(window, qtbot, os.path.join("incoming", "e.xml"))
    assert "Epsilon letter" in titles(window)
    watched = window.indexer.watcher.watched_paths()
    assert str(folder / "incoming") in watched
    # And a letter written into the new folder later is noticed there.
    (folder / "incoming" / "f.xml").write_text(letter_xml("Phi letter", "1904-01-01"), "utf-8")
    update(window, qtbot, os.path.join("incoming", "f.xml"))
    assert titles(window)[-1] == "Phi letter"


@pytest.mark.slow
def test_changes_are_sent_after_a_quiet_spell(window, folder, qtbot) -> None:
    watcher = window.indexer.watcher
    watcher.delay_ms = 50
    with qtbot.waitSignal(watcher.changed, timeout=10000) as sent:
        (folder / "g.xml").write_text(letter_xml("Gamma two", "1905-01-01"), "utf-8")
        (folder / "h.xml").write_text(letter_xml("Eta letter", "1906-01-01"), "utf-8")
    assert "g.xml" in sent.args[0]
    assert window.wait_for_index(30000)
    # The second file arrived with the first or in a second update: both are listed.
    watcher.flush()
    assert window.wait_for_index(30000)
    assert {"Gamma two", "Eta letter"} <= set(titles(window))


def test_other_files_and_hidden_ones_are_not_sent(qtbot, folder) -> None:
    watcher = FolderWatcher(delay_ms=NEVER_MS)
    sent: list[list[str]] = []
    watcher.changed.connect(sent.append)
    watcher.watch(scan_tree(str(folder)))
    (folder / "notes.txt").write_text("not a letter", "utf-8")
    (folder / ".hidden.xml").write_text(letter_xml("Hidden", "1900-01-01"), "utf-8")
    (folder / "i.xml").write_text(letter_xml("Iota", "1900-01-01"), "utf-8")
    qtbot.waitUntil(lambda: "i.xml" in watcher.pending, timeout=10000)
    assert watcher.flush() == ["a.xml", "b.xml", "c.xml", "i.xml"]
    assert sent == [["a.xml", "b.xml", "c.xml", "i.xml"]]
    watcher.stop()
    assert not watcher.watching and watcher.flush() == []


@pytest.mark.slow
def test_an_update_keeps_the_lists_scroll_position_and_chosen_row(qtbot, tmp_path) -> None:
    folder = tmp_path / "d1" / "d2" / "d3" / "many"
    folder.mkdir(parents=True)
    for n in range(150):
        when = f"{1800 + n}-01-01"
        (folder / f"l{n:03}.xml").write_text(letter_xml(f"Letter {n}", when), "utf-8")
    cache = tmp_path / "cache"
    panel = LetterListPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 300)
    panel.set_index(index_folder(folder, cache_dir=cache))
    panel.show()
    qtbot.waitExposed(panel)
    table = panel.table
    # The open letter is near the top; the user has scrolled away from it.
    panel.set_current(str(folder / "l002.xml"))
    bar = table.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    middle = bar.value()
    assert middle > 0
    chosen = table.rowAt(table.viewport().height() // 2)
    table.setCurrentIndex(panel.model.index(chosen, 0))
    file = panel.model.summary(chosen).file
    # A letter older than all the others arrives: every row moves down one.
    (folder / "first.xml").write_text(letter_xml("First of all", "1700-01-01"), "utf-8")
    panel.set_index(index_folder(folder, cache_dir=cache, only=["first.xml"]))
    assert panel.model.rowCount() == 151
    assert bar.value() == middle
    row = table.currentIndex().row()
    assert row == chosen + 1 and panel.model.summary(row).file == file
    assert panel.table.selectionModel().isRowSelected(row)
    assert panel.model.index(3, 0).data(Qt.ItemDataRole.FontRole).bold()  # still marked


@pytest.mark.slow
def test_many_files_are_watched_a_chunk_at_a_time_up_to_the_limit(qtbot, tmp_path) -> None:
    from viewer.gui.collection_ui import SHARD_PATHS, WATCH_CHUNK

    folder = tmp_path / "many"
    folder.mkdir()
    count = SHARD_PATHS + WATCH_CHUNK + 7  # two watchers' worth, over several turns
    for n in range(count):
        (folder / f"l{n:05}.xml").touch()
    watcher = FolderWatcher(delay_ms=NEVER_MS)
    watcher.watch(scan_tree(str(folder)))
    assert len(watcher.watched_paths()) == WATCH_CHUNK  # the folder first, then files
    assert not watcher.settled
    qtbot.waitUntil(lambda: watcher.settled, timeout=30000)
    watched = watcher.watched_paths()
    assert len(watched) == count + 1 and len(set(watched)) == count + 1
    # A file written in place (no folder event) is noticed by its own watch.
    with open(folder / "l00042.xml", "a", encoding="utf-8") as stream:
        stream.write("<!-- more -->")
    qtbot.waitUntil(lambda: "l00042.xml" in watcher.pending, timeout=10000)
    # Beyond the limit only folders are watched.
    watcher.file_limit = 10
    watcher.watch(scan_tree(str(folder)))
    qtbot.waitUntil(lambda: watcher.settled, timeout=30000)
    assert len(watcher.watched_paths()) == 11
    watcher.stop()


def crowd_xml(title: str, people: list[tuple[str, str]]) -> str:
    refs = " ".join(f'<persName ref="#{pid}">{name}</persName>' for pid, name in people)
    persons = "".join(
        f'<person xml:id="{pid}"><persName>{name}</persName></person>' for pid, name in people
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>{title}</title></titleStmt>
<publicationStmt><p>t</p></publicationStmt><sourceDesc><p>t</p></sourceDesc></fileDesc>
</teiHeader><text><body><div type="letter"><p>{refs}</p></div></body>
<back><listPerson>{persons}</listPerson></back></text></TEI>
"""


@pytest.mark.slow
def test_an_update_keeps_the_registers_filter_scroll_and_chosen_row(qtbot, tmp_path) -> None:
    from viewer.gui.collection_ui import RegisterPanel

    folder = tmp_path / "d1" / "d2" / "d3" / "crowd"
    folder.mkdir(parents=True)
    people = [(f"p{n:03}", f"Person {n:03}") for n in range(300)]
    (folder / "a.xml").write_text(crowd_xml("A crowd", people), "utf-8")
    cache = tmp_path / "cache"
    panel = RegisterPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 300)
    panel.set_index(index_folder(folder, cache_dir=cache))
    panel.show()
    qtbot.waitExposed(panel)
    panel.search.setText("person")
    view = panel.view
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    middle = bar.value()
    row = view.rowAt(view.viewport().height() // 2)
    view.setCurrentIndex(panel.model.index(row, 0))
    chosen = panel.model.entity_at(row).id
    # A person sorting before all the others arrives: the rows move down one.
    (folder / "b.xml").write_text(crowd_xml("Another", [("aaron", "Person 000a")]), "utf-8")
    panel.set_index(index_folder(folder, cache_dir=cache, only=["b.xml"]))
    assert panel.search.text() == "person" and len(panel.entity_rows()) == 301
    assert bar.value() == middle
    assert view.currentIndex().row() == row + 1
    assert panel.model.entity_at(view.currentIndex().row()).id == chosen


def test_a_known_folder_shows_from_its_database_then_is_checked(
    make_window, tmp_path, folder, qtbot
) -> None:
    """Reopening lists the letters as the database has them, then shows what changed since."""
    cache = tmp_path / "cache"
    index_folder(folder, cache_dir=cache).close()
    (folder / "b.xml").write_text(letter_xml("Beta letter, revised", "1901-05-06"), "utf-8")
    window = make_window()
    window.indexer.cache_dir = cache
    window.indexer.watcher.delay_ms = NEVER_MS
    shown: list[list[str]] = []
    window.indexer.finished.connect(
        lambda index: shown.append(sorted(s.title for s in index.letters))
    )
    window.open_folder(str(folder))
    assert window.wait_for_index(30000)
    # First the database's letters (no file read), then the check's news.
    assert shown == [
        ["Alpha letter", "Beta letter", "Gamma letter"],
        ["Alpha letter", "Beta letter, revised", "Gamma letter"],
    ]
    assert sorted(titles(window)) == shown[-1]
    assert window.indexer.watcher.watching
    # Nothing changed since: the check finds nothing to show.
    window.indexer.shutdown()
    again = make_window()
    again.indexer.cache_dir = cache
    again.indexer.watcher.delay_ms = NEVER_MS
    shown.clear()
    again.indexer.finished.connect(lambda index: shown.append(len(index.letters)))
    again.open_folder(str(folder))
    assert again.wait_for_index(30000)
    assert shown == [3]
    assert again.indexer.watcher.watching
    again.indexer.shutdown()
