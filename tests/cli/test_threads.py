"""Threads: threads=all (the default) records every thread, those started
by the program included, as a threading.setprofile/settrace oracle sees
them (focus_oracle.py follows threads, each with its own stack); records
stay whole and indexes unique when four threads interleave;
threads=current records the main thread only; a bad threads= value is an
error."""
import csv
import os

import pytest

from conftest import assert_one_error_line, run_pikos, run_python

HERE = os.path.dirname(os.path.abspath(__file__))
FUNCTION_FIELDS = ["index", "type", "function", "lineNo", "filename"]
EVENT_TYPES = {"call", "return", "c_call", "c_return", "c_exception"}


def pikos_csv(work, *args):
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", "recorders/csv", "-o", out, *args], work)
    with open(out, newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream, strict=True))
    return rows, proc


def calls(rows, function):
    return sum(1 for row in rows if row[1:3] == ["call", function])


def test_every_thread_is_recorded_by_default(work):
    rows, proc = pikos_csv(work, "threads_two.py")

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "1\n"
    assert (calls(rows, "in_worker"), calls(rows, "in_main")) == (1, 1)
    assert calls(rows, "square") == 3 + 2


def test_threads_current_records_the_main_thread_only(work):
    rows, proc = pikos_csv(work, "--plugin",
                           "monitors/functions:threads=current",
                           "threads_two.py")

    assert proc.returncode == 0, proc.stderr
    assert (calls(rows, "in_worker"), calls(rows, "in_main")) == (0, 1)
    assert calls(rows, "square") == 2


@pytest.mark.parametrize("monitor, mode", [("functions", "functions"),
                                           ("lines", "lines")])
@pytest.mark.parametrize("names", ["in_worker", "square"])
def test_threads_equal_the_oracle(work, monitor, mode, names):
    oracle_out = os.path.join(work, "oracle.csv")
    oracle = run_python([os.path.join(HERE, "focus_oracle.py"), mode,
                         oracle_out, names, "threads_two.py"], work)
    with open(oracle_out, newline="", encoding="utf-8") as stream:
        expected = list(csv.reader(stream))
    rows, proc = pikos_csv(work, "--plugin", "monitors/" + monitor,
                           "--focused-on", names, "threads_two.py")

    assert oracle.returncode == 0, oracle.stderr
    assert proc.returncode == 0, proc.stderr
    assert rows[1:] == expected
    # square() runs five times, three of them in the worker; in_worker()
    # once, in the worker.
    assert sum(1 for row in expected if names in row) >= {
        "square": 5, "in_worker": 1}[names]


def test_four_threads_leave_whole_rows_and_unique_indexes(work):
    rounds = 100
    rows, proc = pikos_csv(work, "threads_stress.py", str(rounds))
    records = rows[1:]
    indexes = [int(row[0]) for row in records]

    assert proc.returncode == 0, proc.stderr
    assert rows[0] == FUNCTION_FIELDS
    assert all(len(row) == 5 for row in records)
    assert indexes == list(range(len(records)))
    assert {row[1] for row in records} <= EVENT_TYPES
    assert all(row[3].isdigit() for row in records)
    # Nothing lost: every leaf() call of the four workers and of main.
    assert calls(records, "leaf") == (4 * rounds + rounds // 4) * 50
    with open(os.path.join(work, "out.csv"), "rb") as stream:
        lines = stream.read().split(b"\r\n")
    assert lines[-1] == b"" and len(lines) == len(rows) + 1


def test_a_bad_threads_value_is_an_error(work):
    proc = run_pikos(["--plugin", "monitors/functions:threads=main",
                      "threads_two.py"], work)

    assert_one_error_line(proc, "pikos: [monitors/functions] threads=main "
                          "is not a choice: give threads=all (every "
                          "thread) or threads=current (the thread that "
                          "starts monitoring)")
    # Rejected when the monitor is made: no recorder started, the
    # program never ran.
    assert proc.stdout == ""
