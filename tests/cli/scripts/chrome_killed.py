"""Calls f() N times, then ends by `abort` (os.abort: SIGABRT) or
`sigkill` (SIGKILL sent to itself) in the middle of g(), or `normally`."""
import os
import signal
import sys

N = 20000


def f(i):
    return i + 1


def g(how):
    if how == "abort":
        os.abort()
    if how == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)


for i in range(N):
    f(i)
g(sys.argv[1])
