"""Exceptions raised and caught: in Python code and in builtins."""


def fail(message):
    raise ValueError(message)


def guarded(message):
    try:
        fail(message)
    except ValueError as error:
        return str(error)
    finally:
        cleanup()


def cleanup():
    return None


def parse(text):
    try:
        return int(text)
    except ValueError:
        return -1


def reraise():
    try:
        fail("inner")
    except ValueError:
        raise KeyError("outer")


results = [guarded("a"), parse("12"), parse("x")]
try:
    reraise()
except KeyError:
    results.append("caught")
