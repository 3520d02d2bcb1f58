"""A child created by os.fork() keeps running but never writes into its
parent's output: the parent's records are complete and parseable, with
nothing of the child's and nothing twice, whether the child ends with
os._exit, sys.exit or by running off the end of the program.

The parent's output still holds records (pikos buffers them) when it
forks; a child that flushed its inherited copy would write them twice.
The oracle is oracle.py (sys.setprofile on the same code, same
interpreter); in the oracle too, only the parent's events are kept.
"""
import os

import pytest

from conftest import (FUNCTION_FIELDS, FUNCTION_TEMPLATE, events_of,
                      read_csv, run_oracle, run_pikos)

SCRIPT = "fork_child.py"
ENDINGS = {"_exit": 7, "exit": 7, "return": 0}


def parent_events(work, how):
    """The oracle's events of the parent, all of them in the script."""
    script = os.path.join(work, SCRIPT)
    events, proc = run_oracle(script, work, args=(how,))
    assert proc.returncode == 0, proc.stderr
    ours = [e for e in events if e[3] == script]
    assert "child_work" not in {e[1] for e in ours}
    return ours


def child_status_line(how):
    return f"child exited {ENDINGS[how]}"


@pytest.mark.parametrize("how", sorted(ENDINGS))
def test_the_parents_csv_holds_the_parent_exactly_once(work, how):
    script = os.path.join(work, SCRIPT)
    out = os.path.join(work, "out.csv")
    proc = run_pikos(["--plugin", "recorders/csv", "-o", out, script, how],
                     work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == child_status_line(how) + "\n"  # the child ran
    with open(out, newline="", encoding="utf-8") as stream:
        assert stream.read().count(",".join(FUNCTION_FIELDS)) == 1
    rows = read_csv(out)
    assert events_of(rows, script) == parent_events(work, how)
    assert [int(r["index"]) for r in rows] == list(range(len(rows)))


@pytest.mark.parametrize("how", sorted(ENDINGS))
def test_the_parents_screen_holds_the_parent_exactly_once(work, how):
    script = os.path.join(work, SCRIPT)
    proc = run_pikos([script, how], work)  # recorders/text, standard output
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines.count(child_status_line(how)) == 1
    lines.remove(child_status_line(how))
    header = FUNCTION_TEMPLATE.format(*FUNCTION_FIELDS)
    expected = [FUNCTION_TEMPLATE.format(i, *e)
                for i, e in enumerate(parent_events(work, how))]
    assert lines == [header, "-" * len(header), *expected]
