"""The focus function entered again and again (more often than
sys.monitoring's locations are given back, 64 times), the same helpers and
builtins called outside and inside it, from the same call sites."""


def helper(n):
    return abs(-n) + len(str(n))


def shared(n):
    # One call site that calls C code and Python code in turn.
    f = helper if n % 2 else abs
    return f(n)


def focus(n):
    return shared(n) + helper(n)


total = 0
for i in range(100):
    total += shared(i) + helper(i)
    total += focus(i)
print(total)
