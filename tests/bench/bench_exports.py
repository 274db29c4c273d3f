"""Exports at scale: CMIF of 5,000 letters, and the PDF of the 2 MB letter.

Run from the checkout's root:  python tests/bench/bench_exports.py [--letters N] [--runs N]

Prints medians and ratios against baselines measured in the same run:

* CMIF (target < 5 s for 5,000 letters, generated as bench_collection.py
  does: each names 25 people in its back list and has a correspDesc), in
  worker processes and serially, against a bare parse of the same files
  with the hardened parser on one core;
* PDF of the 2 MB letter (target < 3 s; make_big_letter.py, 50,000
  mentions): reading the letter, building the print document, and building,
  laying out and writing it with QPdfWriter, against writing the same plain
  text (no highlights, no legend, no notes) with QPdfWriter; then the whole
  ``python main.py big.xml --pdf out.pdf`` as a process, against a process
  that only imports PySide6.QtGui, and the same command reading the letter in
  its own process rather than in a worker (PySide6 imported first).

``--against DIR`` (a copy of another version's checkout, e.g. ``git archive main |
tar -x -C DIR``) then runs ``python main.py big.xml --pdf out.pdf`` of this
checkout and of DIR in alternating pairs (``--pairs``, default 7) and prints
both medians and every run: a same-run A/B on a machine whose speed moves.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench_collection import write_collection  # noqa: E402
from make_big_letter import write_letter  # noqa: E402

from viewer.exports.cmif import CmifOptions, export_cmif  # noqa: E402
from viewer.tei.xml import parse_file  # noqa: E402

# main.py with PySide6 imported first, which is where --pdf reads the letter in its own
# process rather than in a worker forked before Qt starts (viewer.exports.print_source).
_IN_TURN = (
    "import sys, PySide6.QtCore; from viewer.cli import main; "
    "sys.exit(main(sys.argv[1:], exit_at_once=True))"
)

CMIF_TARGET = 5.0
PDF_TARGET = 3.0


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median(action, runs: int) -> float:
    return statistics.median(timed(action) for _ in range(runs))


def bench_cmif(folder: Path, runs: int) -> None:
    files = sorted(folder.rglob("*.xml"))
    options = CmifOptions(url="https://example.org/cmif.xml")
    sizes: list[int] = []

    def cmif(mode: str):
        def run() -> None:
            result = export_cmif(folder, options, mode=mode)
            sizes.append(len(result.data))

        return run

    bare = median(lambda: [parse_file(f) for f in files], runs)
    parallel = median(cmif("process"), runs)
    serial = median(cmif("serial"), runs)
    print(f"CMIF of {len(files)} letters ({sizes[-1] / 1e6:.1f} MB of CMIF)")
    print(f"  baseline: bare parse, one core         {bare:6.2f} s")
    verdict = "OK" if parallel < CMIF_TARGET else "OVER"
    print(f"  export, serial                         {serial:6.2f} s  x{serial / bare:4.1f}")
    print(
        f"  export, two worker processes (default) {parallel:6.2f} s  "
        f"x{parallel / bare:4.1f}  target < {CMIF_TARGET:.0f} s: {verdict}"
    )


def _most_mentioned(letter) -> str:
    """The entity the benchmark selects (``--select``): the letter's most mentioned one."""
    return max(letter.mention_counts().items(), key=lambda item: item[1])[0]


def bench_pdf(path: Path, out: Path, runs: int) -> None:
    from PySide6.QtGui import QGuiApplication, QPageSize, QPdfWriter, QTextDocument

    from viewer.gui.printing import PrintOptions, build_document, write_pdf
    from viewer.tei import read_letter

    QGuiApplication.instance() or QGuiApplication([])
    letter = read_letter(path)
    selected = _most_mentioned(letter)
    options = PrintOptions(selected=(selected,))

    def plain() -> None:
        document = QTextDocument()
        document.setPlainText(letter.text)
        writer = QPdfWriter(str(out))
        writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        document.print_(writer)

    def ours() -> None:
        write_pdf(letter, out, options)

    cpu: dict[tuple[str, ...], list[float]] = {}

    def command(*args: str) -> float:
        # The child's CPU time too: on a shared machine it moves far less than the wall time.
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, *args], cwd=ROOT, check=True, capture_output=True)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        used = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        cpu.setdefault(args, []).append(used)
        return elapsed

    reading = median(lambda: read_letter(path), runs)
    bare = median(plain, runs)
    building = median(lambda: build_document(letter, options), runs)
    pdf = median(ours, runs)
    size = out.stat().st_size
    cli_args = ("main.py", str(path), "--pdf", str(out), "--select", selected)
    cli = statistics.median(command(*cli_args) for _ in range(runs))
    # The same command with Qt loaded first: no worker process, the letter is read in turn.
    in_turn_args = ("-c", _IN_TURN, *cli_args[1:])
    in_turn = statistics.median(command(*in_turn_args) for _ in range(runs))
    start = statistics.median(command("-c", "import PySide6.QtGui") for _ in range(runs))
    print(f"PDF of {path.stat().st_size / 1e6:.1f} MB letter ({len(letter.mentions)} mentions)")
    print(f"  reading the letter                      {reading:6.2f} s")
    print(f"  baseline: plain text with QPdfWriter    {bare:6.2f} s")
    print(f"  building the print document             {building:6.2f} s  x{building / bare:4.1f}")
    print(
        f"  print document + QPdfWriter             {pdf:6.2f} s  x{pdf / bare:4.1f}  "
        f"({size / 1e6:.1f} MB PDF)"
    )
    verdict = "OK" if pdf + reading < PDF_TARGET else "OVER"
    print(f"  reading + PDF                           {reading + pdf:6.2f} s  "
          f"x{(reading + pdf) / bare:4.1f}  target < {PDF_TARGET:.0f} s: {verdict}")  # fmt: skip
    start_cpu = statistics.median(cpu[("-c", "import PySide6.QtGui")])
    cli_cpu = statistics.median(cpu[cli_args])
    print(f"  baseline: a process importing QtGui     {start:6.2f} s  (CPU {start_cpu:.2f} s)")
    verdict = "OK" if cli < PDF_TARGET else "OVER"
    print(f"  python main.py big.xml --pdf out.pdf    {cli:6.2f} s  "
          f"x{cli / bare:4.1f}  target < {PDF_TARGET:.0f} s: {verdict}  "
          f"(CPU {cli_cpu:.2f} s, x{cli_cpu / start_cpu:4.1f} the QtGui process)")  # fmt: skip
    in_turn_cpu = statistics.median(cpu[in_turn_args])
    print(f"  the same, reading in turn (no worker)   {in_turn:6.2f} s  "
          f"x{in_turn / bare:4.1f}  worker saves {in_turn - cli:5.2f} s  "
          f"(CPU {in_turn_cpu:.2f} s)")  # fmt: skip


def bench_against(path: Path, out: Path, other: Path, pairs: int, selected: str) -> None:
    def command(checkout: Path) -> float:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "main.py", str(path), "--pdf", str(out), "--select", selected],
            cwd=checkout, check=True, capture_output=True,
        )  # fmt: skip
        return time.perf_counter() - started

    times: dict[Path, list[float]] = {ROOT: [], other: []}
    for pair in range(pairs):  # each goes first in every other pair
        for checkout in (ROOT, other) if pair % 2 == 0 else (other, ROOT):
            times[checkout].append(command(checkout))
    print(f"python main.py big.xml --pdf out.pdf, {pairs} alternating pairs")
    for label, checkout in (("this checkout", ROOT), (str(other), other)):
        runs = " ".join(f"{t:.2f}" for t in times[checkout])
        print(f"  {label:<30} median {statistics.median(times[checkout]):5.2f} s  ({runs})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-pdf", action="store_true")
    parser.add_argument("--skip-cmif", action="store_true")
    parser.add_argument("--against", type=Path, help="another checkout, for an A/B of --pdf")
    parser.add_argument("--pairs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="epistola-bench-exports-") as scratch:
        base = Path(scratch)
        if not args.skip_cmif:
            folder = base / "collection"
            folder.mkdir()
            write_collection(folder, args.letters)
            bench_cmif(folder, args.runs)
        if not args.skip_pdf:
            # In an edition's folders, as archivists keep letters: the command looks for
            # registers up to three levels up, and the scratch folder's parent is /tmp,
            # whose other folders are no part of the measurement.
            letters = base / "pdf" / "edition" / "letters"
            letters.mkdir(parents=True)
            letter = write_letter(letters / "big.xml")
            bench_pdf(letter, base / "big.pdf", args.runs)
            if args.against is not None:
                from viewer.tei import read_letter

                selected = _most_mentioned(read_letter(letter))
                bench_against(
                    letter, base / "big.pdf", args.against.resolve(), args.pairs, selected
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
