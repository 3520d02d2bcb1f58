"""Focused monitoring cases (tests/cli/test_focus.py): a focused function
calling helpers that are also called outside it, recursion, a generator
consumed between other calls, an exception unwinding through focus frames,
a method, and a function of another module."""
import focus_helpers


class Shape:
    def __init__(self, side):
        self.side = side

    def area(self):
        return helper(self.side) * self.side


def helper(x):
    return abs(x) + 1


def focused(x):
    y = helper(x)
    return Shape(y).area() + focus_helpers.scale(y)


def recurse(n):
    if n == 0:
        return 0
    return recurse(n - 1) + helper(n)


def numbers(n):
    for i in range(n):
        yield helper(i)


def consume():
    total = 0
    for value in numbers(3):
        total += helper(value)
    return total


def fails(n):
    if n == 0:
        raise ValueError("boom, with 'quotes', commas and ünïcode")
    return fails(n - 1)


def catches():
    try:
        fails(2)
    except ValueError:
        return helper(-1)


def main():
    helper(1)
    focused(2)
    recurse(3)
    consume()
    catches()
    print(Shape(3).area(), focus_helpers.scale(4))


main()
