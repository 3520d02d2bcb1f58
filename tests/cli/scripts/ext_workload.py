"""A workload for the external profilers: recursion (direct and mutual),
methods, a generator, built-in calls and a function called many times."""


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


class Shape:
    def __init__(self, size):
        self.size = size

    def area(self):
        return self.size * self.size


def squares(n):
    for i in range(n):
        yield i * i


def main():
    total = sum(Shape(i).area() for i in range(200))
    total += sum(squares(300))
    total += len(sorted(range(100), key=abs))
    print(fib(14), is_even(30), total)


main()
