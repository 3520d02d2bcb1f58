"""Records of several schemas given to one recorder (issue 13, item 3):
recorders/csv writes one record type per file (the others beside the one
given; standard output refuses a second one before the program starts);
recorders/text writes each schema's header
before its first record and interleaves the lines, each in its own
template."""
import csv
import os

from conftest import (FUNCTION_TEMPLATE, assert_one_error_line, events_of,
                      read_csv, run_oracle, run_pikos)


def events_of_oracle(events, filename):
    return [e for e in events if e[3] == filename]

LINE_HEADER = "{:<12} {:<50} {:<7} {} -- {}".format(
    "index", "function", "lineNo", "line", "filename")


def test_csv_writes_each_record_type_to_a_file_of_its_own(work):
    """The first record type goes to the file given, the others to files
    named after them; each parses, with its own header, and holds what the
    oracles see."""
    out = os.path.join(work, "out.csv")
    script = os.path.join(work, "plain_calls.py")
    proc = run_pikos(["--plugin", "monitors/functions", "--plugin",
                      "monitors/lines", "--plugin", "recorders/csv", "-o", out,
                      "plain_calls.py"], work)

    assert proc.returncode == 0, proc.stderr
    expected = events_of_oracle(run_oracle(script, work)[0], script)
    assert sorted(events_of(read_csv(out), script)) == sorted(expected)
    with open(os.path.join(work, "out.LineRecord.csv"), newline="",
              encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["index", "function", "lineNo", "line", "filename"]
    lines = [(int(r[2]), r[3]) for r in rows[1:] if r[4] == script]
    with open(script, encoding="utf-8") as stream:
        source = stream.read().splitlines()
    assert lines and all(source[n - 1].rstrip() == text for n, text in lines)
    assert sorted(os.listdir(work)).count("out.LineRecord.csv") == 1


def test_standard_output_holds_one_record_type(work):
    proc = run_pikos(["--plugin", "monitors/functions", "--plugin",
                      "monitors/lines", "--plugin", "recorders/csv",
                      "plain_calls.py"], work)

    assert_one_error_line(proc)
    assert proc.stderr == (
        "pikos: [recorders/csv] gets LineRecord records besides "
        "FunctionRecord ones, and standard output holds one record type: "
        "give a file (filename=, -o), and each record type gets a file of "
        "its own\n")
    # The first record type's header was out; the program did not run.
    assert proc.stdout.splitlines() == ["index,type,function,lineNo,filename"]


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
    assert lines.count(LINE_HEADER) == 1
    calls = [line for line in lines if line.split()[1:2] == ["call"]]
    sources = [line for line in lines if " -- " in line]
    assert calls and sources
