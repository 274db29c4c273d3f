"""Fast index extraction against a bare lxml parse and against the full reader, one process.

Run from the checkout's root:  python tests/bench/bench_extract.py [--letters N] [--repeat N]

Two corpora, each timed in the same run, interleaved round by round (medians):

* (a) the test corpus's Schnitzler letters (tests/data/editions/schnitzler-briefe and
  tests/data/letterheads), read ``--repeat`` times;
* (b) a Schnitzler look-alike written to a temporary folder: ``--letters`` letters whose
  sizes follow the real letters' sizes in tests/data, with a header like the edition's,
  ``rs`` mentions pointing with ``@ref`` into the letter's own ``back`` lists
  (listPerson, listPlace, listBibl, listOrg; entries drawn from a shared pool, so the
  same people recur as in the edition), commentary notes, and a printed letterhead in
  one letter of five (876 of the edition's 4,420 have one).

For each: the bare parse (``etree.parse`` of every file, the baseline of the issue's
targets), ``extract_file`` and ``viewer.collection._index_one`` (the full reader), per
letter and as ratios to the bare parse; the reasons letters went to the full reader;
and on how many letters the search text equals the reader's text.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from lxml import etree  # noqa: E402
from testdata import CORPUS, LETTERHEADS  # noqa: E402

from viewer.collection import _index_one  # noqa: E402
from viewer.tei import extract  # noqa: E402
from viewer.tei.catalog import RegisterCatalog  # noqa: E402

TEI_NS = "http://www.tei-c.org/ns/1.0"
POOL = 6000  # entities of the look-alike edition
WORDS = [
    "und",
    "der",
    "die",
    "das",
    "ich",
    "Sie",
    "nicht",
    "ist",
    "zu",
    "mit",
    "Ihnen",
    "es",
    "ein",
    "auf",
    "für",
    "so",
    "an",
    "den",
    "Brief",
    "wie",
    "sehr",
    "mir",
    "aber",
    "auch",
    "noch",
    "dass",
    "Dank",
    "heute",
    "morgen",
    "Stück",
    "Theater",
    "verehrter",
    "Herr",
    "Doctor",
    "Freund",
    "lieber",
    "bald",
    "wieder",
    "Zeit",
    "schreiben",
    "gelesen",
    "Bühne",
    "Abend",
    "gestern",
    "Woche",
    "herzlich",
    "Gruß",
    "Ihr",
    "Ihre",
    "schön",
    "gern",
    "Wien",
    "Berlin",
    "Buch",
    "Verlag",
    "Druck",
    "Probe",
    "Rolle",
    "Premiere",
]
FIRST = [
    "Arthur",
    "Hermann",
    "Hugo",
    "Richard",
    "Felix",
    "Otto",
    "Max",
    "Olga",
    "Marie",
    "Clara",
    "Paul",
    "Karl",
    "Anna",
    "Emil",
]
LAST = [
    "Bahr",
    "Beer-Hofmann",
    "Brahm",
    "Brandes",
    "Burckhard",
    "Fischer",
    "Goldmann",
    "Hofmannsthal",
    "Kerr",
    "Salten",
    "Schlenther",
    "Speidel",
    "Trebitsch",
    "Wassermann",
    "Zweig",
    "Altenberg",
    "Kraus",
    "Polgar",
    "Reinhardt",
]
PLACES = [
    "Wien",
    "Berlin",
    "München",
    "Prag",
    "Paris",
    "Ischl",
    "Salzburg",
    "Budapest",
    "Zürich",
    "Venedig",
]


# ------------------------------------------------------------------ corpora


def schnitzler_letters() -> list[str]:
    files = sorted((CORPUS / "schnitzler-briefe").rglob("*.xml"))
    files += sorted((LETTERHEADS / "schnitzler-briefe").rglob("*.xml"))
    return [str(p) for p in files]


def _person(n: int) -> tuple[str, str]:
    return FIRST[n % len(FIRST)], f"{LAST[(n // len(FIRST)) % len(LAST)]}{n // 300 or ''}"


def _entry(kind: str, n: int, rng: random.Random) -> str:
    ident = f"pmb{n}"
    if kind == "person":
        first, last = _person(n)
        born = f"{1840 + n % 50}-{1 + n % 12:02}-{1 + n % 28:02}"
        place = PLACES[n % len(PLACES)]
        return f"""
            <person xml:id="{ident}">
               <persName>
                  <forename>{first}</forename>
                  <surname>{last}</surname>
               </persName>
               <birth>
                  <date when="{born}">{born}</date>
                  <settlement ref="pmb{50 + n % 10}">
                     <placeName type="pref">{place}</placeName>
                     <location>
                        <geo>48,208333 16,373056</geo>
                     </location>
                  </settlement>
               </birth>
               <death>
                  <date when="{born[:2]}{int(born[2:4]) + 60}{born[4:]}">{born}</date>
                  <settlement ref="pmb50">
                     <placeName type="pref">Wien</placeName>
                     <location>
                        <geo>48,208333 16,373056</geo>
                     </location>
                  </settlement>
               </death>
               <sex value="male"/>
               <occupation ref="pmb90">Schriftsteller/Schriftstellerin</occupation>
               <idno type="gnd">https://d-nb.info/gnd/{100000 + n}/</idno>
            </person>"""
    if kind == "place":
        name = f"{PLACES[n % len(PLACES)]}{n // len(PLACES) or ''}"
        alternatives = "".join(
            f'\n               <placeName type="alternative-name">{name} {i}</placeName>'
            for i in range(rng.randint(2, 12))
        )
        return f"""
            <place xml:id="{ident}">
               <placeName>{name}</placeName>{alternatives}
               <location type="coords">
                  <geo>52,52437 13,41053</geo>
               </location>
            </place>"""
    if kind == "org":
        return f"""
            <org xml:id="{ident}">
               <orgName>Verein {n}</orgName>
            </org>"""
    first, last = _person(n + 7)
    return f"""
            <bibl xml:id="{ident}">
               <title type="main">Werk {n}</title>
               <author role="hat-geschaffen" ref="pmb{n + 7}">{last}, {first}</author>
            </bibl>"""


KINDS = ("person", "person", "person", "place", "work", "org")
LIST_OF = {"person": "listPerson", "place": "listPlace", "work": "listBibl", "org": "listOrg"}


def _pick(rng: random.Random) -> tuple[str, int]:
    kind = rng.choice(KINDS)
    # Zipf-like: a few entities (the correspondents, Wien) in most letters.
    n = min(int(rng.paretovariate(0.9)) * 7 + KINDS.index(kind), POOL - 1)
    return kind, n


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count))


def _paragraph(rng: random.Random, entities: list[tuple[str, int]], notes: list[int]) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        parts.append(_words(rng, rng.randint(8, 30)))
        kind, n = rng.choice(entities)
        parts.append(f'<rs ref="#pmb{n}" type="{kind}">{_words(rng, rng.randint(1, 2))}</rs>')
        if rng.random() < 0.3:
            parts.append(f'ge<c rendition="#langesS">s</c>{rng.choice(WORDS)}')
        if rng.random() < 0.12:
            notes.append(len(notes) + 1)
            kind, n = rng.choice(entities)
            parts.append(
                f'<note type="commentary">{_words(rng, 6)} <rs ref="#pmb{n}" type="{kind}">'
                f"{_words(rng, 2)}</rs> am <date>2. 7. 1890</date> {_words(rng, 5)}.</note>"
            )
        if rng.random() < 0.1:
            parts.append("<lb/>")
    return "<p>" + "\n                  ".join(parts) + ".</p>"


LICENCE = " ".join(["Sie dürfen das Material in jedwedem Format vervielfältigen."] * 12)


def lookalike_letter(i: int, target: int, rng: random.Random) -> str:
    """A letter of about ``target`` bytes: a quarter text, the rest header and back lists.

    As in the edition's letters in tests/data (median 17 mentions in the body, 12
    register entries in the back, 2 notes; body about a quarter of the file).
    """
    sender, recipient = 11000 + i % 300, 2121
    used: dict[int, str] = {sender: "person", recipient: "person"}
    back = _back(used, rng)
    while len(back) < target * 0.55:  # the back lists are most of an edition letter
        kind, n = _pick(rng)
        used[n] = kind
        back = _back(used, rng)
    letterhead = ""
    if i % 5 == 0:
        org = 29400 + i % 40
        used[org] = "org"
        used[50] = "place"
        letterhead = (
            f'<seg type="letterhead"><seg rend="left"><hi rend="pre-print">'
            f'<rs ref="#pmb{org}" type="org">Redaction der Zeitung {org}</rs></hi></seg>'
            f'<seg rend="right"><rs ref="#pmb50" type="place">Wien</rs>, '
            f"<date>{1 + i % 28}. {1 + i % 12}. 1896</date></seg></seg>"
        )
    entities = [(kind, n) for n, kind in used.items()]
    day = f"{1890 + i % 40}-{1 + i % 12:02}-{1 + i % 28:02}"
    back = _back(used, rng)
    notes: list[int] = []
    paragraphs: list[str] = []
    while True:
        body = "\n               ".join(paragraphs)
        letter = _letter(i, day, sender, recipient, letterhead, body, back)
        if len(letter.encode()) >= target or len(paragraphs) > 200:
            return letter
        paragraphs.append(_paragraph(rng, entities, notes))


def _back(used: dict[int, str], rng: random.Random) -> str:
    lists = []
    for kind, element in LIST_OF.items():
        entries = "".join(_entry(kind, n, rng) for n, k in sorted(used.items()) if k == kind)
        if entries:
            lists.append(f"<{element}>{entries}\n         </{element}>")
    return "\n         ".join(lists)


def _letter(
    i: int, day: str, sender: int, recipient: int, letterhead: str, body: str, back: str
) -> str:
    first, last = _person(sender)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="{TEI_NS}" xml:id="L{i:05}">
   <teiHeader>
      <fileDesc>
         <titleStmt>
            <title level="s">Arthur Schnitzler: Briefwechsel mit Autorinnen und Autoren</title>
            <title type="iso-date" when-iso="{day}">{day}</title>
            <title level="a">{first} {last} an Arthur Schnitzler, {day}</title>
            <author ref="#pmb{sender}">{last}, {first}</author>
            <editor><name>Müller, Martin Anton</name><name>Susen, Gerd-Hermann</name></editor>
         </titleStmt>
         <editionStmt><edition>schnitzler-briefe</edition></editionStmt>
         <publicationStmt>
            <publisher>Austrian Centre for Digital Humanities</publisher>
            <pubPlace>Vienna</pubPlace>
            <date when="2023">2023</date>
            <availability><licence target="https://creativecommons.org/licenses/by/4.0/">
               <p>{LICENCE}</p></licence></availability>
            <idno type="handle">http://hdl.handle.net/21.11115/0000-000E-{i:04X}</idno>
         </publicationStmt>
         <sourceDesc>
            <listWit>
               <witness n="1">
                  <msDesc>
                     <msIdentifier>
                        <country>D</country><settlement>Marbach am Neckar</settlement>
                        <repository>Deutsches Literaturarchiv</repository>
                        <idno>A:Schnitzler, HS.NZ85.1.{i}</idno>
                     </msIdentifier>
                     <physDesc><objectDesc><supportDesc><extent>
                        <measure unit="blatt" quantity="1">1 Blatt</measure>
                     </extent></supportDesc></objectDesc></physDesc>
                  </msDesc>
               </witness>
            </listWit>
         </sourceDesc>
      </fileDesc>
      <profileDesc>
         <correspDesc>
            <correspAction type="sent">
               <persName ref="#pmb{sender}">{last}, {first}</persName>
               <date when="{day}">{day}</date>
               <placeName ref="#pmb50">Wien</placeName>
            </correspAction>
            <correspAction type="received">
               <persName ref="#pmb{recipient}">Schnitzler, Arthur</persName>
               <placeName ref="#pmb50">Wien</placeName>
            </correspAction>
         </correspDesc>
      </profileDesc>
      <revisionDesc status="approved"><change when="2023-01-01">generated</change></revisionDesc>
   </teiHeader>
   <text>
      <body>
         <div type="writingSession" n="1"><opener>{letterhead}<dateline rend="right">
            <date>{day}</date>.</dateline><salute>Verehrter Herr Doktor!</salute></opener>
               {body}
            <closer>Mit vorzüglicher Hochachtung<lb/><signed>{first} {last}</signed></closer>
         </div>
      </body>
      <back>
         {back}
      </back>
   </text>
</TEI>
"""


def write_lookalike(folder: Path, letters: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    # The register catalog looks for register folders beside the letters' ancestors; a
    # repository marker keeps it inside the look-alike (not in the rest of /tmp).
    (folder / ".git").mkdir(exist_ok=True)
    sizes = [Path(p).stat().st_size for p in schnitzler_letters()]
    paths = []
    for i in range(letters):
        path = folder / f"part{i // 500:02}" / f"L{i:05}.xml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(lookalike_letter(i, rng.choice(sizes), rng), encoding="utf-8")
        paths.append(str(path))
    return paths


# ------------------------------------------------------------------ timing


def bare(paths: list[str], _catalog: RegisterCatalog) -> None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for path in paths:
        etree.parse(path, parser)


def warm_catalog(paths: list[str]) -> RegisterCatalog:
    """A catalog that has looked for register files beside each folder once (as a worker
    does at its first letter of a folder: a one-time cost, not a per-letter one)."""
    catalog = RegisterCatalog()
    for folder in {str(Path(p).parent): p for p in paths}.values():
        catalog.for_letter(folder)
    return catalog


def fast(paths: list[str], catalog: RegisterCatalog) -> None:
    for path in paths:
        extract.extract_file(path, catalog)


def full(paths: list[str], catalog: RegisterCatalog) -> None:
    for path in paths:
        _index_one(path, catalog, "normalised")


def measure(name: str, paths: list[str], runs: int) -> None:
    """Medians per letter and same-run ratios, in CPU time of this process and wall time.

    On a shared machine the CPU time is the steadier figure: waiting for a core
    does not count in it.
    """
    cpu: dict[str, list[float]] = {"bare": [], "fast": [], "full": []}
    wall: dict[str, list[float]] = {"bare": [], "fast": [], "full": []}
    ratios: dict[str, list[float]] = {"fast": [], "full": [], "fast wall": [], "full wall": []}
    catalog = warm_catalog(paths)
    for run in range(runs):
        order = [("bare", bare), ("fast", fast), ("full", full)]
        if run % 2:
            order.reverse()  # neither goes first every time on a shared machine
        for label, function in order:
            started, started_cpu = time.perf_counter(), time.process_time()
            function(paths, catalog)
            cpu[label].append(time.process_time() - started_cpu)
            wall[label].append(time.perf_counter() - started)
        for label in ("fast", "full"):
            ratios[label].append(cpu[label][-1] / cpu["bare"][-1])
            ratios[f"{label} wall"].append(wall[label][-1] / wall["bare"][-1])
    each = {k: statistics.median(v) / len(paths) * 1e6 for k, v in cpu.items()}
    ratio = {k: statistics.median(v) for k, v in ratios.items()}
    print(f"\n{name}: {len(paths)} files, {runs} runs (medians; CPU time, wall time ratio)")
    print(f"  bare lxml parse   {each['bare']:8.0f} µs/letter   1.00x")
    for label, title in (("fast", "extract_file     "), ("full", "_index_one (full)")):
        print(
            f"  {title} {each[label]:8.0f} µs/letter   {ratio[label]:.2f}x"
            f"   (wall {ratio[label + ' wall']:.2f}x)"
        )
    print(f"  full / extract    {ratio['full'] / ratio['fast']:.2f}x")


def agreement(name: str, paths: list[str]) -> None:
    catalog = RegisterCatalog()
    stats: Counter = Counter()
    same = letters = 0
    for path in sorted(set(paths)):
        fast_entry = extract.extract_file(path, catalog, stats=stats)
        full_entry = _index_one(path, catalog, "normalised")
        if full_entry["kind"] == "letter" and fast_entry["kind"] == "letter":
            letters += 1
            same += fast_entry["letter"]["text"] == full_entry["letter"]["text"]
    others = {k: v for k, v in stats.items() if not k.startswith("fast")}
    print(f"  read by the full reader: {sum(others.values())} of {letters} {others or ''}")
    walked = stats["fast, mentions walked"]
    print(f"  mentions found by walking the elements (not the XSLT's records): {walked}")
    print(f"  search text identical to the reader's: {same} of {letters}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=3000, help="look-alike letters")
    parser.add_argument("--repeat", type=int, default=10, help="passes over the test letters")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    real = schnitzler_letters()
    measure(f"(a) test corpus Schnitzler letters x{args.repeat}", real * args.repeat, args.runs)
    agreement("(a)", real)
    with tempfile.TemporaryDirectory(prefix="epistola-extract-") as folder:
        paths = write_lookalike(Path(folder), args.letters)
        measure("(b) Schnitzler look-alike", paths, args.runs)
        agreement("(b)", paths[: min(len(paths), 500)])


if __name__ == "__main__":
    main()
