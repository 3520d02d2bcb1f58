"""Generators: for loops, next(), send(), yield from, close()."""


def count_up(limit):
    n = 0
    while n < limit:
        yield n
        n += 1


def chained(limit):
    yield from count_up(limit)
    yield "end"


def echo():
    received = None
    while True:
        received = yield received


items = [x for x in chained(3)]
gen = count_up(5)
first = next(gen)
gen.close()
talker = echo()
next(talker)
reply = talker.send("hi")
total = sum(n * n for n in count_up(4))
