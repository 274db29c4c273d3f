"""Records: classes that behave as ``@dataclass`` classes, made without compiling each method.

``@dataclass`` writes and compiles (``exec``) an ``__init__``, ``__repr__``,
``__eq__`` and, when frozen, ``__setattr__``/``__delattr__``/``__hash__`` for
every class: half a millisecond to a millisecond and a half each, which every
start of the window paid for each of its classes. Here the methods but
``__init__`` are written once, in :class:`Record` and :class:`MutableRecord`,
and ``__init__`` is compiled in one ``exec`` per class; ``dataclasses`` only
collects the fields, so :func:`dataclasses.fields`, :func:`dataclasses.replace`
and :func:`dataclasses.asdict` work as before.

* ``@frozen`` on a :class:`Record` subclass: as ``@dataclass(frozen=True)``.
* ``@mutable`` on a :class:`MutableRecord` subclass: as ``@dataclass``.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields
from operator import attrgetter
from typing import TypeVar, dataclass_transform

_R = TypeVar("_R")


class MutableRecord:
    """``__eq__`` and ``__repr__`` as ``@dataclass`` generates them (the same fields
    compared and shown, the same results); unhashable, as a dataclass with ``eq``."""

    __slots__ = ()
    _compared: Callable[[object], tuple]  # the values of the fields with compare=True
    _shown: tuple[str, ...]  # the names of the fields with repr=True
    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other: object):
        if other.__class__ is self.__class__:
            return self._compared(self) == other._compared(other)  # type: ignore[attr-defined]
        return NotImplemented

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._shown)
        return f"{self.__class__.__qualname__}({shown})"


class Record(MutableRecord):
    """Also ``__hash__``, ``__setattr__`` and ``__delattr__`` as ``@dataclass(frozen=True)``
    generates them (the same hash, the same errors)."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._compared(self))

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getter(names: tuple[str, ...]) -> Callable[[object], tuple]:
    if len(names) > 1:
        return attrgetter(*names)
    return lambda record: tuple(getattr(record, name) for name in names)


FACTORY = object()  # the default of a parameter whose field has a default factory


def init_of(cls: type) -> Callable[..., None]:
    """The ``__init__`` that ``@dataclass`` would generate for ``cls``'s fields:
    parameters in field order with their defaults, each field set with
    ``object.__setattr__``, default factories called per instance, then
    ``__post_init__``. One ``exec`` for the one method."""
    parameters: list[str] = []
    body: list[str] = []
    scope: dict[str, object] = {"_set": object.__setattr__, "_FACTORY": FACTORY}
    for f in fields(cls):
        value = f.name
        if f.default_factory is not MISSING:
            scope[f"_make_{f.name}"] = f.default_factory
            if f.init:
                parameters.append(f"{f.name}=_FACTORY")
                value = f"_make_{f.name}() if {f.name} is _FACTORY else {f.name}"
            else:
                value = f"_make_{f.name}()"
        elif f.default is not MISSING:
            scope[f"_default_{f.name}"] = f.default
            if f.init:
                parameters.append(f"{f.name}=_default_{f.name}")
            else:
                value = f"_default_{f.name}"
        elif f.init:
            parameters.append(f.name)
        body.append(f"    _set(self, {f.name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    source = f"def __init__(self, {', '.join(parameters)}):\n" + "\n".join(body or ["    pass"])
    exec(source, scope)  # the source is made here from the class's own field names
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    return init  # type: ignore[return-value]


def _made(cls: type[_R], base: type) -> type[_R]:
    if not issubclass(cls, base):
        raise TypeError(f"{cls.__qualname__} must derive from {base.__qualname__}")
    # Without a docstring dataclasses makes one from inspect.signature(cls): a tokenizer
    # start-up, and no fields shown, since __init__ is not set yet.
    if not cls.__doc__:
        raise TypeError(f"{cls.__qualname__} needs a docstring")
    cls = dataclass(init=False, repr=False, eq=False)(cls)
    cls.__init__ = init_of(cls)  # type: ignore[misc]
    compared = tuple(f.name for f in fields(cls) if f.compare)
    cls._compared = staticmethod(_getter(compared))  # type: ignore[attr-defined]
    cls._shown = tuple(f.name for f in fields(cls) if f.repr)  # type: ignore[attr-defined]
    return cls


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[_R]) -> type[_R]:
    """``@dataclass(frozen=True)`` for a :class:`Record` subclass with a docstring."""
    return _made(cls, Record)


@dataclass_transform(field_specifiers=(field,))
def mutable(cls: type[_R]) -> type[_R]:
    """``@dataclass`` for a :class:`MutableRecord` subclass with a docstring."""
    return _made(cls, MutableRecord)


__all__ = ["FACTORY", "MutableRecord", "Record", "frozen", "init_of", "mutable"]
