"""recorders/chrome_trace: `pikos --plugin monitors/functions:time=true
--plugin recorders/chrome_trace:filename=... app.py` writes Chrome's Trace
Event Format, read back here with Python's json (and gzip) modules.

Per thread, the slices rebuilt from the B/E events are exactly the call
tree of a pure-Python sys.setprofile + threading.setprofile oracle
(timed_oracle.py) on the same program - nested calls, C calls, one that
raises, recursion, a second thread - and every child lies inside its
parent.  A program killed mid-run (os.abort, SIGKILL) or gone by
os._exit still leaves valid JSON (and valid gzip) holding the events
before the end.  Untimed
records are refused in one line.
"""
import csv
import gzip
import json
import os
import resource
import signal

import pytest

from conftest import HERE, assert_one_error_line, run_pikos, run_python

APP = "chrome_calls.py"
KILLED = "chrome_killed.py"


def trace_options(path, monitor="monitors/functions:time=true"):
    return ["--plugin", monitor,
            "--plugin", "recorders/chrome_trace:filename=" + path]


def load(path):
    """The trace as Python's json reads it (through gzip for .gz)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as stream:
        return json.load(stream)


def printed_ids(stdout):
    """{"main": id, "worker": id} as the program printed them."""
    return {name: int(tid) for name, tid in
            (line.split() for line in stdout.splitlines())}


# ------------------------------------------------------------ the trees

class Node:
    def __init__(self, key, begin=None):
        self.key = key  # (name, category, line)
        self.begin = begin
        self.end = None
        self.children = []

    def shape(self):
        return (self.key, [child.shape() for child in self.children])


def slices_per_thread(events):
    """{tid: root Node} from B/E events, each thread's in file order."""
    roots, stacks = {}, {}
    for event in events:
        if event["ph"] not in "BE":
            continue
        tid = event["tid"]
        root = roots.setdefault(tid, Node(None))
        stack = stacks.setdefault(tid, [root])
        key = (event["name"], event["cat"], event["args"]["line"],
               event["args"]["file"])
        if event["ph"] == "B":
            node = Node(key, event["ts"])
            stack[-1].children.append(node)
            stack.append(node)
        else:
            node = stack.pop()
            assert node.key == key, (node.key, key)  # E repeats its B
            node.end = event["ts"]
    for tid, stack in stacks.items():
        assert len(stack) == 1, f"thread {tid}: slices left open"
    return roots


def only_file(node, filename):
    """The tree of the slices of `filename`: each one's parent is its
    nearest ancestor of that file."""
    kept = Node(node.key[:3] if node.key else None)
    for child in node.children:
        sub = only_file(child, filename)
        if child.key[3] == filename:
            kept.children.append(sub)
        else:
            kept.children.extend(sub.children)
    return kept


def oracle_trees(events):
    """{tid: root Node} from the oracle's (thread, type, function, lineNo,
    firstLineNo) events, its own stack rules: a call or c_call opens, a
    return closes the innermost Python call (and C calls above it), a
    c_return or c_exception the innermost C call."""
    roots, stacks = {}, {}
    for tid, kind, function, line, first in events:
        root = roots.setdefault(tid, Node(None))
        stack = stacks.setdefault(tid, [root])
        if kind in ("call", "c_call"):
            c = kind == "c_call"
            node = Node((function, "c" if c else "python",
                         line if c else first))
            stack[-1].children.append(node)
            stack.append(node)
        elif kind == "return":
            while len(stack) > 1 and stack[-1].key[1] == "c":
                stack.pop()
            if len(stack) > 1:
                stack.pop()
        elif len(stack) > 1 and stack[-1].key[1] == "c":
            stack.pop()
    return roots


def assert_children_inside_parents(node):
    for child in node.children:
        assert child.begin <= child.end
        if node.key is not None:
            assert node.begin <= child.begin and child.end <= node.end, \
                (node.key, child.key)
        assert_children_inside_parents(child)


def run_oracle(work, script):
    out = os.path.join(work, "oracle.csv")
    proc = run_python([os.path.join(HERE, "timed_oracle.py"), out, script],
                      work)
    assert proc.returncode == 0, proc.stderr
    with open(out, newline="", encoding="utf-8") as stream:
        events = [(int(t), e, f, int(n), int(first))
                  for t, e, f, n, first in csv.reader(stream)]
    return events, proc


# ------------------------------------------------------------ slices

@pytest.mark.parametrize("name", ["trace.json", "trace.json.gz"])
def test_slices_per_thread_are_the_oracles_call_tree(work, name):
    script = os.path.join(work, APP)
    path = os.path.join(work, name)
    proc = run_pikos([*trace_options(path), script], work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    if name.endswith(".gz"):
        with open(path, "rb") as stream:
            assert stream.read(2) == b"\x1f\x8b"
    trace = load(path)
    assert trace["displayTimeUnit"] == "ns"
    events = trace["traceEvents"]

    expected, oracle = run_oracle(work, script)
    ours, theirs = printed_ids(proc.stdout), printed_ids(oracle.stdout)
    assert set(ours) == {"main", "worker"}
    mine = slices_per_thread(events)
    reference = oracle_trees(expected)
    for thread in ("main", "worker"):
        got = only_file(mine[ours[thread]], script).shape()
        want = reference[theirs[thread]].shape()
        assert got == want, thread
    # What the oracle's tree holds, spelled out once.
    worker = only_file(mine[ours["worker"]], script)
    assert [c.key for c in worker.children] == [("in_worker", "python", 25)]
    assert [c.key[0] for c in worker.children[0].children] == \
        ["get_native_id", "print", "nested", "fact"]
    fact = worker.children[0].children[3]
    depth = 0
    while fact.children:
        (fact,) = fact.children
        depth += 1
    assert depth == 3  # fact(4) -> fact(3) -> fact(2) -> fact(1)
    main_tree = only_file(mine[ours["main"]], script)
    main_calls = main_tree.children[0].children[-1].children
    fails = [c for c in main_calls if c.key[0] == "fails"][0]
    assert [c.key for c in fails.children] == [("divmod", "c", 20)]

    for tid, root in mine.items():
        assert_children_inside_parents(root)


def test_process_and_thread_names_pids_and_times(work):
    path = os.path.join(work, "trace.json")
    proc = run_pikos([*trace_options(path), APP], work)
    assert proc.returncode == 0, proc.stderr
    events = load(path)["traceEvents"]
    ids = printed_ids(proc.stdout)
    pids = {e["pid"] for e in events}
    assert pids == {ids["main"]}  # the main thread's id is the pid
    names = {e["tid"]: e["args"]["name"] for e in events
             if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names == {ids["main"]: "main thread", ids["worker"]: "thread"}
    process = [e for e in events if e["name"] == "process_name"]
    assert len(process) == 1 and process[0] is events[0]
    assert process[0]["args"]["name"].endswith(" " + APP)
    last = {}
    for event in events:
        if event["ph"] in "BE":
            assert event["ts"] >= last.get(event["tid"], 0), event
            last[event["tid"]] = event["ts"]


def test_memory_counters_and_line_instants(work):
    script = os.path.join(work, APP)
    path = os.path.join(work, "trace.json")
    proc = run_pikos(["--plugin", "monitors/function_memory:time=true",
                      "--plugin", "monitors/lines:time=true",
                      "--plugin", "recorders/chrome_trace:filename=" + path,
                      script], work)
    assert proc.returncode == 0, proc.stderr
    events = load(path)["traceEvents"]
    counters = [e for e in events if e["ph"] == "C"]
    assert counters and all(e["name"] == "memory" for e in counters)
    assert all(e["args"]["RSS"] > 0 and e["args"]["VMS"] >= e["args"]["RSS"]
               for e in counters)
    pairs = [(e["args"]["RSS"], e["args"]["VMS"]) for e in counters]
    assert all(a != b for a, b in zip(pairs, pairs[1:]))  # only changes
    with open(script, encoding="utf-8") as stream:
        source = stream.read().splitlines()
    lines = [e for e in events if e["ph"] == "i"]
    assert lines
    for event in lines:
        args = event["args"]
        assert event["s"] == "t" and event["name"] == f"line {args['line']}"
        if args["file"] == script:
            assert source[args["line"] - 1].rstrip() == args["source"]
    assert {e["args"]["function"] for e in lines
            if e["args"]["file"] == script} >= {"leaf", "fact", "in_worker"}


def test_any_names_and_sources_make_valid_json(work):
    """A function named in UTF-8, a directory name with a byte that is not
    UTF-8 and a control character, a source line of quotes, backslashes
    and a tab: the trace still parses, and says them back."""
    directory = os.path.join(os.fsencode(work), b"dir\xff\x01")
    os.mkdir(directory)
    script = os.path.join(directory, b"app.py")
    with open(script, "w", encoding="utf-8") as stream:
        stream.write('def caf\u00e9(x):\n    return "tab\\t" + x\n\n\n'
                     'caf\u00e9(\'"q"\\\\\')\n')
    path = os.path.join(work, "trace.json")
    proc = run_pikos([*trace_options(path), "--plugin",
                      "monitors/lines:time=true", os.fsdecode(script)], work)
    assert proc.returncode == 0, proc.stderr
    events = load(path)["traceEvents"]
    cafe = [e for e in events if e["ph"] == "B" and e["name"] == "caf\u00e9"]
    assert len(cafe) == 1
    assert cafe[0]["args"]["file"].endswith("\x01/app.py")
    sources = {e["args"]["line"]: e["args"]["source"] for e in events
               if e["ph"] == "i"}
    assert sources == {1: "def caf\u00e9(x):", 2: '    return "tab\\t" + x',
                       5: 'caf\u00e9(\'"q"\\\\\')'}


# ------------------------------------------------------------ endings

def no_core_file():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


N = 20000


ENDINGS = {"abort": (-signal.SIGABRT, "was killed by SIGABRT", "abort"),
           "sigkill": (-signal.SIGKILL, "was killed by SIGKILL", "kill"),
           "os_exit": (3, "ended with status 3 before monitoring stopped",
                       "_exit")}


@pytest.mark.parametrize("name", ["trace.json", "trace.json.gz"])
@pytest.mark.parametrize("how", list(ENDINGS))
def test_a_killed_program_leaves_valid_json(work, name, how):
    status, said, last_call = ENDINGS[how]
    path = os.path.join(work, name)
    proc = run_pikos([*trace_options(path), KILLED, how], work,
                     preexec_fn=no_core_file)
    assert proc.returncode == status, proc.stderr
    assert f"pikos: the program {said}" in proc.stderr
    events = load(path)["traceEvents"]  # valid JSON: it parses
    slices = [e for e in events if e["ph"] in "BE"]
    f_begins = sum(1 for e in slices if e["ph"] == "B" and e["name"] == "f")
    f_ends = sum(1 for e in slices if e["ph"] == "E" and e["name"] == "f")
    if name.endswith(".gz"):
        # At most the block in the making (gzip_block, 64 KiB of JSON:
        # each call of f takes more than 200 bytes) is lost.
        assert N - 65536 // 200 <= f_ends <= N
        assert f_begins in (f_ends, f_ends + 1)
    else:
        # Every event handed to the output before the end is there, up
        # to the begins of g() and of the C call that ended the program.
        assert f_begins == f_ends == N
        assert open_at_the_end(slices) == ["<module>", "g", last_call]
    open_at_the_end(slices)  # whatever is there nests


def open_at_the_end(slices):
    """The names of the slices still open after the last event; checks
    that every E ends the innermost open B."""
    stack = []
    for event in slices:
        if event["ph"] == "B":
            stack.append(event["name"])
        else:
            assert stack.pop() == event["name"]
    return stack


def test_a_normal_end_closes_every_slice(work):
    path = os.path.join(work, "trace.json")
    proc = run_pikos([*trace_options(path), KILLED, "normally"], work)
    assert proc.returncode == 0, proc.stderr
    slices = [e for e in load(path)["traceEvents"] if e["ph"] in "BE"]
    assert sum(e["ph"] == "B" for e in slices) == \
        sum(e["ph"] == "E" for e in slices)
    with open(path, "rb") as stream:
        assert stream.read().endswith(b"\n]}\n")


# ------------------------------------------------------------ errors

def test_untimed_records_are_refused_in_one_line(work):
    path = os.path.join(work, "trace.json")
    proc = run_pikos(trace_options(path, "monitors/functions") + [APP], work)
    assert_one_error_line(proc)
    assert "takes timed records" in proc.stderr
    assert "time=true" in proc.stderr
    assert proc.stdout == ""  # the program never ran


def test_a_bad_option_is_refused_in_one_line(work):
    proc = run_pikos(["--plugin", "monitors/functions:time=true",
                      "--plugin", "recorders/chrome_trace:compress=zip",
                      APP], work)
    assert_one_error_line(proc)
    assert "'compress'" in proc.stderr
