"""Installs its own profile function half-way through: under pikos on a
Python with one profile function per thread, pikos says so, and this
function sees what it sees under python3."""
import sys

seen = []


def work(n):
    return n + 1


def mine(frame, event, arg):
    name = frame.f_code.co_name if event in ("call", "return") else \
        getattr(arg, "__name__", "?")
    seen.append((event, name))


work(1)
sys.setprofile(mine)
work(2)
sys.setprofile(None)
work(3)
print(seen)
