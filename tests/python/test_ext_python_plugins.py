"""The _pikos extension's built-in recorders/python and filters/python,
and its record classes."""
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import oracle
import workloads
from conftest import STAGE, TIMEOUT
from pikos import _pikos

HERE = workloads.FILENAME


def pipeline(*python_plugins, keep=True):
    """functions -> the given Python filters/recorders (callables are
    filters) -> recorders/list; returns (pipeline, list instance)."""
    pipe = _pikos.Pipeline()
    pipe.add("monitors/functions")
    for plugin in python_plugins:
        if callable(plugin):
            pipe.add_python_filter(plugin)
        else:
            pipe.add_python_recorder(plugin)
    return pipe, pipe.add("recorders/list") if keep else None


def run(pipe, func, *args):
    pipe.start()
    try:
        return func(*args)
    finally:
        pipe.stop()


class Failing:
    """A recorder whose record() raises on its `fail_at`-th record."""

    def __init__(self, fail_at=1):
        self.fail_at = fail_at
        self.records = []
        self.finalized = 0
        self.raised = None

    def prepare(self, record_class):
        pass

    def record(self, record):
        self.records.append(record)
        if len(self.records) == self.fail_at:
            self.raised = ValueError("record %d" % self.fail_at)
            raise self.raised

    def finalize(self):
        self.finalized += 1


# ------------------------------------------------------------ recorders


def test_python_recorder_protocol(call_log):
    pipe, kept = pipeline(call_log)
    run(pipe, workloads.everything)
    cls = _pikos.record_class("FunctionRecord")
    assert call_log.calls == [("prepare", cls), ("finalize",)]
    assert call_log.records == kept.records()
    assert oracle.of_file(call_log.records, HERE) == oracle.of_file(
        oracle.function_events(workloads.everything), HERE)


def test_python_recorder_in_every_run(call_log):
    pipe, _ = pipeline(call_log, keep=False)
    for _ in range(3):
        run(pipe, workloads.helper, 1)
    cls = _pikos.record_class("FunctionRecord")
    assert call_log.calls == [("prepare", cls), ("finalize",)] * 3


def test_recorder_exception_is_raised_by_stop():
    recorder = Failing(fail_at=3)
    pipe, kept = pipeline(recorder)
    pipe.start()
    result = workloads.plain()  # the profiled code never sees it
    with pytest.raises(ValueError) as raised:
        pipe.stop()
    assert result == 9
    assert raised.value is recorder.raised
    # The traceback is the one of record(), where it was raised.
    frames = [frame.name for frame in raised.traceback]
    assert "record" in frames
    assert len(recorder.records) == 3  # never called again in the run
    assert recorder.finalized == 1  # but finalized, to close what it opened
    # The other recorders went on.
    assert oracle.of_file(kept.records(), HERE) == oracle.of_file(
        oracle.function_events(workloads.plain), HERE)


def test_recorder_works_again_in_the_next_run():
    recorder = Failing(fail_at=1)
    pipe, _ = pipeline(recorder, keep=False)
    with pytest.raises(ValueError):
        run(pipe, workloads.helper, 1)
    run(pipe, workloads.helper, 1)
    assert len(recorder.records) > 1
    assert recorder.finalized == 2


def test_prepare_exception_is_raised_by_start():
    class BadPrepare(Failing):
        def prepare(self, record_class):
            raise KeyError(record_class.__name__)

    recorder = BadPrepare()
    pipe, _ = pipeline(recorder)
    with pytest.raises(KeyError, match="FunctionRecord"):
        pipe.start()
    assert not pipe.running
    workloads.helper(1)
    assert recorder.records == [] and recorder.finalized == 0


def test_finalize_exception_is_raised_by_stop():
    class BadFinalize(Failing):
        def finalize(self):
            raise OSError("disk full")

    pipe, _ = pipeline(BadFinalize(fail_at=0))
    pipe.start()
    with pytest.raises(OSError, match="disk full"):
        pipe.stop()
    assert not pipe.running


def test_first_exception_wins():
    first, second = Failing(fail_at=2), Failing(fail_at=1)
    pipe, _ = pipeline(first, second)
    with pytest.raises(ValueError) as raised:
        run(pipe, workloads.plain)
    assert raised.value is second.raised


def test_keyboard_interrupt_reaches_the_program():
    """A KeyboardInterrupt inside record() (a signal handler ran there) is
    the program's: it is raised in the profiled code."""
    class Interrupted(Failing):
        def record(self, record):
            self.records.append(record)
            if record.function == "helper" and record.type == "call" and \
                    not self.raised:
                self.raised = True
                raise KeyboardInterrupt

    recorder = Interrupted()
    pipe, _ = pipeline(recorder, keep=False)
    with pytest.raises(KeyboardInterrupt):
        pipe.start()
        try:
            for i in range(1000):
                workloads.helper(i)
        finally:
            pipe.stop()  # raises nothing: the program had the exception
    assert 0 <= i < 1000
    count = len(recorder.records)
    assert count > 1 and recorder.records[-1].function == "stop"


def test_recorder_must_have_the_protocol():
    pipe = _pikos.Pipeline()
    with pytest.raises(TypeError, match="needs prepare.*: object has no "
                                        r"prepare\(\)"):
        pipe.add_python_recorder(object())
    with pytest.raises(TypeError, match="must be callable"):
        pipe.add_python_filter(42)
    assert pipe.instances == []


def test_python_instances():
    pipe = _pikos.Pipeline()
    recorder = pipe.add_python_recorder(Failing())
    filter_ = pipe.add_python_filter(bool)
    assert (recorder.name, recorder.kind) == ("recorders/python", "recorder")
    assert (filter_.name, filter_.kind) == ("filters/python", "filter")
    with pytest.raises(TypeError, match="does not keep records"):
        recorder.records()


# ------------------------------------------------------------ filters


def test_python_filter_passes_what_it_returns_true_for():
    seen = []

    def only_helper(record):
        seen.append(record)
        return record.function == "helper"

    pipe, kept = pipeline(only_helper)
    run(pipe, workloads.plain)
    expected = [r for r in oracle.of_file(
        oracle.function_events(workloads.plain), HERE) if r[2] == "helper"]
    got = oracle.of_file(kept.records(), HERE)
    # Filtered records leave gaps in index: compare the rest.
    assert [r[1:] for r in got] == [r[1:] for r in expected]
    assert len(seen) > len(got)


def test_filter_and_recorder_share_the_record(call_log):
    seen = []

    def keep_all(record):
        seen.append(record)
        return 1  # truthy, not True

    pipe, _ = pipeline(keep_all, call_log, keep=False)
    run(pipe, workloads.plain)
    assert call_log.records
    assert len(seen) == len(call_log.records)
    assert all(a is b for a, b in zip(seen, call_log.records))


def test_two_filters_in_order():
    order = []

    def first(record):
        order.append(("first", record.index))
        return record.index % 2 == 0

    def second(record):
        order.append(("second", record.index))
        return True

    pipe, kept = pipeline(first, second)
    run(pipe, workloads.helper, 1)
    indexes = [r.index for r in kept.records()]
    assert indexes and all(i % 2 == 0 for i in indexes)
    assert [i for name, i in order if name == "second"] == indexes


def test_threads_switching_inside_python_plugins(call_log):
    """Two threads record at once, and the GIL changes hands inside the
    filter: each record object still reaches the recorders of its own
    record (the filter's object is shared per record and thread)."""
    def yielding(record):
        time.sleep(0)  # lets the other thread run its own records
        return True

    def work():
        for _ in range(50):
            workloads.recursive()

    pipe, kept = pipeline(yielding, call_log)
    thread = threading.Thread(target=work)
    pipe.start()
    try:
        thread.start()
        work()
        thread.join()
    finally:
        pipe.stop()
    by_index = sorted(call_log.records, key=lambda r: r.index)
    assert by_index == sorted(kept.records(), key=lambda r: r.index)
    assert len({r.index for r in by_index}) == len(by_index)
    calls = [r for r in by_index if r.function == "recursive"]
    assert len(calls) == 200  # call and return, 50 times in each thread


def test_filter_exception_drops_records_and_is_raised_by_stop():
    def failing(record):
        if record.function == "helper":
            raise RuntimeError("no helpers")
        return True

    pipe, kept = pipeline(failing)
    pipe.start()
    workloads.plain()
    with pytest.raises(RuntimeError, match="no helpers"):
        pipe.stop()
    # The record it raised on and every later one were dropped.
    expected = oracle.of_file(oracle.function_events(workloads.plain), HERE)
    first_helper = [r[2] for r in expected].index("helper")
    assert oracle.of_file(kept.records(), HERE) == expected[:first_helper]


def test_filter_truth_that_raises():
    class Undecided:
        def __bool__(self):
            raise ArithmeticError("neither")

    pipe, kept = pipeline(lambda record: Undecided())
    with pytest.raises(ArithmeticError, match="neither"):
        run(pipe, workloads.helper, 1)
    assert kept.records() == []


# ------------------------------------------------------------ classes


def test_record_class_lookup():
    with pytest.raises(KeyError):
        _pikos.record_class("NoSuchRecord")
    with pytest.raises(TypeError):
        _pikos.register_record_class("X", "not a class")


def test_registered_class_is_used():
    original = _pikos.record_class("FunctionRecord")

    class Mine(original):
        __slots__ = ()

    _pikos.register_record_class("FunctionRecord", Mine)
    try:
        pipe, kept = pipeline()
        run(pipe, workloads.helper, 1)
        records = kept.records()  # converted now, with the class of now
    finally:
        _pikos.register_record_class("FunctionRecord", original)
    assert records and all(type(r) is Mine for r in records)


def test_class_code_runs():
    """A registered class with its own __init__ (or __new__) is called:
    records are built without calling the class only for a plain
    namedtuple."""
    original = _pikos.record_class("FunctionRecord")

    class Counted(original):
        made = 0

        def __init__(self, *values):
            Counted.made += 1

    _pikos.register_record_class("FunctionRecord", Counted)
    try:
        pipe, kept = pipeline()
        run(pipe, workloads.helper, 1)
        records = kept.records()
    finally:
        _pikos.register_record_class("FunctionRecord", original)
    assert records and Counted.made == len(records)
    assert oracle.of_file(records, HERE) == oracle.of_file(
        oracle.function_events(workloads.helper, 1), HERE)


def test_repeated_texts_are_one_object():
    pipe, kept = pipeline()
    run(pipe, workloads.recursive)
    gcd = [r for r in kept.records() if r.function == "gcd"]
    assert len(gcd) > 2
    assert all(r.filename is gcd[0].filename for r in gcd)
    assert all(r.function is gcd[0].function for r in gcd)


def test_unregistered_schema_gets_a_namedtuple(tmp_path):
    """With no class registered (the extension imported without the
    package), records are namedtuples made from the schema, carrying its
    templates as the seed's classes do; a field named like a template
    (`line`) stays readable on a record."""
    path = os.path.join(STAGE, "pikos", "_pikos.so")
    script = tmp_path / "alone.py"
    script.write_text(textwrap.dedent(f"""
        import importlib.util
        spec = importlib.util.spec_from_file_location("pikos._pikos", {path!r})
        ext = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(ext)
        def work():
            return len("x")
        pipe = ext.Pipeline()
        pipe.add("monitors/lines")
        kept = pipe.add("recorders/list")
        pipe.start()
        work()
        pipe.stop()
        record = [r for r in kept.records() if r.function == "work"][0]
        cls = type(record)
        print(cls.__name__, cls._fields, issubclass(cls, tuple))
        print(repr(cls.header), repr(cls.line), repr(record.line))
        print(ext.record_class("LineRecord") is cls)
        print(record[3].strip(), record.function)
        """))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "LineRecord ('index', 'function', 'lineNo', 'line', 'filename') True",
        "'{:<12} {:<50} {:<7} {} -- {}' '{:<12} {:<50} {:<7} {} -- {}' "
        "'    return len(\"x\")'",
        "True",
        'return len("x") work',
    ]
