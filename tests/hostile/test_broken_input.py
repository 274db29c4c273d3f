"""Broken input: each case read in-process and through ``main.py --dump`` / ``--check``.

A file Epistola cannot show gets one line on stderr naming the file and the
problem, exit code 2 and no traceback; a file that is odd but readable (UTF-16,
a declared single-byte encoding) opens. Paths that are not regular files
(folders, named pipes, devices, sockets, loops) are refused before anything is
opened, so nothing blocks.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import sys
from pathlib import Path

import pytest

from viewer.errors import EpistolaError
from viewer.tei import read_letter
from viewer.tei.xml import read_bounded, read_head

from .hostile_support import REPO, assert_one_line_error, run_epistola, tei

pytestmark = pytest.mark.hostile

XHTML = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"
  "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Letter</title></head>
<body><p>Dear Sir&nbsp;&amp; Madam</p></body></html>
"""

WORD_DOCUMENT = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
  xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<w:body><w:p><w:r><w:t>Dear Sir,</w:t></w:r></w:p><w:sectPr/></w:body></w:document>
"""

REPO_LETTER = REPO / "letters" / "icbl-2007-07-24-anama.xml"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
CAFE = "café naïve"

# name -> (bytes, fragment of the one-line error)
REFUSED: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "is empty"),
    "only-whitespace": (b" \n\t\n", "is empty"),
    "binary-png": (PNG, "is not XML (it looks like a binary file)"),
    "binary-no-zero-bytes": (bytes(range(1, 256)) * 8, "is not XML: it does not start with"),
    "plain-text": (b"Dear Sir,\nI write to you ...\n", "is not XML: it does not start with"),
    "truncated": (tei("Dear Sir, I write")[:-40], "it ends too early (is it cut short?)"),
    "truncated-mid-character": (
        tei("caf\u00e9").split(b"caf")[0] + b"caf\xc3",
        "is not well-formed XML",
    ),
    "unknown-encoding": (
        b'<?xml version="1.0" encoding="klingon"?>' + tei("x"),
        "declares an encoding Epistola does not know ('klingon')",
    ),
    "latin-1-bytes-declared-utf-8": (
        b'<?xml version="1.0" encoding="UTF-8"?>' + tei(CAFE).decode().encode("latin-1"),
        "has bytes that are not valid UTF-8 (as declared)",
    ),
    "latin-1-bytes-undeclared": (
        tei(CAFE).decode().encode("latin-1"),
        "not valid UTF-8 (it declares no encoding, so UTF-8 is assumed)",
    ),
    "utf-16-declared-but-utf-8": (
        b'<?xml version="1.0" encoding="UTF-16"?>' + tei("x"),
        "declares UTF-16, but its bytes are not in that encoding",
    ),
    "xhtml": (XHTML, "is not a TEI document (its root element is <html> in namespace"),
    "word-document-xml": (
        WORD_DOCUMENT,
        "its root element is <document> in namespace "
        "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
    ),
    "tei-without-text": (
        b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/></TEI>',
        "is TEI but has no <text> element",
    ),
    "empty-tei-corpus": (
        b'<teiCorpus xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/></teiCorpus>',
        "teiCorpus without any TEI letter",
    ),
    "mismatched-tags": (b"<TEI><text><p>x</text></TEI>", "Opening and ending tag mismatch"),
    "two-roots": (tei("x") + tei("y"), "Extra content at the end of the document"),
    "undeclared-prefix": (b"<TEI><text><tei:p>x</tei:p></text></TEI>", "Namespace prefix tei"),
    "control-character": (tei("bell \x07 here"), "is not well-formed XML"),
    "undefined-entity": (tei("caf&eacute;"), "Entity 'eacute' not defined"),
}

# name -> (bytes, the text the letter must show)
OPENS: dict[str, tuple[bytes, str]] = {
    "declared-iso-8859-1": (
        b'<?xml version="1.0" encoding="ISO-8859-1"?>' + tei(CAFE).decode().encode("latin-1"),
        CAFE,
    ),
    "declared-windows-1252": (
        b'<?xml version="1.0" encoding="windows-1252"?>'
        + tei("5 € – ok").decode().encode("cp1252"),
        "5 € – ok",
    ),
    "utf-16-le-with-bom": (
        ('<?xml version="1.0" encoding="UTF-16"?>' + tei(CAFE).decode()).encode("utf-16"),
        CAFE,
    ),
    "utf-16-be-with-bom": (
        b"\xfe\xff"
        + ('<?xml version="1.0" encoding="UTF-16"?>' + tei(CAFE).decode()).encode("utf-16-be"),
        CAFE,
    ),
    "utf-16-bom-no-declaration": (tei(CAFE).decode().encode("utf-16"), CAFE),
    "utf-8-with-bom": (b"\xef\xbb\xbf" + tei(CAFE), CAFE),
    "no-namespace-tei": (f"<TEI><text><body><p>{CAFE}</p></body></text></TEI>".encode(), CAFE),
}


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / ".letters" / f"{name}.xml"  # dot-folder: see test_xml_attacks
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_in_process(name, tmp_path):
    data, fragment = REFUSED[name]
    path = _write(tmp_path, name, data)
    with pytest.raises(EpistolaError) as caught:
        read_letter(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert fragment in message, message
    assert "\n" not in message


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("option", ["--dump", "--check"])
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_command_line(name, option, tmp_path):
    data, fragment = REFUSED[name]
    path = _write(tmp_path, name, data)
    assert_one_line_error(run_epistola(option, str(path)), f"epistola: {path}", fragment)


@pytest.mark.parametrize("name", sorted(OPENS))
def test_opens_in_process(name, tmp_path):
    data, text = OPENS[name]
    assert read_letter(_write(tmp_path, name, data)).text == text


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("name", sorted(OPENS))
def test_opens_command_line(name, tmp_path):
    data, text = OPENS[name]
    result = run_epistola("--dump", str(_write(tmp_path, name, data)))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["text"] == text


def test_tei_with_an_empty_text_opens_with_a_warning(tmp_path):
    path = _write(tmp_path, "empty-text", b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text/></TEI>')
    letter = read_letter(path)
    assert letter.text == ""
    assert [d.code for d in letter.diagnostics] == ["empty-text"]


# ------------------------------------------------------------------ paths


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "a folder.xml"
    folder.mkdir()
    return folder


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "gone.xml"


def _parent_is_a_file(tmp_path: Path) -> Path:
    (tmp_path / "plain.xml").write_bytes(tei("x"))
    return tmp_path / "plain.xml" / "letter.xml"


def _fifo(tmp_path: Path) -> Path:
    os.mkfifo(tmp_path / "pipe.xml")
    return tmp_path / "pipe.xml"


def _symlink_to_fifo(tmp_path: Path) -> Path:
    os.mkfifo(tmp_path / "pipe")
    os.symlink(tmp_path / "pipe", tmp_path / "pipe-link.xml")
    return tmp_path / "pipe-link.xml"


def _symlink_loop(tmp_path: Path) -> Path:
    os.symlink(tmp_path / "b.xml", tmp_path / "a.xml")
    os.symlink(tmp_path / "a.xml", tmp_path / "b.xml")
    return tmp_path / "a.xml"


def _socket(tmp_path: Path) -> Path:
    path = tmp_path / "s.xml"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    _socket.keep = server  # bound for the duration of the test
    return path


def _long_name(tmp_path: Path) -> Path:
    return tmp_path / ("x" * 300 + ".xml")


PATHS = {
    "folder": (_folder, "is a folder, not a file"),
    "missing": (_missing, "no such file"),
    "parent-is-a-file": (_parent_is_a_file, "no such file (a part of its path is not a folder)"),
    "named-pipe": (_fifo, "is not a regular file (it is a named pipe)"),
    "symlink-to-named-pipe": (_symlink_to_fifo, "is not a regular file (it is a named pipe)"),
    "dev-zero": (lambda _tmp: Path("/dev/zero"), "is not a regular file (it is a device)"),
    "dev-null": (lambda _tmp: Path("/dev/null"), "is not a regular file (it is a device)"),
    "symlink-loop": (_symlink_loop, "loop of symbolic links"),
    "unix-socket": (_socket, "is not a regular file (it is a socket)"),
    "name-too-long": (_long_name, "the file name is too long"),
}


@pytest.mark.parametrize("name", sorted(PATHS))
def test_bad_path_in_process(name, tmp_path):
    make, fragment = PATHS[name]
    path = make(tmp_path)
    with pytest.raises(EpistolaError) as caught:
        read_letter(path)
    assert str(caught.value) == f"{path}: {fragment}" or fragment in str(caught.value)
    assert str(caught.value).startswith(str(path))


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("option", ["--dump", "--check"])
@pytest.mark.parametrize("name", sorted(PATHS))
def test_bad_path_command_line(name, option, tmp_path):
    make, fragment = PATHS[name]
    path = make(tmp_path)
    assert_one_line_error(run_epistola(option, str(path)), f"epistola: {path}", fragment)


def test_sniffing_a_pipe_does_not_block(tmp_path):
    with pytest.raises(EpistolaError, match="named pipe"):
        read_head(_fifo(tmp_path), 4096)
    assert read_head(_write(tmp_path, "ok", tei("x")), 5) == b"<TEI "


# ---------------------------------------------- files that change under us


def test_file_that_vanishes_before_it_is_opened(tmp_path, monkeypatch):
    path = _write(tmp_path, "vanishing", tei("x"))
    real_open = os.open

    def vanish_then_open(target, *args, **kwargs):
        if os.fspath(target) == str(path):
            path.unlink()
        return real_open(target, *args, **kwargs)

    monkeypatch.setattr(os, "open", vanish_then_open)
    with pytest.raises(EpistolaError, match="no such file"):
        read_letter(path)


def test_file_swapped_for_a_pipe_after_the_check_does_not_block(tmp_path, monkeypatch):
    """The kind is checked again on the open descriptor, which was opened non-blocking."""
    path = _write(tmp_path, "swapped", tei("x"))
    real_open = os.open

    def swap_then_open(target, *args, **kwargs):
        if os.fspath(target) == str(path):
            path.unlink()
            os.mkfifo(path)
        return real_open(target, *args, **kwargs)

    monkeypatch.setattr(os, "open", swap_then_open)
    with pytest.raises(EpistolaError, match="named pipe"):
        read_letter(path)


def test_read_error_while_reading(tmp_path, monkeypatch):
    path = _write(tmp_path, "failing-disk", tei("x"))

    def failing_read(descriptor, size):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(os, "read", failing_read)
    with pytest.raises(EpistolaError) as caught:
        read_bounded(path)
    assert str(caught.value) == f"{path}: cannot be read (Input/output error)"


def test_file_that_grows_while_it_is_read(tmp_path, monkeypatch):
    path = _write(tmp_path, "growing", tei("x"))
    real_read = os.read

    def growing_read(descriptor, size):
        return real_read(descriptor, size) or b" " * size  # never reaches the end

    monkeypatch.setattr(os, "read", growing_read)
    with pytest.raises(EpistolaError, match="too large to open"):
        read_bounded(path, limit=1000)


# --------------------------------------------------- names that are hostile


@pytest.mark.slow
@pytest.mark.e2e
def test_a_newline_in_the_file_name_keeps_the_error_on_one_line(tmp_path):
    path = tmp_path / "evil\nepistola: forged second line.xml"
    path.write_bytes(b"not xml")
    assert_one_line_error(run_epistola("--dump", str(path)), "is not XML")


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("option", ["--dump", "--check"])
def test_a_file_name_that_is_not_utf8(tmp_path, option):
    path = os.path.join(os.fsencode(tmp_path), b"lettre-\xe9t\xe9.xml")
    with open(path, "wb") as stream:
        stream.write(tei(CAFE))
    result = run_epistola(option, os.fsdecode(path))
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr
    if option == "--dump":
        assert json.loads(result.stdout)["text"] == CAFE


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file-name rules")
def test_a_file_name_that_is_not_utf8_reads_in_process(tmp_path):
    path = os.path.join(os.fsencode(tmp_path), b"lettre-\xe9t\xe9.xml")
    with open(path, "wb") as stream:
        stream.write(tei(CAFE))
    assert read_letter(os.fsdecode(path)).text == CAFE


# ------------------------------------------------------------ --index FOLDER


def _index(folder: Path, tmp_path: Path):
    return run_epistola("--index", str(folder))


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("make", ["missing", "file"])
def test_index_of_something_that_is_not_a_folder(make, tmp_path, monkeypatch):
    monkeypatch.setenv("EPISTOLA_CACHE_DIR", str(tmp_path / "cache"))
    target = tmp_path / "letter.xml"
    if make == "file":
        target.write_bytes(tei("x"))
    assert_one_line_error(_index(target, tmp_path), f"epistola: {target}", "is not a folder")


@pytest.mark.slow
@pytest.mark.e2e
def test_index_lists_every_broken_file_and_keeps_the_good_ones(tmp_path, monkeypatch):
    monkeypatch.setenv("EPISTOLA_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "collection"
    folder.mkdir()
    letter = REPO_LETTER.read_bytes()
    (folder / "good.xml").write_bytes(letter)
    broken = ["empty", "binary-png", "truncated", "unknown-encoding", "latin-1-bytes-undeclared"]
    for name in broken:
        (folder / f"{name}.xml").write_bytes(REFUSED[name][0])
    result = _index(folder, tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert [Path(entry["file"]).name for entry in payload["letters"]] == ["good.xml"]
    errors = {Path(entry["file"]).stem: entry["message"] for entry in payload["errors"]}
    assert sorted(errors) == sorted(broken)
    for name in broken:
        assert REFUSED[name][1] in errors[name], (name, errors[name])


@pytest.mark.slow
@pytest.mark.e2e
def test_index_of_a_folder_with_a_named_pipe_does_not_hang(tmp_path, monkeypatch):
    monkeypatch.setenv("EPISTOLA_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "collection"
    folder.mkdir()
    (folder / "good.xml").write_bytes(REPO_LETTER.read_bytes())
    os.mkfifo(folder / "pipe.xml")
    result = run_epistola("--index", str(folder), timeout=8, fail_on_timeout=False)
    assert result is not None, "--index blocked on the named pipe"
    payload = json.loads(result.stdout)
    assert [Path(entry["file"]).name for entry in payload["letters"]] == ["good.xml"]


@pytest.mark.slow
@pytest.mark.e2e
def test_index_of_a_folder_without_letters_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("EPISTOLA_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "nothing here"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a letter")
    assert_one_line_error(_index(folder, tmp_path), str(folder), "no letters")


# ------------------------------------- found by tests/test_properties.py


def test_name_ending_the_letter_with_an_empty_block_inside(tmp_path):
    """Was an IndexError in viewer/tei/text.py _trim_range (offsets past the stripped text)."""
    path = _write(
        tmp_path,
        "trailing-empty-block",
        tei("Dear friend,</p><p><gap/><persName><list/></persName>"),
    )
    letter = read_letter(path)
    assert letter.text == "Dear friend,\n\n[…]"


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.gui
def test_window_on_a_folder_without_letters(tmp_path):
    folder = tmp_path / "no letters here"
    folder.mkdir()
    (folder / "readme.txt").write_text("nothing")
    result = run_epistola(str(folder), "--screenshot", str(tmp_path / "shot.png"), timeout=60)
    assert_one_line_error(result, str(folder), "holds no letter")
    assert not (tmp_path / "shot.png").exists()
