"""Nested calls, C calls, recursion and a second thread (test_perfetto.py)."""
import threading


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def inner(items):
    return sorted(items)


def outer():
    return inner([3, 1, 2]), len("abc")


def worker():
    outer()
    return fib(3)


thread = threading.Thread(target=worker)
thread.start()
thread.join()
outer()
print(fib(5))
