"""Calls for test_profile_endings.py: nested calls, C calls and recursion
in main() and in a thread it joins, then an ending from inside end(), with
main() and <module> still open, as sys.argv[1] says: normally, os_exit
(5), exec_true, abort, segv, or the name of a signal it sends itself
(SIGTERM, SIGKILL).  With sys.argv[2] == "fork", main() first forks a child that
does more work and ends with os._exit, none of which is the parent's."""
import os
import signal
import sys
import threading
import warnings


def leaf(n):
    return sum(range(n))


def fact(n):
    return 1 if n <= 1 else n * fact(n - 1)


def work(rounds):
    total = 0
    for i in range(rounds):
        total += leaf(10 * i)
    return total + fact(5)


def fork():
    # 3.12+ warns when it sees other threads at a fork, counting them in
    # /proc, where the worker joined just before may not be gone yet: a
    # race of the system's that says nothing of this test, so the warning
    # is kept out of both runs.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        work(300)
        fact(20)
        os._exit(0)
    os.waitpid(pid, 0)


def end(how):
    if how == "os_exit":
        os._exit(5)
    if how == "exec_true":
        os.execv("/bin/true", ["true"])
    if how == "abort":
        os.abort()
    if how == "segv":
        import ctypes
        ctypes.string_at(0)
    if how.startswith("SIG"):
        os.kill(os.getpid(), getattr(signal, how))


def main(how, forks):
    worker = threading.Thread(target=work, args=(50,))
    worker.start()
    worker.join()
    if forks:
        fork()
    work(100)
    sys.stdout.flush()
    end(how)


main(sys.argv[1], sys.argv[2:] == ["fork"])
