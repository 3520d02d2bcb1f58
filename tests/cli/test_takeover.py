"""A program that installs its own profiler or tracer (issue 12).  With the
legacy hook (before 3.12, or PIKOS_HOOK=legacy) pikos says so in one line
at that moment, naming what took the hook, and the records made until then
are kept; through sys.monitoring (issue 15) pikos is a tool of its own and
records on.  Either way the program's function sees what it sees under
python3 (plus the c_return of sys.setprofile itself, which CPython gives
whenever a profiler is active) and the exit status is python3's."""
import ast
import os
import re

from conftest import read_csv, run_pikos, run_python, uses_monitoring

LINE = re.compile(r"pikos: sys\.setprofile, called from <module> "
                  r"\(.*/takeover_profile\.py:\d+\), takes this thread's "
                  r"profile function from pikos: its monitors record nothing "
                  r"more in this thread \(Python \d+\.\d+ has one profile "
                  r"function per thread\)\n")


def test_own_profile_function(work):
    out = os.path.join(work, "out.csv")
    expected = run_python(["takeover_profile.py"], work)
    got = run_pikos(["--plugin", "recorders/csv", "-o", out,
                     "takeover_profile.py"], work)

    assert got.returncode == expected.returncode == 0
    seen, python_seen = (ast.literal_eval(p.stdout)
                         for p in (got, expected))
    assert seen == [("c_return", "setprofile")] + python_seen
    assert ("call", "work") in python_seen
    rows = read_csv(out)
    calls = [r["function"] for r in rows if r["type"] == "call"]
    if uses_monitoring():
        # pikos is a sys.monitoring tool of its own: nothing to take over.
        assert got.stderr == ""
        assert calls == ["<module>", "work", "work", "work"]
        return
    assert LINE.fullmatch(got.stderr), got.stderr
    assert calls == ["<module>", "work"]  # work(1) only, then the handover
    assert (rows[-1]["type"], rows[-1]["function"]) == ("c_call", "setprofile")


def test_cprofile_as_the_program(work):
    """`pikos -m cProfile script`: its report and status are python3's.
    Before 3.12 cProfile takes the profile function, and pikos says so;
    from 3.12 cProfile uses sys.monitoring, and both record side by side."""
    expected = run_python(["-m", "cProfile", "plain_calls.py"], work)
    out = os.path.join(work, "out.csv")
    got = run_pikos(["--plugin", "recorders/csv", "-o", out, "-m", "cProfile",
                     "plain_calls.py"], work)
    version = run_python(["-c", "import sys; print(sys.version_info >= "
                                "(3, 12))"], work).stdout.strip()

    assert got.returncode == expected.returncode == 0
    assert "function calls" in got.stdout and "function calls" in expected.stdout
    if version == "False":
        [line] = got.stderr.splitlines()
        assert line.startswith("pikos: sys.setprofile, called from ")
        assert "cProfile.py" in line
    else:
        assert got.stderr == ""
        functions = {r["function"] for r in read_csv(out)}
        assert "twice" in functions  # plain_calls.py's, run by cProfile


def test_no_line_without_a_takeover(work):
    got = run_pikos(["-o", os.path.join(work, "out.txt"), "plain_calls.py"],
                    work)
    assert (got.returncode, got.stderr) == (0, "")
