"""Sleeps 0.3 s inside nap(): a wall clock counts it, a CPU clock does
not."""
import time


def nap():
    time.sleep(0.3)


def spin():
    return sum(i * i for i in range(100000))


nap()
spin()
print("awake")
