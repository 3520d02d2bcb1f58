"""recorders/zmq against recorders/csv, with a live pyzmq subscriber.

Issue 5's target: monitors/functions -> recorders/zmq, with a subscriber
reading every message, costs at most 1.5x what monitors/functions ->
recorders/csv costs per event, on bench/workload.py.  Also measured: how
many records per second reach a pyzmq subscriber that decodes each
message's JSON (json.loads), with slow=drop (the default: the program is
never held up, a subscriber that falls behind misses records, counted)
and slow=block (nothing is lost, the program waits for the subscriber).

Each configuration runs in a fresh process; configurations are
interleaved run after run and the median of each is kept.  Cost per event
is (profiled - unprofiled) / events, over the workload's own elapsed
time (interpreter start-up and pikos set-up left out); the events are
counted by the subscriber (the end message's count plus dropped).  The
subscriber runs in its own process (`--subscribe`), with /usr/bin/python3
(or --subscriber-python), which must have pyzmq.

    python3 bench/zmq_bench.py --pikos PATH [--python PYTHON]
        [--rounds N] [--repeat R] [--subscriber-python PYTHON]

With PIKOS_PLUGIN_PATH holding bench/ (as `make bench` sets it), the
baseline runs under `pikos --plugin monitors/idle` (the embedded
interpreter, no hook); otherwise under --python.
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORKLOAD = os.path.join(HERE, "workload.py")
ELAPSED = re.compile(r"elapsed=([0-9.]+)")


def free_port():
    """A TCP port on 127.0.0.1 that no one listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def subscribe(endpoint, timeout):
    """The subscriber process: reads and decodes every message of one
    stream until its end message; prints a JSON summary."""
    import zmq  # only the subscriber process needs pyzmq

    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"pikos.")
    sub.connect(endpoint)
    received, first, end = 0, None, None
    while end is None and sub.poll(timeout * 1000):
        topic, body = sub.recv_multipart()
        message = json.loads(body)
        if topic == b"pikos.records":
            first = first or time.perf_counter()
            received += len(message["records"])
        elif topic == b"pikos.end":
            end = message
    seconds = time.perf_counter() - first if first else 0.0
    print(json.dumps({"received": received, "seconds": seconds,
                      "end": end}))
    sub.close()
    context.term()


def plugin_available(pikos, name):
    listing = subprocess.run([pikos, "plugins"], capture_output=True,
                             text=True)
    return any(line.split()[:1] == [name] and " ok " in line
               for line in listing.stdout.splitlines())


def elapsed_of(proc):
    if proc.returncode != 0:
        raise RuntimeError("a run failed:\n" + proc.stderr)
    return float(ELAPSED.search(proc.stdout).group(1))


class Bench:
    def __init__(self, args, tmp):
        self.args = args
        self.csv = os.path.join(tmp, "zmq_bench.csv")
        rounds = str(args.rounds)
        if plugin_available(args.pikos, "monitors/idle"):
            self.baseline = [args.pikos, "--plugin", "monitors/idle",
                             os.path.join(HERE, "inproc.py"), "none", rounds]
        else:
            self.baseline = [args.python, WORKLOAD, rounds]
        self.configs = {
            "unprofiled": self.plain(self.baseline),
            "functions -> csv file": self.plain(
                [args.pikos, "--plugin", "recorders/csv", "-o", self.csv,
                 WORKLOAD, rounds]),
            "functions -> zmq, no subscriber": self.plain(
                [args.pikos, "--plugin",
                 "recorders/zmq:port=%d" % free_port(), WORKLOAD, rounds]),
            "functions -> zmq slow=drop, live subscriber":
                lambda: self.watched("drop"),
            "functions -> zmq slow=block, live subscriber":
                lambda: self.watched("block"),
        }
        self.times = {name: [] for name in self.configs}
        self.watches = {name: [] for name in self.configs}

    @staticmethod
    def plain(argv):
        return lambda: (elapsed_of(subprocess.run(
            argv, capture_output=True, text=True)), None)

    def watched(self, slow):
        port = free_port()
        reader = subprocess.Popen(
            [self.args.subscriber_python, os.path.abspath(__file__),
             "--subscribe", "tcp://127.0.0.1:%d" % port],
            stdout=subprocess.PIPE, text=True)
        try:
            proc = subprocess.run(
                [self.args.pikos, "--plugin",
                 "recorders/zmq:port=%d,wait_for_ready=true,slow=%s"
                 % (port, slow), WORKLOAD, str(self.args.rounds)],
                capture_output=True, text=True)
            summary = json.loads(reader.communicate(timeout=600)[0])
        finally:
            if reader.poll() is None:
                reader.kill()
        return elapsed_of(proc), summary

    def run(self):
        for _ in range(self.args.repeat):
            for name, run in self.configs.items():
                seconds, summary = run()
                self.times[name].append(seconds)
                if summary is not None:
                    self.watches[name].append(summary)

    def events(self):
        summaries = [s for runs in self.watches.values() for s in runs]
        if any(s["end"] is None for s in summaries):
            raise RuntimeError("a subscriber never got the end message")
        counts = {s["end"]["count"] + s["end"]["dropped"] for s in summaries}
        if len(counts) != 1:
            raise RuntimeError("runs disagree on the events: %s" % counts)
        return counts.pop()


def report(bench):
    events = bench.events()
    median = {n: statistics.median(t) for n, t in bench.times.items()}
    base = median["unprofiled"]
    cost = {n: (t - base) / events * 1e9 for n, t in median.items()}
    csv_cost = cost["functions -> csv file"]
    print("%d events per run (bench/workload.py %d rounds), median of %d"
          % (events, bench.args.rounds, bench.args.repeat))
    print()
    print("| configuration | median time (s) | ns per event | vs csv |"
          " records delivered | delivered records/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, t in median.items():
        runs = bench.watches[name]
        delivered = rate = ""
        if runs:
            received = statistics.median(s["received"] for s in runs)
            rate_value = statistics.median(
                s["received"] / s["seconds"] for s in runs if s["seconds"])
            delivered = "%.1f%%" % (100.0 * received / events)
            rate = "%.0f" % rate_value
        ratio = "%.2fx" % (cost[name] / csv_cost) if name != "unprofiled" \
            else ""
        print("| %s | %.3f | %.0f | %s | %s | %s |"
              % (name, t, cost[name], ratio, delivered, rate))
    drop = cost["functions -> zmq slow=drop, live subscriber"]
    verdict = "holds" if drop <= 1.5 * csv_cost else "MISSED"
    print()
    print("target: zmq (slow=drop, live subscriber) <= 1.5 x csv per event:"
          " %.0f ns vs %.0f ns: %s" % (drop, 1.5 * csv_cost, verdict))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pikos")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--subscriber-python", default="/usr/bin/python3")
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--subscribe", metavar="ENDPOINT",
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.subscribe:
        subscribe(args.subscribe, timeout=30)
        return
    if not args.pikos:
        parser.error("--pikos PATH is required")
    with tempfile.TemporaryDirectory() as tmp:
        bench = Bench(args, tmp)
        bench.run()
        report(bench)


if __name__ == "__main__":
    main()
