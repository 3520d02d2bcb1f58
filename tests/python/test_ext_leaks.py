"""No memory growth over 10,000 cycles of the _pikos extension's pipeline
life: Python objects are counted with tracemalloc, memory the C side
allocates with the process's resident size."""
import gc
import os
import tracemalloc

import pytest

import workloads
from pikos import _pikos

CYCLES = 10_000
WARM_UP = 500  # free lists, caches and the first arena chunks
MAX_TRACED_GROWTH = 64 * 1024  # bytes: less than 7 per cycle
MAX_RSS_GROWTH = 1024  # KiB: less than 105 bytes per cycle


def rss_kib():
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


class Counter:
    """A Python recorder that keeps nothing but a count."""

    def __init__(self):
        self.count = 0

    def prepare(self, record_class):
        pass

    def record(self, record):
        self.count += 1

    def finalize(self):
        pass


class Raising(Counter):
    def record(self, record):
        raise ValueError("every run")


def calls_only(record):
    return record.type == "call"


def full_cycle():
    """A new pipeline with C and Python plugins: nested start and stop,
    records read, then dropped."""
    counter = Counter()
    pipe = _pikos.Pipeline()
    pipe.add("monitors/functions", {"threads": "current"})
    pipe.add_python_filter(calls_only)
    pipe.add_python_recorder(counter)
    kept = pipe.add("recorders/list")
    pipe.start()
    pipe.start()
    workloads.helper(1)
    pipe.stop()
    pipe.stop()
    assert len(kept.records()) == counter.count > 0


def make_failing_cycle():
    """The same pipeline run again and again, its recorder raising in every
    run, stop() raising it."""
    pipe = _pikos.Pipeline()
    pipe.add("monitors/functions", {"threads": "current"})
    pipe.add_python_recorder(Raising())

    def cycle():
        pipe.start()
        workloads.helper(1)
        with pytest.raises(ValueError):
            pipe.stop()
    return cycle


def run(cycle, count):
    for _ in range(count):
        cycle()
    gc.collect()


@pytest.mark.parametrize("make_cycle", [lambda: full_cycle,
                                        make_failing_cycle],
                         ids=["new_pipelines", "failing_runs"])
def test_no_python_growth(make_cycle):
    cycle = make_cycle()
    run(cycle, WARM_UP)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        run(cycle, CYCLES)
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert growth < MAX_TRACED_GROWTH


# In a sanitizer build (run-tests.sh preloads ASan), freed memory waits in
# ASan's quarantine: the resident size says nothing about leaks there.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


@pytest.mark.skipif(UNDER_ASAN, reason="ASan's quarantine holds freed memory")
@pytest.mark.parametrize("make_cycle", [lambda: full_cycle,
                                        make_failing_cycle],
                         ids=["new_pipelines", "failing_runs"])
def test_no_rss_growth(make_cycle):
    cycle = make_cycle()
    run(cycle, WARM_UP)
    before = rss_kib()
    run(cycle, CYCLES)
    assert rss_kib() - before < MAX_RSS_GROWTH
