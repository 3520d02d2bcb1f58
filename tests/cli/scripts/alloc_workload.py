"""Allocations for tests/cli/test_allocations.py, which runs this file
twice: under pikos (monitors/allocations), and under python3 with
ALLOC_ORACLE=PATH, where tracemalloc watches the same work and its
statistics by line are written to PATH as JSON.

Every block the work allocates stays alive to the end (`kept`), so that
"allocated" and "live" agree and tracemalloc, which sees only live blocks,
is an oracle for both.  The work makes no object that the interpreter keeps
on a free list and hands out again later in the run: tracemalloc
re-attributes such an object to the line that takes it from the list,
while an allocator hook (pikos) never sees it taken (docs/records.md).
The lines the test compares say so in a comment; those marked "allocated"
free nothing, so that pikos's bytes allocated there equal tracemalloc's
live ones too.
"""
import os
import sys
import threading
import tracemalloc

ORACLE = os.environ.get("ALLOC_ORACLE")
if ORACLE:
    tracemalloc.start(1)

kept = []


def drain_free_lists():
    """Takes every dict, dict-keys and list object the interpreter keeps
    for reuse, so that the work below gets its own from the allocator in
    both runs (how many are kept depends on what ran before)."""
    return [({"k": None}, []) for _ in range(500)]


def presized(n):
    slots = [None] * n
    for i in range(n):
        slots[i] = bytearray(100 + i % 11)  # compared, allocated
    kept.append(slots)


def strings(n):
    out = kept
    for i in range(n):
        out.append("s" * (40 + i % 13))  # compared


def byte_arrays(n):
    out = kept
    for i in range(n):
        out.append(bytearray(64 + i % 5))  # compared


def dicts(n):
    out = kept
    for i in range(n):
        out.append({"a" * (i % 3 + 1): i, "b": i})  # compared


def numbers(n):
    out = kept
    for i in range(n):
        out.append(10 ** 30 + i)  # compared


def generated(n):
    for _ in range(n):
        yield bytearray(32)  # compared


def from_generators(n):
    kept.extend(generated(n))


def in_threads(count, n):
    def work():
        presized(n)
        strings(n)
    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main(which):
    drained = drain_free_lists()
    for name in which:
        if name == "strings":
            strings(3000)
        elif name == "byte_arrays":
            byte_arrays(3000)
        elif name == "dicts":
            dicts(2000)
        elif name == "numbers":
            numbers(2000)
        elif name == "generators":
            from_generators(1500)
        elif name == "threads":
            in_threads(4, 500)
        elif name == "presized":
            presized(2000)
    kept.append(drained)


main(sys.argv[1:])

if ORACLE:
    import json
    snapshot = tracemalloc.take_snapshot()
    tracemalloc.stop()
    lines = {}
    for stat in snapshot.statistics("lineno"):
        frame = stat.traceback[0]
        if frame.filename == __file__:
            lines[frame.lineno] = [stat.size, stat.count]
    with open(ORACLE, "w") as stream:
        json.dump(lines, stream)
