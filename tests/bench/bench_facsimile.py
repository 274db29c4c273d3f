"""Benchmark of the facsimile pane on 40-megapixel scans it makes itself.

Run from the checkout's root: ``python tests/bench/bench_facsimile.py`` (offscreen).
Prints medians (n >= 5) against baselines measured in the same run:

1. page turn to painted = ``FacsimilePane.show_page(i)`` until the pane says the page
   is shown, + a synchronous repaint of the view; for the next page (the pane decoded
   it in the background while the page before was shown) and for a jump to a page
   nothing of which is decoded (decoded then on the thread pool at the size shown).
   Baseline: a plain full decode of the same JPEG (``QImageReader.read``).
   Target: <= 200 ms.
2. repainting region outlines after a click = a mouse click on a line region (the
   pane finds the zone, outlines it, emits the offset) + a synchronous repaint of the
   view; and outlining a selected entity's 120 regions + repaint. Baseline: a bare
   repaint of the same view. Target: <= 16 ms.
3. zooming in to full resolution: the full decode the pane asks for once zoomed past
   the size decoded (informative: it is the baseline's work, off the GUI thread).
"""

from __future__ import annotations

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

from PySide6.QtCore import QEventLoop, QPointF, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QColor, QFont, QImage, QImageReader, QPainter  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from viewer.gui.facsimile import FacsimilePane, PageImageLoader, thread_pool_runner  # noqa: E402
from viewer.images import ImageFinder, attach_images  # noqa: E402
from viewer.model import Mention  # noqa: E402
from viewer.tei import read_letter  # noqa: E402

WIDTH, HEIGHT = 7300, 5480  # 40.0 megapixels
LINES = 60
PANE = (700, 1000)
RUNS = 7
TEI = "http://www.tei-c.org/ns/1.0"


def make_scan(path: Path, seed: int) -> None:
    """A 40 MP page: paper tone, lines of handwriting-like text, saved as JPEG quality 90."""
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_RGB32)
    image.fill(QColor(236 - seed * 8, 226, 204))
    painter = QPainter(image)
    painter.setPen(QColor(50, 40, 30))
    font = QFont("Serif")
    font.setPixelSize(70)
    painter.setFont(font)
    words = "Hochgeehrter Herr Präsident, ich habe die Ehre Ihnen mitzutheilen daß "
    for line in range(LINES):
        y = 200 + line * 85
        painter.drawText(300, y, (words * 3)[(line * 7 + seed) % 40 :][:110])
    painter.end()
    assert image.save(str(path), "JPEG", 90)


def make_letter(folder: Path, pages: int) -> Path:
    surfaces = []
    body = []
    for page in range(pages):
        zones = "".join(
            f'<zone xml:id="z{page}-{line}" ulx="300" uly="{130 + line * 85}" '
            f'lrx="7000" lry="{215 + line * 85}"/>'
            for line in range(LINES)
        )
        surfaces.append(
            f'<surface xml:id="s{page}"><graphic url="scan{page}.jpg"/>{zones}</surface>'
        )
        lines = "".join(
            f'<lb facs="#z{page}-{line}"/>Zeile {line} mit <persName ref="#p">Alfred</persName>'
            for line in range(LINES)
        )
        body.append(f'<p><pb facs="#s{page}"/>{lines}</p>')
    path = folder / "big-scans.xml"
    path.write_text(
        f'<TEI xmlns="{TEI}"><teiHeader><fileDesc><titleStmt><title>T</title></titleStmt>'
        "<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc>"
        f"</teiHeader><facsimile>{''.join(surfaces)}</facsimile>"
        f"<text><body>{''.join(body)}</body></text></TEI>",
        encoding="utf-8",
    )
    return path


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def wait_for(signal, action: Callable[[], None], timeout_ms: int = 60_000) -> None:
    """Run ``action`` and spin the event loop until ``signal`` fires (or fail)."""
    loop = QEventLoop()
    fired: list[object] = []

    def done(*args: object) -> None:
        fired.append(args)
        loop.quit()

    signal.connect(done)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(timeout_ms)
    try:
        action()
        if not fired:
            loop.exec()
    finally:
        signal.disconnect(done)
        timer.stop()
    if not fired:
        raise SystemExit(f"the page was never shown ({getattr(action, '__name__', action)})")


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    # ``bench_facsimile.py DIR`` reuses the scans an earlier run left in DIR.
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="scans-"))
    if not all((folder / f"scan{page}.jpg").is_file() for page in range(RUNS + 1)):
        print(f"making {RUNS + 1} 40 MP JPEGs ({WIDTH}x{HEIGHT}) in {folder} ...", flush=True)
        for page in range(RUNS + 1):
            make_scan(folder / f"scan{page}.jpg", page % 4)
    size_mb = (folder / "scan0.jpg").stat().st_size / 1e6
    letter = attach_images(read_letter(make_letter(folder, RUNS + 1)), ImageFinder())
    assert all(p.image and p.width == WIDTH for p in letter.pages)

    # Baseline: a plain full decode of each scan.
    full = [timed(lambda p=p: QImageReader(str(p.image)).read()) for p in letter.pages[:RUNS]]

    loader = PageImageLoader(runner=thread_pool_runner())
    pane = FacsimilePane(loader=loader)
    pane.resize(*PANE)
    pane.show()
    app.processEvents()
    wait_for(pane.page_shown, lambda: pane.set_pages(letter.pages, letter.zones))
    viewport = pane.view.viewport()

    def turn(index: int) -> None:
        wait_for(pane.page_shown, lambda: pane.show_page(index))
        viewport.repaint()

    def settle() -> None:
        """Let the background decodes of the neighbours finish (the reader is reading)."""
        while loader.busy():
            wait_for(loader.loaded, lambda: None)

    # Jumping to a page far away: nothing of it is decoded yet.
    settle()
    jumps = []
    for index in (4, 1, 7, 2, 5, 0, 3):  # never a neighbour of the page shown
        loader._cache.clear()
        jumps.append(timed(lambda i=index: turn(i)))
        settle()
    decoded = pane._pixmap_item.pixmap().size().toTuple()
    # Reading on: the next page was decoded in the background while this one was read.
    loader._cache.clear()
    turn(0)
    settle()
    following = []
    for index in range(1, RUNS + 1):
        following.append(timed(lambda i=index: turn(i)))
        settle()

    # Outlines after a click on a line, and for a selection of 120 regions.
    zones = [z for z in letter.zones if z.region.page == pane.current_page()]
    bare = [timed(viewport.repaint) for _ in range(RUNS)]

    def click(line: int) -> None:
        zone = zones[line]
        centre = QPointF(zone.region.x + zone.region.w / 2, zone.region.y + zone.region.h / 2)
        point = pane.view.mapFromScene(centre)
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=point)
        viewport.repaint()

    clicks = [timed(lambda n=n: click(5 + n * 7)) for n in range(RUNS)]
    selected: list[Mention] = [m for m in letter.mentions if m.regions][: 2 * LINES]
    select = [
        timed(lambda: (pane.outline_mentions(selected), viewport.repaint())) for _ in range(RUNS)
    ]

    # Zoomed in far enough, the pane asks for the full image.
    def zoom_to_full() -> None:
        wait_for(pane.page_shown, lambda: pane.zoom_by(12.0))
        viewport.repaint()

    pane.fit_page()
    app.processEvents()
    zoom = [timed(zoom_to_full)]
    full_pixmap = pane._pixmap_item.pixmap().size().toTuple()

    rows = [
        ("page turn to the next page", median_ms(following), median_ms(full), "<= 200 ms"),
        ("jump to a page not decoded yet", median_ms(jumps), median_ms(full), "<= 200 ms"),
        ("click on a line: outline + repaint", median_ms(clicks), median_ms(bare), "<= 16 ms"),
        ("outline 120 regions + repaint", median_ms(select), median_ms(bare), "<= 16 ms"),
        ("zoom in to full resolution (once)", median_ms(zoom), median_ms(full), "off-thread"),
    ]
    print(
        f"\n40 MP JPEG: {WIDTH}x{HEIGHT}, {size_mb:.1f} MB; pane {PANE[0]}x{PANE[1]}; "
        f"decoded for the page turn at {decoded[0]}x{decoded[1]}, zoomed in at "
        f"{full_pixmap[0]}x{full_pixmap[1]}; medians of {RUNS}"
    )
    width = max(len(r[0]) for r in rows)
    print(f"{'measure'.ljust(width)}  median ms  baseline ms   ratio  target")
    for label, ours, baseline, target in rows:
        ratio = ours / baseline
        print(f"{label.ljust(width)}  {ours:9.1f}  {baseline:11.1f}  {ratio:6.2f}x  {target}")
    print("baselines: a plain full QImageReader decode (page turns, zoom); a bare repaint")
    pane.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
