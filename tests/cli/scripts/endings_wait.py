"""Calls f() N times, prints "ready PID" (its own pid), then sleeps until
a signal ends it (status 9 if none came within a minute)."""
import os
import sys
import time

N = 10000


def f(n):
    return n + 1


n = 0
for _ in range(N):
    n = f(n)
print("ready", os.getpid(), flush=True)
time.sleep(60)
sys.exit(9)
