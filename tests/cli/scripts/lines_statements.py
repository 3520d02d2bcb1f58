"""Line events of many kinds of statement (tests/cli/test_lines.py).

Loops, multi-line statements, decorators, a class, a match statement, a
coroutine driven by hand, a function indented with tabs, lines with
trailing whitespace, and a line with commas, quotes and non-ASCII text.
"""
import functools


def logged(prefix):   
    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            return (prefix,
                    function(*args, **kwargs))
        return wrapper
    return decorate


def register(cls):
    cls.registered = True
    return cls


@logged("sum")
def add(a, b):
    return a + b


@register
class Counter:
    def __init__(self):
        self.count = 0

    def bump(self, by=1):
        self.count += by
        return self


def loops(limit):
    total = 0
    for i in range(limit):
        if i % 2:
            continue
        total += i
    n = 0
    while True:
        n += 1
        if n > 2:
            break
    return total + \
        n


def multi_line(values):
    table = {
        "first": values[0],
        "second": values[-1],
    }
    if (len(values) > 1
            and table["first"] != table["second"]):
        return sorted(
            values,
            reverse=True,
        )
    return values


def describe(value):
    match value:
        case {"kind": kind}:
            return kind
        case [first, *_]:
            return first
        case _:
            return None


async def coroutine(x):
    return x * 2


def drive(coro):
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value


def tabbed(x):
	y = x + 1	 
	return y


def quoted():
    text = "a, b, \"c\", 'd', caf\u00e9 à la crème — 日本, 😀"
    return text.count(",")


results = [add(1, 2), Counter().bump().bump(2).count, loops(5),
           multi_line([3, 1, 2]), describe({"kind": "k"}), describe([7]),
           drive(coroutine(21)), tabbed(1), quoted()]
squares = {n: n * n for n in range(3) if n}
