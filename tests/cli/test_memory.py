"""monitors/line_memory and monitors/function_memory.

Memory values are positive and RSS <= VMS; a 200 MB bytearray allocated in
a monitored function raises RSS by at least 150 MB between the line
records before and after that line, and between the records of the
function's call and return; memory=sampled gives the same picture once the
sampler had time to see it, with values close to what the program reads
itself; the line texts and events of
line_memory are those of monitors/lines; bad `memory=` and `interval=`
values stop pikos before the program starts, with one clear line.
"""
import csv
import os

import pytest

from conftest import assert_one_error_line, run_pikos

LINE_MEMORY_FIELDS = ["index", "function", "lineNo", "RSS", "VMS", "line",
                      "filename"]
FUNCTION_MEMORY_FIELDS = ["index", "type", "function", "RSS", "VMS",
                          "lineNo", "filename"]
MB = 1024 * 1024


def pikos_csv(work, script, monitor, fields):
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", monitor, "--plugin", "recorders/csv",
                      "-o", out, script], work)
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        assert next(reader) == fields
        rows = [dict(zip(fields, row)) for row in reader]
    for row in rows:
        row["RSS"], row["VMS"] = int(row["RSS"]), int(row["VMS"])
    return rows, proc


def assert_plausible(rows):
    assert rows
    for row in rows:
        assert 0 < row["RSS"] <= row["VMS"], row


def event_row(rows, script, event, function):
    """The first record of a function event of the script."""
    return next(r for r in rows if r["filename"] == script
                and (r["type"], r["function"]) == (event, function))


def line_row(rows, script, line):
    """The first record of `line` (its text) of the script."""
    return next(r for r in rows
                if r["filename"] == script and r["line"].strip() == line)


def test_line_memory_sees_the_allocation_of_one_line(work):
    script = os.path.join(work, "memory_alloc.py")
    rows, _ = pikos_csv(work, script, "monitors/line_memory",
                        LINE_MEMORY_FIELDS)
    before = line_row(rows, script, "before = len(kept)")
    allocating = line_row(rows, script, "kept.append(bytearray(SIZE))")
    after = line_row(rows, script, "after = len(kept)")

    assert_plausible(rows)
    assert allocating["RSS"] - before["RSS"] < 16 * MB
    assert after["RSS"] - allocating["RSS"] >= 150 * MB


def test_function_memory_sees_the_allocation_of_a_call(work):
    script = os.path.join(work, "memory_alloc.py")
    rows, _ = pikos_csv(work, script, "monitors/function_memory",
                        FUNCTION_MEMORY_FIELDS)
    call = event_row(rows, script, "call", "allocate")
    back = event_row(rows, script, "return", "allocate")

    assert_plausible(rows)
    assert back["RSS"] - call["RSS"] >= 150 * MB


def test_sampled_line_memory_is_close_to_what_the_program_reads(work):
    script = os.path.join(work, "memory_sampled.py")
    rows, proc = pikos_csv(work, script,
                           "monitors/line_memory:memory=sampled,interval=50",
                           LINE_MEMORY_FIELDS)
    rss, vms = map(int, proc.stdout.split()[:2])
    here = line_row(rows, script, "compare_here = 1")
    grown = line_row(rows, script, "grown = len(kept)")

    assert_plausible(rows)
    assert abs(here["RSS"] - rss) < 8 * MB, (here, rss)
    assert abs(here["VMS"] - vms) < 8 * MB, (here, vms)
    # 200 ms after the allocation, the sampler has seen it.
    assert grown["RSS"] - here["RSS"] >= 150 * MB


def test_sampled_function_memory_sees_the_allocation_of_a_call(work):
    script = os.path.join(work, "memory_sampled.py")
    rows, _ = pikos_csv(work, script, "monitors/function_memory:memory=sampled",
                        FUNCTION_MEMORY_FIELDS)
    call = event_row(rows, script, "call", "main")
    back = event_row(rows, script, "return", "main")

    assert_plausible(rows)
    assert back["RSS"] - call["RSS"] >= 150 * MB


def test_line_memory_records_the_events_and_texts_of_lines(work):
    script = os.path.join(work, "lines_statements.py")
    memory, _ = pikos_csv(work, script, "monitors/line_memory",
                          LINE_MEMORY_FIELDS)
    out = os.path.join(work, "lines.csv")
    run_pikos(["--plugin", "monitors/lines", "--plugin", "recorders/csv",
               "-o", out, script], work)
    with open(out, newline="", encoding="utf-8") as stream:
        lines = list(csv.DictReader(stream))

    def key(rows):
        return [(r["index"], r["function"], r["lineNo"], r["line"])
                for r in rows if r["filename"] == script]
    assert key(memory) == key(lines)


@pytest.mark.parametrize("monitor", ["line_memory", "function_memory"])
@pytest.mark.parametrize("option, value, message", [
    ("memory", "fast", "option memory: 'fast' is not one of exact, sampled"),
    ("interval", "0",
     "option interval: 0 is not a number of microseconds > 0"),
    ("interval", "-3",
     "option interval: -3 is not a number of microseconds > 0"),
])
def test_bad_memory_options_stop_pikos(work, monitor, option, value,
                                       message):
    proc = run_pikos(["--plugin", f"monitors/{monitor}:{option}={value}",
                      "memory_alloc.py"], work)

    assert_one_error_line(proc)
    assert f"[monitors/{monitor}]" in proc.stderr
    assert message in proc.stderr
    assert proc.stdout == ""


def test_a_non_number_interval_is_a_type_error(work):
    proc = run_pikos(["--plugin", "monitors/line_memory:interval=often",
                      "memory_alloc.py"], work)

    assert_one_error_line(proc)
    assert "interval" in proc.stderr
