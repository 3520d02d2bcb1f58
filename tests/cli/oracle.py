"""The reference pikos is tested against: a pure-Python profiler.

usage: python3 oracle.py OUT.csv script.py [args...]

Runs script.py the way `pikos script.py` runs it - compiled from its bytes
with the filename python3 gives it, in fresh __main__ globals, with
sys.argv = [script.py, args...] and sys.path[0] its directory - under a
sys.setprofile callback, and writes every event to OUT.csv as
`type,function,lineNo,filename`: docs/records.md's FunctionRecord
without the index (function: co_name, or the C function's __name__ for
c_* events; lineNo: frame.f_lineno; filename: the frame's co_filename).

The script's exceptions and sys.exit pass through: the exit status and the
traceback are python3's own.  Run it with the interpreter pikos embeds.
"""
import builtins
import csv
import os
import sys


def script_filename(path):
    """co_filename of a script run as `python3 path` (3.9+: absolute)."""
    if sys.version_info >= (3, 9) and not os.path.isabs(path):
        return os.getcwd() + os.sep + path
    return path


def load_main(script, argv):
    """(code, globals) of `script` as `python3 script args...` runs it:
    compiled from its bytes with the filename python3 gives it, fresh
    __main__ globals; sys.argv becomes argv ([script, args...]) and
    sys.path[0] the script's directory.  Every oracle runs scripts so."""
    filename = script_filename(script)
    with open(script, "rb") as stream:
        code = compile(stream.read(), filename, "exec", dont_inherit=True)
    sys.argv[:] = argv
    sys.path[0] = os.path.dirname(os.path.realpath(script))
    return code, {"__name__": "__main__", "__doc__": None,
                  "__builtins__": builtins, "__file__": filename,
                  "__cached__": None}


def main():
    out_path, script = sys.argv[1], sys.argv[2]
    code, main_globals = load_main(script, sys.argv[2:])
    events = []

    def profile(frame, event, arg):
        name = arg.__name__ if event.startswith("c_") else frame.f_code.co_name
        events.append((event, name, frame.f_lineno, frame.f_code.co_filename))

    sys.setprofile(profile)
    try:
        exec(code, main_globals)
    finally:
        sys.setprofile(None)
        with open(out_path, "w", newline="", encoding="utf-8") as stream:
            csv.writer(stream).writerows(events)


if __name__ == "__main__":
    main()
