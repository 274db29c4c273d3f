"""viewer.gcpause: the collector off for a block or a stretch, and back on only if it was."""

from __future__ import annotations

import gc

import pytest

from viewer.gcpause import pause_gc, paused_gc


@pytest.fixture(autouse=True)
def collector_restored():
    enabled = gc.isenabled()
    yield
    (gc.enable if enabled else gc.disable)()


def test_a_pause_ends_when_its_function_is_called_once():
    gc.enable()
    resume = pause_gc()
    assert not gc.isenabled()
    resume()
    assert gc.isenabled()
    gc.disable()
    resume()  # a second call changes nothing
    assert not gc.isenabled()


def test_pauses_nest_and_a_collector_that_was_off_stays_off():
    gc.enable()
    outer = pause_gc()
    with paused_gc():
        inner = pause_gc()
        inner()
        assert not gc.isenabled()  # the outer pauses still hold
    assert not gc.isenabled()
    outer()
    assert gc.isenabled()
    gc.disable()
    with paused_gc():
        pass
    pause_gc()()
    assert not gc.isenabled()


def test_a_resume_that_freezes_moves_what_is_alive_out_of_the_collectors_passes():
    gc.enable()
    resume = pause_gc()
    built = [[] for _ in range(100)]  # tracked containers, as a start builds them
    try:
        resume(freeze=True)
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(built)
        assert gc.get_count()[0] < len(built)  # none of them waits in the youngest generation
    finally:
        gc.unfreeze()


def test_a_resume_that_freezes_freezes_nothing_while_an_outer_pause_holds():
    gc.enable()
    outer = pause_gc()
    inner = pause_gc()
    try:
        inner(freeze=True)
        assert not gc.isenabled()
        assert gc.get_freeze_count() == 0
    finally:
        outer()
        gc.unfreeze()
