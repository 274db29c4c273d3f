"""Kind colours, their human labels, and the legend that toggles them.

Owns how each entity kind looks wherever the window shows it: the letter pane's
highlight tints, the panels' swatches and the legend. The hues are the Okabe–Ito
palette (distinguishable with the common colour-vision deficiencies); highlights are
tints of them, mixed towards the palette's base colour only as far as keeps the text
on them at a WCAG contrast of at least 4.5:1, so the same kind reads on light and dark
palettes. The saturated hue itself is kept for swatch borders and underlines, where
it carries the distinction the pale tints cannot.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QLayout, QLayoutItem, QToolButton, QWidget

from viewer.model import ENTITY_KINDS, Letter
from viewer.records import Record, frozen

UNRESOLVED = "unresolved"
# Legend and toggle order: the model's kinds, then the marking of dangling references.
KIND_ORDER: tuple[str, ...] = (*ENTITY_KINDS, UNRESOLVED)

KIND_LABELS: dict[str, str] = {
    "person": "Person",
    "organisation": "Organisation",
    "place": "Place",
    "date": "Date",
    "treaty": "Treaty",
    "work": "Work",
    "event": "Event",
    "other": "Other",
    UNRESOLVED: "Unresolved",
}

RGB = tuple[int, int, int]

# Okabe & Ito (2008), "Color Universal Design". The five kinds a typical letter has
# (person, organisation, place, date, treaty) get the five hues that stay most apart.
OKABE_ITO: dict[str, RGB] = {
    "orange": (0xE6, 0x9F, 0x00),
    "sky blue": (0x56, 0xB4, 0xE9),
    "bluish green": (0x00, 0x9E, 0x73),
    "yellow": (0xF0, 0xE4, 0x42),
    "blue": (0x00, 0x72, 0xB2),
    "vermillion": (0xD5, 0x5E, 0x00),
    "reddish purple": (0xCC, 0x79, 0xA7),
    "grey": (0x99, 0x99, 0x99),
}
_HUES: dict[str, str] = {
    "person": "orange",
    "organisation": "sky blue",
    "place": "bluish green",
    "date": "yellow",
    "treaty": "reddish purple",
    "work": "blue",
    "event": "vermillion",
    "other": "grey",
    UNRESOLVED: "grey",
}
# How far each tint goes from the base colour towards the hue. Chosen (by a search over
# simulated protan/deutan/tritan vision, see tests/gui/test_kinds.py) to keep the tints
# apart in CIELAB while staying pale enough to read through; lightness differs between
# hues that colour-blind readers see alike (the two blues, orange and yellow).
_STRENGTH: dict[bool, dict[str, float]] = {
    False: {
        "person": 0.43,
        "organisation": 0.34,
        "place": 0.40,
        "date": 0.46,
        "treaty": 0.50,
        "work": 0.30,
        "event": 0.45,
        "other": 0.28,
        UNRESOLVED: 0.42,
    },
    True: {
        "person": 0.40,
        "organisation": 0.40,
        "place": 0.55,
        "date": 0.34,
        "treaty": 0.50,
        "work": 0.45,
        "event": 0.28,
        "other": 0.35,
        UNRESOLVED: 0.20,
    },
}

LIGHT_BASE: RGB = (0xFF, 0xFF, 0xFF)
LIGHT_TEXT: RGB = (0x1B, 0x1B, 0x1B)
DARK_BASE: RGB = (0x1E, 0x1F, 0x22)
DARK_TEXT: RGB = (0xF2, 0xF2, 0xF2)
UNRESOLVED_LIGHT: RGB = (0xC8, 0x10, 0x10)
UNRESOLVED_DARK: RGB = (0xFF, 0x6B, 0x6B)

MIN_TEXT_CONTRAST = 4.5
_TARGET_TEXT_CONTRAST = 5.0  # a margin over the WCAG minimum, for palettes that differ a bit
_MIN_MARK_CONTRAST = 3.0  # WCAG 1.4.11 for non-text marks (underlines, swatch borders)


# ------------------------------------------------------------------ colour maths


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(rgb: RGB) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""
    r, g, b = (_linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: RGB, second: RGB) -> float:
    """WCAG 2.x contrast ratio, from 1 (same) to 21 (black on white)."""
    a, b = relative_luminance(first), relative_luminance(second)
    high, low = max(a, b), min(a, b)
    return (high + 0.05) / (low + 0.05)


def _mix(base: RGB, hue: RGB, amount: float) -> RGB:
    return tuple(round(b + (h - b) * amount) for b, h in zip(base, hue, strict=True))  # type: ignore[return-value]


def _tint(hue: RGB, base: RGB, text: RGB, amount: float) -> RGB:
    """The hue mixed into ``base`` by ``amount``, backed off until ``text`` reads on it."""
    while amount > 0:
        tint = _mix(base, hue, amount)
        if contrast_ratio(tint, text) >= _TARGET_TEXT_CONTRAST:
            return tint
        amount -= 0.02
    return base


def _mark(hue: RGB, base: RGB) -> RGB:
    """The hue itself, moved towards the text colour until it stands out from ``base``."""
    dark_base = relative_luminance(base) < 0.5
    target = (255, 255, 255) if dark_base else (0, 0, 0)
    amount = 0.0
    while amount < 1:
        mark = _mix(hue, target, amount)
        if contrast_ratio(mark, base) >= _MIN_MARK_CONTRAST:
            return mark
        amount += 0.05
    return target


def _qcolor(rgb: RGB) -> QColor:
    return QColor(*rgb)


# ------------------------------------------------------------------------ styles


@frozen
class KindStyle(Record):
    """How one kind is drawn: highlight tint, text colour on it, mark colour, label."""

    background: QColor
    foreground: QColor | None  # None: the palette's text colour
    underline: QColor
    label: str


@frozen
class EmphasisStyle(Record):
    """How selected mentions stand out (the same bright marks on light and dark)."""

    background: QColor
    foreground: QColor
    current_background: QColor
    outline: QColor


def is_dark(palette: QPalette) -> bool:
    """True when the palette draws light text on a dark base (a dark theme)."""
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    return base.lightnessF() < text.lightnessF()


@cache
def _style_rgb(kind: str, dark: bool) -> tuple[RGB, RGB, RGB]:
    hue = OKABE_ITO[_HUES.get(kind, "grey")]
    base, text = (DARK_BASE, DARK_TEXT) if dark else (LIGHT_BASE, LIGHT_TEXT)
    background = _tint(hue, base, text, _STRENGTH[dark].get(kind, 0.3))
    return background, text, _mark(hue, base)


def kind_style(kind: str, dark: bool) -> KindStyle:
    """The style of ``kind`` (one of KIND_ORDER; anything else is drawn as "other")."""
    background, foreground, underline = _style_rgb(kind, dark)
    if kind == UNRESOLVED:
        underline = UNRESOLVED_DARK if dark else UNRESOLVED_LIGHT
    return KindStyle(
        background=_qcolor(background),
        foreground=_qcolor(foreground),
        underline=_qcolor(underline),
        label=kind_label(kind),
    )


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.capitalize() if kind else "Other")


def emphasis_style(dark: bool) -> EmphasisStyle:
    # Black on bright yellow and orange reads at over 9:1 and outshines every tint on
    # either palette; the outline is what marks the current mention for those who
    # cannot tell yellow from orange.
    return EmphasisStyle(
        background=QColor(0xFF, 0xD8, 0x1A),
        foreground=QColor(0x00, 0x00, 0x00),
        current_background=QColor(0xFF, 0x9E, 0x2C),
        outline=QColor(0xFF, 0xE5, 0x8A) if dark else QColor(0x8A, 0x3B, 0x00),
    )


def unresolved_colour(dark: bool) -> QColor:
    return _qcolor(UNRESOLVED_DARK if dark else UNRESOLVED_LIGHT)


def mention_kind_counts(letter: Letter) -> dict[str, int]:
    """Mentions per kind, plus how many mentions point only at unknown entries."""
    counts: dict[str, int] = {}
    unresolved = 0
    for mention in letter.mentions:
        counts[mention.kind] = counts.get(mention.kind, 0) + 1
        if mention.unresolved and not mention.entities:
            unresolved += 1
    if unresolved:
        counts[UNRESOLVED] = unresolved
    return counts


# ------------------------------------------------------------------------ legend


def swatch_icon(kind: str, dark: bool, size: int = 14) -> QIcon:
    """A square of the kind's tint framed in its hue; hollow in the "off" state."""
    style = kind_style(kind, dark)
    icon = QIcon()
    for state, filled in ((QIcon.State.On, True), (QIcon.State.Off, False)):
        for ratio in (1, 2):
            pixmap = QPixmap(size * ratio, size * ratio)
            pixmap.setDevicePixelRatio(ratio)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            pen = QPen(style.underline, 2)
            if kind == UNRESOLVED:
                pen.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(pen)
            painter.setBrush(style.background if filled else Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(1, 1, size - 2, size - 2, 3, 3)
            if not filled:
                painter.drawLine(3, size - 3, size - 3, 3)
            painter.end()
            icon.addPixmap(pixmap, QIcon.Mode.Normal, state)
    return icon


class FlowLayout(QLayout):
    """Lays widgets out left to right and wraps them onto new rows when narrow."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    def _arrange(self, rect: QRect, move: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        x, y, row_height = area.x(), area.y(), 0
        spacing = self.spacing()
        for item in self._items:
            widget = item.widget()
            if widget is not None and widget.isHidden():
                continue
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and row_height:
                x, y = area.x(), y + row_height + spacing
                row_height = 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + spacing
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y() + margins.bottom()


class KindLegend(QWidget):
    """A row of toggle buttons, one per kind the letter has: swatch, label, count.

    Toggling a button emits ``kindToggled(kind, visible)``; :meth:`set_visible_kinds`
    restores a saved state without emitting. Buttons take keyboard focus (Tab, then
    Space toggles) and say what they do to screen readers.
    """

    kindToggled = Signal(str, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Highlight legend")
        self._layout = FlowLayout(self)
        self._buttons: dict[str, QToolButton] = {}
        self._counts: dict[str, int] = {}
        self._hidden: set[str] = set()
        self._dark = is_dark(self.palette())

    def set_counts(self, counts: Mapping[str, int]) -> None:
        """Show one button per kind with a non-zero count, in the standard order."""
        self._counts = {kind: int(n) for kind, n in counts.items() if n}
        order = [k for k in KIND_ORDER if k in self._counts]
        order += sorted(k for k in self._counts if k not in KIND_ORDER)
        for kind in order:
            button = self._buttons.get(kind)
            if button is None:
                button = self._make_button(kind)
            self._update_button(button, kind)
            button.show()
        for kind, button in self._buttons.items():
            if kind not in self._counts:
                button.hide()
        # Re-insert in order: FlowLayout places items in insertion order.
        for kind in order:
            self._layout.removeWidget(self._buttons[kind])
            self._layout.addWidget(self._buttons[kind])
        self._layout.invalidate()
        self.updateGeometry()

    def counts(self) -> dict[str, int]:
        return dict(self._counts)

    def kinds(self) -> list[str]:
        """The kinds that have a visible button, in display order."""
        return [
            self._layout.itemAt(i).widget().property("kind")
            for i in range(self._layout.count())
            if not self._layout.itemAt(i).widget().isHidden()
        ]

    def button(self, kind: str) -> QToolButton | None:
        return self._buttons.get(kind)

    def set_visible_kinds(self, kinds: Iterable[str]) -> None:
        """Check exactly the buttons of ``kinds`` (others unchecked); emits nothing."""
        visible = set(kinds)
        self._hidden = {k for k in KIND_ORDER if k not in visible}
        self._hidden.update(k for k in self._buttons if k not in visible)
        for kind, button in self._buttons.items():
            button.blockSignals(True)
            button.setChecked(kind not in self._hidden)
            button.blockSignals(False)
            self._update_button(button, kind)

    def visible_kinds(self) -> set[str]:
        known = set(KIND_ORDER) | set(self._buttons)
        return known - self._hidden

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._layout.heightForWidth(width)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            dark = is_dark(self.palette())
            if dark != self._dark:
                self._dark = dark
                for kind, button in self._buttons.items():
                    button.setIcon(swatch_icon(kind, dark))

    # -- internals ---------------------------------------------------------------
    def _make_button(self, kind: str) -> QToolButton:
        button = QToolButton(self)
        button.setProperty("kind", kind)
        button.setCheckable(True)
        button.setChecked(kind not in self._hidden)
        button.setAutoRaise(True)
        button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setIcon(swatch_icon(kind, self._dark))
        button.toggled.connect(lambda checked, k=kind: self._on_toggled(k, checked))
        self._buttons[kind] = button
        return button

    def _update_button(self, button: QToolButton, kind: str) -> None:
        label = kind_label(kind)
        count = self._counts.get(kind, 0)
        button.setText(f"{label} {count}")
        shown = "shown" if button.isChecked() else "hidden"
        noun = "mention" if count == 1 else "mentions"
        what = "unresolved references" if kind == UNRESOLVED else f"{label.lower()} highlighting"
        button.setAccessibleName(f"{label} ({count} {noun})")
        button.setAccessibleDescription(f"Toggles {what}; now {shown}")
        button.setToolTip(
            f"{label}: {count} {noun}. Click to {'hide' if shown == 'shown' else 'show'} {what}."
        )

    def _on_toggled(self, kind: str, checked: bool) -> None:
        if checked:
            self._hidden.discard(kind)
        else:
            self._hidden.add(kind)
        self._update_button(self._buttons[kind], kind)
        self.kindToggled.emit(kind, checked)
