"""Kind colours (contrast, distinctness, colour-blind safety) and the legend widget."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import itertools
import math
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette

from viewer.gui.kinds import (
    KIND_LABELS,
    KIND_ORDER,
    MIN_TEXT_CONTRAST,
    UNRESOLVED,
    KindLegend,
    contrast_ratio,
    emphasis_style,
    is_dark,
    kind_label,
    kind_style,
    mention_kind_counts,
    relative_luminance,
)
from viewer.model import ENTITY_KINDS
from viewer.tei import read_letter

ROOT = Path(__file__).resolve().parents[2]
ICBL = ROOT / "letters" / "icbl-2007-07-24-anama.xml"
LIGHT_TEXT = QColor("#000000")
DARK_TEXT = QColor("#ffffff")


def rgb(colour: QColor) -> tuple[int, int, int]:
    return (colour.red(), colour.green(), colour.blue())


# Machado, Oliveira & Fernandes (2009) at full severity, applied in linear sRGB.
CVD = {
    "normal": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def lab_as_seen(colour: QColor, vision: str) -> tuple[float, float, float]:
    """CIELAB (D65) of ``colour`` as a reader with ``vision`` sees it."""
    linear = [_linear(c) for c in rgb(colour)]
    matrix = CVD[vision]
    r, g, b = (
        min(1.0, max(0.0, sum(m * c for m, c in zip(row, linear, strict=True)))) for row in matrix
    )
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_every_kind_has_its_own_colours(dark) -> None:
    styles = {kind: kind_style(kind, dark) for kind in KIND_ORDER}
    assert set(ENTITY_KINDS) <= set(styles)
    backgrounds = [rgb(s.background) for s in styles.values()]
    assert len(set(backgrounds)) == len(backgrounds)
    marks = [rgb(styles[k].underline) for k in ENTITY_KINDS]
    assert len(set(marks)) == len(marks)
    # The marking of dangling references is red-ish and unlike any kind's mark.
    red = styles[UNRESOLVED].underline
    assert red.red() > 2 * red.green() and rgb(red) not in marks


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_text_on_every_highlight_reads(dark) -> None:
    for kind in KIND_ORDER:
        style = kind_style(kind, dark)
        assert style.foreground is not None
        ratio = contrast_ratio(rgb(style.foreground), rgb(style.background))
        assert ratio >= MIN_TEXT_CONTRAST, (kind, dark, ratio)
    emphasis = emphasis_style(dark)
    for background in (emphasis.background, emphasis.current_background):
        assert contrast_ratio(rgb(emphasis.foreground), rgb(background)) >= 7


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_tints_stay_apart_for_colour_blind_readers(dark) -> None:
    """Every pair of highlight tints differs visibly under each simulated vision."""
    kinds = list(ENTITY_KINDS)
    for vision in CVD:
        seen = {kind: lab_as_seen(kind_style(kind, dark).background, vision) for kind in kinds}
        closest = min(
            (math.dist(seen[a], seen[b]), a, b) for a, b in itertools.combinations(kinds, 2)
        )
        # ΔE of about 2.3 is just noticeable; 4 and more tell highlights apart at a glance.
        assert closest[0] >= 4.0, (vision, dark, closest)
    # The saturated marks (swatch borders, underlines) are far apart in normal vision.
    marks = {kind: lab_as_seen(kind_style(kind, dark).underline, "normal") for kind in kinds}
    closest_mark = min(math.dist(marks[a], marks[b]) for a, b in itertools.combinations(kinds, 2))
    assert closest_mark >= 15


def test_tints_are_light_on_light_and_dark_on_dark() -> None:
    for kind in ENTITY_KINDS:
        assert relative_luminance(rgb(kind_style(kind, False).background)) > 0.5
        assert relative_luminance(rgb(kind_style(kind, True).background)) < 0.2


def test_labels() -> None:
    assert [KIND_LABELS[k] for k in ENTITY_KINDS] == [
        "Person",
        "Organisation",
        "Place",
        "Date",
        "Treaty",
        "Work",
        "Event",
        "Other",
    ]
    assert kind_style("place", False).label == "Place"
    assert kind_label("weird") == "Weird"


def test_is_dark() -> None:
    light = QPalette()
    light.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    light.setColor(QPalette.ColorRole.Text, QColor("#000000"))
    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Base, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e8eaed"))
    assert not is_dark(light)
    assert is_dark(dark)


def test_mention_kind_counts() -> None:
    letter = read_letter(ICBL)
    counts = mention_kind_counts(letter)
    for kind in ("person", "organisation", "place", "date", "treaty"):
        assert counts[kind] == sum(1 for m in letter.mentions if m.kind == kind)
    assert UNRESOLVED not in counts


# ------------------------------------------------------------------------ the legend


@pytest.fixture
def legend(qtbot) -> KindLegend:
    widget = KindLegend()
    qtbot.addWidget(widget)
    widget.resize(600, 80)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_legend_shows_the_kinds_present(legend) -> None:
    legend.set_counts({"place": 3, "person": 12, "work": 0, UNRESOLVED: 2})
    assert legend.kinds() == ["person", "place", UNRESOLVED]
    person = legend.button("person")
    assert person is not None and person.text() == "Person 12"
    assert "Person" in person.accessibleName() and "12" in person.accessibleName()
    assert not person.icon().isNull()
    legend.set_counts({"date": 1})
    assert legend.kinds() == ["date"]
    assert legend.button("person").isHidden()


def test_legend_toggles_emit_and_restore_silently(legend, qtbot) -> None:
    legend.set_counts({"person": 2, "place": 1})
    with qtbot.waitSignal(legend.kindToggled, timeout=1000) as signal:
        qtbot.mouseClick(legend.button("place"), Qt.MouseButton.LeftButton)
    assert signal.args == ["place", False]
    assert "place" not in legend.visible_kinds()
    with qtbot.assertNotEmitted(legend.kindToggled, wait=50):
        legend.set_visible_kinds({"place", "person"})
    assert legend.button("place").isChecked()
    assert {"place", "person"} <= legend.visible_kinds()
    with qtbot.assertNotEmitted(legend.kindToggled, wait=50):
        legend.set_visible_kinds({"place"})
    assert not legend.button("person").isChecked()
    # A kind whose button appears later keeps the restored state.
    legend.set_counts({"person": 2, "place": 1, "date": 4})
    assert not legend.button("date").isChecked()


def test_legend_is_keyboard_reachable(legend, qtbot) -> None:
    legend.set_counts({"person": 2, "place": 1})
    button = legend.button("person")
    assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
    button.setFocus()
    with qtbot.waitSignal(legend.kindToggled, timeout=1000) as signal:
        qtbot.keyClick(button, Qt.Key.Key_Space)
    assert signal.args == ["person", False]
