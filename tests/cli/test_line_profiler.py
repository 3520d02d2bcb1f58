"""external/line_profiler end to end, with the `pikos` command.

Hits per line equal those of line_oracle.py (a sys.settrace callback on
the same script, same interpreter) for every line of the profiled
functions, which the program defines after monitoring starts; the .lprof
file is line_profiler's own; interval=0.1 emits growing snapshots; a
missing line_profiler is one clear error before the program runs.
"""
import collections
import csv
import os

import pytest

from conftest import run_pikos, run_python

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS = ["filename", "function", "lineNo", "hits", "time", "line",
          "snapshot"]
# The profiled functions of lp_workload.py by their names in the option,
# and the co_name each has (what the oracle records).
PROFILED = {"work": "work", "Shape.area": "area", "squares": "squares",
            "safe_div": "safe_div", "outer": "outer",
            "outer.<locals>.inner": "inner", "once": "once",
            "lp_helpers:scale": "scale"}
MISSING = ("needs the Python package line_profiler: apt-get install -y "
           "python3-line-profiler")


def has_line_profiler():
    proc = run_python(["-c", "import line_profiler"], HERE)
    return proc.returncode == 0


needs_line_profiler = pytest.mark.skipif(
    not has_line_profiler(),
    reason="line_profiler is not installed for this Python "
    "(test_missing_package covers it)")


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        assert next(reader) == FIELDS
        return [dict(zip(FIELDS, row)) for row in reader]


def profile(work, script, options, *args):
    out = os.path.join(work, "out.csv")
    spec = "external/line_profiler:" + options
    proc = run_pikos(["--plugin", spec, "--plugin", "recorders/csv", "-o",
                      out, *args, script], work)
    assert proc.returncode == 0, proc.stderr
    return read_rows(out), proc


def oracle_hits(work, script, co_names):
    """{(co_name, filename, lineNo): line events} of those functions."""
    out = os.path.join(work, "oracle.csv")
    proc = run_python([os.path.join(HERE, "line_oracle.py"), out, script],
                      work)
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="", encoding="utf-8") as stream:
        return collections.Counter(
            (name, filename, int(lineno))
            for name, lineno, _, filename in csv.reader(stream)
            if name in co_names)


@needs_line_profiler
def test_hits_equal_the_line_oracle(work):
    rows, _ = profile(work, "lp_workload.py", "functions=" +
                      ";".join(PROFILED))
    hits = {(r["function"].rsplit(".", 1)[-1], r["filename"],
             int(r["lineNo"])): int(r["hits"]) for r in rows}
    expected = oracle_hits(work, "lp_workload.py", set(PROFILED.values()))

    assert hits == dict(expected)
    assert {r["function"] for r in rows} == set(PROFILED) - {
        "lp_helpers:scale"} | {"scale"}
    assert {r["snapshot"] for r in rows} == {"1"}
    for row in rows:
        assert float(row["time"]) >= 0.0


@needs_line_profiler
def test_lines_carry_their_source_text(work):
    rows, _ = profile(work, "lp_workload.py", "functions=work")

    with open(os.path.join(work, "lp_workload.py"), encoding="utf-8") as f:
        source = f.read().splitlines()
    assert rows and all(r["line"] == source[int(r["lineNo"]) - 1].rstrip()
                        for r in rows)
    assert [int(r["lineNo"]) for r in rows] == sorted(
        int(r["lineNo"]) for r in rows)


@needs_line_profiler
def test_lprof_file_is_line_profilers_own(work):
    lprof = os.path.join(work, "out.lprof")
    rows, _ = profile(work, "lp_workload.py", f"functions=work;Shape.area,"
                      f"lprof={lprof}")
    check = ("import sys, line_profiler\n"
             "stats = line_profiler.load_stats(sys.argv[1])\n"
             "for (filename, first, name), lines in stats.timings.items():\n"
             "    for lineno, hits, time in lines:\n"
             "        print(name, lineno, hits, time * stats.unit)\n")
    proc = run_python(["-c", check, lprof], work)
    shown = run_python(["-m", "line_profiler", lprof], work)

    assert proc.returncode == 0, proc.stderr
    loaded = {(name, int(lineno)): int(hits)
              for name, lineno, hits, _ in map(str.split,
                                               proc.stdout.splitlines())}
    assert loaded == {(r["function"].rsplit(".", 1)[-1], int(r["lineNo"])):
                      int(r["hits"]) for r in rows}
    assert shown.returncode == 0, shown.stderr
    assert "Function: work at line 8" in shown.stdout
    assert "Function: area at line 19" in shown.stdout


@needs_line_profiler
def test_snapshots_grow_while_the_program_runs(work):
    rows, _ = profile(work, "lp_slow.py", "functions=step,interval=0.1")
    by_snapshot = collections.defaultdict(dict)
    for row in rows:
        by_snapshot[int(row["snapshot"])][int(row["lineNo"])] = \
            int(row["hits"])
    snapshots = sorted(by_snapshot)
    loop_line = 7  # for i in range(200):

    assert snapshots == list(range(1, len(snapshots) + 1))
    assert len(snapshots) >= 4, snapshots
    counts = [by_snapshot[s].get(loop_line, 0) for s in snapshots]
    assert counts == sorted(counts) and counts[0] < counts[-1], counts
    final = by_snapshot[snapshots[-1]]
    assert final[loop_line] == 201 * final[6]  # 200 turns + the exit


@needs_line_profiler
def test_screen_output_by_default(work):
    proc = run_pikos(["--plugin", "external/line_profiler:functions=once",
                      "lp_workload.py"], work)

    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    texts = [line for line in lines if "value = 1" in line or
             "return value" in line]
    assert len(texts) == 2, proc.stdout


@needs_line_profiler
def test_functions_is_required(work):
    """(Without line_profiler, that the package is missing is what pikos
    says first: the plugin is checked in the interpreter, where it looks.)"""
    proc = run_pikos(["--plugin", "external/line_profiler",
                      "lp_marker.py"], work)

    assert proc.returncode == 2
    assert "the program ran" not in proc.stdout
    assert "[external/line_profiler]" in proc.stderr
    assert "functions" in proc.stderr


def hidden_line_profiler(work):
    """PYTHONPATH that hides an installed line_profiler behind a module
    that fails to import."""
    hide = os.path.join(work, "hide")
    os.mkdir(hide)
    with open(os.path.join(hide, "line_profiler.py"), "w") as stream:
        stream.write("raise ImportError('hidden by the test')\n")
    return {**os.environ, "PYTHONPATH": hide}


def test_missing_package_is_one_clear_error(work):
    env = hidden_line_profiler(work) if has_line_profiler() else None
    proc = run_pikos(["--plugin", "external/line_profiler:functions=f",
                      "lp_marker.py"], work, env=env)

    assert proc.returncode != 0
    assert "the program ran" not in proc.stdout
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "external/line_profiler" in proc.stderr
    assert MISSING in proc.stderr
    assert "Traceback" not in proc.stderr


@needs_line_profiler
def test_a_replaced_trace_function_fails_the_run(work):
    proc = run_pikos(["--plugin", "external/line_profiler:functions=work",
                      "lp_settrace.py"], work)

    assert proc.returncode == 2
    assert proc.stderr == (
        "pikos: [external/line_profiler] something replaced "
        "line_profiler's trace function while it ran (sys.settrace, a "
        "debugger, a pikos line monitor): the counts stop there\n")


@needs_line_profiler
def test_a_name_that_matched_nothing_fails_the_run(work):
    proc = run_pikos(["--plugin",
                      "external/line_profiler:functions=work;no_such",
                      "lp_workload.py"], work)

    assert proc.returncode == 2
    assert proc.stderr == ("pikos: [external/line_profiler] functions: "
                           "'no_such' matched no function that ran\n")
