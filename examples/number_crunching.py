"""CPU-bound work and process pools, with the mistakes gil-lint finds."""

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor


def is_prime(n: int) -> bool:
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True


def count_primes(limit: int) -> int:
    count = 0
    for n in range(limit):
        if is_prime(n):
            count += 1
    return count


def main(limits: list[int]) -> list[int]:
    # Threads run pure-Python work one at a time under the GIL.
    with ThreadPoolExecutor(max_workers=4) as pool:
        threaded = list(pool.map(count_primes, limits))
    # A lambda cannot be pickled for a process pool.
    with ProcessPoolExecutor() as pool:
        doubled = list(pool.map(lambda n: n * 2, threaded))
    executor = ProcessPoolExecutor()
    return list(executor.map(count_primes, doubled))


with ProcessPoolExecutor() as module_pool:
    print(list(module_pool.map(count_primes, [10, 20])))
