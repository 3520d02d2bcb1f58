"""The `pikos-run` command, the seed's command line:

    pikos-run [-h] [-o OUTPUT] [--buffered] [--recording {screen,text,csv}]
              [--focused-on FOCUSED_ON]
              {functions,line_memory,lines,function_memory} script

Each monitor with each recording writes where the seed writes (the screen,
monitor_records.log, monitor_records.csv, or -o OUTPUT) what `pikos` writes
with that monitor and recorder; the records equal pure-Python oracles run by
the same interpreter (oracle.py's sys.setprofile callback, line_oracle.py's
sys.settrace callback); the documented mandelbrot example writes the seed's
CSV, correctly quoted; bad input is one line and status 2.
"""
import csv
import os
import re
import shutil
import subprocess

import pytest

from conftest import (FUNCTION_FIELDS, HERE, PIKOS_BIN, TEXT, TIMEOUT,
                      assert_one_error_line, events_of, run_oracle,
                      run_pikos, run_python)

PIKOS_RUN = os.path.join(os.path.dirname(PIKOS_BIN), "pikos-run")
SRCDIR = os.path.dirname(os.path.dirname(HERE))  # tests/cli/../..
SCRIPT = "plain_calls.py"  # prints nothing: the screen holds only records

# The record fields of each monitor (docs/records.md, the seed's).
FIELDS = {
    "functions": FUNCTION_FIELDS,
    "lines": ["index", "function", "lineNo", "line", "filename"],
    "function_memory": ["index", "type", "function", "RSS", "VMS", "lineNo",
                        "filename"],
    "line_memory": ["index", "function", "lineNo", "RSS", "VMS", "line",
                    "filename"],
}
MONITORS = sorted(FIELDS)
DEFAULT_FILES = {"screen": None, "text": "monitor_records.log",
                 "csv": "monitor_records.csv"}
RECORDINGS = sorted(DEFAULT_FILES)
# The recorder `pikos` is given for each recording, for comparison.
RECORDERS = {"screen": "recorders/text", "text": "recorders/text",
             "csv": "recorders/csv"}

# The seed's usage, as its argparse parser printed it.
USAGE = """\
usage: pikos-run [-h] [-o OUTPUT] [--buffered] [--recording {screen,text,csv}]
                 [--focused-on FOCUSED_ON]
                 {functions,line_memory,lines,function_memory} script

Execute the python script inside the pikos monitor context.

positional arguments:
  {functions,line_memory,lines,function_memory}
                        The monitor to use
  script                The script to run.

optional arguments:
  -h, --help            show this help message and exit
  -o OUTPUT, --output OUTPUT
                        Output results to a file
  --buffered            Use a buffered stream.
  --recording {screen,text,csv}
                        Select the type of recording to use.
  --focused-on FOCUSED_ON
                        Provide the module path(s) of the method where
                        recording will be focused. Comma separated list of
                        importable functions
"""

def run_pikos_run(args, cwd):
    return subprocess.run([PIKOS_RUN, *args], cwd=cwd, capture_output=True,
                          timeout=TIMEOUT, **TEXT)


def default_files(work):
    return sorted(name for name in os.listdir(work)
                  if name.startswith("monitor_records."))


def read_text(path):
    with open(path, newline="", **TEXT) as stream:
        return stream.read()


def read_rows(path, monitor):
    """The rows of a CSV file as dicts, after checking its header."""
    with open(path, newline="", **TEXT) as stream:
        reader = csv.reader(stream)
        assert next(reader) == FIELDS[monitor]
        return [dict(zip(FIELDS[monitor], row)) for row in reader]


def without_memory(text):
    """Text with each RSS and VMS value (7 digits or more: bytes of a
    process) and the spaces before it replaced by " #", so that two runs
    compare equal."""
    return re.sub(r" *\b[0-9]{7,}\b", " #", text)


def line_oracle(work, script):
    """(function, lineNo, line, filename) of every line event line_oracle.py
    (sys.settrace on the same code, same interpreter) sees."""
    out = os.path.join(work, "line_oracle.csv")
    proc = run_python([os.path.join(HERE, "line_oracle.py"), out, script],
                      work)
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="", encoding="utf-8") as stream:
        return [(f, int(n), line, name)
                for f, n, line, name in csv.reader(stream)]


def line_events_of(rows):
    return [(r["function"], int(r["lineNo"]), r["line"], r["filename"])
            for r in rows]


def focused_function_events(events, name):
    """The seed's focused function monitor on oracle.py's events: what
    happens while a frame of `name` is on the stack, its call and return
    included."""
    depth, kept = 0, []
    for event in events:
        if event[0] == "call" and event[1] == name:
            depth += 1
        if depth:
            kept.append(event)
        if event[0] == "return" and event[1] == name:
            depth -= 1
    return kept


# ------------------------------------------------------------ help

@pytest.mark.parametrize("args", [["-h"], ["--help"],
                                  ["lines", SCRIPT, "--help"]])
def test_help_prints_the_seeds_usage(work, args):
    proc = run_pikos_run(args, work)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == USAGE
    assert default_files(work) == []


# ------------------------------------------------------------ recordings

@pytest.mark.parametrize("recording", RECORDINGS)
@pytest.mark.parametrize("monitor", MONITORS)
def test_each_monitor_and_recording_writes_where_the_seed_does(
        work, monitor, recording):
    proc = run_pikos_run([monitor, SCRIPT, "--recording", recording], work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    default = DEFAULT_FILES[recording]
    assert default_files(work) == ([default] if default else [])
    ours = read_text(os.path.join(work, default)) if default else proc.stdout

    reference = run_pikos(["--plugin", f"monitors/{monitor}", "--plugin",
                           RECORDERS[recording], "-o", "reference", SCRIPT],
                          work)
    assert reference.returncode == 0, reference.stderr
    expected = read_text(os.path.join(work, "reference"))
    assert without_memory(ours) == without_memory(expected)
    assert len(ours.splitlines()) > 20
    if recording == "csv":
        read_rows(os.path.join(work, default), monitor)  # checks the header


def test_functions_records_equal_the_setprofile_oracle(work):
    script = os.path.join(work, "recursion.py")
    expected, _ = run_oracle(script, work)
    proc = run_pikos_run(["functions", script, "--recording", "csv"], work)
    assert proc.returncode == 0, proc.stderr
    rows = read_rows(os.path.join(work, "monitor_records.csv"), "functions")
    assert events_of(rows, script) == [e for e in expected if e[3] == script]
    assert len(rows) > 20


@pytest.mark.parametrize("monitor", ["lines", "line_memory"])
def test_line_records_equal_the_settrace_oracle(work, monitor):
    script = os.path.join(work, SCRIPT)
    expected = line_oracle(work, script)
    proc = run_pikos_run([monitor, script, "--recording", "csv"], work)
    assert proc.returncode == 0, proc.stderr
    rows = read_rows(os.path.join(work, "monitor_records.csv"), monitor)
    assert line_events_of(rows) == [e for e in expected if e[3] == script]
    assert len(rows) > 20


@pytest.mark.parametrize("monitor", ["function_memory", "line_memory"])
def test_memory_records_hold_the_process_memory(work, monitor):
    proc = run_pikos_run([monitor, SCRIPT, "--recording", "csv"], work)
    assert proc.returncode == 0, proc.stderr
    rows = read_rows(os.path.join(work, "monitor_records.csv"), monitor)
    assert rows
    for row in rows:
        rss, vms = int(row["RSS"]), int(row["VMS"])
        assert 0 < rss <= vms, row


# ------------------------------------------------------------ options

@pytest.mark.parametrize("recording", RECORDINGS)
@pytest.mark.parametrize("form", [["-o", "out.x"], ["-oout.x"],
                                  ["--output", "out.x"], ["--output=out.x"],
                                  ["--out", "out.x"]])
def test_output_goes_to_the_file_given(work, recording, form):
    proc = run_pikos_run(["functions", SCRIPT, "--recording", recording,
                          *form], work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert default_files(work) == []
    text = read_text(os.path.join(work, "out.x"))
    first = text.splitlines()[0]
    if recording == "csv":
        assert first == ",".join(FUNCTION_FIELDS)
    else:
        assert first.split() == FUNCTION_FIELDS


@pytest.mark.parametrize("args", [
    ["--recording", "csv", "functions", SCRIPT],
    ["functions", "--recording=csv", SCRIPT],
    ["functions", SCRIPT, "--recording", "csv"],
    ["--rec", "csv", "functions", SCRIPT],
    ["--recording", "csv", "--buffered", "--", "functions", SCRIPT],
])
def test_options_come_before_or_after_the_positionals(work, args):
    proc = run_pikos_run(args, work)
    assert proc.returncode == 0, proc.stderr
    rows = read_rows(os.path.join(work, "monitor_records.csv"), "functions")
    expected, _ = run_oracle(SCRIPT, work)
    script = os.path.join(work, SCRIPT)
    assert events_of(rows, script) == [e for e in expected if e[3] == script]


def test_screen_is_flushed_after_each_record(work):
    proc = run_pikos_run(["functions", "mid_run.py"], work)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    mark = lines.index("MARK -1")
    # The records of the program's first call came out before the MARK.
    assert [line.split()[1:3] for line in lines[2:mark]][:3] == [
        ["call", "<module>"], ["call", "work"], ["return", "work"]]


def test_screen_buffered_comes_out_at_the_end(work):
    proc = run_pikos_run(["functions", "mid_run.py", "--buffered"], work)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "MARK -1"
    assert lines[1].split() == FUNCTION_FIELDS
    assert len(lines) > 8


def test_text_file_is_flushed_after_each_record(work):
    proc = run_pikos_run(["functions", "mid_run.py", "--recording", "text"],
                         work)
    assert proc.returncode == 0, proc.stderr
    size_then = int(proc.stdout.split()[1])
    text = read_text(os.path.join(work, "monitor_records.log"))
    # Header, dashes, <module>'s call and the call and return of work()
    # were in the file by then.
    assert size_then >= len("".join(text.splitlines(True)[:5]))
    assert len(text) > size_then


def test_text_file_buffered_is_written_at_the_end(work):
    proc = run_pikos_run(["functions", "mid_run.py", "--recording", "text",
                          "--buffered"], work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "MARK 0\n"  # the file exists, still empty
    lines = read_text(os.path.join(work, "monitor_records.log")).splitlines()
    assert lines[0].split() == FUNCTION_FIELDS
    assert len(lines) > 8


# ------------------------------------------------------------ focus

def test_focused_on_records_only_inside_the_function(work):
    script = os.path.join(work, "recursion.py")
    events, _ = run_oracle(script, work)
    proc = run_pikos_run(["functions", script, "--recording", "csv",
                          "--focused-on", "is_odd"], work)
    assert proc.returncode == 0, proc.stderr
    rows = read_rows(os.path.join(work, "monitor_records.csv"), "functions")
    expected = focused_function_events(
        [e for e in events if e[3] == script], "is_odd")
    assert events_of(rows, script) == expected
    assert {e[1] for e in expected} == {"is_odd", "is_even"}


def test_the_documented_example_writes_the_seeds_csv(tmp_path):
    """pikos-run line_memory examples/mandelbrot_set_example.py
    --recording csv --focused-on=mandelbrot, from the root directory."""
    work = str(tmp_path)
    if run_python(["-c", "import numpy"], work).returncode != 0:
        pytest.skip("the example needs numpy in the interpreter pikos embeds "
                    "(apt-get install python3-numpy)")
    example = os.path.join("examples", "mandelbrot_set_example.py")
    os.mkdir(os.path.join(work, "examples"))
    shutil.copy(os.path.join(SRCDIR, example), os.path.join(work, example))
    proc = run_pikos_run(["line_memory", example, "--recording", "csv",
                          "--focused-on=mandelbrot"], work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "400x400 image, 34892 points never diverged\n"

    path = os.path.join(work, "monitor_records.csv")
    rows = read_rows(path, "line_memory")
    # A focused line monitor records the lines of mandelbrot's own frame.
    expected = [e for e in line_oracle(work, example) if e[0] == "mandelbrot"]
    assert line_events_of(rows) == expected
    assert len(rows) > 100
    for row in rows:
        assert 0 < int(row["RSS"]) <= int(row["VMS"])
    # Source lines with commas are quoted (the seed's sample was not).
    raw = read_text(path)
    assert '"    y,x = ogrid[-1.4:1.4:h*1j, -2:0.8:w*1j]"' in raw
    assert '"    divtime = maxit + zeros(z.shape, dtype=int)"' in raw


# ------------------------------------------------------------ bad input

@pytest.mark.parametrize("args, message", [
    (["bogus", SCRIPT],
     "pikos: unknown monitor 'bogus': choose from functions, lines, "
     "function_memory, line_memory"),
    (["functions", SCRIPT, "--recording", "xml"],
     "pikos: unknown recording 'xml' for --recording: choose from screen, "
     "text, csv"),
    (["bogus", SCRIPT, "--recording", "xml"],  # one line: the first error
     "pikos: unknown monitor 'bogus': choose from functions, lines, "
     "function_memory, line_memory"),
    (["functions", "missing.py"],
     "pikos: cannot open script 'missing.py': No such file or directory"),
    ([], "pikos: no monitor given: pikos-run MONITOR script (see pikos-run "
         "--help)"),
    (["functions"], "pikos: no script given: pikos-run MONITOR script (see "
                    "pikos-run --help)"),
    (["functions", SCRIPT, "extra"],
     "pikos: unexpected argument 'extra': pikos-run takes a monitor and a "
     "script, and passes no arguments to the script (pikos --plugin "
     "monitors/NAME script.py ARGS does)"),
    (["--colour", "functions", SCRIPT],
     "pikos: unknown option '--colour' (see pikos-run --help)"),
    (["-x", "functions", SCRIPT],
     "pikos: unknown option '-x' (see pikos-run --help)"),
    (["functions", SCRIPT, "-o"],
     "pikos: option -o/--output needs a value (see pikos-run --help)"),
    (["functions", SCRIPT, "--recording"],
     "pikos: option --recording needs a value (see pikos-run --help)"),
    (["--buffered=yes", "functions", SCRIPT],
     "pikos: option --buffered takes no value (see pikos-run --help)"),
])
def test_bad_input_is_one_line_and_status_2(work, args, message):
    proc = run_pikos_run(args, work)
    assert_one_error_line(proc)
    assert proc.stderr == message + "\n"
    assert proc.stdout == ""
    assert default_files(work) == []
