"""external/cprofile and external/yappi, end to end: the statistics they
emit are compared with cProfile used directly on the same workload, by the
same interpreter (scripts/ext_stats.py is that oracle)."""
import csv
import json
import os
import subprocess

import pytest

from conftest import (PIKOS_PYTHON, assert_one_error_line, run_pikos,
                      run_python)

PROFILE_FIELDS = ["function", "filename", "lineNo", "ncalls",
                  "primitive_calls", "tottime", "cumtime", "snapshot"]
# What a direct run's statistics hold that a pikos run's cannot: the calls
# that start and stop the profiler around the program.
DIRECT_ONLY = {"<built-in method builtins.exec>",
               "<method 'disable' of '_lsprof.Profiler' objects>"}
MISSING_YAPPI = ("pikos: [external/yappi] needs the Python package yappi: "
                 "apt-get install -y python3-yappi")


def _python_facts():
    code = ("import sys, importlib.util; "
            "print(sys.version_info >= (3, 12), "
            "importlib.util.find_spec('yappi') is not None)")
    out = subprocess.run([PIKOS_PYTHON, "-c", code], capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0] == "True", out[1] == "True"


PYTHON_312_OR_LATER, HAS_YAPPI = _python_facts()
needs_yappi = pytest.mark.skipif(not HAS_YAPPI,
                                 reason="yappi is not installed for "
                                 "PIKOS_PYTHON (python3-yappi: 3.11 only)")


def read_profile_csv(path):
    """The ProfileStatsRecord rows of a CSV file, typed."""
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        assert next(reader) == PROFILE_FIELDS
        rows = []
        for function, filename, line, ncalls, primitive, tottime, cumtime, \
                snapshot in reader:
            rows.append({"function": function, "filename": filename,
                         "lineNo": int(line), "ncalls": int(ncalls),
                         "primitive_calls": int(primitive),
                         "tottime": float(tottime), "cumtime": float(cumtime),
                         "snapshot": int(snapshot)})
    return rows


def profile(work, script, spec, *extra):
    """Runs `pikos --plugin SPEC ... --plugin recorders/csv script`;
    returns (rows, process)."""
    out = os.path.join(work, "stats.csv")
    proc = run_pikos(["--plugin", spec, *extra, "--plugin", "recorders/csv",
                      "-o", out, script], work)
    assert proc.returncode == 0, proc.stderr
    return read_profile_csv(out), proc


def oracle(work, mode, source):
    """scripts/ext_stats.py: {"file:line:name": [cc, nc, tt, ct]}."""
    out = os.path.join(work, "oracle.json")
    proc = run_python([os.path.join(work, "ext_stats.py"), mode, source, out],
                      work)
    assert proc.returncode == 0, proc.stderr
    with open(out, encoding="utf-8") as stream:
        return json.load(stream)


def calls_by_label(rows):
    """{"file:line:function": [primitive_calls, ncalls]} of the rows."""
    calls = {}
    for r in rows:
        label = f"{r['filename']}:{r['lineNo']}:{r['function']}"
        assert label not in calls, label
        calls[label] = [r["primitive_calls"], r["ncalls"]]
    return calls


def direct_calls(work, script):
    stats = oracle(work, "direct", os.path.join(work, script))
    return {label: values[:2] for label, values in stats.items()
            if label.split(":", 2)[2] not in DIRECT_ONLY}


# ---------------------------------------------------------------- cprofile

def test_cprofile_calls_equal_those_of_cprofile_used_directly(work):
    rows, proc = profile(work, "ext_workload.py", "external/cprofile")

    assert proc.stdout.startswith("377 True ")
    assert calls_by_label(rows) == direct_calls(work, "ext_workload.py")
    fib = [r for r in rows if r["function"] == "fib"]
    assert [(r["ncalls"], r["primitive_calls"]) for r in fib] == [(1219, 1)]
    assert all(r["snapshot"] == 1 for r in rows)


def test_cprofile_times_are_consistent_and_sorted_by_cumulative(work):
    rows, _ = profile(work, "ext_workload.py", "external/cprofile")

    for r in rows:
        assert 0.0 <= r["tottime"] <= r["cumtime"], r
    cumtimes = [r["cumtime"] for r in rows]
    assert cumtimes == sorted(cumtimes, reverse=True)
    assert rows[0]["function"] == "<module>"


@pytest.mark.parametrize("sort, key, reverse", [
    ("tottime", "tottime", True), ("ncalls", "ncalls", True),
    ("name", "function", False)])
def test_cprofile_sort_orders(work, sort, key, reverse):
    rows, _ = profile(work, "ext_workload.py",
                      f"external/cprofile:sort={sort}")
    values = [r[key] for r in rows]

    assert values == sorted(values, reverse=reverse)


def test_cprofile_without_builtins(work):
    rows, _ = profile(work, "ext_workload.py",
                      "external/cprofile:builtins=false")

    assert rows and all(r["filename"] != "~" for r in rows)
    expected = {label: calls for label, calls
                in direct_calls(work, "ext_workload.py").items()
                if not label.startswith("~:")}
    assert calls_by_label(rows) == expected


def test_cprofile_pstats_file_loads_with_pstats(work):
    rows, _ = profile(work, "ext_workload.py",
                      "external/cprofile:pstats=run.prof")
    stats = oracle(work, "load", os.path.join(work, "run.prof"))

    assert {label: values[:2] for label, values in stats.items()} == \
        calls_by_label(rows)
    shown = run_python(["-m", "pstats", "run.prof"], work,
                       input="sort calls\nstats 5\nquit\n")
    assert shown.returncode == 0, shown.stderr
    assert "ext_workload.py:5(fib)" in shown.stdout
    assert "1219/1" in shown.stdout


def test_cprofile_interval_snapshots_grow(work):
    rows, proc = profile(work, "ext_slow.py",
                         "external/cprofile:interval=0.1")
    work_rows = [r for r in rows if r["function"] == "work"]
    snapshots = [r["snapshot"] for r in work_rows]
    counts = [r["ncalls"] for r in work_rows]

    assert proc.stdout == "done\n"
    assert len(work_rows) >= 4, snapshots
    assert snapshots == list(range(snapshots[0], snapshots[0] + len(counts)))
    assert counts == sorted(counts) and counts[0] < counts[-1]
    last = max(r["snapshot"] for r in rows)
    assert work_rows[-1]["snapshot"] == last
    assert [r["function"] for r in rows if r["snapshot"] == last].count(
        "main") == 1


def test_the_csv_command_of_the_issue(work):
    proc = run_pikos(["--plugin", "external/cprofile", "--plugin",
                      "recorders/csv", "-o", "stats.csv", "ext_workload.py"],
                     work)
    rows = read_profile_csv(os.path.join(work, "stats.csv"))

    assert proc.returncode == 0 and proc.stderr == ""
    assert {r["function"] for r in rows} >= {"fib", "is_even", "is_odd",
                                             "area", "squares", "main"}


def test_text_output_has_the_record_header(work):
    proc = run_pikos(["--plugin", "external/cprofile", "ext_workload.py"],
                     work)
    lines = proc.stdout.splitlines()

    assert proc.returncode == 0, proc.stderr
    assert lines[1].split() == PROFILE_FIELDS
    assert any(line.split()[:3] == ["fib", os.path.join(work,
                                                        "ext_workload.py"),
                                    "5"] for line in lines)


@pytest.mark.parametrize("option, message", [
    ("sort=size", "sort=size: expected cumulative, tottime, ncalls or name"),
    ("interval=-1", "interval=-1: give 0 (only at stop) or a number of "
     "seconds > 0")])
def test_cprofile_bad_options(work, option, message):
    proc = run_pikos(["--plugin", f"external/cprofile:{option}",
                      "ext_workload.py"], work)

    assert_one_error_line(proc)
    assert proc.stderr == f"pikos: [external/cprofile] {message}\n"
    assert "377" not in proc.stdout


def test_cprofile_with_a_native_monitor(work):
    proc = run_pikos(["--plugin", "external/cprofile", "--plugin",
                      "monitors/functions", "--plugin", "recorders/csv",
                      "-o", "out.csv", "ext_workload.py"], work)

    if PYTHON_312_OR_LATER:  # _lsprof uses sys.monitoring: they coexist
        assert proc.returncode == 0, proc.stderr
        # One record type per file: cProfile's statistics (the first
        # monitor's) in out.csv, the function records beside it.
        with open(os.path.join(work, "out.csv"), encoding="utf-8") as f:
            assert "\nfib," in f.read()
        with open(os.path.join(work, "out.FunctionRecord.csv"),
                  encoding="utf-8") as f:
            assert ",call,fib," in f.read()
    else:  # 3.11: one profile function per thread
        assert_one_error_line(proc, "pikos: [external/cprofile] something "
                              "replaced cProfile's profile function")


# ---------------------------------------------------------------- yappi

def yappi_calls(rows):
    """{(filename, lineNo): ncalls} of the Python functions' rows."""
    return {(r["filename"], r["lineNo"]): r["ncalls"] for r in rows
            if r["filename"] != "~"}


@needs_yappi
@pytest.mark.parametrize("clock", ["cpu", "wall"])
def test_yappi_calls_equal_those_of_cprofile(work, clock):
    rows, proc = profile(work, "ext_workload.py",
                         f"external/yappi:clock={clock}")
    expected = {}
    for label, (_, calls) in direct_calls(work, "ext_workload.py").items():
        filename, line, _ = label.rsplit(":", 2)
        if filename != "~":
            expected[(filename, int(line))] = calls

    assert proc.stdout.startswith("377 True ")
    assert yappi_calls(rows) == expected
    assert {r["function"] for r in rows} >= {"Shape.area", "fib"}
    for r in rows:
        assert 0.0 <= r["tottime"] <= r["cumtime"] + 1e-9, r


@needs_yappi
def test_yappi_clocks_measure_different_times(work):
    wall, _ = profile(work, "ext_sleepy.py", "external/yappi:clock=wall")
    cpu, _ = profile(work, "ext_sleepy.py", "external/yappi:clock=cpu")
    nap_wall = [r["cumtime"] for r in wall if r["function"] == "nap"]
    nap_cpu = [r["cumtime"] for r in cpu if r["function"] == "nap"]

    assert nap_wall[0] >= 0.25
    assert nap_cpu[0] < 0.1


@needs_yappi
def test_yappi_builtins_pstats_and_snapshots(work):
    rows, _ = profile(work, "ext_slow.py",
                      "external/yappi:builtins=true,interval=0.1,"
                      "pstats=y.prof")
    counts = [r["ncalls"] for r in rows if r["function"] == "work"]
    stats = oracle(work, "load", os.path.join(work, "y.prof"))

    assert any(r["filename"] == "~" for r in rows)
    assert len(counts) >= 4 and counts == sorted(counts)
    assert any(label.endswith(":work") for label in stats)


def test_missing_yappi_is_one_clear_error(work):
    os.mkdir(os.path.join(work, "hidden"))
    with open(os.path.join(work, "hidden", "yappi.py"), "w",
              encoding="utf-8") as stream:
        stream.write("raise ImportError('yappi is hidden by the test')\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(work, "hidden"))
    proc = run_pikos(["--plugin", "external/yappi", "ext_workload.py"], work,
                     env=env)

    assert_one_error_line(proc)
    assert proc.stderr == MISSING_YAPPI + "\n"
    assert "377" not in proc.stdout


@pytest.mark.skipif(HAS_YAPPI, reason="yappi is installed")
def test_yappi_not_installed_is_one_clear_error(work):
    proc = run_pikos(["--plugin", "external/yappi", "ext_workload.py"], work)

    assert_one_error_line(proc)
    assert proc.stderr == MISSING_YAPPI + "\n"
    assert "377" not in proc.stdout


@needs_yappi
def test_yappi_refuses_a_native_monitor_on_the_thread(work):
    proc = run_pikos(["--plugin", "external/yappi", "--plugin",
                      "monitors/functions", "-o", "out.txt",
                      "ext_workload.py"], work)

    assert_one_error_line(proc, "pikos: [external/yappi] something replaced "
                          "yappi's profile function")


def test_plugins_lists_the_external_profilers(work):
    proc = run_pikos(["plugins"], work)
    rows = {line.split(None, 1)[0]: line.split(None, 2)[2]
            for line in proc.stdout.splitlines()[1:]}

    assert proc.returncode == 0, proc.stderr
    assert rows["external/cprofile"].startswith("ok ")
    if HAS_YAPPI:
        assert rows["external/yappi"].startswith("ok ")
    else:
        assert rows["external/yappi"].startswith(
            MISSING_YAPPI.replace("pikos: [external/yappi] ", "unavailable: "))


def test_cprofile_pstats_file_that_cannot_be_written(work):
    proc = run_pikos(["--plugin", "external/cprofile:pstats=no/such/x.prof",
                      "--plugin", "recorders/csv", "-o", "stats.csv",
                      "ext_workload.py"], work)

    assert_one_error_line(proc, "pikos: [external/cprofile] "
                          "pstats=no/such/x.prof: FileNotFoundError: ")
    assert proc.stdout.startswith("377 True ")
    assert read_profile_csv(os.path.join(work, "stats.csv"))
