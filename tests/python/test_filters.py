"""Filters alone and chained: the seed's OnValue, NotOnValue, OnChange
(C plugins inside a monitor, callables in Python), pikos.filter() and
Python callables, against the oracle's events filtered in Python."""
import pytest

import oracle
import pikos
import workloads
from pikos.filters.api import NotOnValue, OnChange, OnValue
from pikos.monitors.api import FocusedFunctionMonitor, FunctionMonitor
from pikos.monitors.records import FunctionRecord
from pikos.recorders.api import ListRecorder

FOCUS = [workloads.gcd_loop, workloads.recursive, workloads.plain]


def run():
    workloads.outside()
    workloads.recursive()
    workloads.plain()


def focused_records(filter_):
    recorder = ListRecorder(filter_=filter_)
    with FocusedFunctionMonitor(recorder, functions=FOCUS):
        run()
    return [tuple(record) for record in recorder.records]


def oracle_records():
    """The focused events of focused_records(), unfiltered."""
    return [FunctionRecord(*event) for event in
            oracle.focused_function_events(FOCUS, run)]


def kept(records, *predicates):
    return [tuple(r) for r in records if all(p(r) for p in predicates)]


def on_change(field):
    previous = []

    def changed(record):
        value = getattr(record, field)
        result = not previous or previous[-1] != value
        previous.append(value)
        return result
    return changed


CASES = {
    "on_value": (OnValue("function", "internal", "gcd"),
                 [lambda r: r.function in ("internal", "gcd")]),
    "on_value_int": (OnValue("lineNo", workloads.gcd.__code__.co_firstlineno),
                     [lambda r: r.lineNo == workloads.gcd.__code__
                      .co_firstlineno]),
    "not_on_value": (NotOnValue("type", "c_call", "c_return"),
                     [lambda r: not r.type.startswith("c_")]),
    "on_change": (OnChange("function"), [on_change("function")]),
    "callable": (lambda r: r.type == "return", [lambda r: r.type == "return"]),
    "by_name": (pikos.filter("filters/on_value", field="type",
                             values=["call"]), [lambda r: r.type == "call"]),
    "chain": ([NotOnValue("function", "helper"), OnChange("type"),
               lambda r: r.index % 2 == 0],
              [lambda r: r.function != "helper", on_change("type"),
               lambda r: r.index % 2 == 0]),
}


@pytest.mark.parametrize("case", CASES)
def test_filter(case):
    filter_, predicates = CASES[case]
    records = focused_records(filter_)
    expected = kept(oracle_records(), *predicates)
    assert records == expected
    assert 0 < len(records) < len(oracle_records())


def test_filters_are_callable_in_python():
    records = oracle_records()
    for filter_, predicates in (CASES["on_value"], CASES["not_on_value"],
                                CASES["on_value_int"]):
        assert [tuple(r) for r in records if filter_(r)] == \
            kept(records, *predicates)
    change = OnChange("function")
    assert [tuple(r) for r in records if change(r)] == \
        kept(records, on_change("function"))
    assert change.previous == records[-1].function


def test_python_values_run_in_python():
    """Values the C filter cannot compare as Python does (a float) make
    the filter run in Python."""
    line = float(workloads.gcd.__code__.co_firstlineno)
    records = focused_records(OnValue("lineNo", line))
    assert records == kept(oracle_records(), lambda r: r.lineNo == line)


def test_monitor_filters_and_recorder_filter():
    """pikos.monitor(filters=...) run before the recorder's filter_."""
    recorder = ListRecorder(filter_=OnValue("type", "call"))
    monitor = pikos.monitor("monitors/functions", recorder=recorder,
                            filters=[OnValue("function", "gcd")],
                            functions=FOCUS)
    with monitor:
        run()
    assert [tuple(r) for r in recorder.records] == kept(
        oracle_records(), lambda r: r.function == "gcd",
        lambda r: r.type == "call")


def test_unknown_field_is_an_error_at_start():
    monitor = FunctionMonitor(ListRecorder(filter_=OnValue("nofield", "x")))
    with pytest.raises(Exception, match="nofield"):
        monitor.enable()


def test_filter_raising_is_reported_at_stop():
    def broken(record):
        raise KeyError("from the filter")

    recorder = ListRecorder(filter_=broken)
    monitor = FocusedFunctionMonitor(recorder, functions=[workloads.gcd])
    with pytest.raises(KeyError, match="from the filter"):
        with monitor:
            assert workloads.recursive() == 10  # the program goes on
    assert recorder.records == []


def test_bad_filter_object():
    with pytest.raises(TypeError, match="must be callable"):
        ListRecorder(filter_=42)
    recorder = ListRecorder(filter_=pikos.filter(
        "filters/on_change", field="function"))
    with pytest.raises(TypeError, match="runs only inside a monitor"):
        recorder.record(FunctionRecord(0, "call", "f", 1, "x"))
