"""monitors/lines records what a pure-Python tracer sees.

For each script the (function, lineNo, line, filename) rows that
`pikos --plugin monitors/lines --plugin recorders/csv -o out.csv` writes
for the test's own files equal those of line_oracle.py (a sys.settrace
callback reading lines through linecache, run by the same interpreter);
the CSV round-trips every line text exactly, and indexes count events.
"""
import csv
import os

import pytest

from conftest import run_pikos, run_python

HERE = os.path.dirname(os.path.abspath(__file__))
LINE_FIELDS = ["index", "function", "lineNo", "line", "filename"]
# The seed's LineRecord templates (header and line are the same).
LINE_TEMPLATE = "{:<12} {:<50} {:<7} {} -- {}"

SCRIPTS = ["lines_statements.py", "lines_sources.py", "generators.py",
           "exceptions_caught.py", "exception_uncaught.py",
           "lambdas_comprehensions.py", "recursion.py"]


def read_line_csv(path):
    """The rows of a LineRecord CSV file as dicts; checks the header."""
    with open(path, newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        assert next(reader) == LINE_FIELDS
        rows = [dict(zip(LINE_FIELDS, row)) for row in reader]
    return rows


def own_file(filename, work):
    """The test's own code: files of the work directory (the zip archive's
    modules included) and code compiled from a string there."""
    return filename.startswith(work + os.sep) or filename == "<generated>"


def pikos_lines(work, script, *options):
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", "monitors/lines", "--plugin",
                      "recorders/csv", "-o", out, *options, script], work)
    return read_line_csv(out), proc


def oracle_lines(work, script):
    out = os.path.join(work, "oracle.csv")
    proc = run_python([os.path.join(HERE, "line_oracle.py"), out, script],
                      work)
    with open(out, newline="", encoding="utf-8") as stream:
        events = [(f, int(n), line, name)
                  for f, n, line, name in csv.reader(stream)]
    return events, proc


def events_of(rows, work):
    return [(r["function"], int(r["lineNo"]), r["line"], r["filename"])
            for r in rows if own_file(r["filename"], work)]


@pytest.mark.parametrize("name", SCRIPTS)
def test_line_events_equal_the_oracle(work, name):
    script = os.path.join(work, name)
    expected, oracle = oracle_lines(work, script)
    rows, proc = pikos_lines(work, script)

    ours = events_of(rows, work)
    assert ours == [e for e in expected if own_file(e[3], work)]
    assert len(ours) > 10
    assert proc.returncode == oracle.returncode, proc.stderr


def test_indexes_count_every_line_event(work):
    rows, proc = pikos_lines(work, "recursion.py")

    assert proc.returncode == 0, proc.stderr
    assert [int(r["index"]) for r in rows] == list(range(len(rows)))


def test_line_texts_round_trip_through_csv(work):
    script = os.path.join(work, "lines_statements.py")
    rows, proc = pikos_lines(work, script)
    texts = {r["line"] for r in rows if r["filename"] == script}

    assert proc.returncode == 0, proc.stderr
    assert ('    text = "a, b, \\"c\\", \'d\', caf\\u00e9 à la crème — '
            '日本, 😀"') in texts
    assert "\ty = x + 1" in texts  # indentation kept, trailing tab gone
    assert "def logged(prefix):" in texts  # trailing spaces gone
    assert all(t == t.rstrip() for t in texts)


def test_sources_not_on_disk(work):
    rows, proc = pikos_lines(work, "lines_sources.py")
    zipped = os.path.join(work, "zipped.zip", "zipped_module.py")
    lines = {(r["filename"], int(r["lineNo"])): r["line"] for r in rows}

    assert proc.returncode == 0, proc.stderr
    assert lines[(zipped, 2)] == "    y = x * 2"
    assert lines[("<generated>", 2)] == "<compiled string>"
    latin1 = os.path.join(work, "latin1_cookie.py")
    assert lines[(latin1, 3)] == 'text = "café à la crème"'


def test_text_recorder_uses_the_seed_line_template(work):
    script = os.path.join(work, "recursion.py")
    csv_rows, _ = pikos_lines(work, script)
    proc = run_pikos(["--plugin", "monitors/lines", script], work)
    header = LINE_TEMPLATE.format(*LINE_FIELDS)

    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, proc.stderr
    assert lines[:2] == [header, "-" * len(header)]
    assert lines[2:] == [LINE_TEMPLATE.format(int(r["index"]), r["function"],
                                              int(r["lineNo"]), r["line"],
                                              r["filename"])
                         for r in csv_rows]
