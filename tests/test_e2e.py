"""End to end: main.py started as a separate process, as a user or a script would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAIN = ROOT / "main.py"
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def run_main(*args: str, tmp_path: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "EPISTOLA_CONFIG_DIR": str(tmp_path / "config"),
        "EPISTOLA_LOG_DIR": str(tmp_path / "logs"),
        "EPISTOLA_CACHE_DIR": str(tmp_path / "cache"),
    }
    env.pop("EPISTOLA_BENCH_STARTUP", None)
    return subprocess.run(
        [sys.executable, str(MAIN), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def distinct_colours(path: Path) -> int:
    # Read it back the way a user's tools would: through Qt's image reader, in a child.
    code = (
        "import sys\n"
        "from PySide6.QtGui import QImage\n"
        "img = QImage(sys.argv[1])\n"
        "seen = set()\n"
        "for y in range(0, img.height(), 7):\n"
        "    for x in range(0, img.width(), 7):\n"
        "        seen.add(img.pixel(x, y))\n"
        "print(img.width(), img.height(), len(seen))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]), int(out[1]), int(out[2])


@pytest.fixture(scope="module")
def icbl() -> Path:
    if not ICBL.is_file():
        pytest.fail(f"the shipped letter {ICBL} is missing")
    return ICBL


@pytest.mark.parametrize("entity", ["pers.bernstein.elizabeth", "org.hrw"])
def test_select_and_screenshot(icbl, tmp_path, entity):
    png = tmp_path / "shot.png"
    result = run_main(str(icbl), "--select", entity, "--screenshot", str(png), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert b"Traceback" not in result.stderr
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, colours = distinct_colours(png)
    assert (width, height) == (1280, 800)
    assert colours >= 12, "a rendered window, not a blank image"
    # screenshots leave the user's settings alone
    assert not (tmp_path / "config" / "settings.json").exists()


def test_no_argument_opens_the_shipped_letter(icbl, tmp_path):
    png = tmp_path / "default.png"
    result = run_main("--screenshot", str(png), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert distinct_colours(png)[2] >= 12


def test_screenshot_differs_with_selection(icbl, tmp_path):
    plain, selected = tmp_path / "plain.png", tmp_path / "selected.png"
    assert run_main(str(icbl), "--screenshot", str(plain), tmp_path=tmp_path).returncode == 0
    args = (str(icbl), "--select", "org.hrw", "--screenshot", str(selected))
    assert run_main(*args, tmp_path=tmp_path).returncode == 0
    assert plain.read_bytes() != selected.read_bytes()


def test_unknown_select_in_screenshot_mode(icbl, tmp_path):
    png = tmp_path / "x.png"
    result = run_main(str(icbl), "--select", "no.such", "--screenshot", str(png), tmp_path=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "no.such" in lines[0]
    assert not png.exists()


def test_unwritable_screenshot_path(icbl, tmp_path):
    png = tmp_path / "missing-folder" / "x.png"
    result = run_main(str(icbl), "--screenshot", str(png), tmp_path=tmp_path)
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
    assert len(result.stderr.decode().strip().splitlines()) == 1


def test_dump_shipped_letter(icbl, tmp_path):
    result = run_main("--dump", str(icbl), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    data = json.loads(result.stdout)
    assert data["file"] == str(icbl)
    assert any(e["id"] == "pers.bernstein.elizabeth" for e in data["entities"])
    titles = [section["title"] for section in data["letterhead"]]
    assert "Management Committee" in titles


@pytest.mark.parametrize(
    "args",
    [
        ("{missing}",),
        ("{missing}", "--screenshot", "{png}"),
        ("--dump", "{missing}"),
        ("--check", "{missing}"),
    ],
)
def test_missing_file_one_line_exit_2(tmp_path, args):
    values = {"missing": str(tmp_path / "nowhere.xml"), "png": str(tmp_path / "x.png")}
    result = run_main(*(arg.format(**values) for arg in args), tmp_path=tmp_path)
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "nowhere.xml" in lines[0]


def test_broken_letter_in_screenshot_mode(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<TEI><text>", encoding="utf-8")
    result = run_main(str(bad), "--screenshot", str(tmp_path / "x.png"), tmp_path=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "bad.xml" in lines[0] and "Traceback" not in lines[0]


def test_folder_argument_opens_first_letter(tmp_path, icbl):
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "b.xml").write_bytes(icbl.read_bytes())
    png = tmp_path / "folder.png"
    result = run_main(str(folder), "--screenshot", str(png), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert png.is_file()


def test_without_a_display_the_window_says_so_instead_of_aborting(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["EPISTOLA_CONFIG_DIR"] = str(tmp_path / "config")
    result = subprocess.run(
        [sys.executable, str(MAIN)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no display" in lines[0]
    assert "Traceback" not in result.stderr


def test_select_in_a_long_letter_reads_it_whole(tmp_path: Path) -> None:
    """--select names an entity that only the end of a long letter mentions."""
    sys.path.insert(0, str(ROOT / "tests" / "bench"))
    from make_big_letter import make_letter

    from viewer.tei import read_letter
    from viewer.tei.reader import read_letter_staged

    letter = tmp_path / "long.xml"
    letter.write_bytes(make_letter(target_bytes=320_000, mentions=6_000))
    staged = read_letter_staged(letter)
    assert not staged.complete
    early = {e for m in staged.letter.mentions for e in m.entities}
    late = next(e for m in read_letter(letter).mentions for e in m.entities if e not in early)
    png = tmp_path / "late.png"
    result = run_main(str(letter), "--select", late, "--screenshot", str(png), tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    assert png.is_file() and distinct_colours(png)[2] > 20
