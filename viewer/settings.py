"""What Epistola remembers between runs, and where it keeps its files.

Owns:

* the settings file: JSON in ``settings.json`` in the per-user config
  directory, read by :meth:`Settings.load` and written atomically by
  :meth:`Settings.save`;
* the name, type, default and allowed range of every setting (the ``_Field``
  declarations on :class:`Settings`);
* what happens when the file is damaged: a file that cannot be read at all is
  set aside (:func:`viewer.atomic.set_aside`) and defaults are used; a single
  bad value falls back to its default; either way a sentence for the user is
  added to :attr:`Settings.warnings`, and nothing raises;
* the per-user directories: :func:`config_dir`, :func:`cache_dir` and
  :func:`log_dir` (appdirs), each overridable by an environment variable
  (``EPISTOLA_CONFIG_DIR``, ``EPISTOLA_CACHE_DIR``, ``EPISTOLA_LOG_DIR``) so
  that tests running the program as a process stay out of the real home.

Qt-free: the window turns its geometry into base64 text before storing it
here, and turns it back when restoring.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

import appdirs

from viewer.atomic import set_aside, write_atomic
from viewer.linebreaks import DEFAULT_LINE_MODE, LINE_MODES
from viewer.model import ENTITY_KINDS, READINGS

APP_NAME = "epistola"
SETTINGS_FILE = "settings.json"
MAX_RECENT = 10
ZOOM_MIN, ZOOM_MAX = -5, 10
# A real settings file is a few kilobytes; anything far larger is not one,
# and reading it whole could exhaust memory.
MAX_FILE_BYTES = 1024 * 1024

T = TypeVar("T")


def _env_dir(variable: str, fallback: Callable[[], str]) -> Path:
    value = os.environ.get(variable)
    # An empty variable counts as unset: `VAR= cmd` is a common way to clear.
    return Path(value) if value else Path(fallback())


def config_dir() -> Path:
    """The directory holding ``settings.json``: $EPISTOLA_CONFIG_DIR or the OS's."""
    # appauthor=False: on Windows appdirs would otherwise nest epistola\epistola.
    return _env_dir("EPISTOLA_CONFIG_DIR", lambda: appdirs.user_config_dir(APP_NAME, False))


def cache_dir() -> Path:
    """The directory for disposable caches: $EPISTOLA_CACHE_DIR or the OS's."""
    return _env_dir("EPISTOLA_CACHE_DIR", lambda: appdirs.user_cache_dir(APP_NAME, False))


def log_dir() -> Path:
    """The directory for log files: $EPISTOLA_LOG_DIR or the OS's."""
    return _env_dir("EPISTOLA_LOG_DIR", lambda: appdirs.user_log_dir(APP_NAME, False))


class InvalidSetting(ValueError):
    """A value that does not fit a setting; the message says why."""


# --------------------------------------------------------------- validators
# Each takes a value as it comes from JSON (or from code) and returns the
# value to keep, or raises InvalidSetting. They also normalise: clamp, dedupe,
# truncate, fill in missing entries, copy lists and dicts.


def _type_name(value: object) -> str:
    """What a JSON value is, in JSON's words ("text", "a list", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _optional_str(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidSetting(f"expected text or null, found {_type_name(value)}")


def _geometry(value: object) -> str | None:
    value = _optional_str(value)
    if value is not None:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidSetting("not base64 text") from None
    return value


def _is_int(value: object) -> bool:
    # bool is an int subclass, but `true` is no size or zoom level.
    return isinstance(value, int) and not isinstance(value, bool)


def _sizes(value: object) -> list[int]:
    if not isinstance(value, list) or not all(_is_int(v) and v >= 0 for v in value):
        raise InvalidSetting("expected a list of non-negative whole numbers")
    return list(value)


def _str_list(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidSetting("expected a list of text")
    return list(dict.fromkeys(value))  # dedupe, keeping the first (newest) of each


def _recent(value: object) -> list[str]:
    return _str_list(value)[:MAX_RECENT]


def _default_toggles() -> dict[str, bool]:
    return dict.fromkeys(ENTITY_KINDS, True)


def _toggles(value: object) -> dict[str, bool]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, bool) for k, v in value.items()
    ):
        raise InvalidSetting("expected an object of true/false values")
    # A kind missing from the file (added in a newer version, say) is shown;
    # a kind this version does not know is kept for the version that does.
    return {**_default_toggles(), **value}


def _zoom(value: object) -> int:
    if not _is_int(value):
        raise InvalidSetting(f"expected a whole number, found {_type_name(value)}")
    return min(max(value, ZOOM_MIN), ZOOM_MAX)


def _reading(value: object) -> str:
    if value not in READINGS:
        raise InvalidSetting(f"expected one of {', '.join(READINGS)}")
    return value


def _line_mode(value: object) -> str:
    if value not in LINE_MODES:
        raise InvalidSetting(f"expected one of {', '.join(LINE_MODES)}")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidSetting(f"expected true or false, found {_type_name(value)}")
    return value


class _Field(Generic[T]):
    """One setting: its default and validator; assignment validates too."""

    def __init__(self, default: Callable[[], T], check: Callable[[object], T]) -> None:
        self.default = default  # a factory, so mutable defaults are never shared
        self.check = check

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type) -> _Field[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T: ...
    def __get__(self, obj: object | None, owner: type) -> T | _Field[T]:
        if obj is None:
            return self
        return obj.__dict__[self.name]

    def __set__(self, obj: object, value: object) -> None:
        obj.__dict__[self.name] = self.validate(value)

    def validate(self, value: object) -> T:
        """Like ``check``, but the error names the setting (for errors in code)."""
        try:
            return self.check(value)
        except InvalidSetting as exc:
            raise InvalidSetting(f"{self.name}: {exc}") from None


class Settings:
    """The user's settings, with defaults, loaded from and saved to one JSON file.

    ``Settings()`` uses :func:`config_dir`; tests pass a directory of their
    own. The constructor only sets defaults: call :meth:`load` (it returns
    the object, so ``Settings().load()`` works). Assigning a value of the
    wrong type raises :class:`InvalidSetting`; zoom is clamped and lists are
    deduplicated on assignment. Problems with the file never raise: they end
    up in :attr:`warnings`, sentences fit to show the user.
    """

    window_geometry = _Field[str | None](lambda: None, _geometry)  # base64 of saveGeometry()
    splitter_sizes = _Field[list[int]](list, _sizes)  # empty: the window chooses
    last_letter = _Field[str | None](lambda: None, _optional_str)
    kind_toggles = _Field[dict[str, bool]](_default_toggles, _toggles)
    recent_files = _Field[list[str]](list, _recent)  # most recent first
    register_folders = _Field[list[str]](list, _str_list)
    image_folders = _Field[list[str]](list, _str_list)  # View ▸ Add Image Folder…
    facsimile_shown = _Field[bool](lambda: True, _bool)  # the facsimile pane's toggle
    zoom = _Field[int](lambda: 0, _zoom)
    reading = _Field[str](lambda: "normalised", _reading)
    match_all = _Field[bool](lambda: True, _bool)
    line_mode = _Field[str](lambda: DEFAULT_LINE_MODE, _line_mode)  # View ▸ Line Breaks

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory) if directory is not None else config_dir()
        self.path = self.directory / SETTINGS_FILE
        self.warnings: list[str] = []
        # Keys this version does not know, written back unchanged so that a
        # newer version's settings survive a run of this one.
        self._unknown: dict[str, Any] = {}
        # Set when a damaged file could not be moved aside: saving over it
        # would destroy the only copy, so save() refuses.
        self._blocked_by: Path | None = None
        self._reset()

    @classmethod
    def fields(cls) -> tuple[str, ...]:
        """The names of all settings, in declaration order."""
        return tuple(k for k, v in vars(cls).items() if isinstance(v, _Field))

    def _reset(self) -> None:
        for name in self.fields():
            self.__dict__[name] = getattr(type(self), name).default()
        self._unknown = {}

    def _warn(self, message: str) -> None:
        if message not in self.warnings:  # repeated saves must not pile up copies
            self.warnings.append(message)

    # ------------------------------------------------------------ load/save

    def load(self) -> Settings:
        """Read the settings file; on any problem use defaults and add a warning."""
        self._reset()
        self._blocked_by = None
        try:
            data = self._read()
        except FileNotFoundError:
            return self  # first run: defaults, nothing to tell
        except (OSError, ValueError, RecursionError) as exc:
            self._set_aside(_describe(exc))
            return self
        if not isinstance(data, dict):
            self._set_aside(f"it holds {_type_name(data)}, not a JSON object")
            return self

        for key, value in data.items():
            field = vars(type(self)).get(key)
            if not isinstance(field, _Field):
                self._unknown[key] = value
                continue
            try:
                self.__dict__[key] = field.check(value)
            except InvalidSetting as exc:
                self._warn(
                    f"The setting “{key}” in {self.path} was not valid ({exc}); "
                    "its default is used instead."
                )
        return self

    def _read(self) -> object:
        # A named pipe or device at the settings path would block open() or read()
        # forever: refuse anything that is not a regular file before opening it.
        if not stat.S_ISREG(os.stat(self.path).st_mode):
            raise ValueError("it is not a regular file")
        descriptor = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ValueError(f"larger than {MAX_FILE_BYTES // 1024} KiB")
        # utf-8-sig: tolerate the byte-order mark some Windows editors add.
        return json.loads(raw.decode("utf-8-sig"))

    def _set_aside(self, reason: str) -> None:
        try:
            kept = set_aside(self.path)
        except OSError as exc:
            self._blocked_by = self.path
            self._warn(
                f"Settings file {self.path} was unreadable ({reason}) and could not be "
                f"moved aside ({_describe(exc)}); defaults are used, and settings will "
                "not be saved over it."
            )
            return
        self._warn(
            f"Settings file {self.path} was unreadable ({reason}); it was kept as "
            f"{kept}, and defaults are used."
        )

    def to_dict(self) -> dict[str, Any]:
        """Everything :meth:`save` writes: unknown keys, then the known settings."""
        data = dict(self._unknown)
        for name in self.fields():
            # Re-check: a list or dict may have been changed in place.
            data[name] = getattr(type(self), name).validate(self.__dict__[name])
        return data

    def save(self) -> bool:
        """Write the settings atomically. Returns False (and warns) if it could not."""
        if self._blocked_by is not None:
            self._warn(
                f"Settings were not saved, so as not to overwrite {self._blocked_by}, "
                "which could not be read or moved aside."
            )
            return False
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, text)
        except OSError as exc:
            self._warn(
                f"Settings could not be saved to {self.path} ({_describe(exc)}); "
                "changes made in this session will be forgotten."
            )
            return False
        return True

    # ------------------------------------------------------------- recents

    def add_recent(self, path: str | os.PathLike[str]) -> None:
        """Put ``path`` (made absolute) first in the recent files, once, at most 10."""
        entry = os.path.abspath(os.fspath(path))
        self.recent_files = [entry, *(p for p in self.recent_files if p != entry)]

    def remove_recent(self, path: str | os.PathLike[str]) -> None:
        """Drop ``path`` from the recent files (say, because it no longer exists)."""
        entry = os.path.abspath(os.fspath(path))
        self.recent_files = [p for p in self.recent_files if p not in (entry, os.fspath(path))]


def _describe(exc: BaseException) -> str:
    """A short reason for a person: 'Permission denied', 'Expecting value: line 1 ...'."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        return f"not valid JSON: {exc.msg}, line {exc.lineno} column {exc.colno}"
    return str(exc) or type(exc).__name__
