"""The composition root: `workbench <command>`. Each command lives in its own module in this package and
exposes `register(subparsers)`; heavy libraries are imported inside the command, so `--help` is instant.

Exit codes (`EXIT_CODES`, shown by `workbench --help` and in the README): 0 success; 1 the command ran and
found a failure; 2 usage or configuration error, or a failure reported as one sentence; 128+N ended by
signal N.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import sys

from workbench.errors import WorkbenchError
from workbench.safetext import one_line

EXIT_CODES = """exit codes:
  0    success
  1    the command ran and found a failure: a failed schema or rule test, an invalid schema or rule spec,
       a rule error (rules run, replay), a failed connection or mapping check (sources check), a failed
       replay task, or partial input with --strict (unparsed lines; objects incomplete, empty, binary,
       unreadable, repaired, or not parsed because of the source config)
  2    usage or configuration error (bad flags, a config file mistake, a missing file), reported in one line
  130  interrupted (Ctrl+C); a replay stopped early keeps its results file for --resume
  129, 143  ended by SIGHUP / SIGTERM (tail, tui, demo): temporary queues and processes are removed first
"""

# Order in `workbench --help`; any other module with `register` is listed after these.
COMMAND_ORDER = ["demo", "tui", "sources", "sample", "detect", "infer", "parse", "schema", "rules", "tail", "replay"]
_NOT_COMMANDS = {"common", "progress"}


@functools.cache
def _command_modules() -> list[str]:
    # a directory listing, not pkgutil.iter_modules: that imports `inspect`, ~10 ms on every command
    found = {name[:-3] for d in __path__ for name in os.listdir(d)
             if name.endswith(".py") and name[:-3].isidentifier() and not name.startswith("_")} - _NOT_COMMANDS
    return [n for n in COMMAND_ORDER if n in found] + sorted(found - set(COMMAND_ORDER))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole CLI; with `only`, just that command (importing every command module costs ~0.1 s)."""
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Onboard S3 logs into a Panther-style data lake: sample, infer schemas, parse, run detections, tail live.",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = _command_modules()
    for name in [only] if only in names else names:
        module = importlib.import_module(f"workbench.cli.{name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


class _VersionAction(argparse.Action):
    """Like argparse's "version" action, but reads the installed version only when asked (it costs ~0.1 s)."""

    def __call__(self, parser, namespace, values, option_string=None):
        print(_version())
        parser.exit()


def _version() -> str:
    try:
        from importlib.metadata import version

        return f"workbench {version('log-workbench')}"
    except Exception:
        return "workbench (source tree)"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # `workbench CMD …` builds only CMD's parser; anything else (help, typos) builds them all
    parser = build_parser(only=argv[0] if argv and not argv[0].startswith("-") else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        # no subcommand: open the TUI when there is a terminal, else show help
        if sys.stdin.isatty() and sys.stdout.isatty() and "tui" in _command_modules():
            args = build_parser(only="tui").parse_args(["tui", *argv])
        else:
            parser.print_help()
            return 2
    _exit_now.clear()
    if getattr(args, "exit_at_once", False):
        _exit_now.append(True)
    try:
        return int(args.func(args) or 0)
    except WorkbenchError as e:
        print(f"error: {one_line(e, 1000)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # downstream closed (e.g. `| head`): not an error; silence the flush at exit
        try:
            sys.stdout = open("/dev/null", "w")  # noqa: SIM115
        except OSError:
            pass
        return 0
    except OSError as e:
        # a file the user named cannot be opened or written (bad path, permissions, disk full): one sentence
        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {one_line(where + (e.strerror or str(e)), 1000)}; check the path and its permissions.",
              file=sys.stderr)
        return 2


# set by `main` for a command registered with `exit_at_once=True`
_exit_now: list[bool] = []


def run() -> int:
    """The console script and `python -m workbench.cli`: `main`, without the interpreter's last sweep.

    At exit the interpreter runs a full garbage collection over every object still alive: ~10 ms after
    `rules test`, a tenth of its run. Commands close their files with `with` and stop their workers
    themselves, so nothing needs a cycle collected to finish; the objects are frozen out of that sweep.

    A command registered with `exit_at_once=True` (it starts no process, leaves no temporary file and has
    closed what it wrote) skips the interpreter's shutdown altogether: once standard output and error are
    flushed, freeing every object botocore loaded (its endpoint and S3 models) one by one and joining idle
    fetch threads is ~50 ms that changes nothing the user can see.
    """
    rc = main()
    if _exit_now:
        _flush_and_exit(rc)
    import gc

    gc.freeze()
    return rc


def _flush_and_exit(rc: int) -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass  # a reader that went away (`| head`), or a stream already closed: nothing left to deliver
        except OSError:
            rc = rc or 2  # the output could not be written whole: the normal exit would have failed too
    os._exit(rc)


if __name__ == "__main__":
    sys.exit(run())
