"""Shared helpers of the end-to-end tests of the `pikos` command.

`make check` runs these tests through run-tests.sh with the environment
tests/Makefile.inc exports: PIKOS_BIN (the command), PIKOS_PYTHON (the
interpreter pikos embeds), PIKOS_PLUGIN_PATH (the built plugins),
PIKOS_NO_DEFAULT_PATH=1, PIKOS_SRCDIR and PIKOS_BUILDDIR.

Every test works on copies of tests/cli/scripts in its own temporary
directory, never in the source tree.
"""
import csv
import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.join(HERE, "scripts")
FUNCTION_FIELDS = ["index", "type", "function", "lineNo", "filename"]
# The seed's FunctionRecord templates (header and line are the same).
FUNCTION_TEMPLATE = "{:<8} {:<11} {:<30} {:<5} {}"
TIMEOUT = 120


def _required_env(name):
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run these tests with `make check`",
                    returncode=99)
    return value


PIKOS_BIN = _required_env("PIKOS_BIN")
PIKOS_PYTHON = _required_env("PIKOS_PYTHON")
PIKOS_BUILDDIR = _required_env("PIKOS_BUILDDIR")


# Output as text; bytes that are not UTF-8 survive (and compare) as
# surrogates.
TEXT = {"encoding": "utf-8", "errors": "surrogateescape"}


def run_pikos(args, cwd, **kwargs):
    """Runs `pikos ARGS` in cwd; returns the CompletedProcess (text)."""
    return subprocess.run([PIKOS_BIN, *args], cwd=cwd, capture_output=True,
                          timeout=TIMEOUT, **TEXT, **kwargs)


def run_python(args, cwd, **kwargs):
    """Runs the interpreter pikos embeds, for comparison."""
    return subprocess.run([PIKOS_PYTHON, *args], cwd=cwd, capture_output=True,
                          timeout=TIMEOUT, **TEXT, **kwargs)


_MONITORING = []


def uses_monitoring():
    """Whether pikos takes its events through sys.monitoring in these
    tests: Python 3.12+ unless PIKOS_HOOK=legacy (docs/design.md)."""
    if not _MONITORING:
        newer = subprocess.run(
            [PIKOS_PYTHON, "-c", "import sys; print(sys.version_info >= "
             "(3, 12))"], capture_output=True, text=True, check=True)
        _MONITORING.append(newer.stdout.strip() == "True" and
                           os.environ.get("PIKOS_HOOK") != "legacy")
    return _MONITORING[0]


def read_csv(path):
    """The rows of a pikos CSV file as dicts; checks the header row."""
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        assert header == FUNCTION_FIELDS
        rows = [dict(zip(header, row)) for row in reader]
    for row in rows:
        assert len(row) == len(FUNCTION_FIELDS), row
    return rows


def events_of(rows, filename):
    """(type, function, lineNo, filename) of the rows of one file."""
    return [(r["type"], r["function"], int(r["lineNo"]), r["filename"])
            for r in rows if r["filename"] == filename]


def assert_indexes_increase(rows):
    indexes = [int(r["index"]) for r in rows]
    assert all(a < b for a, b in zip(indexes, indexes[1:])), indexes


def run_oracle(script, cwd, args=()):
    """Runs tests/cli/oracle.py on script; returns (events, process)."""
    out = os.path.join(cwd, "oracle.csv")
    proc = run_python([os.path.join(HERE, "oracle.py"), out, script, *args],
                      cwd)
    with open(out, newline="", encoding="utf-8") as stream:
        events = [(t, f, int(n), name) for t, f, n, name in csv.reader(stream)]
    return events, proc


def assert_one_error_line(proc, starts_with="pikos: "):
    """pikos failed on bad input: status 2, one line on stderr."""
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(starts_with), lines[0]
    assert "Traceback" not in proc.stderr


@pytest.fixture
def work(tmp_path):
    """A temporary directory holding a copy of tests/cli/scripts."""
    shutil.copytree(SCRIPTS, tmp_path, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return str(tmp_path)


def fixture_dir(case):
    """Where the test-only plugin of a registry fixture case is built."""
    path = os.path.join(PIKOS_BUILDDIR, "tests", "unit", "fixtures", case)
    if not os.path.isdir(path):
        pytest.fail(f"fixture plugin directory {path} is missing: "
                    "build it with `make check`")
    return path
