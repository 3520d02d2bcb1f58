"""make bench: the overhead of pikos per event, next to its anchors.

Each configuration runs the same workload (bench/workload.py) in a fresh
process; configurations are interleaved round after round so that machine
noise spreads evenly, and the median of each is kept.  Cost per event is
(profiled - unprofiled) / events, with the event count taken from the
do-nothing C hook.  Everything runs in the interpreter the pikos command
embeds (Debian's shared libpython, a little slower than the statically
linked /usr/bin/python3, whose time is shown for reference).

    python3 bench/run.py --pikos PATH [--rounds N] [--repeat R] [--out FILE]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def configurations(pikos, python, csv_path):
    """(name, argv) of each configuration.  All but the first run in
    pikos's embedded interpreter (its libpython), so that they compare like
    with like; the first shows what the interpreter alone costs there."""
    inproc = os.path.join(HERE, "inproc.py")
    workload = os.path.join(HERE, "workload.py")
    embedded = [pikos, "--plugin", "monitors/idle", inproc]
    return [
        ("python3, unprofiled", [python, inproc, "none"]),
        ("unprofiled", embedded + ["none"]),
        ("do-nothing C hook", embedded + ["null"]),
        ("cProfile", embedded + ["cprofile"]),
        ("pikos functions -> discard",
         [pikos, "--plugin", "recorders/discard", workload]),
        ("pikos functions -> csv file",
         [pikos, "--plugin", "recorders/csv", "-o", csv_path, workload]),
    ]


def run_once(argv, rounds, env):
    out = subprocess.run(argv + [str(rounds)], env=env, check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    elapsed = float(re.search(r"elapsed=([0-9.]+)", out).group(1))
    events = re.search(r"events=([0-9]+)", out)
    return elapsed, int(events.group(1)) if events else 0


def measure(configs, rounds, repeat, env):
    times = {name: [] for name, _ in configs}
    events = 0
    for _ in range(repeat):
        for name, argv in configs:
            elapsed, n = run_once(argv, rounds, env)
            times[name].append(elapsed)
            events = max(events, n)
    return {k: statistics.median(v) for k, v in times.items()}, events


def table(medians, events, python):
    base = medians["unprofiled"]
    lines = ["| configuration | median time (s) | overhead | ns per event |",
             "|---|---:|---:|---:|"]
    for name, t in medians.items():
        per_event = (t - base) / events * 1e9 if events else float("nan")
        lines.append("| %s | %.3f | %.2fx | %.0f |" % (name, t, t / base,
                                                      per_event))
    lines.append("")
    lines.append("%d events per run; %s" % (events, python))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pikos", required=True)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--rounds", type=int, default=250)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out")
    args = parser.parse_args()
    env = dict(os.environ)
    env["PYTHONPATH"] = HERE + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        configs = configurations(args.pikos, args.python,
                                 os.path.join(tmp, "records.csv"))
        medians, events = measure(configs, args.rounds, args.repeat, env)
    text = table(medians, events, args.python)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
