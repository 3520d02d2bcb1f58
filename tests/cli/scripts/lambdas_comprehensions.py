"""Lambdas and list, set, dict and nested comprehensions."""

square = lambda x: x * x  # noqa: E731
squares = [square(n) for n in range(4)]
evens = {n for n in range(6) if n % 2 == 0}
table = {n: (lambda m: m + n)(1) for n in range(3)}
grid = [[row * col for col in range(2)] for row in range(2)]
total = sum(x for x in squares if x > 1)
apply = (lambda f, v: f(v))(square, 3)
