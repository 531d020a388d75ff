"""How a rule worker process comes to be: forked from the caller, or a fresh interpreter.

Forking (the CLI: the same interpreter, no other threads) skips an interpreter start-up and inherits the
imports. A fresh interpreter (the TUI's threads, `--python`) imports `workbench.detections.worker` the
normal way; any interpreter, even one without log-workbench or its dependencies (a content repository's
venv), gets this installation's packages through PYTHONPATH: a private folder that links exactly the
engine's packages (`workbench`, and `panther_core`, whose event objects rules receive) to where the import
system found them here, so nothing else of this environment leaks in. The stand-in
`panther_detection_helpers` is linked in a second folder that the worker consults after every other finder
(`finders.StandInFinder`): an interpreter's own installed package of that name wins.
"""

from __future__ import annotations

import os
import signal
import time
from typing import IO, TYPE_CHECKING, BinaryIO, Protocol

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    import subprocess

_BOOT = "import sys\nfrom workbench.detections.worker import main\nmain(sys.argv[1:])\n"
ENGINE_PACKAGES = ("workbench", "panther_core")  # always this installation's, first on the worker's path
STAND_INS = ("panther_detection_helpers",)  # ours only where the worker's interpreter has none installed


IN_FORKED_WORKER = False


class WorkerProc(Protocol):
    """What the parent uses of a worker process: a subprocess.Popen or a ForkedProc."""

    @property
    def pid(self) -> int: ...
    @property
    def stdin(self) -> IO[bytes] | None: ...
    @property
    def stdout(self) -> IO[bytes] | None: ...
    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...
    def kill(self) -> None: ...


class ForkedProc:
    """The bits of subprocess.Popen the parent uses, for a worker started with os.fork()."""

    def __init__(self, pid: int, stdin_fd: int, stdout_fd: int):
        self.pid = pid
        self.stdin = os.fdopen(stdin_fd, "wb", buffering=0)
        self.stdout = os.fdopen(stdout_fd, "rb", buffering=0)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if timeout is None:
            if self.returncode is None:
                # no deadline (after SIGKILL, in stop()): block in the kernel rather than poll every 5 ms
                try:
                    _pid, status = os.waitpid(self.pid, 0)
                    self.returncode = os.waitstatus_to_exitcode(status)
                except ChildProcessError:
                    self.returncode = -1
            return self.returncode
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                import subprocess  # not at the top: a forked worker (the CLI) never needs the rest of it

                raise subprocess.TimeoutExpired(f"rule worker {self.pid}", timeout)
            time.sleep(0.005)
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _forget_parent_signals() -> None:
    """Give the forked worker the signal state a fresh interpreter has (interval timers are not inherited by a
    fork; handlers and the wakeup fd are): no wakeup fd (the parent's, e.g. an asyncio loop's, is closed below
    and its number may be reused) and none of the parent's Python handlers (a test runner's SIGALRM, an app's
    SIGHUP), which would otherwise run inside rule code."""
    try:
        signal.set_wakeup_fd(-1)
    except ValueError:  # not the main thread: nothing was set on this one
        pass
    for name in ("SIGALRM", "SIGVTALRM", "SIGPROF", "SIGCHLD", "SIGHUP", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGWINCH"):
        if hasattr(signal, name):
            try:
                signal.signal(getattr(signal, name), signal.SIG_DFL)
            except (OSError, ValueError):
                pass


def fork_worker(watch_file: str, memory_mb: int, log_fd: int, preload: str) -> ForkedProc:
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: never returns into the caller's code
        global IN_FORKED_WORKER
        IN_FORKED_WORKER = True
        code = 0
        try:
            import gc

            # everything inherited from the parent is dead weight here: keep the collector off it (and
            # off its pages, which stay shared with the parent)
            gc.freeze()
            _forget_parent_signals()
            os.setsid()  # its own session, so stop() can kill whatever a rule spawned
            os.dup2(in_r, 0)
            os.dup2(out_w, 1)
            os.dup2(log_fd, 2)
            # nothing else of the parent's: other workers' pipes must see EOF when the parent closes them
            os.closerange(3, 1 << 16)
            from workbench.detections.worker import main

            main([watch_file, str(memory_mb), preload])
        except BaseException:
            code = 70
        finally:
            os._exit(code)
    os.close(in_r)
    os.close(out_w)
    return ForkedProc(pid, in_w, out_r)


def _installed_dir(name: str) -> str:
    """Where this installation's package `name` is, as the import system finds it (site-packages for a
    wheel, the project folder for an editable install)."""
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise WorkbenchError(f"The package {name} is missing from this log-workbench installation; reinstall it.")
    return next(iter(spec.submodule_search_locations))


def package_links(directory: str) -> tuple[str, str]:
    """A private folder under `directory` for a spawned worker: (engine folder, stand-ins folder), each holding
    symbolic links named after the packages to their installed folders. Removed with `remove_links`."""
    root = os.path.join(directory, "wb-rules-packages-" + os.urandom(8).hex())
    os.mkdir(root, 0o700)
    engine, stand_ins = os.path.join(root, "engine"), os.path.join(root, "stand-ins")
    try:
        for folder, names in ((engine, ENGINE_PACKAGES), (stand_ins, STAND_INS)):
            os.mkdir(folder)
            for name in names:
                os.symlink(_installed_dir(name), os.path.join(folder, name), target_is_directory=True)
    except BaseException:
        remove_links(root)
        raise
    return engine, stand_ins


def remove_links(root: str) -> None:
    """Remove a `package_links` folder: the links and their folders, never what they point to."""
    for folder in ("engine", "stand-ins"):
        path = os.path.join(root, folder)
        try:
            for name in os.listdir(path):
                os.unlink(os.path.join(path, name))
            os.rmdir(path)
        except OSError:
            pass
    try:
        os.rmdir(root)
    except OSError:
        pass


def spawn_worker(python: str, watch_file: str, memory_mb: int, preload: str, log: BinaryIO,
                 directory: str) -> tuple[subprocess.Popen[bytes], str]:
    """A worker in a fresh `python`: (the process, its package-links folder under `directory`, which the
    caller removes with `remove_links` once the process is gone)."""
    import subprocess

    engine, stand_ins = package_links(directory)
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")  # alert contexts serialise the same every run
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (engine, env.get("PYTHONPATH"))))
    try:
        proc = subprocess.Popen(
            [python, "-c", _BOOT, watch_file, str(memory_mb), preload, stand_ins],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, start_new_session=True, bufsize=0, env=env,
        )
    except OSError as e:
        remove_links(os.path.dirname(engine))
        raise WorkbenchError(f"Cannot start the rule worker with {python}: {e.strerror or e}.") from None
    return proc, os.path.dirname(engine)
