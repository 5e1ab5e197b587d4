# Heavy CPU work (issue #16): one size model and one "heavy" verdict for GIL101 (threads)
# and GIL206 (the event loop). Sizes come from folded constants, from the call site's
# arguments and from module constants; a loop of a known small size, a loop that waits
# and a generator loop that only yields are not CPU work.
import asyncio
import functools
import hashlib
import math
import queue
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

LIMIT = 5 * 10**6
RETRIES = 5
SMALL = 2 * 10


def tally(n):
    total = 0
    for i in range(n):
        total += i
    return total


def count_primes(limit):
    found = 0
    for n in range(2, limit):
        for d in range(2, n):
            if n % d == 0:
                break
        else:
            found += 1
    return found


def checksum(data):
    total = 0
    for byte in data:
        total = (total * 31 + byte) % 1_000_003
    return total


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def walk(xs):
    total = 0
    for x in xs:
        total += x * 2
    return total


def backoff():
    delay = 0
    for attempt in range(RETRIES):
        delay += 2**attempt
    return delay


def poll(q):
    seen = 0
    while True:
        item = q.get()
        seen += item


def ticker():
    count = 0
    while True:
        time.sleep(1)
        count += 1


def fetch_all(urls):
    for url in urls:
        requests.get(url)


def digest(chunks):
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def attempts():
    attempt = 0
    while True:
        yield attempt
        attempt += 1


def big_squares():
    for i in range(10**7):
        yield i * i


def driver():
    return tally(10**7)


def request_all(session, devices):
    # bookkeeping, then a loop of calls of unknown cost: those calls are the work
    for node in session.nodes:
        session.done[node] = False
    for node in session.nodes:
        devices[node].request_fields(session)


def chatty_tally(n, log):
    log.info("tallying")
    total = 0
    for i in range(n):
        for j in range(i):
            total += i * j
    return total


def driver_small():
    return tally(100)


class Crunch(threading.Thread):
    def run(self):
        total = 0
        for i in range(10**7):
            total += i * i


class Idle(threading.Thread):
    def run(self):
        for attempt in range(3):
            time.sleep(attempt)


# -- GIL101: CPU work in threads -----------------------------------------------------------


def threads(data, urls):
    q = queue.Queue()
    threading.Thread(target=tally, args=(10**7,)).start()  # error: GIL101
    threading.Thread(target=driver).start()  # error: GIL101
    threading.Thread(target=lambda: sum(i * i for i in range(10**7))).start()  # error: GIL101
    threading.Thread(target=checksum, args=(data,)).start()  # error: GIL101
    Crunch().start()  # error: GIL101
    threading.Thread(target=chatty_tally, args=(data, q)).start()  # error: GIL101
    with ThreadPoolExecutor() as pool:
        pool.submit(tally, LIMIT)  # error: GIL101
        list(pool.map(count_primes, [20_000] * 4))  # error: GIL101
        pool.submit(functools.partial(tally, 2_000_000))  # error: GIL101
    # light: the call site sizes the loop, or the loop waits
    threading.Thread(target=tally, args=(50,)).start()
    threading.Thread(target=tally, args=(SMALL,)).start()
    threading.Thread(target=walk, args=([1, 2],)).start()
    threading.Thread(target=backoff).start()
    threading.Thread(target=driver_small).start()
    threading.Thread(target=poll, args=(q,)).start()
    threading.Thread(target=ticker).start()
    threading.Thread(target=fetch_all, args=(urls,)).start()
    threading.Thread(target=request_all, args=(data, urls)).start()
    threading.Thread(target=lambda: sum(i * 2 for i in range(10))).start()
    Idle().start()
    with ThreadPoolExecutor() as pool:
        pool.submit(tally, 10)
        list(pool.map(tally, [5, 6]))
        pool.submit(functools.partial(tally, 30))
        pool.submit(digest, data)


async def offloaded(data):
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, fib, 30)  # error: GIL101
    await asyncio.to_thread(tally, 10**7)  # error: GIL101
    await asyncio.to_thread(tally, 100)
    await asyncio.to_thread(digest, data)


# -- GIL206: heavy work inline on the event loop -------------------------------------------


def crunch(n):
    total = 0
    for i in range(n):
        total += i % 7
    return total


async def handler(n, items, q):
    for i in range(n * 1_000_000):  # error: GIL206
        n += i
    squares = sum(i * i for i in range(10**7))  # error: GIL206
    table = [i * 3 for i in range(LIMIT)]  # error: GIL206
    answer = crunch(50_000_000)  # error: GIL206
    primes = count_primes(n)  # error: GIL206
    squared = sum(big_squares())  # error: GIL206
    i = total = 0
    while i < n:  # error: GIL206
        i += 1
        total += i * i
    for _row in items:  # error: GIL206
        for a in range(n):
            for b in range(a):
                total += a * b
    # light, or waiting, or the consumer's work
    for attempt in attempts():
        if attempt > 3:
            break
    for ch in "abc":
        total += ord(ch) * 2
    word = "hello"
    for ch in word:
        total += ord(ch) * 2
    small = crunch(10)
    for item in items:
        total += item
    for gap in items:
        for pos in range(gap[0], gap[1] + 1):
            total += pos % 7
    while True:
        item = await q.get()
        total += item
        if total > 100:
            break
    unsized = tally(n)
    doubled = [x * 2 for x in range(10)]
    for delay in range(3):
        await asyncio.sleep(delay * 0.1)
    result = squares, table, answer, primes, squared, small, unsized, doubled
    return result, sum(x for x in range(100))


# -- recursion and CPU-bound library calls: heavy only on evidence of size ---------------


def graph(tables, depth=0):
    # recursion into a structure's parts, with a depth counter: as big as the structure
    out = {}
    for table in tables:
        out.update(graph(table.refs, depth + 1))
        out[table.name] = table.refs
    return out


def walk_tree(node, level=0):
    return sum(walk_tree(child, level + 1) for child in node.children) + level


def factorial(n):
    return 1 if n < 2 else n * factorial(n - 1)


def middle(values):
    return statistics.median(values)


class Monitor:
    def sample(self):
        self.avg = statistics.median(self.recent)


async def recursing(n, tables, monitor, values):
    fib(n)  # error: GIL206
    middle(list(range(10**6)))  # error: GIL206
    graph(tables)
    walk_tree(tables)
    factorial(n)
    middle(values)
    middle([3, 1, 2])
    monitor.sample()
    Monitor().sample()
    math.factorial(n)


def threaded(tables, values):
    # CPU work of unknown size: threads serialize it
    threading.Thread(target=walk_tree, args=(tables,)).start()  # error: GIL101
    threading.Thread(target=middle, args=(values,)).start()  # error: GIL101
    threading.Thread(target=middle, args=([1, 2],)).start()
