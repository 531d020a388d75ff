"""Daemon threads for Textual's thread workers, so quitting never waits on a blocking AWS call.

Textual runs `@work(thread=True)` workers with `loop.run_in_executor(None, …)`. asyncio's default executor
joins its threads when the loop closes (and at interpreter exit), so a worker stuck in a slow S3 call kept
the process alive after `q`. Workers check their cancel flag between calls; a call in
flight when the user quits is abandoned, which is safe: workers only read, and post results to the app.
One thread per task also avoids the default pool's `cpu + 4` cap queueing workers behind a long poll.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class DaemonThreadExecutor(ThreadPoolExecutor):
    """Runs each submitted call on its own daemon thread; `shutdown` does not wait for them.

    A ThreadPoolExecutor subclass only because asyncio's `set_default_executor` requires one; the pool
    machinery is not used."""

    def __init__(self, name: str = "wb-worker") -> None:
        super().__init__(max_workers=1, thread_name_prefix=name)
        self._name = name
        self._shutdown = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        if self._shutdown:
            raise RuntimeError("cannot schedule new work after shutdown")
        future: Future[T] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as e:  # handed to the awaiting worker, which reports it
                future.set_exception(e)

        threading.Thread(target=run, name=self._name, daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True
