"""Timed records (time=true): the seed's fields, then firstLineNo, time and
thread, compared with a pure-Python profiler (timed_oracle.py) on the same
program: the same events in each thread, the OS thread ids the program
itself prints, the functions' first lines, and times that only go forward
within a thread and measure in nanoseconds."""
import csv
import os
import time

import pytest

from conftest import FUNCTION_FIELDS, HERE, run_pikos, run_python

TIMED_FIELDS = FUNCTION_FIELDS + ["firstLineNo", "time", "thread"]


def read_rows(path, fields):
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        assert next(reader) == fields
        return [dict(zip(fields, row)) for row in reader]


def printed_ids(stdout):
    """{"main": id, "worker": id} as the program printed them."""
    return {name: int(tid) for name, tid in
            (line.split() for line in stdout.splitlines())}


def per_thread(events):
    """Events grouped by thread, threads in the order they first appear."""
    threads = {}
    for tid, *event in events:
        threads.setdefault(tid, []).append(tuple(event))
    return threads


@pytest.fixture
def timed_run(work):
    script = os.path.join(work, "timed_threads.py")
    out = os.path.join(work, "timed.csv")
    started = time.monotonic_ns()
    proc = run_pikos(["--plugin", "monitors/functions:time=true",
                      "--plugin", "recorders/csv", "-o", out, script], work)
    wall = time.monotonic_ns() - started
    assert proc.returncode == 0, proc.stderr
    return script, read_rows(out, TIMED_FIELDS), proc, wall


def test_events_threads_and_first_lines_equal_the_oracle(work, timed_run):
    script, rows, proc, _ = timed_run
    oracle_out = os.path.join(work, "oracle.csv")
    oracle = run_python([os.path.join(HERE, "timed_oracle.py"), oracle_out,
                         script], work)
    with open(oracle_out, newline="", encoding="utf-8") as stream:
        expected = [(int(t), e, f, int(n), int(first))
                    for t, e, f, n, first in csv.reader(stream)]
    actual = [(int(r["thread"]), r["type"], r["function"], int(r["lineNo"]),
               int(r["firstLineNo"])) for r in rows if r["filename"] == script]

    # The OS thread ids differ from run to run: each run's own ids, as the
    # program printed them, map its threads onto each other.
    ours, theirs = printed_ids(proc.stdout), printed_ids(oracle.stdout)
    assert set(ours) == {"main", "worker"}
    assert ours["main"] != ours["worker"]
    mine, reference = per_thread(actual), per_thread(expected)
    assert set(mine) == set(ours.values())
    for name in ("main", "worker"):
        assert mine[ours[name]] == reference[theirs[name]], name
    assert len(mine[ours["worker"]]) > 5


def test_times_go_forward_in_each_thread_and_count_nanoseconds(timed_run):
    _, rows, _, wall = timed_run
    last = {}
    for row in rows:
        tid, t = int(row["thread"]), int(row["time"])
        assert 0 <= t <= wall
        assert t >= last.get(tid, 0), row
        last[tid] = t
    naps = [int(r["time"]) for r in rows if r["function"] == "nap"]
    assert len(naps) == 2
    # time.sleep(0.2) sleeps at least 0.2 s: at least 200,000,000 ns.
    assert naps[1] - naps[0] >= 200_000_000


def test_time_false_keeps_the_seeds_records(work):
    out = os.path.join(work, "plain.csv")
    proc = run_pikos(["--plugin", "monitors/functions:time=false",
                      "--plugin", "recorders/csv", "-o", out,
                      "timed_threads.py"], work)
    assert proc.returncode == 0, proc.stderr
    assert len(read_rows(out, FUNCTION_FIELDS)) > 10


@pytest.mark.parametrize("monitor, fields", [
    ("lines", ["index", "function", "lineNo", "line", "filename",
               "time", "thread"]),
    ("line_memory", ["index", "function", "lineNo", "RSS", "VMS", "line",
                     "filename", "time", "thread"]),
    ("function_memory", ["index", "type", "function", "RSS", "VMS",
                         "lineNo", "filename", "firstLineNo", "time",
                         "thread"]),
])
def test_every_monitor_times_its_records(work, monitor, fields):
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", f"monitors/{monitor}:time=true",
                      "--plugin", "recorders/csv", "-o", out,
                      "timed_threads.py"], work)
    assert proc.returncode == 0, proc.stderr
    rows = read_rows(out, fields)
    ids = printed_ids(proc.stdout)
    assert {int(r["thread"]) for r in rows} == set(ids.values())
    last = {}
    for row in rows:
        tid, t = int(row["thread"]), int(row["time"])
        assert t >= last.get(tid, 0), row
        last[tid] = t
