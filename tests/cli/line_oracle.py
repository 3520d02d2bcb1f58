"""The reference line monitors are tested against: a pure-Python tracer.

usage: python3 line_oracle.py OUT.csv script.py [args...]

Runs script.py the way `pikos script.py` runs it (as oracle.py does: from
its bytes, with python3's filename, in fresh __main__ globals) under a
sys.settrace callback, and writes every line event to OUT.csv as
`function,lineNo,line,filename`: docs/records.md's LineRecord without
the index.  `line` is what linecache gives for the frame (the frame's
globals let it ask a loader, such as zipimport, for a source not on disk)
with trailing whitespace removed, or "<compiled string>" where there is no
such line.  Run it with the interpreter pikos embeds.
"""
import csv
import linecache
import sys

from oracle import load_main


def line_text(frame):
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno,
                             frame.f_globals)
    return text.rstrip() if text else "<compiled string>"


def main():
    out_path, script = sys.argv[1], sys.argv[2]
    code, main_globals = load_main(script, sys.argv[2:])
    events = []

    def trace(frame, event, arg):
        if event == "line":
            events.append((frame.f_code.co_name, frame.f_lineno,
                           line_text(frame), frame.f_code.co_filename))
        return trace

    sys.settrace(trace)
    try:
        exec(code, main_globals)
    finally:
        sys.settrace(None)
        with open(out_path, "w", newline="", encoding="utf-8") as stream:
            csv.writer(stream).writerows(events)


if __name__ == "__main__":
    main()
