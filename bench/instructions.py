"""make bench-instructions: instructions per event, counted by callgrind.

Wall time on a shared machine is noisy; instruction counts are not.  Each
configuration of bench/run.py's suites runs its workload twice under
`valgrind --tool=callgrind` (ROUNDS and 2*ROUNDS rounds); the difference
cancels start-up, and (difference - unprofiled difference) / extra events
is the instructions one event costs.  Instructions are not time (cache
misses, system calls and timer reads cost more than their count: a pread
of /proc/self/statm is a few hundred instructions in the process and
microseconds in the kernel), so this complements bench/run.py.  The slow
pure-Python anchors and the bare pread are left out.

    python3 bench/instructions.py --pikos PATH [--suite ...] [--rounds N]
        [--line-rounds N]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import run as timing  # bench/run.py: the same configurations


def instructions(argv, env):
    """Instructions of every process of the command (the pikos command
    runs the program in a child interpreter), and the events it counted."""
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--trace-children=yes",
         "--callgrind-out-file=/dev/null"] + argv, env=env, check=True,
        text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    collected = re.findall(r"Collected : ([0-9,]+)", out.stderr)
    events = re.search(r"events=([0-9]+)", out.stdout)
    total = sum(int(n.replace(",", "")) for n in collected)
    return total, int(events.group(1)) if events else 0


def per_event(suite, env):
    """Instructions per event of each counted configuration."""
    deltas, extra_events = {}, 0
    for config in suite.configs:
        if not config.counted:
            continue
        small, events_small = instructions(
            timing.argv_of(config, suite.rounds), env)
        large, events_large = instructions(
            timing.argv_of(config, 2 * suite.rounds), env)
        deltas[config.name] = large - small
        if config.name == suite.counter:
            extra_events = events_large - events_small
    baseline = {c.name: c.baseline for c in suite.configs if c.counted}
    return {name: (delta - deltas[baseline[name]]) / extra_events
            for name, delta in deltas.items()}, extra_events


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pikos", required=True)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--suite", choices=timing.SUITES,
                        default="all")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--line-rounds", type=int, default=40)
    args = parser.parse_args()
    # pikos runs through libtool's wrapper script in a build tree: use the
    # real binary, or valgrind would count the shell.
    real = os.path.join(os.path.dirname(args.pikos), ".libs",
                        os.path.basename(args.pikos))
    if os.path.exists(real):
        args.pikos = real
    with tempfile.TemporaryDirectory() as tmp:
        for suite in timing.suites(args, tmp):
            counts, events = per_event(suite, timing.bench_env())
            print("## %s\n\n| configuration | instructions per event |"
                  "\n|---|---:|" % suite.name)
            for name, count in counts.items():
                print("| %s | %.0f |" % (name, count))
            print("\n%d events per %d rounds; %s\n"
                  % (events, suite.rounds, args.python), flush=True)


if __name__ == "__main__":
    main()
