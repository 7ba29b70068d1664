"""Micro-batching: requests for one model that arrive within a few milliseconds run as one call of
its compiled, batched sampler (one call for 100 drawings costs little more than one for 1).

A Batcher owns one worker thread for its model, so TensorFlow calls never overlap, and the event
loop stays free while a call runs. Items with the same key (requests that can share a call: the
same signature, the same handwriting style) are gathered until `window` seconds after the first
of them arrived, or until they hold `max_rows` rows; then run(items) is called once with all of
them and must return one result per item, in order. With window=None every item runs alone
(batching off, for comparison).
"""
import asyncio
import concurrent.futures
import dataclasses


@dataclasses.dataclass
class _Pending:
    items: list
    futures: list
    rows: int
    timer: asyncio.TimerHandle | None = None


class Batcher:
    def __init__(self, run, window=0.005, max_rows=256, name="model"):
        self.run = run
        self.window = window
        self.max_rows = max_rows
        self.pending = {}
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{name}-worker")
        self.calls = 0  # how many model calls were made (for tests and the benchmark)

    async def submit(self, item, rows=1, key=None):
        """Queue an item of `rows` rows; returns its result (or raises the call's exception)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if self.window is None:
            self._start(loop, [item], [future])
            return await future
        batch = self.pending.get(key)
        if batch is not None and batch.rows + rows > self.max_rows:
            self._flush(loop, key)
            batch = None
        if batch is None:
            batch = self.pending[key] = _Pending([], [], 0)
            batch.timer = loop.call_later(self.window, self._flush, loop, key)
        batch.items.append(item)
        batch.futures.append(future)
        batch.rows += rows
        if batch.rows >= self.max_rows:
            self._flush(loop, key)
        return await future

    async def call(self, fn, *args):
        """Run fn(*args) alone on this model's worker thread (the calls that are not batched): the
        event loop never runs a model, and no two calls of one model overlap."""
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def _flush(self, loop, key):
        batch = self.pending.pop(key, None)
        if batch is None:
            return
        if batch.timer is not None:
            batch.timer.cancel()
        self._start(loop, batch.items, batch.futures)

    def _start(self, loop, items, futures):
        self.calls += 1
        task = loop.run_in_executor(self.executor, self.run, items)

        def done(task):
            error = task.exception()
            for i, future in enumerate(futures):
                if future.done():
                    continue
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(task.result()[i])

        task.add_done_callback(done)

    def close(self):
        self.executor.shutdown(wait=False, cancel_futures=True)
