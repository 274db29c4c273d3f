"""The collection's SQLite database: resuming after a kill, two processes at once, --search."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from viewer.collection import cache_path, index_folder

ROOT = Path(__file__).resolve().parents[1]
TEI_NS = "http://www.tei-c.org/ns/1.0"


def write_letters(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        body = (
            f'Dear <persName ref="#p{i % 7}">Person {i % 7}</persName>, greetings from '
            f'<placeName ref="#z">Zürich</placeName>, letter number w{i}.'
        )
        (folder / f"l{i:04}.xml").write_text(
            f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>Letter {i}'
            "</title></titleStmt></fileDesc></teiHeader><text><body><p>"
            f"{body}</p></body><back><listPerson>"
            + "".join(
                f'<person xml:id="p{n}"><persName>Person {n}</persName></person>' for n in range(7)
            )
            + '</listPerson><listPlace><place xml:id="z"><placeName>Zürich</placeName></place>'
            "</listPlace></back></text></TEI>",
            encoding="utf-8",
        )


def run_python(code: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


KILL_MIDWAY = """
import os, signal, sys
import viewer.collection as collection
collection.BATCH_ROWS = 20
def progress(done, total):
    if done == 130:
        os.kill(os.getpid(), signal.SIGKILL)
collection.index_folder(sys.argv[1], cache_dir=sys.argv[2], mode="serial", progress=progress)
"""


@pytest.mark.slow
def test_a_kill_mid_index_leaves_a_database_that_opens_and_resumes(tmp_path: Path) -> None:
    folder, cache = tmp_path / "letters", tmp_path / "cache"
    write_letters(folder, 200)
    child = run_python(KILL_MIDWAY, str(folder), str(cache))
    child.communicate(timeout=300)
    assert child.returncode == -9  # killed, as a crash or a power cut would
    index = index_folder(folder, cache_dir=cache, mode="serial")
    assert index.notes == []
    # Every batch written before the kill is kept; only the rest is read again.
    assert index.stats.cached >= 120 and index.stats.parsed == 200 - index.stats.cached
    assert len(index.letters) == 200
    assert index.entity("p3").letter_count == len([i for i in range(200) if i % 7 == 3])
    assert [h.file for h in index.search("w199")] == [str(folder / "l0199.xml")]


def test_a_schema_committed_by_another_process_mid_check_is_not_foreign(tmp_path: Path) -> None:
    """The interleaving that set a fresh database aside, made deterministic.

    Another process commits the schema right when this one starts reading the
    table count, after it read the application id (a trace callback runs the
    other writer at that point). Both must come from one snapshot.
    """
    from viewer.store import Store, _ensure_schema

    database = tmp_path / "c.sqlite"
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("PRAGMA journal_mode=WAL")  # as the other Store sets it before its schema
    checking = sqlite3.connect(database, isolation_level=None)
    interleaved = []

    def other_commits_midway(statement: str) -> None:
        if "sqlite_master" in statement and not interleaved:
            interleaved.append(statement)
            _ensure_schema(other)

    checking.set_trace_callback(other_commits_midway)
    from viewer.store import _is_ours_inside

    assert _is_ours_inside(checking)
    assert interleaved  # the other writer did commit in the middle of the check
    checking.close()
    other.close()
    store = Store(database)
    assert store.notes == [] and not store.in_memory
    store.close()


INDEX_AND_REPORT = """
import json, sys
import viewer.collection as collection
collection.BATCH_ROWS = 10  # many small transactions, so that the two interleave
index = collection.index_folder(sys.argv[1], cache_dir=sys.argv[2], mode="serial")
print(json.dumps([len(index.letters), index.entity("z").mentions, index.notes]))
"""


@pytest.mark.slow
def test_two_processes_indexing_one_collection_do_not_corrupt_it(tmp_path: Path) -> None:
    folder, cache = tmp_path / "letters", tmp_path / "cache"
    write_letters(folder, 150)
    children = [run_python(INDEX_AND_REPORT, str(folder), str(cache)) for _ in range(2)]
    outputs = [child.communicate(timeout=300) for child in children]
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err.decode()
        assert json.loads(out) == [150, 150, []]
    database = cache_path(folder, cache_dir=cache)
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT count(*) FROM letters").fetchone() == (150,)
    db.close()
    again = index_folder(folder, cache_dir=cache)
    assert again.stats.parsed == 0 and len(again.letters) == 150


def test_reopening_lists_letters_without_reading_any_file(tmp_path: Path, monkeypatch) -> None:
    folder, cache = tmp_path / "letters", tmp_path / "cache"
    write_letters(folder, 30)
    index_folder(folder, cache_dir=cache, mode="serial").close()
    import viewer.collection as collection

    def no_reading(*_args, **_kwargs):
        raise AssertionError("a file was read")

    monkeypatch.setattr(collection, "index_file", no_reading)
    again = index_folder(folder, cache_dir=cache, mode="serial")
    assert [s.title for s in again.letters] == [f"Letter {i}" for i in range(30)]
    assert again.entity("z").mentions == 30


def test_removed_and_changed_files_update_the_database(tmp_path: Path) -> None:
    folder, cache = tmp_path / "letters", tmp_path / "cache"
    write_letters(folder, 10)
    index_folder(folder, cache_dir=cache, mode="serial").close()
    (folder / "l0003.xml").unlink()
    changed = folder / "l0004.xml"
    changed.write_text(
        changed.read_text(encoding="utf-8").replace("Letter 4<", "Letter four<"), encoding="utf-8"
    )
    index = index_folder(folder, cache_dir=cache, mode="serial")
    assert (index.stats.parsed, index.stats.removed) == (1, 1)
    assert [s.title for s in index.letters][3] == "Letter four"
    assert len(index.letters) == 9 and index.entity("z").mentions == 9
    assert index.search("w3") == []
    # The watcher's way: only the files it names are looked at.
    (folder / "l0005.xml").unlink()
    later = index_folder(folder, cache_dir=cache, mode="serial", only=["l0005.xml"])
    assert (later.stats.parsed, later.stats.removed) == (0, 1)
    assert len(later.letters) == 8


def test_search_finds_either_reading_and_words_by_their_beginning(tmp_path: Path) -> None:
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "a.xml").write_text(
        f'<TEI xmlns="{TEI_NS}"><text><body><p>Vnsere <choice><orig>Reyse</orig>'
        "<reg>Reise</reg></choice> nach Zürich war lang.</p></body></text></TEI>",
        encoding="utf-8",
    )
    index = index_folder(folder, cache_dir=tmp_path / "cache", mode="serial")
    text = index.text_of(str(folder / "a.xml"))
    (hit,) = index.search("reise nach zur")
    assert text[hit.start : hit.end] == "Reise nach Zür" and hit.reading == ""
    assert index.search("eise") == []  # words match by their beginning
    assert len(index.search("zurich war")) == 1


def test_cli_search_prints_hits_in_collection_order(tmp_path: Path) -> None:
    folder = tmp_path / "letters"
    write_letters(folder, 12)
    env = {**os.environ, "EPISTOLA_CACHE_DIR": str(tmp_path / "cache")}
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--search", "greetings from zurich", str(folder)],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    data = json.loads(result.stdout)
    assert [Path(h["file"]).name for h in data["hits"]] == [f"l{i:04}.xml" for i in range(12)]
    for hit in data["hits"]:
        assert set(hit) >= {"file", "start", "end", "context"}
        assert "greetings from Zürich" in hit["context"]
        assert hit["end"] - hit["start"] == len("greetings from Zürich")
    missing = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--search", "x", str(tmp_path / "nowhere")],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert missing.returncode != 0 and b"Traceback" not in missing.stderr
    assert b"is not a folder" in missing.stderr


def test_a_full_disk_mid_index_keeps_the_collection_in_memory(tmp_path: Path, monkeypatch) -> None:
    folder, cache = tmp_path / "letters", tmp_path / "cache"
    write_letters(folder, 12)
    from viewer.store import StoreWriter

    real = StoreWriter.put_many

    def full_disk(self, db, items):
        if self.store.path is not None:
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, db, items)

    monkeypatch.setattr(StoreWriter, "put_many", full_disk)
    index = index_folder(folder, cache_dir=cache, mode="serial")
    assert len(index.letters) == 12 and index.store.in_memory
    assert any("could not be written (database or disk is full)" in n for n in index.notes)
    database = cache_path(folder, cache_dir=cache)
    assert database.exists()  # kept, not set aside as damaged
    assert not [p for p in database.parent.iterdir() if ".damaged-" in p.name]


def test_open_collection_reads_the_database_only(tmp_path: Path, monkeypatch) -> None:
    from viewer import collection
    from viewer.collection import open_collection

    folder, cache = tmp_path / "letters", tmp_path / "cache"
    write_letters(folder, 20)
    assert open_collection(folder, cache_dir=cache) is None  # no database yet

    def cancel_at_once() -> bool:
        return True

    index_folder(folder, cache_dir=cache, mode="serial", cancel=cancel_at_once).close()
    assert open_collection(folder, cache_dir=cache) is None  # never indexed to the end
    index_folder(folder, cache_dir=cache, mode="serial").close()

    def no_looking(*_args, **_kwargs):
        raise AssertionError("the folder was looked at")

    monkeypatch.setattr(collection.os, "walk", no_looking)
    monkeypatch.setattr(collection, "index_file", no_looking)
    index = open_collection(folder, cache_dir=cache)
    assert index is not None
    assert [s.title for s in index.letters] == [f"Letter {i}" for i in range(20)]
    assert index.entity("z").mentions == 20 and index.errors == []
    # Written by other parsing code: not shown as it is.
    monkeypatch.setattr(collection, "_parser_fingerprint", lambda: "other code")
    assert open_collection(folder, cache_dir=cache) is None


def test_letters_are_stored_in_the_collections_order_whatever_order_workers_finish(
    tmp_path: Path,
) -> None:
    folder, cache = tmp_path / "letters", tmp_path / "cache"
    write_letters(folder, 150)
    index = index_folder(folder, cache_dir=cache, mode="process", workers=2)
    assert index.stats.mode == "process"
    # Ids follow the paths' order, so the search can walk its index in id order.
    rows = index.store.connection().execute("SELECT id, rel FROM letters ORDER BY id").fetchall()
    assert [rel for _id, rel in rows] == sorted(rel for _id, rel in rows)
    hits = index.search("greetings", limit=10)
    assert [Path(h.file).name for h in hits] == [f"l{i:04}.xml" for i in range(10)]


def test_index_json_lists_each_entitys_letters_by_path_after_files_are_added(
    tmp_path: Path,
) -> None:
    # Letter ids follow the order files were stored in, not their paths: files added
    # later (here with names that sort first, one of them not ASCII) must still come
    # in path order, as SQL's BINARY collation orders them (UTF-8 bytes).
    folder, cache = tmp_path / "letters", tmp_path / "cache"
    write_letters(folder / "m", 4)
    index_folder(folder, cache_dir=cache, mode="serial").close()
    write_letters(folder / "Ä", 2)
    write_letters(folder / "a", 2)
    index = index_folder(folder, cache_dir=cache, mode="serial")
    try:
        entities = {entity["id"]: entity for entity in index.to_json()["entities"]}
        with sqlite3.connect(index.store.path) as db:
            expected = [
                row[0]
                for row in db.execute(
                    "SELECT l.rel FROM mentions m JOIN letters l ON l.id = m.letter"
                    " JOIN entities e ON e.id = m.entity WHERE e.key = 'z' ORDER BY l.rel"
                )
            ]
    finally:
        index.close()
    files = entities["z"]["letters"]
    assert len(files) == 8
    assert [Path(f).relative_to(folder).as_posix() for f in files] == expected
    assert [Path(f).parent.name for f in files] == ["a", "a", "m", "m", "m", "m", "Ä", "Ä"]
    assert entities["p0"]["letters"] == [
        str(folder / name) for name in ("a/l0000.xml", "m/l0000.xml", "Ä/l0000.xml")
    ]
