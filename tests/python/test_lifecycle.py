"""Enable/disable nesting, two monitors at once, exceptions."""
import pytest

import oracle
import workloads
from pikos.monitors.api import FocusedFunctionMonitor, FocusedLineMonitor, \
    FunctionMonitor, LineMonitor
from pikos.monitors.records import FunctionRecord, LineRecord
from pikos.recorders.api import ListRecorder, RecorderError

HERE = workloads.FILENAME


def test_reentrant_enable_disable(call_log):
    monitor = FunctionMonitor(call_log)
    monitor.enable()
    monitor.enable()
    workloads.helper(1)
    monitor.disable()  # the inner one: still recording
    workloads.recursive()
    monitor.disable()
    workloads.plain()  # not recorded
    assert call_log.calls == [("prepare", FunctionRecord), ("finalize",)]
    functions = [r.function for r in call_log.records
                 if r.filename == HERE and r.type == "call"]
    assert functions == ["helper", "recursive"] + ["gcd"] * 6


def test_reentrant_attach_recursion(call_log):
    """A recursive attached function enables the monitor at every level;
    only the outermost starts and stops it."""
    monitor = FunctionMonitor(call_log)
    gcd = monitor.attach(workloads.gcd)
    workloads.gcd = gcd  # the recursion goes through the wrapper
    try:
        assert gcd(21, 28) == 7
    finally:
        workloads.gcd = gcd.__wrapped__
    assert call_log.calls == [("prepare", FunctionRecord), ("finalize",)]
    calls = [r for r in call_log.records
             if r.filename == HERE and r.type == "call"]
    assert len(calls) == 4


def test_disable_without_enable(call_log):
    monitor = FunctionMonitor(call_log)
    assert monitor.disable() is None  # harmless: nothing to stop
    assert call_log.calls == [] and call_log.records == []


def test_two_monitors_at_once():
    functions, lines = ListRecorder(), ListRecorder()
    with FunctionMonitor(functions), LineMonitor(lines):
        workloads.everything()
    assert oracle.of_file(lines.records, HERE) == oracle.of_file(
        oracle.line_events(workloads.everything), HERE)
    # The function monitor also saw the line monitor start and stop, in
    # pikos's own files; of this file it saw what the oracle sees.
    assert oracle.of_file(functions.records, HERE) == oracle.of_file(
        oracle.function_events(workloads.everything), HERE)


def test_two_focused_monitors_interleaved():
    first, second = ListRecorder(), ListRecorder()
    a = FocusedFunctionMonitor(first, functions=[workloads.gcd])
    b = FocusedLineMonitor(second, functions=[workloads.internal])
    a.enable()
    b.enable()
    workloads.outside_recursive()
    a.disable()
    workloads.outside()
    b.disable()
    assert [tuple(r) for r in first.records] == \
        oracle.focused_function_events([workloads.gcd],
                                       workloads.outside_recursive)
    assert [tuple(r) for r in second.records] == \
        oracle.focused_line_events([workloads.internal], workloads.outside)
    assert all(type(r) is LineRecord for r in second.records)


def test_exception_leaves_monitor_disabled(call_log):
    monitor = FunctionMonitor(call_log)

    @monitor.attach
    def fails():
        workloads.helper(1)
        raise ValueError("from the program")

    with pytest.raises(ValueError, match="from the program") as info:
        fails()
    assert call_log.calls == [("prepare", FunctionRecord), ("finalize",)]
    count = len(call_log.records)
    workloads.plain()
    assert len(call_log.records) == count  # no longer recording
    assert not getattr(info.value, "__notes__", None)
    # The records up to the exception were all delivered.
    assert [r.function for r in call_log.records
            if r.filename == HERE] == ["helper", "helper"]
    with monitor:  # and it can run again
        workloads.helper(2)
    assert call_log.calls[-2:] == [("prepare", FunctionRecord),
                                   ("finalize",)]


def test_exception_from_generator_leaves_monitor_disabled(call_log):
    monitor = FunctionMonitor(call_log)

    @monitor.attach
    def numbers():
        yield 1
        raise KeyError("from the generator")

    generator = numbers()
    assert next(generator) == 1
    with pytest.raises(KeyError, match="from the generator"):
        next(generator)
    finalizes = [call for call in call_log.calls if call[0] == "finalize"]
    assert len(finalizes) == 2  # one per step
    count = len(call_log.records)
    workloads.plain()
    assert len(call_log.records) == count


class Failing:
    """A recorder whose record() fails on the third record."""

    def __init__(self):
        self.records = []
        self.finalized = False

    def prepare(self, record_class):
        pass

    def record(self, record):
        if len(self.records) == 2:
            raise RecorderError("the recorder failed")
        self.records.append(record)

    def finalize(self):
        self.finalized = True


def test_recorder_exception_raised_at_disable():
    recorder = Failing()
    monitor = FocusedFunctionMonitor(recorder, functions=[workloads.gcd])
    with pytest.raises(RecorderError, match="the recorder failed"):
        with monitor:
            assert workloads.recursive() == 10
    assert len(recorder.records) == 2 and recorder.finalized


def test_program_exception_wins_over_recorder_exception():
    recorder = Failing()
    monitor = FocusedFunctionMonitor(recorder, functions=[workloads.gcd])
    with pytest.raises(ZeroDivisionError) as info:
        with monitor:
            workloads.recursive()
            1 / 0
    notes = getattr(info.value, "__notes__", [str(info.value.__context__)])
    assert any("the recorder failed" in note for note in notes)
    assert recorder.finalized


def test_prepare_exception_fails_enable():
    class NoPrepare(Failing):
        def prepare(self, record_class):
            raise RecorderError("cannot prepare")

    recorder = NoPrepare()
    monitor = FunctionMonitor(recorder)
    with pytest.raises(RecorderError, match="cannot prepare"):
        monitor.enable()
    monitor.disable()  # it did not start: harmless
    workloads.plain()
    assert recorder.records == [] and not recorder.finalized


def test_focus_is_fixed_at_the_first_run():
    recorder = ListRecorder()
    monitor = FocusedFunctionMonitor(recorder, functions=[workloads.gcd])
    decorate = monitor.attach(include_decorated=True)
    first = decorate(workloads.helper)  # before the first run: in focus
    assert first(2) == 4
    assert [r.function for r in recorder.records] == ["helper", "helper"]
    with pytest.raises(RuntimeError, match="cannot change the focus of a "
                                           "FocusedFunctionMonitor after"):
        decorate(workloads.recursive)
    with pytest.raises(RuntimeError, match="cannot change the focus"):
        monitor.functions.discard(workloads.gcd)
    monitor.functions.add(workloads.helper)  # in the set already: fine
    assert first(3) == 6  # the monitor goes on as it started
    assert len(recorder.records) == 4
    assert list(monitor.functions) == [workloads.gcd, workloads.helper]
