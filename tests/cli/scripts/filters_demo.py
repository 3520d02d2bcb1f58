"""Calls of a few functions and builtins, every event in this file (for the
filter tests: filters see the whole stream, so nothing else may be in it)."""


def f(x):
    return abs(x)


def g(x):
    return f(x) + f(-x)


def h(values):
    return sum(g(v) for v in values)


for n in range(3):
    g(n)
h([1, 2])
f(len("abc"))
