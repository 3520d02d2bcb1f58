"""monitors/allocations interval=N: the heap over time (HeapRecord), its
Perfetto counter track, and the refusals (issue 16, point 5).

tests/cli/scripts/heap_steps.py keeps and frees bytearrays of known sizes,
each step followed by a call of marker() that makes the heap record of
the state after it (see the script).  The oracle is the program's own
sys.getsizeof of each block: the heap records inside two successive
markers' calls (monitors/functions:time=true, the same clock) differ by
exactly what the program printed.  The Perfetto trace is read back with
python3-protobuf (test_perfetto.py's reader): its "Python heap (bytes)"
counter holds the CSV's heap records, and the same steps between the
markers' slices.
"""
import csv
import glob
import json
import os

import pytest

from conftest import (PIKOS_PYTHON, assert_one_error_line, run_pikos,
                      uses_monitoring)

try:  # its trace reader and protoc fixture, when python3-protobuf is there
    from test_perfetto import UNIT_SIZE_BYTES, pb, read_trace  # noqa: F401
except pytest.skip.Exception as why:
    NO_PROTOBUF = str(why)

    @pytest.fixture
    def pb():
        pytest.skip(NO_PROTOBUF)

SCRIPT = "heap_steps.py"
INTERVAL_US = 1000
HEAP_FIELDS = ["index", "live_bytes", "live_blocks", "time", "thread"]


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def legacy_frames():
    """Whether the markers' windows would hold the profiler's own blocks:
    from 3.12, CPython's legacy profile function (PIKOS_HOOK=legacy) is
    emulated over sys.monitoring and makes a frame object for each call
    it reports, which the heap counts beside the program's steps."""
    import subprocess
    newer = subprocess.run(
        [PIKOS_PYTHON, "-c", "import sys; print(sys.version_info >= (3, 12))"],
        capture_output=True, text=True, check=True).stdout.strip() == "True"
    return newer and not uses_monitoring()


def run_steps(work, *recorders):
    if legacy_frames():
        pytest.skip("the legacy profile function of 3.12+ allocates frame "
                    "objects in the markers' windows")
    """The script under functions (timed) and allocations (interval);
    returns (the steps it printed, the CompletedProcess)."""
    proc = run_pikos(["--plugin", "monitors/functions:time=true",
                      "--plugin",
                      f"monitors/allocations:interval={INTERVAL_US}",
                      *[a for r in recorders for a in ("--plugin", r)],
                      SCRIPT], work)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1]), proc


def marker_windows(calls):
    """[(start, end)] of marker's calls, from (type, function, time)."""
    starts = [t for kind, name, t in calls if (kind, name) == ("call",
                                                                "marker")]
    ends = [t for kind, name, t in calls if (kind, name) == ("return",
                                                              "marker")]
    assert len(starts) == len(ends) == 8
    return list(zip(starts, ends))


def levels_at(windows, points):
    """The last heap value inside each window, from [(time, value)]."""
    levels = []
    for start, end in windows:
        inside = [value for time, value in points if start <= time <= end]
        assert inside, (start, end)
        levels.append(inside[-1])
    return levels


def steps_of(levels):
    return [b - a for a, b in zip(levels, levels[1:])]


@pytest.fixture
def csv_run(work):
    out = os.path.join(work, "out.csv")
    steps, _ = run_steps(work, "recorders/csv:filename=" + out)
    files = sorted(os.path.basename(p)
                   for p in glob.glob(os.path.join(work, "out*.csv")))
    assert files == ["out.AllocationRecord.csv", "out.HeapRecord.csv",
                     "out.csv"]
    heap = read_csv(os.path.join(work, "out.HeapRecord.csv"))
    calls = read_csv(out)
    return steps, heap, calls


def test_heap_records_step_as_the_program_allocates(csv_run):
    steps, heap, calls = csv_run
    assert list(heap[0]) == HEAP_FIELDS
    windows = marker_windows([(r["type"], r["function"], int(r["time"]))
                              for r in calls])
    points = [(int(r["time"]), int(r["live_bytes"])) for r in heap]
    levels = levels_at(windows, points)
    assert steps_of(levels) == steps
    # the heap rose by the three bytearrays, then fell back
    assert levels[4] - levels[1] > 5_990_000  # all three kept
    assert abs(levels[-1] - levels[0]) < 1000


def test_heap_records_are_paced_and_change(csv_run):
    _, heap, calls = csv_run
    rows = [(int(r["index"]), int(r["live_bytes"]), int(r["live_blocks"]),
             int(r["time"]), int(r["thread"])) for r in heap]
    assert [r[0] for r in rows] == list(range(len(rows)))
    assert rows[0][1:3] == (0, 0)  # at start: nothing counted yet
    # the main thread's, as the function records say
    assert {r[4] for r in rows} == {int(calls[0]["thread"])}
    for before, after in zip(rows, rows[1:]):
        assert after[1:3] != before[1:3]
    # at most one per interval; the last one (at stop) is the exception
    gaps = [b[3] - a[3] for a, b in zip(rows[:-1], rows[1:-1])]
    assert min(gaps) >= INTERVAL_US * 1000
    assert len(rows) >= 9


def test_perfetto_draws_the_heap_counter(work, pb):
    trace_path = os.path.join(work, "out.perfetto-trace")
    records = os.path.join(work, "records.csv")
    steps, proc = run_steps(work, "recorders/perfetto:filename=" + trace_path,
                            "recorders/csv:filename=" + records)
    trace = read_trace(pb, trace_path)
    process_uuid, _ = trace.process()
    counters = {d.name: uuid for uuid, d in trace.tracks.items()
                if d.HasField("counter")}
    assert list(counters) == ["Python heap (bytes)"]
    uuid = counters["Python heap (bytes)"]
    assert trace.tracks[uuid].parent_uuid == process_uuid
    assert trace.tracks[uuid].counter.unit == UNIT_SIZE_BYTES
    points = trace.counters[uuid]
    # the CSV's heap records of the same run, where the bytes changed
    heap = read_csv(os.path.join(work, "records.HeapRecord.csv"))
    changes = []
    for row in heap:
        value = int(row["live_bytes"])
        if not changes or changes[-1][1] != value:
            changes.append((int(row["time"]), value))
    assert sorted(points) == sorted(changes)
    # and the steps, between the marker slices of the same trace
    [marker_slices] = [[(s.start, s.end) for s in slices
                        if s.name == "marker"]
                       for slices in trace.slices.values()
                       if any(s.name == "marker" for s in slices)]
    assert len(marker_slices) == 8
    assert steps_of(levels_at(marker_slices, sorted(points))) == steps


def test_perfetto_refuses_aggregates_without_interval(work):
    proc = run_pikos(["--plugin", "monitors/allocations",
                      "--plugin", "recorders/perfetto:filename=" +
                      os.path.join(work, "t.perfetto-trace"), SCRIPT], work)
    assert_one_error_line(proc)
    assert "interval=N" in proc.stderr
    assert "AllocationRecord has no time" in proc.stderr


def test_csv_on_standard_output_takes_one_record_type(work):
    proc = run_pikos(["--plugin", "monitors/allocations:interval=1000",
                      "--plugin", "recorders/csv", SCRIPT], work)
    # refused at start, in one line: the monitor declares both its record
    # types (instance_schemas), so the recorder is prepared for both then
    assert_one_error_line(proc)
    assert proc.stderr == (
        "pikos: [recorders/csv] gets AllocationRecord records besides "
        "HeapRecord ones, and standard output holds one record type: give "
        "a file (filename=, -o), and each record type gets a file of its "
        "own\n")
    # the first record type's header was out; the program did not run (it
    # prints its steps last), and no heap record was written
    assert proc.stdout.splitlines() == [",".join(HEAP_FIELDS)]


def test_csv_in_a_file_takes_both_record_types(work):
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", "monitors/allocations:interval=1000",
                      "--plugin", "recorders/csv", "-o", out, SCRIPT], work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    files = sorted(os.path.basename(p)
                   for p in glob.glob(os.path.join(work, "out*.csv")))
    assert files == ["out.AllocationRecord.csv", "out.csv"]
    heap = read_csv(out)  # the first declared: the heap records
    assert list(heap[0]) == HEAP_FIELDS
    assert heap[0]["live_bytes"] == "0" and len(heap) >= 2
    aggregates = read_csv(os.path.join(work, "out.AllocationRecord.csv"))
    assert aggregates and "alloc_bytes" in aggregates[0]
    assert any(row["filename"].endswith(SCRIPT) for row in aggregates)


def test_text_on_standard_output_writes_both(work):
    proc = run_pikos(["--plugin", "monitors/allocations:interval=1000",
                      "--plugin", "recorders/text:formatted=false", SCRIPT],
                     work)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()  # the program's line first
    assert lines[1] == " ".join(HEAP_FIELDS)
    assert "function filename lineno alloc_bytes" in proc.stdout


def test_bad_interval_is_refused(work):
    proc = run_pikos(["--plugin", "monitors/allocations:interval=-5",
                      SCRIPT], work)
    assert_one_error_line(proc)
    assert "'interval'" in proc.stderr


def test_csv_files_of_both_record_types_survive_os_exit(work):
    # the salvage makes the run's pipeline again: the recorder is prepared
    # for both declared record types there too, each file's header once
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", "monitors/allocations:interval=1000",
                      "--plugin", "recorders/csv", "-o", out,
                      "alloc_endings.py", "os_exit"], work)
    assert proc.returncode == 5, proc.stderr
    with open(out, encoding="utf-8") as stream:
        heap = stream.read()
    assert heap.count(",".join(HEAP_FIELDS)) == 1
    assert heap.startswith(",".join(HEAP_FIELDS))
    with open(os.path.join(work, "out.AllocationRecord.csv"),
              encoding="utf-8") as stream:
        aggregates = stream.read()
    assert aggregates.count("function,filename,lineno,alloc_bytes") == 1
    assert "alloc_endings.py,19," in aggregates  # build()'s marked line
