"""One pause of Python's cyclic garbage collector, for building many small objects at once.

Reading a letter, building its document and indexing a collection each
allocate hundreds of thousands of small objects (tuples, dicts, lxml proxies)
that form no reference cycles; the collector's passes in between would only
rescan an ever larger heap (at 2 MB with 50,000 mentions, a third of the
reading time). :func:`paused_gc` switches it off for a block and back on only
if it was on: pauses nest, and a caller that had it off keeps it off.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


__all__ = ["paused_gc"]
