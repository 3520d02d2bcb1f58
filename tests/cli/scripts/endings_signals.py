"""Prints what the program finds of signals: every signal's handler (as
signal.getsignal gives it), the blocked signals and the pending ones."""
import signal

handlers = {}
for sig in sorted(signal.valid_signals()):
    try:
        handler = signal.getsignal(sig)
    except (OSError, ValueError):
        continue
    try:
        name = signal.Signals(sig).name
    except ValueError:
        name = str(int(sig))
    handlers[name] = repr(handler)
print(handlers)
print("SIGTERM", signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
print("blocked",
      sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])))
print("pending", sorted(int(s) for s in signal.sigpending()))
