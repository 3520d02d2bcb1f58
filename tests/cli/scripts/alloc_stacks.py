"""Allocations for test_alloc_profile.py's run of monitors/allocations:
lists, dicts, strings and bytearrays made at a few stacks, some kept to
the end, some freed before it."""

kept = []


def build(n):
    return [str(i) * 3 for i in range(n)]


def table(n):
    return {i: bytearray(64) for i in range(n)}


def work():
    temporary = build(2000)
    kept.append(table(300))
    del temporary
    kept.append(build(500))


def main():
    for _ in range(3):
        work()


main()
