"""Plain function and method calls, positional and keyword arguments."""


def add(a, b=1):
    return a + b


def twice(x):
    return add(add(x), b=x)


class Counter:
    def __init__(self):
        self.count = 0

    def step(self, by=1):
        self.count = add(self.count, by)
        return self


counter = Counter()
for i in range(3):
    counter.step(twice(i))
total = counter.step(by=2).count
