"""Many small calls: argv[1] calls of step() (four profile events each,
with its builtin call), for the recorders/zmq tests of slow subscribers and
of a program that no one watches.  Prints "done" at the end."""
import sys


def step(i):
    return abs(i)


def main(n):
    total = 0
    for i in range(n):
        total += step(i)
    print("done")


main(int(sys.argv[1]))
