"""One pause of Python's cyclic garbage collector, for building many small objects at once.

Reading a letter, building its document and indexing a collection each
allocate hundreds of thousands of small objects (tuples, dicts, lxml proxies)
that form no reference cycles; the collector's passes in between would only
rescan an ever larger heap (at 2 MB with 50,000 mentions, a third of the
reading time). :func:`paused_gc` switches it off for a block and back on only
if it was on: pauses nest, and a caller that had it off keeps it off.
:func:`pause_gc` does the same for a stretch that is not one block (the
window's start, until its first paint): it returns the function that ends it,
which can also freeze what the stretch built (``freeze=True``): the window's
start leaves tens of thousands of objects (modules, classes, Qt's enums,
widgets) that live as long as the process, and switching the collector back on
with them still young made its first pass over all of them (about 7 ms, right
after the first paint); frozen, no pass ever scans them again.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    resume = pause_gc()
    try:
        yield
    finally:
        resume()


def pause_gc() -> Callable[..., None]:
    """Switch the collector off; the function returned switches it back on if it was on
    (its first call only: calling it again does nothing). ``resume(freeze=True)`` first
    moves every object alive to the collector's permanent generation (:func:`gc.freeze`),
    for a stretch whose objects stay: their cycles, should they ever become garbage, are
    then never collected."""
    was_enabled = {"yes": gc.isenabled()}
    gc.disable()

    def resume(*, freeze: bool = False) -> None:
        if was_enabled.pop("yes", False):
            if freeze:
                gc.freeze()
            gc.enable()

    return resume


__all__ = ["pause_gc", "paused_gc"]
