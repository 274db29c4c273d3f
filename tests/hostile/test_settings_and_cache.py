"""Hostile settings and cache files, and writes interrupted at the worst moment.

tests/test_settings.py (the settings' own tests) covers the ordinary damage:
bad JSON, wrong types, a folder in place of the file. Here: files built to hurt
(100 MB, a symbolic-link loop, a named pipe, invalid UTF-8, 100,000 levels of
nesting) and crashes in the middle of a save, simulated in-process and by
killing a real process. Each damaged file must give defaults, be kept aside
(byte for byte where it has bytes), produce exactly one warning, and leave
the next run quiet.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from viewer.settings import SETTINGS_FILE, Settings

from .hostile_support import REPO, run_epistola, tei

pytestmark = pytest.mark.hostile


def _kept_aside(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{SETTINGS_FILE}.corrupt-*"))


def _assert_defaults(settings: Settings) -> None:
    fresh = Settings(settings.directory)
    for name in Settings.fields():
        assert getattr(settings, name) == getattr(fresh, name), name


def _big_file(path: Path) -> bytes:
    """100 MB that starts like a settings file: the reader must not swallow it whole."""
    with open(path, "wb") as stream:
        stream.write(b'{"zoom": 3, "last_letter": "')
        stream.truncate(100 * 1024 * 1024)
    return b'{"zoom": 3, "last_letter": "'


def _symlink_loop(path: Path) -> None:
    os.symlink(path.with_name("other.json"), path)
    os.symlink(path, path.with_name("other.json"))


# name -> (make(path) -> bytes kept aside or None, fragment of the warning)
DAMAGE = {
    "100-MB": (_big_file, "larger than"),
    "invalid-utf-8": (lambda p: p.write_bytes(b'{"last_letter": "caf\xe9"}'), "not UTF-8"),
    "utf-16": (lambda p: p.write_bytes('{"zoom": 2}'.encode("utf-16")), "not UTF-8"),
    "nested-100000": (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "nested too deeply"),
    "nested-objects": (lambda p: p.write_text('{"a":' * 50_000 + "1" + "}" * 50_000), ""),
    "nul-bytes": (lambda p: p.write_bytes(b"\x00" * 4096), "not valid JSON"),
    "truncated": (lambda p: p.write_text('{"zoom": 3, "reading": "dipl'), "not valid JSON"),
    "folder": (lambda p: p.mkdir(), ""),
    "symlink-loop": (_symlink_loop, "Too many levels of symbolic links"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(DAMAGE))
def test_damaged_settings_give_defaults_one_warning_and_are_kept(name, tmp_path):
    make, fragment = DAMAGE[name]
    path = tmp_path / SETTINGS_FILE
    make(path)
    size = path.lstat().st_size if not path.is_dir() else None
    head = path.read_bytes()[:64] if path.is_file() else None

    started = time.monotonic()
    settings = Settings(tmp_path).load()
    assert time.monotonic() - started < 10  # a hang guard, not a measurement
    _assert_defaults(settings)
    assert len(settings.warnings) == 1, settings.warnings
    warning = settings.warnings[0]
    assert fragment in warning and str(path) in warning and "defaults are used" in warning

    [kept] = _kept_aside(tmp_path)
    assert str(kept) in warning
    assert not os.path.lexists(path)
    if head is not None:
        assert kept.lstat().st_size == size
        assert kept.read_bytes()[:64] == head

    settings.zoom = 4
    assert settings.save() is True
    again = Settings(tmp_path).load()
    assert again.warnings == [] and again.zoom == 4  # the warning is shown once
    assert _kept_aside(tmp_path) == [kept]


def _child(code: str, env: dict[str, str], timeout: float = 20) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_settings_file_that_is_a_named_pipe_does_not_block(tmp_path):
    os.mkfifo(tmp_path / SETTINGS_FILE)
    code = """
        from viewer.settings import Settings
        s = Settings().load()
        print(len(s.warnings), s.zoom)
    """
    try:
        result = _child(code, {"EPISTOLA_CONFIG_DIR": str(tmp_path)}, timeout=8)
    except subprocess.TimeoutExpired:
        pytest.fail("loading settings blocked on a named pipe")
    assert result.stdout.split() == ["1", "0"], result.stderr


def test_settings_folder_that_is_a_file_warns_and_does_not_raise(tmp_path):
    (tmp_path / "config").write_text("I am a file")
    settings = Settings(tmp_path / "config").load()
    _assert_defaults(settings)
    assert len(settings.warnings) == 1 and "Not a directory" in settings.warnings[0]
    settings.zoom = 2
    assert settings.save() is False
    assert 1 <= len(settings.warnings) <= 2
    assert (tmp_path / "config").read_text() == "I am a file"


# ------------------------------------------------------- crashes mid-write


def test_failed_rename_loses_nothing(tmp_path, monkeypatch):
    settings = Settings(tmp_path).load()
    settings.zoom = 3
    settings.recent_files = ["/letters/a.xml"]
    assert settings.save() is True
    before = (tmp_path / SETTINGS_FILE).read_bytes()

    def crash(*_args, **_kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", crash)
    settings.zoom = 7
    assert settings.save() is False
    assert (tmp_path / SETTINGS_FILE).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [SETTINGS_FILE]  # no temporary litter
    assert "could not be saved" in settings.warnings[0]


def test_full_disk_while_writing_loses_nothing(tmp_path, monkeypatch):
    settings = Settings(tmp_path).load()
    settings.zoom = 3
    assert settings.save() is True
    before = (tmp_path / SETTINGS_FILE).read_bytes()
    real_fsync = os.fsync

    def full(descriptor):
        if os.path.basename(os.readlink(f"/proc/self/fd/{descriptor}")).endswith(".tmp"):
            raise OSError(28, "No space left on device")
        return real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", full)
    settings.zoom = 8
    assert settings.save() is False
    assert (tmp_path / SETTINGS_FILE).read_bytes() == before
    assert "No space left on device" in settings.warnings[0]


SAVER = """
    import sys
    from viewer.settings import Settings
    s = Settings().load()
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        s.recent_files = [f"/letters/{n}-{i}-" + "x" * 2000 + ".xml" for i in range(10)]
        s.zoom = n % 10
        s.save()
"""


@pytest.mark.slow
@pytest.mark.e2e
def test_killing_a_process_mid_save_never_leaves_a_damaged_file(tmp_path):
    """SIGKILL a process that saves in a loop, 25 times, at random moments."""
    rng = random.Random(6)
    env = {**os.environ, "EPISTOLA_CONFIG_DIR": str(tmp_path)}
    kills = 0
    for _ in range(25):
        process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(SAVER)],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout.readline().strip() == b"ready", process.stderr.read()
        time.sleep(rng.uniform(0.0, 0.05))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        kills += 1
        path = tmp_path / SETTINGS_FILE
        if not path.exists():
            continue  # killed before the first save completed: nothing to lose yet
        data = json.loads(path.read_text(encoding="utf-8"))  # never half-written
        settings = Settings(tmp_path).load()
        assert settings.warnings == [], settings.warnings
        assert len(data["recent_files"]) == 10
        assert settings.recent_files == data["recent_files"]
    assert kills == 25
    assert _kept_aside(tmp_path) == []


# ------------------------------------------------------------ the cache


def _collection(tmp_path: Path) -> Path:
    folder = tmp_path / "collection"
    folder.mkdir()
    (folder / "icbl.xml").write_bytes((REPO / "letters" / "icbl-2007-07-24-anama.xml").read_bytes())
    (folder / "small.xml").write_bytes(tei("Dear <persName>Anna</persName>,"))
    return folder


def _foreign(p: Path) -> None:
    p.unlink()
    with sqlite3.connect(p) as other:
        other.execute("CREATE TABLE photos(x)")
    other.close()


CACHE_DAMAGE = {
    "garbage": lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\x00garbage"),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "empty": lambda p: p.write_bytes(b""),
    "zeroed-pages": lambda p: p.write_bytes(p.read_bytes()[:4096] + b"\x00" * 8192),
    "foreign": _foreign,
    "folder": lambda p: (p.unlink(), p.mkdir()),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CACHE_DAMAGE))
def test_damaged_collection_cache_is_rebuilt(name, tmp_path):
    from viewer.collection import cache_path, index_folder

    folder = _collection(tmp_path)
    cache_dir = tmp_path / "cache"
    first = index_folder(folder, cache_dir=cache_dir)
    assert sorted(Path(s.file).name for s in first.letters) == ["icbl.xml", "small.xml"]
    titles = [s.title for s in first.letters]
    first.close()  # the damage happens while Epistola is not running
    cache = cache_path(str(folder), [], "normalised", cache_dir)
    with sqlite3.connect(cache) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    assert cache.is_file()
    CACHE_DAMAGE[name](cache)

    again = index_folder(folder, cache_dir=cache_dir)
    assert sorted(Path(s.file).name for s in again.letters) == ["icbl.xml", "small.xml"]
    assert [s.title for s in again.letters] == titles
    assert again.errors == first.errors
    again.close()
    third = index_folder(folder, cache_dir=cache_dir)
    assert third.stats.parsed == (2 if third.store.in_memory else 0)
    if name != "folder":
        assert not third.store.in_memory
        assert third.notes == [], third.notes  # the note is given once


@pytest.mark.slow
def test_unwritable_cache_does_not_stop_indexing(tmp_path):
    from viewer.collection import index_folder

    folder = _collection(tmp_path)
    (tmp_path / "cache").write_text("a file where the cache folder should be")
    result = index_folder(folder, cache_dir=tmp_path / "cache")
    assert sorted(Path(s.file).name for s in result.letters) == ["icbl.xml", "small.xml"]
    assert any("could not be written" in note for note in result.notes), result.notes


# ------------------------------------------------- the warning, as the user sees it


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.gui
def test_damaged_settings_warn_once_at_start_up(tmp_path, monkeypatch):
    """A start-up with a damaged settings file says so once; the next start-up is quiet."""
    config = tmp_path / "config"
    config.mkdir()
    (config / SETTINGS_FILE).write_bytes(b'{"zoom": 3, "reading": "dipl')
    monkeypatch.setenv("EPISTOLA_CONFIG_DIR", str(config))
    monkeypatch.setenv("EPISTOLA_LOG_DIR", str(tmp_path / "logs"))
    first = run_epistola("--screenshot", str(tmp_path / "one.png"), timeout=60)
    second = run_epistola("--screenshot", str(tmp_path / "two.png"), timeout=60)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    warnings = [line for line in first.stderr_lines if SETTINGS_FILE in line]
    assert len(warnings) == 1 and "defaults are used" in warnings[0], first.stderr
    assert (tmp_path / "one.png").stat().st_size > 0
    assert len(_kept_aside(config)) == 1
    assert second.returncode == 0, second.stderr
    assert SETTINGS_FILE not in second.stderr
