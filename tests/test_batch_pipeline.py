"""batch.pipeline.ordered_map: results in item order, bounded work in flight, nothing lost on early stop."""
from __future__ import annotations

import random
import threading
import time

from archcolour.batch import ordered_map


def test_results_come_in_item_order_whatever_order_they_finish_in():
    rng = random.Random(3)
    delays = [rng.random() * 0.02 for _ in range(30)]

    def fn(i):
        time.sleep(delays[i])
        return i

    assert list(ordered_map(fn, range(30), jobs=4)) == list(range(30))
    assert list(ordered_map(fn, range(5), jobs=1)) == list(range(5))


def test_at_most_jobs_in_flight_and_a_heavy_item_runs_alone():
    lock = threading.Lock()
    now, peak, alone = [0], [0], []

    def fn(i):
        with lock:
            now[0] += 1
            peak[0] = max(peak[0], now[0])
            if i == 5:
                alone.append(now[0])
        time.sleep(0.01)
        with lock:
            now[0] -= 1
        return i

    out = list(ordered_map(fn, range(12), jobs=3, weight=lambda i: 100 if i == 5 else 1, budget=10))
    assert out == list(range(12)) and peak[0] == 3 and alone == [1]


def test_stop_starts_nothing_new_but_finishes_what_is_in_flight():
    started = []
    stop = threading.Event()

    def fn(i):
        started.append(i)
        time.sleep(0.01)
        return i

    got = []
    for r in ordered_map(fn, range(20), jobs=2, stop=stop.is_set):
        got.append(r)
        stop.set()
    assert got == sorted(started) and 1 <= len(got) <= 3


def test_results_in_flight_when_the_consumer_stops_are_handed_on_not_swallowed():
    handed = []
    gate = threading.Event()

    def fn(i):
        if i > 0:
            gate.wait(2)
            return ("failed", i)  # e.g. a write that failed after the consumer left
        return ("done", i)

    gen = ordered_map(fn, range(3), jobs=3, on_abandoned=handed.append)
    assert next(gen) == ("done", 0)
    gate.set()
    gen.close()
    assert sorted(handed) == [("failed", 1), ("failed", 2)]
