"""The live heap rising and falling by known steps (tests/cli/test_heap.py).

Bytearrays of known sizes are kept, then freed, one at a time, and each
step is followed by a call of marker(): it sleeps longer than the
monitor's interval, so that its own allocation (one block: a bytes
object of a size other than the marker's before, so that the totals
change even when the step did not) makes the heap record of the state
after the step, inside the marker's call.  Between two markers the heap
changes by the step's bytearray (sys.getsizeof: its object and its
buffer), less the marker's block before (freed), plus the marker's
block after - so the records at two markers differ by exactly that.
Prints those differences, in bytes, as JSON: what test_heap.py compares
with.
"""
import json
import sys
import time

SIZES = [1_000_000, 3_000_000, 2_000_000]
MARKS = [100, 300]  # the markers' bytes, by turns
kept = [None, None, None]  # no list growth between markers


def marker(n):
    time.sleep(0.05)
    return bytes(n)


def main():
    kept[0] = bytearray(1)  # warm-up: every code path of the steps once
    kept[0] = None
    marker(MARKS[0])
    marker(MARKS[1])  # the baseline
    kept[0] = bytearray(SIZES[0])
    marker(MARKS[0])
    kept[1] = bytearray(SIZES[1])
    marker(MARKS[1])
    kept[2] = bytearray(SIZES[2])
    marker(MARKS[0])
    kept[1] = None
    marker(MARKS[1])
    kept[0] = None
    marker(MARKS[0])
    kept[2] = None
    marker(MARKS[1])


main()
size = [sys.getsizeof(bytearray(n)) for n in SIZES]
steps = [0, size[0], size[1], size[2], -size[1], -size[0], -size[2]]
mark = [sys.getsizeof(bytes(n)) for n in MARKS]
# marker i (from the baseline on) allocates mark[(i + 1) % 2] after
# marker i - 1's mark[i % 2] was freed
print(json.dumps([step + mark[(i + 1) % 2] - mark[i % 2]
                  for i, step in enumerate(steps)]))
