"""The concurrency guide's CPU-bound task: threads will not speed it up.

gil-lint verify examples/verify/cpu.py::cpu_intensive_task
"""

import threading


def cpu_intensive_task():
    total = 0
    for i in range(20_000_000):  # about 1 s on one core
        total += i**2
    return total


if __name__ == "__main__":
    # This will NOT run in parallel due to the GIL (GIL101)
    threads = [threading.Thread(target=cpu_intensive_task) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
