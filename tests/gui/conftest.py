"""Fixtures for the window's tests: a fresh settings directory, the window, small letters.

Every test gets its own config and log directory (EPISTOLA_CONFIG_DIR and
EPISTOLA_LOG_DIR point into tmp_path), so settings written by one test never
reach another. The window is built by the real composition root
(``viewer.gui.app.build``), with the real letter view, panels and legend.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

ROOT = Path(__file__).resolve().parents[2]
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"

BERNSTEIN = "pers.bernstein.elizabeth"
HRW = "org.hrw"
WILLIAMS = "pers.williams.jody"
GOOSE = "pers.goose.steve"
AZERBAIJAN = "place.azerbaijan"

TEI = 'xmlns="http://www.tei-c.org/ns/1.0"'

SMALL_LETTER = f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI {TEI}>
  <teiHeader>
    <fileDesc>
      <titleStmt><title>Letter from Anna &lt;b&gt;Ärmel&lt;/b&gt; to Bob</title></titleStmt>
      <publicationStmt><p>test</p></publicationStmt>
      <sourceDesc><p>Typed for the tests &lt;script&gt;</p></sourceDesc>
    </fileDesc>
    <profileDesc>
      <correspDesc>
        <correspAction type="sent">
          <persName ref="#p1">Anna Ärmel</persName>
          <placeName ref="#rome">Rome</placeName>
          <date when="1901-02-03">3 Feb. 1901</date>
        </correspAction>
        <correspAction type="received"><persName ref="#p2">Bob Baker</persName></correspAction>
      </correspDesc>
    </profileDesc>
  </teiHeader>
  <standOff>
    <listPerson>
      <person xml:id="p1"><persName>Anna Ärmel</persName></person>
      <person xml:id="p2"><persName>Bob Baker</persName></person>
      <person xml:id="p3"><persName>Carl Schönberg</persName></person>
    </listPerson>
    <listOrg><org xml:id="o1"><orgName>Acme Works</orgName></org></listOrg>
    <listPlace>
      <place xml:id="rome"><placeName>Rome</placeName>
        <idno type="wikidata">http://www.wikidata.org/entity/Q220</idno></place>
      <place xml:id="evil"><placeName>Evil</placeName>
        <idno type="uri">javascript:alert(1)</idno></place>
    </listPlace>
  </standOff>
  <text><body><div type="letter">
    <ab type="letterhead">
      <list n="Board">
        <item><persName ref="#p3">Carl Schönberg</persName><lb/><roleName>Chair</roleName></item>
        <item><persName ref="#p2">Bob Baker</persName><lb/><roleName>Treasurer</roleName></item>
      </list>
      <list n="Friends">
        <item><persName ref="#p3">Carl Schönberg</persName>
          <affiliation><orgName ref="#o1">Acme Works</orgName></affiliation></item>
      </list>
    </ab>
    <p>Dear <persName ref="#p2">Bob</persName>, I write from <placeName ref="#rome">Rome</placeName>
      about <placeName ref="#evil">Evil</placeName> and <persName ref="#nobody">Zed</persName>.
      <persName ref="#p2">Bob</persName>, <choice><sic>teh</sic><corr>the</corr></choice> end.</p>
    <closer><persName ref="#p1">Anna</persName></closer>
  </div></body></text>
</TEI>
"""


@pytest.fixture(autouse=True)
def user_dirs(tmp_path, monkeypatch):
    """A fresh config and log directory for every test."""
    config = tmp_path / "config"
    logs = tmp_path / "logs"
    monkeypatch.setenv("EPISTOLA_CONFIG_DIR", str(config))
    monkeypatch.setenv("EPISTOLA_LOG_DIR", str(logs))
    return config, logs


@pytest.fixture
def icbl_path() -> Path:
    if not ICBL.is_file():
        pytest.fail(f"the shipped letter {ICBL} is missing")
    return ICBL


@pytest.fixture
def small_letter(tmp_path) -> Path:
    path = tmp_path / "small.xml"
    path.write_text(SMALL_LETTER, encoding="utf-8")
    return path


def make_args(*paths: str, select=(), screenshot=None, reading="normalised", registers=()):
    return argparse.Namespace(
        paths=list(paths),
        select=list(select),
        screenshot=screenshot,
        reading=reading,
        registers=list(registers),
    )


@pytest.fixture
def make_window(qtbot):
    """Build a window the way the app does, open a letter in it and show it."""
    from viewer.gui.app import build
    from viewer.gui.crash import uninstall

    made = []

    def make(path: Path | None = None, *, show: bool = True, restore: bool = True):
        window, _settings, handler = build(make_args(), interactive=True, restore=restore)
        made.append(handler)
        qtbot.addWidget(window)
        if path is not None:
            assert window.open_letter(str(path)), window.last_error
        if show:
            window.show()
            qtbot.waitExposed(window)
        return window

    yield make
    for handler in made:
        uninstall(handler)


@pytest.fixture
def window(make_window, icbl_path):
    return make_window(icbl_path)


@pytest.fixture
def dialogs(monkeypatch):
    """Capture message boxes instead of showing them: a list of (title, text, details)."""
    from PySide6.QtWidgets import QMessageBox

    shown: list[tuple[str, str, str]] = []

    def fake_exec(box):
        shown.append((box.windowTitle(), box.text(), box.detailedText()))
        return int(QMessageBox.StandardButton.Ok)

    def fake_show(box):
        shown.append((box.windowTitle(), box.text(), box.detailedText()))

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)
    monkeypatch.setattr(QMessageBox, "show", fake_show)
    return shown
