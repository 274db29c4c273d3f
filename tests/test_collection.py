"""The collection index without Qt: finding letters, the cache, filtering and search.

Small collections are written into tmp_path as real TEI files; the real
corpus (tests/data/editions) is indexed whole. Every index here gets its own
cache directory, so nothing touches the user's cache.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from testdata import CORPUS, require

import viewer.tei
import viewer.tei.extract
from viewer.collection import (
    CollectionIndex,
    cache_path,
    classify_file,
    fold_with_offsets,
    index_folder,
    locate,
)
from viewer.filtering import TextFilter, fold

ROOT = Path(__file__).resolve().parents[1]
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"

TEI_NS = "http://www.tei-c.org/ns/1.0"


def letter_xml(
    title: str,
    sender: tuple[str, str],
    recipient: tuple[str, str],
    when: str,
    body: str,
    people: dict[str, str] | None = None,
    places: dict[str, str] | None = None,
) -> str:
    """A small but complete TEI letter; ``body`` is the inner XML of one paragraph."""
    people = dict(people or {})
    people.setdefault(sender[0], sender[1])
    people.setdefault(recipient[0], recipient[1])
    persons = "".join(
        f'<person xml:id="{pid}"><persName>{name}</persName></person>'
        for pid, name in people.items()
    )
    place_list = ""
    if places:
        place_list = "<listPlace>" + "".join(
            f'<place xml:id="{pid}"><placeName>{name}</placeName></place>'
            for pid, name in places.items()
        ) + "</listPlace>"  # fmt: skip
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="{TEI_NS}">
  <teiHeader>
    <fileDesc><titleStmt><title>{title}</title></titleStmt>
      <publicationStmt><p>generated for a test</p></publicationStmt>
      <sourceDesc><p>none</p></sourceDesc></fileDesc>
    <profileDesc><correspDesc>
      <correspAction type="sent"><persName ref="#{sender[0]}">{sender[1]}</persName>
        <date when="{when}">{when}</date></correspAction>
      <correspAction type="received"><persName ref="#{recipient[0]}">{recipient[1]}</persName>
      </correspAction>
    </correspDesc></profileDesc>
  </teiHeader>
  <text><body><div type="letter"><p>{body}</p></div></body>
  <back><listPerson>{persons}</listPerson>{place_list}</back></text>
</TEI>
"""


REGISTER_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="{TEI_NS}">
  <teiHeader><fileDesc><titleStmt><title>Persons</title></titleStmt>
    <publicationStmt><p>x</p></publicationStmt><sourceDesc><p>x</p></sourceDesc></fileDesc>
  </teiHeader>
  <text><body><listPerson>
    <person xml:id="reg1"><persName>Regina Registrata</persName></person>
  </listPerson></body></text>
</TEI>
"""


def write_collection(folder: Path) -> dict[str, Path]:
    """Three letters (two mention Anna and Zürich), a register, a non-TEI XML, a text file."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sub").mkdir(exist_ok=True)
    files = {
        "a": folder / "a.xml",
        "b": folder / "sub" / "b.xml",
        "c": folder / "c.xml",
    }
    files["a"].write_text(
        letter_xml(
            "Letter A",
            ("anna", "Anna Zürcher"),
            ("bruno", "Bruno Straße"),
            "1900-01-02",
            'Dear <persName ref="#bruno">Bruno</persName>, I was in '
            '<placeName ref="#zh">Zürich</placeName> with <persName ref="#anna">Anna</persName>'
            "<lb/>and walked down the Große Straße.",
            places={"zh": "Zürich"},
        ),
        encoding="utf-8",
    )
    files["b"].write_text(
        letter_xml(
            "Letter B",
            ("bruno", "Bruno Straße"),
            ("anna", "Anna Zürcher"),
            "1901-05-06",
            'Dear <persName ref="#anna">Anna</persName>, <placeName ref="#zh">Zurich</placeName> '
            'again; <persName ref="#anna">you</persName> know it well.',
            places={"zh": "Zürich"},
        ),
        encoding="utf-8",
    )
    files["c"].write_text(
        letter_xml(
            "Letter C",
            ("carl", "Carl Dritter"),
            ("bruno", "Bruno Straße"),
            "1899-12-31",
            'Greetings to <persName ref="#bruno">Bruno</persName> and to '
            '<persName ref="#reg1">Regina</persName> from Paris.',
        ),
        encoding="utf-8",
    )
    (folder / "persons.xml").write_text(REGISTER_XML, encoding="utf-8")
    (folder / "mapping.xml").write_text("<mappingtable><area/></mappingtable>", encoding="utf-8")
    (folder / "notes.txt").write_text("not XML at all", encoding="utf-8")
    return files


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A folder four levels below tmp_path.

    The register catalog looks for register files in the sibling folders of a
    letter's ancestors, up to four levels up; under pytest those siblings are
    other tests' folders, which must not leak into these collections.
    """
    folder = tmp_path / "d1" / "d2" / "d3" / "d4"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def collection(home: Path, tmp_path: Path) -> tuple[Path, dict[str, Path], Path]:
    folder = home / "letters"
    files = write_collection(folder)
    return folder, files, tmp_path / "cache"


def files_of(index) -> set[str]:
    return {Path(summary.file).name for summary in index.letters}


# ------------------------------------------------------------------ indexing


def test_small_folder_finds_letters_and_skips_registers_and_other_xml(collection) -> None:
    folder, files, cache = collection
    index = index_folder(folder, cache_dir=cache)
    assert files_of(index) == {"a.xml", "b.xml", "c.xml"}
    assert index.errors == []
    assert index.stats.registers == 1
    assert index.stats.other == 1  # mapping.xml; notes.txt is not even looked at
    a = index.letter(str(files["a"]))
    assert a is not None
    assert a.title == "Letter A"
    assert a.when == "1900-01-02"
    assert a.senders == ("Anna Zürcher",)
    assert a.recipients == ("Bruno Straße",)
    assert a.mentions == 3


def test_the_same_id_in_several_letters_is_one_entity(collection) -> None:
    folder, files, cache = collection
    index = index_folder(folder, cache_dir=cache)
    anna = index.entity("anna")
    assert anna is not None
    assert anna.kind == "person" and anna.name == "Anna Zürcher"
    # Mentioned once in a.xml and twice in b.xml.
    assert anna.mentions == 3
    assert set(index.entity_letters("anna")) == {str(files["a"]), str(files["b"])}
    assert anna.letter_count == 2
    zurich = index.entity("zh")
    assert zurich is not None and zurich.kind == "place" and zurich.mentions == 2
    ids = [e.id for e in index.entities]
    assert len(ids) == len(set(ids))


def test_an_external_register_in_the_folder_resolves_names(collection) -> None:
    folder, _files, cache = collection
    index = index_folder(folder, cache_dir=cache)
    regina = index.entity("reg1")
    assert regina is not None
    assert regina.name == "Regina Registrata"


def test_json_shape(collection) -> None:
    folder, files, cache = collection
    data = index_folder(folder, cache_dir=cache).to_json()
    assert set(data) >= {"letters", "entities", "errors"}
    for letter in data["letters"]:
        assert set(letter) >= {"file", "title", "date", "sender", "recipient", "mentions"}
        assert isinstance(letter["mentions"], int)
    for entity in data["entities"]:
        assert set(entity) >= {"id", "kind", "name", "letters", "mentions"}
        assert isinstance(entity["letters"], list) and isinstance(entity["mentions"], int)
    a = next(letter for letter in data["letters"] if letter["file"] == str(files["a"]))
    assert a["date"] == "1900-01-02"
    assert a["sender"] == "Anna Zürcher"
    json.dumps(data)  # serialisable as it is


def test_empty_folder_gives_an_empty_index(home: Path, tmp_path: Path) -> None:
    (home / "empty").mkdir()
    index = index_folder(home / "empty", cache_dir=tmp_path / "cache")
    assert index.is_empty
    assert list(index.letters) == [] and list(index.entities) == [] and index.errors == []


def test_not_a_folder_is_an_epistola_error(tmp_path: Path) -> None:
    from viewer.errors import EpistolaError

    with pytest.raises(EpistolaError, match="is not a folder"):
        index_folder(tmp_path / "missing", cache_dir=tmp_path / "cache")


def test_broken_files_are_listed_and_the_rest_indexed(collection) -> None:
    folder, _files, cache = collection
    (folder / "broken.xml").write_text(
        f'<TEI xmlns="{TEI_NS}"><teiHeader><correspDesc></teiHeader>', encoding="utf-8"
    )
    (folder / "garbage.xml").write_bytes(b"\x00\x01\x02binary\xff" * 50)
    (folder / "empty.xml").write_bytes(b"")
    index = index_folder(folder, cache_dir=cache)
    assert files_of(index) == {"a.xml", "b.xml", "c.xml"}
    errors = {Path(e.file).name: e.message for e in index.errors}
    assert set(errors) == {"broken.xml", "garbage.xml", "empty.xml"}
    assert "well-formed" in errors["broken.xml"]
    assert "empty" in errors["empty.xml"]
    assert all(message for message in errors.values())


@pytest.mark.hostile
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_reported_and_never_opened(collection) -> None:
    import threading

    folder, _files, cache = collection
    os.mkfifo(folder / "pipe.xml")
    found = []
    worker = threading.Thread(
        target=lambda: found.append(index_folder(folder, cache_dir=cache)), daemon=True
    )
    worker.start()
    worker.join(20)
    assert found, "indexing blocked on a named pipe"
    (index,) = found
    assert files_of(index) == {"a.xml", "b.xml", "c.xml"}
    assert [(Path(e.file).name, "regular file" in e.message) for e in index.errors] == [
        ("pipe.xml", True)
    ]


def test_classify_tells_letters_registers_and_other_xml(collection) -> None:
    folder, files, _cache = collection
    assert classify_file(files["a"]) == "letter"
    assert classify_file(folder / "persons.xml") == "register"
    assert classify_file(folder / "mapping.xml") == "other"


# --------------------------------------------------------------- the corpus


@pytest.mark.slow
@pytest.mark.corpus
def test_the_real_corpus_has_87_letters_and_no_errors(tmp_path: Path) -> None:
    require(CORPUS)
    index = index_folder(CORPUS, cache_dir=tmp_path)
    assert len(index.letters) == 87
    assert index.errors == []
    letter_folders = ("editions", "briefe", "letters")
    for summary in index.letters:
        relative = Path(summary.file).relative_to(CORPUS)
        assert any(part in letter_folders for part in relative.parts), relative
    # Register files are read for the letters but never listed as letters.
    assert index.stats.registers >= 60
    assert not any("/register/" in s.file for s in index.letters)
    # Entities from the separate Jean Paul registers are merged across letters.
    jp = [e for e in index.entities if e.id.startswith("JP-")]
    assert jp, "no Jean Paul register entity was found"
    assert any(e.letter_count > 1 for e in index.entities)
    # The same folder in worker processes gives the same collection.
    again = index_folder(CORPUS, cache_dir=tmp_path / "other", mode="process")
    assert again.stats.mode == "process"
    assert [s.file for s in again.letters] == [s.file for s in index.letters]
    assert {(e.id, e.mentions, e.letter_count) for e in again.entities} == {
        (e.id, e.mentions, e.letter_count) for e in index.entities
    }


# ------------------------------------------------------------------- cache


class ParseCounter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.files: list[str] = []
        real = viewer.tei.extract.extract_file

        def counting(path, *args, **kwargs):
            result = real(path, *args, **kwargs)
            if result.get("kind") == "letter":
                self.files.append(Path(path).name)
            return result

        monkeypatch.setattr(viewer.tei.extract, "extract_file", counting)


def test_reopening_reads_only_changed_files(collection, monkeypatch) -> None:
    folder, files, cache = collection
    counter = ParseCounter(monkeypatch)
    first = index_folder(folder, cache_dir=cache, mode="serial")
    assert sorted(counter.files) == ["a.xml", "b.xml", "c.xml"]
    assert cache_path(folder, cache_dir=cache).is_file()

    counter.files.clear()
    second = index_folder(folder, cache_dir=cache, mode="serial")
    assert counter.files == []
    assert second.stats.parsed == 0
    assert [s.file for s in second.letters] == [s.file for s in first.letters]
    assert {e.id: e.mentions for e in second.entities} == {e.id: e.mentions for e in first.entities}
    assert second.search("Grosse Strasse")[0].start == first.search("Grosse Strasse")[0].start

    # Rewrite one letter (new title, new mtime): only that one is read again.
    text = files["b"].read_text(encoding="utf-8").replace("Letter B", "Letter B, revised")
    files["b"].write_text(text, encoding="utf-8")
    stat = files["b"].stat()
    os.utime(files["b"], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    counter.files.clear()
    third = index_folder(folder, cache_dir=cache, mode="serial")
    assert counter.files == ["b.xml"]
    assert third.stats.parsed == 1
    assert third.letter(str(files["b"])).title == "Letter B, revised"


def test_touching_a_file_rereads_it(collection, monkeypatch) -> None:
    folder, files, cache = collection
    index_folder(folder, cache_dir=cache, mode="serial")
    counter = ParseCounter(monkeypatch)
    stat = files["a"].stat()
    os.utime(files["a"], ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    index_folder(folder, cache_dir=cache, mode="serial")
    assert counter.files == ["a.xml"]


def test_removed_files_are_dropped(collection) -> None:
    folder, files, cache = collection
    index_folder(folder, cache_dir=cache)
    files["c"].unlink()
    index = index_folder(folder, cache_dir=cache)
    assert files_of(index) == {"a.xml", "b.xml"}
    assert index.stats.removed == 1
    assert index.entity("carl") is None  # only c.xml named Carl


def test_a_changed_register_rereads_its_letters(collection, monkeypatch) -> None:
    folder, _files, cache = collection
    index_folder(folder, cache_dir=cache, mode="serial")
    register = folder / "persons.xml"
    register.write_text(REGISTER_XML.replace("Regina Registrata", "Regina Renamed"), "utf-8")
    stat = register.stat()
    os.utime(register, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    counter = ParseCounter(monkeypatch)
    index = index_folder(folder, cache_dir=cache, mode="serial")
    assert "c.xml" in counter.files
    assert index.entity("reg1").name == "Regina Renamed"


def test_a_new_register_file_resolves_cached_letters(collection, monkeypatch) -> None:
    folder, _files, cache = collection
    (folder / "persons.xml").unlink()
    before = index_folder(folder, cache_dir=cache, mode="serial")
    assert before.entity("reg1") is None  # a dangling reference names no entity
    (folder / "persons.xml").write_text(REGISTER_XML, encoding="utf-8")
    counter = ParseCounter(monkeypatch)
    after = index_folder(folder, cache_dir=cache, mode="serial")
    assert sorted(counter.files) == ["a.xml", "b.xml", "c.xml"]
    assert after.entity("reg1").name == "Regina Registrata"
    assert not after.cancelled


@pytest.mark.slow
@pytest.mark.parametrize(
    "damage",
    [b"{not json", b"SQLite format 3\x00" + b"\xff" * 200, b"\xff\xfe\x00garbage", b""],
)
def test_a_damaged_database_is_set_aside_and_rebuilt_with_a_note(collection, damage) -> None:
    folder, _files, cache = collection
    index_folder(folder, cache_dir=cache).close()  # as when Epistola is not running
    target = cache_path(folder, cache_dir=cache)
    target.write_bytes(damage)
    for side in ("-wal", "-shm"):
        Path(f"{target}{side}").unlink(missing_ok=True)
    index = index_folder(folder, cache_dir=cache)
    assert files_of(index) == {"a.xml", "b.xml", "c.xml"}
    assert index.stats.parsed == 5  # every XML file looked at again
    if damage:  # an empty file is simply a new database, no note needed
        assert any("damaged" in note for note in index.notes)
        (aside,) = [p for p in target.parent.iterdir() if ".damaged-" in p.name and
                    not p.name.endswith(("-wal", "-shm"))]  # fmt: skip
        assert aside.read_bytes() == damage  # set aside, never deleted
    assert index_folder(folder, cache_dir=cache).stats.parsed == 0


def test_a_foreign_sqlite_database_is_never_overwritten(collection) -> None:
    folder, _files, cache = collection
    target = cache_path(folder, cache_dir=cache)
    target.parent.mkdir(parents=True)
    with sqlite3.connect(target) as other:
        other.execute("CREATE TABLE precious(x)")
        other.execute("INSERT INTO precious VALUES ('keep me')")
    other.close()
    index = index_folder(folder, cache_dir=cache)
    assert files_of(index) == {"a.xml", "b.xml", "c.xml"}
    assert any("not Epistola's collection database" in note for note in index.notes)
    (aside,) = [p for p in target.parent.iterdir() if ".damaged-" in p.name]
    with sqlite3.connect(aside) as kept:
        assert kept.execute("SELECT x FROM precious").fetchall() == [("keep me",)]
    kept.close()


def test_a_database_truncated_mid_write_never_crashes(collection) -> None:
    folder, _files, cache = collection
    index_folder(folder, cache_dir=cache).close()
    target = cache_path(folder, cache_dir=cache)
    with sqlite3.connect(target) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    raw = target.read_bytes()
    target.write_bytes(raw[: len(raw) // 2] + b"\x00" * 17)
    index = index_folder(folder, cache_dir=cache)  # must not raise
    assert files_of(index) == {"a.xml", "b.xml", "c.xml"}
    again = index_folder(folder, cache_dir=cache)
    assert files_of(again) == {"a.xml", "b.xml", "c.xml"}
    assert again.errors == []


def test_an_unwritable_cache_dir_is_a_note_not_a_crash(collection, tmp_path: Path) -> None:
    folder, _files, _cache = collection
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    index = index_folder(folder, cache_dir=blocker)
    assert files_of(index) == {"a.xml", "b.xml", "c.xml"}
    assert any("could not be written" in note for note in index.notes)


# ------------------------------------------------------------ cancel/progress


def test_progress_and_cancel(home: Path, tmp_path: Path) -> None:
    folder = home / "many"
    folder.mkdir()
    for n in range(30):
        (folder / f"l{n:02}.xml").write_text(
            letter_xml(f"L{n}", ("p", "P"), ("q", "Q"), "1900-01-01", "Hello."), "utf-8"
        )
    calls: list[tuple[int, int]] = []

    def cancel() -> bool:
        return len(calls) > 10

    index = index_folder(
        folder,
        cache_dir=tmp_path / "cache",
        mode="serial",
        progress=lambda done, total: calls.append((done, total)),
        cancel=cancel,
    )
    assert index.cancelled
    assert 0 < len(index.letters) < 30
    assert calls[0] == (0, 30)
    assert all(total == 30 for _done, total in calls)
    # What was read is kept: the next opening reads only the rest.
    calls.clear()
    rest = index_folder(folder, cache_dir=tmp_path / "cache", mode="serial")
    assert not rest.cancelled
    assert len(rest.letters) == 30
    assert rest.stats.parsed == 30 - len(index.letters)


@pytest.mark.slow
def test_cancel_stops_worker_processes(home: Path, tmp_path: Path) -> None:
    folder = home / "many"
    folder.mkdir()
    for n in range(200):
        (folder / f"l{n:03}.xml").write_text(
            letter_xml(f"L{n}", ("p", "P"), ("q", "Q"), "1900-01-01", "Hello. " * 200), "utf-8"
        )
    seen: list[int] = []
    index = index_folder(
        folder,
        cache_dir=tmp_path / "cache",
        mode="process",
        progress=lambda done, total: seen.append(done),
        cancel=lambda: bool(seen) and seen[-1] >= 20,
    )
    # Cancel is asked before each finished batch is taken, so the batch that crossed
    # 20 letters is the last one recorded, however fast the workers are (batches of 12
    # for 200 files on 2 workers: the second batch ends the run).
    assert index.cancelled
    assert len(index.letters) == 24
    assert seen[-1] == 24


# ------------------------------------------------------------------- filter


def test_letters_mentioning_one_and_several_entities(collection) -> None:
    folder, _files, cache = collection
    index = index_folder(folder, cache_dir=cache)

    def names(rows):
        return {Path(summary.file).name: count for summary, count in rows}

    assert names(index.letters_mentioning(["anna"])) == {"a.xml": 1, "b.xml": 2}
    assert names(index.letters_mentioning(["zh"])) == {"a.xml": 1, "b.xml": 1}
    # All: letters naming both; the count adds up their mentions.
    assert names(index.letters_mentioning(["anna", "bruno"], mode="all")) == {
        "a.xml": 2,
        "b.xml": 2,
    }
    assert names(index.letters_mentioning(["anna", "carl"], mode="all")) == {}
    assert names(index.letters_mentioning(["anna", "carl"], mode="any")) == {
        "a.xml": 1,
        "b.xml": 2,
        "c.xml": 0,  # Carl is only its sender: named, not mentioned in the text
    }
    assert names(index.letters_mentioning(["nobody"])) == {}
    assert len(index.letters_mentioning([])) == 3
    with pytest.raises(ValueError):
        index.letters_mentioning(["anna"], mode="some")


@pytest.mark.slow
def test_entity_filter_every_word_ignoring_case_and_accents(collection) -> None:
    folder, _files, cache = collection
    index = index_folder(folder, cache_dir=cache)
    assert [e.id for e in index.entity_filter("zurcher")] == ["anna"]
    assert [e.id for e in index.entity_filter("ANNA zür")] == ["anna"]
    assert [e.id for e in index.entity_filter("strasse")] == ["bruno"]
    assert index.entity_filter("anna bruno") == []
    assert len(index.entity_filter("")) == len(index.entities)
    places = index.entity_filter("", kind="place")
    assert [e.id for e in places] == ["zh"]
    narrowed = index.entity_positions("zu")
    assert [index.entities[i].id for i in index.entity_positions("zur", within=narrowed)] == [
        e.id for e in index.entity_filter("zur")
    ]


@pytest.mark.slow
def test_entity_search_agrees_with_the_panel_filter_rule() -> None:
    """Both scanning strategies (rare and common words) give TextFilter's answer."""
    first = ["Anna", "Ágnes", "Zoë", "Jörg", "Karl", "Maria", "Straße"]
    last = ["Müller", "Muller", "Čapek", "Kohl", "Annan", "Weiß", "Strasse"]
    kinds = ["person", "place", "organisation"]
    records = []
    n = 0
    for i in range(40):
        entities = []
        for _j in range(12):
            name = f"{first[n % 7]} {last[(n // 7) % 7]} {n}"
            entities.append([f"e{n}", 1 + n % 2, kinds[n % 3], name])
            n += 1
        letter = {"title": f"L{i}", "when": None, "dateText": "", "sortDate": "",
                  "senders": [], "recipients": [], "mentions": 1, "entities": entities,
                  "text": "", "letterheads": []}  # fmt: skip
        records.append((f"/c/{i}.xml", {"kind": "letter", "letter": letter}))
    index = CollectionIndex.from_records("/c", records)
    queries = ["a", "an", "ANNA", "muller", "müller anna", "capek", "e1", "weiss", "strasse",
               "zoe kohl 3", "ö", "nobody", "", "  ", "1 2"]  # fmt: skip
    for query in queries:
        rule = TextFilter(query)
        for kind in (None, *kinds):
            expected = [
                e.id
                for e in index.entities
                if rule.matches(e.name, e.id) and (kind is None or e.kind == kind)
            ]
            assert [e.id for e in index.entity_filter(query, kind=kind)] == expected, (query, kind)
    assert len(index.entities) == 480
    assert index.entity("e5").mentions == 2


# ------------------------------------------------------------------- search


def test_search_offsets_index_the_letter_text(collection) -> None:
    folder, _files, cache = collection
    index = index_folder(folder, cache_dir=cache)
    hits = index.search("zurich")
    assert {Path(h.file).name for h in hits} == {"a.xml", "b.xml"}
    for hit in hits:
        text = index.text_of(hit.file)
        assert fold(text[hit.start : hit.end]) == "zurich"
        assert hit.context[hit.match_start : hit.match_end] == text[hit.start : hit.end]
    # ß folds to ss: the offsets still land on the original characters.
    (hit,) = index.search("grosse strasse")
    text = index.text_of(hit.file)
    assert text[hit.start : hit.end] == "Große Straße"
    # A phrase matches across a line break.
    (hit,) = index.search("anna and walked")
    assert text[hit.start : hit.end] == "Anna\nand walked"
    assert "\n" not in hit.context
    assert index.search("   ") == []
    assert len(index.search("a", limit=2)) == 2


def test_search_real_letter(home: Path, tmp_path: Path) -> None:
    folder = home / "one"
    folder.mkdir()
    (folder / ICBL.name).write_bytes(ICBL.read_bytes())
    index = index_folder(folder, cache_dir=tmp_path / "cache")
    hits = index.search("Azerbaijan")
    assert len(hits) >= 5
    text = index.text_of(hits[0].file)
    assert all(text[h.start : h.end] == "Azerbaijan" for h in hits)


def test_find_spans_agrees_with_folding_every_character() -> None:
    import random

    from viewer.folding import find_spans, original_span, phrase_pattern

    rng = random.Random(3)
    alphabet = "aAsSeE ßẞﬁﬀİſéÉœ\u0301\u05b0ǅ①²Ω\n"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        query = "".join(rng.choice("ase ") for _ in range(rng.randint(1, 3)))
        pattern = phrase_pattern(query)
        if pattern is None:
            continue
        folded, offsets = fold_with_offsets(text)
        expected = [
            original_span(offsets, m.start(), m.end(), text) for m in pattern.finditer(folded)
        ]
        assert find_spans(pattern, text) == expected, (text, query)


def test_fold_with_offsets_and_locate() -> None:
    folded, offsets = fold_with_offsets("Straße ﬁx É")
    assert folded == "strasse fix e"
    assert offsets is not None and len(offsets) == len(folded)
    assert fold_with_offsets("Zürich") == ("zurich", None)
    text = "one Zürich two zurich three ZURICH"
    assert locate(text, "zurich", near=0) == (4, 10)
    assert locate(text, "zurich", near=16) == (15, 21)
    assert locate(text, "zurich", near=100) == (28, 34)
    assert locate(text, "geneva") is None


# -------------------------------------------------------------- command line


def _run_cli(*args: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "EPISTOLA_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.e2e
def test_index_on_the_command_line(collection, tmp_path: Path) -> None:
    folder, files, cache = collection
    (folder / "broken.xml").write_text(f'<TEI xmlns="{TEI_NS}"><text>', encoding="utf-8")
    result = _run_cli("--index", str(folder), cache=cache)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout.decode("utf-8"))
    assert {Path(letter["file"]).name for letter in data["letters"]} == {"a.xml", "b.xml", "c.xml"}
    assert [Path(error["file"]).name for error in data["errors"]] == ["broken.xml"]
    anna = next(e for e in data["entities"] if e["id"] == "anna")
    assert anna == {
        "id": "anna",
        "kind": "person",
        "name": "Anna Zürcher",
        "letters": [str(files["a"]), str(files["b"])],
        "mentions": 3,
    }
    assert b"Traceback" not in result.stderr


@pytest.mark.slow
@pytest.mark.e2e
def test_index_of_a_folder_without_letters_exits_2(home: Path, tmp_path: Path) -> None:
    folder = home / "no letters"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a letter", encoding="utf-8")
    (folder / "mapping.xml").write_text("<mappingtable/>", encoding="utf-8")
    result = _run_cli("--index", str(folder), cache=tmp_path / "cache")
    assert result.returncode == 2
    assert result.stdout == b""
    lines = result.stderr.decode().strip().splitlines()
    assert lines == [f"epistola: {folder}: holds no letters (its one XML file is not a TEI letter)"]


@pytest.mark.slow
@pytest.mark.e2e
def test_index_of_something_that_is_not_a_folder_exits_2(tmp_path: Path) -> None:
    result = _run_cli("--index", str(tmp_path / "nowhere"), cache=tmp_path / "cache")
    assert result.returncode == 2
    assert result.stdout == b""
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "is not a folder" in lines[0]


def test_loose_files_are_searched_in_both_readings_as_a_folders_letters_are(
    tmp_path: Path,
) -> None:
    from viewer.collection import index_files
    from viewer.tei import read_letter

    folder = tmp_path / "loose"
    folder.mkdir()
    (folder / ".git").mkdir()  # register discovery stays here
    path = folder / "choice.xml"
    body = "Er <choice><sic>shreibt</sic><corr>schreibt</corr></choice> an Anna."
    path.write_text(
        letter_xml("Brief", ("a", "Anna Weber"), ("b", "Ben Berg"), "1890-01-02", body),
        encoding="utf-8",
    )
    plain = folder / "plain.xml"
    plain.write_text(
        letter_xml("Karte", ("a", "Anna Weber"), ("b", "Ben Berg"), "1890-01-03", "Kein Fehler."),
        encoding="utf-8",
    )
    read = index_files([path, plain])
    given = index_files([path, plain], letters={str(path): read_letter(path)})  # as the window
    folder_index = index_folder(folder, cache_dir=tmp_path / "cache")
    for index in (read, folder_index):
        for query in ("schreibt", "shreibt"):  # the normalised reading, then the diplomatic
            assert [hit.file for hit in index.search(query)] == [str(path)], (index, query)
        assert [hit.file for hit in index.search("Kein Fehler")] == [str(plain)]
    # A letter handed over already read (the window's open one) is searched in its reading:
    # reading its other one would load the parser into the window's process.
    assert [hit.file for hit in given.search("schreibt")] == [str(path)]
    assert given.search("shreibt") == []
    assert [hit.file for hit in given.search("Kein Fehler")] == [str(plain)]
