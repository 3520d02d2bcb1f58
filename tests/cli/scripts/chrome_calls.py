"""Nested calls, C calls (one that raises), recursion and a second thread,
for recorders/chrome_trace; each thread prints its OS thread id."""
import threading


def leaf(x):
    return abs(x)


def nested(n):
    return leaf(n) + leaf(-n)


def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


def fails():
    try:
        divmod(1, 0)
    except ZeroDivisionError:
        return -1


def in_worker():
    print("worker", threading.get_native_id())
    nested(3)
    fact(4)


def main():
    print("main", threading.get_native_id())
    worker = threading.Thread(target=in_worker)
    worker.start()
    worker.join()
    nested(1)
    fact(5)
    fails()
    return sorted([3, 1, 2])


main()
