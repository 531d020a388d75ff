"""The rule worker: a separate process that imports detection content once and evaluates it on request.

Started by `process.WorkerProcess` (possibly under another Python, e.g. a content repo's own venv), so it
imports only the standard library, `panther_core` and its siblings (`evaluate`; `worker_requests`, what it
answers). It speaks length-prefixed JSON frames over its stdin/stdout; everything a rule prints goes to a
per-call capture instead.

Guards that keep one bad rule from taking the engine down with it: the address-space limit turns a
memory bomb into a MemoryError (after which the worker exits and is replaced), `os.fork` is refused, and
the watch slots (shared memory) tell the parent which call is running, so it can kill a hung worker and
blame the right rule.
"""

from __future__ import annotations

import json
import mmap
import os
import struct
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from workbench.detections.evaluate import Watch, error_text, install_capture
from workbench.detections.finders import StandInFinder
from workbench.detections.worker_requests import Worker

try:  # the worker may run under an interpreter without orjson
    import orjson

    _loads: Callable[[bytes], Any]

    def _dumps(obj: Any) -> bytes:
        return orjson.dumps(obj, default=str, option=orjson.OPT_NON_STR_KEYS)

    _loads = orjson.loads
except ImportError:  # pragma: no cover - exercised with --python
    def _dumps(obj: Any) -> bytes:
        return json.dumps(obj, default=str).encode()

    _loads = json.loads

HEADER = struct.Struct(">I")


def _no_fork(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise PermissionError("rules may not fork the rule worker process")


def _mapped_bytes() -> int:
    """The worker's current address-space size (0 where /proc is not available)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _harden(memory_mb: int) -> None:
    os.fork = _no_fork
    os.forkpty = _no_fork
    # a fork that slips past (e.g. through C code) must not run a second copy of the worker loop
    os.register_at_fork(after_in_child=lambda: os._exit(70))
    if memory_mb > 0:
        try:
            import resource

            _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            # the budget is for what rules allocate, on top of what the worker already maps: a worker forked
            # from a big process (a test run with dask and pyarrow loaded, its threads' stacks) inherits that
            # whole address space, and a fixed cap left a runaway recursion no room to raise RecursionError
            limit = _mapped_bytes() + memory_mb * 1024 * 1024
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        except (ImportError, ValueError, OSError):
            pass


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def _preload(names: str) -> None:
    """Import modules a run will need (e.g. unittest.mock, ~70 ms with asyncio) before the first request.

    The worker starts while the caller is still reading the content's YAML, so this runs alongside it
    instead of after it. A module that fails to import is simply left for the rule that needs it.
    """
    import importlib

    for name in filter(None, names.split(",")):
        try:
            importlib.import_module(name)
        except Exception:
            pass


ORPHAN_CHECK = 1.0  # seconds between checks that the parent is still there


def _exit_when_orphaned(parent: int) -> None:
    """End this worker once its parent is gone (killed, crashed) and it has been handed to another process.

    A worker busy in a rule that never returns (`while True: pass`) would otherwise spin for ever: only the
    parent's watchdog stops such a rule, and the parent is what died. The pipe's end of file is no help then,
    since the main thread is not reading it. A daemon thread runs between the rule's bytecodes (the GIL is
    handed over every few milliseconds), so it catches every pure-Python loop."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK)
        os._exit(0)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def main(argv: list[str]) -> None:
    """argv: the watch file, the memory cap in MiB, modules to preload (comma-separated), and for a worker
    started under another interpreter the folder of our stand-in packages (see `StandInFinder`)."""
    watch_path, memory_mb = argv[0], int(argv[1])
    if len(argv) > 3 and argv[3]:
        sys.meta_path.append(StandInFinder(argv[3]))
    proto_in = os.dup(0)
    proto_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # stray writes to fd 1 must never corrupt the protocol
    sys.stdin = open(os.devnull)  # noqa: SIM115
    _exit_when_orphaned(os.getppid())  # before _harden: the thread's stack is reserved under no address-space cap
    _preload(argv[2] if len(argv) > 2 else "")
    with open(watch_path, "r+b") as f:
        mm = mmap.mmap(f.fileno(), 32)
    mm_slots = memoryview(mm).cast("q")
    worker = Worker(Watch(mm_slots))
    install_capture(worker.capture)
    _harden(memory_mb)
    import gc

    # evaluation allocates many short-lived, acyclic views that reference counting frees: collect rarely
    gc.set_threshold(20000, 50, 50)
    gc.enable()  # whatever the process it was forked from chose (the CLI's `rules test` runs without it)
    while True:
        head = _read_exact(proto_in, HEADER.size)
        if head is None:
            return
        body = _read_exact(proto_in, HEADER.unpack(head)[0])
        if body is None:
            return
        rid = None
        msg: Any = None
        try:
            msg = _loads(body)
            rid = msg.get("id")
            mm_slots[3] = rid or 0  # which request the running calls belong to (the parent checks)

            def emit(frame: dict, rid: Any = rid) -> None:
                _write_frame(proto_out, frame, rid)

            worker.emit = emit
            reply = worker.handle(msg)
        except MemoryError:
            reply = {"error": "MemoryError while handling a request"}
            worker.must_exit = True
        except Exception as e:  # the parent shows it; the worker keeps serving
            reply = {"error": error_text(e)}
        if worker.must_exit:
            reply["restart"] = True  # so the parent waits for this process instead of writing to it
        elif not reply and isinstance(msg, dict) and msg.get("op") == "warm":
            continue  # a warm-up: nobody waits for its reply (a frame left unread would look like one)
        _write_frame(proto_out, reply, rid)
        if worker.must_exit:
            os._exit(0)


def _write_frame(fd: int, frame: dict, rid: Any) -> None:
    frame["id"] = rid  # every frame names its request: the parent never takes it for another's
    data = _dumps(frame)
    # header and body in one write: written apart, the parent wakes up twice per reply (and on a busy
    # machine every wake-up waits for a time slice)
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        n = os.write(fd, view)
        view = view[n:]
