"""What letterhead grouping costs `--index`: with it against without it, in the same run.

Run from the checkout's root:  python tests/bench/bench_letterheads.py [--runs N]

For each folder (the 60 printed-letterhead letters, tests/data/letterheads, and
the four editions, tests/data/editions) it indexes cold (no cache, serially, so
that both variants do the same work in this one process) and builds the
``--index`` JSON, alternately

* with letterheads: every letter's letterhead records, grouping by issuer and the
  versions over time, as ``--index`` does;
* without: the same with the records and the grouping switched off (the baseline).

It prints the medians and the cost of grouping as a share of indexing (the
issue's target: under 10 %), and separately the grouping step alone
(``CollectionIndex.letterhead_groups`` on an index already built).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import viewer.collection as collection  # noqa: E402
from viewer.collection import index_folder  # noqa: E402

FOLDERS = {
    "letterheads (60 letters)": ROOT / "tests" / "data" / "letterheads",
    "editions (4 editions)": ROOT / "tests" / "data" / "editions",
}


def index_json(folder: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    index = index_folder(folder, use_cache=False, mode="serial")
    data = index.to_json()
    return time.perf_counter() - started, data


def without_letterheads(folder: Path) -> tuple[float, dict]:
    records, groups = collection.letterhead_records, collection.group_letterheads
    collection.letterhead_records = lambda letter: ()
    collection.group_letterheads = lambda letters: []
    try:
        return index_json(folder)
    finally:
        collection.letterhead_records, collection.group_letterheads = records, groups


def grouping_alone(folder: Path, runs: int) -> float:
    index = index_folder(folder, use_cache=False, mode="serial")
    times = []
    for _ in range(runs):
        index._letterhead_groups = None  # measure the grouping, not the cached answer
        started = time.perf_counter()
        index.letterhead_groups()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"{'folder':28} {'letters':>7} {'groups':>6} {'without':>9} {'with':>9} {'cost':>7}"
          f" {'grouping alone':>15}")  # fmt: skip
    for label, folder in FOLDERS.items():
        with_times, without_times = [], []
        data: dict = {}
        for _ in range(args.runs):
            seconds, _ = without_letterheads(folder)
            without_times.append(seconds)
            seconds, data = index_json(folder)
            with_times.append(seconds)
        base = statistics.median(without_times)
        full = statistics.median(with_times)
        alone = grouping_alone(folder, args.runs)
        print(
            f"{label:28} {len(data['letters']):>7} {len(data['letterheads']):>6} "
            f"{base * 1000:>7.0f}ms {full * 1000:>7.0f}ms {100 * (full - base) / base:>6.1f}% "
            f"{alone * 1000:>9.2f}ms ({100 * alone / base:.2f}%)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
