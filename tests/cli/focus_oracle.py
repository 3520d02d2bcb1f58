"""The reference focused monitors are tested against: the seed's focused
monitors in pure Python.

usage: python3 focus_oracle.py functions|lines OUT.csv NAMES script.py [args]

Runs script.py the way `pikos script.py` runs it (as oracle.py does) and
writes to OUT.csv what a focused monitor on NAMES (comma separated, as
--focused-on takes them) records, with the monitor's index counting the
recorded events only:
  functions  a sys.setprofile callback recording every event while a focus
             function is on the thread's stack (its own call and return
             included): `index,type,function,lineNo,filename`
  lines      a sys.settrace callback recording the line events of the focus
             functions' own frames: `index,function,lineNo,line,filename`
Threads started by the script are followed (threading.setprofile,
threading.settrace), each with its own stack.
A name is `f` (co_name or co_qualname), `Class.method` (co_qualname) or
`module:f` (the module's file: pkg.mod -> .../pkg/mod.py or
.../pkg/mod/__init__.py; __main__ -> the script).  Run it with the
interpreter pikos embeds.
"""
import csv
import linecache
import sys
import threading

from oracle import load_main


def module_file_matches(module, filename, main_filename):
    if module == "__main__":
        return filename == main_filename
    path = module.replace(".", "/")
    return any(filename == path + end or filename.endswith("/" + path + end)
               for end in (".py", "/__init__.py"))


def is_focus(code, names, main_filename):
    for name in names:
        module, _, function = name.rpartition(":")
        if module and not module_file_matches(module, code.co_filename,
                                              main_filename):
            continue
        if function == code.co_qualname or ("." not in function and
                                            function == code.co_name):
            return True
    return False


def line_text(frame):
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno,
                             frame.f_globals)
    return text.rstrip() if text else "<compiled string>"


def function_recorder(rows, names, main_filename):
    depths = {}  # thread id -> focus frames on its stack

    def profile(frame, event, arg):
        code = frame.f_code
        thread = threading.get_ident()
        focus = event in ("call", "return") and is_focus(code, names,
                                                         main_filename)
        if focus and event == "call":
            depths[thread] = depths.get(thread, 0) + 1
        if depths.get(thread, 0) > 0:
            name = arg.__name__ if event.startswith("c_") else code.co_name
            rows.append((len(rows), event, name, frame.f_lineno,
                         code.co_filename))
            if focus and event == "return":
                depths[thread] -= 1
    return profile


def line_recorder(rows, names, main_filename):
    def trace(frame, event, arg):
        code = frame.f_code
        if event == "line" and is_focus(code, names, main_filename):
            rows.append((len(rows), code.co_name, frame.f_lineno,
                         line_text(frame), code.co_filename))
        return trace
    return trace


def main():
    mode, out_path, names, script = sys.argv[1:5]
    names = [name.strip() for name in names.split(",")]
    code, main_globals = load_main(script, sys.argv[4:])
    filename = main_globals["__file__"]
    rows = []
    if mode == "functions":
        hook = function_recorder(rows, names, filename)
        threading.setprofile(hook)
        sys.setprofile(hook)
    else:
        hook = line_recorder(rows, names, filename)
        threading.settrace(hook)
        sys.settrace(hook)
    try:
        exec(code, main_globals)
    finally:
        sys.setprofile(None)
        sys.settrace(None)
        threading.setprofile(None)
        threading.settrace(None)
        with open(out_path, "w", newline="", encoding="utf-8") as stream:
            csv.writer(stream).writerows(rows)


if __name__ == "__main__":
    main()
