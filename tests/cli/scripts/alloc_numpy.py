"""numpy array data, which only native mode sees (numpy allocates it with
the C library's malloc, not through Python's allocators)."""
import numpy

N = 1_000_000
kept = numpy.empty(N)  # empty: the array of the test
zeroed = numpy.zeros(N)  # zeros: calloc, with the GIL released
dropped = numpy.empty(2 * N)
del dropped
