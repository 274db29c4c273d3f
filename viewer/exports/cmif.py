"""CMIF (Correspondence Metadata Interchange Format) for a folder of letters.

CMIF is the TEI subset correspSearch harvests: one TEI file whose
``profileDesc`` holds a ``correspDesc`` per letter. The schema
(``tests/data/schemas/cmif.rng``) is strict, and the sources are not, so
this module owns the rules that turn one into the other:

* ``correspAction`` is "sent" or "received" only, each with at least one
  ``persName``/``orgName``: a missing party is ``persName`` "Unknown";
* ``persName``, ``orgName``, ``placeName`` and ``date`` hold text only;
  ``@ref`` carries authority URIs (GND, VIAF, LoC, BnF, NDL, Wikidata;
  GeoNames, Getty TGN for places) taken from the register entries, never
  from an affiliation; project-internal links are left out;
* ``@cert`` is only "low" (the sources' low/medium), ``@evidence`` only
  "conjecture" (the sources' conjecture/external);
* dates are real calendar dates in ``@when``, ``@notBefore``/``@notAfter``
  or ``@from``/``@to``; the text form is omitted (CMIF wants it only when
  it says more than the attributes, which a placeholder never does);
* ``publicationStmt/idno`` has ``@type="url"``; each edition is one
  ``sourceDesc/bibl`` with ``@type`` and an ``@xml:id`` that is an XML name
  (a UUID derived from the edition's title, so it stays the same when the
  file is made again), and each ``correspDesc/@source`` points to it.

The header's title, publisher and licence come from the options when
given, else from the letters' headers where they all agree.
"""

from __future__ import annotations

import datetime
import os
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from viewer.collection import find_xml_files, process_context
from viewer.errors import EpistolaError
from viewer.model import Correspondence, CorrespondenceAction, CorrespondenceName

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
CC_BY = "https://creativecommons.org/licenses/by/4.0/"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
LICENCE_TEXTS = {
    CC_BY: "This file is licensed under the terms of the Creative Commons License CC-BY 4.0",
    CC0: "This file is licensed under the terms of the Creative Commons License CC0 1.0",
}
BIBL_TYPES = ("online", "print", "hybrid")
UNKNOWN = "Unknown"

# Authority files correspSearch understands, best first (host and path prefix).
PERSON_AUTHORITIES = (
    "d-nb.info/gnd/",
    "viaf.org/viaf/",
    "id.loc.gov/authorities/",
    "data.bnf.fr/",
    "catalogue.bnf.fr/ark:",
    "id.ndl.go.jp/auth/",
    "www.wikidata.org/entity/",
    "www.wikidata.org/wiki/",
    "wikidata.org/entity/",
    "wikidata.org/wiki/",
)
PLACE_AUTHORITIES = (
    "sws.geonames.org/",
    "www.geonames.org/",
    "geonames.org/",
    "vocab.getty.edu/tgn/",
    *PERSON_AUTHORITIES,
)

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]


@dataclass(frozen=True)
class CmifOptions:
    """What the user may state; None: taken from the letters, else a plain fallback."""

    title: str | None = None
    editor: str | None = None
    url: str | None = None  # where the CMIF file will be published (its idno)
    email: str | None = None
    bibl_type: str = "online"
    licence: str = CC_BY  # CC BY 4.0 or CC0 1.0, the two licences correspSearch accepts
    now: datetime.datetime | None = None  # the file's timestamp; for tests


@dataclass(frozen=True)
class ReadError:
    file: str
    message: str


@dataclass
class CmifReport:
    """What the export could not say with an authority identifier, and what it noticed."""

    letters: int = 0
    letters_lacking: int = 0  # letters with a party or place without an authority URI
    parties: int = 0  # named parties (not "Unknown"), each occurrence
    parties_lacking: int = 0
    unknown_parties: int = 0  # sides with no party at all: written as "Unknown"
    places: int = 0
    places_lacking: int = 0
    undated: int = 0
    errors: list[ReadError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        found = [
            f"{self.letters} letter(s) exported; {self.letters_lacking} of them name a party "
            "or place without an authority identifier",
            f"parties: {self.parties_lacking} of {self.parties} lack an authority identifier; "
            f"{self.unknown_parties} side(s) name nobody and are written as {UNKNOWN!r}",
            f"places: {self.places_lacking} of {self.places} lack an authority identifier",
            f"undated letters: {self.undated}",
        ]
        found.extend(self.notes)
        found.extend(f"{e.file}: skipped: {e.message}" for e in self.errors)
        return found


@dataclass(frozen=True)
class CmifResult:
    data: bytes  # the CMIF file, UTF-8
    report: CmifReport


# ------------------------------------------------------------------ reading


def collect_correspondence(
    folder: str | os.PathLike[str],
    *,
    register_dirs: Sequence[str | os.PathLike[str]] = (),
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    mode: str = "auto",
    workers: int = 2,
) -> tuple[list[Correspondence], list[ReadError]]:
    """Every letter under ``folder`` (register files and other XML skipped), in path order.

    ``mode`` is "auto" (the default: two worker processes from
    PARALLEL_THRESHOLD files on; 5,000 letters took 4.35 s so against 5.28 s
    serially on an idle two-core machine, tests/bench/bench_exports.py, though
    no faster while other work loads both cores), "process" or "serial".
    Raises EpistolaError when ``folder`` is not a readable folder; a letter
    that cannot be read is a ReadError, never the end of the export.
    """
    root = os.fspath(folder)
    if not os.path.isdir(root):
        raise EpistolaError("is not a folder", root)
    paths = [os.path.join(root, relative) for relative in find_xml_files(root)]
    directories = [os.fspath(d) for d in register_dirs]
    parallel = mode == "process" or (
        mode == "auto" and workers > 1 and len(paths) >= PARALLEL_THRESHOLD
    )
    batches = [paths[i : i + BATCH] for i in range(0, len(paths), BATCH)]
    results: list[list[Correspondence | ReadError]] = []
    done = 0
    if parallel:
        import concurrent.futures
        from concurrent.futures.process import BrokenProcessPool

        try:
            with concurrent.futures.ProcessPoolExecutor(
                max_workers=workers,
                mp_context=process_context(("viewer.exports.cmif", "viewer.tei.correspondence")),
            ) as pool:
                futures = [pool.submit(_collect_batch, batch, directories) for batch in batches]
                for future, batch in zip(futures, batches, strict=True):
                    if cancel is not None and cancel():
                        for pending in futures:
                            pending.cancel()
                        break
                    results.append(future.result())
                    done += len(batch)
                    if progress is not None:
                        progress(done, len(paths))
        except (BrokenProcessPool, OSError):
            # No worker processes here (a sandbox, a frozen build): read them in this one.
            batches = batches[len(results) :]
            parallel = False
    if not parallel:
        for batch in batches:
            if cancel is not None and cancel():
                break
            results.append(_collect_batch(batch, directories))
            done += len(batch)
            if progress is not None:
                progress(done, len(paths))
    records = [r for batch in results for r in batch if isinstance(r, Correspondence)]
    errors = [r for batch in results for r in batch if isinstance(r, ReadError)]
    return records, errors


PARALLEL_THRESHOLD = 200  # below this, starting worker processes costs more than it saves
BATCH = 100
_worker_catalogs: dict[tuple[str, ...], object] = {}  # one RegisterCatalog per process


def _collect_batch(paths: Sequence[str], register_dirs: Sequence[str]) -> list:
    """Correspondence or ReadError for each letter among ``paths`` (others left out)."""
    from viewer.tei.catalog import RegisterCatalog
    from viewer.tei.correspondence import read_correspondence

    catalog = _worker_catalogs.get(tuple(register_dirs))
    if catalog is None:
        catalog = _worker_catalogs[tuple(register_dirs)] = RegisterCatalog(register_dirs)
    found: list[Correspondence | ReadError] = []
    # The registers found for a letter are those of its folder: look them up once per folder.
    by_folder: dict[str, object] = {}
    for path in paths:
        directory = os.path.dirname(path)
        registers = by_folder.get(directory)
        if registers is None:
            registers = by_folder[directory] = catalog.for_letter(path)
        try:
            record = read_correspondence(path, registers=registers)
        except EpistolaError as error:
            found.append(ReadError(path, error.message))
            continue
        except (RecursionError, MemoryError, ValueError) as error:
            found.append(ReadError(path, f"could not be read ({type(error).__name__})"))
            continue
        if record is not None:
            found.append(record)
        else:  # a register file's own set leaves it out: the next letter asks again
            by_folder.pop(directory, None)
    return found


# ------------------------------------------------------------------ writing


def authority_uris(name: CorrespondenceName) -> list[str]:
    """The name's URIs that point into an authority file CMIF consumers know, best first."""
    preferred = PLACE_AUTHORITIES if name.kind == "place" else PERSON_AUTHORITIES
    ranked: list[tuple[int, str]] = []
    for uri in name.authority:
        cleaned = uri.strip().rstrip("/")
        bare = cleaned.split("://", 1)[-1]
        rank = next((i for i, prefix in enumerate(preferred) if bare.startswith(prefix)), None)
        if rank is not None and " " not in cleaned and cleaned not in (u for _, u in ranked):
            ranked.append((rank, cleaned))
    return [uri for _, uri in sorted(ranked, key=lambda pair: pair[0])]


def _agreed(values: Sequence[str]) -> str | None:
    """The one value every letter gives, or None when they differ or give none."""
    distinct = {v.strip() for v in values}
    if len(distinct) == 1:
        value = distinct.pop()
        return value or None
    return None


def _licence_key(uri: str) -> str:
    """A licence URL without scheme, language deed or legal-code suffix: one per licence."""
    bare = uri.strip().lower().split("://", 1)[-1].removeprefix("www.")
    for suffix in ("/legalcode", "/deed"):
        if suffix in bare:
            bare = bare[: bare.index(suffix)]
    return bare.rstrip("/")


def _bibl_id(title: str) -> str:
    # An XML name must not start with a digit, as a bare UUID may.
    return "edition-" + str(uuid.uuid5(uuid.NAMESPACE_URL, "epistola:edition:" + title))


def _sub(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{TEI_NS}}}{name}", attributes)
    if text:
        element.text = text
    return element


def _name_element(parent: ET.Element, name: CorrespondenceName, report: CmifReport) -> bool:
    """Write one name; True when it carries an authority URI."""
    element_name = {"organisation": "orgName", "place": "placeName"}.get(name.kind, "persName")
    uris = authority_uris(name)
    attributes: dict[str, str] = {}
    if uris:
        attributes["ref"] = " ".join(uris)
    if name.conjecture:
        attributes["evidence"] = "conjecture"
    if name.uncertain:
        attributes["cert"] = "low"
    _sub(parent, element_name, " ".join(name.name.split()) or UNKNOWN, **attributes)
    return bool(uris)


def _action(parent: ET.Element, action: CorrespondenceAction, report: CmifReport) -> bool:
    """Write one correspAction; True when every name and place in it has an authority URI."""
    element = _sub(parent, "correspAction", type=action.type)
    complete = True
    names = [n for n in action.names if n.name.strip()]
    if not names:
        _sub(element, "persName", UNKNOWN)
        report.unknown_parties += 1
    for name in names:
        report.parties += 1
        if not _name_element(element, name, report):
            report.parties_lacking += 1
            complete = False
    for place in action.places:
        report.places += 1
        if not _name_element(element, place, report):
            report.places_lacking += 1
            complete = False
    date = action.date
    if date is not None and date.has_value:
        attributes: dict[str, str] = {}
        if date.when:
            attributes["when"] = date.when
        else:
            for key, value in (
                ("notBefore", date.not_before),
                ("notAfter", date.not_after),
                ("from", date.from_),
                ("to", date.to),
            ):
                if value:
                    attributes[key] = value
        if date.conjecture:
            attributes["evidence"] = "conjecture"
        if date.uncertain:
            attributes["cert"] = "low"
        _sub(element, "date", **attributes)
    return complete


def _reference(record: Correspondence, folder: str | None) -> str:
    """The letter's URL, else its file (relative to the exported folder) as a URI reference.

    Percent-encoded byte for byte, so that spaces, ``#`` and file names that
    are not UTF-8 (surrogate escapes) still give a valid URI.
    """
    if record.url:
        return record.url
    path = Path(record.file)
    if folder is not None:
        try:
            relative = Path(os.path.relpath(path, folder)).as_posix()
            return quote(relative, safe="/", errors="surrogateescape")
        except ValueError:
            pass
    absolute = Path(os.path.abspath(path)).as_posix()
    return "file://" + quote(absolute, safe="/", errors="surrogateescape")


def build_cmif(
    records: Sequence[Correspondence],
    options: CmifOptions = CmifOptions(),
    *,
    folder: str | os.PathLike[str] | None = None,
    errors: Sequence[ReadError] = (),
) -> CmifResult:
    """The CMIF file for ``records``, and the report of what lacks an identifier."""
    if options.bibl_type not in BIBL_TYPES:
        raise EpistolaError(f"unknown edition type {options.bibl_type!r} (use one of {BIBL_TYPES})")
    if options.licence not in LICENCE_TEXTS:
        raise EpistolaError(f"CMIF allows only CC BY 4.0 ({CC_BY}) or CC0 ({CC0}) as licence")
    folder_str = os.fspath(folder) if folder is not None else None
    folder_name = Path(folder_str).resolve().name if folder_str else "letters"
    folder_name = folder_name.encode("utf-8", "backslashreplace").decode("utf-8")
    report = CmifReport(letters=len(records), errors=list(errors))

    editions = sorted({r.edition.title for r in records})
    single_edition = editions[0] if len(editions) == 1 and editions[0] else None
    title = options.title or (
        f"Letters of {single_edition}" if single_edition else f"Letters in {folder_name}"
    )
    publisher = _agreed([r.edition.publisher for r in records])
    editor = options.editor or publisher or UNKNOWN
    url = options.url
    if not url:
        url = (Path(folder_str).resolve().as_uri() + "/") if folder_str else "urn:epistola:cmif"
        report.notes.append(
            "no URL was given for the CMIF file (--cmif-url): its idno is the folder's "
            "file URI; set the URL where the file will be published before handing it on"
        )
    accepted = {_licence_key(uri) for uri in LICENCE_TEXTS}
    licences = {r.edition.licence_target for r in records if r.edition.licence_target}
    foreign = sorted(lic for lic in licences if _licence_key(lic) not in accepted)
    if foreign:
        report.notes.append(
            f"the letters state the licence(s) {', '.join(foreign)}; the CMIF file states "
            f"{options.licence} as correspSearch requires: check that this is allowed"
        )
    now = options.now or datetime.datetime.now(datetime.UTC)
    stamp = now.astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

    ET.register_namespace("", TEI_NS)
    tei = ET.Element(f"{{{TEI_NS}}}TEI")
    header = _sub(tei, "teiHeader")
    file_description = _sub(header, "fileDesc")
    title_statement = _sub(file_description, "titleStmt")
    _sub(title_statement, "title", title)
    editor_element = _sub(title_statement, "editor", editor)
    if options.email:
        _sub(editor_element, "email", options.email)
    publication = _sub(file_description, "publicationStmt")
    _sub(publication, "publisher", publisher or editor)
    _sub(publication, "idno", url, type="url")
    _sub(publication, "date", when=stamp)
    availability = _sub(publication, "availability")
    _sub(availability, "licence", LICENCE_TEXTS[options.licence], target=options.licence)
    source = _sub(file_description, "sourceDesc")
    bibl_ids: dict[str, str] = {}
    for edition in editions or [""]:
        label = edition or folder_name
        bibl_ids[edition] = _bibl_id(label)
        bibl = _sub(source, "bibl", label, type=options.bibl_type)
        bibl.set(XML_ID, bibl_ids[edition])

    profile = _sub(header, "profileDesc")
    for record in records:
        attributes = {
            "ref": _reference(record, folder_str),
            "source": "#" + bibl_ids[record.edition.title],
        }
        if record.key:
            attributes["key"] = record.key
        description = _sub(profile, "correspDesc", **attributes)
        complete = _action(description, record.sent, report)
        complete = _action(description, record.received, report) and complete
        if not complete:
            report.letters_lacking += 1
        if record.sent.date is None or not record.sent.date.has_value:
            report.undated += 1
    body = _sub(_sub(tei, "text"), "body")
    _sub(body, "p")
    ET.indent(tei, space=" ")
    data = ET.tostring(tei, encoding="utf-8", xml_declaration=True)
    return CmifResult(data + b"\n", report)


def export_cmif(
    folder: str | os.PathLike[str],
    options: CmifOptions = CmifOptions(),
    *,
    register_dirs: Sequence[str | os.PathLike[str]] = (),
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    mode: str = "auto",
) -> CmifResult:
    """Read every letter under ``folder`` and build its CMIF file (see :func:`build_cmif`).

    ``mode``: see :func:`collect_correspondence`.
    """
    records, errors = collect_correspondence(
        folder, register_dirs=register_dirs, progress=progress, cancel=cancel, mode=mode
    )
    if not records:
        detail = f" ({len(errors)} file(s) could not be read)" if errors else ""
        raise EpistolaError(f"holds no letters to export{detail}", os.fspath(folder))
    return build_cmif(records, options, folder=folder, errors=errors)
