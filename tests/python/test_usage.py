"""The seed's four usage forms (its Usage section), and pikos.api."""
import csv

import pytest

import oracle
import workloads
from pikos.api import csv_file, csvfile, function_memory_monitor, \
    function_monitor, line_memory_monitor, line_monitor, \
    memory_on_functions, memory_on_lines, monitor_functions, monitor_lines, \
    screen, textfile
from pikos.monitors.api import FocusedFunctionMemoryMonitor, \
    FocusedFunctionMonitor, FocusedLineMemoryMonitor, FocusedLineMonitor, \
    FocusedMonitorAttach, FunctionMemoryMonitor, FunctionMonitor, \
    LineMemoryMonitor, LineMonitor, MonitorAttach
from pikos.recorders.api import ListRecorder, TextStreamRecorder

HERE = workloads.FILENAME
TEMPLATE = "{:<8} {:<11} {:<30} {:<5} {}"
HEADER = ("index    type        function                       lineNo "
          "filename")


def screen_lines_of(text, func):
    """The workload's lines of screen output, and what the oracle says
    they should be (with the index of the first as printed)."""
    lines = text.splitlines()
    assert lines[0] == HEADER
    assert lines[1] == "-" * len(HEADER)
    mine = [line for line in lines[2:] if line.endswith(" " + HERE)]
    first = int(mine[0].split()[0])
    expected = [TEMPLATE.format(index + first, *rest) for index, *rest
                in oracle.of_file(oracle.function_events(func), HERE)]
    return mine, expected


def test_enable_disable(capsys):
    monitor = FunctionMonitor(recorder=screen())
    monitor.enable()
    workloads.recursive()
    monitor.disable()
    mine, expected = screen_lines_of(capsys.readouterr().out,
                                     workloads.recursive)
    assert mine == expected


def test_context_manager(capsys):
    monitor = FunctionMonitor(recorder=screen())
    with monitor:
        workloads.plain()
    mine, expected = screen_lines_of(capsys.readouterr().out,
                                     workloads.plain)
    assert mine == expected


def test_attach(capsys):
    monitor = FunctionMonitor(recorder=screen())
    monitored_function = monitor.attach(workloads.method)
    assert monitored_function() == workloads.method()
    assert monitored_function.__name__ == "method"
    mine, expected = screen_lines_of(capsys.readouterr().out,
                                     workloads.method)
    assert mine == expected


def test_decorator_factory_focused(tmp_path, monkeypatch):
    """@function_monitor(recorder=csv_file(), focused=True): the records
    of the decorated function only, in monitor_records.csv."""
    monkeypatch.chdir(tmp_path)

    @function_monitor(recorder=csv_file(), focused=True)
    def monitored_function():
        return workloads.outside()

    assert monitored_function() == workloads.outside()
    with open(tmp_path / "monitor_records.csv", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["index", "type", "function", "lineNo", "filename"]
    undecorated = monitored_function.__wrapped__
    expected = oracle.focused_function_events([undecorated], undecorated)
    assert rows[1:] == [[str(value) for value in event]
                        for event in expected]


def test_attach_method_and_generator():
    recorder = ListRecorder()
    monitor = FunctionMonitor(recorder)

    class Counter:
        @monitor.attach
        def twice(self, x):
            return workloads.helper(x) * 2

    @monitor.attach
    def numbers(n):
        yield from workloads.countdown(n)

    assert Counter().twice(2) == 8
    assert list(numbers(3)) == [3, 2, 1]
    functions = [record.function for record in recorder.records
                 if record.type == "call" and record.filename == HERE]
    # The generator runs (and is recorded) a step at a time.
    assert functions == ["helper"] + ["countdown"] * 4


def test_attach_generator_send_throw_close():
    monitor = FunctionMonitor(ListRecorder())

    @monitor.attach
    def echo():
        received = []
        try:
            while True:
                try:
                    received.append((yield len(received)))
                except KeyError:
                    received.append("thrown")
        finally:
            received.append("closed")
            echo.result = received

    generator = echo()
    assert next(generator) == 0
    assert generator.send("a") == 1
    assert generator.throw(KeyError()) == 2
    generator.close()
    assert echo.result == ["a", "thrown", "closed"]


@pytest.mark.parametrize("factory,plain,focused", [
    (function_monitor, FunctionMonitor, FocusedFunctionMonitor),
    (line_monitor, LineMonitor, FocusedLineMonitor),
    (function_memory_monitor, FunctionMemoryMonitor,
     FocusedFunctionMemoryMonitor),
    (line_memory_monitor, LineMemoryMonitor, FocusedLineMemoryMonitor),
])
def test_factories(factory, plain, focused):
    decorator = factory()
    assert type(decorator) is MonitorAttach
    assert type(decorator.monitor) is plain
    assert type(decorator.monitor.recorder) is TextStreamRecorder
    decorator = factory(recorder=ListRecorder(), focus_on=[workloads.gcd])
    assert type(decorator) is FocusedMonitorAttach
    assert type(decorator.monitor) is focused
    assert list(decorator.monitor.functions) == [workloads.gcd]
    assert type(decorator.monitor.recorder) is ListRecorder


def test_aliases():
    assert monitor_functions is function_monitor
    assert monitor_lines is line_monitor
    assert memory_on_functions is function_memory_monitor
    assert memory_on_lines is line_memory_monitor
    assert csv_file is csvfile


def test_focus_on_records_inside_those_functions():
    recorder = ListRecorder()

    @line_monitor(recorder=recorder, focus_on=[workloads.gcd_loop])
    def run():
        return workloads.outside()

    run()
    expected = oracle.focused_line_events([workloads.gcd_loop],
                                          workloads.outside)
    assert [tuple(record) for record in recorder.records] == expected


def test_recorder_factories_default_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = oracle.focused_function_events([workloads.gcd],
                                              workloads.recursive)
    for recorder in (textfile(), csvfile()):
        with FocusedFunctionMonitor(recorder, functions=[workloads.gcd]):
            workloads.recursive()
    log = (tmp_path / "monitor_records.log").read_text().splitlines()
    assert log[:2] == [HEADER, "-" * len(HEADER)]
    assert log[2:] == [TEMPLATE.format(*event) for event in expected]
    with open(tmp_path / "monitor_records.csv", newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[1:] == [[str(value) for value in event]
                        for event in expected]
