"""The references recorders/profile is tested against (test_profile.py).

usage: python3 profile_oracle.py tree OUT.json script.py [args...]
       python3 profile_oracle.py cprofile OUT.pstats script.py [args...]

Runs script.py as oracle.py runs it (compiled with the filename python3
gives it, in fresh __main__ globals), under:

- tree: a pure-Python sys.setprofile + threading.setprofile callback that
  rebuilds each thread's stack (a return first ends the C calls left open
  above its frame; ends of calls entered before the callback are ignored)
  and counts the calls that end on each call path.  OUT.json is a list,
  one item per thread in the order first seen, of [path, calls] pairs; a
  frame is ["py", co_filename, co_firstlineno, co_name] or ["c", name].
- cprofile: cProfile, one Profile per thread before 3.12
  (threading.Thread.run is wrapped to run under its own; merged with
  pstats.Stats.add), one for every thread from 3.12 (sys.monitoring);
  written with dump_stats.
"""
import cProfile
import json
import pstats
import sys
import threading

from oracle import load_main


class Tree:
    def __init__(self):
        self.lock = threading.Lock()
        self.threads = {}  # ident -> {path: calls}, in the order first seen
        self.stacks = {}

    def end(self, stack, counts):
        path = tuple(frame for frame, _ in stack)
        counts[path] = counts.get(path, 0) + 1
        stack.pop()

    def hook(self, frame, event, arg):
        ident = threading.get_ident()
        with self.lock:
            counts = self.threads.setdefault(ident, {})
            stack = self.stacks.setdefault(ident, [])
        if event == "call":
            code = frame.f_code
            stack.append((("py", code.co_filename, code.co_firstlineno,
                           code.co_name), False))
        elif event == "c_call":
            stack.append((("c", arg.__name__), True))
        elif event == "return":
            if any(not is_c for _, is_c in stack):
                while stack[-1][1]:
                    self.end(stack, counts)
                self.end(stack, counts)
        elif stack and stack[-1][1]:  # c_return, c_exception
            self.end(stack, counts)

    def dump(self, path):
        threads = [[[list(p), n] for p, n in counts.items()]
                   for counts in self.threads.values()]
        with open(path, "w", encoding="utf-8") as stream:
            json.dump(threads, stream)


def run_tree(out, code, main_globals):
    tree = Tree()
    threading.setprofile(tree.hook)
    sys.setprofile(tree.hook)
    try:
        exec(code, main_globals)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
        tree.dump(out)


def run_cprofile(out, code, main_globals):
    profiles = [cProfile.Profile()]
    original_run = threading.Thread.run

    def run(thread):
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()
        try:
            original_run(thread)
        finally:
            profile.disable()

    # Before 3.12 a Profile sees the thread that enabled it only; from 3.12
    # it is a sys.monitoring tool, one for the whole interpreter, that sees
    # every thread (and a second one cannot be enabled).
    if sys.version_info < (3, 12):
        threading.Thread.run = run
    profiles[0].enable()
    try:
        exec(code, main_globals)
    finally:
        profiles[0].disable()
        threading.Thread.run = original_run
        stats = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            stats.add(profile)
        stats.dump_stats(out)


def main():
    mode, out, script = sys.argv[1:4]
    code, main_globals = load_main(script, [script, *sys.argv[4:]])
    {"tree": run_tree, "cprofile": run_cprofile}[mode](out, code, main_globals)


if __name__ == "__main__":
    main()
