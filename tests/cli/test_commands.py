"""pikos plugins, pikos plugins --json, pikos help, --help, --version."""
import json
import os
import re
import shutil

import pytest

from conftest import (PIKOS_BUILDDIR, assert_one_error_line, fixture_dir,
                      run_pikos, run_python)

BUILT_IN = {"filters/on_value": "filter", "filters/not_on_value": "filter",
            "filters/on_change": "filter",
            "monitors/functions": "monitor", "monitors/lines": "monitor",
            "monitors/function_memory": "monitor",
            "monitors/line_memory": "monitor",
            "monitors/allocations": "monitor",
            "recorders/csv": "recorder", "recorders/text": "recorder",
            "recorders/list": "recorder", "recorders/zmq": "recorder",
            "recorders/perfetto": "recorder",
            "recorders/profile": "recorder",
            "recorders/chrome_trace": "recorder",
            "external/line_profiler": "monitor",
            "external/cprofile": "monitor", "external/yappi": "monitor"}
BROKEN = ["missing_library", "missing_symbol", "abi_major", "abi_minor",
          "struct_small", "mismatch_name", "mismatch_option"]


def table(proc):
    """The rows of `pikos plugins` as {name: (kind, rest of the line)}."""
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "STATUS", "SUMMARY"]
    rows = {}
    for line in lines[1:]:
        name, kind, rest = line.split(None, 2)
        rows[name] = (kind, rest)
    assert list(rows) == sorted(rows)
    return rows


# External monitors need a Python package the interpreter pikos embeds may
# not have (Debian packages yappi and line_profiler for its own python3
# only): plugin -> (module, Debian package).
NEEDS_PACKAGE = {"external/yappi": ("yappi", "python3-yappi"),
                 "external/line_profiler": ("line_profiler",
                                            "python3-line-profiler")}


def expected_status(name):
    """'ok', or the status of an external monitor whose package is not
    there for PIKOS_PYTHON."""
    if name not in NEEDS_PACKAGE:
        return "ok"
    module, package = NEEDS_PACKAGE[name]
    found = run_python(["-c", "import importlib.util, sys; "
                        "print(importlib.util.find_spec(sys.argv[1]) "
                        "is not None)", module], ".").stdout.strip()
    if found == "True":
        return "ok"
    return (f"unavailable: needs the Python package {module}: "
            f"apt-get install -y {package}")


def test_plugins_lists_the_built_in_plugins(work):
    proc = run_pikos(["plugins"], work)
    rows = table(proc)

    assert proc.returncode == 0 and proc.stderr == ""
    assert {name: kind for name, (kind, _) in rows.items()} == BUILT_IN
    for name, (kind, rest) in rows.items():
        assert rest.startswith(expected_status(name) + " "), rest


def test_broken_plugins_are_listed_beside_the_good_ones(work):
    paths = []
    for case in BROKEN + ["corrupt_manifest", "good"]:
        paths += ["--plugin-path", fixture_dir(case)]
    proc = run_pikos(["plugins", *paths], work)
    rows = table(proc)

    assert proc.returncode == 0 and proc.stderr == ""
    for name in BUILT_IN:
        assert rows[name][1].startswith(expected_status(name) + " ")
    assert rows["recorders/fx_good"][1].startswith("ok ")
    for case in BROKEN:
        kind, rest = rows[f"recorders/fx_{case}"]
        assert (kind, rest[:8]) == ("recorder", "broken: ")
        assert len(rest) > 20
    # A manifest that does not read names no plugin: listed by its path.
    corrupt = os.path.join(fixture_dir("corrupt_manifest"),
                           "corrupt_manifest.plugin")
    assert rows[corrupt] == ("?", f"broken: {corrupt}:1: binary data "
                             "(byte 0x7f): a manifest is UTF-8 text; is this "
                             "file really a plugin manifest?")


def test_plugins_json(work):
    proc = run_pikos(["plugins", "--json", "--plugin-path",
                      fixture_dir("abi_major")], work)
    plugins = {p["name"]: p for p in json.loads(proc.stdout)}

    assert proc.returncode == 0
    assert set(plugins) == set(BUILT_IN) | {"recorders/fx_abi_major"}
    broken = plugins["recorders/fx_abi_major"]
    assert (broken["status"], broken["kind"]) == ("broken", "recorder")
    assert "ABI" in broken["reason"]
    csv = plugins["recorders/csv"]
    assert (csv["status"], csv["reason"], csv["library"]) == \
        ("ok", None, "recorder_csv")
    assert csv["manifest"].endswith("csv.plugin")
    option = {o["name"]: o for o in csv["options"]}["filename"]
    assert set(option) == {"name", "type", "default", "required", "help"}
    assert (option["type"], option["required"]) == ("string", False)


def test_plugins_rejects_unknown_arguments(work):
    proc = run_pikos(["plugins", "--yaml"], work)
    assert_one_error_line(proc)


HELP_MANIFEST = b"""[plugin]
name = doc
kind = filter
library = no_such_library
abi = 1
version = 2.5
summary = A plugin to document

[option field]
type = string
required = true
help = the field to look at

[option limit]
type = int
default = 10
help = how many

[option label]
type = string
default =
"""


def test_help_shows_a_plugin_and_its_options(work):
    plugins = os.path.join(work, "plugins")
    os.mkdir(plugins)
    with open(os.path.join(plugins, "doc.plugin"), "wb") as stream:
        stream.write(HELP_MANIFEST)
    proc = run_pikos(["help", "--plugin-path", plugins, "filters/doc"], work)
    lines = proc.stdout.splitlines()

    assert proc.returncode == 0, proc.stderr
    assert lines[:4] == [
        "filters/doc: A plugin to document",
        "  kind      filter",
        "  version   2.5",
        "  manifest  " + os.path.join(plugins, "doc.plugin"),
    ]
    assert lines[4].startswith("  status    broken: ")
    assert "no_such_library" in lines[4]
    assert lines[5:] == [
        "options:",
        "  NAME   TYPE    DEFAULT     HELP",
        "  field  string  (required)  the field to look at",
        "  limit  int     10          how many",
        '  label  string  ""          ',
    ]


def test_help_accepts_a_bare_name(work):
    proc = run_pikos(["help", "csv"], work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("recorders/csv: ")
    assert "  status    ok" in proc.stdout.splitlines()


def test_help_of_an_unknown_plugin(work):
    proc = run_pikos(["help", "recorders/nope"], work)
    assert_one_error_line(proc)


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["help"]])
def test_usage(work, args):
    proc = run_pikos(args, work)
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: pikos ")
    for word in ["--plugin KIND/NAME", "-o", "--plugin-path DIR", "-m module",
                 "pikos plugins [--json]", "pikos help", "--version"]:
        assert word in proc.stdout


def test_version_names_the_python_it_was_built_for(work):
    proc = run_pikos(["--version"], work)
    python = run_python(["-c", "import sys; "
                               "print('%d.%d' % sys.version_info[:2])"], work)
    match = re.fullmatch(r"pikos (\S+) \(built for Python (\S+)\)\n",
                         proc.stdout)

    assert proc.returncode == 0
    assert match and match.group(2) == python.stdout.strip()


def needy_csv(work):
    """recorders/csv again, in a directory of its own, with a manifest that
    says it needs a Python package no Python has."""
    plugins = os.path.join(work, "needy")
    os.makedirs(plugins)
    built = os.path.join(PIKOS_BUILDDIR, "plugins", "recorders", "csv")
    shutil.copy(os.path.join(built, ".libs", "recorder_csv.so"), plugins)
    with open(os.path.join(built, "csv.plugin"), encoding="utf-8") as src:
        manifest = src.read().replace(
            "[plugin]\n", "[plugin]\npython_module = pikos_no_such_module\n"
            "package = python3-pikos-no-such\n", 1)
    with open(os.path.join(plugins, "csv.plugin"), "w",
              encoding="utf-8") as dst:
        dst.write(manifest)
    return plugins


NEEDS = ("needs the Python package pikos_no_such_module: apt-get install -y "
         "python3-pikos-no-such")


def test_a_plugin_whose_python_package_is_missing_is_unavailable(work):
    plugins = needy_csv(work)
    proc = run_pikos(["plugins", "--plugin-path", plugins], work)

    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^recorders/csv +recorder +unavailable: " +
                     re.escape(NEEDS) + " ", proc.stdout, re.M), proc.stdout
    proc = run_pikos(["plugins", "--json", "--plugin-path", plugins], work)
    [csv_entry] = [p for p in json.loads(proc.stdout)
                   if p["name"] == "recorders/csv"]
    assert (csv_entry["status"], csv_entry["reason"]) == ("unavailable", NEEDS)
    proc = run_pikos(["help", "--plugin-path", plugins, "recorders/csv"], work)
    assert "  status    unavailable: " + NEEDS + "\n" in proc.stdout


def test_a_plugin_whose_python_package_is_there_is_ok(work):
    plugins = needy_csv(work)
    path = os.path.join(plugins, "csv.plugin")
    with open(path, encoding="utf-8") as stream:
        text = stream.read().replace("pikos_no_such_module", "json")
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(text)
    proc = run_pikos(["plugins", "--plugin-path", plugins], work)

    assert re.search(r"^recorders/csv +recorder +ok ", proc.stdout, re.M)


# ------------------------------------------------ broken plugins, shadowing


def test_a_library_that_crashes_as_it_loads_is_listed_broken(work):
    """fixture_crash_load raises SIGSEGV in a constructor: the library is
    tried in a child process, which alone dies of it."""
    lib = os.path.join(fixture_dir("crash_load"), "fixture_crash_load")
    for args in (["plugins"], ["plugins", "--json"],
                 ["help", "recorders/fx_crash_load"]):
        proc = run_pikos([*args, "--plugin-path", fixture_dir("crash_load"),
                          "--plugin-path", fixture_dir("good")], work)
        assert proc.returncode == 0, (args, proc.returncode, proc.stderr)
        assert proc.stderr == ""
        assert (f"{lib}: crashed while loading (SIGSEGV): fix or remove the "
                "plugin") in proc.stdout
    proc = run_pikos(["plugins", "--json", "--plugin-path",
                      fixture_dir("crash_load")], work)
    plugins = {p["name"]: p for p in json.loads(proc.stdout)}
    assert plugins["recorders/fx_crash_load"]["status"] == "broken"


def test_a_manifest_that_does_not_parse_is_listed_under_its_path(work):
    path = os.path.join(fixture_dir("bad_syntax"), "bad_syntax.plugin")
    reason = (f"{path}:5: cannot parse this line (expected [section], "
              "key = value or a ; comment)")
    proc = run_pikos(["plugins", "--plugin-path", fixture_dir("bad_syntax")],
                     work)
    assert proc.returncode == 0 and proc.stderr == ""
    assert table(proc)[path] == ("recorder", f"broken: {reason}")
    proc = run_pikos(["plugins", "--json", "--plugin-path",
                      fixture_dir("bad_syntax")], work)
    plugins = {p["name"]: p for p in json.loads(proc.stdout)}
    assert (plugins[path]["status"], plugins[path]["reason"],
            plugins[path]["manifest"]) == ("broken", reason, path)


def test_a_library_that_does_not_load_shows_the_loaders_reason(work):
    plugins = os.path.join(work, "plugins")
    os.mkdir(plugins)
    with open(os.path.join(plugins, "text.plugin"), "w") as stream:
        stream.write("[plugin]\nname = text_lib\nkind = recorder\n"
                     "library = text_lib\nabi = 1\n")
    with open(os.path.join(plugins, "text_lib.so"), "w") as stream:
        stream.write("A text file named like a shared object, and longer "
                     "than an ELF header.\n")
    proc = run_pikos(["plugins", "--json", "--plugin-path", plugins], work)
    reason = {p["name"]: p for p in
              json.loads(proc.stdout)}["recorders/text_lib"]["reason"]
    assert reason.startswith(f"{plugins}/text_lib: cannot open it "
                             f"({plugins}/text_lib.so: "), reason
    assert "file not found" not in reason


def shadowing_dirs(work):
    """Two directories with recorders/twin (the first wins); only the second
    has recorders/single."""
    first, second = os.path.join(work, "first"), os.path.join(work, "second")
    for directory, names in ((first, ["twin"]), (second, ["twin", "single"])):
        os.makedirs(directory)
        for name in names:
            with open(os.path.join(directory, name + ".plugin"), "w") as f:
                f.write(f"[plugin]\nname = {name}\nkind = recorder\n"
                        f"library = {name}\nabi = 1\n"
                        f"summary = {name} in {directory}\n")
    return (os.path.join(first, "twin.plugin"),
            os.path.join(second, "twin.plugin"), first, second)


def test_a_plugin_that_shadows_another_says_so(work):
    used, hidden, first, second = shadowing_dirs(work)
    proc = run_pikos(["plugins", "--plugin-path", first, "--plugin-path",
                      second], work)
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and proc.stderr == ""
    row = [i for i, line in enumerate(lines)
           if line.startswith("recorders/twin ")]
    assert len(row) == 1 and f"twin in {first}" in lines[row[0]]
    assert lines[row[0] + 1] == f"  shadowing: {used} hides {hidden}"
    assert sum("shadowing:" in line for line in lines) == 1

    proc = run_pikos(["plugins", "--json", "--plugin-path", first,
                      "--plugin-path", second], work)
    plugins = {p["name"]: p for p in json.loads(proc.stdout)}
    assert (plugins["recorders/twin"]["manifest"],
            plugins["recorders/twin"]["shadows"]) == (used, [hidden])
    assert plugins["recorders/single"]["shadows"] == []

