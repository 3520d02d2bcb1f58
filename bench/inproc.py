"""Runs a workload's main() in this process under one in-process profiler
and prints `elapsed=SECONDS events=N`.

    python3 bench/inproc.py MODE ROUNDS [WORKLOAD]

WORKLOAD is `workload` (calls, the default), `lines_workload` or
`alloc_workload`.  MODE:
    none              no profiler
    null              a C profile callback that only counts (events=calls)
    null_trace        a C trace callback that only counts line events
    null_trace_statm  the same, with one pread of /proc/self/statm per line
                      event (the floor of an exact line memory monitor)
    null_monitoring   3.12+: a do-nothing sys.monitoring C callback for the
                      events cProfile asks for (PY_START, PY_RESUME,
                      PY_RETURN, PY_YIELD, PY_UNWIND, PY_THROW, CALL,
                      C_RETURN, C_RAISE), on a tool id of its own
    null_monitoring_line
                      3.12+: the same for LINE events
    cprofile          cProfile
    null_alloc        allocator functions that only count the blocks
                      allocated (events=blocks)
    tracemalloc1      tracemalloc, 1 frame a block
    tracemalloc16     tracemalloc, 16 frames a block
    line_profiler     line_profiler, on the workload's functions
    memory_profiler   memory_profiler's line-by-line LineProfiler
    pure_python       the seed's pure-Python LineMemoryMonitor -> CSV
    statm             ROUNDS x 1000 preads of /proc/self/statm, nothing else
                      (events = preads)
    api_csv           pikos's Python API: FunctionMonitor(CSVFileRecorder)
    api_list          pikos's Python API: FunctionMonitor(ListRecorder)
                      (events = records kept)
    api_list_read     the same, and its records read back (the time
                      includes making them Python records)
    pure_python_functions
                      the seed's pure-Python FunctionMonitor ->
                      ListRecorder (events = records kept)
"""
import importlib
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def profiled(start, stop, main, rounds):
    begin = time.perf_counter()
    start()
    main(rounds)
    events = stop()
    return time.perf_counter() - begin, events or 0


def null(workload, rounds):
    import _nullprof
    return profiled(_nullprof.start, _nullprof.stop, workload.main, rounds)


def null_trace(workload, rounds):
    import _nullprof
    return profiled(_nullprof.trace_start, _nullprof.trace_stop,
                    workload.main, rounds)


def null_trace_statm(workload, rounds):
    import _nullprof
    return profiled(lambda: _nullprof.trace_start(True), _nullprof.trace_stop,
                    workload.main, rounds)


def cprofile(workload, rounds):
    import cProfile
    profiler = cProfile.Profile()
    return profiled(profiler.enable, profiler.disable, workload.main, rounds)


def line_profiler(workload, rounds):
    from line_profiler import LineProfiler
    profiler = LineProfiler(*workload_functions(workload))
    return profiled(profiler.enable_by_count, profiler.disable_by_count,
                    workload.main, rounds)


def memory_profiler(workload, rounds):
    from memory_profiler import LineProfiler
    profiler = LineProfiler(backend="psutil")
    for function in workload_functions(workload):
        profiler.add_function(function)
    return profiled(profiler.enable_by_count, profiler.disable_by_count,
                    workload.main, rounds)


def pure_python(workload, rounds):
    import pure_python as design
    with tempfile.TemporaryFile("w", newline="") as stream:
        monitor = design.LineMemoryMonitor(stream)
        return profiled(monitor.enable, monitor.disable, workload.main,
                        rounds)


def statm(workload, rounds):
    import _nullprof
    reads = rounds * 1000
    return _nullprof.statm_reads(reads), reads


def api_csv(workload, rounds):
    from pikos.monitors.api import FunctionMonitor
    from pikos.recorders.api import CSVFileRecorder
    with tempfile.TemporaryDirectory() as tmp:
        monitor = FunctionMonitor(
            CSVFileRecorder(os.path.join(tmp, "functions.csv")))
        return profiled(monitor.enable, monitor.disable, workload.main,
                        rounds)


def api_list(workload, rounds, read_records=False):
    from pikos.monitors.api import FunctionMonitor
    from pikos.recorders.api import ListRecorder
    recorder = ListRecorder()
    monitor = FunctionMonitor(recorder)

    def stop():
        monitor.disable()
        return len(recorder.records) if read_records else 0
    return profiled(monitor.enable, stop, workload.main, rounds)


def api_list_read(workload, rounds):
    return api_list(workload, rounds, read_records=True)


def pure_python_functions(workload, rounds):
    import pure_python as design
    recorder = design.ListRecorder()
    monitor = design.FunctionMonitor(recorder)

    def stop():
        monitor.disable()
        return len(recorder.records)
    return profiled(monitor.enable, stop, workload.main, rounds)


# cProfile's events (Modules/_lsprof.c, 3.12+).
PROFILER_EVENTS = ("PY_START", "PY_RESUME", "PY_RETURN", "PY_YIELD",
                   "PY_UNWIND", "PY_THROW", "CALL", "C_RETURN", "C_RAISE")


def monitoring(events, workload, rounds):
    """The do-nothing C callback for `events`, on a free tool id."""
    import _nullprof
    mon = sys.monitoring
    tool = next(i for i in (5, 4, 3, 1, 0, 2) if mon.get_tool(i) is None)

    def start():
        mon.use_tool_id(tool, "null")
        mask = 0
        for name in events:
            event = getattr(mon.events, name)
            mon.register_callback(tool, event, _nullprof.monitoring_count)
            if name not in ("C_RETURN", "C_RAISE"):  # CALL brings them
                mask |= event
        _nullprof.count()
        mon.set_events(tool, mask)

    def stop():
        mon.set_events(tool, 0)
        for name in events:
            mon.register_callback(tool, getattr(mon.events, name), None)
        mon.free_tool_id(tool)
        return _nullprof.count()
    return profiled(start, stop, workload.main, rounds)


def null_monitoring(workload, rounds):
    return monitoring(PROFILER_EVENTS, workload, rounds)


def null_monitoring_line(workload, rounds):
    return monitoring(("LINE",), workload, rounds)


def null_alloc(workload, rounds):
    import _nullprof
    return profiled(_nullprof.alloc_start, _nullprof.alloc_stop,
                    workload.main, rounds)


def tracemalloc_frames(frames, workload, rounds):
    import tracemalloc
    return profiled(lambda: tracemalloc.start(frames), tracemalloc.stop,
                    workload.main, rounds)


def tracemalloc1(workload, rounds):
    return tracemalloc_frames(1, workload, rounds)


def tracemalloc16(workload, rounds):
    return tracemalloc_frames(16, workload, rounds)


def none(workload, rounds):
    return profiled(lambda: None, lambda: 0, workload.main, rounds)


def workload_functions(workload):
    return [f for f in vars(workload).values()
            if getattr(f, "__module__", None) == workload.__name__
            and hasattr(f, "__code__")]


MODES = {f.__name__: f for f in (none, null, null_trace, null_trace_statm,
                                 null_monitoring, null_monitoring_line,
                                 null_alloc, tracemalloc1, tracemalloc16,
                                 cprofile, line_profiler, memory_profiler,
                                 pure_python, statm, api_csv, api_list,
                                 api_list_read, pure_python_functions)}

if __name__ == "__main__":
    mode, rounds = sys.argv[1], int(sys.argv[2])
    workload = importlib.import_module(
        sys.argv[3] if len(sys.argv) > 3 else "workload")
    elapsed, events = MODES[mode](workload, rounds)
    print("elapsed=%.6f events=%d" % (elapsed, events))
