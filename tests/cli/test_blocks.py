"""monitors/allocations threshold=N: a BlockRecord per allocation of at
least N bytes and per free of such a block (issue 16, point 4).

tests/cli/scripts/block_sizes.py makes bytearrays of known sizes, some
above the threshold and some below (one of exactly the threshold), at a
known line, from two threads, and prints what it made: the thread, the
line and the bytes asked (sys.getsizeof minus the object's size).  The
oracles are the program's own account and tracemalloc's traces of the
same run of the program (BLOCKS_ORACLE=1, run by python3 alone).
"""
import csv
import json
import os

import pytest

from conftest import assert_one_error_line, run_pikos, run_python

SCRIPT = "block_sizes.py"
THRESHOLD = 10000
BLOCK_FIELDS = ["index", "type", "address", "size", "domain", "weight",
                "function", "filename", "lineno", "stack", "time", "thread"]


def read_rows(path, fields):
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        assert next(reader) == fields
        return [dict(zip(fields, row)) for row in reader]


def run_blocks(work, *args, status=0):
    out = os.path.join(work, "blocks.csv")
    proc = run_pikos(["--plugin",
                      f"monitors/allocations:threshold={THRESHOLD}",
                      "--plugin", "recorders/csv", "-o", out, SCRIPT, *args],
                     work)
    assert proc.returncode == status, proc.stderr
    said = json.loads(proc.stdout.splitlines()[-1])
    return said, read_rows(out, BLOCK_FIELDS), proc


def ours(rows, work):
    """The records of blocks the script allocated itself."""
    here = os.path.join(work, SCRIPT)
    return [r for r in rows
            if r["filename"] == here or r["function"] == "<unknown frame>"]


def expected(said):
    return sorted((said["ids"][who], line, size)
                  for who, line, size in said["made"] if size >= THRESHOLD)


def check_order(rows):
    """In index order, the times of each thread never go back."""
    indexes = [int(r["index"]) for r in rows]
    assert indexes == sorted(indexes)
    last = {}
    for r in rows:
        t = int(r["time"])
        assert t >= last.get(r["thread"], 0), r
        last[r["thread"]] = t


def test_records_are_the_blocks_above_the_threshold(work):
    said, rows, _ = run_blocks(work)
    assert [int(r["index"]) for r in rows] == list(range(len(rows)))
    assert all(int(r["size"]) >= THRESHOLD for r in rows)
    check_order(rows)
    mine = ours(rows, work)
    allocs = [r for r in mine if r["type"] == "alloc"]
    got = sorted((int(r["thread"]), int(r["lineno"]), int(r["size"]))
                 for r in allocs)
    assert got == expected(said)
    assert len(said["ids"]) == 2 and len(set(said["ids"].values())) == 2
    for r in allocs:
        # bytearray's buffer: PyObject_Malloc before 3.13, PyMem_Malloc since
        assert r["domain"] in ("obj", "mem") and r["weight"] == "1.0"
        line = int(r["lineno"])
        if line == said["big"]:
            assert r["function"] == "<module>"
            assert r["stack"] == f"<module> ({os.path.join(work, SCRIPT)}" \
                                 f":{line})"
        else:
            assert r["function"] == "work"
            assert r["stack"].endswith(f";work ({r['filename']}:{line})")
    # the big block was freed: one free record, at its allocation's place
    frees = [r for r in mine if r["type"] == "free"]
    assert len(frees) == 1
    big = [r for r in allocs if int(r["lineno"]) == said["big"]]
    assert len(big) == 1
    for key in ("address", "size", "function", "lineno", "stack", "thread"):
        assert frees[0][key] == big[0][key]
    assert int(frees[0]["time"]) > int(big[0]["time"])
    assert int(frees[0]["index"]) > int(big[0]["index"])
    # per thread, in the order the program made them
    for who, tid in said["ids"].items():
        sizes = [int(r["size"]) for r in allocs if int(r["thread"]) == tid]
        assert sizes == [size for w, _, size in said["made"]
                         if w == who and size >= THRESHOLD]


def test_sizes_equal_tracemalloc_traces(work):
    said, rows, _ = run_blocks(work)
    oracle = run_python([SCRIPT], work, env={**os.environ,
                                            "BLOCKS_ORACLE": "1"})
    assert oracle.returncode == 0, oracle.stderr
    traces = json.loads(oracle.stdout.splitlines()[-1])["traces"]
    want = sorted((line, size) for line, size in traces if size >= THRESHOLD)
    got = sorted((int(r["lineno"]), int(r["size"]))
                 for r in ours(rows, work) if r["type"] == "alloc")
    assert got == want
    assert len(want) == 6


@pytest.mark.parametrize("ending,status", [("exit", 3), ("kill", -9)])
def test_queued_records_survive_the_end(work, ending, status):
    """The late thread allocates and ends the process while the main
    thread waits in join(): no safe point comes, the salvage emits what
    was queued (its frames possibly unknown), each record once."""
    said, rows, proc = run_blocks(work, ending, status=status)
    check_order(rows)
    assert [int(r["index"]) for r in rows] == list(range(len(rows)))
    mine = ours(rows, work)
    got = sorted((int(r["thread"]), int(r["size"]))
                 for r in mine if r["type"] == "alloc")
    assert got == sorted((tid, size) for tid, _, size in expected(said))
    late = [r for r in mine if int(r["thread"]) == said["ids"]["late"]]
    assert [int(r["size"]) for r in late] == [11001, 12001]
    for r in late:
        assert (r["function"], r["lineno"]) in (
            ("work", str(said["made"][-1][1])), ("<unknown frame>", "0"))
    # the aggregates too, after the block records
    assert os.path.exists(os.path.join(work, "blocks.AllocationRecord.csv"))


def test_csv_on_standard_output_takes_one_record_type(work):
    proc = run_pikos(["--plugin",
                      f"monitors/allocations:threshold={THRESHOLD}",
                      "--plugin", "recorders/csv", SCRIPT], work)
    assert proc.returncode != 0
    assert ("gets AllocationRecord records besides BlockRecord ones"
            in proc.stderr)
    # the block records went out before the aggregates were refused
    assert ",".join(BLOCK_FIELDS) in proc.stdout.splitlines()


def test_bad_threshold_is_refused(work):
    proc = run_pikos(["--plugin", "monitors/allocations:threshold=-1",
                      SCRIPT], work)
    assert_one_error_line(proc)
    assert "'threshold'" in proc.stderr
