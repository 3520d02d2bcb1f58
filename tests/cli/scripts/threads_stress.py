"""Four threads making many function events at once (and the main thread
too), so that their records interleave."""
import sys
import threading


def leaf(x):
    return len(str(x))


def branch(n):
    total = 0
    for i in range(n):
        total += leaf(i) + abs(-i)
    return total


def worker(rounds):
    for _ in range(rounds):
        branch(50)


ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
threads = [threading.Thread(target=worker, args=(ROUNDS,)) for _ in range(4)]
for thread in threads:
    thread.start()
worker(ROUNDS // 4)
for thread in threads:
    thread.join()
