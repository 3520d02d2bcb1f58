"""Writes to stdout and stderr: many lines, text and raw bytes."""
import sys

for n in range(2000):
    print("line", n)
print("to stderr", file=sys.stderr)
sys.stdout.flush()
sys.stdout.buffer.write(b"raw bytes \xff\xfe\n")
