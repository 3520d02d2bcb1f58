"""The oracle of timed function records: a pure-Python profiler.

usage: python3 timed_oracle.py OUT.csv script.py

Runs script.py as tests/cli/oracle.py does, under sys.setprofile and
threading.setprofile, and writes every event as
`thread,type,function,lineNo,firstLineNo`: thread is
threading.get_native_id() (the OS thread id), firstLineNo the code's
co_firstlineno for Python events and 0 for C events - what
TimedFunctionRecord says (docs/records.md).
"""
import csv
import sys
import threading

from oracle import load_main


def main():
    out_path, script = sys.argv[1], sys.argv[2]
    code, main_globals = load_main(script, sys.argv[2:])
    filename = main_globals["__file__"]
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
