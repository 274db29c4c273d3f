"""Markup in letters is text: shown literally, never interpreted, never loaded.

A letter whose text, title, register names and notes hold ``<``, ``&``,
``<img src=...>``, ``<script>``, ``javascript:`` and ``file:`` URLs and
bidirectional control characters. The ``<img>`` sources point at a real PNG in
a folder watched with inotify and at the TCP listener (hostile_support.py): if
any widget rendered the text as HTML and fetched the image, the watch would see
the PNG opened or the listener a connection. Widgets are painted (``grab``) so
that lazy resource loading would happen. Authority links open only when http or
https.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import pytest

from viewer.model import letter_to_json
from viewer.tei import read_letter

from .hostile_support import run_epistola

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytestmark = pytest.mark.hostile

BIDI = "\u202eevil\u202c \u2066isolate\u2069 \u200fmark"


def hostile_letter(folder: Path, file_url: str, http_url: str) -> tuple[Path, dict]:
    """The letter, and the literal strings each part of it must show."""
    img_file = f'<img src="{file_url}">'
    img_http = f'<img src="{http_url}/x.png">'
    title = f"{img_file} <b>Bold</b> & more"
    name = f'{img_http}<script>alert("x")</script>'
    note = f"{img_file} note & <a href='javascript:alert(1)'>link</a>"
    body_cdata = f"{img_http}<script>alert(1)</script>"
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0">
 <teiHeader><fileDesc>
  <titleStmt><title>{html.escape(title, quote=False)}</title></titleStmt>
  <publicationStmt><p>test</p></publicationStmt>
  <sourceDesc><p>{html.escape(img_file, quote=False)}</p></sourceDesc>
 </fileDesc></teiHeader>
 <standOff><listPerson>
  <person xml:id="p1"><persName>{html.escape(name, quote=False)}</persName>
   <idno type="URI">javascript:alert(1)</idno>
   <idno type="URI">file:///etc/passwd</idno>
   <idno type="URI">{file_url}</idno>
   <idno type="wikidata">https://www.wikidata.org/entity/Q42</idno>
  </person>
 </listPerson></standOff>
 <text><body>
  <p>a &lt; b &amp;&amp; c &gt; d; <![CDATA[{body_cdata}]]> see
   <persName ref="#p1">&lt;b&gt;Evil&lt;/b&gt; {html.escape(img_file, quote=False)}</persName>
   javascript:alert(1) file:///etc/passwd {BIDI} &amp;amp; &lt;!-- c --&gt; ]]&gt;
   <note n="1">{html.escape(note, quote=False)}</note></p>
 </body></text>
</TEI>
"""
    path = folder / ".letters" / "markup.xml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(xml, encoding="utf-8")
    mention = f"<b>Evil</b> {img_file}"
    text = (
        f"a < b && c > d; {body_cdata} see {mention} javascript:alert(1) file:///etc/passwd "
        f"{BIDI} &amp; <!-- c --> ]]>[1]\n\n[1] {note}"
    )
    return path, {"title": title, "name": name, "note": note, "text": text, "mention": mention}


@pytest.fixture
def letter_file(tmp_path, marker, watch, listener):
    picture = (marker.parent / "picture.png").as_uri()
    # A repository's root stops register discovery here: walking up, it would otherwise
    # reach the other tests' folders beside this one (test_resolution's broken register).
    (tmp_path / ".git").mkdir()
    path, expected = hostile_letter(tmp_path, picture, listener.url)
    yield path, expected
    assert watch.opened() == [], "something opened the file an <img> in the letter names"
    assert listener.connections == 0, "something fetched the URL an <img> in the letter names"


def test_text_is_read_literally(letter_file):
    path, expected = letter_file
    letter = read_letter(path)
    assert letter.text == expected["text"]
    assert letter.title == expected["title"]
    assert letter.entity("p1").name == expected["name"]
    [mention] = letter.mentions
    assert letter.text[mention.start : mention.end] == expected["mention"]
    [note] = letter.notes
    assert note.text == expected["note"]


def test_only_http_authorities_reach_the_model(letter_file):
    path, _expected = letter_file
    assert read_letter(path).entity("p1").authority == ("https://www.wikidata.org/entity/Q42",)


@pytest.mark.slow
@pytest.mark.e2e
def test_dump_shows_markup_literally(letter_file):
    path, expected = letter_file
    result = run_epistola("--dump", str(path))
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["text"] == expected["text"]
    assert payload["title"] == expected["title"]
    assert payload["entities"][0]["name"] == expected["name"]
    assert payload["notes"][0]["text"] == expected["note"]
    for entity in payload["entities"]:
        assert all(uri.startswith(("http://", "https://")) for uri in entity["authority"])
    assert payload == letter_to_json(read_letter(path)) | {"file": str(path)}


# ----------------------------------------------------------------- the window


@pytest.fixture
def resource_requests(monkeypatch):
    """Every loadResource call on a letter view or its document, whatever it returns."""
    from viewer.gui import letter_view

    calls: list[str] = []
    for cls in (letter_view.LetterView, letter_view._LetterDocument):
        original = cls.loadResource

        def spy(self, kind, name, _original=original):
            calls.append(name.toString())
            return _original(self, kind, name)

        monkeypatch.setattr(cls, "loadResource", spy)
    return calls


def _fragments_without_images(document) -> list[str]:
    texts = []
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            assert not fragment.charFormat().isImageFormat(), fragment.text()
            assert not fragment.charFormat().isAnchor(), fragment.text()
            texts.append(fragment.text())
            iterator += 1
        block = block.next()
    return texts


@pytest.mark.gui
def test_letter_pane_shows_markup_as_text(qtbot, letter_file, resource_requests):
    from viewer.gui.letter_view import LetterView

    path, expected = letter_file
    letter = read_letter(path)
    view = LetterView()
    qtbot.addWidget(view)
    view.set_letter(letter)
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    view.grab()  # paints: lazily loaded resources would be requested now
    assert view.toPlainText() == letter.text == expected["text"]
    assert "<img" in view.toPlainText() and "\u202e" in view.toPlainText()
    _fragments_without_images(view.document())
    rendered = view.document().toHtml()
    assert "<img" not in rendered and "<script" not in rendered
    assert "&lt;img" in rendered
    assert resource_requests == []


@pytest.mark.slow
@pytest.mark.gui
def test_letter_pane_tooltips_escape_letter_text(qtbot, letter_file, resource_requests):
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QToolTip

    from viewer.gui.letter_view import LetterView

    path, expected = letter_file
    letter = read_letter(path)
    view = LetterView()
    qtbot.addWidget(view)
    view.set_letter(letter)
    view.show()
    qtbot.waitExposed(view)
    [mention] = letter.mentions
    [note] = letter.notes
    for position, raw in ((mention.start, expected["name"]), (note.anchor, expected["note"])):
        tip = view.tooltip_at(position)
        assert html.escape(raw) in tip or html.escape(raw, quote=False) in tip, tip
        assert "<img" not in tip and "<script" not in tip and "<a " not in tip
        QToolTip.showText(view.mapToGlobal(QPoint(10, 10)), tip, view.viewport())
        qtbot.wait(50)
    QToolTip.hideText()
    assert resource_requests == []


@pytest.mark.gui
def test_authority_links_open_only_http_and_https(qtbot, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    from viewer.gui.panels import open_authority

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    refused = [
        "javascript:alert(1)",
        "  JavaScript:alert(1)",
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "/etc/passwd",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "ftp://example.org/x",
        "smb://host/share",
        "mailto:x@example.org",
        "\u200bjavascript:alert(1)",
        "java\nscript:alert(1)",
        "http//missing-colon",
        "",
        "[::1",
    ]
    for url in refused:
        assert open_authority(url) is False, url
    assert opened == []
    for url in ("https://www.wikidata.org/entity/Q42", "HTTP://d-nb.info/gnd/118540238"):
        open_authority(url)
    assert opened == ["https://www.wikidata.org/entity/Q42", "http://d-nb.info/gnd/118540238"]


def _make_args(*paths: str):
    import argparse

    return argparse.Namespace(
        paths=list(paths), select=[], screenshot=None, reading="normalised", registers=[]
    )


@pytest.fixture
def main_window(qtbot, tmp_path, monkeypatch):
    from viewer.gui.app import build
    from viewer.gui.crash import uninstall

    for name in ("CONFIG", "CACHE", "LOG"):
        monkeypatch.setenv(f"EPISTOLA_{name}_DIR", str(tmp_path / f"user-{name.lower()}"))
    window, _settings, handler = build(_make_args(), interactive=True, restore=False)
    qtbot.addWidget(window)
    yield window
    uninstall(handler)


@pytest.mark.slow
@pytest.mark.gui
def test_whole_window_never_renders_letter_markup(
    qtbot, main_window, letter_file, resource_requests, monkeypatch
):
    """Every label, tooltip and item of the window, with the hostile letter open."""
    from PySide6.QtCore import QAbstractItemModel, QModelIndex, Qt
    from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel, QMessageBox

    monkeypatch.setattr(QMessageBox, "exec", lambda box: 0)
    path, expected = letter_file
    window = main_window
    assert window.open_letter(str(path)), window.last_error
    window.resize(1300, 900)
    window.show()
    qtbot.waitExposed(window)
    for dock_or_tab in window.findChildren(QAbstractItemView):
        dock_or_tab.show()
    QApplication.processEvents()
    window.grab()
    assert window.view.toPlainText() == expected["text"]

    for label in window.findChildren(QLabel):
        if "<img" in label.text() or "<b>" in label.text():
            assert label.textFormat() == Qt.TextFormat.PlainText, (
                label.objectName(),
                label.text(),
            )
        assert "<img" not in label.toolTip() or label.toolTip().startswith("<p"), label.toolTip()

    def walk(model: QAbstractItemModel, parent: QModelIndex):
        for row in range(model.rowCount(parent)):
            for column in range(model.columnCount(parent)):
                index = model.index(row, column, parent)
                yield index
                yield from walk(model, index)

    checked = 0
    for item_view in window.findChildren(QAbstractItemView):
        model = item_view.model()
        if model is None:
            continue
        for index in walk(model, QModelIndex()):
            tip = model.data(index, Qt.ItemDataRole.ToolTipRole)
            if isinstance(tip, str) and tip:
                checked += 1
                assert "<img" not in tip and "<script" not in tip, tip
    assert checked, "no tooltip was checked: the panels should describe their rows"
    assert resource_requests == []
