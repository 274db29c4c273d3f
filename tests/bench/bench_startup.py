"""Cold start and peak memory of Epistola against a bare PySide6 window, in the same run.

Run from the checkout's root:  python tests/bench/bench_startup.py [--runs N]

Each sample is a fresh process on the offscreen platform:

* epistola: ``python main.py`` (the shipped ICBL letter) with
  EPISTOLA_BENCH_STARTUP=1, which prints ``EPISTOLA_FIRST_PAINT <unix time>``
  after the window's first paint (its letter pane: the rest of the window is
  built right after it), then builds the rest as an interactive start does and
  prints ``EPISTOLA_WINDOW_BUILT <unix time>`` once the side panel is painted
  (the row "epistola, whole window": no target, it shows what the deferral
  moves after the first paint), and quits;
* bare: a QMainWindow holding a QTextEdit with the letter's plain text, which
  prints the same line after its first paint;
* bare + Epistola's imports: the bare window after importing the modules
  Epistola's process imports to start (no target: it splits the difference into
  importing and the rest; the parser is not among them, since a worker process
  reads the first letter: viewer.gui.app.FirstRead);
* Epistola's letter pane only: the bare window with Epistola's LetterView in
  place of the QTextEdit, showing the letter as viewer.tei reads it (no target:
  the floor for any window that shows the letter the way Epistola does).

Start-up time is from just before the process is spawned to the printed time;
peak memory is the child's ru_maxrss from os.wait4 (for epistola: with the
whole window built); CPU is the child's user + system time to its end, from
os.wait4, which a machine shared with other work disturbs less than wall time
(no target: read it beside the wall-clock ratios). The runs alternate so that
both see the same machine state. ``epistola --screenshot`` and the bare
window saving a screenshot (shown, settled, grabbed, saved) are timed to the
process's end, their ratio against the bare screenshot. Targets (issue 12):
first paint ≤ 1.5 × bare, --screenshot ≤ 2 × bare screenshot; peak memory ≤
bare + 30 MiB (issue 3). It prints a table of medians and ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"
MARK = "EPISTOLA_FIRST_PAINT"
BUILT_MARK = "EPISTOLA_WINDOW_BUILT"

BARE = f"""
import sys, time
mode = sys.argv[3] if len(sys.argv) > 3 else "bare"
if mode == "imports":  # the same window after importing what Epistola imports
    sys.path.insert(0, sys.argv[2])
    import viewer.gui.app, viewer.gui.crash, viewer.gui.kinds, viewer.gui.letter_view
    import viewer.gui.main_window, viewer.gui.panels, viewer.settings, viewer.tei
    import viewer.tei.catalog, viewer.forked, viewer.session, viewer.images
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTextEdit

app = QApplication(sys.argv[:1])
window = QMainWindow()
if mode == "pane":  # only Epistola's letter pane, showing the letter read by viewer.tei
    sys.path.insert(0, sys.argv[2])
    from viewer.gui.letter_view import LetterView
    from viewer.tei import read_letter
    view = LetterView()
    view.set_letter(read_letter(sys.argv[4]))
else:
    view = QTextEdit()
    view.setReadOnly(True)
    view.setPlainText(open(sys.argv[1], encoding="utf-8").read())
window.setCentralWidget(view)
window.resize(1280, 800)

class FirstPaint(QObject):
    done = False
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not self.done:
            self.done = True
            def report():
                sys.stderr.write("{MARK} %.6f\\n" % time.time())
                sys.stderr.flush()
                app.quit()
            QTimer.singleShot(0, report)
        return False

if mode == "shot":  # as --screenshot does: show, let it settle, grab, save, exit
    window.show()
    for _round in range(5):
        app.processEvents()
    window.grab().save(sys.argv[2], "PNG")
    sys.exit(0)
first = FirstPaint()
view.viewport().installEventFilter(first)
window.show()
app.exec()
"""


Sample = tuple[float, float, float]  # seconds, peak RSS in MiB, CPU seconds


def sample_exit(argv: list[str], env: dict[str, str]) -> Sample:
    """(seconds until the child process has ended, peak RSS, CPU): for --screenshot."""
    started = time.time()
    child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)  # fmt: skip
    stderr = child.stderr.read().decode("utf-8", "replace")
    _pid, status, usage = os.wait4(child.pid, 0)
    ended = time.time()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[1:]} failed:\n{stderr}")
    return ended - started, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def sample(argv: list[str], env: dict[str, str]) -> tuple[Sample, float | None]:
    """((seconds to first paint, peak RSS in MiB, CPU), seconds to the whole window or
    None) of one child process."""
    started = time.time()
    child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)  # fmt: skip
    stderr = child.stderr.read().decode("utf-8", "replace")
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    marks = {}
    for line in stderr.splitlines():
        if line.startswith((f"{MARK} ", f"{BUILT_MARK} ")):
            marks[line.split()[0]] = float(line.split()[1])
    if child.returncode != 0 or MARK not in marks:
        raise SystemExit(f"{argv[1:]} failed ({child.returncode}):\n{stderr}")
    built = marks[BUILT_MARK] - started if BUILT_MARK in marks else None
    # Linux: ru_maxrss is in KiB.
    cpu = usage.ru_utime + usage.ru_stime
    return (marks[MARK] - started, usage.ru_maxrss / 1024, cpu), built


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="samples per program (default 7)")
    options = parser.parse_args()
    runs = max(5, options.runs)

    with tempfile.TemporaryDirectory(prefix="epistola-bench-") as scratch:
        env = {
            **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
            # Compiled bytecode is cached (outside the checkout), as after an install or a
            # first start: a machine that forbids writing bytecode would otherwise charge
            # every sample for compiling Epistola's sources, which a user pays once.
            "PYTHONPYCACHEPREFIX": os.path.join(scratch, "pycache"),
            "QT_QPA_PLATFORM": "offscreen",
            "EPISTOLA_CONFIG_DIR": os.path.join(scratch, "config"),
            "EPISTOLA_LOG_DIR": os.path.join(scratch, "logs"),
            "EPISTOLA_CACHE_DIR": os.path.join(scratch, "cache"),
        }
        bare_script = Path(scratch) / "bare.py"
        bare_script.write_text(BARE, encoding="utf-8")
        letter_text = Path(scratch) / "letter.txt"
        # The bare window shows the same text, as plain text.
        sys.path.insert(0, str(ROOT))
        from viewer.tei import read_letter

        letter_text.write_text(read_letter(ICBL).text, encoding="utf-8")

        shot = os.path.join(scratch, "shot.png")
        programs = {
            "bare PySide6 window": ([sys.executable, str(bare_script), str(letter_text)], env),
            # Not a target: shows how much of the difference is importing modules.
            "bare + Epistola's imports": (
                [sys.executable, str(bare_script), str(letter_text), str(ROOT), "imports"],
                env,
            ),
            # Not a target either: the least a window showing the letter the way
            # Epistola does can cost (its letter pane alone, no panels, menus or docks).
            "Epistola's letter pane only": (
                [sys.executable, str(bare_script), str(letter_text), str(ROOT), "pane", ICBL],
                env,
            ),
            "epistola (ICBL letter)": (
                [sys.executable, str(ROOT / "main.py")],
                {**env, "EPISTOLA_BENCH_STARTUP": "1"},
            ),
        }
        # To the process's end: show, settle, grab and save a PNG.
        screenshots = {
            "bare window, screenshot": (
                [sys.executable, str(bare_script), str(letter_text), shot, "shot"],
                env,
            ),
            "epistola --screenshot": (
                [sys.executable, str(ROOT / "main.py"), str(ICBL), "--screenshot", shot],
                env,
            ),
        }
        # One unmeasured run each warms the OS file cache and the bytecode cache, as a
        # second start would.
        for argv, program_env in programs.values():
            sample(argv, program_env)
        for argv, program_env in screenshots.values():
            sample_exit(argv, program_env)
        whole = "epistola, whole window"  # the same runs, to EPISTOLA_WINDOW_BUILT
        results: dict[str, list[Sample]] = {name: [] for name in (*programs, whole, *screenshots)}
        for _ in range(runs):
            for name, (argv, program_env) in programs.items():
                first, built = sample(argv, program_env)
                results[name].append(first)
                if built is not None:
                    results[whole].append((built, *first[1:]))
            for name, (argv, program_env) in screenshots.items():
                results[name].append(sample_exit(argv, program_env))
        if not results[whole]:
            del results[whole]

    def median(values: list[Sample], field: int) -> float:
        return statistics.median(value[field] for value in values)

    bare = results["bare PySide6 window"]
    bare_time, bare_mem, bare_cpu = (median(bare, field) for field in range(3))
    print(f"Cold start to first paint, peak memory and CPU, median of {runs} runs (offscreen)")
    print(
        f"{'program':<28}{'start ms':>10}{'ratio':>8}{'peak MiB':>10}{'+MiB':>8}"
        f"{'CPU ms':>8}{'ratio':>7}"
    )
    shot = results["bare window, screenshot"]
    shot_time, shot_cpu = median(shot, 0), median(shot, 2)
    for name, values in results.items():
        base, base_cpu = (shot_time, shot_cpu) if name in screenshots else (bare_time, bare_cpu)
        start, memory, cpu = (median(values, field) for field in range(3))
        print(
            f"{name:<28}{start * 1000:>10.0f}{start / base:>8.2f}"
            f"{memory:>10.1f}{memory - bare_mem:>8.1f}{cpu * 1000:>8.0f}{cpu / base_cpu:>7.2f}"
        )
    epistola = results["epistola (ICBL letter)"]
    ratio = median(epistola, 0) / bare_time
    extra = median(epistola, 1) - bare_mem
    shot_ratio = median(results["epistola --screenshot"], 0) / shot_time
    print(
        f"targets (issue 12): first paint ≤ 1.50 × bare (got {ratio:.2f}); "
        f"--screenshot ≤ 2.00 × the bare window's screenshot (got {shot_ratio:.2f}); "
        f"extra memory ≤ 30 MiB (got {extra:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
