"""The composition root: builds settings, the register catalog and the widgets, and starts Qt.

``run(args)`` is what ``viewer.cli.main`` calls when no batch option is given
(args: ``paths``, ``select``, ``screenshot``, ``reading``, ``registers``,
``line_breaks``: flowing or lines, over the remembered line mode).
It owns the start-up sequence and the command-line contract of the window:
which letter opens (the given file, a folder's first letter, else the shipped
ICBL letter), ``--select`` (an unknown id: a status notice, or with
``--screenshot`` one stderr line and exit 2), ``--screenshot`` (render the
window to a PNG and exit 0, with no display needed), and saving the window's
state on close. Nothing imported here is more than the first frame needs:
dialogs are imported when they are shown, and an interactive start paints the
letter pane (the header, the legend and the text) first: the side panel, the
facsimile pane, menus, toolbar and status bar (``window.ensure_built()``) and
the collection's panels (viewer.gui.collection_ui) are built right after that
first paint. ``--screenshot`` builds the whole window before it is shown. The
first letter is read by a worker process forked before Qt is imported
(:class:`FirstRead`), on another core while this one imports Qt and builds
the widgets, so the window's process does not import the parser to start.

:func:`build` is the composition root: settings, the register catalog, the
Qt-free :class:`viewer.session.Session` with the :class:`SessionBridge` as its
runner, the widgets, and the window they are passed to. A new panel is built
here and docked with ``window.add_panel``; it observes ``window.bridge``.
One :class:`viewer.images.ImageFinder` (the remembered image folders and
``--images``) finds every letter's page images: the loader attaches them to
the first part and, in the worker, to the rest of a long letter, before either
is shown; the facsimile pane shows them beside the text.

``EPISTOLA_BENCH_STARTUP=1`` makes the window print
``EPISTOLA_FIRST_PAINT <unix time>`` on stderr after its first paint, then
build the rest of the window as an interactive start does (without the
collection, whose indexing would run on), print ``EPISTOLA_WINDOW_BUILT <unix
time>`` once the side panel has been painted, and quit
(tests/bench/bench_startup.py).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import viewer
from viewer import assets

EXIT_OK = 0
EXIT_BAD_INPUT = 2
LETTERS = assets.letters_dir()
DEFAULT_LETTER = LETTERS / assets.DEFAULT_LETTER_NAME
APP_ICON = assets.icon_path("epistola")
BENCH_VARIABLE = "EPISTOLA_BENCH_STARTUP"


def _fail(message: str) -> int:
    sys.stderr.write(f"epistola: {message}\n")
    return EXIT_BAD_INPUT


def default_letter() -> Path | None:
    """The shipped ICBL letter, or failing that the first letter in letters/."""
    if DEFAULT_LETTER.is_file():
        return DEFAULT_LETTER
    try:
        candidates = sorted(LETTERS.glob("*.xml"))
    except OSError:
        return None
    return candidates[0] if candidates else None


def first_letter_in(folder: Path) -> Path | None:
    """The first letter file in ``folder`` (then its subfolders), skipping register files."""
    from viewer.tei.classify import classify

    for pattern in ("*.xml", "**/*.xml"):
        try:
            candidates = sorted(folder.glob(pattern))
        except OSError:
            return None
        for candidate in candidates:
            if candidate.is_file() and classify(candidate) == "letter":
                return candidate
    return None


def resolve_target(paths: list[str]) -> tuple[Path | None, str | None]:
    """The letter to open for the command line's paths, or an error sentence."""
    if not paths:
        letter = default_letter()
        if letter is None:
            return None, f"no letter to open: {LETTERS} holds no *.xml file"
        return letter, None
    target = Path(paths[0])
    if target.is_dir():
        letter = first_letter_in(target)
        if letter is None:
            return None, f"{target}: the folder holds no letter (*.xml)"
        return letter, None
    if not target.exists():
        return None, f"{target}: no such file or folder"
    return target, None


def apply_select(window, wanted: list[str], *, strict: bool) -> str | None:
    """Select the ``--select`` ids. An unknown id: with ``strict`` the error to print and
    exit on (nothing selected); otherwise a status notice, the known ids still selected."""
    letter = window.current_letter
    wanted = list(dict.fromkeys(wanted))
    if not wanted or letter is None:
        return None
    from viewer.filtering import known_ids

    known = known_ids(letter)
    unknown = [entity_id for entity_id in wanted if entity_id not in known]
    if unknown and strict:
        return (
            f"{letter.file}: no entity with the id {', '.join(map(repr, unknown))} "
            "in this letter (see --dump for the ids)"
        )
    window.set_selection([entity_id for entity_id in wanted if entity_id in known])
    if unknown:
        window.status(f"--select: no entity {', '.join(unknown)} in this letter", 0)
    return None


def _check_writable(png: str) -> str | None:
    folder = Path(png).expanduser().resolve().parent
    if not folder.is_dir():
        return f"{png}: cannot write the screenshot: the folder {folder} does not exist"
    if not os.access(folder, os.W_OK):
        return f"{png}: cannot write the screenshot: the folder {folder} is not writable"
    if Path(png).is_dir():
        return f"{png}: cannot write the screenshot: it is a folder"
    return None


def _headless() -> bool:
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args) -> int:
    from viewer.gcpause import pause_gc

    # The start allocates hundreds of thousands of objects (Qt's Python enums, modules,
    # widgets) and frees almost none: the collector's passes over them cost 15-20 ms
    # before the first paint and found nothing to collect. It is back on once the window
    # has painted, with what the start built frozen (see viewer.gcpause), or when run ends.
    resume_gc = pause_gc()
    try:
        return _run(args, resume_gc)
    finally:
        resume_gc()


def _run(args, resume_gc) -> int:
    screenshot: str | None = getattr(args, "screenshot", None)
    bench = os.environ.get(BENCH_VARIABLE) == "1"
    interactive = not screenshot and not bench

    target, problem = resolve_target(list(getattr(args, "paths", None) or []))
    if target is None:
        return _fail(problem or "nothing to open")
    if screenshot:
        problem = _check_writable(screenshot)
        if problem:
            return _fail(problem)
        if _headless() and not os.environ.get("QT_QPA_PLATFORM"):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"

    if interactive and sys.platform.startswith("linux") and _headless():
        if not os.environ.get("QT_QPA_PLATFORM"):
            # Qt would abort the process ("could not connect to display"): say it plainly.
            return _fail(
                "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are unset); "
                "use --dump, --check or --index, or --screenshot PNG to render without one"
            )

    from viewer.settings import Settings

    settings = Settings().load()
    restore = not screenshot
    # The letter is read in a worker process while this one imports Qt and builds the
    # window: on two cores or more it is there when the window asks for it.
    first_read = FirstRead.start(
        str(target), initial_reading(args, settings, restore=restore), settings, args
    )

    from PySide6.QtCore import QTimer

    spare_source_scans()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Epistola")
    app.setOrganizationName("Epistola")
    app.setApplicationVersion(viewer.__version__)
    app.setDesktopFileName("epistola")

    # The page image is decoded before the window is grabbed, not after (what
    # viewer.gui.facsimile.synchronous_runner does, without importing the facsimile pane
    # for the letters that have no page images).
    image_runner = _run_now if screenshot else None
    window, settings, handler = build(
        args,
        interactive=interactive,
        restore=restore,
        settings=settings,
        first_read=first_read,
        collection=bool(screenshot),
        image_runner=image_runner,
        # A screenshot shows the whole window; a start with someone watching (or the
        # benchmark) paints the letter pane first and builds the rest right after.
        defer=not screenshot,
    )
    try:
        select = getattr(args, "select", None) or []
        # A long letter opens in two stages when someone is there to watch; --select and
        # --screenshot need the whole letter at once.
        staged = interactive and not select
        opened = window.open_letter(str(target), quiet=True, staged=staged)
        if first_read is not None:
            first_read.discard()  # unused when the window asked for another reading
        if not opened:
            message = window.last_error or f"{target}: could not be opened"
            if not interactive:
                return _fail(message)
            QTimer.singleShot(0, lambda: _show_open_error(window, message))

        problem = apply_select(window, select, strict=bool(screenshot))
        if problem:
            return _fail(problem)

        if settings.warnings:
            if interactive:
                QTimer.singleShot(0, lambda: _show_settings_warnings(window, settings.warnings))
            else:
                for warning in settings.warnings:
                    sys.stderr.write(f"epistola: {warning}\n")

        # The letter list: the folders and files named on the command line, or the
        # shipped letters. Indexing runs in the background once the window shows.
        collection_paths = list(getattr(args, "paths", None) or []) or [str(LETTERS)]
        if screenshot:
            set_app_icon(app)
            window.open_paths(collection_paths, open_letter=False)
            window.wait_for_index(30000)
            return _screenshot(app, window, screenshot)

        window.show()
        if bench:
            _after_first_paint(
                window, lambda: (resume_gc(freeze=True), _report_first_paint(app, window))
            )
        else:
            # The first paint shows the letter pane; the rest of the window, the
            # collection's panels and indexing follow right after it.
            _after_first_paint(
                window,
                lambda: (resume_gc(freeze=True), _build_the_rest(app, window, collection_paths)),
            )
        return app.exec()
    finally:
        from viewer.gui.crash import uninstall

        uninstall(handler)


def build(
    args,
    *,
    interactive: bool = True,
    restore: bool = True,
    collection: bool = True,
    cache_dir=None,
    runner=None,
    image_runner=None,
    defer: bool = False,
    settings=None,
    first_read: FirstRead | None = None,
):
    """Settings, catalog, session, widgets and window, wired; returns (window, settings, crash
    handler). With ``collection`` False the window starts without its collection panels
    (attach them with :func:`attach_collection`). ``cache_dir``: where the collection index is
    cached (None: the user's cache). ``runner``: the session's runner for the rest of long
    letters (None: the bridge's thread; tests pass one they step). ``image_runner``: where the
    facsimile pane decodes page images (None: a worker thread; tests and --screenshot pass
    viewer.gui.facsimile.synchronous_runner). With ``defer`` the window is only its letter
    pane until ``window.ensure_built()`` builds the rest (the side panel, the facsimile pane,
    menus, toolbar, status bar and, with ``collection``, the collection's panels): an
    interactive start calls it right after the first paint; tests call it when they need
    those parts. ``settings``: already loaded (None: loaded here). ``first_read``: the first
    letter being read in a worker (:class:`FirstRead`), taken when the session opens it."""
    from viewer.gui.bridge import SessionBridge
    from viewer.gui.crash import install
    from viewer.gui.kinds import KindLegend
    from viewer.gui.letter_view import LetterView
    from viewer.gui.main_window import MainWindow, WindowParts
    from viewer.images import ImageFinder, attach_images
    from viewer.model import StagedLetter
    from viewer.session import Session
    from viewer.settings import Settings
    from viewer.tei.catalog import RegisterCatalog

    # Installed first, so that even a failure while the widgets are built is reported.
    built: list = []
    handler = install(lambda: built[0] if built else None, interactive=interactive)
    if settings is None:
        settings = Settings().load()
    catalog = RegisterCatalog(extra_folders=register_folders(settings, args))

    image_finder = ImageFinder([*settings.image_folders, *(getattr(args, "images", None) or [])])

    def loader(path: str, reading: str, *, staged: bool = False) -> StagedLetter:
        letter = first_read.take(path, reading) if first_read is not None else None
        if letter is not None:
            return StagedLetter(attach_images(letter, image_finder))
        # The parser is imported by the first letter the window reads itself.
        from viewer.tei.reader import read_letter, read_letter_staged

        registers = LazyRegisters(catalog, path)
        if not staged:
            letter = read_letter(path, reading=reading, registers=registers)
            return StagedLetter(attach_images(letter, image_finder))
        read = read_letter_staged(path, reading=reading, registers=registers)
        first = attach_images(read.letter, image_finder)
        if read.rest is None:
            return StagedLetter(first)
        rest = read.rest
        # Runs in the session's worker: the whole letter arrives with its images found.
        return StagedLetter(first, lambda: attach_images(rest(), image_finder))

    reading = initial_reading(args, settings, restore=restore)
    bridge = SessionBridge()
    session = Session(
        loader, runner=runner or bridge.run, reading=reading, match_all=settings.match_all
    )
    bridge.relay(session)

    def facsimile():
        # Built (and its module imported) for the first letter with page images.
        from PySide6.QtWidgets import QApplication

        from viewer.gui.facsimile import FacsimilePane, PageImageLoader
        from viewer.gui.kinds import is_dark

        image_loader = PageImageLoader(runner=image_runner)
        pane = FacsimilePane(loader=image_loader, dark=is_dark(QApplication.palette()))
        image_loader.setParent(pane)
        return pane

    def rest() -> WindowParts:
        # What the first paint of the letter does not need (nor their modules).
        from viewer.gui.panels import SidePanel

        return WindowParts(
            side_panel=SidePanel(),
            facsimile=facsimile,
            collection=(
                collection_parts(catalog, cache_dir, named_entity=session.entity_named)
                if collection
                else None
            ),
        )

    window = MainWindow(
        session=session,
        bridge=bridge,
        letter_view=LetterView(),
        legend=KindLegend(),
        rest=rest,
        settings=settings,
        catalog=catalog,
        image_finder=image_finder,
        save_settings_on_close=restore,
    )
    bridge.setParent(window)
    built.append(window)
    if restore:
        window.restore_state()
    line_breaks = getattr(args, "line_breaks", None)
    if line_breaks:
        window.set_line_mode(line_breaks)
    if not defer:
        window.ensure_built()
    return window, settings, handler


def collection_parts(catalog, cache_dir=None, named_entity=None):
    """The collection's panels and indexer, for MainWindow.attach_collection.
    ``named_entity``: see :class:`viewer.gui.collection_ui.RegisterPanel`."""
    from PySide6.QtCore import QCoreApplication

    from viewer.gui.collection_ui import Indexer, LetterListPanel, RegisterPanel, SearchPanel
    from viewer.gui.letterheads import LetterheadsPanel
    from viewer.gui.main_window import CollectionParts

    indexer = Indexer(catalog, cache_dir)
    # The collection's indexing threads are stopped before Python and Qt tear down.
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(indexer.shutdown)
    return CollectionParts(
        LetterListPanel(),
        RegisterPanel(named_entity=named_entity),
        SearchPanel(),
        indexer,
        LetterheadsPanel(),
    )


def set_app_icon(app) -> None:
    """Epistola's icon for its windows (and the desktop's task switcher)."""
    from PySide6.QtGui import QIcon

    if APP_ICON.is_file():
        app.setWindowIcon(QIcon(str(APP_ICON)))


def _build_the_rest(app, window, collection_paths: list[str]) -> None:
    # After the first paint: loading the SVG icon engine for the icon took a few
    # milliseconds that showing the letter does not need.
    set_app_icon(app)
    attach_collection(window, collection_paths)


def attach_collection(window, paths: list[str]) -> None:
    """Give ``window`` the rest of its parts (``ensure_built``) and its collection panels, and
    start reading ``paths`` as the collection."""
    window.ensure_built()
    if window.indexer is None:
        window.attach_collection(
            collection_parts(window.catalog, named_entity=window.session.entity_named)
        )
    window.open_paths(paths, open_letter=False)


def initial_reading(args, settings, *, restore: bool) -> str:
    """The reading the window starts in: --reading when given, else the remembered one
    (when ``restore``), else normalised."""
    reading = getattr(args, "reading", None) or "normalised"
    if restore and reading == "normalised":
        reading = settings.reading
    return reading


def register_folders(settings, args) -> list[str]:
    """The folders searched for registers besides the letter's: remembered, then --registers."""
    return [*settings.register_folders, *(getattr(args, "registers", None) or [])]


def spare_source_scans() -> int:
    """Tell PySide6 in advance which modules use it, sparing it reading their source.

    Once imported, PySide6 (6.x) runs a hook after every import that reads the
    imported module's whole source (``inspect.getsource``) to see whether it says
    "PySide6", for its opt-in ``from __feature__ import`` syntax; the answer is kept
    per module name in ``PySide6.support.feature.pyside_feature_dict`` (0: uses PySide,
    -1: does not). Epistola never selects a feature, yet that reading cost about 20 ms
    of a start (napari/napari#8584 reports the same). This records the same answers
    first: -1 for the modules already loaded (nothing imported before PySide6 uses it)
    and for Epistola's Qt-free modules (import contracts keep PySide6 out of them),
    0 for the Qt layer's. Returns how many answers it recorded; 0 where PySide6 keeps
    no such table (another version), which leaves its own check in place.
    """
    feature = sys.modules.get("PySide6.support.feature")
    answers = getattr(feature, "pyside_feature_dict", None)
    if not isinstance(answers, dict):
        return 0
    before = len(answers)
    for name in list(sys.modules):
        answers.setdefault(name, 0 if name.startswith("viewer.gui") else -1)
    package = Path(viewer.__file__).parent
    for folder in ("gui", "tei", "exports", ""):
        prefix = ".".join(filter(None, ("viewer", folder)))
        answer = 0 if folder == "gui" else -1
        try:
            names = os.listdir(package / folder)
        except OSError:
            continue
        answers.setdefault(prefix, answer)
        for name in names:
            if name.endswith(".py"):
                answers.setdefault(f"{prefix}.{name[:-3]}", answer)
    return len(answers) - before


class FirstRead:
    """The window's first letter, read in a worker process (:class:`viewer.forked.ForkedWork`)
    while the window's process imports Qt and builds its widgets.

    Only a letter the window would read whole in one go is read ahead (below the size from
    which an interactive start shows a first part: see
    :func:`viewer.tei.reader.read_letter_staged`), the same way the window reads it, with
    the same register folders. :meth:`take` hands it over once, for that file and reading;
    any other request, or a worker that failed, gets None and the window reads the letter
    itself (so a letter that cannot be read fails there, with the usual message).
    """

    def __init__(self, path: str, reading: str, work) -> None:
        self._key = (path, reading)
        self._work = work

    @classmethod
    def start(cls, path: str, reading: str, settings, args) -> FirstRead | None:
        from viewer.forked import ForkedWork

        folders = register_folders(settings, args)
        work = ForkedWork.start(lambda: _read_whole_letter(path, reading, folders))
        return cls(path, reading, work) if work is not None else None

    def take(self, path: str, reading: str):
        """The letter at ``path`` in ``reading`` when it was read ahead, else None."""
        work, self._work = self._work, None
        if work is None:
            return None
        if (path, reading) != self._key:
            work.discard()
            return None
        return work.result()

    def discard(self) -> None:
        """End the worker if its letter was never taken."""
        work, self._work = self._work, None
        if work is not None:
            work.discard()


def _read_whole_letter(path: str, reading: str, folders: list[str]):
    """In FirstRead's worker: the letter at ``path``, or None for one read in stages."""
    from viewer.tei.catalog import RegisterCatalog
    from viewer.tei.reader import STAGED_FROM_BYTES, read_letter

    if os.stat(path).st_size >= STAGED_FROM_BYTES:
        return None
    registers = LazyRegisters(RegisterCatalog(extra_folders=folders), path)
    return read_letter(path, reading=reading, registers=registers)


class LazyRegisters:
    """The registers for one letter, looked for only when the letter's own register falls short.

    Implements :class:`viewer.tei.resolve.ExternalRegisters` (lookups, ``files``, ``errors``).

    The reader tries the letter's own entries first and asks the external
    registers only for a reference they do not cover, so a self-contained
    letter (the shipped ones) never pays for searching folders for register
    files: on a cold start that search is the largest single cost.
    """

    def __init__(self, catalog, path: str) -> None:
        self._catalog = catalog
        self._path = path
        self._found = None

    @property
    def registers(self):
        if self._found is None:
            self._found = self._catalog.for_letter(self._path)
        return self._found

    @property
    def searched(self) -> bool:
        return self._found is not None

    @property
    def files(self) -> list[str]:
        return self.registers.files

    @property
    def errors(self) -> list[tuple[str, str]]:
        # Only registers that were searched for can have failed this letter: a letter
        # whose own register answers every reference never looks for register files.
        return self._found.errors if self._found is not None else []

    def lookup_id(self, entity_id: str):
        return self.registers.lookup_id(entity_id)

    def lookup_key(self, key: str):
        return self.registers.lookup_key(key)

    def lookup_uri(self, uri: str):
        return self.registers.lookup_uri(uri)


def _show_open_error(window, message: str) -> None:
    from viewer.gui.dialogs import show_error

    show_error(window, "Cannot open the letter", message)


def _show_settings_warnings(window, warnings: list[str]) -> None:
    from viewer.gui.dialogs import show_notice

    window.status(warnings[0], 0)
    window.settings_notice = show_notice(window, "Epistola settings", list(warnings))


def _run_now(work) -> None:
    work()


def _screenshot(app, window, png: str) -> int:
    # Passing notices (such as "indexed N letters") would cover the selection line.
    window.statusBar().clearMessage()
    window.show()
    # Layout, the letter's document layout and the panels settle over a few passes.
    for _round in range(5):
        app.processEvents()
    image = _grab(app, window).toImage()
    from viewer.gui.png import save_png

    # Not QImage.save: the same pixels, written in half the time (see viewer.gui.png).
    if not save_png(image, png):
        return _fail(f"{png}: the screenshot could not be written")
    window.hide()
    return EXIT_OK


def _grab(app, window):
    """The window as painted: on the offscreen platform (no display) the image its
    backing store already holds from the paint that showing it made, rather than
    painting the whole window a second time; elsewhere (or should that image be
    missing) the window rendered afresh."""
    if app.platformName() == "offscreen":
        image = window.screen().grabWindow(window.winId())
        if not image.isNull() and image.size() == window.size() * image.devicePixelRatio():
            return image
    return window.grab()


def _after_first_paint(window, action) -> None:
    """Run ``action`` once the letter pane has been painted for the first time."""
    _after_paint(window.view.viewport(), action)


def _after_paint(widget, action) -> None:
    """Run ``action`` once ``widget`` has been painted (the first time after this call)."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        done = False

        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and not self.done:
                self.done = True
                # After this paint the backing store is flushed; act once it is.
                QTimer.singleShot(0, action)
            return False

    watcher = FirstPaint(widget)
    widget.installEventFilter(watcher)


def _report_first_paint(app, window) -> None:
    _report("EPISTOLA_FIRST_PAINT")
    set_app_icon(app)
    window.ensure_built()
    _after_paint(window.panel.tabs, lambda: (_report("EPISTOLA_WINDOW_BUILT"), app.quit()))


def _report(mark: str) -> None:
    sys.stderr.write(f"{mark} {time.time():.6f}\n")
    sys.stderr.flush()


__all__ = [
    "apply_select",
    "attach_collection",
    "build",
    "collection_parts",
    "default_letter",
    "first_letter_in",
    "run",
]
