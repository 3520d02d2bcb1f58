"""Traces its own function with sys.settrace and prints the lines it saw."""
import sys

seen = []


def tracer(frame, event, arg):
    if frame.f_code.co_name == "work":
        seen.append((event, frame.f_lineno - frame.f_code.co_firstlineno))
    return tracer


def work(n):
    total = 0
    for i in range(n):
        total += i
    return total


sys.settrace(tracer)
work(3)
sys.settrace(None)
work(2)
print(seen)
