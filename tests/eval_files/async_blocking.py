"""Blocking calls on the event loop, with the look-alikes that must stay silent."""

import asyncio
import functools
import os
import queue
import shutil
import subprocess
import threading
import time
import time as t
import urllib.request
from pathlib import Path
from time import sleep as nap

import aiofiles
import httpx
import requests

LOCK = threading.Lock()
JOBS: queue.Queue = queue.Queue()


async def sleeps():
    time.sleep(1)  # error: GIL201
    t.sleep(1)  # error: GIL201
    nap(1)  # error: GIL201
    await asyncio.sleep(1)
    await asyncio.to_thread(time.sleep, 1)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, functools.partial(time.sleep, 1))
    await loop.run_in_executor(None, lambda: time.sleep(1))

    def helper():
        time.sleep(1)  # sync helper: not on the loop itself

    return helper


async def network(url):
    requests.get(url)  # error: GIL202
    session = requests.Session()
    session.post(url, data={})  # error: GIL202
    with requests.Session() as s:
        s.get(url)  # error: GIL202
    urllib.request.urlopen(url)  # error: GIL202
    with httpx.Client() as client:
        client.get(url)  # error: GIL202
    async with httpx.AsyncClient() as aclient:
        await aclient.get(url)
    await asyncio.to_thread(requests.get, url)
    prepared = requests.Request("GET", url)  # building a request sends nothing
    return prepared


async def files(path):
    with open(path) as f:  # error: GIL209
        f.read()
    Path(path).read_text()  # error: GIL209
    shutil.rmtree(path)  # error: GIL203
    os.listdir(path)  # error: GIL208
    async with aiofiles.open(path) as af:
        await af.read()
    await asyncio.to_thread(Path(path).read_text)
    return Path(path).suffix


async def processes():
    subprocess.run(["ls"], check=True)  # error: GIL204
    os.system("ls")  # error: GIL204
    proc = await asyncio.create_subprocess_exec("ls")
    await proc.wait()


async def primitives():
    with LOCK:  # error: GIL205
        await asyncio.sleep(0)  # held across an await: another coroutine waits for it
    JOBS.get()  # error: GIL205
    JOBS.get_nowait()
    JOBS.get(block=False)
    if LOCK.acquire(blocking=False):
        LOCK.release()
    lock = asyncio.Lock()
    async with lock:
        pass


async def ask():
    name = input("name? ")  # error: GIL207
    other = await asyncio.to_thread(input, "again? ")
    return name, other


def sync_code(url, path):
    time.sleep(1)
    requests.get(url)
    with open(path) as f:
        return f.read()


async def shadowed(time, requests):
    time.sleep(1)  # a parameter named `time` is not the module
    requests.get("x")
