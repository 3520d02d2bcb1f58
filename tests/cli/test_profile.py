"""recorders/profile end to end: a program with nested calls, C calls,
direct and mutual recursion and a second thread, profiled in each format
and read back by an independent reader (pstats.Stats, json and
speedscope's own schema and app in headless chromium, python3-protobuf
and `go tool pprof`, plain Python for collapsed stacks), then compared
with independent oracles (profile_oracle.py): cProfile's call counts, and
a pure-Python sys.setprofile + threading.setprofile call tree.
Never a timing assert: times are only checked against each other."""
import gzip
import html
import http.server
import importlib.util
import json
import marshal
import math
import os
import pstats
import re
import shutil
import subprocess
import threading

import pytest

from conftest import HERE, PIKOS_BUILDDIR, run_pikos, run_python, SCRIPTS

SCRIPT = "profile_calls.py"
MONITOR = "monitors/functions:time=true"
FILES = {"collapsed": "out.collapsed", "speedscope": "out.json",
         "pprof": "out.pb.gz", "pstats": "out.pstats"}
APP_FUNCTIONS = ["<module>", "main", "work", "leaf", "fact", "even", "odd",
                 "outer", "inner", "parse"]


def tool_env():
    """The environment of the readers (protoc, go, npm, chromium): they
    are no programs under test, and a sanitizer build's preloaded runtime
    (run-tests.sh sets LD_PRELOAD) is not for them - it hangs chromium."""
    return {k: v for k, v in os.environ.items()
            if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The program profiled once, by four recorders (one per format) of
    the same run, so that the files describe the same calls; and the
    oracles."""
    work = str(tmp_path_factory.mktemp("profile"))
    shutil.copy(os.path.join(SCRIPTS, SCRIPT), work)
    args = ["--plugin", MONITOR]
    for fmt, name in FILES.items():
        args += ["--plugin", f"recorders/profile:format={fmt},filename={name}"]
    proc = run_pikos([*args, SCRIPT], work)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    for mode, out in (("tree", "tree.json"), ("cprofile", "cprofile.pstats")):
        proc = run_python([os.path.join(HERE, "profile_oracle.py"), mode, out,
                           SCRIPT], work)
        assert proc.returncode == 0, proc.stderr
    return {"dir": work,
            "app": os.path.join(os.path.realpath(work), SCRIPT),
            **{fmt: os.path.join(work, name) for fmt, name in FILES.items()}}


# ------------------------------------------------------------ readers

def frame_text(key):
    """A frame as collapsed stacks write it."""
    if key[0] == "c":
        return f"<built-in method {key[1]}>"
    return f"{key[3]} ({key[1]}:{key[2]})"


def read_pprof(path, tmp_path):
    """A pprof file read with python3-protobuf and profile.proto (compiled
    here with protoc)."""
    if shutil.which("protoc") is None:
        pytest.skip("protoc is not installed (apt-get install protobuf-compiler)")
    pytest.importorskip("google.protobuf")
    subprocess.run(["protoc", f"-I{HERE}", f"--python_out={tmp_path}",
                    os.path.join(HERE, "profile.proto")], check=True,
                    env=tool_env())
    spec = importlib.util.spec_from_file_location(
        "profile_pb2", os.path.join(tmp_path, "profile_pb2.py"))
    profile_pb2 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(profile_pb2)
    profile = profile_pb2.Profile()
    with open(path, "rb") as stream:
        profile.ParseFromString(gzip.decompress(stream.read()))
    return profile


def pprof_keys(profile):
    """Each location id's function key: ("py", file, line, name) or
    ("c", name)."""
    strings = profile.string_table
    functions = {}
    for f in profile.function:
        if strings[f.filename] == "":
            functions[f.id] = ("c", strings[f.system_name])
            assert strings[f.name] == f"<built-in method {strings[f.system_name]}>"
        else:
            functions[f.id] = ("py", strings[f.filename], f.start_line,
                               strings[f.name])
    return {loc.id: functions[loc.line[0].function_id]
            for loc in profile.location}


def pprof_samples(profile):
    strings = profile.string_table
    assert [(strings[t.type], strings[t.unit]) for t in profile.sample_type] \
        == [("wall", "nanoseconds"), ("calls", "count")]
    assert strings[profile.default_sample_type] == "wall"
    keys = pprof_keys(profile)
    samples = []
    for s in profile.sample:
        (label,) = s.label
        assert strings[label.key] == "thread"
        path = tuple(keys[i] for i in reversed(s.location_id))
        samples.append((label.num, path, s.value[0], s.value[1]))
    return samples


def per_thread(samples):
    """{thread: {path: calls}} and {thread: summed wall ns}."""
    calls, wall = {}, {}
    for thread, path, ns, n in samples:
        calls.setdefault(thread, {})[path] = n
        wall[thread] = wall.get(thread, 0) + ns
    return calls, wall


def app_paths(counts, app):
    """The calls of the paths made of the program's own functions (and a C
    function they call last), from the first such frame: what a profiler
    hooked at another point of a thread's life sees the same way."""
    def mine(frame):
        return frame[0] == "py" and frame[1] == app

    out = {}
    for path, n in counts.items():
        start = next((i for i, f in enumerate(path) if mine(f)), None)
        if start is None:
            continue
        sub = tuple(tuple(f) for f in path[start:])
        if all(mine(f) for f in sub[:-1]) and (sub[-1][0] == "c" or mine(sub[-1])):
            out[sub] = out.get(sub, 0) + n
    return out


def comparable(threads, app):
    """Threads (each {path: calls}) as a sorted list, without the ones
    that never ran the program's code."""
    trimmed = [sorted(app_paths(t, app).items()) for t in threads]
    return sorted(t for t in trimmed if t)


# ------------------------------------------------------------ pprof

def test_pprof_call_paths_match_the_setprofile_oracle(run, tmp_path):
    samples = pprof_samples(read_pprof(run["pprof"], tmp_path))
    calls, _ = per_thread(samples)
    assert len(calls) >= 2
    with open(os.path.join(run["dir"], "tree.json"), encoding="utf-8") as s:
        oracle = [{tuple(tuple(f) for f in p): n for p, n in thread}
                  for thread in json.load(s)]
    ours = comparable(calls.values(), run["app"])
    assert ours == comparable(oracle, run["app"])
    assert len(ours) == 2  # the main thread and the helper both ran work()
    fact = ("py", run["app"], 11, "fact")
    assert any(p[-2:] == (fact, fact) for t in ours for p, _ in t)


def test_pprof_exclusive_times_sum_to_the_roots_inclusive_times(run, tmp_path):
    samples = pprof_samples(read_pprof(run["pprof"], tmp_path))
    stats = pstats.Stats(run["pstats"]).stats
    roots = {}
    for _, path, ns, _ in samples:
        roots[path[0]] = roots.get(path[0], 0) + ns
    module = ("py", run["app"], 1, "<module>")
    assert module in roots
    for key, ns in roots.items():
        label = pstats_key(key)
        cc, nc, tt, ct, callers = stats[label]
        if callers:  # also called below another function
            continue
        assert math.isclose(ct, ns / 1e9, rel_tol=1e-9, abs_tol=1e-12), label


def pstats_key(key):
    if key[0] == "c":
        return ("~", 0, f"<built-in method {key[1]}>")
    return (key[1], key[2], key[3])


def go_pprof(args):
    if shutil.which("go") is None:
        pytest.skip("go is not installed (apt-get install golang-go)")
    proc = subprocess.run(["go", "tool", "pprof", *args], capture_output=True,
                          text=True, timeout=300, env=tool_env())
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_go_tool_pprof_reads_the_same_samples(run, tmp_path):
    raw = go_pprof(["-raw", run["pprof"]])
    samples_part, rest = raw.split("\nLocations\n")
    locations = {}
    for line in rest.split("\nMappings\n")[0].splitlines():
        # "ID: 0x0 M=1 NAME FILE:LINE s=START(SYSTEM NAME)"; names and
        # files may hold spaces, so NAME FILE is compared whole.
        m = re.match(r"\s*(\d+): 0x0 M=1 (.*):(\d+) s=(\d+)", line)
        assert m, line
        locations[int(m.group(1))] = m.group(2)
    go_samples = []
    lines = samples_part.split("Samples:\n")[1].splitlines()[1:]
    for sample, label in zip(lines[::2], lines[1::2]):
        ns, n, ids = re.match(r"\s*(\d+)\s+(\d+): ([\d ]+)", sample).groups()
        thread = int(re.match(r"\s*thread:\[(\d+)\]", label).group(1))
        names = tuple(locations[int(i)] for i in reversed(ids.split()))
        go_samples.append((thread, names, int(ns), int(n)))
    ours = [(t, tuple(go_location(k) for k in p), ns, n)
            for t, p, ns, n in pprof_samples(read_pprof(run["pprof"], tmp_path))]
    assert sorted(go_samples) == sorted(ours)
    top = go_pprof(["-top", "-nodefraction=0", "-nodecount=100000",
                    run["pprof"]])
    for name in APP_FUNCTIONS + ["<built-in method divmod>"]:
        assert re.search(rf"\s{re.escape(name)}$", top, re.M), name


def go_location(key):
    """A location as `go tool pprof -raw` shows its name and file."""
    if key[0] == "c":
        return f"<built-in method {key[1]}> "
    return f"{key[3]} {key[1]}"


# ------------------------------------------------------------ pstats

def bare_name(label):
    """A builtin's bare __name__ from cProfile's label for it."""
    for pattern in (r"<built-in method (?:.*\.)?(\w+)>", r"<method '(\w+)' of",
                    r"<(?:.*\.)?(\w+)>"):
        m = re.match(pattern, label)
        if m:
            return m.group(1)
    raise AssertionError(label)


def builtin_calls(stats, app):
    """(builtin's bare name, calling function of the program) -> (nc, cc)."""
    out = {}
    for key, (_, _, _, _, callers) in stats.items():
        if key[0] != "~":
            continue
        for caller, (nc, cc, _, _) in callers.items():
            if caller[0] == app:
                k = (bare_name(key[2]), caller)
                old = out.get(k, (0, 0))
                out[k] = (old[0] + nc, old[1] + cc)
    return out


def test_pstats_call_counts_equal_cprofiles(run):
    ours = pstats.Stats(run["pstats"]).stats
    ref = pstats.Stats(os.path.join(run["dir"], "cprofile.pstats")).stats
    app = run["app"]
    mine = sorted(k for k in ref if k[0] == app)
    assert sorted(k[2] for k in mine) == sorted(APP_FUNCTIONS)
    for key in mine:
        assert ours[key][:2] == ref[key][:2], key
        app_callers = {c: v[:2] for c, v in ref[key][4].items() if c[0] == app}
        assert {c: v[:2] for c, v in ours[key][4].items() if c[0] == app} \
            == app_callers, key
    assert builtin_calls(ours, app) == builtin_calls(ref, app)
    # Recursion as the program makes it: fact(6) in each thread's work()
    # and fact(3) in main(), 15 calls of which 3 primitive; even(7) in each
    # work(), 4 calls of even per even(7) of which 1 primitive.
    assert ours[(app, 11, "fact")][:2] == (3, 15)
    assert ours[(app, 15, "even")][:2] == (2, 8)


def test_pstats_times_nest(run):
    """Every function's time holds its own and its callees' (for the
    program's functions where no recursion makes cProfile count a call's
    time in an outer one)."""
    stats = pstats.Stats(run["pstats"]).stats
    callees = {}
    for callee, (_, _, _, _, callers) in stats.items():
        for caller, edge in callers.items():
            callees.setdefault(caller, []).append(edge)
    checked = 0
    for key, (cc, nc, tt, ct, _) in stats.items():
        edges = callees.get(key, [])
        assert tt <= ct + 1e-12
        for nc_e, cc_e, tt_e, ct_e in edges:
            assert ct_e <= ct + 1e-12, key
        if key[0] != run["app"] or cc != nc or any(e[0] != e[1] for e in edges):
            continue
        assert math.isclose(ct, tt + sum(e[3] for e in edges), rel_tol=1e-9,
                            abs_tol=1e-12), key
        checked += 1
    assert checked >= 4


def test_pstats_file_is_canonical_marshal(run):
    with open(run["pstats"], "rb") as stream:
        data = stream.read()
    assert marshal.dumps(marshal.loads(data), 2) == data


# ------------------------------------------------------------ collapsed

def read_collapsed(path):
    out = {}
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            stack, ns = line.rstrip("\n").rsplit(" ", 1)
            thread, *frames = stack.split(";")
            assert re.fullmatch(r"thread-\d+", thread)
            key = (int(thread[7:]), tuple(frames))
            assert key not in out
            out[key] = int(ns)
            assert out[key] > 0
    return out


def pprof_timed_paths(run, tmp_path):
    """{(thread, path of frame texts): wall ns} of the pprof samples with
    time, the paths collapsed stacks and speedscope keep."""
    return {(t, tuple(frame_text(k) for k in p)): ns
            for t, p, ns, _ in pprof_samples(read_pprof(run["pprof"], tmp_path))
            if ns > 0}


def test_collapsed_stacks_are_the_pprof_paths_with_time(run, tmp_path):
    collapsed = read_collapsed(run["collapsed"])
    assert collapsed == pprof_timed_paths(run, tmp_path)
    assert len({t for t, _ in collapsed}) >= 2
    app = run["app"]
    for name in APP_FUNCTIONS:
        assert any(f.startswith(f"{name} ({app}:") for _, p in collapsed
                   for f in p), name
    assert any(f == "<built-in method divmod>" for _, p in collapsed for f in p)


# ------------------------------------------------------------ speedscope

def npm_speedscope():
    """speedscope's dist/release directory, installed into the build
    directory with npm the first time."""
    prefix = os.path.join(PIKOS_BUILDDIR, "tests", "cli", "npm")
    release = os.path.join(prefix, "node_modules", "speedscope", "dist",
                           "release")
    if os.path.isdir(release):
        return release
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: speedscope's schema and app are "
                    "not available")
    proc = subprocess.run(["npm", "install", "--no-audit", "--no-fund",
                           "--prefix", prefix, "speedscope"],
                          capture_output=True, text=True, timeout=600,
                          env=tool_env())
    if proc.returncode != 0 or not os.path.isdir(release):
        pytest.skip(f"npm could not install speedscope: {proc.stderr[-300:]}")
    return release


def check_schema(value, schema, root, where="$"):
    """The parts of JSON Schema (draft 7) speedscope's schema uses: $ref,
    type, const, enum, properties, required, items, anyOf."""
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return check_schema(value, target, root, where)
    if "anyOf" in schema:
        errors = [check_schema(value, s, root, where) for s in schema["anyOf"]]
        return None if None in errors else f"{where}: matches no anyOf"
    kind = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "number": (int, float)}
    if kind and not (isinstance(value, types[kind]) and not isinstance(value, bool)):
        return f"{where}: not a {kind}"
    if "const" in schema and value != schema["const"]:
        return f"{where}: not {schema['const']!r}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where}: not one of {schema['enum']}"
    for name in schema.get("required", []):
        if name not in value:
            return f"{where}: lacks {name}"
    for name, sub in schema.get("properties", {}).items():
        if name in value:
            error = check_schema(value[name], sub, root, f"{where}.{name}")
            if error:
                return error
    if "items" in schema:
        for i, item in enumerate(value):
            error = check_schema(item, schema["items"], root, f"{where}[{i}]")
            if error:
                return error
    return None


def read_speedscope(path):
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


def test_speedscope_file_follows_the_schema(run):
    doc = read_speedscope(run["speedscope"])
    frames = doc["shared"]["frames"]
    assert len(doc["profiles"]) >= 2
    for profile in doc["profiles"]:
        assert profile["type"] == "sampled"
        assert profile["unit"] == "nanoseconds"
        assert len(profile["samples"]) == len(profile["weights"])
        assert all(0 <= i < len(frames) for s in profile["samples"] for i in s)
        assert all(w > 0 for w in profile["weights"])
        assert profile["endValue"] == sum(profile["weights"])
    names = {f["name"] for f in frames}
    assert set(APP_FUNCTIONS) <= names
    assert "<built-in method divmod>" in names
    with open(os.path.join(npm_speedscope(), "file-format-schema.json"),
              encoding="utf-8") as stream:
        schema = json.load(stream)
    assert check_schema(doc, {"$ref": "#/definitions/FileFormat.File"},
                        schema) is None
    broken = dict(doc, profiles=[dict(doc["profiles"][0], unit="ticks")])
    assert check_schema(broken, {"$ref": "#/definitions/FileFormat.File"},
                        schema) is not None  # the checker does check


def test_speedscope_samples_are_the_pprof_paths_with_time(run, tmp_path):
    doc = read_speedscope(run["speedscope"])
    frames = doc["shared"]["frames"]

    def text(frame):
        if "file" not in frame:
            return frame["name"]
        return f"{frame['name']} ({frame['file']}:{frame['line']})"

    paths = {}
    for profile in doc["profiles"]:
        thread = int(re.fullmatch(r"thread (\d+)", profile["name"]).group(1))
        for sample, weight in zip(profile["samples"], profile["weights"]):
            paths[(thread, tuple(text(frames[i]) for i in sample))] = weight
    assert paths == pprof_timed_paths(run, tmp_path)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("chromium is not installed")


def speedscope_shows(path, tmp_path):
    """The symbol names the speedscope app (from the npm package, served
    over http as it needs) shows in its sandwich view of a file, rendered
    by headless chromium; and the page's title."""
    browser = chromium()
    site = tmp_path / "site"
    shutil.copytree(npm_speedscope(), site)
    name = "profile" + os.path.splitext(path)[1]
    shutil.copy(path, site / name)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = (f"http://127.0.0.1:{server.server_address[1]}/index.html"
           f"#profileURL=/{name}&view=sandwich")
    try:
        # --dump-dom sometimes fires before the app has fetched and drawn
        # the profile (an empty list): only that is tried again.
        for attempt in range(5):
            title, shown = dump_speedscope(browser, url, tmp_path / "chromium")
            if shown:
                break
    finally:
        server.shutdown()
        server.server_close()
    return title, shown


def dump_speedscope(browser, url, user_data):
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu",
         f"--user-data-dir={user_data}", "--window-size=1280,8000",
         "--virtual-time-budget=15000", "--dump-dom", url],
        capture_output=True, text=True, timeout=300, env=tool_env())
    assert proc.returncode == 0, proc.stderr[-2000:]
    title = re.search(r"<title>([^<]*)</title>", proc.stdout).group(1)
    shown = {html.unescape(m)
             for m in re.findall(r"</span>([^<>]+)</td>", proc.stdout)}
    return title, shown


@pytest.mark.parametrize("fmt", ["speedscope", "collapsed", "pprof"])
def test_speedscope_app_renders_the_function_names(run, tmp_path, fmt):
    """speedscope reads its own format, collapsed stacks and pprof."""
    title, shown = speedscope_shows(run[fmt], tmp_path)
    if fmt == "speedscope":
        assert title == "pikos profile - speedscope"
    for name in APP_FUNCTIONS:
        if fmt == "collapsed":
            assert any(s.startswith(f"{name} ({run['app']}:") for s in shown), name
        else:
            assert name in shown, name


# ------------------------------------------------------------ errors

def test_untimed_records_are_refused_with_one_clear_line(run):
    proc = run_pikos(["--plugin", "monitors/functions", "--plugin",
                      "recorders/profile", SCRIPT], run["dir"])
    assert proc.returncode != 0
    assert proc.stderr.splitlines() == [
        "pikos: [recorders/profile] a profile takes timed records: "
        "FunctionRecord has no time and thread fields (give the monitor "
        "time=true, e.g. monitors/functions:time=true)"]


def test_line_records_and_unknown_formats_are_refused(run):
    proc = run_pikos(["--plugin", "monitors/lines:time=true", "--plugin",
                      "recorders/profile", SCRIPT], run["dir"])
    assert proc.returncode != 0
    assert len(proc.stderr.splitlines()) == 1
    assert "takes function records" in proc.stderr
    proc = run_pikos(["--plugin", MONITOR, "--plugin",
                      "recorders/profile:format=svg", SCRIPT], run["dir"])
    assert proc.returncode != 0
    assert proc.stderr.splitlines() == [
        "pikos: [recorders/profile] option 'format' must be collapsed, "
        "speedscope, pprof or pstats, not 'svg'"]


def test_default_file_names(run, tmp_path):
    shutil.copy(os.path.join(SCRIPTS, SCRIPT), tmp_path)
    for fmt, name in (("collapsed", "profile.collapsed"),
                      ("pstats", "profile.pstats")):
        proc = run_pikos(["--plugin", MONITOR, "--plugin",
                          f"recorders/profile:format={fmt}", SCRIPT],
                         str(tmp_path))
        assert proc.returncode == 0, proc.stderr
        assert os.path.getsize(tmp_path / name) > 0


def test_function_memory_records_make_the_same_counts(run, tmp_path):
    """TimedFunctionMemoryRecord is read like TimedFunctionRecord."""
    shutil.copy(os.path.join(SCRIPTS, SCRIPT), tmp_path)
    proc = run_pikos(["--plugin", "monitors/function_memory:time=true",
                      "--plugin", "recorders/profile:format=pstats,"
                      "filename=memory.pstats", SCRIPT], str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    ours = pstats.Stats(str(tmp_path / "memory.pstats")).stats
    ref = pstats.Stats(os.path.join(run["dir"], "cprofile.pstats")).stats
    app = os.path.join(os.path.realpath(str(tmp_path)), SCRIPT)
    counts = {k[1:]: v[:2] for k, v in ours.items() if k[0] == app}
    assert counts == {k[1:]: v[:2] for k, v in ref.items() if k[0] == run["app"]}
