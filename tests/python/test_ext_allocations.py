"""monitors/allocations through the Python API (issue 16): what may run
together, refused before anything is monitored with one clear error."""
import pytest

from pikos import _pikos


class Recorder:
    def __init__(self):
        self.records = []

    def prepare(self, cls):
        pass

    def record(self, record):
        self.records.append(record)

    def finalize(self):
        pass


@pytest.mark.parametrize("options, schema", [({"interval": 1}, "HeapRecord"),
                                             ({"threshold": 1},
                                              "BlockRecord"),
                                             ({"live": 1.0},
                                              "HeapTopRecord")])
def test_python_recorders_refuse_records_made_inside_the_allocator(options,
                                                                   schema):
    pipe = _pikos.Pipeline()
    pipe.add("monitors/allocations", options)
    pipe.add_python_recorder(Recorder())
    with pytest.raises(_pikos.Error) as raised:
        pipe.start()
    assert str(raised.value) == (
        "[recorders/python] %s records come from inside the program's "
        "allocator, where no Python code may run: give them to a recorder "
        "written in C (recorders/csv, recorders/list, ...)" % schema)


def test_python_filters_refuse_them_too():
    pipe = _pikos.Pipeline()
    pipe.add("monitors/allocations", {"interval": 1})
    pipe.add_python_filter(lambda record: True)
    pipe.add("recorders/list")
    with pytest.raises(_pikos.Error) as raised:
        pipe.start()
    assert "HeapRecord records come from inside" in str(raised.value)


def test_a_python_recorder_takes_the_aggregates_made_at_stop():
    recorder = Recorder()
    pipe = _pikos.Pipeline()
    pipe.add("monitors/allocations")
    pipe.add_python_recorder(recorder)
    pipe.start()
    kept = [bytearray(1000) for _ in range(100)]  # the line of the test
    pipe.stop()
    line = next(n for n, text in enumerate(open(__file__), 1)
                if "# the line of the test" in text and "kept" in text)
    mine = [r for r in recorder.records if r.filename == __file__
            and r.lineno == line]
    # a bytearray is two blocks (the object, its buffer)
    assert sum(r.exit_count for r in mine) >= 200
    assert kept


def test_monitors_running_at_once_sample_alike():
    sampled = _pikos.Pipeline()
    sampled.add("monitors/allocations", {"sample": 65536})
    sampled.add("recorders/list")
    exact = _pikos.Pipeline()
    exact.add("monitors/allocations")
    exact.add("recorders/list")
    sampled.start()
    try:
        with pytest.raises(_pikos.Error) as raised:
            exact.start()
    finally:
        sampled.stop()
    assert str(raised.value) == (
        "[monitors/allocations] allocation monitors running at once must "
        "sample alike (sample=0 here, 65536 in [monitors/allocations])")
    exact.start()  # alone now: fine
    exact.stop()
