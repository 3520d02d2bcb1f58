"""The reference for `pikos watch`'s time table: a pure-Python profiler.

usage: python3 watch_oracle.py OUT.json script.py [args...]

Runs script.py as oracle.py does (compiled from its bytes with the
filename python3 gives it, in fresh __main__ globals) under a
sys.setprofile callback (threading.setprofile too, for the threads the
script starts) that rebuilds each thread's call stack the way
plugins/recorders/common/call_stacks.h does: call and c_call push; return
pops the innermost Python frame, closing C frames above it; c_return and
c_exception pop a C frame on top; an end that matches nothing is ignored.
Writes to OUT.json

  {"calls": [[function, filename, first_line, calls], ...],
   "roots": [[function, filename, first_line], ...]}

keyed as `pikos watch` keys a function: a Python function by co_name,
co_filename and co_firstlineno; a C function by its __name__, its
caller's co_filename and 0.  `roots` are the functions of each thread's
outermost calls.  The frames of this file's own code (the exec around the script)
are left out.
"""
import json
import sys
import threading

from oracle import load_main


class CallTree:
    def __init__(self):
        self.calls = {}
        self.roots = set()
        self.stack = []  # (key, is_c)

    def event(self, frame, event, arg):
        code = frame.f_code
        if code.co_filename == __file__:
            return
        if event in ("call", "c_call"):
            is_c = event == "c_call"
            key = ((arg.__name__, code.co_filename, 0) if is_c else
                   (code.co_name, code.co_filename, code.co_firstlineno))
            self.calls[key] = self.calls.get(key, 0) + 1
            if not self.stack:
                self.roots.add(key)
            self.stack.append((key, is_c))
        elif event == "return":
            if any(not is_c for _, is_c in self.stack):
                while self.stack.pop()[1]:
                    pass
        elif event in ("c_return", "c_exception"):
            if self.stack and self.stack[-1][1]:
                self.stack.pop()


def main():
    out_path, script = sys.argv[1], sys.argv[2]
    code, main_globals = load_main(script, sys.argv[2:])
    trees = {}  # per thread

    def profile(frame, event, arg):
        tree = trees.setdefault(threading.get_ident(), CallTree())
        tree.event(frame, event, arg)

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        exec(code, main_globals)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
        write(out_path, list(trees.values()))


def write(out_path, trees):
    calls, roots = {}, set()
    for tree in trees:
        for key, n in tree.calls.items():
            calls[key] = calls.get(key, 0) + n
        roots |= tree.roots
    with open(out_path, "w", encoding="utf-8") as stream:
        json.dump({"calls": [[*key, n] for key, n in calls.items()],
                   "roots": sorted(roots)}, stream)


if __name__ == "__main__":
    main()
