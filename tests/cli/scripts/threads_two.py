"""A worker thread and the main thread run their own functions."""
import threading


def in_worker(n):
    return sum(square(i) for i in range(n))


def in_main(n):
    return sum(square(i) for i in range(n))


def square(x):
    return x * x


worker = threading.Thread(target=in_worker, args=(3,))
worker.start()
worker.join()
print(in_main(2))
