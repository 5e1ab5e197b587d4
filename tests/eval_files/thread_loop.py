"""Labelled cases for where threads meet the event loop, and cancellation (GIL405, GIL406,
GIL408). tests/test_thread_loop.py computes recall and precision per code from the markers."""

import asyncio
import concurrent.futures
import functools
import threading
from asyncio import CancelledError
from concurrent.futures import Future, ThreadPoolExecutor

events = asyncio.Queue()
ready = asyncio.Event()


async def job():
    await asyncio.sleep(0)


# -- GIL405: loop objects touched from worker threads ---------------------------------------


def set_from_thread(loop, fut):
    fut.set_result(42)


def set_threadsafe(loop, fut):
    loop.call_soon_threadsafe(fut.set_result, 42)


def schedule(loop):
    loop.call_soon(print, "tick")


def schedule_later(loop):
    loop.call_later(1.0, print, "tock")


def stop_loop(loop):
    loop.stop()


def spawn(loop):
    loop.create_task(job())  # error: GIL402


def spawn_module_level():
    asyncio.create_task(job())  # error: GIL402


def ensure(coro):
    asyncio.ensure_future(coro)  # error: GIL402


def submit_threadsafe(loop):
    return asyncio.run_coroutine_threadsafe(job(), loop).result()


def produce(item):
    events.put_nowait(item)


def signal():
    ready.set()


def helper_that_schedules(loop):
    loop.call_soon(print)


def through_helper(loop):
    helper_that_schedules(loop)


def annotated(fut: asyncio.Future):
    fut.set_exception(RuntimeError())


def cancel_task(task: asyncio.Task):
    task.cancel()


def concurrent_result(fut: Future):
    fut.set_result(1)


def unknown_future(fut):
    fut.set_result(1)


def own_loop():
    loop = asyncio.new_event_loop()
    loop.call_soon(print)
    loop.run_forever()


def runs_its_own():
    asyncio.run(job())


def probe_loop():
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def no_loop_here():
    return asyncio.get_running_loop()


def release(lock: asyncio.Lock):
    lock.release()


def notify(cond: asyncio.Condition):
    cond.notify_all()


class Notifier(threading.Thread):
    def __init__(self, event: asyncio.Event):
        super().__init__()
        self.event = event

    def run(self):
        self.event.set()


class LoopThread(threading.Thread):
    def __init__(self):
        super().__init__()
        self.loop = asyncio.new_event_loop()

    def run(self):
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()


async def hand_offs(items, c):
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    await loop.run_in_executor(None, set_from_thread, loop, fut)  # error: GIL405
    await loop.run_in_executor(None, set_threadsafe, loop, fut)
    await asyncio.to_thread(schedule, loop)  # error: GIL405
    await asyncio.to_thread(schedule_later, loop)  # error: GIL405
    threading.Thread(target=stop_loop, args=(loop,)).start()  # error: GIL405
    await asyncio.to_thread(spawn, loop)  # error: GIL405
    await asyncio.to_thread(spawn_module_level)  # error: GIL405
    await asyncio.to_thread(ensure, c)  # error: GIL405
    await asyncio.to_thread(submit_threadsafe, loop)
    with ThreadPoolExecutor() as ex:
        ex.map(produce, items)  # error: GIL405
        ex.submit(signal)  # error: GIL405
        ex.submit(concurrent_result, Future())
        ex.submit(unknown_future, items)
    await asyncio.to_thread(through_helper, loop)  # error: GIL405
    await asyncio.to_thread(annotated, fut)  # error: GIL405
    await asyncio.to_thread(cancel_task, asyncio.current_task())  # error: GIL405
    await asyncio.to_thread(unknown_future, fut)  # error: GIL405
    await asyncio.to_thread(functools.partial(set_from_thread, loop, fut))  # error: GIL405
    await asyncio.to_thread(lambda: fut.set_result(1))  # error: GIL405
    await asyncio.to_thread(lambda: loop.call_soon_threadsafe(fut.set_result, 1))
    threading.Thread(target=own_loop).start()
    threading.Thread(target=runs_its_own).start()
    threading.Thread(target=probe_loop).start()
    threading.Thread(target=no_loop_here).start()  # error: GIL405
    await asyncio.to_thread(release, asyncio.Lock())  # error: GIL405
    await asyncio.to_thread(notify, asyncio.Condition())  # error: GIL405
    Notifier(ready).start()  # error: GIL405
    LoopThread().start()
    schedule(loop)  # on the loop's own thread: fine
    produce(1)


# -- GIL406: cancellation swallowed -----------------------------------------------------------


async def worker_swallows(queue):
    while True:
        try:
            item = await queue.get()
            await asyncio.sleep(item)
        except BaseException:  # error: GIL406
            print("failed")


async def worker_bare(queue):
    while True:
        try:
            await queue.get()
        except:  # noqa: E722  # error: GIL406
            pass


async def worker_named(queue):
    while True:
        try:
            await queue.get()
        except asyncio.CancelledError:  # error: GIL406
            print("cancelled, going on")


async def worker_imported(queue):
    while True:
        try:
            await queue.get()
        except (CancelledError, OSError):  # error: GIL406
            continue


async def then_more(conn):
    # a few awaits after the swallow, then the coroutine ends: the task still finishes
    try:
        await conn.read()
    except asyncio.exceptions.CancelledError:
        pass
    await conn.send(b"more work")


async def then_serves_on(conn):
    try:
        await conn.read()
    except asyncio.exceptions.CancelledError:  # error: GIL406
        pass
    while True:
        await conn.send(b"more work")


async def graceful_shutdown(server, conn):
    try:
        await server.serve_forever()
    except asyncio.CancelledError:
        pass
    await conn.close()
    await server._shutdown()


async def cancel_children(tasks):
    try:
        await asyncio.wait(tasks)
        return
    except asyncio.CancelledError:
        pass
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def gathers_new_work(urls, fetch):
    try:
        await asyncio.sleep(1)
    except asyncio.CancelledError:
        pass
    await asyncio.gather(*[fetch(u) for u in urls])  # error: GIL404


async def async_with_swallowed(lock, conn):
    while True:
        try:
            async with lock:
                await conn.read()
        except asyncio.CancelledError:  # error: GIL406
            pass


async def finally_continue(queue):
    while True:
        try:
            await queue.get()
        finally:
            continue  # error: GIL406


async def break_then_await(queue, conn):
    while True:
        try:
            await queue.get()
        except asyncio.CancelledError:  # error: GIL406
            break
    async for message in conn:
        await conn.send(message)


async def break_then_close(queue, conn):
    while True:
        if queue.empty():
            try:
                await queue.get()
            except asyncio.CancelledError:
                break
        await conn.send(b"item")
    await conn.close()


async def reraises(queue):
    while True:
        try:
            await queue.get()
        except asyncio.CancelledError:
            print("bye")
            raise


async def reraises_base(queue):
    while True:
        try:
            await queue.get()
        except BaseException as exc:
            print(exc)
            raise exc


async def exception_only(queue):
    while True:
        try:
            await queue.get()
        except Exception:
            pass


async def concurrent_cancelled(queue):
    while True:
        try:
            await queue.get()
        except concurrent.futures.CancelledError:
            pass


async def no_await(queue):
    while True:
        try:
            queue.get_nowait()
        except asyncio.CancelledError:
            pass
        await asyncio.sleep(1)


async def wait_cancelled(task, conn):
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    await conn.close()


async def ends_on_cancel(queue):
    while True:
        try:
            await queue.get()
        except asyncio.CancelledError:
            return


async def last_statement(conn):
    await conn.open()
    try:
        await conn.read()
    except asyncio.CancelledError:
        print("stopped")


async def deferred(queues):
    cancelled = False
    for q in queues:
        try:
            await q.get()
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        raise asyncio.CancelledError


async def converted(conn):
    try:
        await conn.read()
    except asyncio.CancelledError:
        raise TimeoutError from None
    await conn.close()


async def timeout_task(task, conn):
    try:
        async with asyncio.timeout(1):
            await task
    except (asyncio.TimeoutError, asyncio.CancelledError):
        pass
    await conn.close()


def sync_bare(f):
    try:
        f()
    except:  # noqa: E722
        pass


# -- GIL408: waiting on the loop's own future ---------------------------------------------


async def waits_variable(loop):
    fut = asyncio.run_coroutine_threadsafe(job(), loop)
    return fut.result()  # error: GIL408


async def waits_direct():
    loop = asyncio.get_running_loop()
    asyncio.run_coroutine_threadsafe(job(), loop).result(timeout=5)  # error: GIL408


async def waits_concurrently(loop):
    fut = asyncio.run_coroutine_threadsafe(job(), loop)
    concurrent.futures.wait([fut])  # error: GIL408


async def waits_for_many(loop, coros):
    futs = [asyncio.run_coroutine_threadsafe(c, loop) for c in coros]
    for fut in concurrent.futures.as_completed(futs):  # error: GIL408
        print(fut.result())


async def waits_on_alias(loop):
    from asyncio import run_coroutine_threadsafe as submit

    return submit(job(), loop).result()  # error: GIL408


async def waits_properly(loop):
    fut = asyncio.run_coroutine_threadsafe(job(), loop)
    return await asyncio.wrap_future(fut)


def from_another_thread(loop):
    return asyncio.run_coroutine_threadsafe(job(), loop).result()


async def offloads_the_wait(loop):
    def wait():
        return asyncio.run_coroutine_threadsafe(job(), loop).result()

    return await asyncio.to_thread(wait)


async def pool_result(ex: ThreadPoolExecutor):
    return ex.submit(print).result(timeout=0)


# a watchdog thread samples what a named loop runs: a read about that loop, from anywhere
class LoopWatchdog:
    def __init__(self, loop):
        self._loop = loop

    def _sample(self):
        return asyncio.current_task(self._loop), len(asyncio.all_tasks(loop=self._loop))

    def start(self):
        threading.Thread(target=self._sample, daemon=True).start()


# the same question without a loop asks the worker thread's own (it has none)
def _whose_task():
    return asyncio.current_task()


def watch_without_a_loop():
    threading.Thread(target=_whose_task).start()  # error: GIL405
