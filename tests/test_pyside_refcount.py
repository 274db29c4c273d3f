"""Guard against PySide6 6.12.0's reference-count bug on ``None``.

In PySide6 6.12.0 every wrapped Qt method that returns ``None`` (C++ ``void``)
gives back ``None`` without taking a reference to it. Each call then costs
``None`` one reference, and after some thousands of calls the count reaches
zero and the interpreter aborts with "none_dealloc" — in the middle of a
session, with no Python traceback. pyproject.toml excludes that release; these
tests fail loudly if it (or a release with the same fault) is installed.

(On Python 3.12 and later ``None`` is immortal, its count never moves, and the
first test passes trivially; the project's Python is 3.11.)
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject
from PySide6.QtGui import QTextCursor, QTextDocument

CALLS = 5_000
# A few references may come and go for unrelated reasons (caches, the test
# machinery); the bug loses one per call, i.e. thousands.
TOLERANCE = 50


def _cursor_set_position() -> Callable[[], object]:
    document = QTextDocument()
    document.setPlainText("Hochwohlgeborener Herr!")
    cursor = QTextCursor(document)

    def call() -> object:
        cursor.setPosition(0)  # void in C++: returns None
        return document  # keeps the document alive as long as the cursor is used

    return call


def _object_set_object_name() -> Callable[[], object]:
    obj = QObject()

    def call() -> object:
        obj.setObjectName("letter")  # void in C++: returns None
        return obj

    return call


@pytest.mark.parametrize(
    "make_call",
    [
        pytest.param(_cursor_set_position, id="QtGui-QTextCursor.setPosition"),
        pytest.param(_object_set_object_name, id="QtCore-QObject.setObjectName"),
    ],
)
def test_void_methods_do_not_leak_references_to_none(
    qapp: object, make_call: Callable[[], Callable[[], object]]
) -> None:
    call = make_call()
    call()  # warm up: first calls may populate caches
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        call()
    after = sys.getrefcount(None)
    assert before - after <= TOLERANCE, (
        f"PySide6 {pyside_version}: {before - after} references to None lost in "
        f"{CALLS} calls of a void Qt method; the interpreter would abort in none_dealloc"
    )


def test_installed_pyside6_is_not_the_broken_release() -> None:
    assert pyside_version != "6.12.0", (
        "PySide6 6.12.0 aborts the interpreter (none_dealloc); install 6.11.x: "
        "pip install -e '.[test]'"
    )
