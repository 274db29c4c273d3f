"""viewer.atomic: a failed write leaves the old file whole; set_aside never overwrites."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from viewer import atomic
from viewer.atomic import set_aside, write_atomic

NOON = time.mktime((2026, 3, 14, 12, 0, 0, 0, 0, -1))  # local time, like set_aside's name


def _litter(directory: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)


def test_write_creates_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    write_atomic(target, "first ſ’")
    assert target.read_text(encoding="utf-8") == "first ſ’"
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert _litter(tmp_path, {"a.json"}) == []


def test_crash_before_rename_keeps_original_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "settings.json"
    target.write_bytes(b"original")

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", crash)
    with pytest.raises(OSError, match="No space left"):
        write_atomic(target, b"new contents")
    assert target.read_bytes() == b"original"
    assert _litter(tmp_path, {"settings.json"}) == []


def test_crash_during_write_keeps_original_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "settings.json"
    target.write_bytes(b"original")

    def crash(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(atomic.os, "fsync", crash)
    with pytest.raises(OSError):
        write_atomic(target, b"new contents")
    assert target.read_bytes() == b"original"
    assert _litter(tmp_path, {"settings.json"}) == []


def test_interrupt_removes_temp_and_propagates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"original")

    def interrupt(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"original"
    assert _litter(tmp_path, {"f"}) == []


def test_missing_directory_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_atomic(tmp_path / "nowhere" / "f", b"x")


def test_rejects_other_data_types(tmp_path: Path) -> None:
    with pytest.raises(TypeError):
        write_atomic(tmp_path / "f", 42)  # type: ignore[arg-type]


def test_keeps_permission_bits(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"old")
    target.chmod(0o640)
    write_atomic(target, b"new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_bytes(b"old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_set_aside_renames_with_timestamp(tmp_path: Path) -> None:
    bad = tmp_path / "settings.json"
    bad.write_bytes(b"\x00garbage")
    kept = set_aside(bad, now=NOON)
    assert kept == tmp_path / "settings.json.corrupt-20260314-120000"
    assert kept.read_bytes() == b"\x00garbage"
    assert not bad.exists()


def test_set_aside_never_overwrites(tmp_path: Path) -> None:
    bad = tmp_path / "settings.json"
    names = []
    for n in range(4):
        bad.write_bytes(f"version {n}".encode())
        names.append(set_aside(bad, now=NOON).name)
    assert names == [
        "settings.json.corrupt-20260314-120000",
        "settings.json.corrupt-20260314-120000-2",
        "settings.json.corrupt-20260314-120000-3",
        "settings.json.corrupt-20260314-120000-4",
    ]
    for n, name in enumerate(names):
        assert (tmp_path / name).read_bytes() == f"version {n}".encode()


def test_set_aside_skips_a_name_taken_by_something_else(tmp_path: Path) -> None:
    (tmp_path / "f.corrupt-20260314-120000").write_bytes(b"precious")
    (tmp_path / "f").write_bytes(b"bad")
    kept = set_aside(tmp_path / "f", now=NOON)
    assert kept.name == "f.corrupt-20260314-120000-2"
    assert (tmp_path / "f.corrupt-20260314-120000").read_bytes() == b"precious"


def test_set_aside_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # File systems without hard links (FAT, some shares) take the rename path.
    def no_links(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(atomic.os, "link", no_links)
    (tmp_path / "f.corrupt-20260314-120000").write_bytes(b"precious")
    (tmp_path / "f").write_bytes(b"bad")
    kept = set_aside(tmp_path / "f", now=NOON)
    assert kept.name == "f.corrupt-20260314-120000-2"
    assert kept.read_bytes() == b"bad"
    assert (tmp_path / "f.corrupt-20260314-120000").read_bytes() == b"precious"


def test_set_aside_moves_a_directory(tmp_path: Path) -> None:
    # A directory where the settings file should be is also "unreadable".
    (tmp_path / "settings.json").mkdir()
    kept = set_aside(tmp_path / "settings.json", now=NOON)
    assert kept.is_dir()
    assert not (tmp_path / "settings.json").exists()


def test_set_aside_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        set_aside(tmp_path / "absent")
    assert os.listdir(tmp_path) == []
