"""Calls for recorders/profile's tests (test_profile.py): nested calls,
C calls (one raising), direct and mutual recursion, recursion through
another function, and a second thread doing the same work."""
import threading


def leaf(n):
    return sum(range(n))


def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


def even(n):
    return True if n == 0 else odd(n - 1)


def odd(n):
    return False if n == 0 else even(n - 1)


def outer(n):
    return inner(n) if n > 0 else 0


def inner(n):
    return outer(n - 1) + 1


def parse(text):
    try:
        return divmod(100, len(text) - 6)  # a C call that raises for "twelve"
    except ZeroDivisionError:
        return None


def work(rounds):
    items = []
    for i in range(rounds):
        items.append(leaf(100 * i))
    fact(6)
    even(7)
    outer(3)
    parse("12")
    parse("twelve")
    return len(sorted(items))


def main():
    helper = threading.Thread(target=work, args=(3,))
    helper.start()
    helper.join()
    work(5)
    fact(3)


main()
