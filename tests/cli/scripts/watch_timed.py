"""Direct and mutual recursion, C calls (one calling back into Python, one
raising) and a generator: the time table of `pikos watch`
(test_watch.py)."""


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


def key(word):
    return len(word)


def squares(n):
    for i in range(n):
        yield i * i


def fails():
    try:
        divmod(1, 0)
    except ZeroDivisionError:
        return -1


words = sorted(["ccc", "a", "bb"], key=key)
total = fib(8) + sum(squares(5)) + fails()
parity = is_even(7)
