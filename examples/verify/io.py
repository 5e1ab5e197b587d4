"""An I/O-bound task: it waits, releasing the GIL, so threads overlap the waits.

gil-lint verify examples/verify/io.py::fetch_report
"""

import time


def fetch_report(latency: float = 0.5) -> str:
    time.sleep(latency)  # stands in for a network round trip
    return "report"
