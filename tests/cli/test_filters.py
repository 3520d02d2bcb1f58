"""Filters on the command line: filters/not_on_value and filters/on_change
alone and chained with filters/on_value (every filter must pass, each one
seeing only what the filters before it passed), against the seed's
NotOnValue/OnChange/OnValue applied in Python to the events of oracle.py
(a sys.setprofile callback on the same code, same interpreter).

Every event of filters_demo.py is in its own file, so the oracle's stream
is the whole stream the filters see, and a record's index is its position
in it (filtered records leave gaps, as in the seed).
"""
import os

import pytest

from conftest import assert_one_error_line, read_csv, run_oracle, run_pikos

SCRIPT = "filters_demo.py"
FIELDS = ("type", "function", "lineNo", "filename")


# The seed's filters (pikos/filters/*.py), on (index, type, function,
# lineNo, filename) tuples.
def on_value(field, *values):
    return lambda record: record[field] in values


def not_on_value(field, *values):
    return lambda record: record[field] not in values


def on_change(field):
    previous = [None]

    def check(record):
        changed = previous[0] != record[field]
        previous[0] = record[field]
        return changed
    return check


def oracle_records(work):
    script = os.path.join(work, SCRIPT)
    events, _ = run_oracle(script, work)
    ours = [e for e in events if e[3] == script]
    # Around them only oracle.py's own events (its exec and setprofile).
    start = events.index(ours[0])
    assert events[start:start + len(ours)] == ours
    assert all(e[3].endswith("oracle.py") for e in events[:start])
    return [dict(zip(("index", *FIELDS), (i, *e)))
            for i, e in enumerate(ours)]


def expected_rows(work, *filters):
    """The oracle's records that pass every filter, in order (a filter
    sees only what the ones before it passed), as CSV rows."""
    records = oracle_records(work)
    for keep in filters:
        records = [r for r in records if keep(r)]
    return [{k: str(v) for k, v in r.items()} for r in records]


def pikos_rows(work, *specs):
    out = os.path.join(work, "out.csv")
    args = []
    for spec in specs:
        args += ["--plugin", spec]
    proc = run_pikos([*args, "--plugin", "recorders/csv", "-o", out, SCRIPT],
                     work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return read_csv(out)


def test_without_filters_every_event_is_in_the_script(work):
    assert pikos_rows(work) == expected_rows(work)


def test_not_on_value_drops_the_given_values(work):
    rows = pikos_rows(work, "filters/not_on_value:field=function,values=f;abs")
    assert rows == expected_rows(work, not_on_value("function", "f", "abs"))
    assert {r["function"] for r in rows} == {"<module>", "g", "h",
                                             "<genexpr>", "sum", "len"}


def test_not_on_value_compares_integer_fields_as_numbers(work):
    rows = pikos_rows(work, "filters/not_on_value:field=lineNo,values=6;+10")
    assert rows == expected_rows(work, not_on_value("lineNo", 6, 10))


def test_on_change_passes_a_record_when_its_field_changes(work):
    rows = pikos_rows(work, "filters/on_change:field=function")
    assert rows == expected_rows(work, on_change("function"))
    functions = [r["function"] for r in rows]
    assert all(a != b for a, b in zip(functions, functions[1:]))


def test_on_change_on_an_integer_field(work):
    rows = pikos_rows(work, "filters/on_change:field=lineNo")
    assert rows == expected_rows(work, on_change("lineNo"))


def test_a_chain_of_filters_passes_what_all_of_them_pass(work):
    rows = pikos_rows(work,
                      "filters/on_value:field=function,values=f;g;abs",
                      "filters/not_on_value:field=type,values=c_return",
                      "filters/on_change:field=function")
    expected = expected_rows(work, on_value("function", "f", "g", "abs"),
                             not_on_value("type", "c_return"),
                             on_change("function"))
    assert rows == expected
    assert len(expected) > 5


def test_the_order_of_a_chain_matters_for_on_change(work):
    first = pikos_rows(work, "filters/on_change:field=function",
                       "filters/not_on_value:field=function,values=abs")
    last = pikos_rows(work, "filters/not_on_value:field=function,values=abs",
                      "filters/on_change:field=function")
    assert first == expected_rows(work, on_change("function"),
                                  not_on_value("function", "abs"))
    assert last == expected_rows(work, not_on_value("function", "abs"),
                                 on_change("function"))
    assert first != last


@pytest.mark.parametrize("spec, message", [
    ("filters/on_change",
     "pikos: [filters/on_change] "),
    ("filters/not_on_value:field=function",
     "pikos: [filters/not_on_value] "),
    ("filters/on_change:field=nope",
     "pikos: [filters/on_change] field 'nope' is not in FunctionRecord "
     "(fields: index, type, function, lineNo, filename)"),
    ("filters/not_on_value:field=nope,values=f",
     "pikos: [filters/not_on_value] field 'nope' is not in FunctionRecord "
     "(fields: index, type, function, lineNo, filename)"),
    ("filters/not_on_value:field=lineNo,values=one",
     "pikos: [filters/not_on_value] value 'one' of option 'values' is not "
     "an integer, as field 'lineNo' of FunctionRecord needs"),
])
def test_bad_filter_options_stop_before_the_program(work, spec, message):
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", spec, "--plugin", "recorders/csv", "-o",
                      out, "show_context.py"], work)
    assert_one_error_line(proc, message)
    assert proc.stdout == ""  # show_context.py prints when it runs
