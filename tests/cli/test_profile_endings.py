"""recorders/profile keeps its profile however the program ends.

The profile is written at finalize, which a program that ends before
monitoring stops never reaches: os._exit, exec, a signal it sends itself
(SIGTERM, SIGKILL), a crash (os.abort, SIGSEGV).  The pikos command then
writes it from the state the program left (docs/design.md, "Salvage").  For each
ending and for pstats and collapsed stacks, the file exists and:
  - the calls that ended before the ending are those of the pure-Python
    sys.setprofile oracle (profile_oracle.py tree) on the same program run
    to its normal end: per function (pstats) and per call path
    (collapsed), threads included;
  - the calls still open (main, <module>, end and the C call that ended
    the program) appear, closed at the program's last event: their
    inclusive time is the last event's time less their call's, read from
    a CSV of the same records (recorders/csv keeps its tail however the
    program ends);
  - pikos ends as python3 did, with its one line, and leaves no state
    directory behind.
A forked child's calls never reach its parent's profile, and a profile
made through the Python API after a change of directory is written where
the program made it.
"""
import csv
import json
import math
import os
import pstats
import re
import resource
import signal
import time

import pytest

from conftest import HERE, PIKOS_BUILDDIR, run_pikos, run_python

SCRIPT = "profile_endings.py"
MONITOR = "monitors/functions:time=true"
FILES = {"pstats": "out.pstats", "collapsed": "out.collapsed"}
ENDINGS = {  # argument -> (exit status or -signal, C call that ended it)
    "os_exit": (5, "_exit"),
    "exec_true": (0, "execv"),
    "SIGTERM": (-signal.SIGTERM, "kill"),
    "SIGKILL": (-signal.SIGKILL, "kill"),
    "abort": (-signal.SIGABRT, "abort"),
    # ctypes calls the C function that crashes through no builtin: the
    # last event is the call of ctypes.string_at, a Python function.
    "segv": (-signal.SIGSEGV, None),
}


def no_core_file():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def pikos_line(status):
    if status < 0:
        name = signal.Signals(-status).name
        return f"pikos: the program was killed by {name}\n"
    return (f"pikos: the program ended with status {status} before "
            "monitoring stopped (os._exit or exec); its records are kept\n")


def state_dirs():
    """The state directories of pikos commands (cli/salvage.c)."""
    return {os.path.join(parent, name)
            for parent in ("/dev/shm", os.environ.get("TMPDIR", "/tmp"),
                           "/tmp") if os.path.isdir(parent)
            for name in os.listdir(parent) if name.startswith("pikos-state-")}


def assert_no_state_dir_left(before):
    """No state directory is left but those there before: one another
    pikos command (a test run beside this one) made meanwhile goes away
    when that command ends, ours would stay."""
    deadline = time.monotonic() + 10
    while not state_dirs() <= before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert state_dirs() <= before


def profile(work, how, fmt, forks=False):
    """Runs the program under pikos (profile in `fmt` and a CSV of the same
    records) and under python3; checks the ending; returns the CSV rows."""
    args = ["--plugin", MONITOR,
            "--plugin", f"recorders/profile:format={fmt},"
                        f"filename={FILES[fmt]}",
            "--plugin", "recorders/csv:filename=out.csv"]
    program = [SCRIPT, how] + (["fork"] if forks else [])
    expected = run_python(program, work, preexec_fn=no_core_file)
    before = state_dirs()
    got = run_pikos([*args, *program], work, preexec_fn=no_core_file)
    assert_no_state_dir_left(before)  # the command removed its own
    status = ENDINGS[how][0] if how in ENDINGS else 0
    assert expected.returncode == status, expected.stderr
    assert (got.returncode, got.stdout) == (status, expected.stdout)
    line = pikos_line(status) if how in ENDINGS else ""
    assert got.stderr == expected.stderr + line
    with open(os.path.join(work, "out.csv"), newline="",
              encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def oracle_paths(work, app):
    """{thread's first frame: {path: calls}} of the oracle's normal run,
    paths from the first frame of the program's own (test_profile.py's
    app_paths); a frame is ("py", file, line, name) or ("c", name)."""
    proc = run_python([os.path.join(HERE, "profile_oracle.py"), "tree",
                       "tree.json", SCRIPT, "normally"], work)
    assert proc.returncode == 0, proc.stderr
    with open(os.path.join(work, "tree.json"), encoding="utf-8") as stream:
        threads = json.load(stream)
    out = {}
    for thread in threads:
        paths = app_paths({tuple(tuple(f) for f in p): n for p, n in thread},
                          app)
        if paths:
            out[min(paths)[0]] = paths
    return out


def app_paths(counts, app):
    def mine(frame):
        return frame[0] == "py" and frame[1] == app

    out = {}
    for path, n in counts.items():
        start = next((i for i, f in enumerate(path) if mine(f)), None)
        if start is None:
            continue
        sub = path[start:]
        if all(mine(f) for f in sub[:-1]) and (sub[-1][0] == "c"
                                               or mine(sub[-1])):
            out[sub] = out.get(sub, 0) + n
    return out


def through_end(path):
    return any(f[0] == "py" and f[3] == "end" for f in path)


def start_ns(rows, app, function):
    (row,) = [r for r in rows if r["type"] == "call"
              and r["function"] == function and r["filename"] == app]
    return int(row["time"])


def open_times(rows, app):
    """The inclusive time each call still open at the ending must have: the
    last event's time less its call's."""
    last = max(int(r["time"]) for r in rows)
    return {f: last - start_ns(rows, app, f)
            for f in ("<module>", "main", "end")}


# ------------------------------------------------------------ pstats

def pstats_key(frame):
    if frame[0] == "c":
        return ("~", 0, f"<built-in method {frame[1]}>")
    return (frame[1], frame[2], frame[3])


def oracle_calls(threads):
    """Calls per function of the program's own, and per (C function,
    calling function of the program) - end() excepted: its C calls are the
    ending's - in the oracle's paths."""
    calls = {}
    for paths in threads.values():
        for path, n in paths.items():
            if path[-1][0] == "c" and (len(path) < 2 or path[-2][3] == "end"):
                continue
            key = pstats_key(path[-1])
            if path[-1][0] == "c":
                key = (key, pstats_key(path[-2]))
            calls[key] = calls.get(key, 0) + n
    return calls


def pstats_calls(stats, app, end_key):
    """The same from a pstats file: a function's calls, a C function's
    calls from each caller."""
    calls = {}
    for key, (_, nc, _, _, callers) in stats.items():
        if key[0] == app:
            calls[key] = nc
        elif key[0] == "~":
            for caller, (edge_nc, _, _, _) in callers.items():
                if caller[0] == app and caller != end_key:
                    calls[(key, caller)] = edge_nc
    return calls


def check_pstats(work, how, rows):
    app = os.path.join(os.path.realpath(work), SCRIPT)
    stats = pstats.Stats(os.path.join(work, FILES["pstats"])).stats
    want = oracle_calls(oracle_paths(work, app))
    end_key = (app, want_line(want, "end"), "end")
    assert pstats_calls(stats, app, end_key) == want
    assert {k[2] for k in want if k[0] == app} == \
        {"<module>", "main", "work", "leaf", "fact", "end"}
    # The C call that ended the program, still open: counted, from end().
    if ENDINGS[how][1] is not None:
        ending = pstats_key(("c", ENDINGS[how][1]))
        assert stats[ending][1] == 1 and set(stats[ending][4]) == {end_key}
    for function, ns in open_times(rows, app).items():
        ct = stats[(app, want_line(want, function), function)][3]
        assert math.isclose(ct, ns / 1e9, rel_tol=1e-9, abs_tol=1e-12), \
            function


def want_line(want, function):
    (line,) = [k[1] for k in want if len(k) == 3 and k[2] == function]
    return line


@pytest.mark.parametrize("how", ENDINGS)
def test_pstats_of_a_program_that_ended_early(work, how):
    rows = profile(work, how, "pstats")
    check_pstats(work, how, rows)


# ------------------------------------------------------------ collapsed

def read_collapsed(path):
    """{(thread, frames): exclusive ns}, every line whole."""
    out = {}
    with open(path, encoding="utf-8") as stream:
        text = stream.read()
    assert text.endswith("\n")
    for line in text.splitlines():
        stack, ns = line.rsplit(" ", 1)
        thread, *frames = stack.split(";")
        assert re.fullmatch(r"thread-\d+", thread), line
        out[(int(thread[7:]), tuple(frames))] = int(ns)
    return out


def frame_text(frame):
    if frame[0] == "c":
        return f"<built-in method {frame[1]}>"
    return f"{frame[3]} ({frame[1]}:{frame[2]})"


def collapsed_app_paths(collapsed, app):
    """{thread's first frame: [paths]}: the paths from each thread's first
    frame of the program's own, as app_paths keeps them."""
    def mine(text):
        m = re.fullmatch(r".* \((.*):\d+\)", text)
        return m is not None and m.group(1) == app

    out = {}
    for (_, frames) in collapsed:
        start = next((i for i, f in enumerate(frames) if mine(f)), None)
        if start is None:
            continue
        sub = frames[start:]
        if all(mine(f) for f in sub[:-1]) and (
                sub[-1].startswith("<built-in method ") or mine(sub[-1])):
            out.setdefault(sub[0], []).append(sub)
    return out


def check_collapsed(work, rows):
    app = os.path.join(os.path.realpath(work), SCRIPT)
    collapsed = read_collapsed(os.path.join(work, FILES["collapsed"]))
    # Each thread's paths that ended before the ending (end's C calls are
    # the ending's): the oracle's, each with time.  A call still open at
    # the last event (the ending's C call) has no time of its own there.
    got = {first: sorted(p for p in paths
                         if not any(f.startswith("end (") for f in p[:-1]))
           for first, paths in collapsed_app_paths(collapsed, app).items()}
    want = {frame_text(first): sorted(tuple(frame_text(f) for f in p)
                                      for p in paths
                                      if not through_end(p[:-1]))
            for first, paths in oracle_paths(work, app).items()}
    assert got == want
    assert len(got) == 2  # the main thread and the worker
    # The calls still open, closed at the last event: their inclusive
    # times, summed over the paths through them.
    main_thread = int(rows[0]["thread"])
    for function, ns in open_times(rows, app).items():
        inclusive = sum(t for (thread, frames), t in collapsed.items()
                        if thread == main_thread and
                        any(f.startswith(f"{function} (") for f in frames))
        assert inclusive == ns, function


@pytest.mark.parametrize("how", ENDINGS)
def test_collapsed_stacks_of_a_program_that_ended_early(work, how):
    rows = profile(work, how, "collapsed")
    check_collapsed(work, rows)


# ------------------------------------------------------------ fork

@pytest.mark.parametrize("how", ["normally", "os_exit"])
def test_a_forked_child_leaves_its_parents_profile_alone(work, how):
    """The child does more work and ends with os._exit; the parent's
    profile holds the parent's calls only (the oracle forks alike)."""
    rows = profile(work, how, "pstats", forks=True)
    app = os.path.join(os.path.realpath(work), SCRIPT)
    stats = pstats.Stats(os.path.join(work, FILES["pstats"])).stats
    proc = run_python([os.path.join(HERE, "profile_oracle.py"), "tree",
                       "tree.json", SCRIPT, "normally", "fork"], work)
    assert proc.returncode == 0, proc.stderr
    with open(os.path.join(work, "tree.json"), encoding="utf-8") as stream:
        threads = json.load(stream)
    want = {}
    for thread in threads:
        for path, n in app_paths({tuple(tuple(f) for f in p): n
                                  for p, n in thread}, app).items():
            if path[-1][0] == "py":
                key = pstats_key(path[-1])
                want[key] = want.get(key, 0) + n
    got = {k: v[1] for k, v in stats.items() if k[0] == app}
    assert got == want
    # The parent's calls are all there, whether it ended normally or not.
    assert {k[2] for k in got} == \
        {"<module>", "main", "work", "leaf", "fact", "fork", "end"}
    assert len({r["thread"] for r in rows}) == 2


# ------------------------------------------------------------ Python API

API_PROGRAM = '''\
import os
from pikos import _pikos


def f():
    return 1


os.makedirs("sub")
os.chdir("sub")
pipe = _pikos.Pipeline()
pipe.add("monitors/functions", {"time": True})
pipe.add("recorders/profile", {"filename": "api.collapsed"})
pipe.start()
for _ in range(3):
    f()
os._exit(4)
'''


def test_a_profile_made_through_the_python_api_elsewhere(work):
    """A program that changed directory, then profiles through the Python
    API and ends with os._exit: its relative file is where it made it."""
    with open(os.path.join(work, "api.py"), "w", encoding="utf-8") as stream:
        stream.write(API_PROGRAM)
    env = dict(os.environ, PYTHONPATH=os.path.join(PIKOS_BUILDDIR, "python",
                                                   "stage"))
    got = run_pikos(["--plugin", "recorders/csv:filename=out.csv", "api.py"],
                    work, env=env)
    assert (got.returncode, got.stdout, got.stderr) == (4, "", pikos_line(4))
    assert not os.path.exists(os.path.join(work, "api.collapsed"))
    collapsed = read_collapsed(os.path.join(work, "sub", "api.collapsed"))
    app = os.path.join(os.path.realpath(work), "api.py")
    assert any(frames[-1] == f"f ({app}:5)" for _, frames in collapsed)
