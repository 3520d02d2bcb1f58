"""Run by `pikos -m pkgdemo`."""
import sys

print("pkgdemo main", __name__, __package__, sys.argv[1:])
