"""How often the garbage collector runs its full passes during a scan.

A scan keeps many long-lived objects (the index's facts, the loaded cache)
and makes almost no reference cycles, so CPython's default thresholds
re-examine the same live objects over and over: a fifth of a cold scan of
Django's source and a third of a warm one. With these thresholds the
collector runs rarely; freed objects still go at once by reference count.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator

THRESHOLDS = (100_000, 50, 100)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """For a scan inside a longer-lived process: the thresholds are restored afterwards."""
    old = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()  # what no_collections froze is examined again, as a process's own objects are


def for_this_process() -> None:
    """For the command line, which exits after one scan: restoring the defaults there would
    only set off a full pass over everything the scan built, just before exit."""
    gc.set_threshold(*THRESHOLDS)


@contextlib.contextmanager
def no_collections() -> Iterator[None]:
    """For loading a cache file: many new objects and no garbage, which a collection would
    only examine again (loading one for Django's source took twice as long). They are frozen
    when it ends: the first collection after it would otherwise walk every one of them (half a
    second for Django's source) to find nothing; fewer_collections unfreezes them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
