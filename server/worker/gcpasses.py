"""When the worker lets Python's cyclic garbage collector run.

A national backfill allocates millions of short-lived objects (decoded sheets, scores,
explanations, rows) beside a large long-lived heap (the directory: ~276,000 `config`
documents). Each collection of the oldest generation walks that whole heap; under the
default thresholds they cost ~7% of the backfill. Nothing here changes what is freed:
refcounting frees the worker's objects as soon as they are dropped, and cycles are still
collected, only at the end of a page instead of in the middle of it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["long_lived", "paused"]


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No cyclic GC pass inside the block (a page of CPU work); passes resume after it.
    Re-entrant: only the outermost block that disabled the collector enables it again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Load data that lives as long as the process (the directory) without GC passes while
    it grows, then freeze everything alive (`gc.freeze`): later passes skip it."""
    with paused():
        try:
            yield
        finally:
            gc.freeze()
