"""Reading the real editions: coverage and time to open a letter, per edition.

Run from the checkout's root:  python tests/bench/bench_corpus.py [--runs N]

For each edition in tests/data/editions it prints: the letters opened (and the
non-letters refused), mentions found, references present and resolved (on
mentions and on Jean Paul's line-reference notes; computed dates are not
references), the distinct references that stay unresolved, and the median
time to open a letter

* cold: the edition's first letter with a fresh register catalog, so its
  register files are discovered and parsed;
* warm: every other letter once the catalog holds the registers;

each against a baseline measured in the same run: the hardened lxml parse
of the same file alone (ratio = open / parse).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from viewer.errors import EpistolaError  # noqa: E402
from viewer.model import Letter  # noqa: E402
from viewer.tei import read_letter  # noqa: E402
from viewer.tei.catalog import RegisterCatalog  # noqa: E402
from viewer.tei.classify import classify  # noqa: E402
from viewer.tei.xml import parse_file  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "editions"
EDITIONS = ("schnitzler-briefe", "escher", "jean-paul", "mitford")


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def median_time(action, runs: int) -> float:
    return statistics.median(timed(action) for _ in range(runs))


def references(letter: Letter) -> tuple[int, int, set[str]]:
    """(present, resolved, unresolved tokens) over mentions and line references."""
    present = resolved = 0
    unresolved: set[str] = set()
    for item in (*letter.mentions, *letter.line_references):
        ids = [i for i in item.entities if not i.startswith("date:")]
        resolved += len(ids)
        present += len(ids) + len(item.unresolved)
        unresolved.update(item.unresolved)
    return present, resolved, unresolved


def bench_edition(edition: str, runs: int) -> dict:
    files = sorted((CORPUS / edition).rglob("*.xml"))
    letters = [f for f in files if classify(f) == "letter"]
    refused = 0
    for path in files:
        if path not in letters:
            try:
                read_letter(path)
            except EpistolaError:
                refused += 1

    first, later = letters[0], letters[1:]
    cold = median_time(
        lambda: read_letter(first, registers=RegisterCatalog().for_letter(first)), runs
    )
    cold_parse = median_time(lambda: parse_file(first), runs)

    catalog = RegisterCatalog()
    read_letter(first, registers=catalog.for_letter(first))
    parsed_after_first = catalog.parse_count
    warm_times: list[float] = []
    parse_times: list[float] = []
    opened: list[Letter] = []
    for path in later:
        warm_times.append(
            median_time(lambda p=path: read_letter(p, registers=catalog.for_letter(p)), runs)
        )
        parse_times.append(median_time(lambda p=path: parse_file(p), runs))
    for path in letters:
        opened.append(read_letter(path, registers=catalog.for_letter(path)))

    present = resolved = 0
    unresolved: set[str] = set()
    for letter in opened:
        p, r, u = references(letter)
        present, resolved = present + p, resolved + r
        unresolved |= u
    return {
        "edition": edition,
        "letters": len(opened),
        "refused": refused,
        "mentions": sum(len(letter.mentions) for letter in opened),
        "line_refs": sum(len(letter.line_references) for letter in opened),
        "present": present,
        "resolved": resolved,
        "unresolved": unresolved,
        "registers": len(catalog.for_letter(first).files),
        "parses": (parsed_after_first, catalog.parse_count),
        "cold": cold,
        "cold_parse": cold_parse,
        "warm": statistics.median(warm_times),
        "warm_parse": statistics.median(parse_times),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions per timing (median)")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    rows = [bench_edition(edition, args.runs) for edition in EDITIONS]

    print(f"Corpus: {CORPUS}  (medians of {args.runs} runs; ratio = open / bare lxml parse)")
    print()
    header = (
        f"{'edition':18} {'letters':>7} {'refused':>7} {'mentions':>8} {'line refs':>9} "
        f"{'refs':>5} {'resolved':>8} {'%':>6} {'unres.':>6} {'registers':>9}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        share = 100 * row["resolved"] / row["present"] if row["present"] else 100.0
        print(
            f"{row['edition']:18} {row['letters']:7} {row['refused']:7} {row['mentions']:8} "
            f"{row['line_refs']:9} {row['present']:5} {row['resolved']:8} {share:6.1f} "
            f"{len(row['unresolved']):6} {row['registers']:9}"
        )
    print()
    header = (
        f"{'edition':18} {'cold open':>10} {'parse':>8} {'ratio':>6}   "
        f"{'warm open':>10} {'parse':>8} {'ratio':>6}   {'files parsed (1st / all)':>24}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['edition']:18} {row['cold'] * 1000:8.1f}ms {row['cold_parse'] * 1000:6.1f}ms "
            f"{row['cold'] / row['cold_parse']:6.1f}   {row['warm'] * 1000:8.1f}ms "
            f"{row['warm_parse'] * 1000:6.1f}ms {row['warm'] / row['warm_parse']:6.1f}   "
            f"{row['parses'][0]:>12} / {row['parses'][1]}"
        )
    print()
    for row in rows:
        if row["unresolved"]:
            shown = ", ".join(sorted(row["unresolved"]))
            print(f"unresolved in {row['edition']} ({len(row['unresolved'])}): {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
