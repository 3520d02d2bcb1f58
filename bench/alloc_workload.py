"""The allocation-heavy workload of `make bench` (suite `allocations`).

Small objects made and dropped in a loop, a few calls deep: strings,
dicts, bytearrays and lists, about 67 blocks allocated (and as many freed)
a round; the bench counts them exactly with allocator functions that only
count.  It prints the wall time of the work itself, so that interpreter
start-up and profiler set-up stay out of the measurement.
"""
import sys
import time


def leaf(i):
    return [str(i), {"k": i}, bytearray(i % 200)]


def middle(n):
    kept = []
    for i in range(n):
        kept.append(leaf(i))
    return len(kept)


def main(rounds):
    for _ in range(rounds):
        middle(10)


def focus_target():
    """Not called by the measured work (the focus suites' convention)."""


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30000
    start = time.perf_counter()
    main(rounds)
    elapsed = time.perf_counter() - start
    print("elapsed=%.6f" % elapsed)
