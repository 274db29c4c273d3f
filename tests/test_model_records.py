"""The model's classes behave as ``@dataclass(frozen=True)`` classes, although they share
one ``__eq__``, ``__hash__``, ``__repr__``, ``__setattr__`` and ``__delattr__``
(viewer.model._Record) and make their ``__init__`` themselves (viewer.model._init_of), for
start-up time."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from pathlib import Path

import pytest

import viewer.model as model
from viewer.tei import read_letter

ICBL = Path(__file__).resolve().parents[1] / "letters" / "icbl-2007-07-24-anama.xml"
RECORDS = [
    cls
    for _name, cls in inspect.getmembers(model, inspect.isclass)
    if dataclasses.is_dataclass(cls) and cls.__module__ == model.__name__
]


def _plain(cls: type) -> type:
    """The same fields in a class made by ``@dataclass(frozen=True)`` alone."""
    specs = []
    for f in dataclasses.fields(cls):
        options = {"compare": f.compare, "repr": f.repr, "init": f.init}
        if f.default is not dataclasses.MISSING:
            options["default"] = f.default
        if f.default_factory is not dataclasses.MISSING:
            options["default_factory"] = f.default_factory
        specs.append((f.name, f.type, dataclasses.field(**options)))
    return dataclasses.make_dataclass(cls.__name__, specs, frozen=True)


def _as_plain(value):
    """``value`` rebuilt from the plain classes (recursively), to compare with."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        plain = _plain(type(value))
        fields = dataclasses.fields(value)
        made = plain(**{f.name: _as_plain(getattr(value, f.name)) for f in fields if f.init})
        for f in fields:
            if not f.init:  # e.g. Letter._counts
                object.__setattr__(made, f.name, getattr(value, f.name))
        return made
    if isinstance(value, tuple):
        return tuple(_as_plain(item) for item in value)
    return value


def test_every_model_class_is_covered():
    assert len(RECORDS) >= 20
    assert all(issubclass(cls, model._Record) for cls in RECORDS)


def test_a_read_letter_compares_hashes_and_shows_as_plain_dataclasses_do():
    letter = read_letter(ICBL)
    plain = _as_plain(letter)
    assert repr(letter) == repr(plain)
    for mine, theirs in [
        (letter.mentions, plain.mentions),
        (letter.entities, plain.entities),
        (letter.letterhead, plain.letterhead),
        (letter.date, plain.date),
    ]:
        assert repr(mine) == repr(theirs)
        assert hash(mine) == hash(theirs)
    assert letter == read_letter(ICBL)
    assert pickle.loads(pickle.dumps(letter)) == letter
    assert copy.deepcopy(letter) == letter


def test_equality_is_by_class_and_compared_fields():
    mention = model.Mention(1, 4, "person", ("p1",))
    assert mention == model.Mention(1, 4, "person", ("p1",))
    assert mention != model.Mention(1, 5, "person", ("p1",))
    assert hash(mention) == hash(model.Mention(1, 4, "person", ("p1",)))
    assert mention != (1, 4, "person", ("p1",))
    assert mention.__eq__(object()) is NotImplemented
    assert model.Block(1, 4, "p") != model.Span(1, 4, "p")
    # Fields with compare=False are left out, as dataclasses does.
    staged = model.StagedLetter(model.Letter("f", "t", "x"), rest=lambda: None)
    assert staged == model.StagedLetter(model.Letter("f", "t", "x"))
    assert "rest" not in repr(staged) and "_entity_index" not in repr(staged)
    assert {mention: 1}[model.Mention(1, 4, "person", ("p1",))] == 1


def test_still_frozen():
    entity = model.Entity("p1", "person", "Anna")
    with pytest.raises(dataclasses.FrozenInstanceError):
        entity.name = "Bob"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del entity.kind
    assert dataclasses.replace(entity, name="Bob").name == "Bob"


@pytest.mark.parametrize("cls", RECORDS, ids=lambda cls: cls.__name__)
def test_init_takes_what_the_dataclass_init_takes(cls):
    plain = _plain(cls)
    mine, theirs = inspect.signature(cls), inspect.signature(plain)
    assert [(p.name, p.kind) for p in mine.parameters.values()] == [
        (p.name, p.kind) for p in theirs.parameters.values()
    ]
    for name, parameter in theirs.parameters.items():
        if parameter.default is not inspect.Parameter.empty:
            default = mine.parameters[name].default
            assert default == parameter.default or default is model._FACTORY, name
    required = [p for p in theirs.parameters.values() if p.default is inspect.Parameter.empty]
    if required:
        with pytest.raises(TypeError):
            cls()  # the required fields are required, as they are for the dataclass
    else:
        assert vars(cls()) == vars(plain())


def test_init_sets_every_field_calls_factories_per_instance_and_post_init():
    first, second = model.Letter("a.xml", "t", "x"), model.Letter("a.xml", "t", "x")
    assert vars(first) == vars(_as_plain(first))  # every field set, none more
    assert first._entity_index is not second._entity_index  # a fresh dict per letter
    assert first._counts is not second._counts and first._counts == {}
    anna = model.Entity("p1", "person", "Anna")
    letter = model.Letter("a.xml", "t", "x", entities=(anna,))
    assert letter.entity("p1") is anna  # __post_init__ ran
    given: dict = {}
    assert model.Letter("a.xml", "t", "x", _entity_index=given)._entity_index is given
    with pytest.raises(TypeError):
        model.Letter("a.xml", "t", "x", _counts={})  # init=False, as in the dataclass
    assert model.Mention(1, 2, "person").entities == () and model.Span(0, 1, "b").detail == ""


@pytest.mark.parametrize("cls", RECORDS, ids=lambda cls: cls.__name__)
def test_every_class_says_what_it_is(cls):
    # Without a docstring dataclasses makes one from inspect.signature(cls), which at import
    # (before __init__ is set) costs a tokenizer start-up and shows no fields.
    assert cls.__doc__ and not cls.__doc__.startswith(f"{cls.__name__}(")
