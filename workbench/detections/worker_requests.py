"""What the rule worker answers: loading the content (rules, data models, helpers), rules over events or
raw records, unit tests with mocks, and a warm-up; one `Worker` per worker process (worker.py runs it).

Like worker.py it imports only the standard library, `panther_core` and its siblings `evaluate`, `finders`
and `mocks`: it may run under another interpreter. While a rule's code runs, the watch slots (shared
memory) say which call it is, so the parent can blame the right rule.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from panther_core.data_model import DataModel
from panther_core.enriched_event import PantherEvent
from workbench.detections.evaluate import _NO_MATCH, Capture, Detection, Watch, error_text
from workbench.detections.finders import GlobalFinder
from workbench.detections.mocks import MockPool

LOAD_IDENT = -1  # slot 0 while importing content
PARTIAL_EVERY = 100  # events between partial frames: what a crash makes the batch evaluate again at most
MODULE_VERSIONS = 3  # imported versions of one rule file kept for runs that began before an edit
PARTIAL_SECONDS = 0.2  # and at least this often, so a cancelled run keeps what slow rules did meanwhile


_NEVER = 1 << 62


class _Record:
    """What a parser reads of a record (workbench.model.Record's fields, without importing the model)."""

    __slots__ = ("bucket", "flags", "key", "line", "offset", "text", "time")

    def __init__(self, bucket: str, key: str, line: int, text: str):
        self.bucket, self.key, self.line, self.text = bucket, key, line, text
        self.time, self.offset, self.flags = None, 0, ()


def _frame(out: list, shown: dict, ran: dict, types: dict, done: int, with_events: bool, *, partial: bool) -> dict:
    frame: dict[str, Any] = {"results": out, "done": done}
    if partial:
        frame["partial"] = True
    if with_events:
        frame["events"] = list(shown.items())
        frame["ran"] = list(ran.items())
        frame["types"] = list(types.items())
    return frame


class Worker:
    def __init__(self, watch: Watch):
        self.watch = watch
        self.capture = Capture()
        self.detections: dict[int, Detection] = {}
        self.by_type: dict[str, list[Detection]] = {}
        self.data_models: dict[str, DataModel] = {}
        self.mocks = MockPool()
        # (py_path, mtime) -> module, reused across reloads. Older versions are kept a while: a run that began
        # before an edit loads its own version of the content again and must get the code it began with.
        self.modules: dict[tuple[str, int], Any] = {}
        self.versions: dict[str, list[tuple[str, int]]] = {}  # py_path -> its keys in `modules`, oldest first
        self.finder: GlobalFinder | None = None
        self.must_exit = False
        self.parsers: dict[str, Any] = {}  # key -> a source's parse function (see `build_parsers`)
        self.emit: Callable[[dict], None] = lambda frame: None  # writes a partial frame of the current reply

    # --- loading -----------------------------------------------------------------------------------------

    def _import(self, name: str, path: str, ordinal: int) -> Any:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        slots = self.watch.slots
        self.watch.seq += 1
        slots[0] = LOAD_IDENT
        slots[1] = ordinal
        slots[2] = self.watch.seq * 2 + 1
        try:
            spec.loader.exec_module(module)
        finally:
            slots[2] = self.watch.seq * 2
        return module

    def load(self, msg: dict) -> dict:
        if self.finder is None:
            self.finder = GlobalFinder(dict(msg.get("globals") or {}))
            sys.meta_path.append(self.finder)
        errors: dict[str, str] = {}
        self.data_models = {}
        for dm in msg.get("data_models") or []:
            try:
                module = None
                if dm.get("py_path"):
                    module = self._import(f"datamodel_{dm['model_id']}", dm["py_path"], -1)
                model = DataModel(dm["model_id"], dm["mappings"], module)
            except BaseException as e:  # a broken data model is reported, not fatal
                errors[f"datamodel:{dm['model_id']}"] = error_text(e)
                continue
            for lt in dm["log_types"]:
                self.data_models[lt] = model
        skip = set(msg.get("skip") or [])
        self.detections = {}
        self.by_type = {}
        for spec in msg.get("rules") or []:
            if spec["rule_id"] in skip:
                continue
            try:
                key = (spec["py_path"], spec["mtime"])
                module = self.modules.get(key)
                if module is None or module.__name__ != spec["rule_id"]:
                    module = self._import(spec["rule_id"], spec["py_path"], spec["ordinal"])
                    versions = self.versions.setdefault(key[0], [])
                    if key not in self.modules:
                        versions.append(key)
                    self.modules[key] = module
                    for old in versions[:-MODULE_VERSIONS]:
                        del self.modules[old]
                    del versions[:-MODULE_VERSIONS]
                det = Detection(spec, module)
            except BaseException as e:
                errors[spec["rule_id"]] = error_text(e)
                self.capture.take()
                continue
            self.capture.take()  # output printed at import time belongs to no call
            self.detections[det.ordinal] = det
            if spec["enabled"]:
                for lt in spec["log_types"]:
                    self.by_type.setdefault(lt, []).append(det)
        return {"errors": errors}

    # --- rules over events -------------------------------------------------------------------------------

    def events(self, msg: dict) -> dict:
        """Rules over events the parent parsed (`msg["events"]`)."""
        return self._evaluate(msg["events"], msg, with_events=False)

    def records(self, msg: dict) -> dict:
        """Parse raw records with the parsers of `msg["parser"]` (see `build_parsers`), then run the rules on the
        events. Only what is not a silent no-match comes back, with its event; plus per rule how many events
        it ran on, and the parse outcome (sent once, before any rule runs: a resumed batch parses again)."""
        parse = self.parsers[msg["parser"]]
        events: list = []
        parse_errors: list = []
        n_records = 0
        for bucket, key, lines in msg["objects"]:
            for line, text in lines:
                n_records += 1
                got = parse(_Record(bucket, key, line, text))
                if got is None:
                    continue
                if type(got) is dict:
                    events.append(got)
                else:
                    parse_errors.append(str(got))
        if not msg.get("start"):
            self.emit({"partial": True, "parsed": len(events), "records": n_records,
                       "parse_errors": len(parse_errors), "parse_error_sample": parse_errors[:20]})
        return self._evaluate(events, msg, with_events=True)

    def build_parsers(self, msg: dict) -> dict:
        """Build a parse function with the factory the caller names ("module:function", called with
        `args`): the caller's layer knows the parsers, this package does not."""
        import importlib

        module, _, name = msg["factory"].partition(":")
        self.parsers[msg["key"]] = getattr(importlib.import_module(module), name)(**msg["args"])
        return {"ok": True}

    def _evaluate(self, events: list, msg: dict, *, with_events: bool) -> dict:
        """Run every enabled rule of each event's log type; reply only with what is not a silent no-match.

        Starts at event `msg["start"]` (a batch resumed after a crash), skips the (event, rule) pairs in
        `skip` (calls that crashed the worker) and the rules in `suspend` (from the event given with each).
        Every PARTIAL_EVERY events the results so far go out as a partial frame with `done` (events
        finished), so a crash later in the batch loses only what came after. A MemoryError ends the batch
        after its event (`done` tells where to resume): this process exits and a fresh one takes the rest.

        The watch slots are written as cheaply as the parent's watchdog allows: the event's index once per
        event, and per call only the rule's ordinal and a new odd sequence number (progress). They go back
        to "between calls" (even) once per frame instead of after every call: the few microseconds of our
        own code between two calls are simply counted as the last call's.
        """
        skip = {(i, o) for i, o in msg.get("skip") or []}
        suspend = {o: first for o, first in msg.get("suspend") or ()}  # ordinal -> first event not to run on
        out: list = []
        shown: dict[int, Any] = {}  # event index -> event, for events with a result (records only)
        ran: dict[int, int] = {}  # ordinal -> events it ran on since the last frame (records only)
        types: dict[str, int] = {}  # log type -> events since the last frame (records only)
        capture = self.capture
        by_type = self.by_type
        dms = self.data_models
        watch = self.watch
        slots = watch.slots
        adopt = PantherEvent._adopt
        start = msg.get("start") or 0
        done = start
        flush_at = start + PARTIAL_EVERY
        clock = time.monotonic
        flush_by = clock() + PARTIAL_SECONDS
        try:
            for i in range(start, len(events)):
                raw = events[i]
                if type(raw) is not dict:
                    continue
                lt = raw.get("p_log_type")
                if type(lt) is not str:  # no rule runs on it; a list here would make get() raise
                    continue
                dets = by_type.get(lt)
                if not dets:
                    continue
                event = adopt(raw, dms.get(lt))  # decoded just now: no copy needed
                slots[0] = i
                if with_events:
                    types[lt] = types.get(lt, 0) + 1
                for det in dets:
                    if skip and (i, det.ordinal) in skip:  # a call that crashed: charged, not run again
                        if with_events:
                            ran[det.ordinal] = ran.get(det.ordinal, 0) + 1
                            shown[i] = raw  # the parent shows the event with the call's error
                        continue
                    if suspend and i >= suspend.get(det.ordinal, _NEVER):
                        continue
                    if with_events:
                        ran[det.ordinal] = ran.get(det.ordinal, 0) + 1
                    fn = det.rule_fn
                    if fn is not None:
                        # inlined fast path of Detection.run for rule() == False (most calls)
                        seq = watch.seq = watch.seq + 1
                        slots[1] = det.ordinal
                        slots[2] = seq * 2 + 1
                        try:
                            matched = fn(event)
                        except BaseException as e:  # sys.exit() in a rule is that rule's error too
                            res = det.rule_error(e)
                        else:
                            if matched is False and not capture.dirty:
                                continue
                            res = det.finish(event, watch, i, matched)
                    else:
                        res = det.run(event, watch, i, test_mode=False)
                    if res is _NO_MATCH and not capture.dirty:
                        continue
                    stdout = capture.take() if capture.dirty else ""
                    if res["errors"]:
                        self._note_memory(res)
                    out.append([i, det.ordinal, res, stdout])
                    if with_events:
                        shown[i] = raw
                if self.must_exit:  # a MemoryError: this event is done, a fresh worker does the rest
                    done = i + 1
                    break
                if i + 1 >= flush_at or clock() >= flush_by:
                    slots[2] = watch.seq * 2
                    self.emit(_frame(out, shown, ran, types, i + 1, with_events, partial=True))
                    out, shown, ran, types = [], {}, {}, {}
                    flush_at = i + 1 + PARTIAL_EVERY
                    flush_by = clock() + PARTIAL_SECONDS
            else:
                done = len(events)
        finally:
            slots[2] = watch.seq * 2  # between calls: building the reply is not a rule's time
        return _frame(out, shown, ran, types, done, with_events, partial=False)

    # --- unit tests --------------------------------------------------------------------------------------

    def tests(self, msg: dict) -> dict:
        _reset_cache()
        out = []
        for case in msg["cases"]:
            det = self.detections.get(case["ordinal"])
            if det is None:
                continue
            log = case["log"]
            lt = log.get("p_log_type") if isinstance(log, dict) else None
            dm = None if det.scheduled or type(lt) is not str else self.data_models.get(lt)
            event = PantherEvent(log, dm)
            mocks = {}
            fresh: list = []
            if case.get("mocks"):
                from unittest.mock import patch  # costs ~50 ms: only when a case has Mocks

                for name, value in case["mocks"]:
                    mock = mocks[name] = self.mocks.take(name, value)
                    fresh.append((name, value, mock, self.mocks.state(mock, value)))
            try:
                patcher = patch.multiple(det.module, **mocks) if mocks else None
                if patcher is not None:
                    patcher.start()
            except AttributeError as e:
                out.append([case["ident"], det.ordinal, None, "", f"AttributeError: {e}"])
                continue
            try:
                if patcher is not None:
                    det.bind()  # a mock may replace one of the rule's own functions
                res = det.run(event, self.watch, case["ident"], test_mode=True)
            except BaseException as e:  # e.g. rule() removed by a mock
                res = {"matched": None, "outputs": {}, "errors": {"rule": [error_text(e), ""]}}
            finally:
                if patcher is not None:
                    patcher.stop()
                    det.bind()
                for name, value, mock, state in fresh:
                    self.mocks.give_back(name, value, mock, state)
            self._note_memory(res)
            out.append([case["ident"], det.ordinal, res, self.capture.take(), None])
        return {"results": out}

    def warm(self) -> dict:
        """Build what loading the content will need (jsonpath-ng's parser for data model paths) while the
        parent is still reading it; anything that fails here is left for the load to meet and report."""
        try:
            from panther_core.data_model import warm_up

            warm_up()
        except Exception:
            pass
        return {}

    def _note_memory(self, res: dict) -> None:
        for text, _tb in res["errors"].values():
            if text.startswith("MemoryError"):
                self.must_exit = True  # the heap may be fragmented or half-full: start afresh

    def handle(self, msg: dict) -> dict:
        op = msg.get("op")
        if op == "load":
            reply = self.load(msg)
            import gc

            gc.freeze()  # the imported content lives as long as the worker: keep the collector off it
            return reply
        if op == "events":
            return self.events(msg)
        if op == "records":
            return self.records(msg)
        if op == "parsers":
            return self.build_parsers(msg)
        if op == "tests":
            return self.tests(msg)
        if op == "ping":
            return {"pong": os.getpid()}
        if op == "warm":
            return self.warm()
        return {"error": f"unknown op {op!r}"}


def _reset_cache() -> None:
    mod = sys.modules.get("panther_detection_helpers.caching")
    if mod is not None and hasattr(mod, "clear") and "panther_detection_helpers" in getattr(mod, "__doc__", ""):
        mod.clear()
