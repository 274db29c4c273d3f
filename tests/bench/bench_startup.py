"""Cold start and peak memory of Epistola against a bare PySide6 window, in the same run.

Run from the checkout's root:  python tests/bench/bench_startup.py [--runs N]

Each sample is a fresh process on the offscreen platform:

* epistola: ``python main.py`` (the shipped ICBL letter) with
  EPISTOLA_BENCH_STARTUP=1, which prints ``EPISTOLA_FIRST_PAINT <unix time>``
  after the window's first paint and quits;
* bare: a QMainWindow holding a QTextEdit with the letter's plain text, which
  prints the same line after its first paint;
* bare + Epistola's imports: the bare window after importing the modules
  Epistola imports to start (no target: it splits the difference into
  importing and the rest);
* Epistola's letter pane only: the bare window with Epistola's LetterView in
  place of the QTextEdit, showing the letter as viewer.tei reads it (no target:
  the floor for any window that shows the letter the way Epistola does).

Start-up time is from just before the process is spawned to the printed time;
peak memory is the child's ru_maxrss from os.wait4. The runs alternate so that
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

BARE = f"""
import sys, time
mode = sys.argv[3] if len(sys.argv) > 3 else "bare"
if mode == "imports":  # the same window after importing what Epistola imports
    sys.path.insert(0, sys.argv[2])
    import viewer.gui.app, viewer.gui.crash, viewer.gui.kinds, viewer.gui.letter_view
    import viewer.gui.main_window, viewer.gui.panels, viewer.settings, viewer.tei
    import viewer.tei.catalog
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


def sample_exit(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds until the child process has ended, peak RSS in MiB): for --screenshot."""
    started = time.time()
    child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)  # fmt: skip
    stderr = child.stderr.read().decode("utf-8", "replace")
    _pid, status, usage = os.wait4(child.pid, 0)
    ended = time.time()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{argv[1:]} failed:\n{stderr}")
    return ended - started, usage.ru_maxrss / 1024


def sample(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds to first paint, peak RSS in MiB) of one child process."""
    started = time.time()
    child = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)  # fmt: skip
    stderr = child.stderr.read().decode("utf-8", "replace")
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    painted = None
    for line in stderr.splitlines():
        if line.startswith(MARK):
            painted = float(line.split()[1])
    if child.returncode != 0 or painted is None:
        raise SystemExit(f"{argv[1:]} failed ({child.returncode}):\n{stderr}")
    return painted - started, usage.ru_maxrss / 1024  # Linux: ru_maxrss is in KiB


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
        results: dict[str, list[tuple[float, float]]] = {
            name: [] for name in (*programs, *screenshots)
        }
        for _ in range(runs):
            for name, (argv, program_env) in programs.items():
                results[name].append(sample(argv, program_env))
            for name, (argv, program_env) in screenshots.items():
                results[name].append(sample_exit(argv, program_env))

    bare_time = statistics.median(t for t, _m in results["bare PySide6 window"])
    bare_mem = statistics.median(m for _t, m in results["bare PySide6 window"])
    print(f"Cold start to first paint and peak memory, median of {runs} runs (offscreen)")
    print(f"{'program':<28}{'start ms':>10}{'ratio':>8}{'peak MiB':>10}{'+MiB':>8}")
    shot_time = statistics.median(t for t, _m in results["bare window, screenshot"])
    for name, values in results.items():
        base = shot_time if name in screenshots else bare_time
        start = statistics.median(t for t, _m in values)
        memory = statistics.median(m for _t, m in values)
        print(
            f"{name:<28}{start * 1000:>10.0f}{start / base:>8.2f}"
            f"{memory:>10.1f}{memory - bare_mem:>8.1f}"
        )
    epistola = results["epistola (ICBL letter)"]
    ratio = statistics.median(t for t, _m in epistola) / bare_time
    extra = statistics.median(m for _t, m in epistola) - bare_mem
    shot_ratio = statistics.median(t for t, _m in results["epistola --screenshot"]) / shot_time
    print(
        f"targets (issue 12): first paint ≤ 1.50 × bare (got {ratio:.2f}); "
        f"--screenshot ≤ 2.00 × the bare window's screenshot (got {shot_ratio:.2f}); "
        f"extra memory ≤ 30 MiB (got {extra:.1f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
