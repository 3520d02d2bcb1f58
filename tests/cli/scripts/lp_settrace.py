"""Sets a trace function of its own half way: line_profiler's is gone."""
import sys


def work():
    value = 1
    return value


work()
sys.settrace(lambda frame, event, arg: None)
work()
