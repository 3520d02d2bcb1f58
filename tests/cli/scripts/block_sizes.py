"""Bytearrays of known sizes from two threads, for monitors/allocations'
block records (tests/cli/test_blocks.py).

Each bytearray(n) asks the object allocator for one block of n + 1 bytes
(sys.getsizeof minus the object's own size).  The program prints, last,
a JSON line: the threads' native ids, and each bytearray made as
[thread, line, bytes asked].  With BLOCKS_ORACLE=1 it runs under
tracemalloc instead and adds its traces of this file, size and line,
taken while the blocks live.  Then the big block is freed, and with
argument "exit" or "kill" the program ends early (os._exit, SIGKILL) from
the worker thread while the main thread waits in join(), before any safe
point can come.
"""
import json
import os
import signal
import sys
import threading

ORACLE = os.environ.get("BLOCKS_ORACLE") == "1"
if ORACLE:
    import tracemalloc
    tracemalloc.start()
HEADER = bytearray.__basicsize__
keep = []
made = []
ids = {}


def work(who, sizes):
    ids[who] = threading.get_native_id()
    for n in sizes:
        block = bytearray(n)  # the line of every block
        keep.append(block)
        made.append([who, work.__code__.co_firstlineno + 3,
                     sys.getsizeof(block) - HEADER])


def report(traces=()):
    print(json.dumps({"ids": ids, "made": made, "traces": list(traces),
                      "big": big_line}), flush=True)


def ending():
    report()
    if sys.argv[1:] == ["exit"]:
        os._exit(3)
    os.kill(os.getpid(), signal.SIGKILL)


def late():
    work("late", [11000, 12000])
    ending()


work("main", [15000, 100, 40000])
t = threading.Thread(target=work, args=("worker", [20000, 500, 30000, 9999]))
t.start()
t.join()
big_line = sys._getframe().f_lineno + 1
big = bytearray(50000)
made.append(["main", big_line, sys.getsizeof(big) - HEADER])
traces = []
if ORACLE:
    here = os.path.abspath(__file__)
    traces = [[t.traceback[0].lineno, t.size]
              for t in tracemalloc.take_snapshot().traces
              if t.traceback[0].filename == here]
del big
if sys.argv[1:]:
    t = threading.Thread(target=late)
    t.start()
    t.join()
report(traces)
