"""Calls f() N times, then ends as sys.argv[1] says: normally, exit (3),
raise, os_exit (5), exec_true, exec_python (7), segv, sigbus (a mapped
file cut short under it), abort, or the name of a signal it sends itself
(SIGINT, SIGTERM, SIGHUP, SIGQUIT)."""
import os
import signal
import sys

N = 10000


def f(n):
    return n + 1


def end(how):
    if how == "normally":
        return
    if how == "exit":
        sys.exit(3)
    if how == "raise":
        raise LookupError("not handled")
    if how == "os_exit":
        os._exit(5)
    if how == "exec_true":
        os.execv("/bin/true", ["true"])
    if how == "exec_python":
        os.execv(sys.executable, [sys.executable, "-c",
                                  "import sys; print('exec'); sys.exit(7)"])
    if how == "segv":
        import ctypes
        ctypes.string_at(0)
    if how == "sigbus":
        import mmap
        import tempfile
        with tempfile.TemporaryFile() as stream:
            stream.write(b"x" * mmap.PAGESIZE)
            stream.flush()
            mapped = mmap.mmap(stream.fileno(), mmap.PAGESIZE)
            stream.truncate(0)
            mapped[0]  # the page is gone from the file: SIGBUS
    if how == "abort":
        os.abort()
    os.kill(os.getpid(), getattr(signal, how))


n = 0
for _ in range(N):
    n = f(n)
sys.stdout.flush()
end(sys.argv[1])
