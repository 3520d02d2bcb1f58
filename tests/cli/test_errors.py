"""Bad input: one line "pikos: ..." on stderr, exit status 2, no
traceback, and the program never starts (it would print on stdout).  An
output that fails while the program runs is reported the same way."""
import os
import resource
import signal

import pytest

from conftest import run_python, assert_one_error_line, fixture_dir, run_pikos

PROGRAM = "show_context.py"


def fails_before_the_program(work, *args, cwd=None):
    proc = run_pikos([*args], cwd or work)
    assert_one_error_line(proc)
    assert proc.stdout == ""
    return proc.stderr.rstrip("\n")


def test_unknown_plugin(work):
    err = fails_before_the_program(work, "--plugin", "recorders/nope",
                                   PROGRAM)
    assert "'recorders/nope'" in err


def test_unknown_kind(work):
    err = fails_before_the_program(work, "--plugin", "gadgets/csv", PROGRAM)
    assert "'gadgets'" in err


def test_unknown_option(work):
    err = fails_before_the_program(work, "--plugin",
                                   "recorders/csv:colour=red", PROGRAM)
    assert err.startswith("pikos: [recorders/csv] ")
    assert "'colour'" in err


def test_wrong_option_type(work):
    err = fails_before_the_program(work, "--plugin",
                                   "recorders/text:formatted=maybe", PROGRAM)
    assert err.startswith("pikos: [recorders/text] ")
    assert "'formatted'" in err and "'maybe'" in err


def test_missing_required_option(work):
    err = fails_before_the_program(work, "--plugin", "filters/on_value",
                                   PROGRAM)
    assert err.startswith("pikos: [filters/on_value] ")


def test_missing_script(work):
    err = fails_before_the_program(work, "missing.py")
    assert err == ("pikos: cannot open script 'missing.py': "
                   "No such file or directory")


def test_directory_without_main_is_pythons_error(work):
    """python3 reads the directory (it could hold __main__.py): its own
    message and status, as python3 gives them."""
    os.mkdir(os.path.join(work, "adir"))
    expected = run_python(["adir"], work)
    got = run_pikos(["adir"], work)
    assert (got.returncode, got.stdout, got.stderr) == \
        (expected.returncode, expected.stdout, expected.stderr)
    assert "__main__" in got.stderr


def test_unwritable_output(work):
    err = fails_before_the_program(work, "--plugin", "recorders/csv",
                                   "-o", "/nonexistent/x.csv", PROGRAM)
    assert "/nonexistent/x.csv" in err


def test_output_given_twice(work):
    err = fails_before_the_program(work, "--plugin",
                                   "recorders/csv:filename=a.csv", "-o",
                                   "b.csv", PROGRAM)
    assert "-o b.csv" in err


def test_missing_module_is_pythons_error(work):
    expected = run_python(["-m", "no_such_module"], work)
    got = run_pikos(["-m", "no_such_module"], work)
    assert (got.returncode, got.stdout, got.stderr) == \
        (expected.returncode, expected.stdout, expected.stderr)
    assert "No module named no_such_module" in got.stderr


@pytest.mark.parametrize("args, message", [
    (["--bogus", PROGRAM],
     "pikos: unknown option '--bogus' (see pikos --help)"),
    (["--plugin"], "pikos: option --plugin needs a value (see pikos --help)"),
    (["-o"], "pikos: option -o needs a value (see pikos --help)"),
    ([], "pikos: no script given: pikos [options] script.py [args...] "
         "(see pikos --help)"),
    (["--plugin-path", "/nonexistent", PROGRAM],
     "pikos: --plugin-path '/nonexistent': No such file or directory"),
])
def test_bad_command_line(work, args, message):
    assert fails_before_the_program(work, *args) == message


# Test-only plugins built by `make check` (tests/unit/fixtures/CASE).
BROKEN = ["missing_library", "missing_symbol", "abi_major", "abi_minor",
          "struct_small", "mismatch_name", "mismatch_option"]


@pytest.mark.parametrize("case", BROKEN)
def test_broken_plugin_stops_the_run(work, case):
    err = fails_before_the_program(work, "--plugin-path", fixture_dir(case),
                                   "--plugin", f"recorders/fx_{case}",
                                   PROGRAM)
    assert f"recorders/fx_{case}" in err
    assert "broken" in err


def test_failing_init_stops_the_run(work):
    err = fails_before_the_program(work, "--plugin-path",
                                   fixture_dir("init_fails"), "--plugin",
                                   "recorders/fx_init_fails", PROGRAM)
    assert err == ("pikos: [recorders/fx_init_fails] cannot start: "
                   "fixture says no")


def test_corrupt_manifest_is_not_a_plugin(work):
    err = fails_before_the_program(work, "--plugin-path",
                                   fixture_dir("corrupt_manifest"),
                                   "--plugin", "recorders/corrupt_manifest",
                                   PROGRAM)
    assert "plugin 'recorders/corrupt_manifest' is broken: " in err


def test_good_fixture_plugin_runs(work):
    proc = run_pikos(["--plugin-path", fixture_dir("good"), "--plugin",
                      "recorders/fx_good:limit=3,tags=x;y", PROGRAM], work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith('{"argv": ["show_context.py"]')


def write_manifest(directory, name, text):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name + ".plugin"), "wb") as stream:
        stream.write(text)


def test_manifests_written_broken(work):
    plugins = os.path.join(work, "plugins")
    write_manifest(plugins, "garbage", b"\x00\x01[plugin\xff\n= =\n")
    write_manifest(plugins, "nolib",
                   b"[plugin]\nname = nolib\nkind = recorder\n"
                   b"library = no_such_library\nabi = 1\nsummary = x\n")
    err = fails_before_the_program(work, "--plugin-path", plugins,
                                   "--plugin", "recorders/nolib", PROGRAM)
    assert "no_such_library" in err


def test_output_failing_while_running_fails_the_run(work):
    proc = run_pikos(["--plugin", "recorders/csv", "-o", "/dev/full",
                      "recursion.py"], work)
    assert_one_error_line(proc, "pikos: [recorders/csv] ")
    assert "/dev/full" in proc.stderr


def test_output_failure_keeps_the_programs_own_status(work):
    proc = run_pikos(["-o", "/dev/full", "exits.py", "raise"], work)
    lines = proc.stderr.splitlines()
    assert proc.returncode == 1
    assert lines[0].startswith("pikos: [recorders/text] ")
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "LookupError: not handled"


# ------------------------------------------------------------ guarded files
# A recorder opens (and truncates) its file as it is created: the files
# are checked before, so a refused run leaves every file as it was.

GUARDED = "plain_calls.py"  # prints nothing


def script_bytes(work):
    with open(os.path.join(work, GUARDED), "rb") as stream:
        return stream.read()


def refuses_to_write_over_the_script(work, *args, cwd=None):
    before = script_bytes(work)
    err = fails_before_the_program(work, *args, cwd=cwd)
    assert script_bytes(work) == before
    return err


def test_output_is_the_script(work):
    err = refuses_to_write_over_the_script(work, "--plugin", "recorders/csv",
                                           "-o", GUARDED, GUARDED)
    assert err == (f"pikos: [recorders/csv] output '{GUARDED}' is the "
                   "program's script; give another file")


def test_default_recorders_output_is_the_script(work):
    err = refuses_to_write_over_the_script(work, "-o", GUARDED, GUARDED)
    assert err.startswith("pikos: [recorders/text] ")


@pytest.mark.parametrize("spelling", [
    "./sub/../" + GUARDED, "./" + GUARDED, "link.py", "{work}/" + GUARDED])
def test_output_names_the_script_another_way(work, spelling):
    os.mkdir(os.path.join(work, "sub"))
    os.symlink(GUARDED, os.path.join(work, "link.py"))
    spelling = spelling.format(work=work)
    err = refuses_to_write_over_the_script(
        work, "--plugin", f"recorders/csv:filename={spelling}", GUARDED)
    assert f"output '{spelling}' is the program's script" in err


def test_script_through_a_link_is_guarded(work):
    os.symlink(GUARDED, os.path.join(work, "link.py"))
    refuses_to_write_over_the_script(work, "--plugin", "recorders/csv", "-o",
                                     GUARDED, "link.py")


def test_script_in_another_directory_is_guarded(work):
    err = refuses_to_write_over_the_script(
        work, "--plugin", f"recorders/csv:filename=../{GUARDED}",
        os.path.join("..", GUARDED), cwd=os.path.join(work, "pkgdemo"))
    assert "is the program's script" in err


@pytest.mark.parametrize("second", ["out.txt", "./out.txt"])
def test_two_recorders_one_file(work, second):
    err = fails_before_the_program(
        work, "--plugin", "recorders/csv:filename=out.txt", "--plugin",
        f"recorders/text:filename={second}", GUARDED)
    assert err.startswith("pikos: [recorders/csv] ")
    assert "[recorders/text]" in err and "its own file" in err
    assert not os.path.exists(os.path.join(work, "out.txt"))


def test_two_recorders_one_existing_file(work):
    path = os.path.join(work, "out.txt")
    with open(path, "w") as stream:
        stream.write("kept\n")
    err = fails_before_the_program(
        work, "--plugin", "recorders/csv:filename=out.txt", "--plugin",
        "recorders/text", "-o", "out.txt", GUARDED)
    assert err == ("pikos: [recorders/csv] and [recorders/text] both write "
                   "to 'out.txt'; give each recorder its own file")
    with open(path) as stream:
        assert stream.read() == "kept\n"


def test_two_recorders_two_files(work):
    proc = run_pikos(["--plugin", "recorders/csv:filename=a.csv", "--plugin",
                      "recorders/text:filename=b.txt", GUARDED], work)
    assert proc.returncode == 0, proc.stderr
    assert (proc.stdout, proc.stderr) == ("", "")
    for name in ("a.csv", "b.txt"):
        assert os.path.getsize(os.path.join(work, name)) > 0, name


@pytest.mark.parametrize("screen", ["recorders/text",
                                    "recorders/text:filename=-",
                                    "recorders/csv:filename="])
def test_screen_and_a_file(work, screen):
    proc = run_pikos(["--plugin", screen, "--plugin",
                      "recorders/csv:filename=a.csv", GUARDED], work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout != ""
    assert os.path.getsize(os.path.join(work, "a.csv")) > 0


def test_two_recorders_on_the_screen(work):
    proc = run_pikos(["--plugin", "recorders/text", "--plugin",
                      "recorders/csv:filename=-", GUARDED], work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout != ""


def test_two_recorders_on_dev_null(work):
    proc = run_pikos(["--plugin", "recorders/csv:filename=/dev/null",
                      "--plugin", "recorders/text:filename=/dev/null",
                      GUARDED], work)
    assert proc.returncode == 0, proc.stderr
    assert (proc.stdout, proc.stderr) == ("", "")


def test_a_library_that_crashes_as_it_loads_is_named(work):
    """A run loads its plugins directly (no child process per plugin, which
    every run would pay): a library that crashes as it loads ends the
    interpreter before the program, and pikos names it; `pikos plugins`
    shows it broken without crashing (test_commands.py)."""
    proc = run_pikos(["--plugin-path", fixture_dir("crash_load"),
                      "--plugin", "recorders/fx_crash_load", PROGRAM], work,
                     preexec_fn=lambda: resource.setrlimit(
                         resource.RLIMIT_CORE, (0, 0)))
    assert proc.returncode == -signal.SIGSEGV
    assert proc.stdout == ""
    assert proc.stderr == ("pikos: the program was killed by SIGSEGV in "
                           "[recorders/fx_crash_load] load\n")


def test_a_manifest_that_does_not_parse_is_named_broken(work):
    """Asking for the plugin such a manifest meant says why it is broken,
    not "unknown plugin"."""
    err = fails_before_the_program(work, "--plugin-path",
                                   fixture_dir("bad_syntax"), "--plugin",
                                   "recorders/fx_bad_syntax", PROGRAM)
    path = os.path.join(fixture_dir("bad_syntax"), "bad_syntax.plugin")
    assert err == ("pikos: plugin 'recorders/fx_bad_syntax' is broken: "
                   f"{path}:5: cannot parse this line (expected [section], "
                   "key = value or a ; comment)")

