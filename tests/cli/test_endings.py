"""However the program ends, pikos ends as python3 would have, keeps every
record the program made before it ended, and says how in one line when
the ending was not normal.

The program (scripts/endings_calls.py, endings_wait.py) calls f() N times
and then ends: normally, by sys.exit, by an exception, by os._exit, by
exec, by a signal it sends itself or that comes from outside, or by a
fatal signal in native code.  The records in the CSV then parse to their
last row, hold exactly N calls and N returns of f, and up to the last of
them are those of the pure-Python oracle (oracle.py) on the same code.
"""
import csv
import os
import resource
import signal
import subprocess
import time

import pytest

from conftest import (FUNCTION_FIELDS, PIKOS_BIN, PIKOS_PYTHON, TEXT,
                      fixture_dir,
                      TIMEOUT, assert_indexes_increase, events_of, read_csv,
                      run_oracle, run_pikos, run_python)

N = 10000
CALLS = "endings_calls.py"
WAIT = "endings_wait.py"


def no_core_file():
    """In the child, before exec: a fatal signal leaves no core file."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def csv_options(work):
    return ["--plugin", "recorders/csv", "-o", os.path.join(work, "out.csv")]


def killed_by(signum):
    return f"pikos: the program was killed by {signal.Signals(signum).name}\n"


def ended_early(status):
    return (f"pikos: the program ended with status {status} before "
            "monitoring stopped (os._exit or exec); its records are kept\n")


def assert_parses_to_its_last_row(path):
    """Every row of the CSV is whole, the last one too; returns the rows."""
    with open(path, "rb") as stream:
        raw = stream.read()
    assert raw.endswith(b"\n"), raw[-200:]
    with open(path, newline="", encoding="utf-8") as stream:
        table = list(csv.reader(stream))
    assert table[0] == FUNCTION_FIELDS
    for row in table[1:]:
        assert len(row) == len(FUNCTION_FIELDS), row
        assert row[0].isdigit() and row[3].lstrip("-").isdigit(), row
        assert row[1] in ("call", "return", "c_call", "c_return",
                          "c_exception"), row
        assert row[4].startswith("<") or os.path.isfile(row[4]), row
    rows = read_csv(path)
    assert len(rows) == len(table) - 1
    assert_indexes_increase(rows)
    return rows


def until_last_return_of_f(events):
    last = max(i for i, e in enumerate(events) if e[:2] == ("return", "f"))
    return events[:last + 1]


def assert_records_kept(work, script):
    """Exactly N calls and N returns of f, and the records up to the last
    of them are the oracle's (which ran the same code to its normal end)."""
    rows = assert_parses_to_its_last_row(os.path.join(work, "out.csv"))
    path = os.path.join(work, script)
    kinds = [(r["type"], r["function"]) for r in rows if r["filename"] == path]
    assert kinds.count(("call", "f")) == N
    assert kinds.count(("return", "f")) == N
    # The oracle's run of endings_calls.py ending normally: the same calls.
    expected, oracle = run_oracle(os.path.join(work, CALLS), work,
                                  ["normally"])
    assert oracle.returncode == 0, oracle.stderr
    oracle_path = os.path.join(work, CALLS)
    want = until_last_return_of_f([e for e in expected
                                   if e[3] == oracle_path])
    got = until_last_return_of_f(events_of(rows, path))
    if script == CALLS:
        assert got == want
    else:  # endings_wait.py: the same loop, compared without line numbers
        assert [e[:2] for e in got] == [e[:2] for e in want]
    return rows


# ------------------------------------------------------------ 1. normal

@pytest.mark.parametrize("how, status", [
    ("normally", 0), ("exit", 3), ("raise", 1),
])
def test_normal_endings_are_pythons_with_no_pikos_line(work, how, status):
    expected = run_python([CALLS, how], work)
    got = run_pikos([*csv_options(work), CALLS, how], work)

    assert (got.returncode, got.stdout, got.stderr) == \
        (expected.returncode, expected.stdout, expected.stderr)
    assert got.returncode == status
    assert "pikos:" not in got.stderr
    rows = assert_parses_to_its_last_row(os.path.join(work, "out.csv"))
    script = os.path.join(work, CALLS)
    oracle, _ = run_oracle(script, work, [how])
    assert events_of(rows, script) == [e for e in oracle if e[3] == script]
    assert [rows[-1]["type"], rows[-1]["function"]] == \
        ["return", "<module>"]
    assert_records_kept(work, CALLS)


# ------------------------------------------------------------ 2., 3. early

@pytest.mark.parametrize("how, status, stdout", [
    ("os_exit", 5, ""),
    ("exec_true", 0, ""),
    ("exec_python", 7, "exec\n"),
])
def test_os_exit_and_exec_keep_the_records(work, how, status, stdout):
    expected = run_python([CALLS, how], work)
    got = run_pikos([*csv_options(work), CALLS, how], work)

    assert expected.returncode == status, expected.stderr
    assert (got.returncode, got.stdout) == (status, expected.stdout)
    assert got.stdout == stdout
    assert got.stderr == expected.stderr + ended_early(status)
    rows = assert_records_kept(work, CALLS)
    last = (rows[-1]["type"], rows[-1]["function"])
    assert last == ("c_call", "_exit" if how == "os_exit" else "execv")


# ------------------------------------------------------------ 4. signals

SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT]


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_signal_the_program_sends_itself(work, signum):
    expected = run_python([CALLS, signum.name], work,
                          preexec_fn=no_core_file)
    got = run_pikos([*csv_options(work), CALLS, signum.name], work,
                    preexec_fn=no_core_file)

    assert expected.returncode == -signum
    assert got.returncode == -signum
    assert got.stdout == expected.stdout
    assert got.stderr == expected.stderr + killed_by(signum)
    if signum == signal.SIGINT:
        assert expected.stderr.startswith("Traceback (most recent call")
        assert expected.stderr.endswith("\nKeyboardInterrupt\n")
    else:
        assert expected.stderr == ""
    rows = assert_records_kept(work, CALLS)
    if signum == signal.SIGINT:  # the exception unwound the program
        assert [rows[-1]["type"], rows[-1]["function"]] == \
            ["return", "<module>"]
    else:
        assert [rows[-1]["type"], rows[-1]["function"]] == \
            ["c_call", "kill"]


def start_waiting(command, work):
    """Starts endings_wait.py under `command`; returns (process, pid the
    script printed) once the script is ready."""
    proc = subprocess.Popen([*command, WAIT], cwd=work,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=no_core_file, **TEXT)
    line = proc.stdout.readline()
    if not line.startswith("ready "):
        proc.kill()
        out, err = proc.communicate(timeout=TIMEOUT)
        pytest.fail(f"no 'ready' line: {line!r}{out!r} {err!r}")
    pid = int(line.split()[1])
    wait_until_asleep(pid)
    return proc, pid


def wait_until_asleep(pid):
    """Until the script is in its time.sleep (so that a KeyboardInterrupt
    comes from the same line under python3 and under pikos)."""
    for _ in range(TIMEOUT * 100):
        with open(f"/proc/{pid}/stat", encoding="utf-8") as stream:
            state = stream.read().rsplit(")", 1)[1].split()[0]
        if state == "S":
            return
        time.sleep(0.01)
    pytest.fail(f"process {pid} never slept")


def signal_when_ready(command, work, signum):
    proc, _ = start_waiting(command, work)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=TIMEOUT)
    return proc.returncode, out, err


@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: s.name)
def test_signal_sent_to_pikos_goes_to_the_program(work, signum):
    expected = signal_when_ready([PIKOS_PYTHON], work, signum)
    status, out, err = signal_when_ready([PIKOS_BIN, *csv_options(work)],
                                         work, signum)

    assert expected[0] == -signum
    assert (status, out) == (-signum, expected[1])
    assert err == expected[2] + killed_by(signum)
    if signum == signal.SIGINT:
        assert err.startswith("Traceback (most recent call last):")
        assert expected[2].endswith("\nKeyboardInterrupt\n")
    else:
        assert expected[2] == ""
    assert_records_kept(work, WAIT)


def test_sigkill_of_the_interpreter_keeps_the_records(work):
    proc, pid = start_waiting([PIKOS_BIN, *csv_options(work)], work)
    assert pid != proc.pid  # the interpreter, not the pikos process
    os.kill(pid, signal.SIGKILL)
    out, err = proc.communicate(timeout=TIMEOUT)

    assert proc.returncode == -signal.SIGKILL
    assert out == ""
    assert err == killed_by(signal.SIGKILL)
    assert_records_kept(work, WAIT)


# ------------------------------------------------------------ 6. native

def test_segfault_in_native_code_keeps_the_records(work):
    probe = run_python(["-c", "import ctypes"], work)
    if probe.returncode != 0:
        pytest.skip(f"{PIKOS_PYTHON} has no ctypes: {probe.stderr.strip()}")
    expected = run_python([CALLS, "segv"], work, preexec_fn=no_core_file)
    got = run_pikos([*csv_options(work), CALLS, "segv"], work,
                    preexec_fn=no_core_file)

    assert expected.returncode == got.returncode == -signal.SIGSEGV
    assert got.stdout == expected.stdout
    assert got.stderr == expected.stderr + \
        "pikos: the program was killed by SIGSEGV\n"
    assert_records_kept(work, CALLS)


def test_sigbus_in_native_code_keeps_the_records(work):
    expected = run_python([CALLS, "sigbus"], work, preexec_fn=no_core_file)
    got = run_pikos([*csv_options(work), CALLS, "sigbus"], work,
                    preexec_fn=no_core_file)

    assert expected.returncode == got.returncode == -signal.SIGBUS
    assert got.stdout == expected.stdout
    assert got.stderr == expected.stderr + killed_by(signal.SIGBUS)
    assert_records_kept(work, CALLS)


def test_a_crash_inside_a_plugin_names_it(work):
    """recorders/fx_crash_record raises SIGSEGV in its record callback:
    pikos names the plugin and the callback, the other recorder's records
    made before it are kept, and pikos ends by SIGSEGV."""
    out = os.path.join(work, "out.csv")
    got = run_pikos(["--plugin-path", fixture_dir("crash_record"),
                     "--plugin", "recorders/csv:filename=" + out,
                     "--plugin", "recorders/fx_crash_record",
                     CALLS, "normally"], work, preexec_fn=no_core_file)

    assert got.returncode == -signal.SIGSEGV
    assert got.stderr == ("pikos: the program was killed by SIGSEGV in "
                          "[recorders/fx_crash_record] record\n")
    # The first record reached recorders/csv (given first), then crashed
    # the other one; the program never ran its first line.
    rows = read_csv(out)
    assert [(r["type"], r["function"]) for r in rows] == \
        [("call", "<module>")]
    assert got.stdout == ""


def test_abort_keeps_the_records(work):
    expected = run_python([CALLS, "abort"], work, preexec_fn=no_core_file)
    got = run_pikos([*csv_options(work), CALLS, "abort"], work,
                    preexec_fn=no_core_file)

    assert expected.returncode == got.returncode == -signal.SIGABRT
    assert got.stdout == expected.stdout
    assert got.stderr == expected.stderr + killed_by(signal.SIGABRT)
    rows = assert_records_kept(work, CALLS)
    assert [rows[-1]["type"], rows[-1]["function"]] == ["c_call", "abort"]


# ------------------------------------------------------------ 7. handlers

def test_the_program_finds_pythons_signal_handlers(work):
    expected = run_python(["endings_signals.py"], work)
    got = run_pikos(["-o", "records.txt", "endings_signals.py"], work)

    assert (got.returncode, got.stdout, got.stderr) == \
        (expected.returncode, expected.stdout, expected.stderr)
    assert "SIGTERM True\n" in got.stdout  # SIG_DFL, as under python3
    assert "blocked []\n" in got.stdout


# ------------------------------------------------------------ groups

def signal_group_while_stopped(command, work):
    """Runs endings_group.py in a process group of its own and sends
    SIGUSR1 to the group (kill -USR1 -PGID) while the process the command
    started is stopped; returns the script's output."""
    proc = subprocess.Popen([*command, "endings_group.py"], cwd=work,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, **TEXT)
    try:
        assert proc.stdout.readline() == "ready\n"
        os.kill(proc.pid, signal.SIGSTOP)
        os.killpg(proc.pid, signal.SIGUSR1)
        time.sleep(0.3)  # the program, if apart, handled its SIGUSR1
        os.kill(proc.pid, signal.SIGCONT)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode, out, err


def test_signal_sent_to_the_process_group_reaches_the_program_once(work):
    expected = signal_group_while_stopped([PIKOS_PYTHON], work)
    got = signal_group_while_stopped([PIKOS_BIN, "-o", "records.txt"], work)

    assert expected == (0, "received 1\n", "")
    assert got == expected
