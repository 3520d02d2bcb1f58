"""Recorders: exact text and CSV, Python recorders against the C ones,
ListRecorder, RecorderError."""
import csv
import io
from collections import namedtuple

import pytest

import oracle
import workloads
from pikos.monitors.api import FocusedFunctionMonitor, FocusedLineMonitor, \
    FunctionMonitor
from pikos.monitors.records import FunctionRecord, LineMemoryRecord
from pikos.recorders.api import AbstractRecorder, CSVFileRecorder, \
    CSVRecorder, ListRecorder, RecorderError, TextFileRecorder, \
    TextStreamRecorder


class DummyRecord(namedtuple("DummyRecord", "one two three")):
    __slots__ = ()
    header = "{:<5} {:<5} {}"
    line = "{:<5} {:<5} {}"


RECORDS = [FunctionRecord(0, "call", "f", 3, "/x.py"),
           FunctionRecord(12, "c_return", "len", 45, "/a b/y.py")]


def written(recorder, records, record_class=FunctionRecord):
    recorder.prepare(record_class)
    for record in records:
        recorder.record(record)
    recorder.finalize()


# ---------------------------------------------------------------- text


def test_text_plain():
    stream = io.StringIO()
    written(TextStreamRecorder(stream), [DummyRecord(5, "pikos", "apikos")],
            DummyRecord)
    assert stream.getvalue() == \
        "one two three\n-------------\n5 pikos apikos\n"


def test_text_formatted():
    stream = io.StringIO()
    written(TextStreamRecorder(stream, formatted=True),
            [DummyRecord(5, "pikos", "apikos")], DummyRecord)
    assert stream.getvalue() == \
        "one   two   three\n-----------------\n5     pikos apikos\n"


def test_text_formatted_function_records():
    stream = io.StringIO()
    written(TextStreamRecorder(stream, formatted=True), RECORDS)
    assert stream.getvalue().splitlines() == [
        "index    type        function                       lineNo filename",
        "-------------------------------------------------------------------",
        "0        call        f                              3     /x.py",
        "12       c_return    len                            45    /a b/y.py"]
    assert stream.getvalue().endswith("/y.py\n")


def test_text_memory_templates():
    stream = io.StringIO()
    record = LineMemoryRecord(7, "work", 12, 4096, 65536, "x = 1", "/w.py")
    written(TextStreamRecorder(stream, formatted=True), [record],
            LineMemoryRecord)
    assert stream.getvalue().splitlines()[0] == (
        "   index     |            function            | lineNo  |"
        "       RSS       |       VMS       | line filename")
    assert stream.getvalue().splitlines()[2] == (
        "7            | work                           | 12      |"
        "            4096 |           65536 | x = 1 /w.py")


def test_text_header_once_and_filter():
    stream = io.StringIO()
    recorder = TextStreamRecorder(stream,
                                  filter_=lambda r: r.function != "f")
    for _ in range(3):
        recorder.prepare(FunctionRecord)
    for record in RECORDS:
        recorder.record(record)
    for _ in range(3):
        recorder.finalize()
    assert stream.getvalue() == (
        "index type function lineNo filename\n"
        "-----------------------------------\n"
        "12 c_return len 45 /a b/y.py\n")


def test_text_tuples():
    stream = io.StringIO()
    written(TextStreamRecorder(stream, formatted=True), [(5, "pikos", "a")],
            tuple)
    assert stream.getvalue() == "5 pikos a\n"


@pytest.mark.parametrize("cls,args", [
    (TextStreamRecorder, (io.StringIO(),)),
    (CSVRecorder, (io.StringIO(),)),
    (TextFileRecorder, ("unused.txt",)),
    (CSVFileRecorder, ("unused.csv",)),
])
def test_recorder_error_before_prepare(cls, args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recorder = cls(*args)
    assert not recorder.ready
    with pytest.raises(RecorderError):
        recorder.record(RECORDS[0])
    with pytest.raises(RecorderError):
        recorder.finalize()


def test_file_recorders_used_directly(tmp_path):
    text = TextFileRecorder(tmp_path / "out.txt")
    table = CSVFileRecorder(tmp_path / "out.csv")
    for recorder in (text, table):
        written(recorder, RECORDS)
        assert not recorder.ready  # finalize closed the file
        with pytest.raises(RecorderError):
            recorder.record(RECORDS[0])
    assert (tmp_path / "out.txt").read_text() == (
        "index type function lineNo filename\n"
        "-----------------------------------\n"
        "0 call f 3 /x.py\n12 c_return len 45 /a b/y.py\n")
    assert (tmp_path / "out.csv").read_bytes() == (
        b"index,type,function,lineNo,filename\r\n"
        b"0,call,f,3,/x.py\r\n12,c_return,len,45,/a b/y.py\r\n")


# ---------------------------------------------------------------- CSV


def test_csv_kwargs_delimiter():
    stream = io.StringIO()
    records = RECORDS + [FunctionRecord(13, "call", "a;b", 1, 'q"')]
    written(CSVRecorder(stream, delimiter=";"), records)
    assert stream.getvalue() == (
        "index;type;function;lineNo;filename\r\n"
        "0;call;f;3;/x.py\r\n"
        "12;c_return;len;45;/a b/y.py\r\n"
        '13;call;"a;b";1;"q"""\r\n')


def test_csv_filter_list():
    stream = io.StringIO()
    written(CSVRecorder(stream, filter_=[lambda r: r.index > 0,
                                         lambda r: r.lineNo < 50]), RECORDS)
    assert stream.getvalue().splitlines()[1:] == \
        ["12,c_return,len,45,/a b/y.py"]


# ------------------------------------- the Python recorders write as C


def run_focused(monitor_class, recorder, focus, func):
    with monitor_class(recorder, functions=focus):
        func()


TEXT_CASES = [(FocusedFunctionMonitor, [workloads.gcd_loop],
               workloads.outside),
              (FocusedLineMonitor, [workloads.quoted, workloads.gcd],
               workloads.everything)]


@pytest.mark.parametrize("formatted", [True, False])
@pytest.mark.parametrize("case", TEXT_CASES, ids=["functions", "lines"])
def test_text_python_writes_as_c(case, formatted, tmp_path):
    monitor_class, focus, func = case
    path = tmp_path / "c.txt"
    run_focused(monitor_class, TextFileRecorder(path, formatted=formatted),
                focus, func)
    stream = io.StringIO()
    run_focused(monitor_class,
                TextStreamRecorder(stream, formatted=formatted), focus, func)
    assert stream.getvalue() == path.read_text()
    assert len(stream.getvalue().splitlines()) > 6


@pytest.mark.parametrize("csv_kwargs", [{}, {"delimiter": ";"},
                                        {"delimiter": " "}])
@pytest.mark.parametrize("case", TEXT_CASES, ids=["functions", "lines"])
def test_csv_python_writes_as_c(case, csv_kwargs, tmp_path):
    monitor_class, focus, func = case
    path = tmp_path / "c.csv"
    run_focused(monitor_class, CSVFileRecorder(path, **csv_kwargs), focus,
                func)
    stream = io.StringIO()
    run_focused(monitor_class, CSVRecorder(stream, **csv_kwargs), focus,
                func)
    text = path.read_bytes().decode()
    assert stream.getvalue() == text
    delimiter = csv_kwargs.get("delimiter", ",")
    rows = list(csv.reader(io.StringIO(text, newline=""),
                           delimiter=delimiter))
    expected = (oracle.focused_function_events(focus, func)
                if monitor_class is FocusedFunctionMonitor
                else oracle.focused_line_events(focus, func))
    assert rows[1:] == [[str(value) for value in event]
                        for event in expected]


def test_csv_file_other_kwargs(tmp_path):
    """csv options recorders/csv does not have: Python's csv.writer."""
    path = tmp_path / "all.csv"
    run_focused(FocusedFunctionMonitor,
                CSVFileRecorder(path, quoting=csv.QUOTE_ALL),
                [workloads.gcd], workloads.recursive)
    with open(path, newline="") as stream:
        rows = list(csv.reader(stream))
    expected = oracle.focused_function_events([workloads.gcd],
                                              workloads.recursive)
    assert rows[1:] == [[str(v) for v in event] for event in expected]
    assert path.read_text().startswith('"index","type"')


# ---------------------------------------------------------------- list


def test_list_recorder_accumulates():
    recorder = ListRecorder()
    assert recorder.records == []
    monitor = FocusedFunctionMonitor(recorder, functions=[workloads.gcd])
    with monitor:
        workloads.recursive()
    first = recorder.records
    with monitor:
        workloads.recursive()
    both = recorder.records
    expected = oracle.focused_function_events([workloads.gcd],
                                              workloads.recursive)
    assert [tuple(r) for r in first] == expected
    assert both[:len(first)] == first
    # The index goes on counting, as the seed's monitors' did.
    assert [r.index for r in both] == list(range(2 * len(expected)))
    assert all(type(r) is FunctionRecord for r in both)


def test_list_recorder_direct_and_filter():
    recorder = ListRecorder(filter_=lambda r: r.index > 0)
    written(recorder, RECORDS)
    assert recorder.records == RECORDS[1:]
    assert recorder.ready


# ------------------------------------------------------- Python recorders


class Collecting(AbstractRecorder):
    def __init__(self):
        self.prepared = []
        self.kept = []
        self.finalized = 0

    def prepare(self, record):
        self.prepared.append(record)

    def record(self, data):
        self.kept.append(data)

    def finalize(self):
        self.finalized += 1


def test_python_recorder_subclass():
    recorder = Collecting()
    with FunctionMonitor(recorder):
        workloads.plain()
    assert recorder.prepared == [FunctionRecord]
    assert recorder.finalized == 1
    expected = oracle.of_file(oracle.function_events(workloads.plain),
                              workloads.FILENAME)
    assert oracle.of_file(recorder.kept, workloads.FILENAME) == expected


def test_subclass_overriding_record_sees_every_record():
    class Upper(TextStreamRecorder):
        def record(self, data):
            super().record(data._replace(function=data.function.upper()))

    stream = io.StringIO()
    run_focused(FocusedFunctionMonitor,
                Upper(stream, filter_=lambda r: r.type == "call"),
                [workloads.gcd], workloads.recursive)
    assert stream.getvalue().splitlines()[2:] == [
        f"{index} call GCD {workloads.gcd.__code__.co_firstlineno} "
        f"{workloads.FILENAME}" for index in range(4)] + [
        f"{index} call GCD {workloads.gcd.__code__.co_firstlineno} "
        f"{workloads.FILENAME}" for index in range(8, 10)]


def test_not_a_recorder():
    with pytest.raises(TypeError, match="has no prepare, record"):
        FunctionMonitor(object())


def test_record_classes():
    from pikos.monitors.records import FunctionMemoryRecord, LineRecord

    assert FunctionRecord._fields == ("index", "type", "function", "lineNo",
                                      "filename")
    assert LineRecord._fields == ("index", "function", "lineNo", "line",
                                  "filename")
    assert FunctionMemoryRecord._fields == ("index", "type", "function",
                                            "RSS", "VMS", "lineNo",
                                            "filename")
    assert LineMemoryRecord._fields == ("index", "function", "lineNo", "RSS",
                                        "VMS", "line", "filename")
    # The template on the class, the field on a record.
    assert LineRecord.header == LineRecord.line == \
        "{:<12} {:<50} {:<7} {} -- {}"
    record = LineRecord(1, "f", 2, "x = 1", "/f.py")
    assert record.line == "x = 1"
    assert LineMemoryRecord(1, "f", 2, 3, 4, "y", "/f.py").line == "y"
    assert record._replace(line="z").line == "z"
    assert FunctionMemoryRecord.line == \
        "{:>8} | {:<11} | {:<12} | {:>15} | {:>15} | {:>6} | {}"


@pytest.mark.parametrize("kind", ["csv-file-c", "text-file-c",
                                  "csv-stream-python"])
def test_a_monitor_run_twice_writes_one_header(kind, tmp_path):
    path = tmp_path / "twice"
    stream = None
    if kind == "csv-file-c":
        recorder = CSVFileRecorder(path)
    elif kind == "text-file-c":
        recorder = TextFileRecorder(path, formatted=True)
    else:
        stream = open(path, "w", newline="", encoding="utf-8")
        recorder = CSVRecorder(stream)
    monitor = FocusedFunctionMonitor(recorder, functions=[workloads.gcd])
    for _ in range(2):
        with monitor:
            workloads.gcd(12, 8)
    if stream is not None:
        stream.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    once = len(oracle.focused_function_events([workloads.gcd],
                                              lambda: workloads.gcd(12, 8)))
    header_lines = 2 if kind == "text-file-c" else 1  # text: a separator
    assert once > 0
    assert len(lines) == header_lines + 2 * once
    assert lines.count(lines[0]) == 1
