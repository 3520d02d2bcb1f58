"""Two bytearrays of known sizes kept at two lines while the program
sleeps past monitors/allocations' live period, for its live view
(tests/cli/test_live_top.py).

hold() keeps `big` at one line and `mid` at the next; each line's blocks
are the bytearray object and its buffer, sys.getsizeof bytes in all.
After a sleep past the period (argument 1, seconds) a few allocations
bring the safe point that makes the snapshot; the program then sleeps
again, so that the watcher has the snapshot while the program runs, and
prints, last, a JSON line: each kept bytearray's line and
sys.getsizeof.
"""
import json
import sys
import time

PERIOD = float(sys.argv[1])


def hold():
    big = bytearray(3_000_000)
    mid = bytearray(1_000_000)
    return big, mid


LINE = hold.__code__.co_firstlineno + 1
big, mid = hold()
time.sleep(PERIOD * 1.5)
churn = [str(i) for i in range(100)]  # after the period: a snapshot
del churn
time.sleep(PERIOD * 1.5)
print(json.dumps({"file": __file__,
                  "kept": [[LINE, sys.getsizeof(big)],
                           [LINE + 1, sys.getsizeof(mid)]]}))
