"""Prints "ready", then calls functions until a signal ends it."""
import sys
import time


def work(n):
    return n + 1


print("ready", flush=True)
deadline = time.monotonic() + 60
n = 0
while time.monotonic() < deadline:
    n = work(n)
sys.exit(9)  # no signal came
