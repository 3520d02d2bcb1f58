"""The _pikos extension's registry: plugins(), load(), __version__.

The reference for plugins() is the manifests themselves, read here with
configparser (an INI reader independent of the core's libinih).
"""
import configparser
import os
import subprocess
import textwrap

import pytest

from conftest import PIKOS_BIN, run_python
from pikos import _pikos

# The plugins this tree builds (Makefile.am), with their kinds.
STANDARD = {
    "monitors/functions": "monitor",
    "monitors/lines": "monitor",
    "monitors/function_memory": "monitor",
    "monitors/line_memory": "monitor",
    "filters/on_value": "filter",
    "filters/not_on_value": "filter",
    "filters/on_change": "filter",
    "recorders/text": "recorder",
    "recorders/csv": "recorder",
    "recorders/list": "recorder",
}
PLURAL = {"monitor": "monitors", "filter": "filters", "recorder": "recorders"}


def manifest_paths():
    """Every NAME.plugin under the directories of PIKOS_PLUGIN_PATH, as the
    registry searches them (three levels deep)."""
    paths = []
    for top in os.environ["PIKOS_PLUGIN_PATH"].split(":"):
        for directory, _, files in os.walk(top):
            depth = os.path.relpath(directory, top).count(os.sep)
            if depth < 3:
                paths += [os.path.join(directory, name) for name in files
                          if name.endswith(".plugin")]
    return sorted(paths)


def text(value):
    """A manifest text with its continuation lines joined by a space."""
    return " ".join(line.strip() for line in value.splitlines()
                    if line.strip()) if value is not None else None


def expected_entry(path):
    """What plugins() must say of the manifest at `path`."""
    ini = configparser.ConfigParser(inline_comment_prefixes=(";",),
                                    interpolation=None)
    ini.read(path, encoding="utf-8")
    plugin = ini["plugin"]
    kind = plugin["kind"].rstrip("s")
    prefix = "external" if kind == "external" else PLURAL[kind]
    options = []
    for section in ini.sections():
        if not section.startswith("option "):
            continue
        option = ini[section]
        options.append({
            "name": section[len("option "):],
            "type": option["type"],
            "default": option.get("default"),
            "required": option.getboolean("required", False),
            "help": text(option.get("help", "")),
        })
    return {
        "name": prefix + "/" + plugin["name"],
        "kind": "monitor" if kind == "external" else kind,
        "summary": text(plugin.get("summary", "")),
        "version": plugin.get("version"),
        "manifest": path,
        "options": options,
    }


def test_plugins_are_the_manifests():
    listed = {entry["name"]: entry for entry in _pikos.plugins()}
    expected = [expected_entry(path) for path in manifest_paths()]
    assert sorted(listed) == sorted(entry["name"] for entry in expected)
    for entry in expected:
        got = dict(listed[entry["name"]])
        assert got.pop("status") in ("ok", "unchecked")
        assert got.pop("reason") is None
        assert got == entry


def test_standard_plugins_and_kinds():
    kinds = {entry["name"]: entry["kind"] for entry in _pikos.plugins()}
    assert {name: kinds.get(name) for name in STANDARD} == STANDARD


def test_python_builtins_are_not_listed():
    names = [entry["name"] for entry in _pikos.plugins()]
    assert "recorders/python" not in names
    assert "filters/python" not in names
    assert len(names) == len(set(names))


def test_load_returns_the_entry_loaded():
    entry = _pikos.load("recorders/csv")
    assert entry["status"] == "ok"
    assert entry == [e for e in _pikos.plugins()
                     if e["name"] == "recorders/csv"][0]
    assert _pikos.load("csv") == entry  # a bare name, where unique


def test_status_unchecked_until_loaded(tmp_path):
    """plugins() reads manifests only; load() opens the library."""
    result = run_python(textwrap.dedent("""
        from pikos import _pikos
        def status():
            return [e["status"] for e in _pikos.plugins()
                    if e["name"] == "monitors/lines"]
        print(status(), _pikos.load("monitors/lines")["status"], status())
        """), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == "['unchecked'] ok ['ok']"


def test_load_unknown_name():
    with pytest.raises(LookupError,
                       match=r"unknown plugin 'monitors/functons' \(did you "
                             r"mean monitors/functions\?\)"):
        _pikos.load("monitors/functons")
    with pytest.raises(LookupError, match="unknown plugin kind 'monster'"):
        _pikos.load("monster/functions")


def test_load_broken_plugin(tmp_path):
    plugin_dir = tmp_path / "plugins"
    plugin_dir.mkdir()
    (plugin_dir / "ghost.plugin").write_text(textwrap.dedent("""\
        [plugin]
        name = ghost
        kind = recorder
        library = recorder_ghost
        abi = 1
        summary = A plugin whose library is missing
        """))
    env = dict(os.environ)
    env["PIKOS_PLUGIN_PATH"] = f"{plugin_dir}:{env['PIKOS_PLUGIN_PATH']}"
    result = run_python(textwrap.dedent("""
        from pikos import _pikos
        try:
            _pikos.load("recorders/ghost")
        except _pikos.Error as error:
            print("Error:", error)
        entry = [e for e in _pikos.plugins() if e["name"] == "recorders/ghost"]
        print(entry[0]["status"], entry[0]["reason"] is not None)
        """), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    error, status = result.stdout.splitlines()
    assert error.startswith("Error: ") and "recorder_ghost" in error
    assert status == "broken True"


def test_version_is_the_command_line_one():
    output = subprocess.run([PIKOS_BIN, "--version"], capture_output=True,
                            text=True, check=True).stdout
    assert output.split()[:2] == ["pikos", _pikos.__version__]


def test_error_is_a_runtime_error():
    assert issubclass(_pikos.Error, RuntimeError)
