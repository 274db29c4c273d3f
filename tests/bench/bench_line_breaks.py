"""Benchmark of the letter pane's line modes on a 2 MB letter that keeps its lines.

Run from the checkout's root: ``python tests/bench/bench_line_breaks.py`` (offscreen).
The letter is ``make_big_letter.make_letter(2_000_000, 50_000, line_breaks=True)``: 50,000
mentions and an ``lb`` about every 70 characters. Prints medians against baselines
measured in the same run:

1. click-to-filter in each mode = ``LetterView.set_selection({one entity})`` + a
   synchronous repaint. Baseline: a bare ``setExtraSelections`` of as many selections on
   a plain QTextEdit holding the same text, + repaint. Target: <= 16 ms. Measured twice:
   clicks on the same screen, and first clicks on a screen (the pane keeps the geometry
   of the faded tints it painted per block; the second row drops it before each click);
   in both modes, and in flowing mode with people hidden. The last column is the
   median CPU time of the process for the same clicks (on a machine shared with other
   work the wall-clock medians include waiting for a core).
2. switching modes = ``LetterView.set_line_mode`` + a synchronous repaint, with the
   viewport in the middle of the letter and an entity selected. Baselines: building the
   letter's document again (``set_letter``, what a switch by rebuilding would cost) and
   ``QTextEdit.setPlainText`` of the same text + repaint. Target: <= 1 s.
"""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_SCRATCH = tempfile.mkdtemp(prefix="epistola-bench-")
for _name in ("CONFIG", "CACHE", "LOG"):
    os.environ[f"EPISTOLA_{_name}_DIR"] = os.path.join(_SCRATCH, _name.lower())

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_letter_view import (  # noqa: E402
    SIZE,
    bare_selections,
    median_ms,
    most_mentioned,
    plain_edit,
    typical_person,
    wait_for_layout,
)
from make_big_letter import make_letter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from viewer.gui.letter_view import LetterView  # noqa: E402
from viewer.linebreaks import FLOWING, SOURCE_LINES  # noqa: E402
from viewer.tei import read_letter  # noqa: E402

CLICKS = 9
SWITCHES = 6


def median_wall_and_cpu(
    run: Callable[[], object], repeat: int, setup: Callable[[], object]
) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        setup()
        gc.collect()
        wall, used = time.perf_counter(), time.process_time()
        run()
        cpus.append(time.process_time() - used)
        walls.append(time.perf_counter() - wall)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    # (measure, median ms, baseline ms, target, median CPU ms of this process: on a machine
    # shared with other work, wall-clock medians carry the waits for a core; these do not)
    rows: list[tuple[str, float, float | None, str, float | None]] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big-lines.xml"
        path.write_bytes(make_letter(2_000_000, 50_000, line_breaks=True))
        letter = read_letter(path)
    flowing = sum(1 for b in letter.line_breaks if b.flows)
    print(
        f"generated letter: {len(letter.text):,} characters, {len(letter.mentions):,} "
        f"mentions, {len(letter.line_breaks):,} line breaks ({flowing:,} inside paragraphs)"
    )
    view = LetterView()
    view.resize(*SIZE)
    view.show()
    view.set_letter(letter)
    wait_for_layout(app, view)
    view.viewport().grab()
    edit = plain_edit(app, letter.text)
    entities = dict.fromkeys((typical_person(letter), most_mentioned(letter)))

    for mode, hidden in ((FLOWING, ""), (SOURCE_LINES, ""), (FLOWING, "person")):
        view.set_line_mode(mode)
        if hidden:
            view.set_kind_visible(hidden, False)
        wait_for_layout(app, view)
        for entity in entities:
            count = 0

            def click(entity: str = entity) -> None:
                nonlocal count
                count = view.set_selection({entity})
                view.viewport().repaint()

            def clear() -> None:
                view.set_selection(set())
                view.viewport().repaint()

            ours, ours_cpu = median_wall_and_cpu(click, CLICKS, clear)
            ranges = view.emphasised_ranges()

            def clear_cold() -> None:
                clear()
                # Forget the faded tints' geometry, as on the first click on a screen.
                view._tint_layout = None

            cold, cold_cpu = median_wall_and_cpu(click, CLICKS, clear_cold)

            def bare(ranges: list[tuple[int, int]] = ranges) -> None:
                edit.setExtraSelections(bare_selections(edit, ranges))
                edit.viewport().repaint()

            def bare_clear() -> None:
                edit.setExtraSelections([])
                edit.viewport().repaint()

            baseline = median_ms(bare, CLICKS, bare_clear)
            label = f"click-to-filter, {mode}: {entity} ({count} mentions)"
            if hidden:
                label = f"click-to-filter, {mode}, {hidden} hidden: {entity} ({count} mentions)"
            rows.append((label, ours, baseline, "<= 16 ms", ours_cpu))
            first = "  the same, first click on this screen"
            rows.append((first, cold, baseline, "<= 16 ms", cold_cpu))
        if hidden:
            view.set_kind_visible(hidden, True)

    view.set_selection({typical_person(letter)})
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    view.set_line_mode(FLOWING)
    took: dict[str, list[float]] = {SOURCE_LINES: [], FLOWING: []}
    for mode in [SOURCE_LINES, FLOWING] * SWITCHES:
        took[mode].append(median_ms(lambda mode=mode: (view.set_line_mode(mode),
                                                       view.viewport().repaint()), 1))  # fmt: skip
    to_lines = statistics.median(took[SOURCE_LINES])
    to_flowing = statistics.median(took[FLOWING])

    def rebuild() -> None:
        view.set_letter(letter)
        view.viewport().repaint()

    rebuilt = median_ms(rebuild, 5)

    def plain() -> None:
        edit.setPlainText(letter.text)
        edit.viewport().repaint()

    plain_ms = median_ms(plain, 5)
    rows.append(("switch flowing -> source lines (+ repaint)", to_lines, rebuilt, "<= 1000 ms",
                 None))  # fmt: skip
    rows.append(("switch source lines -> flowing (+ repaint)", to_flowing, rebuilt, "<= 1000 ms",
                 None))  # fmt: skip
    rows.append(("  baseline above: rebuilding the document (set_letter)", rebuilt, None, "", None))
    rows.append(("  QTextEdit.setPlainText of the same text (+ repaint)", plain_ms, None, "", None))

    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure'.ljust(width)}  median ms  baseline ms   ratio  target    cpu ms")
    for label, ours, baseline, target, used in rows:
        base = f"{baseline:11.1f}" if baseline is not None else " " * 11
        ratio = f"{ours / baseline:6.2f}x" if baseline else " " * 7
        used_text = f"  {used:8.1f}" if used is not None else ""
        print(f"{label.ljust(width)}  {ours:9.1f}  {base}  {ratio}  {target:10}{used_text}")
    view.close()
    edit.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
