"""A coverage tool's way: COVERAGE_ID of sys.monitoring, LINE events of
its own code, printed."""
import sys

mon = sys.monitoring
lines = set()


def line(code, number):
    if code.co_name == "work":
        lines.add(number - code.co_firstlineno)


def work(n):
    if n > 1:
        return n * 2
    return n


mon.use_tool_id(mon.COVERAGE_ID, "coverage-like")
mon.register_callback(mon.COVERAGE_ID, mon.events.LINE, line)
mon.set_events(mon.COVERAGE_ID, mon.events.LINE)
work(1)
work(5)
mon.set_events(mon.COVERAGE_ID, 0)
mon.free_tool_id(mon.COVERAGE_ID)
print(sorted(lines))
