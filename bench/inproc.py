"""Runs bench/workload.py's main() in this process under one in-process
profiler and prints `elapsed=SECONDS events=N`.

    python3 bench/inproc.py none|null|cprofile ROUNDS
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workload  # noqa: E402


def run(mode, rounds):
    events = 0
    if mode == "null":
        import _nullprof
        start = time.perf_counter()
        _nullprof.start()
        workload.main(rounds)
        events = _nullprof.stop()
    elif mode == "cprofile":
        import cProfile
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        workload.main(rounds)
        profiler.disable()
    else:
        start = time.perf_counter()
        workload.main(rounds)
    return time.perf_counter() - start, events


if __name__ == "__main__":
    elapsed, events = run(sys.argv[1], int(sys.argv[2]))
    print("elapsed=%.6f events=%d" % (elapsed, events))
