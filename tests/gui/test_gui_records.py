"""The window's records (viewer.records classes in viewer.gui) behave as the ``@dataclass``
classes they stand for (tests/test_records.py checks the core's)."""

from __future__ import annotations

import pytest
from recordcheck import (
    check_hash_follows_the_dataclass,
    check_init_takes_what_the_dataclass_init_takes,
    check_says_what_it_is,
    records_in,
)

import viewer.gui.kinds
import viewer.gui.letter_view
import viewer.gui.main_window

RECORDS = records_in(viewer.gui.kinds, viewer.gui.letter_view, viewer.gui.main_window)


def test_the_windows_records_are_found():
    names = {cls.__name__ for cls in RECORDS}
    assert {"KindStyle", "EmphasisStyle", "WindowParts", "CollectionParts"} <= names
    assert {"_Colours", "_Continuation"} <= names


@pytest.mark.parametrize("cls", RECORDS, ids=lambda cls: cls.__name__)
def test_a_window_record_is_made_as_its_dataclass(cls):
    check_init_takes_what_the_dataclass_init_takes(cls)
    check_hash_follows_the_dataclass(cls)
    check_says_what_it_is(cls)


def test_a_kind_style_compares_and_shows_by_its_fields():
    light = viewer.gui.kinds.kind_style("person", False)
    assert light == viewer.gui.kinds.kind_style("person", False)
    assert light != viewer.gui.kinds.kind_style("person", True)
    assert repr(light).startswith("KindStyle(background=")
