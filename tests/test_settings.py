"""viewer.settings: defaults, round trip, damaged files, unwritable places, recents."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from viewer import settings as settings_module
from viewer.model import ENTITY_KINDS
from viewer.settings import (
    MAX_RECENT,
    ZOOM_MAX,
    ZOOM_MIN,
    InvalidSetting,
    Settings,
    cache_dir,
    config_dir,
    log_dir,
)


def _write(directory: Path, content: bytes | str) -> Path:
    path = directory / "settings.json"
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def _set_aside_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("settings.json.corrupt-*"))


def _assert_defaults(s: Settings) -> None:
    assert s.window_geometry is None
    assert s.splitter_sizes == []
    assert s.last_letter is None
    assert s.kind_toggles == dict.fromkeys(ENTITY_KINDS, True)
    assert s.recent_files == []
    assert s.register_folders == []
    assert s.zoom == 0
    assert s.reading == "normalised"
    assert s.match_all is True


# ------------------------------------------------------------------ defaults


def test_missing_file_gives_defaults_silently(tmp_path: Path) -> None:
    s = Settings(tmp_path).load()
    _assert_defaults(s)
    assert s.warnings == []
    assert list(tmp_path.iterdir()) == []  # loading writes nothing


def test_missing_directory_gives_defaults_and_save_creates_it(tmp_path: Path) -> None:
    s = Settings(tmp_path / "a" / "b").load()
    _assert_defaults(s)
    assert s.save() is True
    assert (tmp_path / "a" / "b" / "settings.json").is_file()


def test_default_kinds_are_the_models_kinds() -> None:
    assert set(Settings().kind_toggles) == {
        "person",
        "organisation",
        "place",
        "date",
        "treaty",
        "work",
        "event",
        "other",
    }


def test_defaults_are_not_shared_between_instances(tmp_path: Path) -> None:
    a, b = Settings(tmp_path), Settings(tmp_path)
    a.recent_files.append("/x")
    a.kind_toggles["person"] = False
    assert b.recent_files == []
    assert b.kind_toggles["person"] is True


# ---------------------------------------------------------------- round trip


def test_round_trip(tmp_path: Path) -> None:
    geometry = base64.b64encode(bytes(range(256))).decode("ascii")
    s = Settings(tmp_path)
    s.window_geometry = geometry
    s.splitter_sizes = [300, 700, 0]
    s.last_letter = "/letters/1795-03-02 Goethe an Schiller.xml"
    s.kind_toggles = {**s.kind_toggles, "date": False, "other": False}
    s.add_recent("/letters/a.xml")
    s.add_recent("/letters/b.xml")
    s.register_folders = ["/registers", "/more registers"]
    s.zoom = 3
    s.reading = "diplomatic"
    s.match_all = False
    assert s.save() is True
    assert s.warnings == []

    t = Settings(tmp_path).load()
    assert t.warnings == []
    assert t.to_dict() == s.to_dict()
    assert t.window_geometry == geometry
    assert t.recent_files == ["/letters/b.xml", "/letters/a.xml"]
    assert t.kind_toggles["date"] is False
    assert t.kind_toggles["person"] is True
    assert t.reading == "diplomatic"
    assert t.match_all is False


def test_file_is_readable_json_and_keeps_non_ascii(tmp_path: Path) -> None:
    s = Settings(tmp_path)
    s.last_letter = "Brief an Frau von Stein – 1776.xml"
    s.save()
    text = (tmp_path / "settings.json").read_text(encoding="utf-8")
    assert "Frau von Stein – 1776" in text
    assert json.loads(text)["last_letter"] == s.last_letter


def test_save_leaves_no_temporary_files(tmp_path: Path) -> None:
    s = Settings(tmp_path)
    for zoom in range(5):
        s.zoom = zoom
        assert s.save()
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_load_twice_resets_first(tmp_path: Path) -> None:
    s = Settings(tmp_path)
    s.zoom = 4
    s.load()  # no file: back to defaults, not a mix
    assert s.zoom == 0


# ----------------------------------------------------------- damaged files


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not UTF-8", id="garbage-bytes"),
        pytest.param('{"zoom": 3, "reading": "diplo', "not valid JSON", id="truncated"),
        pytest.param("", "not valid JSON", id="empty"),
        pytest.param('["zoom", 3]', "a list, not a JSON object", id="list"),
        pytest.param('"settings"', "text, not a JSON object", id="string"),
        pytest.param("null", "null, not a JSON object", id="null"),
        pytest.param("[" * 100_000 + "]" * 100_000, "", id="deeply-nested"),
        pytest.param('{"zoom": 1' + "0" * 5000 + "}", "", id="huge-number"),
    ],
)
def test_unreadable_file_is_set_aside(tmp_path: Path, content: bytes | str, reason: str) -> None:
    original = _write(tmp_path, content).read_bytes()
    s = Settings(tmp_path).load()
    _assert_defaults(s)

    kept = _set_aside_files(tmp_path)
    assert len(kept) == 1
    assert kept[0].read_bytes() == original  # kept byte for byte
    assert not (tmp_path / "settings.json").exists()

    assert len(s.warnings) == 1
    warning = s.warnings[0]
    assert str(tmp_path / "settings.json") in warning
    assert str(kept[0]) in warning
    assert "defaults are used" in warning
    assert reason in warning

    # The next save writes a fresh file and leaves the set-aside one alone.
    assert s.save() is True
    assert json.loads((tmp_path / "settings.json").read_text())["zoom"] == 0
    assert kept[0].read_bytes() == original


def test_oversized_file_is_set_aside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "MAX_FILE_BYTES", 64)
    _write(tmp_path, json.dumps({"last_letter": "x" * 100}))
    s = Settings(tmp_path).load()
    assert s.last_letter is None
    assert len(_set_aside_files(tmp_path)) == 1
    assert "larger than" in s.warnings[0]


def test_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    _write(tmp_path, b"\xef\xbb\xbf" + json.dumps({"zoom": 2}).encode())
    s = Settings(tmp_path).load()
    assert s.zoom == 2
    assert s.warnings == []


def test_directory_in_place_of_file_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "settings.json").mkdir()
    s = Settings(tmp_path).load()
    _assert_defaults(s)
    assert len(_set_aside_files(tmp_path)) == 1
    assert s.save() is True


def test_file_that_cannot_be_moved_aside_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, b"\xff\xfe garbage")

    def refuse(path: object, **kwargs: object) -> Path:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(settings_module, "set_aside", refuse)
    s = Settings(tmp_path).load()
    _assert_defaults(s)
    assert "could not be moved aside" in s.warnings[0]
    assert s.save() is False
    assert (tmp_path / "settings.json").read_bytes() == b"\xff\xfe garbage"
    assert "not saved" in s.warnings[-1]


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("window_geometry", 12),
        ("window_geometry", "not base64!"),
        ("splitter_sizes", "300,700"),
        ("splitter_sizes", [300, "700"]),
        ("splitter_sizes", [300, -1]),
        ("splitter_sizes", [True, 2]),
        ("last_letter", ["a.xml"]),
        ("kind_toggles", ["person"]),
        ("kind_toggles", {"person": "yes"}),
        ("recent_files", "a.xml"),
        ("recent_files", ["a.xml", 3]),
        ("register_folders", {"a": 1}),
        ("zoom", "3"),
        ("zoom", 2.5),
        ("zoom", True),
        ("zoom", None),
        ("reading", "modernised"),
        ("reading", 1),
        ("line_mode", "wrapped"),
        ("line_mode", True),
        ("match_all", "true"),
        ("match_all", 1),
    ],
)
def test_wrong_value_falls_back_to_its_default_only(tmp_path: Path, key: str, bad: object) -> None:
    good = {"zoom": 4, "reading": "diplomatic", "last_letter": "a.xml", "match_all": False}
    good.pop(key, None)
    _write(tmp_path, json.dumps({**good, key: bad}))

    s = Settings(tmp_path).load()
    assert getattr(s, key) == getattr(type(s), key).default()
    for other, value in good.items():
        assert getattr(s, other) == value  # the rest of the file still counts
    assert len(s.warnings) == 1
    assert f"“{key}”" in s.warnings[0]
    assert "default is used" in s.warnings[0]
    assert _set_aside_files(tmp_path) == []  # one bad value is no reason to move the file


def test_values_are_normalised_on_load(tmp_path: Path) -> None:
    _write(
        tmp_path,
        json.dumps(
            {
                "zoom": 99,
                "recent_files": [f"/l/{i}.xml" for i in range(15)] + ["/l/0.xml"],
                "register_folders": ["/r", "/r", "/s"],
                "kind_toggles": {"person": False, "spaceship": False},
            }
        ),
    )
    s = Settings(tmp_path).load()
    assert s.warnings == []
    assert s.zoom == 10
    assert s.recent_files == [f"/l/{i}.xml" for i in range(MAX_RECENT)]
    assert s.register_folders == ["/r", "/s"]
    # Missing kinds default to shown; kinds from a newer version are kept.
    assert s.kind_toggles["person"] is False
    assert s.kind_toggles["place"] is True
    assert s.kind_toggles["spaceship"] is False


def test_unknown_keys_are_preserved(tmp_path: Path) -> None:
    future = {"theme": "sepia", "panels": {"left": [1, 2]}, "ratio": 0.5, "flag": None}
    _write(tmp_path, json.dumps({"zoom": 1, **future}))
    s = Settings(tmp_path).load()
    assert s.warnings == []
    s.zoom = 2
    assert s.save()
    data = json.loads((tmp_path / "settings.json").read_text())
    assert data["zoom"] == 2
    for key, value in future.items():
        assert data[key] == value


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)
# Objects that use the real keys, so the validators see odd values, not just odd keys.
_settings_like = st.dictionaries(
    st.sampled_from([*Settings.fields(), "future_key"]) | st.text(max_size=5), _json, max_size=12
)


@pytest.mark.slow
@pytest.mark.hostile
@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=_settings_like | _json)
def test_any_json_loads_without_raising_and_round_trips(tmp_path: Path, data: object) -> None:
    for old in tmp_path.iterdir():
        old.unlink()
    _write(tmp_path, json.dumps(data))
    s = Settings(tmp_path).load()
    # Whatever was in the file, every setting now has a valid value ...
    for name in Settings.fields():
        field = getattr(Settings, name)
        assert field.check(getattr(s, name)) == getattr(s, name)
    assert ZOOM_MIN <= s.zoom <= ZOOM_MAX
    assert len(s.recent_files) <= MAX_RECENT
    # ... and what is saved loads back the same, with nothing to complain about.
    assert s.save()
    again = Settings(tmp_path).load()
    assert again.warnings == []
    assert again.to_dict() == s.to_dict()


# ------------------------------------------------------ unwritable places


def test_unwritable_directory_does_not_raise(tmp_path: Path) -> None:
    # chmod would not stop root (CI runs as root), so make the directory
    # impossible instead: its parent is a regular file.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("I am a file")
    s = Settings(blocker / "epistola")
    s.zoom = 5
    assert s.save() is False
    assert len(s.warnings) == 1
    assert "could not be saved" in s.warnings[0]
    assert str(blocker / "epistola" / "settings.json") in s.warnings[0]
    # Saving again (say, on every change) does not pile up the same warning.
    assert s.save() is False
    assert len(s.warnings) == 1
    assert blocker.read_text() == "I am a file"


def test_failed_write_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings(tmp_path)
    s.zoom = 1
    assert s.save()

    def full_disk(path: object, data: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(settings_module, "write_atomic", full_disk)
    s.zoom = 2
    assert s.save() is False
    assert "No space left on device" in s.warnings[0]
    assert json.loads((tmp_path / "settings.json").read_text())["zoom"] == 1


# ------------------------------------------------------------- assignment


def test_assignment_validates_and_normalises(tmp_path: Path) -> None:
    s = Settings(tmp_path)
    s.zoom = -40
    assert s.zoom == -5
    s.zoom = 40
    assert s.zoom == 10
    with pytest.raises(InvalidSetting, match="zoom"):
        s.zoom = "3"  # type: ignore[assignment]
    with pytest.raises(InvalidSetting, match="reading"):
        s.reading = "modern"
    with pytest.raises(InvalidSetting, match="match_all"):
        s.match_all = 1  # type: ignore[assignment]
    assert s.zoom == 10  # a refused value changes nothing


def test_in_place_corruption_is_caught_on_save(tmp_path: Path) -> None:
    s = Settings(tmp_path)
    s.splitter_sizes.append("wide")  # type: ignore[arg-type]
    with pytest.raises(InvalidSetting, match="splitter_sizes"):
        s.save()


# ---------------------------------------------------------------- recents


def test_recent_files_most_recent_first_deduplicated_capped(tmp_path: Path) -> None:
    s = Settings(tmp_path)
    for i in range(12):
        s.add_recent(f"/letters/{i}.xml")
    assert len(s.recent_files) == MAX_RECENT
    assert s.recent_files[0] == "/letters/11.xml"
    assert s.recent_files[-1] == "/letters/2.xml"

    s.add_recent("/letters/5.xml")  # reopened: moves to the front, once
    assert s.recent_files[0] == "/letters/5.xml"
    assert s.recent_files.count("/letters/5.xml") == 1
    assert len(s.recent_files) == MAX_RECENT


def test_recent_files_are_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = Settings(tmp_path)
    s.add_recent("letters/a.xml")
    s.add_recent(tmp_path / "letters" / "a.xml")
    assert s.recent_files == [str(tmp_path / "letters" / "a.xml")]


def test_remove_recent(tmp_path: Path) -> None:
    s = Settings(tmp_path)
    s.add_recent("/a.xml")
    s.add_recent("/b.xml")
    s.remove_recent("/a.xml")
    s.remove_recent("/never-there.xml")
    assert s.recent_files == ["/b.xml"]


# ------------------------------------------------------------ directories


def test_directories_honour_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPISTOLA_CONFIG_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("EPISTOLA_CACHE_DIR", str(tmp_path / "k"))
    monkeypatch.setenv("EPISTOLA_LOG_DIR", str(tmp_path / "l"))
    assert config_dir() == tmp_path / "c"
    assert cache_dir() == tmp_path / "k"
    assert log_dir() == tmp_path / "l"
    s = Settings()
    assert s.path == tmp_path / "c" / "settings.json"
    s.zoom = 7
    assert s.save()
    assert Settings().load().zoom == 7


def test_directories_default_to_appdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("EPISTOLA_CONFIG_DIR", "EPISTOLA_CACHE_DIR", "EPISTOLA_LOG_DIR"):
        monkeypatch.setenv(variable, "")  # empty counts as unset
    for directory in (config_dir(), cache_dir(), log_dir()):
        assert "epistola" in str(directory)
        assert directory.is_absolute()
