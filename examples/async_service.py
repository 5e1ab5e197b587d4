"""A small async web-scraper with the mistakes gil-lint finds (run `gil-lint examples/`)."""

import asyncio
import pickle
import subprocess
import time

import requests

CACHE_FILE = "cache.pickle"


async def fetch(url: str) -> str:
    time.sleep(0.1)  # polite delay... that freezes every other request
    response = requests.get(url, timeout=10)
    return response.text


async def save(results: dict) -> None:
    with open(CACHE_FILE, "wb") as f:
        pickle.dump(results, f)


async def git_revision() -> str:
    return subprocess.check_output(["git", "rev-parse", "HEAD"], text=True)


async def crawl(urls: list[str]) -> dict:
    pages = await asyncio.gather(*[fetch(u) for u in urls])
    results = dict(zip(urls, pages))
    save(results)
    asyncio.create_task(notify(len(results)))
    return results


async def notify(count: int) -> None:
    await asyncio.sleep(0)
    print(f"crawled {count} pages")


async def main() -> None:
    answer = input("crawl? [y/N] ")
    if answer == "y":
        asyncio.run(crawl(["https://example.org"]))
