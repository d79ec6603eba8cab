"""Python's cyclic garbage collector during a long bulk job.

A bulk job (the register import) makes millions of short-lived lists,
dicts and row objects. CPython's collector then runs a young collection every 700 net
new container objects, and every hundredth time a full collection that walks every
container in the process: Django's, the job's caches, and all made since. In a
100,000-row import that was 2.1 s of 14 s (docs/benchmarks.md, section 3).

`bulk_job()` changes two things for its duration, and puts both back afterwards:

- the objects alive when it starts are moved out of the collector's reach
  (`gc.freeze()`): they are the program and the job's inputs, not garbage;
- young collections wait for 50,000 net new containers instead of 700.

Reference counting still frees nearly everything the moment it is no longer used; only
garbage in reference cycles waits for the (fewer) collections. The settings are the
process's: nested or concurrent jobs (threads) share them, and the last to finish
restores them.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 50_000

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def bulk_job() -> Iterator[None]:
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(YOUNG_THRESHOLD, *_saved[1:])
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                gc.unfreeze()
                _saved = None
