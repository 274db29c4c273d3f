"""The command line contract: ``--dump`` JSON shape, ``--check`` exit codes, errors, ``--help``.

Most tests start ``python main.py`` as a process from the repository root,
as a user would; the sweep over the whole corpus runs in-process for speed
and as a process for a handful of files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from testdata import CORPUS, require

from viewer import cli

ROOT = Path(__file__).resolve().parents[1]
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"
TEI = "http://www.tei-c.org/ns/1.0"


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )


def corpus() -> Path:
    return require(CORPUS)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder deep enough that register discovery, walking up, stays inside tmp_path."""
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    return deep


def letter_xml(body: str) -> str:
    return (
        f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt><title>T</title></titleStmt>'
        "<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc>"
        f"</teiHeader><text><body>{body}</body></text></TEI>"
    )


# ------------------------------------------------------------ the JSON shape


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_party(party: object) -> None:
    assert isinstance(party, dict)
    assert isinstance(party["name"], str)
    assert _is_str_list(party["entities"])


def assert_dump_shape(data: dict) -> None:
    """The shape issue 2 fixes (extra keys allowed), with the type of every key."""
    assert isinstance(data["file"], str)
    assert isinstance(data["title"], str)
    date = data["date"]
    assert date is None or (
        isinstance(date, dict)
        and (date["when"] is None or isinstance(date["when"], str))
        and isinstance(date["text"], str)
    )
    for key in ("sender", "recipient"):
        assert isinstance(data[key], list)
        for party in data[key]:
            _check_party(party)
    assert isinstance(data["text"], str)
    assert isinstance(data["entities"], list)
    for entity in data["entities"]:
        assert isinstance(entity["id"], str) and isinstance(entity["kind"], str)
        assert entity["kind"] in (
            "person", "organisation", "place", "date", "treaty", "work", "event", "other"
        )  # fmt: skip
        assert isinstance(entity["name"], str)
        assert _is_str_list(entity["variants"]) and _is_str_list(entity["authority"])
        assert entity["register"] is None or isinstance(entity["register"], str)
    assert isinstance(data["mentions"], list)
    for mention in data["mentions"]:
        assert isinstance(mention["start"], int) and isinstance(mention["end"], int)
        assert isinstance(mention["kind"], str)
        assert _is_str_list(mention["entities"]) and _is_str_list(mention["unresolved"])
    assert isinstance(data["letterhead"], list)
    for section in data["letterhead"]:
        assert isinstance(section["title"], str)
        for member in section["members"]:
            assert isinstance(member["name"], str) and isinstance(member["kind"], str)
            assert _is_str_list(member["entities"])
            assert member["role"] is None or isinstance(member["role"], str)
            affiliation = member["affiliation"]
            assert affiliation is None or (
                isinstance(affiliation["name"], str) and _is_str_list(affiliation["entities"])
            )
    assert isinstance(data["diagnostics"], list)
    for diagnostic in data["diagnostics"]:
        assert diagnostic["severity"] in ("error", "warning", "info")
        assert isinstance(diagnostic["code"], str) and isinstance(diagnostic["message"], str)
        assert diagnostic["line"] is None or isinstance(diagnostic["line"], int)


def assert_mentions_slice(data: dict) -> None:
    text = data["text"]
    for mention in data["mentions"]:
        surface = text[mention["start"] : mention["end"]]
        assert surface and surface == surface.strip(), mention
        assert 0 <= mention["start"] < mention["end"] <= len(text)


@pytest.mark.slow
def test_dump_of_the_shipped_letter() -> None:
    result = run("--dump", str(ICBL.relative_to(ROOT)))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert_dump_shape(data)
    assert_mentions_slice(data)
    assert [s["title"] for s in data["letterhead"]][:1] == ["Staff"]
    assert data["date"]["when"] == "2007-07-24"


@pytest.mark.slow
def test_dump_of_a_corpus_letter_carries_register_and_unresolved() -> None:
    path = corpus() / "mitford" / "letters" / "1815-04-03_Elford.xml"
    result = run("--dump", str(path))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert_dump_shape(data)
    assert_mentions_slice(data)
    registers = {e["register"] for e in data["entities"]}
    assert any(r and r.endswith("si-local.xml") for r in registers)
    assert any(m["unresolved"] for m in data["mentions"])


@pytest.mark.slow
def test_dump_is_utf8_whatever_the_locale(folder: Path) -> None:
    path = write(folder / "umlaut.xml", letter_xml("<p>Grüße aus Zürich – ſ</p>"))
    result = subprocess.run(
        [sys.executable, "main.py", "--dump", str(path)],
        cwd=ROOT,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "LC_ALL": "C", "PYTHONIOENCODING": "ascii"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.decode("utf-8"))["text"] == "Grüße aus Zürich – ſ"


# -------------------------------------------------------------- --check


@pytest.mark.slow
def test_check_exits_0_with_warnings_only(folder: Path) -> None:
    path = write(folder / "dangling.xml", letter_xml('<p><persName ref="#ghost">G</persName></p>'))
    result = run("--check", str(path))
    assert result.returncode == 0, result.stderr
    assert "warning: dangling-ref" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].endswith("0 error(s), 1 warning(s), 0 note(s)")


@pytest.mark.slow
def test_check_exits_1_with_an_error(folder: Path) -> None:
    path = write(folder / "dup.xml", letter_xml('<p xml:id="a">x</p><p xml:id="a">y</p>'))
    result = run("--check", str(path))
    assert result.returncode == 1
    assert "error: duplicate-id" in result.stdout


@pytest.mark.slow
def test_check_lists_each_diagnostic_on_its_own_line(folder: Path) -> None:
    path = write(
        folder / "two.xml",
        letter_xml('<p><persName ref="#a">A</persName>\n<persName ref="#b">B</persName></p>'),
    )
    lines = run("--check", str(path)).stdout.splitlines()
    assert len([line for line in lines if "dangling-ref" in line]) == 2


BAD_INPUT = [
    ("missing.xml", None, "no such file"),
    ("empty.xml", "", "is empty"),
    ("not-xml.xml", "this is not <xml", ("not XML", "not well-formed XML")),
    ("mapping.xml", '<mappingtable><doc image="a.jpg"/></mappingtable>', "not a TEI document"),
    ("no-text.xml", f'<TEI xmlns="{TEI}"><teiHeader/></TEI>', "no <text>"),
    (
        "register.xml",
        f'<TEI xmlns="{TEI}"><teiHeader/><standOff><listPerson><person xml:id="p">'
        "<persName>P</persName></person></listPerson></standOff></TEI>",
        "is a register file, not a letter",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize("command", ["--dump", "--check"])
@pytest.mark.parametrize(("name", "content", "says"), BAD_INPUT)
def test_bad_input_is_one_line_and_exit_2(
    folder: Path, command: str, name: str, content: str | None, says: str | tuple[str, ...]
) -> None:
    path = folder / name
    if content is not None:
        write(path, content)
    result = run(command, str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0]
    assert any(s in lines[0] for s in ((says,) if isinstance(says, str) else says)), lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_malformed_xml_names_line_and_column(folder: Path) -> None:
    path = write(folder / "broken.xml", f'<TEI xmlns="{TEI}">\n<text>\n<body></text></TEI>')
    result = run("--dump", str(path))
    assert result.returncode == 2
    assert f"{path}:3:" in result.stderr


def test_help_documents_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    for option in ("--dump", "--check", "--index", "--select", "--screenshot"):
        assert option in result.stdout


# --------------------------------------------------------- the whole corpus


@pytest.mark.slow
@pytest.mark.corpus
def test_every_corpus_file_dumps_or_fails_with_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    files = sorted(corpus().rglob("*.xml"))
    assert len(files) >= 170
    outcomes: dict[int, int] = {}
    for path in files:
        code = cli.main(["--dump", str(path)])
        out, err = capsys.readouterr()
        outcomes[code] = outcomes.get(code, 0) + 1
        if code == 0:
            data = json.loads(out)
            assert_dump_shape(data)
            assert_mentions_slice(data)
            assert err == ""
        else:
            assert code == 2, (path, err)
            assert out == "" and len(err.splitlines()) == 1 and str(path) in err
    # 87 letters dump; registers and mapping files are refused with a reason.
    assert outcomes == {0: 87, 2: len(files) - 87}


HANDFUL = [
    "schnitzler-briefe/editions/L00007.xml",
    "escher/briefe/K_0029_Heer_Oswald_an_Escher_1867-12-15.xml",
    "jean-paul/briefe/vonbriefe/I/I_10.xml",
    "mitford/letters/1819-01-09-Elford.xml",
]


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.corpus
@pytest.mark.parametrize("relative", HANDFUL)
def test_corpus_letters_dump_as_a_process(relative: str) -> None:
    result = run("--dump", str(corpus() / relative))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert_dump_shape(data)
    assert_mentions_slice(data)


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.corpus
@pytest.mark.parametrize(
    ("relative", "says"),
    [
        ("escher/people/people.xml", "is a register file, not a letter (it lists 103 entities)"),
        ("jean-paul/register/Themen.xml", "is a register file, not a letter"),
        ("escher/regions/K_0029_mapping.xml", "is not a TEI document"),
    ],
)
def test_corpus_non_letters_fail_as_a_process(relative: str, says: str) -> None:
    result = run("--dump", str(corpus() / relative))
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and says in result.stderr
