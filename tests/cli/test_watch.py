"""`pikos watch` against real ZeroMQ sockets on loopback.

The publishers are scripts/watch_publish.py (pyzmq, independent of
recorders/zmq) sending planned wire-format v1 messages, so every count in
the expected snapshots is known exactly; the last tests watch real programs
profiled with recorders/zmq, one of them with timed records (own and total
time per function, against watch_oracle.py).
"""
import csv
import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import (HERE, PIKOS_BIN, PIKOS_BUILDDIR, PIKOS_PYTHON, SCRIPTS,
                      TEXT, TIMEOUT, assert_one_error_line)

PUBLISH = os.path.join(SCRIPTS, "watch_publish.py")
FUNCTION_FIELDS = ["index", "type", "function", "lineNo", "filename"]
FUNCTION_TYPES = ["int", "str", "str", "int", "str"]
LINE_FIELDS = ["index", "function", "lineNo", "line", "filename"]
LINE_TYPES = ["int", "str", "int", "str", "str"]


def require_pyzmq():
    """The publishers need pyzmq in the interpreter running the tests."""
    try:
        import zmq  # noqa: F401
    except ImportError:
        pytest.fail(f"{sys.executable} has no pyzmq: "
                    "apt-get install -y python3-zmq")


def free_port():
    """A TCP port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def frames(topic, body):
    """One plan step: a two-frame message with a JSON body."""
    return {"frames": [topic, json.dumps(body)]}


def schema(stream, host, pid, name, fields, types):
    return frames("pikos.schema", {"v": 1, "stream": stream, "pid": pid,
                                   "host": host, "schema": name,
                                   "fields": fields, "types": types})


def records(stream, rows):
    return frames("pikos.records", {"stream": stream, "records": rows})


def end(stream, count, dropped=0):
    return frames("pikos.end", {"stream": stream, "count": count,
                                "dropped": dropped})


class Publisher:
    """watch_publish.py running one plan; binds unless `connect` is given."""

    def __init__(self, work, name, plan, connect=None, hold=False,
                 curve_secret=None):
        require_pyzmq()
        plan_path = os.path.join(work, f"{name}.json")
        with open(plan_path, "w", encoding="utf-8") as stream:
            json.dump(plan, stream)
        args = [sys.executable, PUBLISH, connect or "tcp://127.0.0.1:*",
                plan_path]
        if connect:
            args.append("--connect")
        if hold:
            args.append("--hold")
        if curve_secret:
            args += ["--curve", curve_secret]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, **TEXT)
        self.endpoint = None if connect else self.proc.stdout.readline().strip()

    def finish(self):
        """Waits for the publisher; it must have had a subscriber."""
        out, err = self.proc.communicate(timeout=TIMEOUT)
        assert self.proc.returncode == 0, err


def watch(*args, **kwargs):
    return subprocess.run([PIKOS_BIN, "watch", *args], capture_output=True,
                          timeout=TIMEOUT, **TEXT, **kwargs)


def function_plan(stream, host, pid):
    """<module> calls work twice; work calls len once each time."""
    rows = []
    for event, function, line in [
            ("call", "<module>", 1), ("call", "work", 3),
            ("c_call", "len", 4), ("c_return", "len", 4),
            ("return", "work", 4), ("call", "work", 3),
            ("c_call", "len", 4), ("c_return", "len", 4),
            ("return", "work", 4), ("return", "<module>", 9)]:
        rows.append([len(rows), event, function, line, "/srv/app.py"])
    return [schema(stream, host, pid, "FunctionRecord", FUNCTION_FIELDS,
                   FUNCTION_TYPES),
            records(stream, rows[:4]), records(stream, rows[4:]),
            {"sleep": 0.3}, end(stream, len(rows))]


FUNCTION_SNAPSHOT = """\
== stream {host}:{pid}:1
host {host}  pid {pid}  schema FunctionRecord  ended  records 10  sent 10  \
dropped 0
functions by calls, 3 of 3:
     calls   share  function  filename
         2   40.0%  len       /srv/app.py
         2   40.0%  work      /srv/app.py
         1   20.0%  <module>  /srv/app.py
"""


def line_plan(stream, host, pid):
    """A loop body run three times."""
    rows = [[0, "<module>", 1, "n = 0", "/srv/loop.py"]]
    for _ in range(3):
        rows.append([len(rows), "<module>", 2, "for i in range(3):",
                     "/srv/loop.py"])
        rows.append([len(rows), "<module>", 3, "    n += i",
                     "/srv/loop.py"])
    return [schema(stream, host, pid, "LineRecord", LINE_FIELDS, LINE_TYPES),
            records(stream, rows), {"sleep": 0.3}, end(stream, len(rows))]


LINE_SNAPSHOT = """\
== stream {host}:{pid}:1
host {host}  pid {pid}  schema LineRecord  ended  records 7  sent 7  \
dropped 0
lines by hits, 3 of 3:
      hits  line            function  source
         3  /srv/loop.py:2  <module>  for i in range(3):
         3  /srv/loop.py:3  <module>      n += i
         1  /srv/loop.py:1  <module>  n = 0
"""


def two_stream_snapshot(malformed=0, waiting=0):
    return (f"pikos watch: 2 streams, {malformed} malformed, {waiting} "
            "waiting for a schema\n\n"
            + FUNCTION_SNAPSHOT.format(host="alpha", pid=11) + "\n"
            + LINE_SNAPSHOT.format(host="beta", pid=22))


def test_two_publishers_at_once(work):
    first = Publisher(work, "first",
                      function_plan("alpha:11:1", "alpha", 11))
    second = Publisher(work, "second", line_plan("beta:22:1", "beta", 22))
    proc = watch("--once", "--timeout", "3", first.endpoint, second.endpoint)
    first.finish()
    second.finish()
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout == two_stream_snapshot()


def test_once_stops_when_every_stream_ended(work):
    publisher = Publisher(work, "one",
                          function_plan("alpha:11:1", "alpha", 11))
    started = time.monotonic()
    proc = watch("--once", "--timeout", "60", publisher.endpoint)
    publisher.finish()
    assert time.monotonic() - started < 30
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("pikos watch: 1 stream, 0 malformed")


def test_bind_collects_publishers_that_connect(work):
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    watcher = subprocess.Popen(
        [PIKOS_BIN, "watch", "--bind", "--once", "--timeout", "5", endpoint],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, **TEXT)
    first = Publisher(work, "first", function_plan("alpha:11:1", "alpha", 11),
                      connect=endpoint)
    second = Publisher(work, "second", line_plan("beta:22:1", "beta", 22),
                       connect=endpoint)
    out, err = watcher.communicate(timeout=TIMEOUT)
    first.finish()
    second.finish()
    assert watcher.returncode == 0, err
    assert err == ""
    assert out == two_stream_snapshot()


def test_malformed_messages_are_counted_and_skipped(work):
    stream = "alpha:11:1"
    plan = function_plan(stream, "alpha", 11)
    bad = [
        {"frames": ["pikos.records", "{not json"]},
        {"frames": ["pikos.nonsense", "{}"]},
        {"frames": ["pikos.end"]},
        {"frames": ["pikos.end", "{}", "{}"]},
        {"frames": ["pikos.end", {"hex": "7b22737472"}]},  # '{"str' cut
        {"frames": ["pikos.end", {"hex": "7b2273747265616d223a22ff227d"}]},
        records(stream, [[0, "call", "f", 1]]),  # a row one value short
        frames("pikos.schema", {"v": 2, "stream": stream}),
    ]
    early = [records("gamma:33:1", [[0, "f", 1, "x", "/a.py"]])]
    # the bad messages go between the schema and the records
    proc_plan = early + plan[:1] + bad + plan[1:]
    first = Publisher(work, "bad", proc_plan)
    second = Publisher(work, "second", line_plan("beta:22:1", "beta", 22))
    proc = watch("--once", "--timeout", "3", first.endpoint, second.endpoint)
    first.finish()
    second.finish()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == two_stream_snapshot(malformed=8, waiting=1)


def test_restarted_and_live_streams(work):
    stream = "alpha:11:1"
    first_run = function_plan(stream, "alpha", 11)
    second_run = [schema(stream, "alpha", 11, "FunctionRecord",
                         FUNCTION_FIELDS, FUNCTION_TYPES),
                  records(stream, [[0, "call", "again", 5, "/srv/app.py"]])]
    publisher = Publisher(work, "restart", first_run + second_run, hold=True)
    proc = watch("--once", "--timeout", "2", publisher.endpoint)
    publisher.finish()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "pikos watch: 1 stream, 0 malformed, 0 waiting for a schema\n"
        "\n"
        "== stream alpha:11:1\n"
        "host alpha  pid 11  schema FunctionRecord  live  records 1  "
        "restarts 1\n"
        "functions by calls, 1 of 1:\n"
        "     calls   share  function  filename\n"
        "         1  100.0%  again     /srv/app.py\n")


def test_curve_encrypted_publisher(work):
    require_pyzmq()
    import zmq
    public, secret = (key.decode() for key in zmq.curve_keypair())
    publisher = Publisher(work, "curve",
                          function_plan("alpha:11:1", "alpha", 11),
                          curve_secret=secret)
    proc = watch("--once", "--timeout", "5", "--curve-server-key", public,
                 publisher.endpoint)
    publisher.finish()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "pikos watch: 1 stream, 0 malformed, 0 waiting for a schema\n\n"
        + FUNCTION_SNAPSHOT.format(host="alpha", pid=11))


def test_curve_publisher_without_the_key_is_not_heard(work):
    require_pyzmq()
    import zmq
    public, secret = (key.decode() for key in zmq.curve_keypair())
    publisher = Publisher(work, "curve",
                          function_plan("alpha:11:1", "alpha", 11),
                          curve_secret=secret)
    proc = watch("--once", "--timeout", "1", publisher.endpoint)
    publisher.proc.kill()
    publisher.proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 1
    assert proc.stderr.startswith("pikos: watch: no stream seen")


def test_no_publisher_is_one_line_and_status_1():
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    proc = watch("--once", "--timeout", "0.5", endpoint)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == (f"pikos: watch: no stream seen within 0.5 s on "
                           f"{endpoint}\n")


@pytest.mark.parametrize("args, message", [
    (["--timeout"], "--timeout needs a value"),
    (["--timeout", "soon"], "--timeout needs a number of seconds"),
    (["--timeout=0"], "--timeout needs a number of seconds"),
    (["--top", "-1"], "--top needs a number of rows"),
    (["--frobnicate"], "unknown option '--frobnicate'"),
    (["--once", "no-scheme"], "cannot connect to 'no-scheme'"),
    (["--once", "--bind", "tcp://127.0.0.1:notaport"], "cannot bind"),
    (["--once", "--curve-server-key", "short"], "40 characters of Z85"),
    (["--once", "--curve-server-key", "~" * 40], "40 characters of Z85"),
])
def test_bad_arguments(args, message):
    proc = watch(*args)
    assert_one_error_line(proc, "pikos: watch: ")
    assert message in proc.stderr


def test_port_in_use():
    require_pyzmq()
    import zmq
    context = zmq.Context()
    holder = context.socket(zmq.PUB)
    port = holder.bind_to_random_port("tcp://127.0.0.1")
    try:
        proc = watch("--bind", "--once", f"tcp://127.0.0.1:{port}")
    finally:
        holder.close(0)
        context.term()
    assert_one_error_line(proc, "pikos: watch: cannot bind")
    assert "Address already in use" in proc.stderr


def test_binding_every_interface_warns():
    proc = watch("--bind", "--once", "--timeout", "0.3",
                 f"tcp://0.0.0.0:{free_port()}")
    lines = proc.stderr.splitlines()
    assert proc.returncode == 1
    assert len(lines) == 2, proc.stderr
    assert lines[0].startswith("pikos: watch: warning: tcp://0.0.0.0:")
    assert "other machines" in lines[0]


def test_help():
    proc = watch("--help")
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: pikos watch ")
    assert "--once" in proc.stdout and "--bind" in proc.stdout


def test_view_needs_a_terminal():
    proc = watch("--timeout", "1", stdin=subprocess.DEVNULL)
    assert_one_error_line(proc, "pikos: watch: the live view needs a "
                                "terminal")


def test_sigint_prints_the_snapshot_so_far(work):
    stream = "alpha:11:1"
    plan = [schema(stream, "alpha", 11, "FunctionRecord", FUNCTION_FIELDS,
                   FUNCTION_TYPES),
            records(stream, [[0, "call", "f", 1, "/a.py"]])]
    publisher = Publisher(work, "live", plan, hold=True)
    watcher = subprocess.Popen(
        [PIKOS_BIN, "watch", "--once", "--timeout", "60", publisher.endpoint],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, **TEXT)
    time.sleep(1.5)
    watcher.send_signal(signal.SIGINT)
    out, err = watcher.communicate(timeout=TIMEOUT)
    publisher.finish()
    assert watcher.returncode == 0, err
    assert "host alpha  pid 11  schema FunctionRecord  live  records 1\n" in out


# ---------------------------------------------------------------- the view

class Terminal:
    """`pikos watch ARGS` on a pseudo-terminal of 30 lines, 100 columns."""

    def __init__(self, *args):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ.update(TERM="xterm", LANG="C.UTF-8", LINES="30",
                              COLUMNS="100")
            os.execv(PIKOS_BIN, [PIKOS_BIN, "watch", *args])
        self.output = b""

    def read_until(self, text, since=0, seconds=10):
        """Reads the screen output until `text` appears in it after byte
        `since` (curses rewrites only what changed: look at new output)."""
        deadline = time.monotonic() + seconds
        while text.encode() not in self.output[since:]:
            if time.monotonic() > deadline:
                return False
            if not self.read(0.1):
                return text.encode() in self.output[since:]
        return True

    def read(self, seconds):
        """Reads what arrives within `seconds`; False once the pty closed."""
        if select.select([self.fd], [], [], seconds)[0]:
            try:
                self.output += os.read(self.fd, 65536)
            except OSError:
                return False
        return True

    def key(self, key):
        """Presses `key`; returns where the output after it starts."""
        since = len(self.output)
        os.write(self.fd, key.encode())
        return since

    def wait(self, seconds=10):
        """The exit status, or None when it did not end in time."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.read(0.1)  # keep the pty drained
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        return None


def test_view_shows_streams_and_keys_work(work):
    publisher = Publisher(work, "view",
                          function_plan("alpha:11:1", "alpha", 11)[:3],
                          hold=True)
    term = Terminal("--timeout", "30", publisher.endpoint)
    assert term.read_until("alpha:11:1 FunctionRecord live"), term.output
    assert term.read_until("records 10"), term.output
    assert term.read_until("share", term.key("s")), term.output
    assert term.read_until("PAUSED", term.key(" ")), term.output
    term.key("q")
    assert term.wait() == 0
    publisher.finish()


# ---------------------------------------------------------------- real programs

ZMQ_RECORDER = os.path.join(PIKOS_BUILDDIR, "plugins", "recorders", "zmq",
                            ".libs", "recorder_zmq.so")


def expected_functions(events):
    """The snapshot's function table for oracle.py's events."""
    calls, counts = {}, {}
    for event, function, _, filename in events:
        key = (function, filename)
        counts[key] = counts.get(key, 0) + 1
        calls[key] = calls.get(key, 0) + (event in ("call", "c_call"))
    keys = sorted(counts, key=lambda k: (-calls[k], -counts[k], k))
    width = max([len("function")] + [len(f) for f, _ in keys])
    lines = [f"functions by calls, {len(keys)} of {len(keys)}:",
             f"{'calls':>10}  {'share':>6}  {'function':<{width}}  filename"]
    for function, filename in keys:
        share = 100.0 * counts[(function, filename)] / len(events)
        lines.append(f"{calls[(function, filename)]:>10}  {share:5.1f}%  "
                     f"{function:<{width}}  {filename}")
    return lines


def expected_lines(events):
    """The snapshot's line table for line_oracle.py's events."""
    hits, texts = {}, {}
    for function, line_no, text, filename in events:
        key = (function, filename, line_no)
        hits[key] = hits.get(key, 0) + 1
        texts.setdefault(key, text)
    keys = sorted(hits, key=lambda k: (-hits[k], k))
    where = {k: f"{k[1]}:{k[2]}" for k in keys}
    where_w = max([len("line")] + [len(w) for w in where.values()])
    function_w = max([len("function")] + [len(k[0]) for k in keys])
    lines = [f"lines by hits, {len(keys)} of {len(keys)}:",
             f"{'hits':>10}  {'line':<{where_w}}  {'function':<{function_w}}"
             "  source"]
    for key in keys:
        lines.append(f"{hits[key]:>10}  {where[key]:<{where_w}}  "
                     f"{key[0]:<{function_w}}  {texts[key]}")
    return lines


def oracle_events(work, oracle, script):
    """The rows an oracle writes for script, less those of its own code
    (the exec and setprofile calls around the script)."""
    out = os.path.join(work, f"{script}.oracle.csv")
    oracle_path = os.path.join(HERE, oracle)
    subprocess.run([PIKOS_PYTHON, oracle_path, out, script], cwd=work,
                   check=True, capture_output=True, timeout=TIMEOUT)
    with open(out, newline="", encoding="utf-8") as stream:
        return [row for row in csv.reader(stream) if row[-1] != oracle_path]


def stream_block(pid, schema, count, table):
    head = [f"== stream {socket.gethostname()}:{pid}:1",
            f"host {socket.gethostname()}  pid {pid}  schema {schema}  ended"
            f"  records {count}  sent {count}  dropped 0"]
    return "\n".join(head + table) + "\n"


def interpreter_pid(pikos, timeout=30):
    """The pid of the interpreter a running `pikos` started (its stream's
    pid): the child of the pikos process that runs Python (a libtool
    wrapper may run helpers first)."""
    children = f"/proc/{pikos.pid}/task/{pikos.pid}/children"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(children, encoding="ascii") as stream:
            pids = stream.read().split()
        for pid in pids:
            try:
                if "python" in os.path.basename(os.readlink(f"/proc/{pid}/exe")):
                    return int(pid)
            except OSError:
                pass  # gone already
        time.sleep(0.01)
    raise AssertionError(f"pikos {pikos.pid} started no interpreter")


def test_two_profiled_programs(work):
    """Two programs under recorders/zmq, one function and one line monitor,
    watched at once: their tables equal the oracles'."""
    assert os.path.exists(ZMQ_RECORDER), "recorders/zmq is not built"
    endpoints = [f"tcp://127.0.0.1:{free_port()}" for _ in range(2)]
    recorder = "recorders/zmq:endpoint={},wait_for_ready=true"
    programs = [
        subprocess.Popen([PIKOS_BIN, "--plugin", recorder.format(endpoints[0]),
                          "plain_calls.py"], cwd=work,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE),
        subprocess.Popen([PIKOS_BIN, "--plugin", "monitors/lines",
                          "--plugin", recorder.format(endpoints[1]),
                          "recursion.py"], cwd=work,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)]
    pids = [interpreter_pid(program) for program in programs]
    proc = watch("--once", "--timeout", "30", "--top", "0", *endpoints)
    for program in programs:
        _, err = program.communicate(timeout=TIMEOUT)
        assert program.returncode == 0, err
    assert proc.returncode == 0, proc.stderr

    calls = [(t, f, int(n), name) for t, f, n, name in
             oracle_events(work, "oracle.py", "plain_calls.py")]
    lines = [(f, int(n), text, name) for f, n, text, name in
             oracle_events(work, "line_oracle.py", "recursion.py")]
    blocks = sorted([
        (pids[0], stream_block(pids[0], "FunctionRecord",
                               len(calls), expected_functions(calls))),
        (pids[1], stream_block(pids[1], "LineRecord",
                               len(lines), expected_lines(lines)))])
    assert proc.stdout == (
        "pikos watch: 2 streams, 0 malformed, 0 waiting for a schema\n\n"
        + blocks[0][1] + "\n" + blocks[1][1])


# ---------------------------------------------------------------- timed records

TIME_ROW = re.compile(
    r"^ *(?P<own_pct>\d+\.\d)%  +(?P<total_pct>\d+\.\d)%  +"
    r"(?P<own>\d+\.\d{9})  +(?P<total>\d+\.\d{9})  +(?P<calls>\d+)  "
    r"(?P<function>.*) \((?P<filename>.*?)(?::(?P<line>\d+))?\)$")


def nanoseconds(seconds):
    """'1.000000123' -> 1000000123, exactly."""
    whole, fraction = seconds.split(".")
    return int(whole) * 10**9 + int(fraction)


def time_table(block):
    """The rows of a snapshot's time table: {(function, filename, first
    line): (own ns, total ns, calls)}, and its 'N s in all'."""
    lines = block.splitlines()
    head = [i for i, line in enumerate(lines)
            if line.startswith("functions by own time, ")]
    assert len(head) == 1, block
    in_all = re.search(r"\((\d+\.\d{9}) s in all\):$", lines[head[0]])
    assert lines[head[0] + 1].split() == [
        "%Own", "%Total", "OwnTime", "TotalTime", "calls", "function"]
    rows = {}
    for line in lines[head[0] + 2:]:
        match = TIME_ROW.match(line)
        assert match, line
        key = (match["function"], match["filename"], int(match["line"] or 0))
        assert key not in rows, line
        rows[key] = (nanoseconds(match["own"]), nanoseconds(match["total"]),
                     int(match["calls"]))
    return rows, nanoseconds(in_all[1])


def watch_timed_program(work, script):
    """`pikos watch --once` of script run under monitors/functions:time=true
    and recorders/zmq; returns the snapshot, the interpreter's pid and
    watch_oracle.py's {"calls", "roots"} for the script."""
    assert os.path.exists(ZMQ_RECORDER), "recorders/zmq is not built"
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    program = subprocess.Popen(
        [PIKOS_BIN, "--plugin", "monitors/functions:time=true", "--plugin",
         f"recorders/zmq:endpoint={endpoint},wait_for_ready=true", script],
        cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pid = interpreter_pid(program)
    proc = watch("--once", "--timeout", "30", "--top", "0", endpoint)
    _, err = program.communicate(timeout=TIMEOUT)
    assert program.returncode == 0, err
    assert proc.returncode == 0, proc.stderr
    oracle_out = os.path.join(work, f"{script}.watch_oracle.json")
    subprocess.run([PIKOS_PYTHON, os.path.join(HERE, "watch_oracle.py"),
                    oracle_out, script], cwd=work, check=True,
                   capture_output=True, timeout=TIMEOUT)
    with open(oracle_out, encoding="utf-8") as stream:
        oracle = json.load(stream)
    return proc.stdout, pid, oracle


def assert_times_add_up(rows, in_all, roots):
    """Own times add up to the total of the oracle's outermost calls (and
    to the table's 'in all'); no function's own time exceeds its total."""
    roots_total = sum(rows[tuple(root)][1] for root in roots)
    assert sum(own for own, _, _ in rows.values()) == roots_total == in_all
    for key, (own, total, _) in rows.items():
        assert own <= total, key


def test_timed_program_equals_the_oracle(work):
    """A real program (recursion, mutual recursion, C calls, a callback
    from C, a C call raising, a generator): every function's calls equal
    the setprofile oracle's; the times add up."""
    out, pid, oracle = watch_timed_program(work, "watch_timed.py")
    events = oracle_events(work, "oracle.py", "watch_timed.py")
    host = socket.gethostname()
    head = ("pikos watch: 1 stream, 0 malformed, 0 waiting for a schema\n\n"
            f"== stream {host}:{pid}:1\n"
            f"host {host}  pid {pid}  schema TimedFunctionRecord  ended  "
            f"records {len(events)}  sent {len(events)}  dropped 0\n")
    assert out.startswith(head), out
    rows, in_all = time_table(out)
    assert {key: calls for key, (_, _, calls) in rows.items()} == \
        {(f, name, line): n for f, name, line, n in oracle["calls"]}
    assert len(oracle["roots"]) == 1  # <module>
    assert_times_add_up(rows, in_all, oracle["roots"])
    fib = rows[("fib", os.path.join(work, "watch_timed.py"), 6)]
    assert fib[2] == 67 and fib[0] <= fib[1]


def test_timed_program_with_two_threads(work):
    """A worker thread and the main thread: the calls of the script's
    functions equal the oracle's (which follows threading's threads; the
    import of threading itself differs between two interpreters, so the
    comparison stops at the script's file); the times add up over the
    outermost calls of both threads."""
    out, _, oracle = watch_timed_program(work, "threads_two.py")
    rows, in_all = time_table(out)
    script = os.path.join(work, "threads_two.py")
    assert {key: calls for key, (_, _, calls) in rows.items()
            if key[1] == script} == \
        {(f, name, line): n for f, name, line, n in oracle["calls"]
         if name == script}
    assert len(oracle["roots"]) >= 2  # <module>, and the worker's run
    assert_times_add_up(rows, in_all, oracle["roots"])


def timed_plan(stream):
    """main calls work (C call len inside) on thread 1 and stays open."""
    rows = [[0, "call", "main", 1, "/srv/app.py", 1, 0, 1],
            [1, "call", "work", 3, "/srv/app.py", 3, 1000, 1],
            [2, "c_call", "len", 4, "/srv/app.py", 0, 2000, 1],
            [3, "c_return", "len", 4, "/srv/app.py", 0, 2500, 1],
            [4, "return", "work", 4, "/srv/app.py", 3, 9000, 1]]
    fields = FUNCTION_FIELDS + ["firstLineNo", "time", "thread"]
    types = FUNCTION_TYPES + ["int", "int", "int"]
    return [schema(stream, "alpha", 11, "TimedFunctionRecord", fields, types),
            records(stream, rows)]


def test_view_shows_the_time_table(work):
    publisher = Publisher(work, "timed", timed_plan("alpha:11:1"), hold=True)
    term = Terminal("--timeout", "30", publisher.endpoint)
    assert term.read_until("function (file:line)"), term.output
    assert term.read_until("work (/srv/app.py:3)"), term.output
    assert term.read_until("sort: %Own"), term.output
    # curses redraws only what changed: the footer's sort column
    assert term.read_until("TotalTime  space", term.key("4")), term.output
    assert term.read_until("calls  space", term.key("s")), term.output
    term.key("q")
    assert term.wait() == 0
    publisher.finish()


def test_heap_of_a_program(work):
    """monitors/allocations:interval=N through recorders/zmq: the watcher's
    python heap (current and peak bytes and blocks) is what the same run's
    CSV of HeapRecords says."""
    require_pyzmq()
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    watcher = subprocess.Popen(
        [PIKOS_BIN, "watch", "--bind", "--once", "--timeout", "60", endpoint],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, **TEXT)
    time.sleep(0.5)  # bound before the program connects
    heap_csv = os.path.join(work, "heap.csv")
    proc = subprocess.run(
        [PIKOS_BIN, "--plugin", "monitors/allocations:interval=1000",
         "--plugin", "recorders/zmq:connect=true,endpoint=" + endpoint +
         ",wait_for_ready=true",
         "--plugin", "recorders/csv:filename=" + heap_csv, "heap_steps.py"],
        cwd=work, capture_output=True, timeout=TIMEOUT, **TEXT)
    assert proc.returncode == 0, proc.stderr
    out, err = watcher.communicate(timeout=TIMEOUT)
    assert watcher.returncode == 0, err
    with open(heap_csv, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    live = [int(r["live_bytes"]) for r in rows]
    blocks = [int(r["live_blocks"]) for r in rows]
    assert max(live) > 6_000_000
    assert (f"python heap:\n"
            f"  bytes  current {live[-1]}  peak {max(live)}  ") in out, out
    assert f"  blocks  current {blocks[-1]}  peak {max(blocks)}  " in out
    assert "schema HeapRecord  ended" in out
    assert "schema AllocationRecord  ended" in out
