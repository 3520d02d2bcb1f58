"""An exception that ends the program (exit status 1, traceback)."""


def inner(depth):
    if depth == 0:
        raise RuntimeError("uncaught on purpose")
    return inner(depth - 1)


def outer():
    return inner(2)


values = [len("abc"), outer()]
