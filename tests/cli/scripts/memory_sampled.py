"""Reads its own memory, then allocates 200 MB (test_memory.py).

Prints `rss vms` as read from /proc/self/statm in the line before
`compare_here`, so that a test can compare it with what the monitor
recorded at that line.
"""
import os
import time

PAGE = os.sysconf("SC_PAGE_SIZE")
kept = []


def statm():
    with open("/proc/self/statm") as stream:
        size, resident = stream.read().split()[:2]
    return int(resident) * PAGE, int(size) * PAGE


def main():
    time.sleep(0.1)  # the sampler reads many times meanwhile, even when
    # the machine is busy (its thread may wait its turn for the CPU)
    rss, vms = statm()
    compare_here = 1
    kept.append(bytearray(200 * 1024 * 1024))
    time.sleep(0.2)  # many intervals: the sampler has seen it since
    grown = len(kept)
    print(rss, vms, compare_here, grown)


main()
