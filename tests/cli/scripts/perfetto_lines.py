"""A few lines in a function, called twice (test_perfetto.py)."""


def f(x):
    y = x + 1
    return y * 2


f(1)
f(2)
