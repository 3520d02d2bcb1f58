"""Two threads run their own calls; each says its OS thread id; nap()
sleeps long enough to be seen in the records' times."""
import threading
import time


def square(x):
    return x * x


def in_worker(n):
    print("worker", threading.get_native_id())
    return sum(square(i) for i in range(n))


def in_main(n):
    return sorted(square(i) for i in range(n))


def nap():
    time.sleep(0.2)


print("main", threading.get_native_id())
worker = threading.Thread(target=in_worker, args=(3,))
worker.start()
worker.join()
in_main(4)
nap()
