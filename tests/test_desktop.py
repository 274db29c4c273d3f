"""Desktop integration: the menu entry, icons and TEI MIME type installed per user, and removed.

Everything is installed into a temporary ``XDG_DATA_HOME``; nothing touches the
real home. ``desktop-file-validate`` (Debian's desktop-file-utils, installed by
.ci/run) checks the entry where it is installed.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from viewer import desktop

ROOT = Path(__file__).resolve().parents[1]
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"


def entry_fields(text: str) -> dict[str, str]:
    lines = text.splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line and not line.startswith("#"))


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


def test_install_writes_entry_icons_and_mime_type(tmp_path: Path) -> None:
    report = desktop.install(tmp_path, refresh=False)

    entry = tmp_path / "applications" / "epistola.desktop"
    assert entry in report.written
    fields = entry_fields(entry.read_text(encoding="utf-8"))
    assert fields["Name"] == "Epistola"
    assert fields["Icon"] == "epistola"
    assert "application/tei+xml" in fields["MimeType"].split(";")
    assert "application/xml" in fields["MimeType"].split(";")  # "Open With" for any .xml
    program = Path(fields["TryExec"])
    assert program.is_file() and os.access(program, os.X_OK)
    assert fields["Exec"].endswith(" %F")

    svg = tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "epistola.svg"
    assert svg.read_bytes() == (ROOT / "resources" / "icons" / "epistola.svg").read_bytes()
    sizes = sorted(
        int(folder.name.split("x")[0])
        for folder in (tmp_path / "icons" / "hicolor").iterdir()
        if folder.name != "scalable"
    )
    assert {16, 32, 48, 64, 128, 256} <= set(sizes)
    for size in sizes:
        png = tmp_path / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "epistola.png"
        assert png_size(png) == (size, size)

    mime = etree.parse(str(tmp_path / "mime" / "packages" / "epistola-tei.xml"))
    kind = mime.getroot().find(f"{MIME_NS}mime-type")
    assert kind.get("type") == "application/tei+xml"
    roots = {(r.get("namespaceURI"), r.get("localName")) for r in kind.iter(f"{MIME_NS}root-XML")}
    assert ("http://www.tei-c.org/ns/1.0", "TEI") in roots
    assert len(report.written) == 1 + 1 + 1 + len(sizes)  # entry, MIME type, SVG, PNGs


def test_the_entry_is_valid_for_desktop_file_validate(tmp_path: Path) -> None:
    desktop.install(tmp_path, refresh=False)
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.fail("desktop-file-validate is missing (apt-get install desktop-file-utils)")
    done = subprocess.run(
        [validator, str(tmp_path / "applications" / "epistola.desktop")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_uninstall_removes_exactly_what_install_wrote(tmp_path: Path) -> None:
    mine = tmp_path / "applications" / "someone-else.desktop"
    mine.parent.mkdir(parents=True)
    mine.write_text("[Desktop Entry]\n", encoding="utf-8")

    written = desktop.install(tmp_path, refresh=False).written
    removed = desktop.uninstall(tmp_path, refresh=False).removed

    assert sorted(removed) == sorted(written)
    assert not any(path.exists() for path in written)
    assert mine.read_text(encoding="utf-8") == "[Desktop Entry]\n"
    assert desktop.uninstall(tmp_path, refresh=False).removed == []  # twice is harmless


def test_the_launcher_is_this_installation(tmp_path: Path) -> None:
    bin_dir = tmp_path / "with script" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text("", encoding="utf-8")
    assert desktop.launcher(str(python)) == (str(python), ["-m", "viewer"])
    script = bin_dir / "epistola"
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    script.chmod(0o755)
    assert desktop.launcher(str(python)) == (str(script), [])
    entry = entry_fields(desktop.desktop_entry(str(python)))
    # A path with a space is quoted; the string value's escaping doubles no backslash here.
    assert entry["Exec"] == f'"{script}" %F'
    assert entry["TryExec"] == str(script)


@pytest.mark.parametrize(
    ("argument", "quoted"),
    [
        ("/usr/bin/epistola", "/usr/bin/epistola"),
        ("/opt/my apps/python", '"/opt/my apps/python"'),
        ('/a"b', '"/a\\\\"b"'),
        ("/a$b", '"/a\\\\$b"'),
        ("/100%/python", '"/100%%/python"'),
    ],
)
def test_exec_arguments_are_quoted_as_the_spec_asks(argument: str, quoted: str) -> None:
    assert desktop._quote(argument) == quoted


def test_data_home_follows_xdg_and_ignores_a_relative_value(tmp_path: Path) -> None:
    assert desktop.data_home({"XDG_DATA_HOME": str(tmp_path), "HOME": "/h"}) == tmp_path
    assert desktop.data_home({"XDG_DATA_HOME": "rel", "HOME": "/h"}) == Path("/h/.local/share")
    assert desktop.data_home({"HOME": "/h"}) == Path("/h/.local/share")


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(home)}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.e2e
def test_command_line_installs_and_removes(tmp_path: Path) -> None:
    done = run_cli("--install-desktop", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"under {tmp_path}" in done.stdout
    assert (tmp_path / "applications" / "epistola.desktop").is_file()
    done = run_cli("--uninstall-desktop", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "applications" / "epistola.desktop").exists()


@pytest.mark.slow
@pytest.mark.e2e
def test_an_unwritable_data_home_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    done = run_cli("--install-desktop", home=blocker)
    assert done.returncode == 2
    assert done.stderr.startswith("epistola: could not install the desktop files under")
    assert "Traceback" not in done.stderr
