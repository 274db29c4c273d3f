"""What the window's start does beside Qt: its first letter read ahead in a worker process
(viewer.gui.app.FirstRead), and PySide6 spared reading every module's source.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import viewer
from viewer.gui import app

ROOT = Path(__file__).resolve().parents[2]
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"

# A fresh process: the test process has Qt loaded, where FirstRead forks no worker.
SCRIPT = """
import json, sys, types
from viewer.gui.app import FirstRead, LazyRegisters
from viewer.settings import Settings
from viewer.tei.catalog import RegisterCatalog

path, case = sys.argv[1], sys.argv[2]
settings = Settings().load()
args = types.SimpleNamespace(registers=sys.argv[3:])
if case == "staged":
    import viewer.tei.reader as reader
    reader.STAGED_FROM_BYTES = 1000  # the worker is forked from this state
answer = {"qt_before": "PySide6.QtCore" in sys.modules}
first = FirstRead.start(path, "diplomatic", settings, args)
answer["forked"] = first is not None
if case == "other reading":
    answer["taken"] = first.take(path, "normalised") is not None
    answer["again"] = first.take(path, "diplomatic") is not None
else:
    letter = first.take(path, "diplomatic")
    answer["taken"] = letter is not None
    if letter is not None:
        import viewer.tei.reader as reader
        registers = LazyRegisters(RegisterCatalog(extra_folders=sys.argv[3:]), path)
        here = reader.read_letter(path, reading="diplomatic", registers=registers)
        answer["same"] = letter == here and letter.diagnostics == here.diagnostics
    answer["again"] = first.take(path, "diplomatic") is not None
answer["lxml_here"] = "lxml.etree" in sys.modules
print(json.dumps(answer))
"""


def run(path: Path | str, case: str, *registers: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path), case, *registers],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


@pytest.mark.e2e
def test_the_first_letter_read_ahead_is_the_letter_the_window_would_read():
    answer = run(ICBL, "same")
    assert answer == {
        "qt_before": False,
        "forked": True,
        "taken": True,
        "same": True,
        "again": False,  # handed over once
        "lxml_here": True,  # only because the test read the letter here too
    }


@pytest.mark.e2e
def test_a_letter_with_registers_elsewhere_is_read_ahead_with_them(tmp_path):
    from testdata import CORPUS, require

    # Escher's letters point into the register files of a sibling folder (places/), and
    # the remembered or given register folders (here an empty one) are searched as well.
    letter = sorted(require(CORPUS / "escher" / "briefe").rglob("*.xml"))[0]
    answer = run(letter, "same", str(tmp_path))
    assert answer["forked"] and answer["taken"] and answer["same"]


@pytest.mark.e2e
def test_another_request_or_a_letter_read_in_stages_is_left_to_the_window(tmp_path):
    assert run(ICBL, "other reading") == {
        "qt_before": False,
        "forked": True,
        "taken": False,
        "again": False,
        "lxml_here": False,  # the window's process never imported the parser
    }
    staged = run(ICBL, "staged")
    assert staged["forked"] and not staged["taken"]
    broken = tmp_path / "broken.xml"
    broken.write_text("<TEI><text>unclosed", encoding="utf-8")
    answer = run(broken, "broken")
    assert answer["forked"] and not answer["taken"]  # the window reads it, and says why


def test_with_qt_loaded_nothing_is_read_ahead():
    assert "PySide6.QtCore" in sys.modules
    settings = types.SimpleNamespace(register_folders=[])
    assert app.FirstRead.start(str(ICBL), "normalised", settings, None) is None


def test_pyside_is_told_which_modules_use_it(monkeypatch):
    feature = sys.modules["PySide6.support.feature"]
    answers = dict(feature.pyside_feature_dict)
    monkeypatch.setattr(feature, "pyside_feature_dict", answers)
    for name in [name for name in answers if name.startswith("viewer")]:
        del answers[name]
    assert app.spare_source_scans() > 0
    assert app.spare_source_scans() == 0  # nothing left to add
    package = Path(viewer.__file__).parent
    for path in package.rglob("*.py"):
        parts = path.relative_to(package).with_suffix("").parts
        name = ".".join(("viewer", *(parts[:-1] if parts[-1] == "__init__" else parts)))
        if parts[0] in ("gui", "tei", "exports") or len(parts) == 1:
            assert name in answers, name  # PySide6's hook will not read its source
    for name, module in list(sys.modules.items()):
        if name == "viewer.gui" or name.startswith("viewer.gui."):
            # 0 ("uses PySide") is what PySide6's own check answers for the Qt layer.
            assert answers[name] == 0 and feature._mod_uses_pyside(module), name
        elif name.startswith("viewer."):
            assert answers[name] == -1, name
            assert not any(
                getattr(value, "__name__", "").startswith("PySide6")
                for value in vars(module).values()
                if isinstance(value, types.ModuleType)
            ), name


def test_without_pysides_table_nothing_is_recorded(monkeypatch):
    monkeypatch.setitem(sys.modules, "PySide6.support.feature", types.SimpleNamespace())
    assert app.spare_source_scans() == 0


def test_the_windows_get_epistolas_icon(qapp):
    from PySide6.QtGui import QIcon

    before = qapp.windowIcon()
    qapp.setWindowIcon(QIcon())
    try:
        app.set_app_icon(qapp)
        assert not qapp.windowIcon().pixmap(32, 32).isNull()
    finally:
        qapp.setWindowIcon(before)


def test_a_file_listed_with_its_letter_read_is_not_read_again(tmp_path, monkeypatch):
    from viewer import collection
    from viewer.tei import read_letter

    letter = read_letter(ICBL)
    plain = collection.index_files([ICBL])
    copy = tmp_path / ICBL.name
    copy.write_bytes(ICBL.read_bytes())
    monkeypatch.setattr("viewer.tei.read_letter", lambda *a, **k: pytest.fail("read again"))
    given = collection.index_files([copy], letters={str(copy): letter})

    def listed(index, file: Path) -> dict:
        # What --index would print of it, but for where the file is.
        shown = {key: index.to_json()[key] for key in ("letters", "entities", "errors")}
        return json.loads(json.dumps(shown).replace(json.dumps(str(file))[1:-1], "FILE"))

    assert listed(given, copy) == listed(plain, ICBL)
    assert len(plain.to_json()["letters"]) == 1


STARTED = """
import gc, json, sys
from viewer import cli
code = cli.main([sys.argv[1], "--screenshot", sys.argv[2]])
print(json.dumps({"code": code, "parser": "lxml.etree" in sys.modules, "gc": gc.isenabled()}))
"""


@pytest.mark.e2e
def test_the_windows_process_never_imports_the_parser_for_a_letter_it_lists(tmp_path):
    # The worker reads the letter; the letter list takes the window's letter instead of
    # reading the file again: the window's own process imports neither lxml nor the reader.
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "EPISTOLA_CONFIG_DIR": str(tmp_path / "config"),
        "EPISTOLA_LOG_DIR": str(tmp_path / "logs"),
        "EPISTOLA_CACHE_DIR": str(tmp_path / "cache"),
    }
    png = tmp_path / "shot.png"
    result = subprocess.run(
        [sys.executable, "-c", STARTED, str(ICBL), str(png)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # The collector, paused for the start, is on again once the run is over.
    assert json.loads(result.stdout.splitlines()[-1]) == {"code": 0, "parser": False, "gc": True}
    assert png.stat().st_size > 10_000
