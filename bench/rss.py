"""make bench-rss: peak memory of long timed runs (issue 14).

Runs bench/workload.py under `pikos --plugin monitors/functions:time=true`
into recorders/perfetto and recorders/profile for about 1 million and
about 100 million events, each in a fresh process, and prints the peak
resident size of the profiled interpreter (getrusage RUSAGE_CHILDREN of a
wrapper process that waits for the pikos command, which waits for its
child: the largest of them) and the size of the file written.  A recorder
whose memory grows with the run's length shows it here; one that streams
(perfetto) or aggregates by call path (profile) stays within a constant.

    python3 bench/rss.py --pikos PATH [--python PYTHON] [--events N ...]
"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
EVENTS_PER_ROUND = 36_726  # bench/workload.py: fib(18) and walk(2000)

# Run in a fresh interpreter: its RUSAGE_CHILDREN covers only this run.
WRAPPER = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""

RECORDERS = [
    ("perfetto", "recorders/perfetto", "trace.perfetto-trace"),
    ("profile (pstats)", "recorders/profile:format=pstats", "out.pstats"),
]


def peak_kib(python, argv):
    out = subprocess.run([python, "-c", WRAPPER, *argv], check=True,
                         capture_output=True, text=True).stdout
    return int(out.split()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pikos", required=True)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--events", type=int, nargs="+",
                        default=[1_000_000, 100_000_000])
    args = parser.parse_args()
    workload = os.path.join(HERE, "workload.py")
    print("| recorder | events | peak RSS (MiB) | file (MiB) |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for name, recorder, filename in RECORDERS:
            for events in args.events:
                rounds = max(1, events // EVENTS_PER_ROUND)
                path = os.path.join(tmp, filename)
                argv = [args.pikos, "--plugin",
                        "monitors/functions:time=true", "--plugin",
                        recorder + ("," if ":" in recorder else ":") +
                        "filename=" + path, workload, str(rounds)]
                kib = peak_kib(args.python, argv)
                print("| %s | %d | %.1f | %.1f |" % (
                    name, rounds * EVENTS_PER_ROUND, kib / 1024,
                    os.path.getsize(path) / 2**20), flush=True)
                os.unlink(path)
    print("\n%s" % args.python)


if __name__ == "__main__":
    main()
