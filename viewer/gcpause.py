"""One pause of Python's cyclic garbage collector, for building many small objects at once.

Reading a letter, building its document and indexing a collection each
allocate hundreds of thousands of small objects (tuples, dicts, lxml proxies)
that form no reference cycles; the collector's passes in between would only
rescan an ever larger heap (at 2 MB with 50,000 mentions, a third of the
reading time). :func:`paused_gc` switches it off for a block and back on only
if it was on: pauses nest, and a caller that had it off keeps it off.
:func:`pause_gc` does the same for a stretch that is not one block (the
window's start, until its first paint): it returns the function that ends it.
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


def pause_gc() -> Callable[[], None]:
    """Switch the collector off; the function returned switches it back on if it was on
    (its first call only: calling it again does nothing)."""
    was_enabled = {"yes": gc.isenabled()}
    gc.disable()

    def resume() -> None:
        if was_enabled.pop("yes", False):
            gc.enable()

    return resume


__all__ = ["pause_gc", "paused_gc"]
