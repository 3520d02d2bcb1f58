"""Prints a marker: whether the program ran at all."""


def f():
    return 1


print("the program ran", f())
