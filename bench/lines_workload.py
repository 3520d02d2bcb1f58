"""The line-heavy workload of `make bench`.

A tight loop of small statements: about 3,100 line events a round (the
bench counts them exactly with a do-nothing C trace callback), so the
default of 9,700 rounds makes some 30 million.  It prints the wall time of
the work itself, so that interpreter start-up and profiler set-up stay out
of the measurement.
"""
import sys
import time


def accumulate(values):
    total = 0
    for value in values:
        total += value
        if total > 5000:
            total -= 5000
    return total


def main(rounds):
    values = list(range(1000))
    for _ in range(rounds):
        accumulate(values)


def focus_target():
    """The focus of `make bench`'s focus suites: it runs once, after the
    measured work, so that the focus matches a function that ran (pikos
    fails a run whose focus matches nothing) while every measured event
    is outside it."""


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 9700
    start = time.perf_counter()
    main(rounds)
    elapsed = time.perf_counter() - start
    focus_target()
    print("elapsed=%.6f" % elapsed)
