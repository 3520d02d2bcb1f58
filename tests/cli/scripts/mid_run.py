"""Shows what pikos has written by the middle of the run: a MARK line
written straight to file descriptor 1 (which pikos's screen output shares)
with the size in bytes of monitor_records.log at that moment (-1: no such
file).  The size comes from one os.stat: reading the file would make
records (codecs' Python code) that grow it while it is read."""
import os


def work():
    return 1


def size_of(path):
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return -1


work()
os.write(1, b"MARK %d\n" % size_of("monitor_records.log"))
work()
