"""Overhead of the external monitors against the profilers they wrap.

Runs bench/workload.py (it prints the wall time of its own work) under:

    cProfile, used directly            external/cprofile
    yappi (cpu clock), used directly   external/yappi

and prints the median time of the work (and of the whole process, which
includes start-up and the emission of the statistics at stop) for each,
with the ratio adapter / direct that issue 6 asks to keep within 1.1.

Both run in pikos's embedded interpreter, so that both run on the same
libpython (a Debian /usr/bin/python3 is a static build, faster than the
shared libpython pikos embeds): "direct" is a small driver that starts the
profiler itself, run by `pikos --plugin monitors/idle` (bench/idle: a
monitor that installs no hook).  Every run records into recorders/discard.

    python3 bench/external_bench.py --pikos cli/pikos [--python PYTHON]
        [--runs 7] [--rounds 100]

Run it after `make check` (which builds bench/idle and bench/discard)
with PIKOS_PLUGIN_PATH set to the build tree's plugins and
PIKOS_NO_DEFAULT_PATH=1, as `make check` does.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "workload.py")

# Each profiler used directly: started, the workload run as __main__,
# stopped, the statistics taken as the adapter takes them.
DIRECT = {
    "cprofile": (
        "import cProfile, runpy, sys\n"
        "p = cProfile.Profile()\n"
        "sys.argv = sys.argv[1:]\n"
        "p.enable()\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "p.disable()\n"
        "p.getstats()\n"),
    "yappi": (
        "import runpy, sys, yappi\n"
        "yappi.set_clock_type('cpu')\n"
        "sys.argv = sys.argv[1:]\n"
        "yappi.start()\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "yappi.stop()\n"
        "list(yappi.get_func_stats())\n"),
}


def timed(command):
    """(work seconds the workload printed, process seconds)."""
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True,
                          check=False)
    total = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{proc.stderr}")
    for line in proc.stdout.splitlines():
        if line.startswith("elapsed="):
            return float(line.split("=", 1)[1]), total
    sys.exit(f"{' '.join(command)} printed no elapsed= line")


def commands(args, name, driver):
    """The direct and the adapter's command line of one profiler."""
    pikos = [args.pikos, "--plugin-path", HERE]
    sink = ["--plugin", "recorders/discard"]
    direct = [*pikos, "--plugin", "monitors/idle", *sink, driver, WORKLOAD,
              str(args.rounds)]
    adapter = [*pikos, "--plugin", f"external/{name}", *sink, WORKLOAD,
               str(args.rounds)]
    return direct, adapter


def measure(args, name, scratch):
    """Medians of (work, process) for direct and adapter, runs alternated
    so that drifts of the machine hit both alike."""
    driver = os.path.join(scratch, f"direct_{name}.py")
    with open(driver, "w", encoding="utf-8") as stream:
        stream.write(DIRECT[name])
    direct, adapter = commands(args, name, driver)
    samples = {"direct": [], "adapter": []}
    for _ in range(args.runs):
        samples["direct"].append(timed(direct))
        samples["adapter"].append(timed(adapter))
    return {kind: (statistics.median(s[0] for s in runs),
                   statistics.median(s[1] for s in runs))
            for kind, runs in samples.items()}


def has_module(python, module):
    code = f"import importlib.util, sys; " \
           f"sys.exit(importlib.util.find_spec('{module}') is None)"
    return subprocess.run([python, "-c", code], check=False).returncode == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pikos", required=True)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()

    print(f"{'profiler':<10} {'direct s':>9} {'pikos s':>9} {'ratio':>6}"
          f"   {'process: direct':>15} {'pikos':>7} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as scratch:
        for name in DIRECT:
            report(args, name, scratch)


def report(args, name, scratch):
    """One line of the table."""
    if name == "yappi" and not has_module(args.python, "yappi"):
        print(f"{name:<10} skipped: yappi is not installed for {args.python}")
        return
    m = measure(args, name, scratch)
    (dw, dp), (aw, ap) = m["direct"], m["adapter"]
    print(f"{name:<10} {dw:9.3f} {aw:9.3f} {aw / dw:6.3f}"
          f"   {dp:15.3f} {ap:7.3f} {ap / dp:6.3f}", flush=True)


if __name__ == "__main__":
    main()
