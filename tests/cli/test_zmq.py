"""recorders/zmq end to end: a pyzmq subscriber reads the v1 wire stream
(docs/live.md) of a program run by `pikos --plugin recorders/zmq`.

The records a subscriber decodes equal what oracle.py (a sys.setprofile
callback on the same code) sees; the end message counts exactly the
records received; a port in use stops pikos before the program runs; a
program no one watches, or watched by a subscriber that never reads, runs
to its end (slow=drop counts what it dropped) and slow=block loses
nothing.  Real sockets on loopback, on ports the system picks.
"""
import json
import os
import re
import socket
import subprocess
import threading
import time

import pytest

from conftest import (FUNCTION_FIELDS, TIMEOUT, assert_one_error_line,
                      run_oracle, run_pikos)

try:
    import zmq
except ImportError:  # the tests run with /usr/bin/python3
    pytest.fail("these tests need pyzmq: apt-get install -y python3-zmq",
                allow_module_level=True)

RECORDS_TOPIC = b"pikos.records"
ORACLE_SCRIPTS = ["plain_calls.py", "recursion.py", "generators.py",
                  "exceptions_caught.py", "exception_uncaught.py"]
DROP_WARNING = re.compile(r"^pikos: \[recorders/zmq\] warning: (\d+) of "
                          r"(\d+) records were dropped: ")


def free_port():
    """A TCP port on 127.0.0.1 that no one listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_core_text(text):
    """A string as the core hands it to recorders: what is not UTF-8 (lone
    surrogates) escaped with backslashes."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class Subscriber:
    """A pyzmq SUB socket reading pikos messages in a thread, until every
    stream it saw has ended (or `timeout` seconds).  `pause` seconds are
    spent after each message (a slow reader); `read=False` connects but
    never reads."""

    def __init__(self, endpoint, pause=0.0, read=True, rcvhwm=None,
                 timeout=TIMEOUT, bind=False):
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.SUB)
        self.socket.setsockopt(zmq.LINGER, 0)
        if rcvhwm is not None:
            self.socket.setsockopt(zmq.RCVHWM, rcvhwm)
            self.socket.setsockopt(zmq.RCVBUF, 4096)
        self.socket.setsockopt(zmq.SUBSCRIBE, b"pikos.")
        if bind:  # the collecting end: the programs connect
            self.socket.bind(endpoint)
        else:
            self.socket.connect(endpoint)
        self.pause = pause
        self.deadline = time.monotonic() + timeout
        self.messages = []  # (topic, decoded JSON body)
        self.frames = []    # the number of frames of each message
        self.thread = threading.Thread(target=self._run, daemon=True)
        if read:
            self.thread.start()

    def _run(self):
        started, ended = set(), set()
        while time.monotonic() < self.deadline:
            if not self.socket.poll(100):
                continue
            frames = self.socket.recv_multipart()
            self.frames.append(len(frames))
            topic, body = frames[0], frames[-1]
            # Strict: the body must be UTF-8 and JSON.
            message = json.loads(body.decode("utf-8"))
            self.messages.append((topic, message))
            started.add(message["stream"])
            if topic == b"pikos.end":
                ended.add(message["stream"])
                if ended >= started:
                    return
            time.sleep(self.pause)

    def close(self, join=True):
        """Waits for the reading thread (when it runs), closes the socket."""
        if join and self.thread.is_alive():
            self.thread.join(max(0.0, self.deadline - time.monotonic()))
        self.socket.close()
        self.context.term()

    def of_topic(self, topic):
        return [m for t, m in self.messages if t == topic]

    def records(self, stream):
        """Every record of a stream, in the order received."""
        return [row for m in self.of_topic(RECORDS_TOPIC)
                if m["stream"] == stream for row in m["records"]]


def run_watched(work, script, options, args=(), **subscriber):
    """Runs pikos with recorders/zmq on a free port and a subscriber; returns
    (process, subscriber) once the subscriber has read everything."""
    port = free_port()
    reader = Subscriber(f"tcp://127.0.0.1:{port}", **subscriber)
    try:
        proc = run_pikos(["--plugin", f"recorders/zmq:port={port},"
                          f"wait_for_ready=true{options}", script, *args],
                         work)
    finally:
        reader.close()
    return proc, reader


def the_stream(reader):
    """The only stream of a run: its schema message."""
    schemas = {m["stream"]: m for m in reader.of_topic(b"pikos.schema")}
    assert len(schemas) == 1, schemas
    return next(iter(schemas.values()))


@pytest.mark.parametrize("name", ORACLE_SCRIPTS)
def test_a_subscriber_decodes_the_oracles_records(work, name):
    script = os.path.join(work, name)
    expected, oracle = run_oracle(script, work)
    proc, reader = run_watched(work, script, "")

    assert proc.returncode == oracle.returncode, proc.stderr
    schema = the_stream(reader)
    assert schema["v"] == 1
    assert schema["schema"] == "FunctionRecord"
    assert schema["fields"] == FUNCTION_FIELDS
    assert schema["types"] == ["int", "str", "str", "int", "str"]
    assert schema["stream"] == f"{schema['host']}:{schema['pid']}:1"
    assert set(reader.frames) == {2}
    rows = reader.records(schema["stream"])
    assert all(len(row) == 5 for row in rows)
    events = [tuple(row[1:]) for row in rows]
    assert [e for e in events if e[3] == script] == \
        [e for e in expected if e[3] == script]
    indexes = [row[0] for row in rows]
    assert indexes == sorted(set(indexes))
    [end] = reader.of_topic(b"pikos.end")
    assert end == {"stream": schema["stream"], "count": len(rows),
                   "dropped": 0}


def test_names_beyond_ascii_arrive_as_valid_json(work):
    script = os.path.join(work, "zmq_names.py")
    expected, _ = run_oracle(script, work)
    proc, reader = run_watched(work, script, "")

    assert proc.returncode == 0, proc.stderr
    rows = [tuple(row[1:]) for row in
            reader.records(the_stream(reader)["stream"])]
    assert [e for e in rows if e[3] == script] == \
        [e for e in expected if e[3] == script]
    assert {"café", "函数", "Ωmega"} <= {e[1] for e in rows}


def test_a_file_name_that_is_not_utf8_arrives_escaped(work):
    proc, reader = run_watched(work, "zmq_names.py", "",
                               args=("undecodable",))

    assert proc.returncode == 0, proc.stderr
    rows = [tuple(row[1:]) for row in
            reader.records(the_stream(reader)["stream"])]
    # The events of the compiled code (oracle.py cannot write its file
    # name), the name escaped as the core escapes what is not UTF-8.
    bad = as_core_text("bad\udcff.py")
    assert bad == "bad\\udcff.py"
    assert [e for e in rows if e[3] == bad] == [
        ("call", "<module>", 0, bad), ("return", "<module>", 1, bad),
        ("call", "f", 1, bad), ("return", "f", 2, bad)]


def test_two_monitors_make_two_streams(work):
    script = os.path.join(work, "recursion.py")
    port = free_port()
    reader = Subscriber(f"tcp://127.0.0.1:{port}")
    try:
        proc = run_pikos(["--plugin", "monitors/functions",
                          "--plugin", "monitors/lines",
                          "--plugin", f"recorders/zmq:endpoint=tcp://"
                          f"127.0.0.1:{port},wait_for_ready=true", script],
                         work)
    finally:
        reader.close()

    assert proc.returncode == 0, proc.stderr
    schemas = {m["schema"]: m for m in reader.of_topic(b"pikos.schema")}
    assert sorted(schemas) == ["FunctionRecord", "LineRecord"]
    pid = schemas["LineRecord"]["pid"]
    host = schemas["LineRecord"]["host"]
    assert sorted(m["stream"] for m in schemas.values()) == \
        [f"{host}:{pid}:1", f"{host}:{pid}:2"]
    ends = {m["stream"]: m for m in reader.of_topic(b"pikos.end")}
    for schema in schemas.values():
        rows = reader.records(schema["stream"])
        assert rows
        assert all(len(row) == len(schema["fields"]) for row in rows)
        assert ends[schema["stream"]]["count"] == len(rows)


def test_a_port_in_use_stops_pikos_before_the_program_runs(work):
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        proc = run_pikos(["--plugin", f"recorders/zmq:port={port}",
                          "zmq_marker.py"], work)

    assert_one_error_line(
        proc, f"pikos: [recorders/zmq] cannot bind tcp://127.0.0.1:{port}: "
        "Address already in use")
    assert not os.path.exists(os.path.join(work, "ran"))


def test_bad_options_stop_pikos_before_the_program_runs(work):
    proc = run_pikos(["--plugin", "recorders/zmq:slow=sometimes",
                      "zmq_marker.py"], work)

    assert_one_error_line(proc, "pikos: [recorders/zmq] option 'slow' must "
                          "be drop")
    assert not os.path.exists(os.path.join(work, "ran"))


def test_with_no_subscriber_the_program_runs_to_its_end(work):
    port = free_port()
    start = time.monotonic()
    proc = run_pikos(["--plugin", f"recorders/zmq:port={port}",
                      "zmq_busy.py", "100000"], work)
    took = time.monotonic() - start

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "done\n"
    assert proc.stderr == ""
    assert took < 20, took


def test_a_subscriber_that_never_reads_makes_slow_drop_count(work):
    port = free_port()
    reader = Subscriber(f"tcp://127.0.0.1:{port}", read=False, rcvhwm=1)
    try:
        start = time.monotonic()
        proc = run_pikos(["--plugin", f"recorders/zmq:port={port},hwm=1,"
                          "wait_for_ready=true", "zmq_busy.py", "500000"],
                         work)
        took = time.monotonic() - start
    finally:
        reader.close(join=False)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "done\n"
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    match = DROP_WARNING.match(lines[0])
    assert match, lines[0]
    dropped, total = int(match[1]), int(match[2])
    assert 0 < dropped <= total
    assert total >= 4 * 500000
    assert took < 60, took


def test_slow_block_makes_the_program_wait_and_loses_nothing(work):
    proc, reader = run_watched(work, "zmq_busy.py", ",hwm=1,slow=block",
                               args=("20000",), pause=0.002)

    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    stream = the_stream(reader)["stream"]
    rows = reader.records(stream)
    assert [row[0] for row in rows] == list(range(len(rows)))
    assert len(rows) >= 4 * 20000
    [end] = reader.of_topic(b"pikos.end")
    assert end == {"stream": stream, "count": len(rows), "dropped": 0}


@pytest.mark.parametrize("how", ["_exit", "exit", "return"])
def test_a_forked_child_sends_nothing(work, how):
    script = os.path.join(work, "fork_child.py")
    events, oracle = run_oracle(script, work, args=(how,))
    parent = [e for e in events if e[3] == script]
    proc, reader = run_watched(work, script, "", args=(how,))

    assert proc.returncode == 0, proc.stderr
    schema = the_stream(reader)
    rows = reader.records(schema["stream"])
    assert [tuple(row[1:]) for row in rows if row[4] == script] == parent
    [end] = reader.of_topic(b"pikos.end")
    assert end["count"] == len(rows)
    assert {m["stream"] for _, m in reader.messages} == {schema["stream"]}


def test_a_pools_workers_are_streams_of_their_own(work):
    """connect=true to a collector: the fork start method's workers go on
    recording as streams of their own (plugin ABI after_fork), ended when
    each worker ends; the parent's stream is the parent's only.  slow=block:
    on a loaded machine the default (drop) may drop records, which is not
    what this test is about."""
    script = os.path.join(work, "zmq_pool.py")
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    reader = Subscriber(endpoint, bind=True)
    try:
        proc = run_pikos(["--plugin", f"recorders/zmq:endpoint={endpoint},"
                          "connect=true,wait_for_ready=true,slow=block",
                          script], work)
    finally:
        reader.close()

    assert proc.returncode == 0, proc.stderr
    parent, total = map(int, proc.stdout.split())
    assert total == 2470
    schemas = {m["stream"]: m for m in reader.of_topic(b"pikos.schema")}
    ends = {m["stream"]: m for m in reader.of_topic(b"pikos.end")}
    pids = {m["pid"] for m in schemas.values()}
    assert parent in pids and len(pids) == 3, schemas
    assert set(ends) == set(schemas)  # every stream ended, workers too
    squares = {}
    for stream, schema in schemas.items():
        rows = reader.records(stream)
        assert ends[stream]["count"] == len(rows)
        assert ends[stream]["dropped"] == 0
        assert stream.endswith(f":{schema['pid']}:" +
                               stream.rsplit(":", 1)[1])
        squares[schema["pid"]] = sum(
            1 for row in rows if row[1] == "call" and row[2] == "square")
    assert squares.pop(parent) == 0
    assert sum(squares.values()) == 20  # each call made in some worker
