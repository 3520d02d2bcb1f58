"""Allocations, then an ending chosen by argv[1] (test_alloc_endings.py).

The blocks the marked lines allocate are kept in module globals, so that a
normal end and every other ending see the same allocated, freed, peak and
live counts for them.  With argv[2] == "fork" a child made before the
ending allocates on its own marked line and leaves with os._exit: its
blocks are never the parent's.
"""
import os
import signal
import sys

KEPT = []
TEMP = []


def build():
    for i in range(3000):
        KEPT.append(bytearray(500 + i % 7))  # marked: kept
    for i in range(2000):
        TEMP.append("x" * (100 + i % 50))  # marked: freed
    TEMP.clear()


def child():
    junk = [bytearray(4000) for _ in range(500)]  # child line
    os._exit(len(junk) and 0)


def end(how):
    if how == "os_exit":
        os._exit(5)
    if how == "exec_true":
        os.execv("/bin/true", ["true"])
    if how == "SIGTERM":
        os.kill(os.getpid(), signal.SIGTERM)
    if how == "SIGKILL":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "abort":
        os.abort()
    if how == "segv":
        import ctypes
        ctypes.string_at(0)


def main():
    build()
    if len(sys.argv) > 2 and sys.argv[2] == "fork":
        pid = os.fork()
        if pid == 0:
            child()
        os.waitpid(pid, 0)
    for _ in range(100):  # a few safe points before the end
        pass
    end(sys.argv[1])


main()
