# The cost model (issue #14): metadata syscalls are GIL208 where written and nothing through
# a helper; a memoized helper fed only constants blocks once and is not reported.
import functools
import json
import os
import shutil
import socket
from pathlib import Path

import cachetools
from tlz import memoize

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
    save(path, data)  # error: GIL209
    shutil.rmtree(path)  # error: GIL203
    return size


# -- memoized helpers -----------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def local_ip(host, port, family):
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.connect((host, port))
    return sock.getsockname()[0]


def get_ip(host="8.8.8.8", port=80):
    # the memoized helper gets this function's parameters: it blocks again only when the
    # caller passes a new host or port
    return local_ip(host, port, family=socket.AF_INET)


@memoize
def has_ipv6():
    with socket.create_connection(("::1", 80)):
        return True


@functools.cache
def settings():
    with open("settings.json") as f:
        return json.load(f)


@cachetools.cached(cache={})
def resolve(name):
    return socket.gethostbyname(name)


class Node:
    @functools.lru_cache  # noqa: B019
    def address(self):
        return socket.gethostbyname(socket.gethostname())

    async def start(self, scheduler):
        self.address()  # per instance, with no arguments: once
        get_ip(scheduler.host)  # at start-up, memoized: once per start and address

    async def heartbeat(self, scheduler):
        get_ip(scheduler.host)  # error: GIL202


async def probe(port, host, names):
    addresses = [get_ip(), get_ip("8.8.8.8", 53), get_ip(port=443)]  # constants: once each
    if has_ipv6():
        addresses.append(get_ip("2001:4860:4860::8888"))
    local_ip("127.0.0.1", port, socket.AF_INET)  # error: GIL202
    get_ip(host)  # error: GIL202
    get_ip(port=port)  # error: GIL202
    for name in names:
        resolve(name)  # error: GIL202
    resolve("localhost")
    return settings()["timeout"], addresses
