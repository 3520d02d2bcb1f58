"""Allocates 200 MB inside a function and keeps it (test_memory.py)."""
SIZE = 200 * 1024 * 1024
kept = []


def allocate():
    before = len(kept)
    kept.append(bytearray(SIZE))
    after = len(kept)
    return after - before


allocate()
