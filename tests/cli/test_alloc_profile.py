"""recorders/profile's memory profiles end to end: allocation records
(StackAllocationRecord, AllocationRecord) written by the `pikos` command
as pprof, collapsed stacks and speedscope, read back by independent
readers (python3-protobuf with profile.proto, `go tool pprof`, json and
speedscope's schema, plain Python) and compared with the csv the same
records make in recorders/csv of the same run.

The records come from monitors/fx_alloc_records, a test monitor that
emits at stop the records a file lists (tests/cli/fixtures/alloc_records),
so that every case is chosen here: deep stacks, the "<no Python frame>"
stack, stacks with nothing live at the peak or at exit, a file with a
space."""
import csv
import json
import os
import re

import pytest

from conftest import PIKOS_BUILDDIR, run_pikos
from test_profile import (check_schema, go_pprof, npm_speedscope,
                          read_pprof)

SCRIPT = "plain_calls.py"
VALUES = ["alloc_bytes", "alloc_count", "free_bytes", "free_count",
          "peak_bytes", "peak_count", "exit_bytes", "exit_count"]
APP = "/srv/my app/app.py"

# (stack, the eight values), in the order the monitor emits them.
RECORDS = [
    (f"<module> ({APP}:30);main ({APP}:22);build ({APP}:8)",
     [4000, 40, 1000, 10, 3000, 30, 2500, 25]),
    (f"<module> ({APP}:30);main ({APP}:22);build ({APP}:9)",
     [640, 8, 640, 8, 0, 0, 0, 0]),            # temporaries: none live
    (f"<module> ({APP}:30);main ({APP}:23)", [96, 2, 0, 0, 96, 2, 96, 2]),
    ("<no Python frame>", [512, 4, 256, 2, 256, 2, 0, 0]),
    (f"<module> ({APP}:30);main ({APP}:24);load (/lib/x-copy.py:3)",
     [200, 1, 0, 0, 0, 0, 200, 1]),            # made after the peak
    # 40 frames of recursion
    (";".join([f"<module> ({APP}:30)"] + [f"walk ({APP}:14)"] * 39),
     [72, 1, 0, 0, 72, 1, 72, 1]),
]


def frame_parts(text):
    """A frame's (function, file, line), by the records' rule."""
    if text.endswith(")") and " (" in text:
        function, place = text[:-1].rsplit(" (", 1)
        file, _, line = place.rpartition(":")
        if line.isdigit() and file:
            return function, file, int(line)
        return function, place, 0
    return text, "", 0


@pytest.fixture
def records(work):
    """The records file, and the program's directory."""
    path = os.path.join(work, "records.tsv")
    with open(path, "w", encoding="utf-8") as stream:
        for stack, values in RECORDS:
            function, file, line = frame_parts(stack.split(";")[-1])
            stream.write("\t".join([stack, function, file, str(line),
                                    *map(str, values)]) + "\n")
    return path


def fixture_path():
    path = os.path.join(PIKOS_BUILDDIR, "tests", "cli", "fixtures",
                        "alloc_records")
    if not os.path.isdir(path):
        pytest.fail(f"{path} is missing: build it with `make check`")
    return path


def profile_run(work, records, recorders, aggregate="stack"):
    """pikos with the test monitor and `recorders` (plugin specs)."""
    args = ["--plugin-path", fixture_path(), "--plugin",
            f"monitors/fx_alloc_records:records={records},"
            f"aggregate={aggregate}"]
    for spec in recorders:
        args += ["--plugin", spec]
    return run_pikos([*args, SCRIPT], work)


def run_all(work, records, memory=None):
    """Every format and the csv, from one run."""
    more = f",memory={memory}" if memory else ""
    proc = profile_run(work, records, [
        "recorders/csv:filename=records.csv",
        f"recorders/profile:format=pprof,filename=m.pb.gz"
        f"{more if memory != 'alloc' else ''}",
        f"recorders/profile:format=collapsed,filename=m.collapsed{more}",
        f"recorders/profile:format=speedscope,filename=m.json{more}"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return {name: os.path.join(work, name)
            for name in ("records.csv", "m.pb.gz", "m.collapsed", "m.json")}


def read_records_csv(path):
    """The csv recorders/csv wrote: [(stack, [values])]."""
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    return [(r["stack"], [int(r[v]) for v in VALUES]) for r in rows]


def expected_collapsed(rows, measure):
    """Collapsed stacks made from the csv: stacks with bytes of the
    measure, equal stacks summed, in the order first met."""
    out = {}
    for stack, values in rows:
        out[stack] = out.get(stack, 0) + values[VALUES.index(measure)]
    return "".join(f"{s} {b}\n" for s, b in out.items() if b > 0)


# ------------------------------------------------------------ collapsed

@pytest.mark.parametrize("memory,measure", [(None, "peak_bytes"),
                                            ("peak", "peak_bytes"),
                                            ("exit", "exit_bytes"),
                                            ("alloc", "alloc_bytes")])
def test_collapsed_stacks_are_the_csvs_stacks_by_the_measure(
        work, records, memory, measure):
    files = run_all(work, records, memory)
    rows = read_records_csv(files["records.csv"])
    assert rows == RECORDS  # the monitor emitted what the file lists
    with open(files["m.collapsed"], encoding="utf-8") as stream:
        text = stream.read()
    assert text == expected_collapsed(rows, measure)
    assert text.count("\n") >= 3


# ------------------------------------------------------------ pprof

def pprof_stacks(profile):
    """[(stack text, [alloc_objects, alloc_space, inuse_objects,
    inuse_space])] of a pprof file read with python3-protobuf."""
    strings = profile.string_table
    assert [(strings[t.type], strings[t.unit]) for t in profile.sample_type] \
        == [("alloc_objects", "count"), ("alloc_space", "bytes"),
            ("inuse_objects", "count"), ("inuse_space", "bytes")]
    assert strings[profile.default_sample_type] == "inuse_space"
    assert (strings[profile.period_type.type],
            strings[profile.period_type.unit]) == ("space", "bytes")
    functions = {f.id: (strings[f.name], strings[f.filename])
                 for f in profile.function}
    assert len(set(functions.values())) == len(functions)
    frames = {}
    for loc in profile.location:
        (line,) = loc.line
        name, file = functions[line.function_id]
        frames[loc.id] = (f"{name} ({file}:{line.line})" if file
                          else name)
    assert len(set(frames.values())) == len(frames)
    return [(";".join(frames[i] for i in reversed(s.location_id)),
             list(s.value)) for s in profile.sample]


@pytest.mark.parametrize("memory", [None, "exit"])
def test_pprof_samples_are_the_csvs_records(work, records, memory,
                                            tmp_path):
    files = run_all(work, records, memory)
    rows = read_records_csv(files["records.csv"])
    profile = read_pprof(files["m.pb.gz"], tmp_path)
    inuse = "exit" if memory == "exit" else "peak"
    assert pprof_stacks(profile) == [
        (stack, [v[1], v[0], v[VALUES.index(f"{inuse}_count")],
                 v[VALUES.index(f"{inuse}_bytes")]]) for stack, v in rows]
    (comment,) = profile.comment
    assert profile.string_table[comment].endswith(f"(pikos memory={inuse})")


def go_top(path, sample_index):
    """{function: (flat, cum)} of `go tool pprof -top` in bytes or
    objects."""
    top = go_pprof(["-top", f"-sample_index={sample_index}", "-unit=B",
                    "-nodefraction=0", "-nodecount=100000", path])
    out = {}
    for line in top.splitlines():
        m = re.match(r"\s*(\d+)B?\s+[\d.]+%\s+[\d.]+%\s+(\d+)B?\s+[\d.]+%\s+"
                     r"(.+)$", line)
        if m:
            out[m.group(3)] = (int(m.group(1)), int(m.group(2)))
    return top, out


def expected_top(rows, measure):
    """{function: (flat, cum)}: flat is the measure of the stacks the
    function ends, cum of the stacks it is in (once per stack)."""
    out = {}
    i = VALUES.index(measure)
    for stack, values in rows:
        names = [frame_parts(f)[0] for f in stack.split(";")]
        for name in set(names):
            flat, cum = out.get(name, (0, 0))
            out[name] = (flat + (values[i] if name == names[-1] else 0),
                         cum + values[i])
    return {k: v for k, v in out.items() if v != (0, 0)}


@pytest.mark.parametrize("sample_index,measure", [
    ("inuse_space", "peak_bytes"), ("alloc_space", "alloc_bytes"),
    ("inuse_objects", "peak_count"), ("alloc_objects", "alloc_count")])
def test_go_tool_pprof_reads_the_heap_profile(work, records, sample_index,
                                              measure):
    files = run_all(work, records)
    rows = read_records_csv(files["records.csv"])
    top, functions = go_top(files["m.pb.gz"], sample_index)
    assert f"Type: {sample_index}" in top
    assert functions == expected_top(rows, measure), top


def test_go_tool_pprof_shows_the_lines_and_the_comment(work, records):
    files = run_all(work, records)
    by_line = go_pprof(["-top", "-lines", "-unit=B", "-nodefraction=0",
                        files["m.pb.gz"]])
    assert re.search(r"\s3000B .* build /srv/my app/app\.py:8$", by_line,
                     re.M), by_line
    assert re.search(r"\s256B .* <no Python frame>\s*$", by_line,
                     re.M), by_line
    comments = go_pprof(["-comments", files["m.pb.gz"]])
    assert "live when the program's live bytes were at their peak" \
        in comments


# ------------------------------------------------------------ speedscope

def test_speedscope_weights_are_the_csvs_bytes_at_the_peak(work, records):
    files = run_all(work, records)
    rows = read_records_csv(files["records.csv"])
    with open(files["m.json"], encoding="utf-8") as stream:
        doc = json.load(stream)
    frames = doc["shared"]["frames"]
    (profile,) = doc["profiles"]
    assert profile["type"] == "sampled"
    assert profile["unit"] == "bytes"
    assert profile["name"] == "live bytes at the peak"

    def text(frame):
        if "file" not in frame:
            return frame["name"]
        return f"{frame['name']} ({frame['file']}:{frame['line']})"

    got = [(";".join(text(frames[i]) for i in s), w)
           for s, w in zip(profile["samples"], profile["weights"])]
    want = [(stack, v[VALUES.index("peak_bytes")]) for stack, v in rows
            if v[VALUES.index("peak_bytes")] > 0]
    assert got == want
    assert profile["endValue"] == sum(w for _, w in want)
    assert len({json.dumps(f, sort_keys=True) for f in frames}) == len(frames)
    with open(os.path.join(npm_speedscope(), "file-format-schema.json"),
              encoding="utf-8") as stream:
        schema = json.load(stream)
    assert check_schema(doc, {"$ref": "#/definitions/FileFormat.File"},
                        schema) is None


# ------------------------------------------------------------ line records

def test_line_records_make_a_profile_of_one_frame_stacks(work, records,
                                                         tmp_path):
    proc = profile_run(work, records, [
        "recorders/csv:filename=lines.csv",
        "recorders/profile:format=pprof,filename=lines.pb.gz",
        "recorders/profile:format=collapsed,filename=lines.collapsed"],
        aggregate="line")
    assert proc.returncode == 0, proc.stderr
    with open(os.path.join(work, "lines.csv"), newline="",
              encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert "stack" not in rows[0]

    def frame(r):
        if r["filename"] == "" and r["lineno"] == "0":
            return r["function"]
        return f"{r['function']} ({r['filename']}:{r['lineno']})"

    with open(os.path.join(work, "lines.collapsed"), encoding="utf-8") as s:
        assert s.read() == "".join(
            f"{frame(r)} {r['peak_bytes']}\n" for r in rows
            if int(r["peak_bytes"]) > 0)
    profile = read_pprof(os.path.join(work, "lines.pb.gz"), tmp_path)
    assert pprof_stacks(profile) == [
        (frame(r), [int(r["alloc_count"]), int(r["alloc_bytes"]),
                    int(r["peak_count"]), int(r["peak_bytes"])])
        for r in rows]


# ------------------------------------------------------------ refusals

def test_pstats_and_mixed_records_are_refused_in_one_line(work, records):
    proc = profile_run(work, records, ["recorders/profile:format=pstats"])
    assert proc.returncode != 0
    assert proc.stderr.splitlines() == [
        "pikos: [recorders/profile] format=pstats takes function records, "
        "not allocation records (StackAllocationRecord): write a memory "
        "profile with format=pprof, collapsed or speedscope"]
    proc = run_pikos(["--plugin-path", fixture_path(),
                      "--plugin", "monitors/functions:time=true",
                      "--plugin", f"monitors/fx_alloc_records:records={records}",
                      "--plugin", "recorders/profile:format=pprof", SCRIPT],
                     work)
    assert proc.returncode != 0
    assert proc.stderr.splitlines() == [
        "pikos: [recorders/profile] a profile holds one kind of record: "
        "StackAllocationRecord (allocation records) cannot join the "
        "function records it takes; profile them in separate runs (every "
        "recorder of a run gets every monitor's records)"]


# ------------------------------------------------------------ the monitor

def test_monitors_allocations_profile_equals_its_csv(work, tmp_path):
    """monitors/allocations (issue 16) itself: its records of a real
    program, written by recorders/csv and by recorders/profile in the same
    run, say the same stacks and values."""
    if run_pikos(["help", "monitors/allocations"], work).returncode != 0:
        pytest.skip("monitors/allocations is not built here (issue 16)")
    proc = run_pikos([
        "--plugin", "monitors/allocations:aggregate=stack",
        "--plugin", "recorders/csv:filename=records.csv",
        "--plugin", "recorders/profile:format=pprof,filename=m.pb.gz",
        "--plugin", "recorders/profile:format=collapsed,filename=m.collapsed",
        "alloc_stacks.py"], work)
    assert proc.returncode == 0, proc.stderr
    rows = read_records_csv(os.path.join(work, "records.csv"))
    app = os.path.join(os.path.realpath(work), "alloc_stacks.py")
    assert any(f";build ({app}:9)" in stack and v[0] > 0 for stack, v in rows)
    profile = read_pprof(os.path.join(work, "m.pb.gz"), tmp_path)
    assert pprof_stacks(profile) == [
        (stack, [v[1], v[0], v[5], v[4]]) for stack, v in rows]
    with open(os.path.join(work, "m.collapsed"), encoding="utf-8") as stream:
        assert stream.read() == expected_collapsed(rows, "peak_bytes")
    top, functions = go_top(os.path.join(work, "m.pb.gz"), "inuse_space")
    assert functions == expected_top(rows, "peak_bytes"), top


def test_heap_and_block_records_pass_a_memory_profile_by(work):
    """monitors/allocations with interval= and threshold= also emits
    HeapRecord and BlockRecord: a memory profile takes its aggregates only,
    and writes what it writes without them."""
    if run_pikos(["help", "monitors/allocations"], work).returncode != 0:
        pytest.skip("monitors/allocations is not built here (issue 16)")
    proc = run_pikos([
        "--plugin",
        "monitors/allocations:aggregate=stack,interval=1000,threshold=1",
        "--plugin", "recorders/csv:filename=records.csv",
        "--plugin", "recorders/profile:format=collapsed,filename=m.collapsed",
        "alloc_stacks.py"], work)
    assert proc.returncode == 0, proc.stderr
    rows = read_records_csv(os.path.join(work,
                                         "records.StackAllocationRecord.csv"))
    assert rows
    with open(os.path.join(work, "m.collapsed"), encoding="utf-8") as stream:
        assert stream.read() == expected_collapsed(rows, "peak_bytes")
