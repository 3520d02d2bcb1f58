"""Ends as argv[1] says: int, message, none, raise, or normally."""
import sys


def finish(how):
    if how == "int":
        sys.exit(3)
    if how == "message":
        sys.exit("stopping: a message for stderr")
    if how == "none":
        sys.exit()
    if how == "raise":
        raise LookupError("not handled")


finish(sys.argv[1] if len(sys.argv) > 1 else "normally")
