"""Plugins by name: pikos.plugins(), pikos.monitor(), pikos.recorder(),
pikos.filter(); bad names and bad options; third-party plugins."""
import collections
import csv
import json
import os
import shutil
import subprocess
import textwrap

import pytest

import oracle
import pikos
import workloads
from conftest import PIKOS_BIN, PIKOS_BUILDDIR, PIKOS_SRCDIR, TIMEOUT, \
    run_python
from pikos import _pikos
from pikos.monitors.api import Monitor
from pikos.recorders.api import ListRecorder

HERE = workloads.FILENAME


def cli_plugins():
    result = subprocess.run([PIKOS_BIN, "plugins", "--json"],
                            capture_output=True, text=True, timeout=TIMEOUT,
                            check=True)
    return json.loads(result.stdout)


def test_version():
    assert pikos.__version__ == _pikos.__version__
    version = subprocess.run([PIKOS_BIN, "--version"], capture_output=True,
                             text=True, timeout=TIMEOUT).stdout
    assert pikos.__version__ in version


def test_plugins_as_the_command_lists_them():
    mine = pikos.plugins()
    theirs = cli_plugins()
    assert [p.name for p in mine] == [p["name"] for p in theirs]
    for plugin, entry in zip(mine, theirs):
        assert (plugin.kind, plugin.summary, plugin.version,
                plugin.manifest) == (entry["kind"], entry["summary"],
                                     entry["version"], entry["manifest"])
        assert [(o.name, o.type, o.default, o.required, o.help)
                for o in plugin.options] == \
            [(o["name"], o["type"], o["default"], o["required"], o["help"])
             for o in entry["options"]]
        assert plugin.status in ("ok", "unchecked")
    names = {p.name for p in mine}
    assert {"monitors/functions", "monitors/lines", "recorders/csv",
            "filters/on_value"} <= names
    assert "recorders/python" not in names


def test_monitor_by_name(tmp_path):
    path = tmp_path / "out.csv"
    monitor = pikos.monitor(
        "monitors/lines",
        recorder=pikos.recorder("recorders/csv", filename=str(path)),
        filters=[pikos.filter("filters/on_value", field="function",
                              values=["gcd_loop", "internal"])])
    assert isinstance(monitor, Monitor)
    with monitor:
        workloads.outside()
    with open(path, newline="") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["index", "function", "lineNo", "line", "filename"]
    mine = [(int(r[0]), r[1], int(r[2]), r[3], r[4]) for r in rows[1:]]
    expected = [e for e in oracle.line_events(workloads.outside)
                if e[1] in ("gcd_loop", "internal")]
    assert oracle.of_file(mine, HERE) == oracle.of_file(expected, HERE)
    assert len(mine) > 5


def test_monitor_by_name_focus_and_options():
    recorder = ListRecorder()
    monitor = pikos.monitor("function_memory", recorder=recorder,
                            functions=[workloads.gcd], memory="sampled",
                            interval=50)
    with monitor:
        workloads.recursive()
    assert [(r.index, r.type, r.function, r.lineNo, r.filename)
            for r in recorder.records] == \
        oracle.focused_function_events([workloads.gcd], workloads.recursive)


def test_unknown_plugin():
    with pytest.raises(LookupError, match=r"monitors/line\b.*did you mean"):
        pikos.monitor("monitors/line")
    with pytest.raises(LookupError, match="recorders/csv"):
        pikos.recorder("recorders/csvv")
    with pytest.raises(LookupError):
        pikos.filter("filters/nothing_like_it")


def test_wrong_kind():
    with pytest.raises(ValueError, match="recorders/csv is a recorder, not "
                                         "a monitor"):
        pikos.monitor("recorders/csv")
    with pytest.raises(ValueError, match="is a monitor, not a filter"):
        pikos.filter("monitors/lines")


def started(recorder=None, filters=None, **options):
    """A functions monitor with these parts, enabled (and disabled)."""
    monitor = pikos.monitor("monitors/functions", recorder=recorder,
                            filters=filters, **options)
    monitor.enable()
    monitor.disable()


@pytest.mark.parametrize("make,error,pattern", [
    (lambda: pikos.recorder("recorders/csv", bogus=1), ValueError,
     r"^\[recorders/csv\] unknown option 'bogus' \(options: filename, "
     r"delimiter\)$"),
    (lambda: started(pikos.recorder("recorders/text", formatted="maybe")),
     ValueError, r"^\[recorders/text\] option 'formatted' expects a bool"),
    (lambda: pikos.recorder("recorders/text", formatted=1), TypeError,
     r"^\[recorders/text\] option 'formatted' expects a bool, got int"),
    (lambda: pikos.filter("filters/on_value", field="function"), ValueError,
     r"^\[filters/on_value\] option 'values' is required"),
    (lambda: pikos.filter("filters/on_value", field="f", values=[1]),
     TypeError, r"^\[filters/on_value\] option 'values' expects a list"),
    (lambda: started(threads="some"), ValueError,
     r"^\[monitors/functions\] threads=some is not a choice"),
    (lambda: pikos.monitor("monitors/function_memory", interval=1.5),
     TypeError, r"^\[monitors/function_memory\] option 'interval' expects "
                r"an int"),
    (lambda: started(filters=[pikos.filter("filters/on_value",
                                           field="function",
                                           values=["a;b"])]),
     ValueError, r"on_value.*values"),
])
def test_bad_options(make, error, pattern):
    """Errors name the plugin and the option; a value only the plugin can
    check fails when the monitor first starts."""
    with pytest.raises(error, match=pattern):
        make()


def fixtures_env(*directories):
    env = dict(os.environ)
    env["PIKOS_PLUGIN_PATH"] = os.pathsep.join(
        [*directories, env["PIKOS_PLUGIN_PATH"]])
    return env


def test_fixture_plugins(tmp_path):
    """Plugins on PIKOS_PLUGIN_PATH (the unit tests' fixtures): found,
    options checked, broken ones reported with the reason."""
    code = textwrap.dedent("""
        import pikos
        good = pikos.recorder("recorders/fx_good", limit=5, tags=["x"])
        with pikos.monitor("monitors/functions", recorder=good):
            sum(range(3))
        for name, options in (("recorders/fx_good", {"limit": "x"}),
                              ("recorders/fx_good", {"nope": 1}),
                              ("recorders/fx_missing_library", {}),
                              ("recorders/fx_init_fails", {})):
            try:
                recorder = pikos.recorder(name, **options)
                with pikos.monitor("monitors/functions", recorder=recorder):
                    pass
            except Exception as error:
                print(type(error).__name__, error)
    """)
    result = run_python(code, tmp_path, env=fixtures_env(
        os.path.join(PIKOS_BUILDDIR, "tests", "unit", "fixtures")))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4, result.stdout
    assert lines[0].startswith("ValueError [recorders/fx_good] option "
                               "'limit' expects an int")
    assert lines[1] == ("ValueError [recorders/fx_good] unknown option "
                        "'nope' (options: limit, label, tags)")
    assert lines[2].startswith("Error ") and "fx_missing_library" in lines[2]
    assert lines[3].startswith("Error ") and "fx_init_fails" in lines[3]


def test_third_party_plugin(tmp_path):
    """examples/plugins/count_calls, built out of the tree as its author
    would, works from Python as the built-in plugins do."""
    compiler = os.environ.get("CC") or shutil.which("cc") or \
        shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build examples/plugins/count_calls")
    source = os.path.join(PIKOS_SRCDIR, "examples", "plugins", "count_calls")
    plugin_dir = tmp_path / "count_calls"
    plugin_dir.mkdir()
    shutil.copy(os.path.join(source, "count_calls.plugin"), plugin_dir)
    subprocess.run([compiler, "-fPIC", "-shared", "-I",
                    os.path.join(PIKOS_SRCDIR, "core", "include"), "-o",
                    str(plugin_dir / "count_calls.so"),
                    os.path.join(source, "count_calls.c")],
                   check=True, timeout=TIMEOUT)
    shutil.copy(workloads.FILENAME, tmp_path / "workloads.py")
    code = textwrap.dedent("""
        import pikos, workloads
        recorder = pikos.recorder("recorders/count_calls",
                                  filename="counts.txt")
        with pikos.monitor("monitors/functions", recorder=recorder,
                           functions=[workloads.outside]):
            workloads.outside()
    """)
    result = run_python(code, tmp_path, env=fixtures_env(str(plugin_dir)))
    assert result.returncode == 0, result.stderr
    counts = collections.Counter(
        event[2] for event in oracle.focused_function_events(
            [workloads.outside], workloads.outside))
    expected = ["%-12s %s" % ("records", "function")] + [
        "%-12d %s" % (n, name) for name, n in
        sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    assert (tmp_path / "counts.txt").read_text().splitlines() == expected
