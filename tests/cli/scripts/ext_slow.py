"""Runs for about a second, calling work() all the time: snapshots taken
while it runs see work's call count grow."""
import time


def work():
    total = 0
    for i in range(2000):
        total += i
    return total


def main():
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        work()
    print("done")


main()
