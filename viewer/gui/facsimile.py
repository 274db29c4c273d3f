"""The facsimile pane: a letter's page images beside its text, with line and entity outlines.

Owns:

* :class:`PageImageLoader`: decodes page images off the GUI thread at the size
  they are shown (``QImageReader.setScaledSize``: a 40-megapixel JPEG is
  decoded at an eighth or a quarter by libjpeg itself), keeps a few decoded
  images in a small cache (by bytes), and hands results back on the GUI
  thread. Its ``submit`` runner is injected: tests run it synchronously.
* :class:`FacsimilePane`: page buttons, fit width, fit page, zoom (wheel, +/-,
  buttons), drag to pan, rotate by 90°; the current line's region outlined,
  entity regions outlined in their kind's colour; a click on a region emits
  the text offset it holds. Full resolution is decoded only when the view is
  zoomed past the size already decoded; once a page is shown, the other pages
  are decoded in the background (nearest first), so that turning to them is
  immediate.

It shows :class:`viewer.model.Page` and :class:`viewer.model.Zone` objects as
they come from :func:`viewer.images.attach_images`; it computes no layout of
the text and knows nothing of the window. Wiring (by the window): text caret
→ :meth:`FacsimilePane.follow_offset`; :attr:`page_chosen` → scroll the text
to ``pages[i].offset``; :attr:`offset_clicked` → move the caret;
:meth:`FacsimilePane.outline_mentions` with the selected entity's mentions.
Text from a letter (page labels, image names) is only ever shown as plain text.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QObject,
    QPointF,
    QRectF,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import (
    QBrush,
    QColor,
    QImage,
    QImageReader,
    QKeySequence,
    QPainter,
    QPen,
    QPixmap,
    QShortcut,
    QTransform,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QStyleOptionGraphicsItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from viewer.gui.kinds import kind_style
from viewer.model import Mention, Page, Region, Zone

CACHE_BYTES = 192 * 1024 * 1024  # a few pages at screen size, one or two at full size
SIZE_STEP = 512  # the decode size for an image whose size is not known yet
PREFETCH_PAGES = 12  # pages decoded ahead of time, nearest first
PREFETCH_FULL_PIXELS = 12_000_000  # larger pages are prefetched only reduced
REDUCTIONS = (8, 4, 2)  # decoded at full size / 8, / 4 or / 2 (see _wanted_longest)
ZOOM_STEP = 1.25
MIN_SCALE, MAX_SCALE = 0.02, 8.0
CLICK_SLOP = 4  # pixels the mouse may move and still click rather than drag

Runner = Callable[[Callable[[], None]], None]


class _Task(QRunnable):
    def __init__(self, work: Callable[[], None]) -> None:
        super().__init__()
        self._work = work

    def run(self) -> None:
        self._work()


def thread_pool_runner(pool: QThreadPool | None = None) -> Runner:
    """Runs work on a Qt thread pool (the default: one worker, so pages decode in turn)."""
    if pool is None:
        pool = QThreadPool()
        pool.setMaxThreadCount(1)
    keep = pool  # the closure keeps the pool alive as long as the runner

    def run(work: Callable[[], None]) -> None:
        keep.start(_Task(work))

    return run


def synchronous_runner(work: Callable[[], None]) -> None:
    """Runs the work at once, on the calling thread (tests, --screenshot)."""
    work()


def decode_image(path: str, longest: int | None) -> tuple[QImage, QSize]:
    """The image at ``path`` scaled so its longer side is at most ``longest`` (None: full).

    Returns the decoded image (null if unreadable) and the file's full pixel size.
    """
    reader = QImageReader(path)
    reader.setAutoTransform(False)  # regions are measured on the pixels as stored
    full = reader.size()
    if longest is not None and full.isValid() and max(full.width(), full.height()) > longest:
        reader.setScaledSize(full.scaled(longest, longest, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if not full.isValid() and not image.isNull():
        full = image.size()
    return image, full


@dataclass(frozen=True)
class LoadedImage:
    path: str
    longest: int | None  # the decode size asked for; None: full resolution
    image: QImage
    full_size: QSize


class PageImageLoader(QObject):
    """Decodes page images with an injected runner and a small cache; see the module doc."""

    loaded = Signal(object)  # LoadedImage, delivered on the loader's (GUI) thread
    _done = Signal(object)

    def __init__(
        self,
        runner: Runner | None = None,
        cache_bytes: int = CACHE_BYTES,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner or thread_pool_runner()
        self._cache: OrderedDict[tuple[str, int | None], LoadedImage] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._pending: set[tuple[str, int | None]] = set()
        # Queued across threads, direct when the runner is synchronous.
        self._done.connect(self._finish)
        self.decodes = 0  # how many decodes ran (tests and the benchmark read it)

    def busy(self) -> bool:
        """Whether a decode is queued or running."""
        return bool(self._pending)

    def cached(self, path: str, longest: int | None) -> LoadedImage | None:
        key = (path, longest)
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
        return found

    def best_cached(self, path: str) -> LoadedImage | None:
        """The largest decode of ``path`` in the cache (to show while a better one loads)."""
        found = [v for (p, _l), v in self._cache.items() if p == path]
        if not found:
            return None
        return max(found, key=lambda v: v.image.width() * v.image.height())

    def request(self, path: str, longest: int | None) -> LoadedImage | None:
        """The decoded image now if cached; else None, and :attr:`loaded` fires later."""
        key = (path, longest)
        found = self.cached(path, longest)
        if found is not None:
            return found
        if key in self._pending:
            return None
        self._pending.add(key)

        def work() -> None:
            image, full = decode_image(path, longest)
            # The pane may have been closed while this page decoded: nobody wants it then.
            with contextlib.suppress(RuntimeError):
                self._done.emit(LoadedImage(path, longest, image, full))

        self._runner(work)
        return None

    def _finish(self, result: LoadedImage) -> None:
        self._pending.discard((result.path, result.longest))
        self.decodes += 1
        if not result.image.isNull():
            self._cache[(result.path, result.longest)] = result
            self._trim()
        self.loaded.emit(result)

    def _trim(self) -> None:
        total = sum(v.image.sizeInBytes() for v in self._cache.values())
        while total > self._cache_bytes and len(self._cache) > 1:
            _key, dropped = self._cache.popitem(last=False)
            total -= dropped.image.sizeInBytes()


@dataclass(frozen=True)
class Outline:
    rect: QRectF  # in image pixels
    colour: QColor
    width: float = 2.0
    fill: bool = False


class OutlineItem(QGraphicsItem):
    """All outlines of a page in one item: one paint call, one update when they change."""

    def __init__(self) -> None:
        super().__init__()
        self._outlines: list[Outline] = []
        self._bounds = QRectF()
        self.setZValue(10)

    def set_outlines(self, outlines: Sequence[Outline]) -> None:
        self.prepareGeometryChange()
        self._outlines = list(outlines)
        bounds = QRectF()
        for outline in self._outlines:
            bounds = bounds.united(outline.rect.adjusted(-8, -8, 8, 8))
        self._bounds = bounds
        self.update()

    def outlines(self) -> list[Outline]:
        return list(self._outlines)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        for outline in self._outlines:
            pen = QPen(outline.colour)
            pen.setCosmetic(True)  # the same width on screen at every zoom
            pen.setWidthF(outline.width)
            painter.setPen(pen)
            if outline.fill:
                fill = QColor(outline.colour)
                fill.setAlpha(48)
                painter.setBrush(QBrush(fill))
            else:
                painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(outline.rect)


class _PageView(QGraphicsView):
    """The view: wheel zoom, drag to pan, and a click (no drag) reported in scene pixels."""

    clicked = Signal(QPointF)
    zoomed = Signal()

    def __init__(self, scene: QGraphicsScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setBackgroundBrush(QColor(0x60, 0x60, 0x60))
        self._press: QPointF | None = None

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y()
        if not delta:
            return super().wheelEvent(event)
        self.zoom_by(ZOOM_STEP if delta > 0 else 1 / ZOOM_STEP)
        event.accept()

    def zoom_by(self, factor: float) -> None:
        scale = self.current_scale()
        factor = max(MIN_SCALE / scale, min(MAX_SCALE / scale, factor)) if scale else factor
        self.scale(factor, factor)
        self.zoomed.emit()

    def current_scale(self) -> float:
        transform = self.transform()
        # Rotation by 90° moves the scale into the shear terms.
        return max(abs(transform.m11()), abs(transform.m12()))

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        press, self._press = self._press, None
        super().mouseReleaseEvent(event)
        if press is not None and event.button() == Qt.MouseButton.LeftButton:
            moved = event.position() - press
            if abs(moved.x()) <= CLICK_SLOP and abs(moved.y()) <= CLICK_SLOP:
                self.clicked.emit(self.mapToScene(event.position().toPoint()))


class FacsimilePane(QWidget):
    """Page images of one letter; see the module docstring for what it does and its wiring.

    API: :meth:`set_pages`, :meth:`show_page`, :meth:`follow_offset`,
    :meth:`set_regions` / :meth:`outline_mentions`, :meth:`fit_width`,
    :meth:`fit_page`, :meth:`zoom_by`, :meth:`rotate`; signals
    :attr:`page_chosen` (the user chose page i), :attr:`offset_clicked`
    (a region holding text at that offset was clicked) and :attr:`page_shown`
    (page i's image is on screen at the size asked for).
    """

    page_chosen = Signal(int)
    offset_clicked = Signal(int)
    page_shown = Signal(int)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        loader: PageImageLoader | None = None,
        dark: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("facsimilePane")
        self._loader = loader or PageImageLoader(parent=self)
        self._loader.loaded.connect(self._on_loaded)
        self._dark = dark
        self._pages: list[Page] = []
        self._zones: list[Zone] = []
        self._page = -1
        self._regions: list[tuple[Region, QColor]] = []
        self._current_zone: Zone | None = None
        self._fit: str | None = "page"  # "page", "width" or None (a zoom of the user's)
        self._rotation = 0
        self._shown: LoadedImage | None = None

        self._scene = QGraphicsScene(self)
        self._pixmap_item = QGraphicsPixmapItem()
        self._pixmap_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.addItem(self._pixmap_item)
        self._outline_item = OutlineItem()
        self._scene.addItem(self._outline_item)
        self._message_item = QGraphicsSimpleTextItem()  # plain text, never markup
        self._message_item.setBrush(QColor(0xF0, 0xF0, 0xF0))
        self._scene.addItem(self._message_item)
        self.view = _PageView(self._scene, self)
        self.view.clicked.connect(self._on_click)
        self.view.zoomed.connect(self._on_zoomed)

        self.previous_button = self._button("◀", "Previous page (Page Up)", self.previous_page)
        self.next_button = self._button("▶", "Next page (Page Down)", self.next_page)
        self.page_label = QLabel()
        self.page_label.setTextFormat(Qt.TextFormat.PlainText)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 2)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.page_label, 1)
        bar.addWidget(self.next_button)
        bar.addWidget(self._button("↔", "Fit width (W)", self.fit_width))
        bar.addWidget(self._button("▢", "Fit page (F)", self.fit_page))
        bar.addWidget(self._button("−", "Zoom out (-)", lambda: self.zoom_by(1 / ZOOM_STEP)))
        bar.addWidget(self._button("+", "Zoom in (+)", lambda: self.zoom_by(ZOOM_STEP)))
        bar.addWidget(self._button("⟳", "Rotate 90° (R)", lambda: self.rotate(90)))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        # Ctrl++ and Ctrl+- are the window's (the text's zoom): the same keys here too would
        # make both ambiguous, and neither would work while the image has the focus.
        for keys, action in (
            ("+", lambda: self.zoom_by(ZOOM_STEP)),
            ("-", lambda: self.zoom_by(1 / ZOOM_STEP)),
            ("W", self.fit_width),
            ("F", self.fit_page),
            ("R", lambda: self.rotate(90)),
            (QKeySequence.StandardKey.MoveToPreviousPage, self.previous_page),
            (QKeySequence.StandardKey.MoveToNextPage, self.next_page),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)
        self._update_bar()

    def _button(self, text: str, tip: str, action: Callable[[], None]) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(action)
        return button

    # -- content ---------------------------------------------------------------
    def set_pages(self, pages: Sequence[Page], zones: Sequence[Zone] = ()) -> None:
        """Show a letter's pages (from :func:`viewer.images.attach_images`); page 0 first."""
        self._pages = list(pages)
        self._zones = list(zones)
        self._regions = []
        self._current_zone = None
        self._page = -1
        self._shown = None
        if self._pages:
            self.show_page(0)
        else:
            self._pixmap_item.setPixmap(QPixmap())
            self._message("No page images for this letter.")
            self._update_bar()

    def pages(self) -> list[Page]:
        return list(self._pages)

    def has_images(self) -> bool:
        """Whether any page has a local image (the window hides the pane otherwise)."""
        return any(page.image for page in self._pages)

    def current_page(self) -> int:
        return self._page

    def show_page(self, index: int) -> None:
        """Show page ``index`` (clamped); its image decodes off the GUI thread."""
        if not self._pages:
            return
        index = max(0, min(index, len(self._pages) - 1))
        changed = index != self._page
        self._page = index
        page = self._pages[index]
        self._update_bar()
        if changed:
            self._shown = None
            self._pixmap_item.setPixmap(QPixmap())
        if not page.image:
            self._message(_missing_text(page, index))
            self._set_scene_rect(page)
            self._refresh_outlines()
            if changed:
                self._apply_fit()
            return
        self._message("")
        self._set_scene_rect(page)
        if changed:
            self._apply_fit()
        self._refresh_outlines()
        self._request_image()

    def previous_page(self) -> None:
        self._choose(self._page - 1)

    def next_page(self) -> None:
        self._choose(self._page + 1)

    def _choose(self, index: int) -> None:
        if 0 <= index < len(self._pages) and index != self._page:
            self.show_page(index)
            self.page_chosen.emit(index)

    def page_at_offset(self, offset: int) -> int:
        """The page holding text offset ``offset`` (the last one starting at or before it)."""
        found = 0
        for index, page in enumerate(self._pages):
            if page.offset <= offset:
                found = index
        return found

    def follow_offset(self, offset: int) -> None:
        """The text's caret is at ``offset``: show its page and outline its line."""
        if not self._pages:
            return
        zone = self._zone_at_offset(offset)
        self._current_zone = zone
        page = zone.region.page if zone is not None else self.page_at_offset(offset)
        if page != self._page:
            self.show_page(page)
        else:
            self._refresh_outlines()

    def _zone_at_offset(self, offset: int) -> Zone | None:
        best: Zone | None = None
        for zone in self._zones:
            if zone.start <= offset <= zone.end and (
                best is None or zone.end - zone.start < best.end - best.start
            ):
                best = zone
        return best

    # -- outlines ----------------------------------------------------------------
    def set_regions(self, regions: Iterable[tuple[Region, QColor]]) -> None:
        """Outline these regions (on whatever page each is), replacing the previous ones."""
        self._regions = list(regions)
        self._refresh_outlines()

    def outline_mentions(self, mentions: Iterable[Mention]) -> None:
        """Outline every region of these mentions in its kind's colour (the selection)."""
        self.set_regions(
            (region, kind_style(mention.kind, self._dark).underline)
            for mention in mentions
            for region in mention.regions
        )

    def outlines(self) -> list[Outline]:
        """What is outlined on the page shown (tests and the benchmark read it)."""
        return self._outline_item.outlines()

    def _refresh_outlines(self) -> None:
        outlines = [
            Outline(_rect(region), colour, 2.5, fill=True)
            for region, colour in self._regions
            if region.page == self._page
        ]
        zone = self._current_zone
        if zone is not None and zone.region.page == self._page:
            colour = QColor(0x00, 0x72, 0xB2) if not self._dark else QColor(0x56, 0xB4, 0xE9)
            outlines.append(Outline(_rect(zone.region), colour, 2.0))
        self._outline_item.set_outlines(outlines)

    def _on_click(self, point: QPointF) -> None:
        best: Zone | None = None
        for zone in self._zones:
            if zone.region.page != self._page or not _rect(zone.region).contains(point):
                continue
            area = zone.region.w * zone.region.h
            if best is None or area < best.region.w * best.region.h:
                best = zone
        if best is not None:
            self._current_zone = best
            self._refresh_outlines()
            self.offset_clicked.emit(best.start)

    # -- view ------------------------------------------------------------------
    def fit_width(self) -> None:
        self._fit = "width"
        self._apply_fit()

    def fit_page(self) -> None:
        self._fit = "page"
        self._apply_fit()

    def zoom_by(self, factor: float) -> None:
        self._fit = None
        self.view.zoom_by(factor)

    def rotate(self, degrees: int = 90) -> None:
        self._rotation = (self._rotation + degrees) % 360
        if self._fit is not None:
            self._apply_fit()
        else:
            self.view.rotate(degrees)
            self._on_zoomed()

    def rotation(self) -> int:
        return self._rotation

    def scale(self) -> float:
        return self.view.current_scale()

    def _apply_fit(self) -> None:
        rect = self._scene.sceneRect()
        if rect.isEmpty():
            return
        viewport = self.view.viewport().size()
        turned = self._rotation in (90, 270)
        width, height = (rect.height(), rect.width()) if turned else (rect.width(), rect.height())
        margin = 8
        sx = max(1, viewport.width() - margin) / width
        sy = max(1, viewport.height() - margin) / height
        scale = sx if self._fit == "width" else min(sx, sy)
        scale = max(MIN_SCALE, min(MAX_SCALE, scale))
        self.view.setTransform(QTransform().rotate(self._rotation).scale(scale, scale))
        self.view.centerOn(rect.center())
        if self._fit == "width" and self._rotation == 0:
            bar = self.view.verticalScrollBar()
            bar.setValue(bar.minimum())  # a page fitted to its width is read from the top
        self._on_zoomed()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self._fit is not None:
            self._apply_fit()

    def _on_zoomed(self) -> None:
        if self._page >= 0 and self._pages and self._pages[self._page].image:
            self._request_image()

    # -- images ----------------------------------------------------------------
    def _wanted_longest(self, index: int | None = None) -> int | None:
        """The decode size for the view's zoom: None (full) once no reduced size will do.

        Reduced sizes are the full size divided by 8, 4 or 2: a JPEG decoder makes
        those directly from the compressed data (no decode in full, no rescaling),
        and each page has at most four sizes to cache.
        """
        page = self._pages[self._page if index is None else index]
        full = max(page.width or 0, page.height or 0)
        shown = full * self.view.current_scale() * self.devicePixelRatioF()
        if not full or not shown:
            # Size unknown until decoded: ask for about the screen's size.
            return max(SIZE_STEP, 2 * max(self.view.viewport().width(), 1))
        for divisor in REDUCTIONS:
            longest = -(-full // divisor)  # rounded up, as the decoder rounds
            if longest >= shown:
                return longest
        return None

    def _request_image(self) -> None:
        page = self._pages[self._page]
        assert page.image is not None
        longest = self._wanted_longest()
        shown = self._shown
        if shown is not None and shown.path == page.image and _covers(shown, longest):
            return
        found = self._loader.request(page.image, longest)
        if found is not None:
            self._show_image(found)
            return
        # Something to look at while the right size decodes: the best one cached.
        if shown is None or shown.path != page.image:
            best = self._loader.best_cached(page.image)
            if best is not None:
                self._show_image(best, final=False)

    def _on_loaded(self, result: LoadedImage) -> None:
        if not self._pages or self._page < 0:
            return
        page = self._pages[self._page]
        if result.path != page.image:
            return  # a page turned away from while it decoded
        if result.image.isNull():
            self._message(f"Page {page.n or self._page + 1}: {page.image} could not be read.")
            return
        if (
            self._shown is not None
            and _covers(self._shown, result.longest)
            and (self._shown.longest != result.longest)
        ):
            return  # a smaller decode arriving after a larger one
        self._show_image(result)

    def _show_image(self, loaded: LoadedImage, final: bool = True) -> None:
        page = self._pages[self._page]
        self._shown = loaded
        pixmap = QPixmap.fromImage(loaded.image)
        self._pixmap_item.setPixmap(pixmap)
        width = page.width or loaded.full_size.width()
        height = page.height or loaded.full_size.height()
        # The item is scaled so that scene coordinates stay in the full image's pixels.
        if pixmap.width() and pixmap.height():
            self._pixmap_item.setTransform(
                QTransform.fromScale(width / pixmap.width(), height / pixmap.height())
            )
        if not page.width or not page.height:
            self._scene.setSceneRect(QRectF(0, 0, width, height))
            if self._fit is not None:
                self._apply_fit()
        if final:
            self.page_shown.emit(self._page)
            self._prefetch()

    def _prefetch(self) -> None:
        """Decode the other pages while this one is read, nearest first (turns are instant).

        At the size this zoom shows them, on the loader's one worker, after
        anything already asked for; a big scan is not decoded in full ahead of
        time (it is when it is shown, zoomed in).
        """
        others = sorted(
            (i for i in range(len(self._pages)) if i != self._page and self._pages[i].image),
            key=lambda i: (abs(i - self._page), i < self._page),
        )
        for index in others[:PREFETCH_PAGES]:
            page = self._pages[index]
            longest = self._wanted_longest(index)
            if longest is None and (page.width or 0) * (page.height or 0) > PREFETCH_FULL_PIXELS:
                continue
            if self._loader.cached(page.image or "", longest) is None:
                self._loader.request(page.image or "", longest)

    def _set_scene_rect(self, page: Page) -> None:
        if page.width and page.height:
            self._scene.setSceneRect(QRectF(0, 0, page.width, page.height))
        elif page.image is None:
            bounds = self._message_item.boundingRect()
            self._scene.setSceneRect(bounds.adjusted(-20, -20, 20, 20))

    def _message(self, text: str) -> None:
        self._message_item.setText(text)
        self._message_item.setVisible(bool(text))

    def _update_bar(self) -> None:
        count = len(self._pages)
        if not count or self._page < 0:
            self.page_label.setText("No pages")
        else:
            page = self._pages[self._page]
            name = f" ({page.n})" if page.n and page.n != str(self._page + 1) else ""
            self.page_label.setText(f"Page {self._page + 1} of {count}{name}")
        self.previous_button.setEnabled(self._page > 0)
        self.next_button.setEnabled(0 <= self._page < count - 1)


def _rect(region: Region) -> QRectF:
    return QRectF(region.x, region.y, region.w, region.h)


def _covers(loaded: LoadedImage, longest: int | None) -> bool:
    """Whether ``loaded`` has at least the detail a decode at ``longest`` would give."""
    if loaded.longest is None:
        return True
    have = max(loaded.image.width(), loaded.image.height())
    if longest is None:
        full = max(loaded.full_size.width(), loaded.full_size.height())
        return have >= full
    return have >= longest or loaded.longest >= longest


def _missing_text(page: Page, index: int) -> str:
    label = f"Page {page.n or index + 1}"
    if page.remote:
        return f"{label} wants a remote image, which Epistola does not fetch:\n{page.facs}"
    if page.facs:
        return (
            f"{label}: no image file found for {page.facs}.\n"
            "Add the folder holding the scans (View ▸ Add Image Folder…)."
        )
    return f"{label} has no image."
