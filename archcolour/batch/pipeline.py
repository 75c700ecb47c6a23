"""An ordered, bounded work queue: run ``fn`` over items on up to ``jobs`` threads, results in order.

This is the whole prefetch / write-behind machinery: while the network works on one image, the next
is decoded and the previous one encoded, because each runs as its own task. Results come out in the
order of the items whatever order they finish in; at most ``jobs`` tasks, and at most ``budget`` units
of ``weight`` (pixels, for memory), are in flight; an item heavier than the budget runs alone.

When the consumer stops early (closes the generator), tasks in flight are finished, never abandoned
half-way, and each result is handed to ``on_abandoned`` (the batch records it; a failure is not
swallowed).
"""
from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, jobs: int = 1,
                weight: Callable[[T], int] | None = None, budget: int | None = None,
                stop: Callable[[], bool] = lambda: False,
                on_abandoned: Callable[[R], None] | None = None) -> Iterator[R]:
    """Yield ``fn(item)`` for each item, in order; ``stop()`` is checked before each new item starts.

    ``fn`` should not raise (turn failures into results); if it does, the exception comes out of the
    generator at that item's turn. ``jobs <= 1`` runs everything on the caller's thread.
    """
    if jobs <= 1:
        for item in items:
            if stop():
                return
            yield fn(item)
        return
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="archcolour-job")
    pending: deque[tuple[Future, int]] = deque()
    it = iter(items)
    held: list[T] = []  # an item waiting for room in the budget
    load = 0
    exhausted = False
    try:
        while True:
            while not exhausted and len(pending) < jobs and not stop():
                if held:
                    item = held.pop()
                else:
                    try:
                        item = next(it)
                    except StopIteration:
                        exhausted = True
                        break
                w = weight(item) if weight is not None else 0
                if budget is not None and pending and load + w > budget:
                    held.append(item)  # wait until what is in flight leaves room
                    break
                pending.append((pool.submit(fn, item), w))
                load += w
            if not pending:
                return
            fut, w = pending.popleft()
            result = fut.result()
            load -= w
            yield result
    finally:
        while pending:
            fut, _ = pending.popleft()
            try:
                result = fut.result()
            except BaseException:  # noqa: BLE001 - a bug in fn: nothing to hand on
                continue
            if on_abandoned is not None:
                on_abandoned(result)
        pool.shutdown(wait=True)
