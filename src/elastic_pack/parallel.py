"""Work spread over processes with results in submission order, a bounded number ahead (backtest's file
decoding and preview's stretches of lines both merge in order and must not outrun the merge)."""

from __future__ import annotations

import gc
import os
from collections import deque
from contextlib import contextmanager
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def default_jobs() -> int:
    """One process per CPU this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def ordered_results(function: Callable[..., Any], tasks: Iterable[tuple], jobs: int, ahead: int) -> Iterator[Any]:
    """function(*task) for each task, computed by `jobs` processes, yielded in task order; at most `ahead`
    tasks are submitted beyond the one being yielded, so memory follows the merge, not the disk. One job
    runs them here, one at a time, without a pool."""
    if jobs <= 1:
        yield from (function(*task) for task in tasks)
        return
    pool = ProcessPoolExecutor(max_workers=jobs)
    try:
        pending: deque = deque()
        upcoming = iter(tasks)
        for task in upcoming:
            pending.append(pool.submit(function, *task))
            if len(pending) >= ahead:
                break
        while pending:
            result = pending.popleft().result()
            following = next(upcoming, None)
            if following is not None:
                pending.append(pool.submit(function, *following))
            yield result
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def fewer_collections(young: int = 20_000) -> Iterator[None]:
    """A long streaming run (backtest) allocates millions of short-lived objects: the garbage collector's
    young generation is collected every `young` allocations instead of Python's 700 (0.3 s of a 30-day
    backtest's rule process went to collections that found almost nothing), here and in the worker processes
    forked meanwhile. Every cycle is still collected; the thresholds are restored after."""
    before = gc.get_threshold()
    gc.set_threshold(max(young, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
