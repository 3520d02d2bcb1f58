"""Many short calls: what a trace takes per call (test_perfetto.py)."""


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def words(n):
    return [str(i).upper() for i in range(n)]


print(fib(16), len(words(2000)))
