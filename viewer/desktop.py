"""Desktop integration: Epistola in the applications menu and in "Open With" for TEI XML.

Owns the per-user install of the freedesktop files shipped in
``resources/desktop``: the ``.desktop`` entry (its ``Exec`` pointing at this
installation's ``epistola`` command, else at ``python -m viewer``), the
application icon (SVG and PNGs in the usual sizes, hicolor theme) and the
``application/tei+xml`` MIME type. Everything goes under ``$XDG_DATA_HOME``
(default ``~/.local/share``); removing takes away exactly what installing
wrote. The desktop's caches (``update-desktop-database``,
``update-mime-database``, ``gtk-update-icon-cache``) are refreshed when those
tools exist; without them the files still work after the next login.
Qt-free.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from viewer.assets import desktop_dir, icon_path
from viewer.atomic import write_atomic
from viewer.errors import EpistolaError

APP_ID = "epistola"
DESKTOP_FILE = f"{APP_ID}.desktop"
MIME_FILE = "epistola-tei.xml"
_PNG = re.compile(r"^epistola-(\d+)\.png$")
_REFRESH_SECONDS = 20


@dataclass
class DesktopReport:
    """What an install or uninstall did, for the command line to print."""

    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)  # cache tools that ran


def data_home(environ: dict[str, str] | None = None) -> Path:
    """$XDG_DATA_HOME when it is an absolute path (the spec ignores a relative one)."""
    environ = os.environ if environ is None else environ
    value = environ.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path(environ.get("HOME") or Path.home()) / ".local" / "share"


def launcher(executable: str | None = None) -> tuple[str, list[str]]:
    """The program that starts this installation of Epistola, and its arguments."""
    python = Path(executable or sys.executable)
    script = python.parent / APP_ID
    if script.is_file() and os.access(script, os.X_OK):
        return str(script), []
    return str(python), ["-m", "viewer"]


def _quote(argument: str) -> str:
    """One Exec argument, quoted as the Desktop Entry spec asks when it needs it.

    Inside quotes ``"`$\\`` take a backslash; Exec is also a string value, whose
    own escaping doubles every backslash once more; a literal ``%`` is ``%%``.
    """
    if argument and not re.search(r"[\s\"'\\><~|&;$*?#()`=%]", argument):
        return argument
    quoted = '"' + re.sub(r'(["`$\\])', r"\\\1", argument) + '"'
    return quoted.replace("\\", "\\\\").replace("%", "%%")


def desktop_entry(executable: str | None = None) -> str:
    """The shipped entry with Exec and TryExec pointing at this installation."""
    program, arguments = launcher(executable)
    command = " ".join(_quote(part) for part in [program, *arguments])
    lines = []
    for line in (desktop_dir() / DESKTOP_FILE).read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            line = f"Exec={command} %F"
        elif line.startswith("TryExec="):
            line = f"TryExec={program}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _targets(home: Path) -> dict[Path, Path]:
    """Installed path -> shipped source, for every file but the generated .desktop entry."""
    targets = {
        home / "mime" / "packages" / MIME_FILE: desktop_dir() / MIME_FILE,
        home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg": icon_path(APP_ID),
    }
    for png in sorted((desktop_dir() / "icons").glob("epistola-*.png")):
        match = _PNG.match(png.name)
        if match:
            size = match.group(1)
            targets[home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"] = png
    return targets


def install(home: Path | None = None, *, refresh: bool = True) -> DesktopReport:
    """Write the desktop entry, the icons and the MIME type for the current user."""
    home = data_home() if home is None else home
    report = DesktopReport()
    entry = home / "applications" / DESKTOP_FILE
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(entry, desktop_entry())
        report.written.append(entry)
        for target, source in _targets(home).items():
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, source.read_bytes())
            report.written.append(target)
    except OSError as error:
        raise EpistolaError(f"could not install the desktop files under {home}: {error}") from None
    if refresh:
        report.refreshed = _refresh(home)
    return report


def uninstall(home: Path | None = None, *, refresh: bool = True) -> DesktopReport:
    """Remove what :func:`install` wrote (and nothing else); missing files are fine."""
    home = data_home() if home is None else home
    report = DesktopReport()
    for target in [home / "applications" / DESKTOP_FILE, *_targets(home)]:
        try:
            target.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            raise EpistolaError(f"could not remove {target}: {error}") from None
        report.removed.append(target)
    if refresh and report.removed:
        report.refreshed = _refresh(home)
    return report


def _refresh(home: Path) -> list[str]:
    """Let the desktop see the change now; any tool that is missing or fails is skipped."""
    commands = [
        ("update-desktop-database", [str(home / "applications")]),
        ("update-mime-database", [str(home / "mime")]),
        ("gtk-update-icon-cache", ["-f", "-t", str(home / "icons" / "hicolor")]),
    ]
    ran: list[str] = []
    for tool, arguments in commands:
        program = shutil.which(tool)
        if program is None:
            continue
        try:
            done = subprocess.run(
                [program, *arguments],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=_REFRESH_SECONDS,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if done.returncode == 0:
            ran.append(tool)
    return ran
