"""The profiled program runs as python3 runs it.

sys.argv, sys.path[0], __file__, co_filename, __main__, sys.executable,
its output, its exit status and its traceback are those the same
interpreter gives with `python3 script.py` or `python3 -m module`.
"""
import json
import os

import pytest

from conftest import run_pikos, run_python

# pikos's records go to a file, so that stdout is the program's alone.
QUIET = ["-o", "records.txt"]


def same_as_python(work, python_args, cwd=None, **kwargs):
    cwd = cwd or work
    expected = run_python(python_args, cwd, **kwargs)
    got = run_pikos([*QUIET, *python_args], cwd, **kwargs)
    assert (got.returncode, got.stdout, got.stderr) == \
        (expected.returncode, expected.stdout, expected.stderr)
    return got


@pytest.mark.parametrize("script", [
    ["show_context.py"],
    ["./show_context.py", "a", "b c"],
    ["show_context.py", "--plugin", "x", "-o", "y", "--", "-m"],
    ["sub/../show_context.py"],
    ["links/context.py", "via a symbolic link"],
])
def test_script_sees_what_python_gives_it(work, script):
    os.mkdir(os.path.join(work, "sub"))
    os.mkdir(os.path.join(work, "links"))
    os.symlink("../show_context.py", os.path.join(work, "links/context.py"))
    got = same_as_python(work, script)
    assert json.loads(got.stdout)["argv"] == script


def test_absolute_path_from_another_directory(work):
    os.mkdir(os.path.join(work, "elsewhere"))
    script = os.path.join(work, "show_context.py")
    got = same_as_python(work, [script], cwd=os.path.join(work, "elsewhere"))
    context = json.loads(got.stdout)
    assert context["path0"] == work
    assert context["file"] == context["co_filename"] == script


def test_safe_path_keeps_the_script_directory_out(work):
    env = dict(os.environ, PYTHONSAFEPATH="1")
    got = same_as_python(work, ["show_context.py"], env=env)
    assert json.loads(got.stdout)["path0"] != work
    # Without the current directory in sys.path, -m finds no pkgdemo.
    got = same_as_python(work, ["-m", "pkgdemo"], env=env)
    assert got.returncode == 1 and "No module named pkgdemo" in got.stderr


def test_double_dash_ends_the_options(work):
    expected = run_python(["show_context.py", "-o"], work)
    got = run_pikos([*QUIET, "--", "show_context.py", "-o"], work)
    assert (got.returncode, got.stdout) == (0, expected.stdout)


def test_module_sees_what_python_m_gives_it(work):
    got = same_as_python(work, ["-m", "show_context", "x", "--plugin"])
    context = json.loads(got.stdout)
    assert context["argv"] == [os.path.join(work, "show_context.py"), "x",
                               "--plugin"]
    assert context["path0"] == work


def test_package_main_runs_with_m(work):
    got = same_as_python(work, ["-m", "pkgdemo", "arg"])
    assert got.stdout == "pkgdemo main __main__ pkgdemo ['arg']\n"


def test_module_records_only_the_program(work):
    got = run_pikos(["--plugin", "recorders/csv", "-m", "pkgdemo"], work)
    assert got.returncode == 0, got.stderr
    lines = got.stdout.splitlines()
    assert lines[0] == "pkgdemo main __main__ pkgdemo []"
    first = lines[2].split(",")
    assert first[1:3] == ["call", "<module>"]
    assert first[4] == os.path.join(work, "pkgdemo", "__main__.py")


@pytest.mark.parametrize("how, status", [
    ("normally", 0), ("none", 0), ("int", 3), ("message", 1), ("raise", 1),
])
def test_exit_status_and_messages_are_pythons(work, how, status):
    got = same_as_python(work, ["exits.py", how])
    assert got.returncode == status


def test_uncaught_exception_traceback(work):
    got = same_as_python(work, ["exits.py", "raise"])
    assert got.stderr.startswith("Traceback (most recent call last):\n")
    assert got.stderr.endswith("LookupError: not handled\n")


def test_stdout_and_stderr_pass_through(work):
    got = same_as_python(work, ["output.py"])
    assert got.stdout.count("\n") == 2001


def test_coding_cookie_is_honoured(work):
    got = same_as_python(work, ["latin1_cookie.py"])
    assert got.stdout == "'caf\\xe9 \\xe0 la cr\\xe8me'\n"


def test_syntax_error_is_reported_as_python_does(work):
    with open(os.path.join(work, "broken.py"), "w", encoding="utf-8") as f:
        f.write("print('never')\nx = (\n")
    got = same_as_python(work, ["broken.py"])
    assert got.returncode == 1
    assert "SyntaxError" in got.stderr


def test_records_and_program_output_share_the_screen(work):
    got = run_pikos(["--plugin", "recorders/csv", "exits.py"], work)
    lines = got.stdout.splitlines()
    assert got.returncode == 0, got.stderr
    assert lines[0] == "index,type,function,lineNo,filename"
    assert lines[1].split(",")[1:3] == ["call", "<module>"]
