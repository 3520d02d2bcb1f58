"""Calls f() N times, then ends in the middle of g() by `abort`
(os.abort: SIGABRT), `sigkill` (SIGKILL sent to itself) or `os_exit`
(os._exit(3): no clean-up at all), or returns `normally`."""
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
    if how == "os_exit":
        os._exit(3)


for i in range(N):
    f(i)
g(sys.argv[1])
