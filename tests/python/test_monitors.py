"""Each monitor's records against the pure-Python oracle (oracle.py), on
plain, recursive, generator, method and exception code, focused and not."""
import os

import pytest

import oracle
import workloads
from pikos.monitors.api import FocusedFunctionMemoryMonitor, \
    FocusedFunctionMonitor, FocusedLineMemoryMonitor, FocusedLineMonitor, \
    FunctionMemoryMonitor, FunctionMonitor, LineMemoryMonitor, LineMonitor
from pikos.monitors.records import FunctionMemoryRecord, FunctionRecord, \
    LineMemoryRecord, LineRecord
from pikos.recorders.api import ListRecorder

WORKLOADS = [workloads.plain, workloads.recursive, workloads.generator,
             workloads.method, workloads.caught, workloads.everything]
HERE = workloads.FILENAME


def monitored(monitor_class, func, **kwargs):
    recorder = ListRecorder()
    with monitor_class(recorder, **kwargs):
        func()
    return recorder.records


def without_memory(records):
    """Memory records with RSS and VMS left out: the fields the oracle
    has, in its order; RSS and VMS are checked to be plausible."""
    rows = []
    for record in records:
        assert isinstance(record.RSS, int) and isinstance(record.VMS, int)
        assert 0 < record.RSS <= record.VMS
        fields = record._asdict()
        del fields["RSS"], fields["VMS"]
        rows.append(tuple(fields.values()))
    return rows


def process_memory():
    """(RSS, VMS) of this process now, from /proc/self/statm."""
    with open("/proc/self/statm") as statm:
        size, resident = statm.read().split()[:2]
    page = os.sysconf("SC_PAGE_SIZE")
    return int(resident) * page, int(size) * page


@pytest.mark.parametrize("func", WORKLOADS, ids=lambda f: f.__name__)
def test_function_monitor(func):
    records = monitored(FunctionMonitor, func)
    assert all(type(record) is FunctionRecord for record in records)
    expected = oracle.of_file(oracle.function_events(func), HERE)
    assert oracle.of_file(records, HERE) == expected
    assert len(expected) >= 4


@pytest.mark.parametrize("func", WORKLOADS, ids=lambda f: f.__name__)
def test_line_monitor(func):
    records = monitored(LineMonitor, func)
    assert all(type(record) is LineRecord for record in records)
    expected = oracle.of_file(oracle.line_events(func), HERE)
    assert oracle.of_file(records, HERE) == expected
    assert len(expected) > 2


@pytest.mark.parametrize("func", WORKLOADS, ids=lambda f: f.__name__)
def test_function_memory_monitor(func):
    records = monitored(FunctionMemoryMonitor, func)
    assert all(type(record) is FunctionMemoryRecord for record in records)
    expected = oracle.of_file(oracle.function_events(func), HERE)
    assert oracle.of_file(without_memory(records), HERE) == expected


@pytest.mark.parametrize("func", WORKLOADS, ids=lambda f: f.__name__)
def test_line_memory_monitor(func):
    records = monitored(LineMemoryMonitor, func)
    assert all(type(record) is LineMemoryRecord for record in records)
    expected = oracle.of_file(oracle.line_events(func), HERE)
    assert oracle.of_file(without_memory(records), HERE) == expected


def test_memory_values_are_the_process_memory():
    before = process_memory()
    records = monitored(FunctionMemoryMonitor, workloads.plain)
    after = process_memory()
    for record in records:
        # Within the range of readings taken around the run, give or
        # take what the recording itself allocates.
        assert min(before[0], after[0]) / 2 <= record.RSS \
            <= max(before[0], after[0]) * 2
        assert min(before[1], after[1]) / 2 <= record.VMS \
            <= max(before[1], after[1]) * 2


# Focused monitors: (focus functions, the function run).
FOCUS_CASES = {
    "function": ([workloads.gcd_loop], workloads.outside),
    "functions": ([workloads.gcd_loop, workloads.helper], workloads.outside),
    "recursion": ([workloads.gcd], workloads.outside_recursive),
    "generator": ([workloads.countdown], workloads.generator),
    "method": ([workloads.Shape.area, workloads.Shape(1).area,
                workloads.Shape.unit], workloads.method),
    "everything": ([workloads.gcd, workloads.internal, workloads.Shape.area],
                   workloads.everything),
}


def focus_codes(focus):
    """The functions of `focus` as the oracle takes them (plain functions:
    a bound method's function, a classmethod's function)."""
    return [getattr(function, "__func__", function) for function in focus]


@pytest.mark.parametrize("case", FOCUS_CASES)
def test_focused_function_monitor(case):
    focus, func = FOCUS_CASES[case]
    records = monitored(FocusedFunctionMonitor, func, functions=focus)
    expected = oracle.focused_function_events(focus_codes(focus), func)
    assert [tuple(record) for record in records] == expected
    assert len(expected) >= 4


@pytest.mark.parametrize("case", FOCUS_CASES)
def test_focused_line_monitor(case):
    focus, func = FOCUS_CASES[case]
    records = monitored(FocusedLineMonitor, func, functions=focus)
    expected = oracle.focused_line_events(focus_codes(focus), func)
    assert [tuple(record) for record in records] == expected
    assert len(expected) >= 2


@pytest.mark.parametrize("case", ["function", "recursion", "method"])
def test_focused_memory_monitors(case):
    focus, func = FOCUS_CASES[case]
    records = monitored(FocusedFunctionMemoryMonitor, func, functions=focus)
    expected = oracle.focused_function_events(focus_codes(focus), func)
    assert without_memory(records) == expected
    records = monitored(FocusedLineMemoryMonitor, func, functions=focus)
    expected = oracle.focused_line_events(focus_codes(focus), func)
    assert without_memory(records) == expected


def test_focus_by_name():
    """Names as --focused-on takes them focus as the function objects do."""
    names = ["gcd_loop", "workloads:internal"]
    records = monitored(FocusedFunctionMonitor, workloads.outside,
                        functions=names)
    expected = oracle.focused_function_events(
        [workloads.gcd_loop, workloads.internal], workloads.outside)
    assert [tuple(record) for record in records] == expected


def test_focus_on_nothing_records_nothing(call_log):
    with FocusedFunctionMonitor(call_log):
        workloads.plain()
    assert call_log.records == []


def test_record_type_tuple():
    """The seed's record_type=tuple gives plain tuples."""
    recorder = ListRecorder()
    with FunctionMonitor(recorder, record_type=tuple):
        workloads.plain()
    records = recorder.records
    assert records and all(type(record) is tuple for record in records)
    expected = oracle.of_file(oracle.function_events(workloads.plain), HERE)
    assert oracle.of_file(records, HERE) == expected


def test_threads_all_records_other_threads():
    import threading

    recorder = ListRecorder()
    with FunctionMonitor(recorder, threads="all"):
        thread = threading.Thread(target=workloads.recursive)
        thread.start()
        thread.join()
    calls = [r for r in recorder.records
             if r.filename == HERE and r.type == "call"]
    assert [r.function for r in calls] == ["recursive"] + ["gcd"] * 6


def test_threads_current_ignores_other_threads():
    import threading

    recorder = ListRecorder()
    with FunctionMonitor(recorder):
        thread = threading.Thread(target=workloads.recursive)
        thread.start()
        thread.join()
    assert [r for r in recorder.records if r.filename == HERE] == []
