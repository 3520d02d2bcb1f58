"""Fidelity to the original pikos (issue 13, item 6): LineRecord's
template of the seed's source (``-- ``), an unmatched disable() that is
harmless for every monitor class, and a running monitor dropped (del, then
gc.collect()) that stops and finalizes its recorder whatever the recorder.

Records are compared with the sys.setprofile / sys.settrace oracles
(oracle.py); text and CSV files with text written here independently (an
f-string per line, Python's csv.writer)."""
import csv
import gc
import io
import sys

import pytest

import oracle
import pikos
import workloads
from pikos.api import screen
from pikos.monitors.api import FocusedFunctionMemoryMonitor, \
    FocusedFunctionMonitor, FocusedLineMemoryMonitor, FocusedLineMonitor, \
    FunctionMemoryMonitor, FunctionMonitor, LineMemoryMonitor, LineMonitor
from pikos.monitors.records import FunctionRecord, LineRecord
from pikos.recorders.api import CSVFileRecorder, ListRecorder, \
    TextFileRecorder, TextStreamRecorder

HERE = workloads.FILENAME


# ------------------------------------------------------------ LineRecord

def line_text(index, function, line_no, line, filename):
    """One LineRecord line as the seed's source formats it (the template
    ``{:<12} {:<50} {:<7} {} -- {}``, spelt out)."""
    return f"{index!s:<12} {function:<50} {line_no!s:<7} {line} -- {filename}"


def expected_line_text(events):
    header = line_text("index", "function", "lineNo", "line", "filename")
    return "".join([header + "\n", "-" * len(header) + "\n"] +
                   [line_text(*event) + "\n" for event in events])


def test_line_record_template_has_two_dashes():
    """The record class's (the C descriptor's: test_ext_python_plugins.py
    and the text recorder below)."""
    assert LineRecord.header == "{:<12} {:<50} {:<7} {} -- {}"
    assert LineRecord.line == "{:<12} {:<50} {:<7} {} -- {}"
    record = LineRecord(3, "f", 7, "x = 1", "/a.py")
    assert LineRecord.line.format(*record) == \
        "3            " + "f" + " " * 50 + "7       x = 1 -- /a.py"


@pytest.mark.parametrize("writer", ["recorders/text", "python"])
def test_line_records_written_with_two_dashes(writer, tmp_path):
    """The C text recorder (the C descriptor's template) and the Python
    one (the record class's) both write ' -- '."""
    path = tmp_path / "lines.txt"
    if writer == "python":
        stream = io.StringIO()
        recorder = TextStreamRecorder(stream, formatted=True)
    else:
        recorder = TextFileRecorder(path, formatted=True)
    with FocusedLineMonitor(recorder, functions=[workloads.internal]):
        workloads.outside()
    text = stream.getvalue() if writer == "python" else path.read_text()
    events = oracle.focused_line_events([workloads.internal],
                                        workloads.outside)
    assert len(events) == 4
    assert text == expected_line_text(events)


# ------------------------------------------------------------ unmatched

def without_memory(records):
    rows = []
    for record in records:
        fields = record._asdict()
        del fields["RSS"], fields["VMS"]
        rows.append(tuple(fields.values()))
    return rows


def as_is(records):
    return [tuple(record) for record in records]


# name: (make(recorder), workload, oracle events of the workload, rows)
MONITORS = {
    "FunctionMonitor": (
        FunctionMonitor, workloads.recursive,
        lambda: oracle.function_events(workloads.recursive), as_is),
    "LineMonitor": (
        LineMonitor, workloads.plain,
        lambda: oracle.line_events(workloads.plain), as_is),
    "FunctionMemoryMonitor": (
        FunctionMemoryMonitor, workloads.recursive,
        lambda: oracle.function_events(workloads.recursive), without_memory),
    "LineMemoryMonitor": (
        LineMemoryMonitor, workloads.plain,
        lambda: oracle.line_events(workloads.plain), without_memory),
    "FocusedFunctionMonitor": (
        lambda r: FocusedFunctionMonitor(r, functions=[workloads.gcd]),
        workloads.outside_recursive,
        lambda: oracle.focused_function_events(
            [workloads.gcd], workloads.outside_recursive), as_is),
    "FocusedLineMonitor": (
        lambda r: FocusedLineMonitor(r, functions=[workloads.internal]),
        workloads.outside,
        lambda: oracle.focused_line_events([workloads.internal],
                                           workloads.outside), as_is),
    "FocusedFunctionMemoryMonitor": (
        lambda r: FocusedFunctionMemoryMonitor(r, functions=[workloads.gcd]),
        workloads.outside_recursive,
        lambda: oracle.focused_function_events(
            [workloads.gcd], workloads.outside_recursive), without_memory),
    "FocusedLineMemoryMonitor": (
        lambda r: FocusedLineMemoryMonitor(r,
                                           functions=[workloads.internal]),
        workloads.outside,
        lambda: oracle.focused_line_events([workloads.internal],
                                           workloads.outside),
        without_memory),
    "pikos.monitor(monitors/functions)": (
        lambda r: pikos.monitor("monitors/functions", recorder=r),
        workloads.recursive,
        lambda: oracle.function_events(workloads.recursive), as_is),
    "pikos.monitor(monitors/lines, functions=)": (
        lambda r: pikos.monitor("monitors/lines", recorder=r,
                                functions=[workloads.internal]),
        workloads.outside,
        lambda: oracle.focused_line_events([workloads.internal],
                                           workloads.outside), as_is),
}


@pytest.mark.parametrize("name", list(MONITORS))
def test_unmatched_disable_is_harmless(name):
    make, workload, events, rows = MONITORS[name]
    recorder = ListRecorder()
    monitor = make(recorder)
    monitor.disable()  # never enabled
    monitor.disable()
    with monitor:
        workload()
    first = len(recorder.records)
    monitor.disable()  # one more than the enable()s
    monitor.disable()
    workload()  # not recorded
    assert len(recorder.records) == first
    with monitor:  # not counted: this enable() starts the monitor again
        workload()
    monitor.disable()
    workload()

    records = recorder.records
    expected = oracle.of_file(events(), HERE)
    assert expected
    assert oracle.of_file(rows(records[:first]), HERE) == expected
    assert oracle.of_file(rows(records[first:]), HERE) == expected


def test_unmatched_disable_calls_no_recorder_method(call_log):
    monitor = FocusedFunctionMonitor(call_log, functions=[workloads.gcd])
    monitor.disable()
    monitor.enable()
    workloads.recursive()
    monitor.disable()
    monitor.disable()
    assert call_log.calls == [("prepare", FunctionRecord), ("finalize",)]
    assert as_is(call_log.records) == oracle.focused_function_events(
        [workloads.gcd], workloads.recursive)


# ------------------------------------------------------------ dropped

def function_text(events):
    """FunctionRecords as the seed's template ``{:<8} {:<11} {:<30} {:<5}
    {}`` formats them, spelt out, under its header line and dashes."""
    header = f"{'index':<8} {'type':<11} {'function':<30} {'lineNo':<5} " \
        f"filename"
    lines = [header, "-" * len(header)]
    lines += [f"{i!s:<8} {kind:<11} {name:<30} {line!s:<5} {filename}"
              for i, kind, name, line, filename in events]
    return "".join(line + "\n" for line in lines)


def csv_text(events):
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(FunctionRecord._fields)
    writer.writerows(events)
    return stream.getvalue()


class Recorders:
    """The recorder of each kind, and how to read what it holds."""

    def __init__(self, kind, tmp_path, call_log):
        self.kind = kind
        self.path = tmp_path / "out"
        self.call_log = call_log
        if kind == "list":
            self.recorder = ListRecorder()
        elif kind == "csv-file":  # the C recorders/csv
            self.recorder = CSVFileRecorder(self.path)
        elif kind == "csv-plugin":
            self.recorder = pikos.recorder("recorders/csv",
                                           filename=str(self.path))
        elif kind == "text-file":  # the C recorders/text
            self.recorder = TextFileRecorder(self.path, formatted=True)
        elif kind == "screen":  # Python, on sys.stdout
            self.recorder = screen()
        else:
            self.recorder = call_log

    def held(self, capsys):
        """What the recorder holds so far, as text or rows."""
        if self.kind == "list":
            return as_is(self.recorder.records)
        if self.kind == "python":
            return as_is(self.call_log.records)
        if self.kind == "screen":
            return capsys.readouterr().out
        with open(self.path, newline="", encoding="utf-8") as stream:
            return stream.read()

    def expected(self, events):
        if self.kind in ("list", "python"):
            return events
        if self.kind == "text-file" or self.kind == "screen":
            return function_text(events)
        return csv_text(events)


KINDS = ["list", "csv-file", "csv-plugin", "text-file", "screen", "python"]


@pytest.mark.parametrize("kind", KINDS)
def test_dropped_monitor_stops_and_finalizes(kind, tmp_path, capsys,
                                             call_log):
    recorders = Recorders(kind, tmp_path, call_log)
    monitor = FocusedFunctionMonitor(recorders.recorder,
                                     functions=[workloads.gcd])
    monitor.enable()
    monitor.enable()  # nested: the drop stops it all the same
    workloads.recursive()
    del monitor
    gc.collect()
    held = recorders.held(capsys)
    workloads.recursive()  # no new records
    gc.collect()

    events = oracle.focused_function_events([workloads.gcd],
                                            workloads.recursive)
    assert held == recorders.expected(events)  # complete when dropped
    after = recorders.held(capsys)
    assert after == ("" if kind == "screen" else held)
    if kind == "python":
        assert call_log.calls == [("prepare", FunctionRecord),
                                  ("finalize",)]


@pytest.mark.parametrize("kind", ["list", "python"])
def test_dropped_monitor_records_nothing_more(kind, tmp_path, capsys,
                                             call_log):
    """A monitor that is not focused: what it recorded of the workloads
    before the drop is the oracle's, and nothing after."""
    recorders = Recorders(kind, tmp_path, call_log)
    monitor = FunctionMonitor(recorders.recorder)
    monitor.enable()
    workloads.plain()
    del monitor
    gc.collect()
    count = len(recorders.held(capsys))
    workloads.everything()
    held = recorders.held(capsys)
    assert len(held) == count
    assert oracle.of_file(held, HERE) == oracle.of_file(
        oracle.function_events(workloads.plain), HERE)


def test_dropped_monitor_in_a_cycle_stops_at_collection():
    """A Python recorder that holds its monitor: the cycle (monitor ->
    pipeline -> recorder -> monitor) keeps the monitor until the
    collector frees it, which stops it and finalizes the recorder."""
    log = {"calls": [], "records": []}

    class Holder:
        monitor = None

        def prepare(self, record_class):
            log["calls"].append("prepare")

        def record(self, record):
            log["records"].append(tuple(record))

        def finalize(self):
            log["calls"].append("finalize")

    holder = Holder()
    monitor = FocusedFunctionMonitor(holder, functions=[workloads.gcd])
    holder.monitor = monitor
    del holder
    monitor.enable()
    workloads.recursive()
    del monitor
    gc.collect()
    workloads.recursive()
    assert log["calls"] == ["prepare", "finalize"]
    assert log["records"] == oracle.focused_function_events(
        [workloads.gcd], workloads.recursive)


def test_dropped_monitor_with_a_failing_recorder(monkeypatch):
    """Nobody is left to raise a Python recorder's exception to: it goes
    to sys.unraisablehook ("Exception ignored in ..."), and the monitor
    stops all the same."""
    class Failing:
        def __init__(self):
            self.records = []
            self.finalized = False

        def prepare(self, record_class):
            pass

        def record(self, record):
            if len(self.records) == 1:
                raise ValueError("the recorder failed")
            self.records.append(tuple(record))

        def finalize(self):
            self.finalized = True

    ignored = []
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)
    recorder = Failing()
    monitor = FocusedFunctionMonitor(recorder, functions=[workloads.gcd])
    monitor.enable()
    workloads.recursive()
    del monitor
    gc.collect()
    workloads.recursive()
    assert recorder.finalized
    assert recorder.records == oracle.focused_function_events(
        [workloads.gcd], workloads.recursive)[:1]
    assert [(type(u.exc_value), str(u.exc_value)) for u in ignored] == [
        (ValueError, "the recorder failed")]
