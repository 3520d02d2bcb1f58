"""pikos.external.api: PythonCProfiler, YappiProfiler and LineProfiler.

Each is compared with the profiler it wraps used directly on the same
workload (cProfile's call counts; line events of a sys.settrace callback
for line_profiler), with a ListRecorder and with a CSV recorder; a missing
yappi or line_profiler is an ImportError naming the Debian package when a
profiler is made, never at import.
"""
import cProfile
import csv
import importlib.util
import pstats
import sys
import threading

import pytest

import pikos
from pikos.external.api import LineProfiler, LineStatsRecord, \
    ProfileStatsRecord, PythonCProfiler, YappiProfiler
from pikos.recorders.api import CSVFileRecorder, ListRecorder

from conftest import run_python

HAS_YAPPI = importlib.util.find_spec("yappi") is not None
HAS_LINE_PROFILER = importlib.util.find_spec("line_profiler") is not None
needs_yappi = pytest.mark.skipif(not HAS_YAPPI, reason="no yappi here")
needs_line_profiler = pytest.mark.skipif(not HAS_LINE_PROFILER,
                                         reason="no line_profiler here")


# ------------------------------------------------------------ workload

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def loop(n):
    total = 0
    for i in range(n):
        if i % 2:
            total += fib(4)
        else:
            total -= 1
    return total


def straight(x):
    y = x + 1
    if y > 2:
        y *= 2
    return y


def plain(x):
    y = x + 1
    y *= 2
    return y


def workload():
    plain(3)
    straight(1)
    straight(5)
    return loop(12) + sorted([3, 1, 2])[0]


def counts_of(stats):
    """{(function, lineNo): (ncalls, primitive_calls)} of this file's
    functions, from pstats' {(file, line, name): (cc, nc, ...)}."""
    return {(name, line): (nc, cc)
            for (filename, line, name), (cc, nc, *_) in stats.items()
            if filename == __file__}


def record_counts(records):
    return {(r.function, r.lineNo): (r.ncalls, r.primitive_calls)
            for r in records if r.filename == __file__}


def direct_cprofile_counts():
    profiler = cProfile.Profile()
    profiler.runcall(workload)
    return counts_of(pstats.Stats(profiler).stats)


def line_oracle(function, *args):
    """{lineNo: line events} of `function`'s frames, by sys.settrace."""
    code, hits = function.__code__, {}

    def trace(frame, event, arg):
        if event == "line" and frame.f_code is code:
            hits[frame.f_lineno] = hits.get(frame.f_lineno, 0) + 1
        return trace

    sys.settrace(trace)
    try:
        function(*args)
    finally:
        sys.settrace(None)
    return hits


# ------------------------------------------------------------ cProfile

def test_python_cprofiler_counts_equal_cprofile():
    recorder = ListRecorder()
    profiler = PythonCProfiler(recorder=recorder)
    with profiler:
        workload()
    expected = direct_cprofile_counts()

    assert record_counts(recorder.records) == expected
    assert counts_of(pstats.Stats(profiler).stats) == expected
    assert all(isinstance(r, ProfileStatsRecord) for r in recorder.records)
    for r in recorder.records:
        assert 0.0 <= r.tottime <= r.cumtime + 1e-9 and r.snapshot == 1
    cumtimes = [r.cumtime for r in recorder.records]
    assert cumtimes == sorted(cumtimes, reverse=True)


def test_python_cprofiler_nests_and_attaches():
    recorder = ListRecorder()
    profiler = PythonCProfiler(recorder=recorder)
    run = profiler.attach(workload)
    with profiler:
        with profiler:
            run()
        assert recorder.records == []  # only the outermost run records
    run()
    snapshots = [r.snapshot for r in recorder.records]

    assert sorted(set(snapshots)) == [1, 2]
    second = [r for r in recorder.records if r.snapshot == 2]
    expected = {key: (2 * n, 2 * p)
                for key, (n, p) in direct_cprofile_counts().items()}
    assert record_counts(second) == expected  # cProfile accumulates
    profiler.disable()  # unmatched: harmless, hands nothing over
    assert sorted({r.snapshot for r in recorder.records}) == [1, 2]


def test_python_cprofiler_csv_recorder(tmp_path):
    path = tmp_path / "stats.csv"
    with PythonCProfiler(recorder=CSVFileRecorder(path)):
        workload()
    with open(path, newline="") as stream:
        rows = list(csv.reader(stream))

    assert rows[0] == list(ProfileStatsRecord._fields)
    counts = {(r[0], int(r[2])): (int(r[3]), int(r[4]))
              for r in rows[1:] if r[1] == __file__}
    assert counts == direct_cprofile_counts()


def test_plugin_recorders_are_refused_with_the_way_to_use_them(tmp_path):
    plugin = pikos.recorder("recorders/csv", filename=str(tmp_path / "x"))
    with pytest.raises(TypeError, match=r"pikos.monitor\('external/"):
        PythonCProfiler(recorder=plugin)


# ------------------------------------------------------------ yappi

@needs_yappi
@pytest.mark.parametrize("clock", ["cpu", "wall"])
def test_yappi_profiler_counts_equal_yappi_and_cprofile(clock):
    import yappi

    yappi.clear_stats()
    yappi.set_clock_type(clock)
    yappi.start()
    workload()
    yappi.stop()
    direct = {(s.name, s.lineno): (s.ncall, s.nactualcall)
              for s in yappi.get_func_stats() if s.module == __file__}
    yappi.clear_stats()

    recorder = ListRecorder()
    profiler = YappiProfiler(recorder=recorder, clock=clock)
    with profiler:
        workload()
    counts = record_counts(recorder.records)

    assert profiler.clock_type() == clock and not profiler.is_running()
    assert counts == direct == direct_cprofile_counts()
    assert len(profiler.get_stats()) > 0
    profiler.clear_stats()


@needs_yappi
def test_yappi_profiler_csv_recorder_and_nesting(tmp_path):
    path = tmp_path / "yappi.csv"
    profiler = YappiProfiler(recorder=CSVFileRecorder(path))
    profiler.clear_stats()
    with profiler:
        profiler.attach(workload)()
    profiler.clear_stats()
    with open(path, newline="") as stream:
        rows = list(csv.reader(stream))

    assert rows[0] == list(ProfileStatsRecord._fields)
    counts = {(r[0], int(r[2])): (int(r[3]), int(r[4]))
              for r in rows[1:] if r[1] == __file__}
    assert counts == direct_cprofile_counts()


# ------------------------------------------------------------ line_profiler

def line_hits(records, function):
    return {r.lineNo: r.hits for r in records
            if r.function == function.__qualname__}


@needs_line_profiler
def test_line_profiler_hits_equal_the_line_oracle():
    recorder = ListRecorder()
    profiler = LineProfiler(loop, straight, recorder=recorder)
    with profiler:
        workload()

    assert all(isinstance(r, LineStatsRecord) for r in recorder.records)
    assert line_hits(recorder.records, loop) == line_oracle(loop, 12)
    straight_hits = line_oracle(straight, 1)
    for line, hits in line_oracle(straight, 5).items():
        straight_hits[line] = straight_hits.get(line, 0) + hits
    assert line_hits(recorder.records, straight) == straight_hits
    for r in recorder.records:
        assert r.time >= 0.0 and r.snapshot == 1 and r.line.strip()


@needs_line_profiler
def test_line_profiler_equals_line_profiler_used_directly():
    import line_profiler

    direct = line_profiler.LineProfiler(plain)
    with direct:
        workload()
    recorder = ListRecorder()
    with LineProfiler(plain, recorder=recorder) as profiler:
        workload()
    (expected,) = direct.get_stats().timings.values()
    (ours,) = profiler.get_stats().timings.values()

    # Each line of plain() is always followed by the same line: there
    # line_profiler's own get_stats() is exact (not where lines branch).
    assert [(line, hits) for line, hits, _ in ours] == \
        [(line, hits) for line, hits, _ in expected]
    assert line_hits(recorder.records, plain) == {
        line: hits for line, hits, _ in expected}


@needs_line_profiler
def test_line_profiler_decorator_csv_and_lprof(tmp_path):
    import line_profiler

    path = tmp_path / "lines.csv"
    profiler = LineProfiler(recorder=CSVFileRecorder(path))
    profiled = profiler(loop)
    profiled(12)
    profiler.dump_stats(str(tmp_path / "out.lprof"))
    loaded = line_profiler.load_stats(str(tmp_path / "out.lprof"))
    with open(path, newline="") as stream:
        rows = list(csv.reader(stream))

    assert rows[0] == list(LineStatsRecord._fields)
    hits = {int(r[2]): int(r[3]) for r in rows[1:]}
    assert hits == line_oracle(loop, 12)
    (timings,) = loaded.timings.values()
    assert {line: n for line, n, _ in timings} == hits


@needs_line_profiler
def test_external_line_profiler_plugin_from_python():
    recorder = ListRecorder()
    monitor = pikos.monitor("external/line_profiler", recorder=recorder,
                            functions=[loop])
    with monitor:
        workload()

    assert line_hits(recorder.records, loop) == line_oracle(loop, 12)
    assert {r.function for r in recorder.records} == {"loop"}


@needs_line_profiler
def test_external_line_profiler_refuses_a_busy_trace_function():
    monitor = pikos.monitor("external/line_profiler", recorder=ListRecorder(),
                            functions=["loop"])
    previous = sys.gettrace()
    sys.settrace(lambda frame, event, arg: None)
    try:
        with pytest.raises(Exception, match="trace function"):
            monitor.enable()
    finally:
        sys.settrace(previous)


@needs_line_profiler
def test_line_profiler_times_only_its_thread():
    recorder = ListRecorder()
    profiler = LineProfiler(straight, recorder=recorder)
    with profiler:
        thread = threading.Thread(target=straight, args=(5,))
        thread.start()
        thread.join()
    assert recorder.records == []


# ------------------------------------------------------------ missing

MISSING_CHECK = """
import sys
sys.modules[{module!r}] = None
import pikos.external.api as api
try:
    api.{cls}()
except ImportError as error:
    print(error)
"""


@pytest.mark.parametrize("module, cls, package", [
    ("yappi", "YappiProfiler", "python3-yappi"),
    ("line_profiler", "LineProfiler", "python3-line-profiler")])
def test_missing_package_is_an_import_error_at_use(tmp_path, module, cls,
                                                   package):
    proc = run_python(MISSING_CHECK.format(module=module, cls=cls),
                      str(tmp_path))

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (
        f"pikos.external needs the Python package {module}: "
        f"apt-get install -y {package}")


# ------------------------------------------------------------ lifetime
# (issue 13, item 6) An unmatched disable() is harmless, as cProfile's
# disable() and yappi's stop() are; a monitor dropped while enabled stops
# and hands its statistics over when the collector frees it.

def external_monitor(name, recorder):
    if name == "PythonCProfiler":
        return PythonCProfiler(recorder=recorder)
    if name == "YappiProfiler":
        if not HAS_YAPPI:
            pytest.skip("no yappi here")
        profiler = YappiProfiler(recorder=recorder)
        profiler.clear_stats()
        return profiler
    if name == "LineProfiler":
        if not HAS_LINE_PROFILER:
            pytest.skip("no line_profiler here")
        return LineProfiler(loop, recorder=recorder)
    if name == "external/line_profiler" and not HAS_LINE_PROFILER:
        pytest.skip("no line_profiler here")
    if name == "external/yappi" and not HAS_YAPPI:
        pytest.skip("no yappi here")
    options = {"functions": [loop]} if name == "external/line_profiler" \
        else {}
    return pikos.monitor(name, recorder=recorder, **options)


def expected_of(name, records):
    """The records' counts and what the wrapped profiler finds, used
    directly: line hits of loop() for the line profilers, else cProfile's
    call counts of this file."""
    if "line_profiler" in name or name == "LineProfiler":
        return line_hits(records, loop), line_oracle(loop, 12)
    return record_counts(records), direct_cprofile_counts()


EXTERNAL = ["PythonCProfiler", "YappiProfiler", "LineProfiler",
            "external/cprofile", "external/yappi", "external/line_profiler"]


@pytest.mark.parametrize("name", EXTERNAL)
def test_unmatched_disable_is_harmless(name):
    recorder = ListRecorder()
    monitor = external_monitor(name, recorder)
    monitor.disable()  # never enabled
    monitor.disable()
    assert recorder.records == []
    with monitor:
        workload()
    monitor.disable()  # one more than the enable()s
    monitor.disable()
    got, expected = expected_of(name, recorder.records)
    assert got == expected
    if name == "YappiProfiler":
        assert not monitor.is_running()
        monitor.clear_stats()
    if name in ("PythonCProfiler", "LineProfiler"):
        assert sys.getprofile() is None and sys.gettrace() is None


@pytest.mark.parametrize("name", ["YappiProfiler", "LineProfiler",
                                  "external/cprofile", "external/yappi",
                                  "external/line_profiler"])
def test_dropped_while_enabled_stops_and_hands_over(name):
    import gc

    recorder = ListRecorder()
    monitor = external_monitor(name, recorder)
    monitor.enable()
    monitor.enable()  # nested: dropped all the same
    workload()
    del monitor
    gc.collect()
    records = recorder.records
    got, expected = expected_of(name, records)
    assert got == expected
    workload()  # no longer profiled: nothing more is handed over
    gc.collect()
    assert len(recorder.records) == len(records)
    if "yappi" in name.lower():
        import yappi

        assert not yappi.is_running()
        yappi.clear_stats()
    if "line_profiler" in name.lower():
        assert sys.gettrace() is None
