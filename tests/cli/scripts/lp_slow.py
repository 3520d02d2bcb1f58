"""About one second of calls to step(), for snapshots every 0.1 s."""
import time


def step():
    total = 0
    for i in range(200):
        total += i
    return total


deadline = time.monotonic() + 1.0
while time.monotonic() < deadline:
    step()
