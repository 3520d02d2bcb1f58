"""A multiprocessing pool (fork start method) whose workers square 20
numbers: under recorders/zmq connected to a collector, each worker is a
stream of its own."""
import multiprocessing
import os


def square(x):
    return x * x


if __name__ == "__main__":
    pool = multiprocessing.get_context("fork").Pool(2)
    total = sum(pool.map(square, range(20), chunksize=5))
    pool.close()  # the workers end by themselves (terminate() kills them)
    pool.join()
    print(os.getpid(), total)
