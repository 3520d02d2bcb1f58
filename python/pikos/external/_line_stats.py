"""line_profiler's counters summed per line.

line_profiler 4.0 files each line's hits and time under the pair (that
line, the line that ran next): a loop's head, followed by its body and
later by the line after the loop, has two entries, and its get_stats()
keeps only one of them.  These totals sum them, as the external/
line_profiler plugin does (plugins/external/line_profiler/line_stats.c),
so hits are the number of times each line ran.
"""
import linecache


def collect(profiler):
    """[(label, code, lines)] sorted by label, where label is
    line_profiler's (filename, first line, co_name) and lines the sorted
    (lineno, hits, time in timer units) of the lines that ran."""
    c_map = profiler.c_code_map
    collected = []
    for order, (code, hashes) in enumerate(profiler.code_hash_map.items()):
        totals = {}
        for code_hash in hashes:
            for lineno, entry in c_map.get(code_hash, {}).items():
                _, hits, time = totals.get(lineno, (lineno, 0, 0))
                totals[lineno] = (lineno, hits + entry["nhits"],
                                  time + entry["total_time"])
        label = (code.co_filename, code.co_firstlineno, code.co_name)
        collected.append((label, order, code, sorted(totals.values())))
    collected.sort(key=lambda item: item[:2])
    return [(label, code, lines) for label, _, code, lines in collected]


def timings(collected):
    """{label: lines}: line_profiler's LineStats.timings."""
    return {label: lines for label, _, lines in collected}


def line_text(filename, lineno):
    """The source of a line without its trailing whitespace, or
    "<compiled string>" where there is none (as the C monitors give)."""
    return linecache.getline(filename, lineno).rstrip() or \
        "<compiled string>"


def rows(collected, unit):
    """LineStatsRecord rows (filename, function, lineNo, hits, time in
    seconds, line), the function named by its qualified name."""
    return [(label[0], getattr(code, "co_qualname", code.co_name), lineno,
             hits, time * unit, line_text(label[0], lineno))
            for label, code, lines in collected
            for lineno, hits, time in lines]
