import asyncio
from asyncio import create_task as spawn

background = set()


async def work(i):
    await asyncio.sleep(i)


async def agen():
    yield 1


class Service:
    async def save(self):
        await asyncio.sleep(0)

    async def run(self):
        self.save()  # error: GIL401
        await self.save()


async def main(urls, loop):
    work(1)  # error: GIL401
    asyncio.sleep(1)  # error: GIL401
    await work(1)
    agen()  # async generators are not coroutines
    asyncio.create_task(work(1))  # error: GIL402
    asyncio.ensure_future(work(2))  # error: GIL402
    spawn(work(3))  # error: GIL402
    loop.create_task(work(4))  # error: GIL402
    task = asyncio.create_task(work(5))
    background.add(task)
    task.add_done_callback(background.discard)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(work(6))
    asyncio.run(work(7))  # error: GIL403
    loop.run_until_complete(work(8))  # error: GIL403
    await asyncio.gather(*[work(u) for u in urls])  # error: GIL404
    await asyncio.gather(*[work(i) for i in range(5)])
    await asyncio.gather(work(1), work(2))
    tasks = []
    for u in urls:
        tasks.append(work(u))
    await asyncio.gather(*tasks)  # error: GIL404


async def bounded(urls):
    limit = asyncio.Semaphore(10)

    async def one(u):
        async with limit:
            await work(u)

    await asyncio.gather(*[one(u) for u in urls])


def entry():
    asyncio.run(main([], None))
