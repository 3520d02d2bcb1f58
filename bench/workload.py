"""The call-heavy workload of `make bench`.

Recursive calls, small method calls and builtin (C) calls, about
EVENTS profile events in all (call/return/c_call/c_return).  It prints the
wall time of the work itself, so that interpreter start-up and profiler
set-up stay out of the measurement.
"""
import sys
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def moved(self, dx):
        return Point(self.x + dx, self.y)

    def norm1(self):
        return abs(self.x) + abs(self.y)


def walk(steps):
    p = Point(0, 0)
    total = 0
    for i in range(steps):
        p = p.moved(1)
        total += p.norm1()
    return total


def main(rounds):
    for _ in range(rounds):
        fib(18)        # 8361 calls
        walk(2000)     # 2000 x (moved, __init__, norm1, 2 abs)


def focus_target():
    """The focus of `make bench`'s focus suites: it runs once, after the
    measured work, so that the focus matches a function that ran (pikos
    fails a run whose focus matches nothing) while every measured event
    is outside it."""


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 250
    start = time.perf_counter()
    main(rounds)
    elapsed = time.perf_counter() - start
    focus_target()
    print("elapsed=%.6f" % elapsed)
