"""recorders/perfetto end to end: the trace is read back with
python3-protobuf through tests/cli/perfetto_trace.proto (Perfetto's field
numbers), resolved as Perfetto resolves it (per-sequence interned names and
incremental clocks, default tracks), and compared with independent
oracles: a sys.setprofile + threading.setprofile profiler for the slices of
every thread (perfetto_oracle.py), pure-Python settrace for the line
instants (line_oracle.py), and the same run's CSV records for the memory
counters.  Also: untimed records are refused in one line; a program that
dies by SIGKILL or os.abort() leaves every packet written; what a call
takes, against Chrome's JSON of the same events."""
import csv
import importlib
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import HERE, assert_one_error_line, run_pikos, run_python

pytest.importorskip("google.protobuf",
                    reason="python3-protobuf is not installed "
                           "(apt-get install python3-protobuf)")

CLEARED, NEEDS = 1, 2  # TracePacket.SequenceFlags
BEGIN, END, INSTANT, COUNTER = 1, 2, 3, 4  # TrackEvent.Type
MONOTONIC, BOOTTIME, INCREMENTAL = 3, 6, 64  # clock ids
UNIT_SIZE_BYTES = 3


@pytest.fixture(scope="module")
def pb(tmp_path_factory):
    """perfetto_trace.proto compiled by protoc and imported."""
    protoc = shutil.which("protoc")
    if protoc is None:
        pytest.skip("protoc is not installed (apt-get install "
                    "protobuf-compiler)")
    out = str(tmp_path_factory.mktemp("proto"))
    subprocess.run([protoc, "--proto_path=" + HERE, "--python_out=" + out,
                    "perfetto_trace.proto"], check=True)
    sys.path.insert(0, out)
    try:
        return importlib.import_module("perfetto_trace_pb2")
    finally:
        sys.path.remove(out)


# ------------------------------------------------------------ reading

class Slice:
    def __init__(self, name, location, start, parent):
        self.name, self.location, self.start = name, location, start
        self.parent, self.end = parent, None


class Sequence:
    """A packet sequence's incremental state, as trace_processor keeps it."""

    def __init__(self):
        self.names, self.locations = {}, {}
        self.defaults = None
        self.now = self.monotonic_offset = None

    def clear(self, packet):
        self.names, self.locations = {}, {}
        if packet.HasField("trace_packet_defaults"):
            self.defaults = packet.trace_packet_defaults

    def set_clocks(self, snapshot):
        clocks = {c.clock_id: c for c in snapshot.clocks}
        assert BOOTTIME in clocks and MONOTONIC in clocks, snapshot
        assert clocks[INCREMENTAL].is_incremental
        self.now = clocks[INCREMENTAL].timestamp
        self.monotonic_offset = (clocks[MONOTONIC].timestamp -
                                 clocks[INCREMENTAL].timestamp)

    def time_of(self, packet):
        """ns since the run started."""
        if packet.timestamp_clock_id == MONOTONIC:
            return packet.timestamp - self.monotonic_offset
        assert packet.timestamp_clock_id == 0, packet
        assert self.defaults.timestamp_clock_id == INCREMENTAL
        self.now += packet.timestamp
        return self.now

    def intern(self, data):
        for entry in data.event_names:
            assert self.names.setdefault(entry.iid, entry.name) == entry.name
        for entry in data.source_locations:
            old = self.locations.setdefault(entry.iid, entry)
            assert old == entry


class Trace:
    """What a trace file shows: tracks, slices, instants, counters."""

    def __init__(self, pb, packets):
        self.packets = packets
        self.tracks = {}     # uuid -> TrackDescriptor
        self.slices = {}     # track uuid -> [Slice] in begin order
        self.open = {}       # track uuid -> [Slice] still open
        self.instants = {}   # track uuid -> [(time, name, location, parent)]
        self.counters = {}   # track uuid -> [(time, value)]
        self.sequences = {}
        for packet in packets:
            self.read(packet)

    def sequence_of(self, packet):
        number = packet.trusted_packet_sequence_id
        assert number > 0, packet
        if number not in self.sequences:
            assert packet.sequence_flags & CLEARED, \
                "a sequence's first packet clears its state"
            self.sequences[number] = Sequence()
        return self.sequences[number]

    def read(self, packet):
        seq = self.sequence_of(packet)
        if packet.sequence_flags & CLEARED:
            seq.clear(packet)
        elif packet.HasField("timestamp") or packet.HasField("track_event"):
            assert packet.sequence_flags == NEEDS, packet
        if packet.HasField("clock_snapshot"):
            seq.set_clocks(packet.clock_snapshot)
            return
        seq.intern(packet.interned_data)
        time = seq.time_of(packet) if packet.HasField("timestamp") else None
        if packet.HasField("track_descriptor"):
            desc = packet.track_descriptor
            assert self.tracks.setdefault(desc.uuid, desc) == desc
        if packet.HasField("track_event"):
            self.read_event(seq, packet.track_event, time)

    def read_event(self, seq, event, time):
        track = (event.track_uuid if event.HasField("track_uuid")
                 else seq.defaults.track_event_defaults.track_uuid)
        stack = self.open.setdefault(track, [])
        if event.type == BEGIN:
            location = (seq.locations[event.source_location_iid]
                        if event.HasField("source_location_iid") else None)
            s = Slice(seq.names[event.name_iid], location, time,
                      stack[-1] if stack else None)
            self.slices.setdefault(track, []).append(s)
            stack.append(s)
        elif event.type == END:
            stack.pop().end = time
        elif event.type == INSTANT:
            self.instants.setdefault(track, []).append(
                (time, seq.names[event.name_iid],
                 seq.locations[event.source_location_iid],
                 stack[-1] if stack else None))
        else:
            assert event.type == COUNTER, event
            self.counters.setdefault(track, []).append(
                (time, event.counter_value))

    def threads(self):
        """{tid: (track uuid, ThreadDescriptor)}"""
        return {d.thread.tid: (uuid, d.thread)
                for uuid, d in self.tracks.items() if d.HasField("thread")}

    def process(self):
        [(uuid, desc)] = [(u, d) for u, d in self.tracks.items()
                          if d.HasField("process")]
        return uuid, desc.process


def split_packets(data):
    """The complete Trace.packet fields of a file, as bytes; the bytes of
    a packet cut short at the end are left out."""
    packets, at = [], 0
    while at < len(data):
        assert data[at] == 0x0a, f"byte {at}: not a Trace.packet field"
        length, shift, at = 0, 0, at + 1
        while at < len(data):
            byte = data[at]
            at += 1
            length |= (byte & 0x7f) << shift
            shift += 7
            if not byte & 0x80:
                break
        if at + length > len(data):
            break
        packets.append(data[at:at + length])
        at += length
    return packets


def read_trace(pb, path, whole=True):
    with open(path, "rb") as stream:
        data = stream.read()
    if whole:
        trace = pb.Trace()
        trace.ParseFromString(data)
        return Trace(pb, list(trace.packet))
    packets = []
    for raw in split_packets(data):
        packet = pb.TracePacket()
        packet.ParseFromString(raw)
        packets.append(packet)
    return Trace(pb, packets)


def run_recorder(work, monitors, script, *args, options=""):
    out = os.path.join(work, "out.perfetto-trace")
    plugins = []
    for monitor in monitors:
        plugins += ["--plugin", monitor]
    proc = run_pikos([*plugins, "--plugin",
                      "recorders/perfetto:filename=" + out + options,
                      script, *args], work)
    return out, proc


# ------------------------------------------------------------ oracle

def oracle_slices(work, script):
    """{thread: [(name, file, firstlineno, parent index)]}, main thread's
    id: the oracle's calls, nested by the same rules as the recorder's
    (plugins/recorders/common/call_stacks.h)."""
    out = os.path.join(work, "oracle.json")
    proc = run_python([os.path.join(HERE, "perfetto_oracle.py"), out,
                       script], work)
    assert proc.returncode == 0, proc.stderr
    with open(out, encoding="utf-8") as stream:
        (_, main), *events = json.load(stream)
    slices, stacks = {}, {}
    for thread, event, name, filename, firstlineno in events:
        mine, stack = slices.setdefault(thread, []), stacks.setdefault(
            thread, [])
        if event in ("call", "c_call"):
            python = event == "call"
            mine.append((name, filename if python else None,
                         firstlineno if python else None,
                         stack[-1] if stack else None))
            stack.append(len(mine) - 1)
        elif event == "return" and any(mine[i][1] is not None
                                       for i in stack):
            while mine[stack[-1]][1] is None:
                stack.pop()
            stack.pop()
        elif event in ("c_return", "c_exception") and stack and \
                mine[stack[-1]][1] is None:
            stack.pop()
    return slices, main


def kept_tree(slices, script):
    """(name, depth) of the slices of the script's own code - its Python
    functions and the C functions they call - in begin order, depth
    counting such ancestors only: the part of a thread that does not
    depend on where a profiler starts or stops in a thread's life."""
    kept, depth = [], {}

    def of_script(s):
        return s is not None and s[1] == script

    for i, s in enumerate(slices):
        parent = slices[s[3]] if s[3] is not None else None
        d = depth.get(s[3], 0)
        if of_script(s) or (s[1] is None and of_script(parent)):
            kept.append((s[0], d))
            d += 1
        depth[i] = d
    return kept


def trace_tree(trace_slices):
    """The trace's slices in the oracle's form."""
    index = {id(s): i for i, s in enumerate(trace_slices)}
    return [(s.name, s.location.file_name if s.location else None,
             s.location.line_number if s.location else None,
             index[id(s.parent)] if s.parent else None)
            for s in trace_slices]


def assert_nested_in_time(slices):
    for s in slices:
        assert s.end is not None and s.start <= s.end, s.name
        if s.parent is not None:
            assert s.parent.start <= s.start <= s.end <= s.parent.end, \
                (s.name, s.parent.name)


# ------------------------------------------------------------ tests

def test_slices_and_tracks_equal_the_oracle(work, pb):
    out, proc = run_recorder(work, ["monitors/functions:time=true"],
                             "perfetto_app.py")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "5\n"
    assert proc.stderr == ""
    trace = read_trace(pb, out)
    script = os.path.join(os.path.realpath(work), "perfetto_app.py")
    expected, oracle_main = oracle_slices(work, "perfetto_app.py")

    process_uuid, process = trace.process()
    assert process.process_name == "perfetto_app.py"
    assert process.cmdline[1:] == ["perfetto_app.py"]
    threads = trace.threads()
    assert len(threads) == 2, threads
    main_uuid, main = threads[process.pid]
    assert (main.pid, main.thread_name) == (process.pid, "main thread")
    [(other_tid, (other_uuid, other))] = [
        item for item in threads.items() if item[0] != process.pid]
    assert (other.pid, other.thread_name) == (process.pid,
                                              f"thread {other_tid}")
    for uuid in (main_uuid, other_uuid):
        assert trace.tracks[uuid].parent_uuid == process_uuid
        assert trace.open.get(uuid) == []
        assert_nested_in_time(trace.slices[uuid])

    [oracle_other] = [t for t in expected if t != oracle_main]
    main_tree = kept_tree(trace_tree(trace.slices[main_uuid]), script)
    other_tree = kept_tree(trace_tree(trace.slices[other_uuid]), script)
    assert main_tree == kept_tree(expected[oracle_main], script)
    assert other_tree == kept_tree(expected[oracle_other], script)
    # What the program did, to be sure the comparison saw it: fib(5) is
    # 15 calls, sorted and len are C calls inside inner and outer.
    assert sum(1 for name, _ in main_tree if name == "fib") == 15
    assert ("sorted", 3) in main_tree and ("len", 2) in main_tree
    assert other_tree[0] == ("worker", 0)
    assert sum(1 for name, _ in other_tree if name == "fib") == 5


def test_source_locations_are_the_functions_own(work, pb):
    out, proc = run_recorder(work, ["monitors/functions:time=true"],
                             "perfetto_app.py")
    assert proc.returncode == 0, proc.stderr
    trace = read_trace(pb, out)
    script = os.path.join(os.path.realpath(work), "perfetto_app.py")
    expected, _ = oracle_slices(work, "perfetto_app.py")
    wanted = {(name, line) for thread in expected.values()
              for name, file, line, _ in thread if file == script}
    seen = {(s.location.function_name, s.location.line_number)
            for slices in trace.slices.values() for s in slices
            if s.location is not None and s.location.file_name == script}
    assert seen == wanted
    assert ("fib", 5) in seen and ("<module>", 1) in seen
    names = {s.name for slices in trace.slices.values() for s in slices
             if s.location is not None}
    assert all(s.name == s.location.function_name
               for slices in trace.slices.values() for s in slices
               if s.location is not None), names


def test_memory_becomes_rss_and_vms_counters(work, pb):
    records = os.path.join(work, "records.csv")
    out, proc = run_recorder(
        work, ["monitors/function_memory:time=true,memory=exact",
               "recorders/csv:filename=" + records], "perfetto_app.py")
    assert proc.returncode == 0, proc.stderr
    trace = read_trace(pb, out)
    process_uuid, _ = trace.process()
    counters = {d.name: uuid for uuid, d in trace.tracks.items()
                if d.HasField("counter")}
    assert sorted(counters) == ["RSS", "VMS"]
    for uuid in counters.values():
        assert trace.tracks[uuid].parent_uuid == process_uuid
        assert trace.tracks[uuid].counter.unit == UNIT_SIZE_BYTES
    with open(records, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    for name in ("RSS", "VMS"):
        changes = []
        for row in rows:
            value = int(row[name])
            if not changes or changes[-1][1] != value:
                changes.append((int(row["time"]), value))
        assert sorted(trace.counters[counters[name]]) == sorted(changes)
        assert all(value > 0 for _, value in changes)
    assert sum(len(s) for s in trace.slices.values()) > 0


def line_oracle(work, script):
    out = os.path.join(work, "lines.csv")
    proc = run_python([os.path.join(HERE, "line_oracle.py"), out, script],
                      work)
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="", encoding="utf-8") as stream:
        return [(f, int(n), text.lstrip(), file)
                for f, n, text, file in csv.reader(stream)]


def test_lines_are_instants_inside_their_function(work, pb):
    out, proc = run_recorder(work, ["monitors/functions:time=true",
                                    "monitors/lines:time=true"],
                             "perfetto_lines.py")
    assert proc.returncode == 0, proc.stderr
    trace = read_trace(pb, out)
    script = os.path.join(os.path.realpath(work), "perfetto_lines.py")
    [(uuid, _)] = trace.threads().values()
    instants = [(loc.function_name, loc.line_number, name, loc.file_name,
                 parent)
                for _, name, loc, parent in trace.instants[uuid]
                if loc.file_name == script]
    expected = [e for e in line_oracle(work, "perfetto_lines.py")
                if e[3] == script]
    assert [i[:4] for i in instants] == expected
    assert [i[2] for i in instants if i[0] == "f"] == [
        "y = x + 1", "return y * 2"] * 2
    for function, _, _, _, parent in instants:
        assert parent is not None and parent.name == function
        assert parent.start <= parent.end
    times = [t for t, *_ in trace.instants[uuid]]
    assert times == sorted(times)


def test_lines_false_writes_no_instants(work, pb):
    out, proc = run_recorder(work, ["monitors/lines:time=true"],
                             "perfetto_lines.py", options=",lines=false")
    assert proc.returncode == 0, proc.stderr
    trace = read_trace(pb, out)
    assert trace.instants == {}
    assert len(trace.threads()) == 1


def test_untimed_records_are_refused_in_one_line(work):
    out, proc = run_recorder(work, ["monitors/functions"], "perfetto_app.py")
    assert_one_error_line(proc, "pikos: [recorders/perfetto] ")
    assert "takes timed records" in proc.stderr
    assert "time=true" in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("how", ["kill", "abort"])
def test_a_program_that_dies_leaves_every_packet_written(work, pb, how):
    out, proc = run_recorder(work, ["monitors/functions:time=true"],
                             "perfetto_dies.py", how)
    assert proc.returncode != 0
    trace = read_trace(pb, out, whole=False)
    [(uuid, _)] = trace.threads().values()
    slices = trace.slices[uuid]
    fib = [s for s in slices if s.name == "fib"]
    assert len(fib) == 177  # fib(10)'s calls, all of them ended
    assert all(s.end is not None for s in fib)
    still_open = [s.name for s in trace.open[uuid]]
    assert still_open[-3:-1] == ["<module>", "die"]
    assert still_open[-1] in ("kill", "abort")


def chrome_json(trace, pid, events_per_call):
    """The same slices as Chrome trace-event JSON: B and E events, or one
    X event, per call; a Python call's file and line as args."""
    events = []
    for (tid, (uuid, _)) in trace.threads().items():
        for s in trace.slices[uuid]:
            head = {"name": s.name, "ph": "B", "ts": round(s.start / 1e3, 3),
                    "pid": pid, "tid": tid}
            if s.location is not None:
                head["args"] = {"file": s.location.file_name,
                                "line": s.location.line_number}
            if events_per_call == 1:
                head["ph"] = "X"
                head["dur"] = round((s.end - s.start) / 1e3, 3)
                events.append(head)
            else:
                events += [head, {"ph": "E", "ts": round(s.end / 1e3, 3),
                                  "pid": pid, "tid": tid}]
    return json.dumps({"traceEvents": events}, separators=(",", ":"))


def test_a_call_takes_a_fifth_of_chrome_json(work, pb):
    out, proc = run_recorder(work, ["monitors/functions:time=true"],
                             "perfetto_many.py")
    assert proc.returncode == 0, proc.stderr
    trace = read_trace(pb, out)
    pid = trace.process()[1].pid
    calls = sum(len(s) for s in trace.slices.values())
    assert calls > 5000
    size = os.path.getsize(out)
    begin_end = len(chrome_json(trace, pid, 2).encode())
    complete = len(chrome_json(trace, pid, 1).encode())
    print(f"\n{calls} calls: perfetto {size} bytes ({size / calls:.1f} a "
          f"call), Chrome JSON B/E {begin_end} ({begin_end / calls:.1f}), "
          f"X {complete} ({complete / calls:.1f})")
    assert size * 5 <= begin_end


def test_a_long_command_line_is_the_process_s(work, pb):
    args = [f"argument-{i}" for i in range(3000)]
    out, proc = run_recorder(work, ["monitors/functions:time=true"],
                             "perfetto_lines.py", *args)
    assert proc.returncode == 0, proc.stderr
    _, process = read_trace(pb, out).process()
    assert list(process.cmdline[1:]) == ["perfetto_lines.py", *args]
    assert process.process_name == "perfetto_lines.py"
