"""The reference recorders/perfetto's slices are tested against: a
pure-Python profiler that follows every thread.

usage: python3 perfetto_oracle.py OUT.json script.py [args...]

Runs script.py the way `pikos script.py` runs it (as oracle.py does) under
a sys.setprofile callback, set for the threads the script starts too
(threading.setprofile), and writes every function event to OUT.json as
[thread, event, name, filename, firstlineno]: thread is the OS thread id
(threading.get_native_id()), name co_name or the C function's __name__,
filename and firstlineno those of the frame's code (for c_* events the
caller's).  The first entry is ["main", the main thread's OS id].  Run it
with the interpreter pikos embeds.
"""
import json
import sys
import threading

from oracle import load_main


def main():
    out_path, script = sys.argv[1], sys.argv[2]
    code, main_globals = load_main(script, sys.argv[2:])
    events = [["main", threading.get_native_id()]]

    def profile(frame, event, arg):
        code = frame.f_code
        name = arg.__name__ if event.startswith("c_") else code.co_name
        events.append([threading.get_native_id(), event, name,
                       code.co_filename, code.co_firstlineno])

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        exec(code, main_globals)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
        with open(out_path, "w", encoding="utf-8") as stream:
            json.dump(events, stream)


if __name__ == "__main__":
    main()
