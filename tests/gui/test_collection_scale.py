"""The letter list over a collection of thousands of letters: rows paged, never all read.

A folder of 3,000 small generated letters is indexed once (into tmp, by the real
indexer); the list shows it, sorts it by every column, narrows it by an entity
and marks the open letter while reading only the summaries of the rows asked for.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from viewer.collection import index_folder
from viewer.filtering import fold
from viewer.gui.collection_ui import CACHED_ROWS, FETCH_ROWS, LetterListModel, LetterListPanel

pytestmark = pytest.mark.gui

TEI_NS = "http://www.tei-c.org/ns/1.0"
LETTERS = 3000
SENDERS = [f"{first} {last}" for first in ("Ada", "Émile", "Olga", "Ünal", "bert") for last in
           ("Zweig", "Abel", "Öhl", "Mann")]  # fmt: skip
PEOPLE = {f"p{n}": name for n, name in enumerate(SENDERS)}


def letter_xml(n: int, rng: random.Random) -> tuple[str, dict]:
    sender, recipient = rng.sample(sorted(PEOPLE), 2)
    year = 1800 + rng.randrange(150)
    when = f"{year}-{rng.randrange(1, 13):02}-{rng.randrange(1, 29):02}"
    title = f"Letter {rng.randrange(100000):05} from {PEOPLE[sender]}"
    mentions = rng.randrange(0, 4)
    body = " ".join(
        f'<persName ref="#{sender}">{PEOPLE[sender]}</persName>' for _ in range(mentions)
    )
    persons = "".join(
        f'<person xml:id="{pid}"><persName>{PEOPLE[pid]}</persName></person>'
        for pid in (sender, recipient)
    )
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>{title}</title></titleStmt>
<publicationStmt><p>t</p></publicationStmt><sourceDesc><p>t</p></sourceDesc></fileDesc>
<profileDesc><correspDesc>
<correspAction type="sent"><persName ref="#{sender}">{PEOPLE[sender]}</persName>
<date when="{when}">{when}</date></correspAction>
<correspAction type="received"><persName ref="#{recipient}">{PEOPLE[recipient]}</persName>
</correspAction></correspDesc></profileDesc></teiHeader>
<text><body><div type="letter"><p>Number {n}. {body}</p></div></body>
<back><listPerson>{persons}</listPerson></back></text></TEI>
"""
    facts = {
        "file": f"l{n:05}.xml",
        "title": title,
        "date": when,
        "sender": PEOPLE[sender],
        "recipient": PEOPLE[recipient],
        "sender_id": sender,
        "mentions": mentions,
    }
    return xml, facts


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """3,000 letters indexed once for the module: (index, facts per file name)."""
    # Four levels down: register discovery looks beside a letter's ancestors.
    folder = tmp_path_factory.mktemp("scale") / "d1" / "d2" / "d3" / "letters"
    folder.mkdir(parents=True)
    rng = random.Random(11)
    facts = {}
    for n in range(LETTERS):
        xml, fact = letter_xml(n, rng)
        (folder / fact["file"]).write_text(xml, encoding="utf-8")
        facts[fact["file"]] = fact
    index = index_folder(folder, cache_dir=folder.parent / "cache")
    assert len(index) == LETTERS and not index.errors
    return index, facts


class Unlisted(Sequence):
    """Stands in for ``index.letters``: its length is known, reading it all fails the test."""

    def __init__(self, length: int) -> None:
        self._length = length

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, position):
        raise AssertionError("the letter list read index.letters row by row")

    def __iter__(self) -> Iterator:
        raise AssertionError("the letter list iterated every letter")


@pytest.fixture
def counted(big, monkeypatch):
    """The index with its summaries counted and its letters unreadable as a whole."""
    index, facts = big
    fetched: list[int] = []
    summaries = type(index).summaries

    def counting(ids):
        fetched.extend(ids)
        return summaries(index, ids)

    monkeypatch.setattr(index, "summaries", counting)
    monkeypatch.setattr(index, "letters", Unlisted(len(index)))
    return index, facts, fetched


def shown(panel: LetterListPanel, column: int, rows: int = 40) -> list[str]:
    model = panel.model
    return [model.index(row, column).data() for row in range(min(rows, model.rowCount()))]


def shown_files(panel: LetterListPanel, rows: int = 40) -> list[str]:
    model = panel.model
    return [
        Path(model.index(row, 0).data(Qt.ItemDataRole.UserRole)).name
        for row in range(min(rows, model.rowCount()))
    ]


def expected(facts: dict, key, rows: int = 40, reverse: bool = False) -> list[str]:
    return [f["file"] for f in sorted(facts.values(), key=key, reverse=reverse)][:rows]


@pytest.mark.slow
def test_the_list_pages_and_sorts_thousands_of_letters(qtbot, counted) -> None:
    index, facts, fetched = counted
    panel = LetterListPanel()
    qtbot.addWidget(panel)
    panel.resize(700, 500)
    panel.set_index(index)
    panel.show()
    qtbot.waitExposed(panel)
    model = panel.model
    assert model.rowCount() == LETTERS
    assert panel.summary_label.text() == f"{LETTERS:,} letters in letters"
    # The model holds ids, not summaries.
    assert len(model.ids()) == LETTERS and all(type(i) is int for i in model.ids())

    # By date, oldest first (ties by path), then by each column, both ways.
    by_date = expected(facts, lambda f: (f["date"], f["file"]))
    assert shown_files(panel) == by_date
    table = panel.table
    table.sortByColumn(LetterListModel.SENDER, Qt.SortOrder.AscendingOrder)
    key = lambda f: (fold(f["sender"]), f["date"], f["file"])  # noqa: E731
    assert shown_files(panel) == expected(facts, key)
    assert shown(panel, LetterListModel.SENDER)[0] == "Ada Abel"
    table.sortByColumn(LetterListModel.RECIPIENT, Qt.SortOrder.DescendingOrder)
    key = lambda f: (fold(f["recipient"]), f["date"], f["file"])  # noqa: E731
    assert shown_files(panel) == expected(facts, key, reverse=True)
    table.sortByColumn(LetterListModel.TITLE, Qt.SortOrder.AscendingOrder)
    key = lambda f: (fold(f["title"]), f["file"])  # noqa: E731
    assert shown_files(panel) == expected(facts, key)
    table.sortByColumn(LetterListModel.DATE, Qt.SortOrder.DescendingOrder)
    assert shown_files(panel) == expected(facts, lambda f: (f["date"], f["file"]), reverse=True)
    # The last rows, scrolled to, are read when shown.
    table.scrollToBottom()
    last = model.index(LETTERS - 1, 0).data(Qt.ItemDataRole.UserRole)
    assert Path(last).name == by_date[0]

    # A few blocks per sort, never the whole collection.
    # (A block for each order's first screen, one for the last screen.)
    assert len(fetched) <= 8 * FETCH_ROWS, len(fetched)
    assert model.cached_count() <= min(len(set(fetched)), CACHED_ROWS)


@pytest.mark.slow
def test_an_entity_narrows_and_the_mentions_column_sorts(qtbot, counted) -> None:
    index, facts, fetched = counted
    panel = LetterListPanel()
    qtbot.addWidget(panel)
    panel.set_index(index)
    panel.show()
    naming = {f["file"]: f["mentions"] for f in facts.values() if f["sender_id"] == "p0"}
    panel.set_filter({"p0"})
    model = panel.model
    # Every letter Ada Zweig sends names her (in its metadata); some also receive from her.
    assert set(naming) <= {Path(s.file).name for s, _c in panel.rows()}
    assert not panel.table.isColumnHidden(LetterListModel.COUNT)
    panel.table.sortByColumn(LetterListModel.COUNT, Qt.SortOrder.DescendingOrder)
    counts = [model.count(row) for row in range(model.rowCount())]
    assert counts == sorted(counts, reverse=True) and counts[0] == 3
    assert [model.index(r, LetterListModel.COUNT).data() for r in range(5)] == counts[:5]
    fetched.clear()
    panel.set_filter(())
    panel.table.sortByColumn(LetterListModel.DATE, Qt.SortOrder.AscendingOrder)
    assert model.rowCount() == LETTERS
    assert len(fetched) < LETTERS // 4


@pytest.mark.slow
def test_the_open_letter_is_found_by_id_and_marked(qtbot, counted) -> None:
    index, facts, fetched = counted
    panel = LetterListPanel()
    qtbot.addWidget(panel)
    panel.set_index(index)
    panel.show()
    target = sorted(facts)[1234]
    file = str(Path(index.folder) / target)
    fetched.clear()
    panel.set_current(file)
    row = panel.model.row_of(file)
    assert Path(panel.model.summary(row).file).name == target
    assert panel.table.selectionModel().isRowSelected(row)
    font = panel.model.index(row, LetterListModel.TITLE).data(Qt.ItemDataRole.FontRole)
    assert font is not None and font.bold()
    assert panel.model.row_of(str(Path(index.folder) / "elsewhere.xml")) == -1
    # Finding the row read no other letters than those shown around it.
    assert len(fetched) <= 4 * FETCH_ROWS
