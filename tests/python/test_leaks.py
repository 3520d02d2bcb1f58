"""10,000 enable/record/disable cycles leak nothing: Python memory
(tracemalloc), the C heap (glibc's mallinfo2: bytes in use) and the
process's resident memory (RSS) stay flat.

RSS moves by a megabyte or two with the heap's fragmentation whether or
not anything leaks, so it only catches gross leaks; the heap's bytes in
use catch a C leak of a few bytes per cycle.  The Python memory blocks
allocated during the cycles and alive after them are counted too: growth that
levels off can stay under the byte limits on one run and not on the next
(a fresh attribute name string per run, which CPython's type attribute
cache keeps alive, was ~1,000 str objects and 30-60 KB), but hundreds of
surviving blocks say the same thing on every run."""
import ctypes
import gc
import io
import os
import tracemalloc

import oracle
import pikos
import workloads
from pikos.filters.api import OnChange, OnValue
from pikos.monitors.api import FocusedLineMonitor, FunctionMonitor
from pikos.recorders.api import CSVRecorder, ListRecorder, \
    TextFileRecorder

CYCLES = 10_000
WARM_UP = 1_000


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
        "fsmblks", "uordblks", "fordblks", "keepcost")]


def _heap_reader():
    libc = ctypes.CDLL(None)
    if not hasattr(libc, "mallinfo2"):
        return None
    libc.mallinfo2.restype = MallInfo2

    def heap_in_use():
        info = libc.mallinfo2()
        return info.uordblks + info.hblkhd
    return heap_in_use


heap_in_use = _heap_reader()


def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def snapshot():
    gc.collect()
    # Less what tracemalloc itself holds on the heap (its traces).
    heap = heap_in_use() - tracemalloc.get_tracemalloc_memory() \
        if heap_in_use else 0
    return tracemalloc.get_traced_memory()[0], heap, rss()


def growth(cycle):
    """(Python bytes, C heap bytes, RSS bytes, Python blocks) gained from
    the end of the warm-up to the end of the cycles."""
    for _ in range(WARM_UP):
        cycle()
    tracemalloc.start()
    try:
        before = snapshot()
        for _ in range(CYCLES - WARM_UP):
            cycle()
        after = snapshot()
        # Every memory block traced was allocated after the warm-up.
        blocks = len(tracemalloc.take_snapshot().traces)
    finally:
        tracemalloc.stop()
    return [b - a for a, b in zip(before, after)] + [blocks]


# In a sanitizer build (run-tests.sh preloads ASan), freed memory waits in
# ASan's quarantine: the resident size says nothing about leaks there.
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


def check(cycle):
    python, heap, resident, blocks = growth(cycle)
    # One leaked object of a few bytes per cycle would be 9,000 of them.
    assert python < 64 * 1024, f"Python memory grew by {python} bytes"
    assert heap < 64 * 1024, f"the C heap grew by {heap} bytes"
    # A handful stay (what the measuring itself keeps); a leak, or a cache
    # filling up, keeps hundreds or thousands.
    assert blocks < 100, \
        f"{blocks} Python memory blocks allocated in the cycles outlive them"
    if not UNDER_ASAN:
        assert resident < 8 * 1024 * 1024, f"RSS grew by {resident} bytes"


def test_python_recorder_and_filters():
    """Records become Python objects, go through a Python filter and a C
    filter, and are written by a Python recorder."""
    stream = io.StringIO()
    recorder = CSVRecorder(stream, filter_=[OnValue("type", "call",
                                                    "return"),
                                            lambda record: record.index >= 0])
    monitor = FunctionMonitor(recorder)

    def cycle():
        with monitor:
            workloads.helper(workloads.recursive())
        stream.seek(0)
        stream.truncate()
    check(cycle)


def test_c_recorder():
    monitor = FunctionMonitor(TextFileRecorder(os.devnull, formatted=True),
                              threads="all")

    def cycle():
        with monitor:
            workloads.plain()
    check(cycle)


def test_new_monitors_by_name():
    """Every cycle makes (and frees) a monitor and its plugins."""
    def cycle():
        monitor = pikos.monitor(
            "monitors/lines", functions=[workloads.gcd],
            recorder=pikos.recorder("recorders/csv", filename=os.devnull),
            filters=[OnChange("lineNo")])
        with monitor:
            workloads.recursive()
    check(cycle)


def test_focused_list_records():
    """ListRecorder.records made and dropped in every cycle."""
    expected = oracle.focused_line_events([workloads.gcd],
                                          workloads.recursive)

    def cycle():
        recorder = ListRecorder()
        with FocusedLineMonitor(recorder, functions=[workloads.gcd]):
            workloads.recursive()
        assert [tuple(record) for record in recorder.records] == expected
    check(cycle)
