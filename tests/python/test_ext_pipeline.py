"""The _pikos extension's Pipeline and Instance, driven directly.

Records are compared with oracle.py's pure-Python sys.setprofile /
sys.settrace callbacks on the same functions (workloads.py).
"""
import gc

import pytest

import oracle
import workloads
from pikos import _pikos

HERE = workloads.FILENAME
WORKLOADS = [workloads.plain, workloads.recursive, workloads.generator,
             workloads.method, workloads.caught, workloads.everything]


def recorded(monitor, func, **options):
    """The records a `monitor` + recorders/list pipeline keeps of func()."""
    pipe = _pikos.Pipeline()
    pipe.add(monitor, options)
    records = pipe.add("recorders/list")
    pipe.start()
    try:
        func()
    finally:
        pipe.stop()
    return records.records()


@pytest.mark.parametrize("func", WORKLOADS, ids=lambda f: f.__name__)
def test_functions_match_the_oracle(func):
    assert oracle.of_file(recorded("monitors/functions", func), HERE) == \
        oracle.of_file(oracle.function_events(func), HERE)


@pytest.mark.parametrize("func", WORKLOADS, ids=lambda f: f.__name__)
def test_lines_match_the_oracle(func):
    assert oracle.of_file(recorded("monitors/lines", func), HERE) == \
        oracle.of_file(oracle.line_events(func), HERE)


def test_focus_option_as_a_list():
    focus = [workloads.gcd_loop]
    assert oracle.of_file(recorded("monitors/functions", workloads.outside,
                                   functions=["gcd_loop"]), HERE) == \
        oracle.of_file(oracle.focused_function_events(focus,
                                                      workloads.outside), HERE)


def test_records_are_the_registered_class():
    records = recorded("monitors/functions", workloads.plain)
    cls = _pikos.record_class("FunctionRecord")
    assert records and all(type(r) is cls for r in records)
    assert cls._fields == ("index", "type", "function", "lineNo", "filename")


def test_instances_name_kind():
    pipe = _pikos.Pipeline()
    added = [pipe.add("monitors/functions"), pipe.add("filters/on_change",
                                                      {"field": "function"}),
             pipe.add("csv")]
    assert pipe.instances == added
    assert pipe.instances is not pipe.instances  # a new list each time
    assert [(i.name, i.kind) for i in added] == [
        ("monitors/functions", "monitor"), ("filters/on_change", "filter"),
        ("recorders/csv", "recorder")]


# ------------------------------------------------------------ options


def test_option_values_reach_the_plugin(tmp_path):
    """bool, list and None: formatted=False writes bare values; values=
    keeps two functions; filename=None is left out (the default)."""
    out = tmp_path / "out.txt"
    pipe = _pikos.Pipeline()
    pipe.add("monitors/functions", {"threads": None})
    pipe.add("filters/on_value", {"field": "function",
                                  "values": ("helper", "gcd")})
    pipe.add("recorders/text", {"filename": str(out), "formatted": False})
    pipe.start()
    workloads.helper(1)
    workloads.gcd(4, 2)
    pipe.stop()
    lines = out.read_text().splitlines()
    assert lines[:2] == ["index type function lineNo filename", "-" * 35]
    body = [line.split(" ", 1)[1] for line in lines[2:]]
    h, g = workloads.helper.__code__, workloads.gcd.__code__
    assert body == [
        f"call helper {h.co_firstlineno} {HERE}",
        f"return helper {h.co_firstlineno + 1} {HERE}",
        f"call gcd {g.co_firstlineno} {HERE}",
        f"call gcd {g.co_firstlineno} {HERE}",
        f"return gcd {g.co_firstlineno + 1} {HERE}",
        f"return gcd {g.co_firstlineno + 1} {HERE}"]


def test_int_and_float_values():
    pipe = _pikos.Pipeline()
    pipe.add("monitors/function_memory", {"memory": "sampled",
                                          "interval": 250})
    with pytest.raises(ValueError, match=r"\[monitors/function_memory\] "
                                         r"option 'interval' .*'2\.5'"):
        pipe.add("monitors/function_memory", {"interval": 2.5})
    with pytest.raises(ValueError, match=r"option 'interval' .*'1e-05'"):
        pipe.add("monitors/function_memory", {"interval": 1e-05})


@pytest.mark.parametrize("options, error, message", [
    ({"colour": "red"}, ValueError,
     r"\[recorders/csv\] unknown option 'colour'"),
    ({"delimiter": object()}, TypeError,
     r"\[recorders/csv\] option 'delimiter' takes a str, int, float, bool "
     r"or list of str, not object"),
    ({"delimiter": ";;"}, ValueError, r"\[recorders/csv\] option 'delimiter'"),
    ({"filename": "a\0b"}, ValueError,
     r"\[recorders/csv\] option 'filename' holds a NUL"),
    ({1: "x"}, TypeError, r"\[recorders/csv\] option names are str"),
    (["filename"], TypeError, r"\[recorders/csv\] options must be a dict"),
])
def test_bad_options(options, error, message):
    with pytest.raises(error, match=message):
        _pikos.Pipeline().add("recorders/csv", options)


def test_bad_list_options():
    pipe = _pikos.Pipeline()
    with pytest.raises(ValueError, match=r"\[filters/on_value\] option "
                                         r"'values': item 'a;b' holds ';'"):
        pipe.add("filters/on_value", {"field": "function",
                                      "values": ["a;b"]})
    with pytest.raises(TypeError, match=r"\[filters/on_value\] option "
                                        r"'values' takes a list of str, but "
                                        r"item 1 is int"):
        pipe.add("filters/on_value", {"field": "function",
                                      "values": ["a", 2]})
    with pytest.raises(ValueError, match=r"\[filters/on_value\] option "
                                         r"'values' is required"):
        pipe.add("filters/on_value", {"field": "function", "values": None})
    assert pipe.instances == []


def test_bad_names():
    pipe = _pikos.Pipeline()
    with pytest.raises(LookupError, match="did you mean recorders/list"):
        pipe.add("recorders/lst")
    with pytest.raises(ValueError, match=r"\[recorders/python\] takes a "
                                         r"Python object"):
        pipe.add("recorders/python")
    assert pipe.instances == []


def test_add_while_running_and_stop_without_start():
    pipe = _pikos.Pipeline()
    pipe.add("monitors/functions")
    with pytest.raises(_pikos.Error, match="not running"):
        pipe.stop()
    pipe.start()
    try:
        with pytest.raises(_pikos.Error, match="pipeline is running"):
            pipe.add("recorders/list")
        with pytest.raises(_pikos.Error, match="pipeline is running"):
            pipe.add_python_filter(bool)
    finally:
        pipe.stop()
    assert pipe.instances[1:] == []


def test_core_failures_are_errors(tmp_path):
    """A plugin whose init fails (at add) or that refuses to start raises
    _pikos.Error with the core's message; the pipeline does not run."""
    pipe = _pikos.Pipeline()
    pipe.add("monitors/functions")
    missing = tmp_path / "no" / "such" / "dir" / "out.csv"
    with pytest.raises(_pikos.Error, match=r"^\[recorders/csv\] cannot open "
                                           r"output '.*out\.csv'"):
        pipe.add("recorders/csv", {"filename": str(missing)})
    pipe.add("filters/on_value", {"field": "colour", "values": ["red"]})
    with pytest.raises(_pikos.Error, match=r"^\[filters/on_value\] field "
                                           r"'colour' is not in "
                                           r"FunctionRecord"):
        pipe.start()
    assert not pipe.running
    assert [i.name for i in pipe.instances] == ["monitors/functions",
                                               "filters/on_value"]


# ------------------------------------------------------------ running


def test_nested_start_stop():
    pipe = _pikos.Pipeline()
    pipe.add("monitors/functions")
    records = pipe.add("recorders/list")
    assert not pipe.running
    pipe.start()
    pipe.start()
    workloads.helper(1)
    pipe.stop()  # the inner one: still recording
    assert pipe.running
    workloads.recursive()
    pipe.stop()
    assert not pipe.running
    workloads.plain()  # not recorded
    calls = [r.function for r in records.records()
             if r.filename == HERE and r.type == "call"]
    assert calls == ["helper", "recursive"] + ["gcd"] * 6


def test_records_stay_after_stop_and_grow_with_runs():
    pipe = _pikos.Pipeline()
    pipe.add("monitors/functions")
    records = pipe.add("recorders/list")
    pipe.start()
    workloads.helper(1)
    pipe.stop()
    first = records.records()
    assert records.records() == first
    assert records.records() is not first
    pipe.start()
    workloads.helper(2)
    pipe.stop()
    second = records.records()
    assert second[:len(first)] == first
    assert second[len(first):]
    # Converted once: the same objects are handed out again.
    assert all(a is b for a, b in zip(first, second))


def test_records_while_running():
    """Reading the records runs Python code, which the running pipeline
    records: the list read is what was kept when the call began."""
    pipe = _pikos.Pipeline()
    pipe.add("monitors/functions")
    records = pipe.add("recorders/list")
    pipe.start()
    workloads.plain()
    during = records.records()
    pipe.stop()
    after = records.records()
    assert after[:len(during)] == during
    assert oracle.of_file(during, HERE) == oracle.of_file(
        oracle.function_events(workloads.plain), HERE)


def test_records_of_a_plugin_that_keeps_none():
    pipe = _pikos.Pipeline()
    monitor = pipe.add("monitors/functions")
    with pytest.raises(TypeError, match="monitors/functions does not keep "
                                        "records"):
        monitor.records()


def test_two_pipelines_at_once():
    first, second = _pikos.Pipeline(), _pikos.Pipeline()
    first.add("monitors/functions")
    first_records = first.add("recorders/list")
    second.add("monitors/lines")
    second_records = second.add("recorders/list")
    first.start()
    second.start()
    workloads.everything()
    second.stop()
    first.stop()
    assert oracle.of_file(first_records.records(), HERE) == oracle.of_file(
        oracle.function_events(workloads.everything), HERE)
    assert oracle.of_file(second_records.records(), HERE) == oracle.of_file(
        oracle.line_events(workloads.everything), HERE)


def test_freed_while_running(call_log):
    """A running pipeline that is dropped stops: its recorder is finalized
    and nothing more is recorded."""
    pipe = _pikos.Pipeline()
    pipe.add("monitors/functions")
    pipe.add_python_recorder(call_log)
    pipe.start()
    pipe.start()
    workloads.helper(1)
    del pipe  # at once: the pipeline is not in a reference cycle
    count = len(call_log.records)
    workloads.plain()
    assert call_log.calls[-1] == ("finalize",)
    assert len(call_log.records) == count


def test_freed_by_its_own_recorder():
    """A recorder that drops the last reference to its running pipeline
    does not free it under the core: it stops at the program's next
    instruction."""
    class Owner:
        finalized = 0

        def prepare(self, record_class):
            pass

        def record(self, record):
            self.pipeline = None  # the last reference

        def finalize(self):
            Owner.finalized += 1

    owner = Owner()
    owner.pipeline = _pikos.Pipeline()
    owner.pipeline.add("monitors/functions")
    owner.pipeline.add_python_recorder(owner)
    owner.pipeline.start()
    for i in range(100):
        workloads.helper(i)
    assert Owner.finalized == 1


def test_cycle_through_a_recorder_is_collected():
    class Loop:
        def prepare(self, record_class):
            pass

        def record(self, record):
            pass

        def finalize(self):
            pass

    loop = Loop()
    loop.pipeline = _pikos.Pipeline()
    loop.pipeline.add_python_recorder(loop)
    loop.handle = loop.pipeline.add("monitors/functions")
    gc.collect()
    count = sum(type(o) is _pikos.Pipeline for o in gc.get_objects())
    del loop
    gc.collect()
    assert sum(type(o) is _pikos.Pipeline
               for o in gc.get_objects()) == count - 1


def test_guard_freed_while_running_stops_a_pipeline_still_referenced():
    """A pipeline's owner holds its Guard: freed while the pipeline runs
    (however deeply nested), it stops the pipeline, which an Instance
    still refers to; the records so far stay readable."""
    pipe = _pikos.Pipeline()
    pipe.add("monitors/functions")
    kept = pipe.add("recorders/list")
    guard = pipe.guard()
    assert type(guard) is _pikos.Guard and guard.pipeline is pipe
    pipe.start()
    pipe.start()
    workloads.helper(1)
    del pipe, guard
    count = len(kept.records())
    workloads.plain()
    assert len(kept.records()) == count
    assert oracle.of_file(kept.records(), HERE) == oracle.of_file(
        oracle.function_events(workloads.helper, 1), HERE)


def test_guard_of_a_stopped_pipeline_does_nothing(call_log):
    pipe = _pikos.Pipeline()
    pipe.add("monitors/functions")
    pipe.add_python_recorder(call_log)
    guard = pipe.guard()
    pipe.start()
    pipe.stop()
    del guard
    assert call_log.calls[-1] == ("finalize",)
    pipe.start()  # the pipeline is whole and runs again
    workloads.helper(1)
    pipe.stop()
    assert [call[0] for call in call_log.calls] == ["prepare", "finalize"] * 2


def test_guard_dropped_by_its_own_recorder():
    """A recorder that drops the Guard of its running pipeline does not
    stop the pipeline under the core: it stops at the program's next
    instruction, and records nothing more."""
    class Owner:
        finalized = 0
        drops = 0

        def __init__(self):
            self.records = []

        def prepare(self, record_class):
            pass

        def record(self, record):
            self.records.append(record)
            if self.guard is not None:
                Owner.drops += 1
                self.guard = None  # the last reference

        def finalize(self):
            Owner.finalized += 1

    owner = Owner()
    pipe = _pikos.Pipeline()
    pipe.add("monitors/functions")
    pipe.add_python_recorder(owner)
    owner.guard = pipe.guard()
    pipe.start()
    for i in range(100):
        workloads.helper(i)
    assert not pipe.running
    assert Owner.drops == 1 and Owner.finalized == 1
    count = len(owner.records)
    workloads.plain()
    assert len(owner.records) == count
