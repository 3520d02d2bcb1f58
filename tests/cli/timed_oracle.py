"""The oracle of timed function records: a pure-Python profiler.

usage: python3 timed_oracle.py OUT.csv script.py

Runs script.py as tests/cli/oracle.py does, under sys.setprofile and
threading.setprofile, and writes every event as
`thread,type,function,lineNo,firstLineNo`: thread is
threading.get_native_id() (the OS thread id), firstLineNo the code's
co_firstlineno for Python events and 0 for C events - what
TimedFunctionRecord says (docs/records.md).
"""
import builtins
import csv
import os
import sys
import threading


def main():
    out_path, script = sys.argv[1], sys.argv[2]
    filename = os.path.abspath(script)
    with open(script, "rb") as stream:
        code = compile(stream.read(), filename, "exec", dont_inherit=True)
    sys.argv[:] = sys.argv[2:]
    sys.path[0] = os.path.dirname(os.path.realpath(script))
    main_globals = {"__name__": "__main__", "__doc__": None,
                    "__builtins__": builtins, "__file__": filename,
                    "__cached__": None}
    events = []

    def profile(frame, event, arg):
        c_event = event.startswith("c_")
        name = arg.__name__ if c_event else frame.f_code.co_name
        first = 0 if c_event else frame.f_code.co_firstlineno
        if frame.f_code.co_filename == filename:
            events.append((threading.get_native_id(), event, name,
                           frame.f_lineno, first))

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        exec(code, main_globals)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
        with open(out_path, "w", newline="", encoding="utf-8") as stream:
            csv.writer(stream).writerows(events)


if __name__ == "__main__":
    main()
