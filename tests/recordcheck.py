"""Checks that a viewer.records class behaves as the ``@dataclass`` class it stands for
(shared by tests/test_records.py and tests/gui/test_gui_records.py)."""

from __future__ import annotations

import dataclasses
import inspect
from types import ModuleType

import pytest

from viewer.records import FACTORY, MutableRecord, Record


def records_in(*modules: ModuleType) -> list[type]:
    """The record classes defined at the top of ``modules``."""
    found = []
    for module in modules:
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            mine = cls.__module__ == module.__name__
            if mine and issubclass(cls, MutableRecord) and cls not in (MutableRecord, Record):
                found.append(cls)
    return found


def plain(cls: type) -> type:
    """The same fields in a class made by ``@dataclass`` alone (frozen for a Record)."""
    specs = []
    for f in dataclasses.fields(cls):
        options = {"compare": f.compare, "repr": f.repr, "init": f.init}
        if f.default is not dataclasses.MISSING:
            options["default"] = f.default
        if f.default_factory is not dataclasses.MISSING:
            options["default_factory"] = f.default_factory
        specs.append((f.name, f.type, dataclasses.field(**options)))
    return dataclasses.make_dataclass(cls.__name__, specs, frozen=issubclass(cls, Record))


def check_init_takes_what_the_dataclass_init_takes(cls: type) -> None:
    theirs_cls = plain(cls)
    mine, theirs = inspect.signature(cls), inspect.signature(theirs_cls)
    assert [(p.name, p.kind) for p in mine.parameters.values()] == [
        (p.name, p.kind) for p in theirs.parameters.values()
    ]
    for name, parameter in theirs.parameters.items():
        if parameter.default is not inspect.Parameter.empty:
            default = mine.parameters[name].default
            assert default == parameter.default or default is FACTORY, name
    required = [p for p in theirs.parameters.values() if p.default is inspect.Parameter.empty]
    if required:
        with pytest.raises(TypeError):
            cls()  # the required fields are required, as they are for the dataclass
    else:
        assert vars(cls()) == vars(theirs_cls())


def check_says_what_it_is(cls: type) -> None:
    # Without a docstring dataclasses makes one from inspect.signature(cls), which at import
    # (before __init__ is set) costs a tokenizer start-up and shows no fields.
    assert cls.__doc__ and not cls.__doc__.startswith(f"{cls.__name__}(")


def check_hash_follows_the_dataclass(cls: type) -> None:
    if issubclass(cls, Record):
        assert cls.__hash__ is Record.__hash__
    else:
        assert cls.__hash__ is None and plain(cls).__hash__ is None
