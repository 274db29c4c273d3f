"""Every way of installing works: the wheel carries the code, the shipped letters and resources.

The wheel is built from the checkout (without build isolation: the build backend
is a test dependency, so nothing is downloaded), installed into a fresh virtual
environment outside the checkout, and its ``epistola`` command is run from yet
another folder: ``--dump`` on the shipped letter and ``--screenshot``. That
environment takes PySide6, lxml and appdirs from the test environment (a
``.pth`` line) rather than downloading them again; the Epistola in it is the
wheel's alone (the test environment's editable install is not on that path).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def listed_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["setuptools"]["packages"])


def test_every_code_package_is_in_the_distribution() -> None:
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "viewer").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    missing = found - listed_packages()
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, **env},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Built from a copy of what the distribution is made of: setuptools builds in the
    # source tree and would leave build/ and *.egg-info in the checkout.
    source = tmp_path_factory.mktemp("source")
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in ("viewer", "letters", "resources"):
        shutil.copytree(ROOT / name, source / name, ignore=skip)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(out),
         str(source)],
        cwd=out,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )  # fmt: skip
    (built,) = out.glob("epistola-*.whl")
    return built


def test_the_wheel_carries_the_letters_icons_and_desktop_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"viewer/letters/{p.name}" for p in (ROOT / "letters").glob("*.xml")}
    assert shipped and shipped <= names
    assert "viewer/letters/README.md" in names
    assert "viewer/resources/icons/epistola.svg" in names
    assert "viewer/resources/desktop/epistola.desktop" in names
    assert "viewer/resources/desktop/icons/epistola-256.png" in names
    assert "viewer/gui/main_window.py" in names and "viewer/tei/reader.py" in names
    assert not any(name.startswith(("tests/", "letters/", "resources/")) for name in names)


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory) -> Path:
    """A fresh venv outside the checkout with the wheel installed; its bin folder."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=venv.parent)
    python = venv / "bin" / "python"
    purelib = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=venv
    ).stdout.strip()
    # Dependencies from the test environment: a plain path line (its .pth files, and so
    # its editable Epistola, are not processed for a path added this way).
    Path(purelib, "test-dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", str(wheel)],
        cwd=venv,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )  # fmt: skip
    return venv / "bin"


def test_the_installed_command_dumps_the_shipped_letter_from_elsewhere(
    installed: Path, tmp_path: Path
) -> None:
    probe = "import viewer, viewer.assets as a; print(viewer.__file__); print(a.letters_dir())"
    where = run([str(installed / "python"), "-c", probe], cwd=tmp_path).stdout.split()
    module, letters = Path(where[0]), Path(where[1])
    assert ROOT not in module.parents, "the wheel's viewer must be the one imported"
    assert ROOT not in letters.parents and letters.parent == module.parent
    letter = letters / "icbl-2007-07-24-anama.xml"

    dump = json.loads(
        run([str(installed / "epistola"), "--dump", str(letter)], cwd=tmp_path).stdout
    )
    assert dump["letterhead"] and "Jody Williams" in dump["text"]


def test_the_installed_command_opens_the_shipped_letter_and_screenshots(
    installed: Path, tmp_path: Path
) -> None:
    png = tmp_path / "window.png"
    run([str(installed / "epistola"), "--screenshot", str(png)], cwd=tmp_path,
        QT_QPA_PLATFORM="offscreen")  # fmt: skip
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000  # a whole window with text, not an empty frame
