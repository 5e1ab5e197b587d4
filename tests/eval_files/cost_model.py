# The cost model (issue #14): metadata syscalls are GIL208 where written and nothing through
# a helper.
import json
import os
import shutil
from pathlib import Path

# -- metadata: reported where written, never through a helper ------------------------------


def remove_socket(path):
    if os.path.exists(path):
        os.unlink(path)


def kill_worker(pid, path):
    os.kill(pid, 9)  # not in the knowledge: a signal is no wait
    remove_socket(path)


def reap(workers):
    for pid, path in workers:
        kill_worker(pid, path)


def save(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)  # metadata first ...
    with open(path, "w") as f:  # ... then the content I/O the chain reports
        json.dump(data, f)


async def serve(path, pid, workers, data):
    if os.path.exists(path):  # error: GIL208
        os.unlink(path)  # error: GIL208
    os.makedirs(path, exist_ok=True)  # error: GIL208
    os.chmod(path, 0o600)  # error: GIL208
    Path(path).touch()  # error: GIL208
    size = os.stat(path).st_size  # error: GIL208
    kill_worker(pid, path)  # a chain to a metadata call only: not worth a finding
    reap(workers)
    save(path, data)  # error: GIL203
    shutil.rmtree(path)  # error: GIL203
    return size
