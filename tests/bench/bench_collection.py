"""Collections at scale: indexing 5,000 letters, re-opening them, filtering 100,000 entities.

Run from the checkout's root:  python tests/bench/bench_collection.py [--letters N] [--runs N]

It writes a collection of small TEI letters into a temporary folder (each
names 20 people of its own and 5 from a shared pool, so the collection
register holds about 100,000 entities) and prints a table of medians and
ratios against baselines measured in the same run:

* cold index (no cache) in worker processes, in threads and serially,
  against a bare lxml parse of the same files on the same two cores;
* re-opening from the cache, against listing and stat-ing the folder;
* the register filter per keystroke at ~100,000 entities (filter in Python,
  push to the view, paint), against filtering the same rows in Python and
  pushing strings with QStringListModel.setStringList (target ≤ 16 ms);
* peak memory (ru_maxrss) of a fresh process that re-opens the collection
  from the cache, against a fresh process that only imports the modules.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import multiprocessing
import os
import random
import resource
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
PER_LETTER = 20
SHARED_POOL = 1000
SHARED_PER_LETTER = 5
KEYSTROKES = [
    "m", "mu", "mul", "mull", "mulle", "muller", "muller ", "muller a", "muller an",
    "muller ann", "muller anna", "muller ann", "muller an", "muller a", "muller", "mull",
    "mu", "m", "", "z", "zo", "zoe", "zoe ", "zoe k", "zoe ko", "zoe koh", "zoe kohl",
]  # fmt: skip


# ------------------------------------------------------------------ the corpus


def person_name(n: int) -> str:
    first = FIRST[n % len(FIRST)]
    last = LAST[(n // len(FIRST)) % len(LAST)]
    return f"{first} {last} {n // (len(FIRST) * len(LAST)) + 1}"


def write_collection(folder: Path, letters: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    per_folder = 500
    for i in range(letters):
        own = [i * PER_LETTER + j for j in range(PER_LETTER)]
        shared = rng.sample(range(SHARED_POOL), SHARED_PER_LETTER)
        ids = [f"p{n}" for n in own] + [f"s{n}" for n in shared]
        names = [person_name(n) for n in own] + [f"Shared {person_name(n)}" for n in shared]
        sender, recipient = ids[0], ids[1]
        pairs = list(zip(ids, names, strict=True))
        mentions = " ".join(f'and <persName ref="#{pid}">{name}</persName>' for pid, name in pairs)
        persons = "".join(
            f'<person xml:id="{pid}"><persName>{name}</persName></person>'
            for pid, name in zip(ids, names, strict=True)
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
        (sub / f"letter{i:05}.xml").write_text(text, encoding="utf-8")
    return letters * PER_LETTER + SHARED_POOL


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


def list_and_stat(folder: Path) -> float:
    started = time.perf_counter()
    for root, _dirs, files in os.walk(folder):
        for name in files:
            os.stat(os.path.join(root, name))
    return time.perf_counter() - started


# ------------------------------------------------------------------ measurements


def timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def median(values: list[float]) -> float:
    return statistics.median(values)


def filter_latency(index) -> dict[str, float]:
    from PySide6.QtCore import QStringListModel
    from PySide6.QtWidgets import QApplication, QListView

    from viewer.filtering import TextFilter, fold
    from viewer.gui.collection_ui import RegisterPanel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    panel = RegisterPanel()
    panel.resize(400, 700)
    panel.set_index(index)
    panel.show()
    app.processEvents()

    ours: list[float] = []
    for query in KEYSTROKES:
        started = time.perf_counter()
        panel.search.setText(query)  # textChanged filters and pushes the rows
        app.processEvents()  # and the view paints
        ours.append(time.perf_counter() - started)
    shown = panel.model.rowCount()

    # Baseline: the same rows filtered in Python, pushed as strings.
    hay = [fold(f"{e.name}\n{e.id}") for e in index.entities]
    labels = [
        f"{e.name}  ·  {len(e.letters)} letters, {e.mentions} mentions" for e in index.entities
    ]
    model = QStringListModel()
    view = QListView()
    view.setUniformItemSizes(True)
    view.setModel(model)
    view.resize(400, 700)
    view.show()
    app.processEvents()
    baseline: list[float] = []
    python_only: list[float] = []
    for query in KEYSTROKES:
        started = time.perf_counter()
        words = TextFilter(query).words
        rows = range(len(hay))
        for word in words:
            rows = [i for i in rows if word in hay[i]]
        python_only.append(time.perf_counter() - started)
        model.setStringList([labels[i] for i in rows])
        app.processEvents()
        baseline.append(time.perf_counter() - started)
    panel.close()
    view.close()
    return {
        "ours": median(ours) * 1000,
        "ours_max": max(ours) * 1000,
        "baseline": median(baseline) * 1000,
        "python": median(python_only) * 1000,
        "keystrokes": len(KEYSTROKES),
        "entities": len(index.entities),
        "shown_last": shown,
    }


# The child reports its own peak: VmHWM is reset by exec, while ru_maxrss
# (self or children) keeps the high-water mark of the process that forked it.
CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from viewer.collection import index_folder
import viewer.tei
if sys.argv[1] == "reopen":
    index = index_folder(sys.argv[2], cache_dir=sys.argv[3])
    assert index.stats.parsed == 0, index.stats
    print(len(index.letters), len(index.entities))
try:
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(peak)
"""


def child_peak(*args: str) -> tuple[float, str]:
    code = CHILD.format(root=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    lines = result.stdout.split()
    return int(lines[-1]) / 1024, " ".join(lines[:-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-slow-modes", action="store_true", help="no thread/serial runs")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="epistola-bench-"))
    try:
        folder = scratch / "letters"
        folder.mkdir()
        print(f"writing {args.letters:,} letters to {folder} …", flush=True)
        write_collection(folder, args.letters)
        size = sum(p.stat().st_size for p in folder.rglob("*.xml")) / 1e6
        print(f"  {size:.1f} MB; {os.cpu_count()} CPUs; {args.workers} workers\n", flush=True)

        rows: list[tuple[str, float, str]] = []
        bare = [bare_parse(folder, args.workers) for _ in range(args.runs)]
        rows.append(("bare lxml parse, 2 processes (baseline)", median(bare), ""))

        cold: list[float] = []
        index = None
        for run in range(args.runs):
            cache = scratch / f"cache-process-{run}"
            seconds, index = timed(
                lambda c=cache: index_folder(folder, cache_dir=c, mode="process", workers=2)
            )
            cold.append(seconds)
        assert index is not None and len(index.letters) == args.letters, index.stats
        rows.append(
            ("cold index, 2 processes", median(cold), f"{median(cold) / median(bare):.2f}×")
        )
        if not args.skip_slow_modes:
            for mode in ("thread", "serial"):
                seconds, other = timed(
                    lambda m=mode: index_folder(
                        folder, cache_dir=scratch / f"cache-{m}", mode=m, workers=2
                    )
                )
                assert len(other.letters) == args.letters
                rows.append(
                    (f"cold index, {mode}", seconds, f"{seconds / median(bare):.2f}× (1 run)")
                )
                del other

        listing = [list_and_stat(folder) for _ in range(args.runs)]
        rows.append(("list + stat the folder (baseline)", median(listing), ""))
        reopen: list[float] = []
        # One opening first: if the parsing code changed since the cold runs (the
        # cache is keyed by it), this one re-reads and the timed ones do not.
        index_folder(folder, cache_dir=scratch / "cache-process-0")
        for _ in range(args.runs):
            seconds, again = timed(
                lambda: index_folder(folder, cache_dir=scratch / "cache-process-0")
            )
            assert again.stats.parsed == 0, again.stats
            assert len(again.letters) == args.letters, again.stats
            reopen.append(seconds)
        rows.append(
            (
                "re-open from the cache",
                median(reopen),
                f"{median(reopen) / median(listing):.1f}× listing; "
                f"{median(reopen) / median(cold):.2f}× cold",
            )
        )

        latency = filter_latency(index)
        first_search, _hits = timed(lambda: index.search("paul werner", 1000))
        searches = []
        for query in ("zoe kohl", "grosse strasse", "regards from", "nobody at all", "anna"):
            seconds, _hits = timed(lambda q=query: index.search(q, 1000))
            searches.append(seconds)

        bare_peak, _ = child_peak("import")
        reopen_peak, shape = child_peak("reopen", str(folder), str(scratch / "cache-process-0"))
        own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        print(f"{'measurement':46} {'median':>10}  ratio")
        for name, seconds, ratio in rows:
            print(f"{name:46} {seconds * 1000:8.0f} ms  {ratio}")
        print()
        print(
            f"register filter per keystroke ({latency['entities']:,} entities, "
            f"{latency['keystrokes']} keystrokes)"
        )
        ours, baseline = latency["ours"], latency["baseline"]
        print(
            f"  {'ours: Python filter + list-model reset + paint':50} {ours:6.2f} ms "
            f"(max {latency['ours_max']:.1f} ms; target ≤ 16 ms)"
        )
        print(
            f"  {'baseline: Python filter + setStringList + paint':50} "
            f"{baseline:6.2f} ms  ratio {ours / baseline:.2f}"
        )
        print(f"  {'  of which the Python filter alone':50} {latency['python']:6.2f} ms")
        print()
        print(f"full-text search over {args.letters:,} letters (up to 1,000 hits)")
        print(f"  first query (folds every text once)            {first_search * 1000:8.1f} ms")
        print(f"  later queries, median of {len(searches)}                  "
              f"{median(searches) * 1000:8.1f} ms")  # fmt: skip
        print()
        print("peak memory (ru_maxrss)")
        print(f"  fresh process importing the modules (baseline) {bare_peak:8.1f} MiB")
        print(
            f"  fresh process re-opening the collection      {reopen_peak:8.1f} MiB "
            f"(+{reopen_peak - bare_peak:.1f} MiB; letters, entities: {shape})"
        )
        print(f"  this benchmark process (all of the above)    {own_peak:8.1f} MiB")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
