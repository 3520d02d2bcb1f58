"""Names beyond ASCII for recorders/zmq: functions named with Latin, Greek
and CJK letters; with the argument `undecodable`, also a code object whose
file name is not UTF-8 (a lone surrogate, as os.fsdecode gives for an
undecodable byte), which oracle.py cannot write into its CSV."""
import sys


def café():
    return "é"


def 函数():
    return café()


def Ωmega():
    return 函数()


if sys.argv[1:] == ["undecodable"]:
    namespace = {}
    exec(compile("def f():\n    return 1\n", "bad\udcff.py", "exec"),
         namespace)
    namespace["f"]()
Ωmega()
