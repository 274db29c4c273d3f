"""Collections at archive scale: 5,000 to 100,000 letters in the SQLite index.

Run from the checkout's root:

    python tests/bench/bench_collection.py [--letters 5000,20000,100000] [--runs N]
    python tests/bench/bench_collection.py --schnitzler 4420

For each size it writes a collection of generated TEI letters into a temporary
folder. Each letter names one person of its own and 24 drawn from a shared pool
(a quarter as many as letters), as an edition's register grows more slowly
than its letters: at 100,000 letters the register holds 125,000 entities.
(``--own 20 --pool 1000`` writes the older shape, 20 own and 5 shared.)
Every figure is a median against a baseline measured in the same run:

* cold index in two worker processes, against a bare lxml parse of the same
  files on the same two cores; with ``--cpu``, also the CPU time of a cold
  index read in one process against a bare parse's (steadier than wall time
  when others share the machine; medians of ``--runs``, measured in turn);
* re-opening, in a fresh process, to a painted letter list (the collection as
  its database has it, as the window shows it first), against a fresh process
  painting an empty window; the peak memory of both; and the check of the
  folder for changes that follows in the background (every file stat-ed);
* a full-text query to its first 100 hits; the register filter per keystroke
  (filter, push to the view, paint); filtering the letters by an entity (query,
  push to the letter list, paint).

The scratch folder is marked as a repository's root, so that register
discovery (which walks up from the letters and scans the folders beside
them) stops there instead of scanning the machine's temporary folder;
``--walk-up`` leaves the mark out.

``--schnitzler N`` writes N look-alikes of the Schnitzler edition's letters
(the 23 of tests/data, renumbered: the same sizes, ``rs`` mentions and in-file
``back`` lists) and times ``main.py --index`` cold and again, against a bare
single-process lxml pass over the same files in a fresh process.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import multiprocessing
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from viewer.collection import index_folder  # noqa: E402

TEI_NS = "http://www.tei-c.org/ns/1.0"
_FIRST_NAMES = (
    "Anna Berta Clara Dora Emil Franz Greta Hans Ida Jakob Karl Luise Maria Nora Otto Paul "
    "Rosa Sofie Theo Ulrich Vera Walter Xaver Yvonne Zeno Ágnes Émile Jörg Søren Zoë"
)
_LAST_NAMES = (
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter "
    "Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Werner "
    "Krause Lehmann Köhler Maier Herrmann König Walter Huber Kaiser Fuchs Peters Lang Scholz "
    "Möller Weiß Jung Hahn Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz "
    "Baumann Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer "
    "Vogt Stein Jäger Otto Sommer Groß Seidel Heinrich Brandt Haas Schreiber Graf Schulte "
    "Dietrich Ziegler Kuhn Kühn Pohl Engel Horn Busch Bergmann Thomas Voigt Sauer Arnold "
    "Wolff Pfeiffer Čapek Dvořák Novák Łukasz Øster Ångström"
)
FIRST = _FIRST_NAMES.split()
LAST = _LAST_NAMES.split()
KEYSTROKES = [
    "m", "mu", "mul", "mull", "mulle", "muller", "muller ", "muller a", "muller an",
    "muller ann", "muller anna", "muller ann", "muller an", "muller a", "muller", "mull",
    "mu", "m", "", "z", "zo", "zoe", "zoe ", "zoe k", "zoe ko", "zoe koh", "zoe kohl",
]  # fmt: skip
QUERIES = ["regards", "grosse strasse", "zoe kohler", "paul werner 3", "nobody at all", "fr"]


# ------------------------------------------------------------------ the corpus


def person_name(n: int) -> str:
    first = FIRST[n % len(FIRST)]
    last = LAST[(n // len(FIRST)) % len(LAST)]
    return f"{first} {last} {n // (len(FIRST) * len(LAST)) + 1}"


def write_collection(
    folder: Path, letters: int, seed: int = 7, own: int = 20, shared: int = 5, pool: int = 1000
) -> int:
    """Write ``letters`` letters; each names ``own`` people of its own and ``shared`` from a pool.

    The defaults are the shape earlier benchmarks used (20 own, 5 of 1,000
    shared); returns how many entities the collection register will hold.
    """
    rng = random.Random(seed)
    per_folder = 500
    for i in range(letters):
        own_ids = [f"p{i * own + j}" for j in range(own)]
        own_names = [person_name(i * own + j) for j in range(own)]
        picked = rng.sample(range(pool), shared)
        ids = own_ids + [f"s{n}" for n in picked]
        names = own_names + [f"Shared {person_name(n)}" for n in picked]
        sender, recipient = ids[0], ids[1]
        pairs = list(zip(ids, names, strict=True))
        mentions = " ".join(f'and <persName ref="#{pid}">{name}</persName>' for pid, name in pairs)
        persons = "".join(
            f'<person xml:id="{pid}"><persName>{name}</persName></person>' for pid, name in pairs
        )
        day = f"{1800 + i % 100}-{1 + i % 12:02}-{1 + i % 28:02}"
        text = f"""<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>Letter {i}</title></titleStmt>
<publicationStmt><p>generated</p></publicationStmt><sourceDesc><p>bench</p></sourceDesc>
</fileDesc><profileDesc><correspDesc>
<correspAction type="sent"><persName ref="#{sender}">{names[0]}</persName>
<date when="{day}">{day}</date></correspAction>
<correspAction type="received"><persName ref="#{recipient}">{names[1]}</persName></correspAction>
</correspDesc></profileDesc></teiHeader>
<text><body><div type="letter"><opener>Dear friend,</opener>
<p>I write about {mentions}, who all send their regards from the Große Straße.</p>
<closer>Yours</closer></div></body>
<back><listPerson>{persons}</listPerson></back></text></TEI>
"""
        sub = folder / f"part{i // per_folder:03}"
        sub.mkdir(exist_ok=True)
        (sub / f"letter{i:06}.xml").write_text(text, encoding="utf-8")
    return letters * own + pool


def write_scale_collection(folder: Path, letters: int) -> int:
    """The scale shape: one own person per letter, 24 shared from a pool of letters / 4."""
    return write_collection(folder, letters, own=1, shared=24, pool=max(100, letters // 4))


_PMB = re.compile(r"pmb(\d+)")
_LETTER_ID = re.compile(r"L0(\d{4})")


def write_schnitzler_lookalike(folder: Path, letters: int) -> None:
    """``letters`` copies of the Schnitzler letters in tests/data, renumbered.

    Each copy keeps its template's size and structure; its letter number and
    its entity ids are shifted, so that the collection register grows with
    the collection as the edition's does (15 templates' worth of ids: about
    16,000 entities).
    """
    templates = sorted((ROOT / "tests/data/editions/schnitzler-briefe/editions").glob("L*.xml"))
    texts = [t.read_text(encoding="utf-8") for t in templates]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(letters):
        text = texts[i % len(texts)]
        shift = (i // len(texts)) % 15 * 1_000_000
        text = _PMB.sub(lambda m, s=shift: f"pmb{int(m.group(1)) + s}", text)
        text = _LETTER_ID.sub(f"L{i:05}", text)
        (folder / f"L{i:05}.xml").write_text(text, encoding="utf-8")


# ------------------------------------------------------------------ baselines


def _bare_parse(paths: list[str]) -> int:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    count = 0
    for path in paths:
        count += len(etree.parse(path, parser).getroot())
    return count


def bare_parse(folder: Path, workers: int) -> float:
    """lxml parsing every XML file on ``workers`` processes (same start method as the index)."""
    started = time.perf_counter()
    files = sorted(str(p) for p in folder.rglob("*.xml"))
    chunk = max(1, len(files) // (workers * 8))
    context = multiprocessing.get_context(
        "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    )
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        batches = [files[i : i + chunk] for i in range(0, len(files), chunk)]
        sum(pool.map(_bare_parse, batches))
    return time.perf_counter() - started


BARE_SINGLE = """
import sys, time
from pathlib import Path
from lxml import etree
parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
files = sorted(str(p) for p in Path(sys.argv[1]).rglob("*.xml"))
print(sum(len(etree.parse(f, parser).getroot()) for f in files))
"""


def process_seconds(args: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(
        args, capture_output=True, check=True, env={**os.environ, **(env or {})}, cwd=ROOT
    )
    return time.perf_counter() - started, result.stdout.decode("utf-8", "replace")


# ------------------------------------------------------------------ children
# A fresh process each: start-up, imports and first paint count, as they do for a user.

WINDOW_CHILD = """
import os, sys, time
started = time.perf_counter()
sys.path.insert(0, {root!r})
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1200, 800)
if sys.argv[1] == "collection":
    from viewer.collection import open_collection
    from viewer.gui.collection_ui import LetterListPanel
    # What the window does: the database's letters at once; the folder's check
    # for changes follows in the background (timed apart, "check").
    index = open_collection(sys.argv[2], cache_dir=sys.argv[3])
    assert index is not None
    panel = LetterListPanel()
    panel.set_index(index)
    window.setCentralWidget(panel)
window.show()
painted = window.grab()  # paints the window as it shows, rows included
app.processEvents()
seconds = time.perf_counter() - started
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(seconds, peak / 1024)
"""


def window_child(*args: str) -> tuple[float, float]:
    code = WINDOW_CHILD.format(root=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    seconds, peak = result.stdout.split()[-2:]
    return float(seconds), float(peak)


# ------------------------------------------------------------------ measurements


def timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def median(values: list[float]) -> float:
    return statistics.median(values)


def filter_latency(index) -> dict[str, float]:
    from PySide6.QtWidgets import QApplication

    from viewer.gui.collection_ui import RegisterPanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    panel = RegisterPanel()
    panel.resize(400, 700)
    panel.set_index(index)
    panel.show()
    app.processEvents()
    index.prepare_search()
    ours: list[float] = []
    for query in KEYSTROKES:
        started = time.perf_counter()
        panel.search.setText(query)  # textChanged filters and pushes the rows
        app.processEvents()  # and the view paints
        ours.append(time.perf_counter() - started)
    panel.close()
    return {"median": median(ours) * 1000, "max": max(ours) * 1000}


def entity_filter_latency(index) -> dict[str, float]:
    """Clicking an entity: the letters naming it, pushed to the letter list, painted."""
    from PySide6.QtWidgets import QApplication

    from viewer.gui.collection_ui import LetterListPanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    panel = LetterListPanel()
    panel.resize(500, 700)
    panel.set_index(index)
    panel.show()
    app.processEvents()
    shared = [e.id for e in index.entity_filter("shared")][:8]
    own = [e.id for e in index.entities[:8]]
    query: list[float] = []
    shown: list[float] = []
    for entity_id in [*shared, *own]:
        seconds, _rows = timed(lambda e=entity_id: index.letter_ids_mentioning([e]))
        query.append(seconds)
        started = time.perf_counter()
        panel.set_filter([entity_id])
        app.processEvents()
        shown.append(time.perf_counter() - started)
    panel.set_filter([])
    panel.close()
    return {"query": median(query) * 1000, "shown": median(shown) * 1000, "max": max(shown) * 1000}


def search_latency(index) -> dict[str, float]:
    times = []
    for query in QUERIES:
        seconds, _hits = timed(lambda q=query: index.search(q, 100))
        times.append(seconds)
    return {"median": median(times) * 1000, "max": max(times) * 1000}


def cpu_ratio(folder: Path, cache: Path, runs: int = 1) -> tuple[float, float]:
    """CPU seconds of a cold index read here, in one process, and of a bare lxml parse.

    Unlike wall time, CPU time changes less with what else the machine runs: it
    shows the indexing's own cost when other work shares the two cores. Medians
    of ``runs``, the two measured in turn (a busier spell slows both).
    """
    files = sorted(str(p) for p in folder.rglob("*.xml"))
    bares, indexes = [], []
    for _ in range(runs):
        started = time.process_time()
        _bare_parse(files)
        bares.append(time.process_time() - started)
        shutil.rmtree(cache, ignore_errors=True)
        started = time.process_time()
        index_folder(folder, cache_dir=cache, workers=1, mode="serial").close()
        indexes.append(time.process_time() - started)
        shutil.rmtree(cache, ignore_errors=True)
    return median(indexes), median(bares)


def measure_size(scratch: Path, letters: int, runs: int, workers: int, cpu: bool = False) -> dict:
    folder = scratch / f"letters-{letters}"
    folder.mkdir()
    print(f"writing {letters:,} letters …", flush=True)
    entities = write_scale_collection(folder, letters)
    size = sum(p.stat().st_size for p in folder.rglob("*.xml")) / 1e6
    print(f"  {size:.0f} MB, about {entities:,} entities", flush=True)
    result: dict = {"letters": letters, "megabytes": size}
    cold_runs = 1 if letters > 20_000 else runs
    bare = [bare_parse(folder, workers) for _ in range(cold_runs)]
    cold = []
    cache = scratch / f"cache-{letters}"
    for run in range(cold_runs):
        shutil.rmtree(cache, ignore_errors=True)
        seconds, index = timed(lambda: index_folder(folder, cache_dir=cache, workers=workers))
        assert len(index.letters) == letters, index.stats
        cold.append(seconds)
        if run + 1 < cold_runs:
            index.close()
    result["bare"] = median(bare)
    result["cold"] = median(cold)
    if cpu:
        result["cpu"] = cpu_ratio(folder, scratch / f"cpu-cache-{letters}", cold_runs)
    database = index.store.path
    result["database_mb"] = (
        sum(
            Path(f"{database}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{database}{suffix}").exists()
        )
        / 1e6
    )
    result["search"] = search_latency(index)
    result["register"] = filter_latency(index)
    result["entity_filter"] = entity_filter_latency(index)
    result["entities"] = len(index.entities)
    index.close()
    checks = []
    for _ in range(runs):
        seconds, again = timed(lambda: index_folder(folder, cache_dir=cache, workers=workers))
        assert again.stats.parsed == 0, again.stats
        again.close()
        checks.append(seconds)
    result["check"] = median(checks)
    empty, reopen = [], []
    for _ in range(runs):
        empty.append(window_child("empty"))
        reopen.append(window_child("collection", str(folder), str(cache)))
    result["empty_window"] = median([s for s, _ in empty])
    result["reopen_window"] = median([s for s, _ in reopen])
    result["empty_peak"] = median([p for _, p in empty])
    result["reopen_peak"] = median([p for _, p in reopen])
    shutil.rmtree(folder, ignore_errors=True)
    return result


def report(results: list[dict]) -> None:
    print()
    print("| letters | entities | bare parse, 2 processes | cold index | ratio | database |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['letters']:,} | {r['entities']:,} | {r['bare']:.2f} s | {r['cold']:.2f} s | "
            f"{r['cold'] / r['bare']:.2f}× | {r['database_mb']:.0f} MB |"
        )
    if any("cpu" in r for r in results):
        print()
        print("| letters | CPU: bare parse, one process | CPU: cold index, one process | ratio |")
        print("|---|---|---|---|")
        for r in results:
            if "cpu" in r:
                index_cpu, bare_cpu = r["cpu"]
                print(
                    f"| {r['letters']:,} | {bare_cpu:.2f} s | {index_cpu:.2f} s | "
                    f"{index_cpu / bare_cpu:.2f}× |"
                )
    print()
    print(
        "| letters | empty window | re-open to painted list | difference | peak memory |"
        " then: checking the folder for changes (background) |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['letters']:,} | {r['empty_window'] * 1000:.0f} ms | "
            f"{r['reopen_window'] * 1000:.0f} ms | "
            f"+{(r['reopen_window'] - r['empty_window']) * 1000:.0f} ms | "
            f"{r['reopen_peak']:.0f} MiB (+{r['reopen_peak'] - r['empty_peak']:.0f} MiB) | "
            f"{r['check'] * 1000:.0f} ms |"
        )
    print()
    print("| letters | full text, 100 hits | register filter / keystroke | entity filter |")
    print("|---|---|---|---|")
    for r in results:
        s, g, e = r["search"], r["register"], r["entity_filter"]
        print(
            f"| {r['letters']:,} | {s['median']:.1f} ms (max {s['max']:.1f}) | "
            f"{g['median']:.1f} ms (max {g['max']:.1f}) | query {e['query']:.1f} ms, "
            f"shown {e['shown']:.1f} ms (max {e['max']:.1f}) |"
        )


def measure_schnitzler(scratch: Path, letters: int, runs: int) -> None:
    folder = scratch / "schnitzler"
    print(f"writing {letters:,} Schnitzler look-alikes …", flush=True)
    write_schnitzler_lookalike(folder, letters)
    size = sum(p.stat().st_size for p in folder.rglob("*.xml")) / 1e6
    print(f"  {size:.0f} MB", flush=True)
    bare, cold, again = [], [], []
    for run in range(runs):
        cache = scratch / f"schnitzler-cache-{run}"
        env = {"EPISTOLA_CACHE_DIR": str(cache)}
        bare.append(process_seconds([sys.executable, "-c", BARE_SINGLE, str(folder)])[0])
        seconds, out = process_seconds([sys.executable, "main.py", "--index", str(folder)], env)
        cold.append(seconds)
        assert len(json.loads(out)["letters"]) == letters
        again.append(process_seconds([sys.executable, "main.py", "--index", str(folder)], env)[0])
    index = index_folder(folder, cache_dir=scratch / "schnitzler-cache-0")
    json_seconds, _ = timed(lambda: json.dumps(index.to_json(), ensure_ascii=False, indent=1))
    start_seconds = process_seconds([sys.executable, "main.py", "--help"])[0]
    print()
    print(f"Schnitzler look-alike, {letters:,} letters, {size:.0f} MB (medians of {runs})")
    print(f"  bare lxml pass, one process (baseline)   {median(bare):6.2f} s")
    print(f"  main.py --index, cold                    {median(cold):6.2f} s  "
          f"{median(cold) / median(bare):.2f}× (target ≤ 1.5×)")  # fmt: skip
    print(f"  main.py --index, again                   {median(again):6.2f} s")
    print(f"    of which building and writing the JSON {json_seconds:6.2f} s")
    print(f"    of which starting main.py (--help)     {start_seconds:6.2f} s")
    print(f"    the rest (target ≤ 0.3 s)              "
          f"{median(again) - json_seconds - start_seconds:6.2f} s")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", default="5000,20000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--schnitzler", type=int, default=0, metavar="N")
    parser.add_argument(
        "--cpu", action="store_true", help="also a cold index's CPU time against a bare parse's"
    )
    parser.add_argument(
        "--walk-up",
        action="store_true",
        help="let register discovery walk up into the temporary folder (as before stop 19)",
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="epistola-bench-"))
    if not args.walk_up:
        # Register discovery walks up from the letters (three levels, not past a
        # repository's root) and scans the folders beside them: from a scratch folder
        # that is the whole temporary folder, whatever others keep there. As an edition
        # in a repository, the collection is timed, not the machine's /tmp.
        (scratch / ".git").mkdir()
    print(f"{os.cpu_count()} CPUs; {args.workers} workers; load {os.getloadavg()[0]:.1f}")
    try:
        if args.schnitzler:
            measure_schnitzler(scratch, args.schnitzler, args.runs)
            return 0
        results = []
        for letters in (int(n) for n in args.letters.split(",")):
            results.append(measure_size(scratch, letters, args.runs, args.workers, args.cpu))
            report(results)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
