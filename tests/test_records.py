"""viewer.records: classes that behave as ``@dataclass`` classes although they share one
``__eq__``, ``__hash__``, ``__repr__``, ``__setattr__`` and ``__delattr__`` (Record,
MutableRecord) and make their ``__init__`` themselves (init_of), for start-up time: the
model's classes and the other records of the Qt-free core (tests/gui/test_gui_records.py
checks the window's)."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from pathlib import Path

import pytest
from recordcheck import (
    check_hash_follows_the_dataclass,
    check_init_takes_what_the_dataclass_init_takes,
    check_says_what_it_is,
    plain,
    records_in,
)

import viewer.filtering
import viewer.layout
import viewer.linebreaks
import viewer.model as model
import viewer.session
import viewer.tei.catalog
from viewer.records import MutableRecord, Record, frozen, mutable
from viewer.tei import read_letter

ICBL = Path(__file__).resolve().parents[1] / "letters" / "icbl-2007-07-24-anama.xml"
MODEL_RECORDS = [
    cls
    for _name, cls in inspect.getmembers(model, inspect.isclass)
    if dataclasses.is_dataclass(cls) and cls.__module__ == model.__name__
]
RECORDS = MODEL_RECORDS + records_in(
    viewer.filtering, viewer.layout, viewer.linebreaks, viewer.session, viewer.tei.catalog
)


def _as_plain(value):
    """``value`` rebuilt from the plain classes (recursively), to compare with."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        made_as = plain(type(value))
        fields = dataclasses.fields(value)
        made = made_as(**{f.name: _as_plain(getattr(value, f.name)) for f in fields if f.init})
        for f in fields:
            if not f.init:  # e.g. Letter._counts
                object.__setattr__(made, f.name, getattr(value, f.name))
        return made
    if isinstance(value, tuple):
        return tuple(_as_plain(item) for item in value)
    return value


def test_every_model_class_is_covered():
    assert len(MODEL_RECORDS) >= 20
    assert all(issubclass(cls, Record) for cls in MODEL_RECORDS)
    assert len(RECORDS) >= len(MODEL_RECORDS) + 8


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
    check_init_takes_what_the_dataclass_init_takes(cls)


@pytest.mark.parametrize("cls", RECORDS, ids=lambda cls: cls.__name__)
def test_hash_follows_the_dataclass(cls):
    check_hash_follows_the_dataclass(cls)


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
    check_says_what_it_is(cls)


def test_a_mutable_record_assigns_compares_and_shows_as_a_dataclass_does():
    scan = viewer.tei.catalog.FolderScan([Path("a.xml")], True)
    same = viewer.tei.catalog.FolderScan([Path("a.xml")], True)
    assert scan == same and scan is not same
    assert scan != viewer.tei.catalog.FolderScan([], True)
    assert repr(scan) == repr(plain(viewer.tei.catalog.FolderScan)([Path("a.xml")], True))
    with pytest.raises(TypeError):
        hash(scan)  # unhashable, as a dataclass with eq and without frozen
    scan.has_letters = False
    assert scan != same
    assert dataclasses.replace(scan, has_letters=True) == same


def test_a_record_needs_its_base_and_a_docstring():
    with pytest.raises(TypeError, match="derive from Record"):

        @frozen
        class Loose:
            """Not a Record."""

            name: str

    with pytest.raises(TypeError, match="docstring"):

        @mutable
        class Silent(MutableRecord):
            name: str
