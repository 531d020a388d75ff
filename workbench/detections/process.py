"""The parent's handle on one rule worker process: start, request/reply, watch for hangs, kill, restart.

A request either returns the worker's reply or raises `WorkerCrash` naming the call that was running
(read from the shared watch slots) when the worker hung past its timeout or died. The caller decides
what to retry; this module only guarantees that no request blocks forever.

A worker holds what earlier requests gave it (the rules loaded, the parsers built), and requests may be
pipelined. So `send()` never replaces, on its own, a worker that died after taking requests: a fresh one
would lack their state, and would never answer the ones still unanswered (whose caller would wait
forever). Such a send reports the death instead, as a crash of every request the dead worker had not
answered. A caller about to (re)load a worker says so with `ensure_running()`.

The worker is forked from the caller when that is safe (same interpreter, no other threads: the CLI),
which skips an interpreter start-up; otherwise (the TUI's threads, `--python`) it is a new interpreter
(`worker_start`).

A call is cut once it has burned `timeout` seconds of CPU (a busy loop), or waited three times the
timeout (at least timeout + 2 s) of wall time (a sleep, a blocked read). Judging busy calls by CPU keeps a
healthy worker on a crowded machine from being killed just because it was not scheduled.
"""

from __future__ import annotations

import mmap
import os
import select
import signal
import struct
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

# Imported before the worker is forked, on purpose: both processes need it (~8 ms with the modules it pulls
# in), so the child inherits it instead of importing it again on the critical path of `rules test`.
import orjson

from workbench.detections import worker_start

if TYPE_CHECKING:
    import subprocess
    from io import BufferedRandom

HEADER = struct.Struct(">I")
IMPORT_TIMEOUT = 20.0  # importing content may pull in boto3 and friends on a busy machine
LOAD_IDENT = -1
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _tmp_dir() -> str:
    for d in (os.environ.get("TMPDIR"), "/tmp"):
        if d and os.path.isdir(d) and os.access(d, os.W_OK):
            return d
    import tempfile  # the platform's rules for the rest (~5 ms to import, so only when needed)

    return tempfile.gettempdir()


def _private_file(directory: str, prefix: str) -> tuple[int, str]:
    """A new file only this user can read (what tempfile.mkstemp does, without importing tempfile)."""
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        path = os.path.join(directory, prefix + os.urandom(8).hex())
        try:
            return os.open(path, flags, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free file name for {prefix} in {directory}")


class WorkerCrash(Exception):
    """The worker hung or died (or the caller cancelled, which kills it). `ident`/`ordinal` name the running
    call (None if it was between calls)."""

    def __init__(self, kind: str, message: str, ident: int | None, ordinal: int | None):
        super().__init__(message)
        self.kind = kind  # "timeout", "died" or "cancelled"
        self.message = message
        self.ident = ident
        self.ordinal = ordinal


def _frame(rid: int, body: bytes) -> bytes:
    """A request on the pipe: its length, then its JSON object with the id as the first key."""
    assert body[:1] == b"{", "a request is a JSON object"
    body = b'{"id":%d,' % rid + body[1:] if body != b"{}" else b'{"id":%d}' % rid
    return HEADER.pack(len(body)) + body


class WorkerProcess:
    def __init__(self, *, python: str | None = None, timeout: float = 1.0, memory_mb: int = 2048,
                 preload: tuple[str, ...] = ()):
        self.python = python or sys.executable
        self.timeout = timeout
        self.memory_mb = memory_mb
        # modules the worker imports as soon as it starts, while the caller is still reading the content
        self.preload = ",".join(preload)
        self.proc: worker_start.WorkerProc | None = None
        self._watch_file: str | None = None
        self._mm: mmap.mmap | None = None
        self._slots: memoryview | None = None  # the watch file as int64 slots (see worker.Watch)
        self._log: BufferedRandom | None = None
        self._links: str | None = None  # a spawned worker's package folder (see `package_links`)
        self._sent_here = False  # the running process has taken a request: it holds state a new one lacks
        self._unanswered: set[int] = set()  # ids written to the running process, final reply not yet taken
        self._lost_here: set[int] = set()  # ids sent while the running process was dead (never written)
        self._death = ""  # how the last worker died, for a request of it received after it was stopped
        self._killed = False  # killed by kill_now(), not yet reaped by stop()
        self._pipe_size = 0  # bytes the request pipe holds unread (0: unknown)
        self._inbuf = bytearray()  # reply bytes read but not yet returned
        self.starts = 0
        self._next_id = 0  # every request carries an id; every frame of its reply carries it back
        self.last_id = 0  # the id of the request sent last
        self.stale_frames = 0  # frames of an abandoned request that a later receive skipped

    # --- lifecycle ---------------------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self.proc is not None and not self._killed and self.proc.poll() is None

    def ensure_running(self) -> None:
        """Start a worker unless one runs: for a caller about to load it, which expects nothing of a dead one."""
        if not self.alive:
            self.start()

    def start(self) -> None:
        self.stop()
        self._inbuf = bytearray()
        self._sent_here = False
        # The CLI forks its worker before the parent imports its own heavy modules (YAML, the engine), so
        # the two processes import what only they need at the same time on different cores.
        fd, self._watch_file = _private_file("/dev/shm" if os.path.isdir("/dev/shm") else _tmp_dir(), "wb-rules-")
        os.write(fd, b"\0" * 32)
        self._mm = mmap.mmap(fd, 32)
        os.close(fd)
        self._slots = memoryview(self._mm).cast("q")
        fd, log_path = _private_file(_tmp_dir(), "wb-rules-stderr-")
        os.unlink(log_path)  # anonymous: it lives as long as the worker
        self._log = os.fdopen(fd, "w+b")
        self.starts += 1
        proc: worker_start.WorkerProc
        if self._can_fork():
            proc = worker_start.fork_worker(self._watch_file, self.memory_mb, self._log.fileno(), self.preload)
        else:
            proc = self._spawn()
        self.proc = proc
        assert proc.stdin is not None and proc.stdout is not None  # both ways of starting open both pipes
        # a batch of events is ~1 MB: bigger pipes mean fewer wake-ups of either process
        self._pipe_size = 0
        for pipe in (proc.stdin, proc.stdout):
            try:
                import fcntl

                fcntl.fcntl(pipe.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
            except (ImportError, OSError):
                pass
        try:
            import fcntl

            self._pipe_size = fcntl.fcntl(proc.stdin.fileno(), getattr(fcntl, "F_GETPIPE_SZ", 1032))
        except (ImportError, OSError):
            pass

    def reply_ready(self, wait: float = 0.0) -> bool:
        """Whether reply bytes are there to read (or the worker is gone), waiting up to `wait` seconds: a
        `receive()` then starts on its reply at once."""
        if self._inbuf or self.proc is None or self.proc.stdout is None:
            return True
        return bool(select.select([self.proc.stdout.fileno()], [], [], wait)[0])

    def fits_unread(self, nbytes: int) -> bool:
        """Whether requests of `nbytes` in all can be written before the worker reads any of them: then
        writing them never blocks, whatever the worker is doing (pipelining is only safe then)."""
        return nbytes + 2 * HEADER.size <= self._pipe_size

    def _can_fork(self) -> bool:
        """Fork (fast: no interpreter start-up, imports inherited) only where it is safe: this interpreter,
        a POSIX system, and no other threads whose locks the child could inherit held (the CLI; not the TUI)."""
        threading = sys.modules.get("threading")  # never imported: no thread was started with it
        return (hasattr(os, "fork") and self.python == sys.executable
                and (threading is None or threading.active_count() == 1)
                and not os.environ.get("WORKBENCH_SPAWN_WORKER"))

    def _spawn(self) -> subprocess.Popen[bytes]:
        assert self._watch_file is not None and self._log is not None
        proc, self._links = worker_start.spawn_worker(self.python, self._watch_file, self.memory_mb, self.preload,
                                                      self._log, _tmp_dir())
        return proc

    def kill_now(self) -> None:
        """Kill the worker (and its session) without waiting for it to be gone: its exit (freeing its memory
        takes milliseconds) overlaps the caller's work; `stop()` reaps it and closes the rest."""
        if worker_start.IN_FORKED_WORKER or self.proc is None or self.proc.poll() is not None:
            return
        self._killed = True
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            self.proc.kill()

    def stop(self) -> None:
        if worker_start.IN_FORKED_WORKER:
            return  # a forked worker's copy of its parent's handles must never kill anything
        self._unanswered, self._lost_here = set(), set()  # no later worker will answer them
        proc, self.proc = self.proc, None
        self._killed = False
        if proc is not None:
            if proc.poll() is None:
                try:
                    # the whole session: anything the rule spawned goes too
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()
        if self._slots is not None:
            self._slots.release()
            self._slots = None
        if self._mm is not None:
            self._mm.close()
            self._mm = None
        if self._watch_file:
            try:
                os.unlink(self._watch_file)
            except OSError:
                pass
            self._watch_file = None
        if self._links:
            worker_start.remove_links(self._links)
            self._links = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def stderr_tail(self, limit: int = 2000) -> str:
        if self._log is None:
            return ""
        try:
            self._log.seek(0, os.SEEK_END)
            size = self._log.tell()
            self._log.seek(max(0, size - limit))
            return self._log.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    # --- one request -------------------------------------------------------------------------------------

    def request(self, payload: bytes | dict, **kw: Any) -> dict:
        """Send one request and wait for its reply, killing the worker if a call hangs."""
        return self.receive(self.send(payload), **kw)

    def send(self, payload: bytes | dict) -> int:
        """Write one request and return its id; a worker that died on the way is reported by `receive()`.

        The id goes first in the request's JSON object; the worker copies it into every frame it writes
        back, so `receive(id)` can never take another request's reply for this one's. A worker that died
        after taking requests is not replaced (see the module's doc): the request is lost with it, and
        `receive()` reports the death for it and for every request the worker had not answered.
        """
        if not self.alive:
            if self.proc is not None and self._sent_here:
                return self._lose(self._new_id())
            self.start()
        body = payload if isinstance(payload, bytes) else orjson.dumps(payload, default=str,
                                                                     option=orjson.OPT_NON_STR_KEYS)
        rid = self._new_id()
        assert self.proc is not None and self.proc.stdin is not None
        self._sent_here = True
        try:
            self._write(_frame(rid, body))
        except (BrokenPipeError, ConnectionResetError):
            return self._lose(rid)
        self._unanswered.add(rid)
        return rid

    def hint(self, payload: bytes) -> None:
        """Write a request nobody waits for and nothing depends on (a warm-up): no reply is expected (the
        next `receive` skips it), a dead worker is left as it is, and the worker counts as holding no
        state for it."""
        if not self.alive or self.proc is None or self.proc.stdin is None:
            return
        self._next_id += 1  # an id of its own, not `last_id`: a `receive()` without one never waits on it
        try:
            self._write(_frame(self._next_id, payload))
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _new_id(self) -> int:
        self._next_id += 1
        self.last_id = self._next_id
        return self._next_id

    def _lose(self, rid: int) -> int:
        self._lost_here.add(rid)
        return rid

    def receive(self, rid: int | None = None, *, on_partial: Callable[[dict], None] | None = None,
                cancelled: Callable[[], bool] | None = None) -> dict:
        """Wait for the final reply to request `rid` (default: the one sent last), killing the worker if a
        call hangs. Frames of any other request (one whose caller gave up on it) are skipped, not returned.
        A frame with `"partial": true` is an installment of the reply (`on_partial` gets it) and the wait
        goes on. When `cancelled()` turns true, the worker is killed and WorkerCrash("cancelled") raised."""
        rid = self.last_id if rid is None else rid
        if rid not in self._unanswered:  # no running worker has it to answer: waiting would never end
            if rid in self._lost_here:  # sent to this dead worker: stop it and say how it died
                raise self._crashed("died", rid=rid)
            # its worker was stopped on another request's crash (or it was answered already)
            raise WorkerCrash("died", self._death or "the rule worker died (restarted)", None, None)
        # start() opens the pipes and maps the watch slots before any request is sent
        assert self.proc is not None and self.proc.stdout is not None and self._slots is not None
        slots = self._slots
        fd = self.proc.stdout.fileno()
        # bytes read past the previous reply: with two requests in flight, one read can hold both replies
        buf, self._inbuf = self._inbuf, bytearray()
        need: int | None = None
        last_seq, since = -1, time.monotonic()
        cpu_since: float | None = None
        poll = max(0.005, min(0.05, self.timeout / 4))
        while True:
            if need is None and len(buf) >= HEADER.size:
                need = HEADER.unpack_from(buf)[0] + HEADER.size
            if need is not None and len(buf) >= need:
                reply = orjson.loads(bytes(buf[HEADER.size:need]))
                del buf[:need]
                need = None
                if reply.get("id") != rid:
                    self.stale_frames += 1
                    continue
                if reply.get("partial"):
                    if on_partial is not None:
                        on_partial(reply)
                    continue
                self._inbuf = buf
                self._unanswered.discard(rid)
                if reply.get("restart"):
                    self.stop()  # the worker exits after this reply (e.g. after a MemoryError)
                return reply
            if cancelled is not None and cancelled():
                self._inbuf = bytearray()
                self.stop()
                self._death = "cancelled"
                raise WorkerCrash("cancelled", "cancelled", None, None)
            ready, _, _ = select.select([fd], [], [], poll)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise self._crashed("died", rid=rid)
                buf += chunk
                continue
            seq = slots[2]
            now = time.monotonic()
            if not seq & 1 or seq != last_seq:
                last_seq, since = seq, now
                cpu_since = self._cpu_seconds() if seq & 1 else None
                continue
            # a call is running and has not moved since `since`
            limit = IMPORT_TIMEOUT if slots[0] == LOAD_IDENT else self.timeout
            wall = now - since
            if wall < limit:
                continue
            # On a busy machine a healthy worker can be descheduled for longer than the timeout, so the
            # call is judged by the CPU time it burned; a call that waits (sleep, I/O) is cut at a wall cap.
            cpu = self._cpu_seconds()
            if cpu is None or cpu_since is None or wall >= max(3 * limit, limit + 2):
                raise self._crashed("timeout", limit, rid=rid)
            if cpu - cpu_since >= limit:
                raise self._crashed("timeout", limit, rid=rid)

    def _cpu_seconds(self) -> float | None:
        """User + system CPU time of the worker so far (Linux /proc), or None where that is unknown."""
        if self.proc is None:
            return None
        try:
            with open(f"/proc/{self.proc.pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        except (OSError, IndexError, ValueError):
            return None

    def _write(self, data: bytes) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        view = memoryview(data)
        while view:
            n = os.write(self.proc.stdin.fileno(), view)
            view = view[n:]

    def _crashed(self, kind: str, limit: float | None = None, *, rid: int | None = None) -> WorkerCrash:
        """The crash of request `rid`, stopping the worker; the requests it had not answered are lost."""
        slots = self._slots
        # slot 3 holds the id of the request the worker is on: a call of another request is not this one's
        running = slots is not None and slots[2] & 1 and (rid is None or slots[3] == rid)
        ident = int(slots[0]) if slots is not None and running else None
        ordinal = int(slots[1]) if slots is not None and running else None
        if kind == "timeout":
            message = f"timed out after {limit:g} s (the worker was killed and restarted)"
            self.stop()
        else:
            assert self.proc is not None
            import subprocess

            try:
                status = self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                status = None
            tail = self.stderr_tail()
            if status is not None and status < 0:
                how = f"was killed by signal {signal.Signals(-status).name}"
            else:
                how = f"exited with status {status}"
            message = f"the rule worker {how} (restarted)"
            if tail and not running:
                message += f": {tail.splitlines()[-1]}"
            self.stop()
        self._death = message
        return WorkerCrash(kind, message, ident, ordinal)
