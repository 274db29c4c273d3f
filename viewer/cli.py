"""The command line: a public contract archivists script against.

``--dump``, ``--check``, ``--index``, ``--cmif`` and ``--csv`` never import Qt;
with none of them the window opens (``--select`` and ``--screenshot`` steer
it; ``--pdf`` prints a letter with an offscreen Qt and no window). Keys of the JSON
output may be added, never renamed or removed. Exit codes: 0 success, 1 a
check found errors, 2 a file could not be read or parsed (one line on
stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from viewer import __version__
from viewer.errors import EpistolaError

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2

DESCRIPTION = """\
Epistola shows letters encoded in TEI XML with their named entities highlighted
and the sending organisation's letterhead beside them.

With no option it opens the viewer: on FILE or FOLDER when given, otherwise on
the letters shipped with Epistola."""

EPILOG = """\
JSON output (--dump):
  {"file", "title", "date": {"when", "text", "notBefore", "notAfter"} | null,
   "sender": [{"name", "entities": [id]}], "recipient": [...], "places": [...],
   "source", "reading", "text",
   "entities": [{"id", "kind", "name", "variants", "authority", "register"}],
   "mentions": [{"start", "end", "kind", "entities", "unresolved", "implied",
                 "inNote", "line"}],
   "lineReferences": [...], "letterhead": [{"title", "issuer": id | null,
   "printed": true | false, "block": n, "members": [{"name", "kind",
   "entities", "role", "affiliation": {"name", "entities"} | null}]}],
   "notes": [...], "diagnostics": [{"severity", "code", "message", "line"}],
   "lineBreaks": [{"offset", "n", "id"}],
   "pages": [{"n", "facs", "image", "width", "height", "offset", "remote"}]}
  text[start:end] is each mention's text. Kinds: person, organisation, place,
  date, treaty, work, event, other. A printed letterhead ("printed": true) has
  one member per printed line, of kind organisation, person, place, contact or
  line; "issuer" is the entity whose stationery it is; sections with the same
  "block" are one letterhead (0, 1 ... in the letter's order: a letter may be
  written on two, e.g. page 2 on other paper). Each mention also has
  "regions": [{"page", "x", "y", "w", "h"}]: where its line or element is on the page images, in
  image pixels ("page" indexes "pages"; empty when nothing links it). "pages"
  lists the letter's pages in text order: "facs" the image the page wants
  (a file name or URL; null for none), "image" the file found for it in the
  image folders (null when not found or remote: nothing is ever fetched),
  "width"/"height" the image's pixel size, else the size the encoding
  declares, else null, "offset" where the page starts in "text". "lineBreaks"
  has one entry per lb that breaks the text: where its line starts (a
  line that several lbs start has the last one's entry). "text" is the same
  whichever way the viewer shows line breaks (--line-breaks).

JSON output (--index):
  {"letters": [{"file", "title", "date", "dateText", "sender", "recipient",
                "senders", "recipients", "mentions", "entities",
                "letterheadIssuers"}],
   "entities": [{"id", "kind", "name", "letters": [file], "mentions"}],
   "errors": [{"file", "message"}],
   "letterheads": [{"issuer": id | null, "title", "letters": [file], "first",
                    "last", "printed", "versions": [{"lines": [text],
                    "letters": [file], "first", "last", "added": [text],
                    "removed": [text], "changed": [{"before", "after"}],
                    "since": version index | null}],
                    "undated": [{"letter": file, "matches": [version index]}]}],
   "cancelled", "notes": [text], "database": path | null,
   "files": {"letters", "registers", "other", "errors"},
   "stats": {"parsed", "cached", "removed", "seconds", "mode"}}
  One row per line. The collection lives in an SQLite database in the user
  cache dir ("database"); a second --index reads only files that changed.
  "letterheads" groups every letterhead of the collection by issuer (entity id;
  a letterhead naming none by its text); its letters are in date order, undated
  last. A version is one set of printed lines or members; "added", "removed"
  and "changed" compare it with the most alike earlier version ("since").

JSON output (--search QUERY DIR):
  {"query", "hits": [{"file", "start", "end", "context", "title", "reading"}],
   "letters": number of letters searched, "errors": [{"file", "message"}]}
  Hits are in the collection's order (by path), each letter's in text order.
  QUERY matches as a phrase, blind to case, accents and spacing; each of its
  words matches the beginning of a word. "start"/"end" index the letter's text
  in "reading" (--dump FILE --reading R prints that text); a hit found only in
  the other reading (a diplomatic spelling, say) names that reading.
  --index and --search keep the collection in a database in the user cache
  dir (see README): a second run reads only files that changed.

CMIF (--cmif DIR): one TEI file valid against the CMIF schema (correspSearch),
  a correspDesc per letter under DIR, on stdout; --cmif-title, --cmif-editor and
  --cmif-url set its title, contact and published URL (else taken from the
  letters' headers where they agree). A report on stderr says how many letters,
  parties and places lack an authority identifier (GND, VIAF, GeoNames, ...).

CSV (--csv entities DIR | --csv letters DIR): UTF-8 (with BOM), a header row.
  entities: id, kind, name, variants, authority, letters, mentions
  letters: file, date, sender, recipient, places, title, mentions,
           letterhead issuer
  Several values in one cell are separated by "; " (authority URIs by a space);
  a cell starting with = + - @ is prefixed with ' so that it never runs as a
  formula.

PDF (FILE --pdf OUT.pdf [--select ID ...] [--reading diplomatic]
  [--page-size A4|Letter]): the letter as shown, with its highlights, legend,
  letterhead, metadata, notes as endnotes and a citation line; no window opens.

Exit codes: 0 success; 1 --check found an error; 2 a file could not be read or
parsed (one line on stderr naming the file and the problem)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="epistola",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("paths", nargs="*", metavar="FILE_OR_FOLDER", help="letters to open")
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--dump", metavar="FILE", help="print the parsed letter as JSON on stdout and exit"
    )
    action.add_argument(
        "--check",
        metavar="FILE",
        help="print the letter's diagnostics, one per line; exit 1 if any is an error",
    )
    action.add_argument(
        "--index",
        metavar="DIR",
        help="print the collection of letters under DIR as JSON and exit",
    )
    action.add_argument(
        "--search",
        nargs=2,
        metavar=("QUERY", "DIR"),
        help="print where the phrase QUERY occurs in the letters under DIR as JSON and exit",
    )
    action.add_argument(
        "--install-desktop",
        action="store_true",
        help="add Epistola to your applications menu and to 'Open With' for TEI XML "
        "(per user, under $XDG_DATA_HOME) and exit",
    )
    action.add_argument(
        "--uninstall-desktop",
        action="store_true",
        help="remove what --install-desktop added and exit",
    )
    action.add_argument(
        "--cmif",
        metavar="DIR",
        help="print the CMIF file (correspSearch) of the letters under DIR and exit",
    )
    action.add_argument(
        "--csv",
        nargs=2,
        metavar=("entities|letters", "DIR"),
        help="print the entities or the letters under DIR as CSV and exit",
    )
    action.add_argument(
        "--pdf",
        metavar="OUT.pdf",
        help="write FILE as a PDF (as shown, with --select and --reading) and exit",
    )
    parser.add_argument("--cmif-title", metavar="TEXT", help="the CMIF file's title")
    parser.add_argument(
        "--cmif-editor", metavar="NAME", help="the CMIF file's editor (contact person)"
    )
    parser.add_argument(
        "--cmif-url", metavar="URL", help="the URL where the CMIF file will be published"
    )
    parser.add_argument(
        "--page-size",
        choices=("A4", "Letter"),
        default="A4",
        help="the PDF's page size (default: A4)",
    )
    parser.add_argument(
        "--reading",
        choices=("normalised", "diplomatic"),
        default="normalised",
        help="which side of sic/corr, orig/reg and abbr/expan the text shows (default: normalised)",
    )
    parser.add_argument(
        "--line-breaks",
        choices=("flowing", "lines"),
        default=None,
        help="how the viewer shows the source's line breaks (lb): as spaces in flowing "
        "text, or each starting a numbered line (default: as last chosen; flowing)",
    )
    parser.add_argument(
        "--registers",
        metavar="DIR",
        action="append",
        default=[],
        help="a folder of register files to resolve references against (repeatable)",
    )
    parser.add_argument(
        "--images",
        metavar="DIR",
        action="append",
        default=[],
        help="a folder of page images (scans) to look for facsimiles in, for the window's "
        "facsimile pane, --screenshot, --dump and --check (repeatable)",
    )
    parser.add_argument(
        "--select",
        metavar="ENTITY_ID",
        action="append",
        default=[],
        help="open the viewer with this entity selected (repeatable)",
    )
    parser.add_argument(
        "--screenshot",
        metavar="PNG",
        help="render the window (after any --select) to a PNG file and exit",
    )
    parser.add_argument("--version", action="version", version=f"Epistola {__version__}")
    return parser


def _printable(text: str) -> str:
    """Escape control characters (a newline in a file name must not forge a second line)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _fail(message: str) -> int:
    line = f"epistola: {_printable(message)}\n"
    sys.stderr.buffer.write(line.encode("utf-8", "backslashreplace"))
    sys.stderr.flush()
    return EXIT_BAD_INPUT


def _encode(text: str) -> bytes:
    # File names that are not UTF-8 reach us as surrogate escapes: keep them visible.
    return text.encode("utf-8", "backslashreplace")


def _write_json(payload: object) -> None:
    data = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
    sys.stdout.buffer.write(_encode(data))
    sys.stdout.flush()


def _write_json_rows(payload: dict) -> None:
    """A collection's JSON: each row of a top-level list on a line of its own.

    The same JSON as :func:`_write_json` gives, laid out so that json's C
    encoder writes it: an indented dump of 100,000 letters takes seconds.
    """
    encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
    parts = ["{"]
    last = len(payload) - 1
    for n, (key, value) in enumerate(payload.items()):
        comma = "," if n < last else ""
        if isinstance(value, list) and value:
            rows = ",\n  ".join(map(encode, value))
            parts.append(f" {encode(key)}: [\n  {rows}\n ]{comma}")
        else:
            parts.append(f" {encode(key)}: {encode(value)}{comma}")
    parts.append("}\n")
    sys.stdout.buffer.write(_encode("\n".join(parts)))
    sys.stdout.flush()


def _read(path: str, reading: str, register_dirs: Sequence[str], image_dirs: Sequence[str] = ()):
    from viewer.images import ImageFinder, attach_images
    from viewer.tei import read_letter
    from viewer.tei.catalog import RegisterCatalog

    catalog = RegisterCatalog(extra_folders=register_dirs)
    letter = read_letter(path, reading=reading, registers=catalog.for_letter(path))
    return attach_images(letter, ImageFinder(image_dirs))


def dump(
    path: str,
    reading: str = "normalised",
    register_dirs: Sequence[str] = (),
    image_dirs: Sequence[str] = (),
) -> int:
    from viewer.model import letter_to_json

    try:
        letter = _read(path, reading, register_dirs, image_dirs)
    except EpistolaError as error:
        return _fail(str(error))
    _write_json(letter_to_json(letter))
    return EXIT_OK


def check(
    path: str,
    reading: str = "normalised",
    register_dirs: Sequence[str] = (),
    image_dirs: Sequence[str] = (),
) -> int:
    try:
        letter = _read(path, reading, register_dirs, image_dirs)
    except EpistolaError as error:
        return _fail(str(error))
    lines = []
    for diagnostic in letter.diagnostics:
        where = f"{path}:{diagnostic.line}" if diagnostic.line is not None else path
        lines.append(f"{where}: {diagnostic.severity}: {diagnostic.code}: {diagnostic.message}")
    errors = sum(d.severity == "error" for d in letter.diagnostics)
    warnings = sum(d.severity == "warning" for d in letter.diagnostics)
    lines.append(
        f"{path}: {errors} error(s), {warnings} warning(s), "
        f"{len(letter.diagnostics) - errors - warnings} note(s)"
    )
    sys.stdout.buffer.write(_encode("\n".join(lines) + "\n"))
    return EXIT_CHECK_FAILED if errors else EXIT_OK


def index(folder: str, register_dirs: Sequence[str] = ()) -> int:
    from viewer.collection import index_folder

    if not Path(folder).is_dir():
        return _fail(f"{folder}: is not a folder")
    try:
        result = index_folder(folder, register_dirs=register_dirs)
    except EpistolaError as error:
        return _fail(str(error))
    if not result.letters and not result.errors:
        # Nothing that is, or tried to be, a letter: say so rather than print
        # an empty collection that looks like success.
        seen = result.stats.files
        if seen == 0:
            detail = "no XML files in it or its subfolders"
        elif seen == 1:
            detail = "its one XML file is not a TEI letter"
        else:
            detail = f"none of its {seen} XML files is a TEI letter"
        return _fail(f"{folder}: holds no letters ({detail})")
    _write_json_rows(result.to_json())
    return EXIT_OK


def search(query: str, folder: str, register_dirs: Sequence[str] = (), reading=None) -> int:
    from viewer.collection import index_folder

    if not Path(folder).is_dir():
        return _fail(f"{folder}: is not a folder")
    try:
        result = index_folder(folder, register_dirs=register_dirs, reading=reading or "normalised")
    except EpistolaError as error:
        return _fail(str(error))
    hits = result.search(query, limit=None)
    _write_json_rows(
        {
            "query": query,
            "hits": [
                {
                    "file": hit.file,
                    "start": hit.start,
                    "end": hit.end,
                    "context": hit.context,
                    "title": hit.title,
                    "reading": hit.reading or result.reading,
                }
                for hit in hits
            ],
            "letters": len(result.letters),
            "errors": [{"file": e.file, "message": e.message} for e in result.errors],
        }
    )
    return EXIT_OK


def desktop(remove: bool) -> int:
    from viewer import desktop as integration

    try:
        report = integration.uninstall() if remove else integration.install()
    except EpistolaError as error:
        return _fail(str(error))
    home = integration.data_home()
    if remove:
        done = f"removed {len(report.removed)} file(s) of Epistola's desktop integration"
    else:
        done = (
            f"installed Epistola's menu entry, icons and TEI XML file type "
            f"({len(report.written)} files)"
        )
    refreshed = f"; refreshed: {', '.join(report.refreshed)}" if report.refreshed else ""
    sys.stdout.buffer.write(_encode(f"{done} under {home}{refreshed}\n"))
    return EXIT_OK


def _write_bytes(data: bytes) -> None:
    sys.stdout.buffer.write(data)
    sys.stdout.flush()


def _report(lines: Sequence[str]) -> None:
    text = "".join(f"epistola: {_printable(line)}\n" for line in lines)
    sys.stderr.buffer.write(text.encode("utf-8", "backslashreplace"))
    sys.stderr.flush()


def cmif(
    folder: str,
    register_dirs: Sequence[str] = (),
    title: str | None = None,
    editor: str | None = None,
    url: str | None = None,
) -> int:
    from viewer.exports.cmif import CmifOptions, export_cmif

    try:
        result = export_cmif(
            folder,
            CmifOptions(title=title, editor=editor, url=url),
            register_dirs=register_dirs,
        )
    except EpistolaError as error:
        return _fail(str(error))
    _write_bytes(result.data)
    _report(result.report.lines())
    return EXIT_OK


def csv_export(kind: str, folder: str, register_dirs: Sequence[str] = ()) -> int:
    from viewer.exports.csv_export import export_csv

    try:
        result = export_csv(kind, folder, register_dirs=register_dirs)
    except EpistolaError as error:
        return _fail(str(error))
    _write_bytes(result.data)
    _report([f"{result.rows} row(s)"] + [f"{f}: skipped: {m}" for f, m in result.errors])
    return EXIT_OK


def pdf(args: argparse.Namespace) -> int:
    if len(args.paths) != 1:
        return _fail("--pdf needs exactly one letter FILE to print")
    from viewer.exports.print_source import start_reading

    # Read in a worker process while this one imports Qt (before it does: see there).
    pending = start_reading(args.paths[0], args.reading, args.registers, selected=args.select)
    from viewer.gui.printing import print_letter_cli

    return print_letter_cli(
        args.paths[0],
        args.pdf,
        reading=args.reading,
        selected=args.select,
        register_dirs=args.registers,
        page_size=args.page_size,
        fail=_fail,
        pending=pending,
    )


def _exit_now(code: int) -> None:
    """End the process without tearing down Qt's widgets and every module one by one.

    That teardown cost a ``--screenshot`` run more CPU than saving its PNG
    (157 ms against 9 ms with this, under load), and a ``--pdf`` run of the
    2 MB letter about 0.2 s. Nothing is lost: the output is flushed here (the
    PDF is already written and renamed into place), the logs are closed, the
    collection's database is crash-safe (SQLite's journal) and neither run
    saves settings.
    """
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None, *, exit_at_once: bool = False) -> int:
    """The command line. ``exit_at_once`` (main.py's, never a test's): a ``--screenshot``
    or ``--pdf`` run ends its process as soon as the PNG or PDF is written (see
    :func:`_exit_now`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.dump:
            return dump(args.dump, args.reading, args.registers, args.images)
        if args.check:
            return check(args.check, args.reading, args.registers, args.images)
        if args.index:
            return index(args.index, args.registers)
        if args.search:
            return search(args.search[0], args.search[1], args.registers, args.reading)
        if args.install_desktop or args.uninstall_desktop:
            return desktop(remove=args.uninstall_desktop)
        if args.cmif:
            return cmif(args.cmif, args.registers, args.cmif_title, args.cmif_editor, args.cmif_url)
        if args.csv:
            return csv_export(args.csv[0], args.csv[1], args.registers)
        if args.pdf:
            code = pdf(args)
            if exit_at_once:
                _exit_now(code)
            return code
        from viewer.gui.app import run

        code = run(args)
        if exit_at_once and args.screenshot:
            _exit_now(code)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK


def entry() -> int:
    """The installed ``epistola`` command and ``python -m viewer``: :func:`main`, as a process."""
    return main(exit_at_once=True)
