"""The reference the monitors are tested against: pure-Python
sys.setprofile / sys.settrace callbacks, run in this process on the same
code (docs/records.md; tests/cli/oracle.py does the same for a whole
script).

Each function runs `func(*args)` under a callback and returns the events
as tuples in the field order of the record class, with ``index`` counting
every event the callback saw (focused: only the events recorded).
"""
import linecache
import sys


def _name(frame, event, arg):
    return arg.__name__ if event.startswith("c_") else frame.f_code.co_name


def _line(frame):
    text = linecache.getline(frame.f_code.co_filename, frame.f_lineno,
                             frame.f_globals)
    return text.rstrip() if text else "<compiled string>"


def _run(install, func, args):
    install(True)
    try:
        func(*args)
    finally:
        install(False)


def function_events(func, *args):
    """FunctionRecord fields of every profile event."""
    events = []

    def profile(frame, event, arg):
        events.append((len(events), event, _name(frame, event, arg),
                       frame.f_lineno, frame.f_code.co_filename))
    _run(lambda on: sys.setprofile(profile if on else None), func, args)
    return events


def line_events(func, *args):
    """LineRecord fields of every line event."""
    events = []

    def trace(frame, event, arg):
        if event == "line":
            code = frame.f_code
            events.append((len(events), code.co_name, frame.f_lineno,
                           _line(frame), code.co_filename))
        return trace
    _run(lambda on: sys.settrace(trace if on else None), func, args)
    return events


def focused_function_events(focus, func, *args):
    """FunctionRecord fields of the events while a function of `focus` is
    on the stack (its own call and return included); index counts
    these only."""
    codes = {function.__code__ for function in focus}
    events = []
    depth = 0

    def profile(frame, event, arg):
        nonlocal depth
        code = frame.f_code
        is_focus = event in ("call", "return") and code in codes
        if is_focus and event == "call":
            depth += 1
        if depth > 0:
            events.append((len(events), event, _name(frame, event, arg),
                           frame.f_lineno, code.co_filename))
            if is_focus and event == "return":
                depth -= 1
    _run(lambda on: sys.setprofile(profile if on else None), func, args)
    return events


def focused_line_events(focus, func, *args):
    """LineRecord fields of the line events in the frames of `focus`'s
    functions; index counts these only."""
    codes = {function.__code__ for function in focus}
    events = []

    def trace(frame, event, arg):
        code = frame.f_code
        if event == "line" and code in codes:
            events.append((len(events), code.co_name, frame.f_lineno,
                           _line(frame), code.co_filename))
        return trace
    _run(lambda on: sys.settrace(trace if on else None), func, args)
    return events


def of_file(records, filename, filename_field=-1):
    """The records of one file, with index made relative to the first
    (the events of other code before it differ between a monitor and an
    oracle; the gaps in between do not)."""
    kept = [tuple(record) for record in records
            if record[filename_field] == filename]
    if not kept:
        return kept
    first = kept[0][0]
    return [(record[0] - first,) + record[1:] for record in kept]
