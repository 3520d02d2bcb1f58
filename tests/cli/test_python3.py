"""`pikos -o records.txt ARGS` is exactly `python3 ARGS`: the same exit
status, output and messages, for every way python3 takes a program
(a directory or a zip file with __main__.py, -c, -, odd source bytes),
and the program finds the sys attributes, modules and environment python3
gives it, in whichever interpreter pikos picks (a venv's)."""
import csv
import json
import os
import shutil
import subprocess
import zipfile

import pytest

from conftest import (PIKOS_BIN, PIKOS_PYTHON, TEXT, TIMEOUT, read_csv,
                      run_pikos, run_python)

QUIET = ["-o", "records.txt"]


def _is_libtool_wrapper(path):
    with open(path, "rb") as f:
        head = f.read(512)
    return head.startswith(b"#!") and b"libtool" in head


# In a build tree PIKOS_BIN is libtool's wrapper script, which exports
# these (and bash updates PWD, SHLVL and _) before it runs the real pikos:
# they are the wrapper's, not pikos's.
LIBTOOL_WRAPPER = _is_libtool_wrapper(PIKOS_BIN)
LIBTOOL_WRAPPER_VARS = {"BIN_SH", "DUALCASE", "LD_LIBRARY_PATH", "PWD",
                        "OLDPWD", "SHLVL", "_"}


def same_as_python(work, python_args, **kwargs):
    expected = run_python(python_args, work, **kwargs)
    got = run_pikos([*QUIET, *python_args], work, **kwargs)
    assert (got.returncode, got.stdout, got.stderr) == \
        (expected.returncode, expected.stdout, expected.stderr)
    return got


SHOW = """\
import os, sys
print(sys.argv, __name__, os.path.relpath(__file__),
      os.path.relpath(sys.path[0]))
"""


def test_directory_with_main(work):
    os.mkdir(os.path.join(work, "appdir"))
    with open(os.path.join(work, "appdir", "__main__.py"), "w") as f:
        f.write(SHOW)
    got = same_as_python(work, ["appdir", "x", "y z"])
    assert got.returncode == 0
    assert got.stdout == \
        "['appdir', 'x', 'y z'] __main__ appdir/__main__.py appdir\n"


def test_zip_file_with_main(work):
    with zipfile.ZipFile(os.path.join(work, "app.zip"), "w") as archive:
        archive.writestr("__main__.py", SHOW)
    got = same_as_python(work, ["app.zip", "x"])
    assert got.returncode == 0
    assert got.stdout == \
        "['app.zip', 'x'] __main__ app.zip/__main__.py app.zip\n"


def test_command(work):
    got = same_as_python(work, ["-c", "import sys; print(sys.argv)", "a", "b"])
    assert got.stdout == "['-c', 'a', 'b']\n"


def test_script_on_stdin(work):
    got = same_as_python(work, ["-", "a"],
                         input="import sys\nprint(sys.argv, __name__)\n")
    assert got.stdout == "['-', 'a'] __main__\n"


def write_bytes(work, name, data):
    with open(os.path.join(work, name), "wb") as f:
        f.write(data)


def test_nul_byte_in_a_comment(work):
    write_bytes(work, "nul.py", b"# a\x00b\nprint('ok')\n")
    same_as_python(work, ["nul.py"])


def test_invalid_utf8_without_a_coding_line(work):
    write_bytes(work, "latin.py", b"print('\xff')\n")
    got = same_as_python(work, ["latin.py"])
    assert got.returncode == 1
    assert "SyntaxError" in got.stderr
    assert "but no encoding declared" in got.stderr


CONTEXT = """\
import json, os, sys
print(json.dumps({
    "orig_argv": sys.orig_argv,
    "argv": sys.argv,
    "path": sys.path,
    "prefix": sys.prefix,
    "base_prefix": sys.base_prefix,
    "executable": sys.executable,
    "flags": tuple(sys.flags),
    "modules": sorted(sys.modules),
    "environ": sorted(os.environ.items()),
    "supervisor_fd": "PIKOS_SUPERVISOR_FD" in os.environ,
}))
"""


@pytest.mark.parametrize("extra", [
    {}, {"PYTHONDEVMODE": "1"},
    {"PYTHONUNBUFFERED": "1", "PYTHONOPTIMIZE": "1", "PYTHONPATH": "lib"},
    {"PYTHONPATH": ""}, {"PYTHONPATH": ":lib:"},
    {"PYTHONNOUSERSITE": "1", "PYTHONSAFEPATH": "1"},
], ids=["plain", "devmode", "unbuffered-optimize-pythonpath",
        "empty-pythonpath", "pythonpath-with-empty-entries",
        "nousersite-safepath"])
def test_sys_and_environment_are_pythons(work, extra):
    write_bytes(work, "context.py", CONTEXT.encode())
    os.mkdir(os.path.join(work, "lib"))
    env = dict(os.environ, **extra)
    expected = run_python(["context.py", "a"], work, env=env)
    got = run_pikos([*QUIET, "context.py", "a"], work, env=env)

    assert (got.returncode, got.stderr) == (expected.returncode,
                                            expected.stderr)
    mine, pythons = json.loads(got.stdout), json.loads(expected.stdout)
    if LIBTOOL_WRAPPER:
        for context in (mine, pythons):
            context["environ"] = [item for item in context["environ"]
                                  if item[0] not in LIBTOOL_WRAPPER_VARS]
    for key in pythons:  # one key at a time, for a readable failure
        assert mine[key] == pythons[key], key
    assert mine["supervisor_fd"] is False
    assert mine == pythons


def test_the_programs_import_of_tokenize_is_recorded(work):
    probe = run_python(["-c", "import sys; print('tokenize' in sys.modules)"],
                       work)
    if probe.stdout != "False\n":
        pytest.skip(f"{PIKOS_PYTHON} imports tokenize at startup")
    write_bytes(work, "tok.py", b"import tokenize\nprint('ok')\n")
    out = os.path.join(work, "out.csv")
    got = run_pikos(["--plugin", "recorders/csv", "-o", out, "tok.py"], work)

    assert (got.returncode, got.stdout, got.stderr) == (0, "ok\n", "")
    rows = read_csv(out)
    assert [r for r in rows if (r["type"], r["function"]) ==
            ("call", "<module>") and r["filename"].endswith("/tokenize.py")]


# ------------------------------------------------------------ a venv

VENV_SCRIPT = """\
import sys
import onlyhere
print(onlyhere.VALUE, sys.prefix, sys.executable)
"""


@pytest.fixture
def venv(work):
    """A venv (without pip, without the system's site-packages) made by
    PIKOS_PYTHON, with a package `onlyhere` in its site-packages."""
    where = os.path.join(work, "venv")
    made = subprocess.run([PIKOS_PYTHON, "-m", "venv", "--without-pip",
                           where], capture_output=True, timeout=TIMEOUT,
                          **TEXT)
    python = os.path.join(where, "bin", "python3")
    if made.returncode != 0 or not os.path.exists(python):
        shutil.rmtree(where, ignore_errors=True)
        pytest.skip(f"{PIKOS_PYTHON} -m venv failed: {made.stderr.strip()} "
                    "(Debian: apt-get install python3-venv)")
    purelib = subprocess.run(
        [python, "-c",
         "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, timeout=TIMEOUT, check=True,
        **TEXT).stdout.strip()
    os.makedirs(os.path.join(purelib, "onlyhere"))
    with open(os.path.join(purelib, "onlyhere", "__init__.py"), "w") as f:
        f.write("VALUE = 42\n")
    write_bytes(work, "venv_app.py", VENV_SCRIPT.encode())
    return python


def without_pikos_python(**extra):
    env = {k: v for k, v in os.environ.items() if k != "PIKOS_PYTHON"}
    env.update(extra)
    return env


def in_venv(python, work, env):
    return subprocess.run([python, "venv_app.py"], cwd=work,
                          capture_output=True, timeout=TIMEOUT, env=env,
                          **TEXT)


def assert_runs_in_the_venv(got, expected, python):
    assert (got.returncode, got.stdout, got.stderr) == \
        (expected.returncode, expected.stdout, expected.stderr)
    value, prefix, executable = got.stdout.split()
    assert value == "42"
    assert prefix == os.path.dirname(os.path.dirname(python))
    assert executable == python


def test_python3_from_path_is_the_venvs(work, venv):
    env = without_pikos_python(
        PATH=os.path.dirname(venv) + os.pathsep + os.environ["PATH"])
    expected = in_venv(venv, work, env)
    got = run_pikos([*QUIET, "venv_app.py"], work, env=env)
    assert_runs_in_the_venv(got, expected, venv)


def test_python_option_names_the_venvs(work, venv):
    env = without_pikos_python()
    expected = in_venv(venv, work, env)
    got = run_pikos(["--python", "venv/bin/python3", *QUIET, "venv_app.py"],
                    work, env=env)
    assert_runs_in_the_venv(got, expected, venv)


def test_pikos_python_names_the_venvs(work, venv):
    env = without_pikos_python()
    expected = in_venv(venv, work, env)
    got = run_pikos([*QUIET, "venv_app.py"], work,
                    env=without_pikos_python(PIKOS_PYTHON=venv))
    assert_runs_in_the_venv(got, expected, venv)


@pytest.mark.parametrize("monitor", ["monitors/lines", "monitors/line_memory"])
def test_line_monitors_import_nothing_for_the_program(work, monitor):
    """A line monitor reads source lines without importing linecache (nor
    tokenize, re, enum, token): the program finds sys.modules as python3
    leaves it, and its own `import tokenize` runs (its lines are recorded),
    while the lines recorded still carry their source text."""
    write_bytes(work, "mods.py",
                b"import sys\n"
                b"before = sorted(m for m in ('linecache', 'tokenize', 're',"
                b" 'enum', 'token') if m in sys.modules)\n"
                b"import tokenize\n"
                b"print(before)\n")
    expected = run_python(["mods.py"], work)
    out = os.path.join(work, "lines.csv")
    got = run_pikos(["--plugin", monitor, "--plugin", "recorders/csv",
                     "-o", out, "mods.py"], work)

    assert (got.returncode, got.stdout, got.stderr) == \
        (expected.returncode, expected.stdout, expected.stderr)
    with open(out, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert any(r["filename"].endswith("/tokenize.py") for r in rows)
    mine = [(int(r["lineNo"]), r["line"]) for r in rows
            if r["filename"].endswith("/mods.py")]
    assert mine[0] == (1, "import sys")
    assert (3, "import tokenize") in mine
