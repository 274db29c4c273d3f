"""Fixtures of the hostile-input tests; the machinery lives in hostile_support.py."""

from .hostile_support import baseline_rss, fifo, listener, marker, secret, watch

__all__ = ["baseline_rss", "fifo", "listener", "marker", "secret", "watch"]
