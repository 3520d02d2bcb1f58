"""make bench-instructions: instructions per event, counted by callgrind.

Wall time on a shared machine is noisy; instruction counts are not.  Each
configuration runs the workload twice under `valgrind --tool=callgrind`
(ROUNDS and 2*ROUNDS rounds); the difference cancels start-up, and
(difference - unprofiled difference) / extra events is the instructions one
event costs.  Instructions are not time (cache misses, system calls and
timer reads cost more than their count), so this complements bench/run.py.

    python3 bench/instructions.py --pikos PATH [--rounds N]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import run as timing  # bench/run.py: the same configurations


def instructions(argv, rounds, env):
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
        + argv + [str(rounds)], env=env, check=True, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    collected = re.search(r"Collected : ([0-9,]+)", out.stderr).group(1)
    events = re.search(r"events=([0-9]+)", out.stdout)
    return int(collected.replace(",", "")), int(events.group(1)) if events else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pikos", required=True)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    env = dict(os.environ)
    env["PYTHONPATH"] = timing.HERE + os.pathsep + env.get("PYTHONPATH", "")
    # pikos runs through libtool's wrapper script in a build tree: use the
    # real binary, or valgrind would count the shell.
    real = os.path.join(os.path.dirname(args.pikos), ".libs",
                        os.path.basename(args.pikos))
    pikos = real if os.path.exists(real) else args.pikos
    with tempfile.TemporaryDirectory() as tmp:
        configs = timing.configurations(pikos, args.python,
                                        os.path.join(tmp, "records.csv"))
        deltas, extra_events = {}, 0
        for name, argv in configs:
            small, events_small = instructions(argv, args.rounds, env)
            large, events_large = instructions(argv, 2 * args.rounds, env)
            deltas[name] = large - small
            extra_events = max(extra_events, events_large - events_small)
    base = deltas["unprofiled"]
    print("| configuration | instructions per event |")
    print("|---|---:|")
    for name, delta in deltas.items():
        print("| %s | %.0f |" % (name, (delta - base) / extra_events))
    print("\n%d events per %d rounds; %s" % (extra_events, args.rounds,
                                           args.python))


if __name__ == "__main__":
    main()
