"""--focused-on: what the four monitors record equals the seed's focused
monitors in pure Python (focus_oracle.py, run by the same interpreter).

Function monitors record while a focus function is on the stack (its own
call and return, everything it calls, recursion, a generator only while it
runs, an exception unwinding through it); line monitors record the lines of
the focus functions' own frames.  The index counts the recorded events.
Memory monitors are compared on every field but RSS and VMS.  A name that
matched nothing is named in one line and fails the run (exit 2, or the
program's own failure status); bad names and options are errors.
"""
import csv
import os

import pytest

from conftest import (PIKOS_BUILDDIR, assert_one_error_line, run_pikos,
                      run_python)

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = "focus_cases.py"
NAMES = ["focused", "recurse", "numbers", "fails", "Shape.area",
         "focus_helpers:scale", "__main__:helper", "catches,Shape.__init__"]
# The fields compared with the oracle, per monitor, and its oracle's mode.
MONITORS = {
    "functions": ("functions",
                  ["index", "type", "function", "lineNo", "filename"]),
    "function_memory": ("functions",
                        ["index", "type", "function", "lineNo", "filename"]),
    "lines": ("lines", ["index", "function", "lineNo", "line", "filename"]),
    "line_memory": ("lines",
                    ["index", "function", "lineNo", "line", "filename"]),
}
UNMATCHED = ("pikos: [monitors/functions] focus {} (functions=, "
             "--focused-on) matched no function that ran")


def read_rows(path):
    """The rows of a CSV file as dicts (the header gives the keys)."""
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        return [dict(zip(header, row)) for row in reader]


def pikos_focused(work, monitor, names, *extra, status=0):
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", "monitors/" + monitor, "--plugin",
                      "recorders/csv", "-o", out, "--focused-on", names,
                      *extra], work)
    assert proc.returncode == status, proc.stderr
    return read_rows(out), proc


def oracle_focused(work, mode, names, script=SCRIPT):
    out = os.path.join(work, "oracle.csv")
    proc = run_python([os.path.join(HERE, "focus_oracle.py"), mode, out,
                       names, script], work)
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="", encoding="utf-8") as stream:
        return [tuple(row) for row in csv.reader(stream)]


@pytest.mark.parametrize("monitor", sorted(MONITORS))
@pytest.mark.parametrize("names", NAMES)
def test_focused_monitors_equal_the_oracle(work, monitor, names):
    mode, fields = MONITORS[monitor]
    expected = oracle_focused(work, mode, names)
    rows, proc = pikos_focused(work, monitor, names, SCRIPT)

    assert [tuple(row[f] for f in fields) for row in rows] == expected
    assert expected
    assert proc.stderr == ""
    for row in rows:
        if "RSS" in row:
            assert 0 < int(row["RSS"]) <= int(row["VMS"])


def test_helpers_called_outside_the_focus_are_not_recorded(work):
    rows, _ = pikos_focused(work, "functions", "focused", SCRIPT)
    calls = [(r["function"], r["lineNo"]) for r in rows
             if r["type"] == "call"]

    # helper runs thirteen times; twice inside focused().
    assert calls == [("focused", "20"), ("helper", "16"),
                     ("__init__", "9"), ("area", "12"), ("helper", "16"),
                     ("scale", "4")]
    assert [r["index"] for r in rows] == [str(i) for i in range(len(rows))]


def test_a_suspended_generator_records_nothing(work):
    rows, _ = pikos_focused(work, "functions", "numbers", SCRIPT)
    events = [(r["type"], r["function"]) for r in rows
              if r["type"] in ("call", "return")]

    # Three values and the end; consume's own helper calls between them
    # are not recorded.
    assert events == [("call", "numbers"), ("call", "helper"),
                      ("return", "helper"), ("return", "numbers")] * 3 + [
                          ("call", "numbers"), ("return", "numbers")]


def test_lines_of_the_focus_frames_only(work):
    rows, _ = pikos_focused(work, "lines", "fails", SCRIPT)

    assert {r["function"] for r in rows} == {"fails"}
    assert [r["lineNo"] for r in rows] == ["44", "46", "44", "46", "44",
                                           "45"]
    assert rows[-1]["line"] == ('        raise ValueError("boom, with '
                                "'quotes', commas and ünïcode\")")


def test_a_module_run_with_m_is_main(work):
    expected = oracle_focused(work, "functions", "__main__:recurse")
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", "recorders/csv", "-o", out,
                      "--focused-on", "__main__:recurse", "-m",
                      "focus_cases"], work)
    rows = read_rows(out)

    assert proc.returncode == 0, proc.stderr
    assert [tuple(r.values()) for r in rows] == expected
    assert len(rows) == 20


def test_a_name_matching_nothing_fails_the_run(work):
    rows, proc = pikos_focused(work, "functions", "recurse, nosuch,Shape.gone",
                               SCRIPT, status=2)

    assert proc.stderr.splitlines() == [
        UNMATCHED.format("'nosuch', 'Shape.gone'")]
    # The records of the names that matched are all there.
    assert len(rows) == 20
    assert proc.stdout == "12 8\n"


def test_a_name_matching_nothing_keeps_the_programs_failure(work):
    script = os.path.join(work, "fails.py")
    with open(script, "w", encoding="utf-8") as stream:
        stream.write("import sys\nsys.exit(5)\n")
    proc = run_pikos(["--focused-on", "nosuch", script], work)

    assert proc.returncode == 5
    assert proc.stderr.splitlines() == [UNMATCHED.format("'nosuch'")]


@pytest.mark.parametrize("names", ["recurse,,fails", "", " , "])
def test_an_empty_name_is_an_error(work, names):
    proc = run_pikos(["--focused-on", names, SCRIPT], work)

    assert_one_error_line(proc, "pikos: --focused-on '%s': a function name "
                          "is empty" % names)
    assert proc.stdout == ""


@pytest.mark.parametrize("names, why", [
    ("pkg:", "'pkg:' names no function"),
    (":f", "':f' has no module before ':'"),
    ("a:b:c", "'a:b:c' has more than one ':'"),
])
def test_a_malformed_name_fails_before_the_program_runs(work, names, why):
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", "recorders/csv", "-o", out,
                      "--focused-on", names, SCRIPT], work)

    assert_one_error_line(proc, "pikos: [monitors/functions] functions: "
                          + why + " (give f, Class.method or module:f)")
    assert proc.stdout == ""
    # Rejected when the monitor is made, before any recorder starts: no
    # header either.
    assert not os.path.exists(out) or os.path.getsize(out) == 0


def test_focused_on_and_functions_together_is_an_error(work):
    proc = run_pikos(["--plugin", "monitors/functions:functions=fails",
                      "--focused-on", "recurse", SCRIPT], work)

    assert_one_error_line(proc, "pikos: both --focused-on recurse and "
                          "'monitors/functions:functions=fails' name the "
                          "functions of monitors/functions; give only one")


def test_focused_on_needs_a_monitor_that_takes_it(work):
    idle = os.path.join(PIKOS_BUILDDIR, "bench", "idle")
    if not os.path.isdir(idle):
        pytest.fail(f"{idle} is missing: build it with `make check`")
    proc = run_pikos(["--plugin-path", idle, "--plugin", "monitors/idle",
                      "--focused-on", "recurse", SCRIPT], work)

    assert_one_error_line(proc, "pikos: --focused-on recurse: no monitor of "
                          "this run has a 'functions' option")


def test_every_monitor_that_takes_it_is_focused(work):
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", "monitors/functions", "--plugin",
                      "monitors/lines", "--plugin", "recorders/text", "-o",
                      out, "--focused-on", "fails", SCRIPT], work)
    with open(out, encoding="utf-8") as stream:
        records = [line.split()[:2] for line in stream
                   if line[:1].isdigit()]

    assert proc.returncode == 0, proc.stderr
    # Three calls and three returns; six lines.
    assert records.count(["0", "call"]) == 1
    assert sum(1 for r in records if r[1] in ("call", "return")) == 6
    assert sum(1 for r in records if r[1] == "fails") == 6
    assert len(records) == 12


@pytest.mark.parametrize("monitor", ["functions", "lines"])
def test_a_focus_entered_again_and_again(work, monitor):
    """Functions called outside the focus, then inside it, from the same
    sites, 100 times: through sys.monitoring the locations disabled outside
    come back at each entry (and stay, past 64 entries)."""
    mode, fields = MONITORS[monitor]
    expected = oracle_focused(work, mode, "focus", "focus_reentry.py")
    rows, proc = pikos_focused(work, monitor, "focus", "focus_reentry.py")

    assert [tuple(row[f] for f in fields) for row in rows] == expected
    assert len(expected) >= 100
    assert proc.stderr == ""
