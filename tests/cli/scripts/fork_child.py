"""Forks; the child does work of its own and ends as argv[1] says:
`_exit` (os._exit(7)), `exit` (sys.exit(7)) or `return` (the program ends
normally in the child, status 0).  The parent waits for it, then works on
and prints the child's exit status.  Nothing is printed before the fork,
so Python's own stdout buffer holds nothing the child could repeat."""
import os
import sys


def square(x):
    return x * x


def parent_work(n):
    return sum(square(i) for i in range(n))


def child_work(n):
    return [square(i) for i in range(n)]


def end_child(how):
    if how == "_exit":
        os._exit(7)
    if how == "exit":
        sys.exit(7)


def main(how):
    parent_work(20)
    pid = os.fork()
    if pid == 0:
        child_work(50)
        end_child(how)
        return
    _, status = os.waitpid(pid, 0)
    parent_work(30)
    print("child exited", os.waitstatus_to_exitcode(status))


main(sys.argv[1])
