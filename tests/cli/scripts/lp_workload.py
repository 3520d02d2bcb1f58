"""external/line_profiler's workload: loops, branches, a method, a
generator, a caught exception, a closure, a function called once and a
function of another module; the profiled functions are defined after
monitoring starts and none is recursive."""
import lp_helpers


def work(n):
    total = 0
    for i in range(n):
        if i % 3 == 0:
            total += i
        else:
            total -= 1
    return total


class Shape:
    def area(self, k):
        s = 0
        for j in range(k):
            s += j * j
        return s


def squares(n):
    for i in range(n):
        yield i * i


def safe_div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        return 0


def outer(x):
    def inner(y):
        return x + y
    return [inner(i) for i in range(3)]


def once():
    value = 1
    return value


def not_profiled(n):
    return sum(range(n))


def main():
    once()
    for _ in range(4):
        work(30)
        not_profiled(10)
    Shape().area(12)
    print(sum(squares(7)))
    print(safe_div(1, 0), safe_div(4, 2))
    outer(1)
    outer(2)
    print(lp_helpers.scale([1, 2, 3], 2))


main()
