import concurrent.futures as cf
import functools
import multiprocessing as mp
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import Pool


def square(x):
    return x * x


POOL = Pool(2)  # error: GIL301, GIL304
EXECUTOR = ThreadPoolExecutor()  # thread pools are fine at module level

with cf.ProcessPoolExecutor() as module_pool:  # error: GIL301
    module_pool.map(square, [1, 2])


class Worker:
    def __init__(self):
        self.lock = threading.Lock()

    def step(self, x):
        return x

    def run(self, xs):
        with ProcessPoolExecutor() as pool:
            return list(pool.map(self.step, xs))  # error: GIL302


def pickling(xs):
    def nested(x):
        return x

    with ProcessPoolExecutor() as pool:
        pool.map(lambda x: x * 2, xs)  # error: GIL302
        pool.submit(nested, 1)  # error: GIL302
        pool.map(square, xs)
        pool.map(functools.partial(square), xs)
    with ThreadPoolExecutor() as tpool:
        tpool.map(lambda x: x, xs)  # threads do not pickle
    p = mp.Process(target=nested)  # error: GIL302
    p.start()
    p.join()


def leaks(xs):
    ex = ThreadPoolExecutor(4)  # error: GIL304
    results = list(ex.map(square, xs))
    pool = mp.Pool()  # error: GIL304
    pool.map(square, xs)
    ProcessPoolExecutor().submit(square, 1)  # error: GIL304
    return results


def closes(xs):
    ex = ThreadPoolExecutor(4)
    try:
        return list(ex.map(square, xs))
    finally:
        ex.shutdown()


def hands_over():
    pool = Pool()
    return pool


if __name__ == "__main__":
    with Pool() as main_pool:
        main_pool.map(square, [1, 2, 3])
