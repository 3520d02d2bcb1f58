"""Interrupted programs: the records so far are in the CSV, which parses;
the process ends as python3's would (by the signal), and pikos says how in
one line."""
import os
import signal
import subprocess
import time

from conftest import PIKOS_BIN, TIMEOUT, read_csv, run_pikos, run_python


def csv_options(work):
    return ["--plugin", "recorders/csv", "-o", os.path.join(work, "out.csv")]


def killed_by(signum):
    return f"pikos: the program was killed by {signal.Signals(signum).name}\n"


def assert_complete(work, function, ended=True):
    """The records parse; with `ended`, the program's module returned (its
    exception unwound it) and that return was recorded last."""
    rows = read_csv(os.path.join(work, "out.csv"))
    calls = [r for r in rows if (r["type"], r["function"]) ==
             ("call", function)]
    assert calls
    if ended:
        assert [rows[-1]["type"], rows[-1]["function"]] == \
            ["return", "<module>"]
    return rows


def interrupt_when_ready(work, signum):
    """Runs wait_for_signal.py, sends `signum` once it printed "ready"."""
    proc = subprocess.Popen([PIKOS_BIN, *csv_options(work),
                             "wait_for_signal.py"], cwd=work,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline() == "ready\n"
    time.sleep(0.3)  # let it record some calls
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=TIMEOUT)
    return proc.returncode, err


def test_sigint_from_the_program_itself(work):
    expected = run_python(["self_sigint.py"], work)
    got = run_pikos([*csv_options(work), "self_sigint.py"], work)

    assert got.returncode == expected.returncode == -signal.SIGINT
    assert got.stderr == expected.stderr + killed_by(signal.SIGINT)
    assert expected.stderr.endswith("KeyboardInterrupt\n")
    assert_complete(work, "interrupt")


def test_sigint_while_running(work):
    status, err = interrupt_when_ready(work, signal.SIGINT)

    assert status == -signal.SIGINT
    assert err.startswith("Traceback (most recent call last):")
    assert err.endswith("KeyboardInterrupt\n" + killed_by(signal.SIGINT))
    assert_complete(work, "work")


def test_sigterm_while_running(work):
    status, err = interrupt_when_ready(work, signal.SIGTERM)

    # SIGTERM keeps its default action, as under python3: the program dies
    # at once, and pikos writes what its outputs held.
    assert status == -signal.SIGTERM
    assert err == killed_by(signal.SIGTERM)
    assert_complete(work, "work", ended=False)


def test_program_keeps_its_own_sigterm_handler(work):
    expected = run_python(["own_sigterm.py"], work)
    got = run_pikos([*csv_options(work), "own_sigterm.py"], work)

    assert (got.returncode, got.stdout, got.stderr) == \
        (expected.returncode, expected.stdout, expected.stderr)
    assert got.stdout == f"handled {int(signal.SIGTERM)}\n"
    assert_complete(work, "on_term")
