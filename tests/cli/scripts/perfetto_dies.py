"""Calls still open when the process dies by SIGKILL or os.abort()
(test_perfetto.py): the trace keeps every packet written before."""
import os
import signal
import sys


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def die(how):
    fib(10)
    sys.stdout.flush()
    if how == "abort":
        os.abort()
    os.kill(os.getpid(), signal.SIGKILL)


die(sys.argv[1])
