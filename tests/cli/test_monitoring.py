"""Python 3.12+ (issue 15): pikos takes its events through sys.monitoring,
as a tool of its own, so the program's own tools work beside it and each
sees exactly its own events: the program's output (what its settrace
function, coverage-like tool, cProfile or pdb saw) and status are
python3's, and pikos's records of the program's file are the setprofile
oracle's.  (The program's own sys.setprofile: test_takeover.py.)"""
import os

import pytest

from conftest import events_of, read_csv, run_oracle, run_pikos, \
    run_python, uses_monitoring

pytestmark = pytest.mark.skipif(
    not uses_monitoring(),
    reason="pikos uses sys.monitoring from Python 3.12, unless "
           "PIKOS_HOOK=legacy")

SCRIPTS = ["coexist_settrace.py", "coexist_coverage.py",
           "coexist_cprofile.py", "coexist_pdb.py"]


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_programs_tool_and_pikos_each_see_their_own(work, name):
    script = os.path.join(work, name)
    out = os.path.join(work, "out.csv")
    alone = run_python([script], work)
    got = run_pikos(["--plugin", "recorders/csv", "-o", out, script], work)
    expected, _ = run_oracle(script, work)

    assert (got.returncode, got.stdout, got.stderr) == \
        (alone.returncode, alone.stdout, "")
    assert alone.returncode == 0 and len(alone.stdout) > 5
    mine = events_of(read_csv(out), script)
    assert mine == [e for e in expected if e[3] == script]
    assert ("call", "work") in [(t, f) for t, f, _, _ in mine]


def test_lines_beside_the_programs_tracer(work):
    """A line monitor and the program's sys.settrace function: both get
    their lines."""
    script = os.path.join(work, "coexist_settrace.py")
    out = os.path.join(work, "out.csv")
    alone = run_python([script], work)
    got = run_pikos(["--plugin", "monitors/lines", "--plugin",
                     "recorders/csv", "-o", out, script], work)

    assert (got.returncode, got.stdout, got.stderr) == \
        (alone.returncode, alone.stdout, "")
    with open(out, encoding="utf-8") as stream:
        work_lines = [row for row in stream if ",work," in row]
    assert len(work_lines) >= 2 * 4  # work(3) and work(2), every line
