"""What pikos records equals what a pure-Python profiler sees.

For each script the (type, function, lineNo, filename) rows that
`pikos --plugin recorders/csv -o out.csv` writes for the script's own file
equal those of oracle.py (a sys.setprofile callback on the same code, run
by the same interpreter), and the index of the rows strictly increases.
"""
import os

import pytest

from conftest import (FUNCTION_FIELDS, FUNCTION_TEMPLATE,
                      assert_indexes_increase, events_of, read_csv,
                      run_oracle, run_pikos)

SCRIPTS = ["plain_calls.py", "recursion.py", "generators.py",
           "exceptions_caught.py", "exception_uncaught.py",
           "builtins_calls.py", "lambdas_comprehensions.py"]


def pikos_csv(work, script, *options):
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", "recorders/csv", "-o", out, *options,
                      script], work)
    return read_csv(out), proc


@pytest.mark.parametrize("name", SCRIPTS)
def test_function_events_equal_the_oracle(work, name):
    script = os.path.join(work, name)
    expected, oracle = run_oracle(script, work)
    rows, proc = pikos_csv(work, script)

    assert events_of(rows, script) == [e for e in expected if e[3] == script]
    assert len(events_of(rows, script)) > 5
    assert_indexes_increase(rows)
    assert proc.returncode == oracle.returncode


def test_relative_script_path_gives_the_oracle_filenames(work):
    expected, _ = run_oracle("recursion.py", work)
    rows, proc = pikos_csv(work, "recursion.py")
    filename = os.path.join(work, "recursion.py")

    assert proc.returncode == 0, proc.stderr
    assert events_of(rows, filename) == [e for e in expected
                                         if e[3] == filename]
    assert events_of(rows, filename)


def test_uncaught_exception_leaves_a_complete_csv(work):
    script = os.path.join(work, "exception_uncaught.py")
    rows, proc = pikos_csv(work, script)

    assert proc.returncode == 1
    assert proc.stderr.startswith("Traceback (most recent call last):")
    assert proc.stderr.rstrip().endswith("RuntimeError: uncaught on purpose")
    assert [rows[-1]["type"], rows[-1]["function"]] == ["return", "<module>"]


def text_lines(records):
    return [FUNCTION_TEMPLATE.format(*record) for record in records]


def test_text_recorder_on_the_screen_uses_the_seed_templates(work):
    script = os.path.join(work, "recursion.py")
    expected, _ = run_oracle(script, work)
    proc = run_pikos([script], work)  # default: recorders/text, screen
    header = FUNCTION_TEMPLATE.format(*FUNCTION_FIELDS)
    ours = [e for e in expected if e[3] == script]

    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, proc.stderr
    assert lines[:2] == [header, "-" * len(header)]
    assert lines[2:] == text_lines((i, *e) for i, e in enumerate(ours))


def test_text_recorder_unformatted_joins_values_with_spaces(work):
    script = os.path.join(work, "recursion.py")
    expected, _ = run_oracle(script, work)
    proc = run_pikos(["--plugin", "recorders/text:formatted=false", script],
                     work)
    header = " ".join(FUNCTION_FIELDS)
    ours = [e for e in expected if e[3] == script]

    lines = proc.stdout.splitlines()
    assert proc.returncode == 0, proc.stderr
    assert lines[:2] == [header, "-" * len(header)]
    assert lines[2:] == [" ".join(map(str, (i, *e)))
                         for i, e in enumerate(ours)]


def test_on_value_keeps_the_matching_records_and_their_indexes(work):
    script = os.path.join(work, "recursion.py")
    everything, _ = pikos_csv(work, script)
    kept, proc = pikos_csv(work, script, "--plugin",
                           "filters/on_value:field=function,values=is_odd;fib")

    assert proc.returncode == 0, proc.stderr
    assert kept == [r for r in everything
                    if r["function"] in ("is_odd", "fib")]
    assert {r["function"] for r in kept} == {"is_odd", "fib"}


def test_output_goes_to_the_recorder_given_last(work):
    script = os.path.join(work, "recursion.py")
    first = os.path.join(work, "first.csv")
    proc = run_pikos(["--plugin", f"recorders/csv:filename={first}",
                      "--plugin", "recorders/text", "-o", "last.txt",
                      script], work)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    with open(os.path.join(work, "last.txt"), encoding="utf-8") as stream:
        text = stream.read().splitlines()
    assert text[0] == FUNCTION_TEMPLATE.format(*FUNCTION_FIELDS)
    assert len(text) - 2 == len(read_csv(first))


def test_output_without_recorder_goes_to_the_default_text_recorder(work):
    proc = run_pikos(["-o", "out.txt", "recursion.py"], work)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    with open(os.path.join(work, "out.txt"), encoding="utf-8") as stream:
        lines = stream.read().splitlines()
    assert lines[0] == FUNCTION_TEMPLATE.format(*FUNCTION_FIELDS)
    assert lines[2].split()[:3] == ["0", "call", "<module>"]
