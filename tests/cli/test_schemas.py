"""Records of several schemas given to one recorder (issue 13, item 3):
recorders/csv writes one record type per file and refuses a second one
before the program starts; recorders/text writes each schema's header
before its first record and interleaves the lines, each in its own
template."""
import os

from conftest import (FUNCTION_TEMPLATE, assert_one_error_line, events_of,
                      read_csv, run_oracle, run_pikos)


def events_of_oracle(events, filename):
    return [e for e in events if e[3] == filename]

LINE_HEADER = "{:<12} {:<50} {:<7} {} -- {}".format(
    "index", "function", "lineNo", "line", "filename")
LINE_HEADER_OLD = "{:<12} {:<50} {:<7} {} - {}".format(
    "index", "function", "lineNo", "line", "filename")


def test_csv_refuses_a_second_record_type(work):
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", "monitors/functions", "--plugin",
                      "monitors/lines", "--plugin", "recorders/csv", "-o", out,
                      "plain_calls.py"], work)

    assert_one_error_line(proc)
    assert proc.stderr == (
        "pikos: [recorders/csv] writes one record type per file, and gets "
        "LineRecord records besides FunctionRecord ones: give each monitor "
        "a recorder of its own (--plugin recorders/csv:filename=FILE)\n")
    assert proc.stdout == ""  # the program did not run


def test_csv_takes_two_monitors_of_one_record_type(work):
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", "monitors/functions", "--plugin",
                      "monitors/functions:threads=current", "--plugin",
                      "recorders/csv", "-o", out, "plain_calls.py"], work)

    assert proc.returncode == 0, proc.stderr
    with open(out, encoding="utf-8") as stream:
        assert stream.read().count("index,type,function,lineNo,filename") == 1
    script = os.path.join(work, "plain_calls.py")
    expected = events_of_oracle(run_oracle(script, work)[0], script)
    got = events_of(read_csv(out), script)
    assert sorted(got) == sorted(expected * 2)  # each monitor's records


def test_text_interleaves_schemas_each_with_its_header(work):
    proc = run_pikos(["--plugin", "monitors/functions", "--plugin",
                      "monitors/lines", "--plugin",
                      "recorders/text:formatted=true", "plain_calls.py"], work)

    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    function_header = FUNCTION_TEMPLATE.format(
        "index", "type", "function", "lineNo", "filename")
    assert lines.count(function_header) == 1
    assert lines.count(LINE_HEADER) + lines.count(LINE_HEADER_OLD) == 1
    calls = [line for line in lines if line.split()[1:2] == ["call"]]
    sources = [line for line in lines if " -- " in line or " - " in line]
    assert calls and sources
