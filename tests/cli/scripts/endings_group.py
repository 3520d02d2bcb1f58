"""Counts the SIGUSR1 it receives: prints "ready", waits two seconds for
them, then prints how many came."""
import signal
import time

received = 0


def count(signum, frame):
    global received
    received += 1


signal.signal(signal.SIGUSR1, count)
print("ready", flush=True)
deadline = time.monotonic() + 2
while time.monotonic() < deadline:
    time.sleep(0.01)
print("received", received)
