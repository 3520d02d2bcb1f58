"""threads="all" without importing `threading`: under plain `python3
app.py` threading is not imported when the program starts, and pikos must
not import it either.  The program's own `import threading` runs (and is
recorded) as python3 runs it, and threads it starts later are recorded
from their first event all the same (core/threads.c).

Each case runs a script in a fresh interpreter, as a program would be
run, which prints what it saw as JSON."""
import json
import subprocess
import sys
import textwrap

import pytest

from conftest import TIMEOUT

# The script: `monitor_class` watches every thread; `import threading`
# happens where IMPORT_BEFORE or IMPORT_INSIDE says; a thread runs
# worker().  The records are printed with what the script saw.
SCRIPT = """\
import json
import sys

from pikos.monitors.api import {monitor_class}
from pikos.recorders.api import ListRecorder

seen = {{"at_start": "threading" in sys.modules}}
{import_before}

def helper(x):
    return x * 2


def worker():
    return helper(21)


recorder = ListRecorder()
with {monitor_class}(recorder, threads="all"):
    seen["after_monitor_started"] = "threading" in sys.modules
    import threading
    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
seen["profile_hook_after_stop"] = repr(threading.getprofile())
seen["trace_hook_after_stop"] = repr(threading.gettrace())
seen["threading_file"] = threading.__file__
seen["script"] = __file__
seen["records"] = [list(record) for record in recorder.records]
seen["fields"] = list(recorder.records[0]._fields)
print(json.dumps(seen))
"""

# What a pure-Python profiler sees of `import threading` in a fresh
# interpreter: the profile events of threading.py's own code.
ORACLE = """\
import json
import sys

events = []


def profile(frame, event, arg):
    name = arg.__name__ if event.startswith("c_") else frame.f_code.co_name
    events.append((event, name, frame.f_lineno, frame.f_code.co_filename))


sys.setprofile(profile)
import threading
sys.setprofile(None)
print(json.dumps({"file": threading.__file__,
                  "events": [e for e in events
                             if e[3] == threading.__file__]}))
"""


def run_script(tmp_path, text, name="app.py"):
    """Runs `text` as the program `name` in a new interpreter (with the
    staged package, as every test has it); returns its JSON output."""
    path = tmp_path / name
    path.write_text(text)
    done = subprocess.run([sys.executable, str(path)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_monitored(tmp_path, monitor_class, imported_before):
    text = SCRIPT.format(
        monitor_class=monitor_class,
        import_before="import threading" if imported_before else "")
    seen = run_script(tmp_path, text)
    seen["rows"] = [dict(zip(seen["fields"], row)) for row in seen["records"]]
    assert not seen["at_start"], "the interpreter imported threading"
    return seen


def of_functions(rows, script, names):
    """(type, function, lineNo) of the function records of `names` in the
    script."""
    return [(row["type"], row["function"], row["lineNo"]) for row in rows
            if row["filename"] == script and row["function"] in names]


# The profile events of worker() run in its thread (in SCRIPT, helper is
# defined on line 10 and worker on line 14).
WORKER_EVENTS = [("call", "worker", 14), ("call", "helper", 10),
                 ("return", "helper", 11), ("return", "worker", 15)]


@pytest.mark.parametrize("imported_before", [False, True],
                         ids=["imported-by-program", "imported-before"])
def test_function_monitor_records_threads_started_later(tmp_path,
                                                        imported_before):
    seen = run_monitored(tmp_path, "FunctionMonitor", imported_before)

    assert seen["after_monitor_started"] == imported_before
    assert of_functions(seen["rows"], seen["script"],
                        {"worker", "helper"}) == WORKER_EVENTS
    assert seen["profile_hook_after_stop"] == "None"
    assert seen["trace_hook_after_stop"] == "None"


def test_line_monitor_records_threads_started_later(tmp_path):
    seen = run_monitored(tmp_path, "LineMonitor", False)

    assert not seen["after_monitor_started"]
    lines = [(row["function"], row["lineNo"]) for row in seen["rows"]
             if row["filename"] == seen["script"]
             and row["function"] in ("worker", "helper")]
    assert lines == [("worker", 15), ("helper", 11)]
    assert seen["profile_hook_after_stop"] == "None"
    assert seen["trace_hook_after_stop"] == "None"


def module_import(rows, filename):
    """The function records of threading.py's own code from the call of
    its <module> to that frame's return: the import of threading."""
    kept = [(row["type"], row["function"], row["lineNo"]) for row in rows
            if row["filename"] == filename]
    start = kept.index(("call", "<module>", kept[0][2])) if kept else 0
    depth = 0
    for end, (kind, _, _) in enumerate(kept[start:], start):
        depth += {"call": 1, "return": -1}.get(kind, 0)
        if depth == 0:
            return kept[start:end + 1]
    return kept[start:]


def test_the_program_import_of_threading_is_recorded(tmp_path):
    """The import of threading is the program's, recorded as a
    pure-Python profiler sees it in a fresh interpreter."""
    seen = run_monitored(tmp_path, "FunctionMonitor", False)
    oracle = run_script(tmp_path, ORACLE, name="oracle.py")

    calls = [row for row in seen["rows"] if row["type"] == "call"
             and row["function"] == "<module>"
             and row["filename"].endswith("threading.py")]
    assert len(calls) == 1
    assert seen["threading_file"] == oracle["file"]
    expected = [tuple(event[:3]) for event in oracle["events"]]
    assert expected and expected[0][:2] == ("call", "<module>")
    assert module_import(seen["rows"], seen["threading_file"]) == expected


def test_stopped_before_the_import_leaves_threading_alone(tmp_path):
    """A monitor stopped before the program imports threading leaves no
    pending hook: threading keeps its own (none) and the thread is not
    recorded."""
    text = textwrap.dedent("""\
        import json
        import sys

        from pikos.monitors.api import FunctionMonitor
        from pikos.recorders.api import ListRecorder


        def worker():
            return 42


        recorder = ListRecorder()
        with FunctionMonitor(recorder, threads="all"):
            pass
        import threading
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        print(json.dumps({
            "hook": repr(threading.getprofile()),
            "worker": [r.function for r in recorder.records
                       if r.function == "worker"]}))
        """)
    seen = run_script(tmp_path, text)
    assert seen == {"hook": "None", "worker": []}
