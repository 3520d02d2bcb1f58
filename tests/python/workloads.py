"""Code the tests profile.  Every test compares what a pikos monitor
records of these functions with what a pure-Python sys.setprofile /
sys.settrace callback (oracle.py) sees of the same functions, keeping
only the events of this file."""

FILENAME = __file__


def helper(x):
    return x * 2


def plain():
    total = 0
    for i in range(3):
        total += helper(i)
    values = sorted([3, 1, 2])
    return total + len(values)


def gcd(x, y):
    return x if y == 0 else gcd(y, x % y)


def recursive():
    return gcd(21, 28) + gcd(12, 3)


def countdown(n):
    while n > 0:
        yield n
        n -= 1


def generator():
    return sum(countdown(3)) + max(countdown(2))


class Shape:
    def __init__(self, side):
        self.side = side

    def area(self):
        return self.side * self.side

    @classmethod
    def unit(cls):
        return cls(1)

    @staticmethod
    def double(x):
        return helper(x)


def method():
    shape = Shape(3)
    return shape.area() + Shape.unit().area() + Shape.double(2)


def caught():
    try:
        divmod(1, 0)
    except ZeroDivisionError:
        return "caught"


def internal(x, y):
    helper(x)
    return y % x, x


def gcd_loop(x, y):
    while x > 0:
        x, y = internal(x, y)
    return y


def outside():
    helper(1)
    return gcd_loop(12, 3) + helper(2)


def outside_recursive():
    helper(1)
    return gcd(12, 3) + helper(2)


def quoted():
    text = "a, \"quoted\" text"
    pairs = [(1, 2), (3, 4)]
    return text, pairs


def everything():
    return (plain(), recursive(), generator(), method(), caught(),
            outside(), quoted())
