"""Rule calls per second through the engine ÷ plain Python calls of the same functions on plain dicts.

Events are the demo generators' events in parsed shape (p_ fields, embedded JSON decoded), one sixth per
log type. The rules mirror the demo detections but use only `dict` methods, so the very same functions
can be called directly on plain dicts as the baseline. Ours: `RuleEngine.run_events` end to end (events
serialised to the worker process, wrapped as immutable case-insensitive events, results back as
RuleResults, one per rule per event). Baseline: a loop in this process calling rule() and, on a match,
title/dedup/alert_context, exactly what the engine runs. Prints ours, baseline, ratio (target ≥ 0.5).

    python benchmarks/bench_rules_calls.py [--events N]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import statistics
import sys
import tempfile
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from workbench.demo import data  # noqa: E402
from workbench.detections import RuleEngine  # noqa: E402

RULES = {
    "Bench.Auth": ("Custom.Panoptica.Auth", """
        BAD = {"185.220.101.7", "45.155.205.233", "91.240.118.172"}

        def rule(event):
            actor = event.get("actor") or {}
            if actor.get("mfa") is True:
                return False
            ip = (event.get("client") or {}).get("ip")
            ctx = event.get("context") or {}
            return ip in BAD or (ctx.get("risk_score", 0) >= 80 and ctx.get("new_device") is True)

        def title(event):
            return f"login by {(event.get('actor') or {}).get('email')} from {(event.get('client') or {}).get('ip')}"

        def dedup(event):
            return str((event.get("actor") or {}).get("email"))

        def alert_context(event):
            return {"ip": (event.get("client") or {}).get("ip"), "ctx": event.get("context")}
        """),
    "Bench.File": ("Custom.Panoptica.FileAccess", """
        def rule(event):
            if event.get("action") != "share":
                return False
            labels = (event.get("file") or {}).get("labels") or []
            return "confidential" in labels and any(not r.endswith("@acme-corp.example")
                                                    for r in event.get("shared_with") or [])

        def title(event):
            return f"shared {(event.get('file') or {}).get('path')}"
        """),
    "Bench.Policy": ("Custom.Panoptica.PolicyChange", """
        def rule(event):
            for st in (event.get("policy") or {}).get("statements") or []:
                if "*" in (st.get("actions") or []) and "*" in (st.get("resources") or []):
                    return True
            return False
        """),
    "Bench.Trail": ("AWS.CloudTrail", """
        def rule(event):
            name = event.get("eventName")
            if name == "StopLogging" or name == "CreateAccessKey":
                return not event.get("errorCode")
            return (name == "ConsoleLogin" and (event.get("userIdentity") or {}).get("type") == "Root"
                    and (event.get("additionalEventData") or {}).get("MFAUsed") != "Yes")

        def title(event):
            return f"{event.get('eventName')} by {(event.get('userIdentity') or {}).get('arn')}"
        """),
    "Bench.S3": ("AWS.S3ServerAccess", """
        def rule(event):
            return event.get("httpstatus") == 403 and event.get("errorcode") == "AccessDenied"
        """),
    "Bench.App": ("Custom.AppLog", """
        def rule(event):
            try:
                amount = float(event.get("amount_usd") or 0)
            except ValueError:
                return False
            return str(event.get("status")) == "402" and amount >= 5000 and event.get("card_country") in {"NG", "RU", "KP"}
        """),
}
AUX = ("title", "dedup", "alert_context")


def _pt(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S.%f") + "000"


def parsed_events(n: int, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    out = []
    s3_names = ["bucketowner", "bucket", "time", "remoteip", "requester", "requestid", "operation", "key",
                "requesturi", "httpstatus", "errorcode"]
    for i in range(n // 6 + 1):
        t = t0 + timedelta(seconds=i)
        sus = rng.random() < 0.03
        evs = [
            (data.panoptica_auth(rng, t, "111122223333", suspicious=sus), "Custom.Panoptica.Auth"),
            (data.panoptica_file_access(rng, t, "111122223333", suspicious=sus), "Custom.Panoptica.FileAccess"),
            (data.panoptica_policy_change(rng, t, "111122223333", suspicious=sus), "Custom.Panoptica.PolicyChange"),
            (data.cloudtrail_record(rng, t, "111122223333", "us-east-1", suspicious=sus), "AWS.CloudTrail"),
            (dict(zip(data.APP_COLUMNS, data.app_log_row(rng, t, suspicious=sus), strict=True)), "Custom.AppLog"),
        ]
        line = data.s3_access_line(rng, t, "acme-prod-data", "111122223333", suspicious=sus).split(" ")
        s3 = dict(zip(s3_names, [*line[:2], line[2] + line[3], *line[4:]], strict=False))
        s3["httpstatus"] = int(s3["httpstatus"]) if s3.get("httpstatus", "").isdigit() else 0
        evs.append((s3, "AWS.S3ServerAccess"))
        for ev, lt in evs:
            ev = dict(ev)
            if isinstance(ev.get("context"), str):
                ev["context"] = json.loads(ev["context"])
            ev.update(p_log_type=lt, p_event_time=_pt(t), p_parse_time=_pt(t), p_row_id=f"{i:x}",
                      p_any_ip_addresses=["10.0.0.1"])
            out.append(ev)
    return out[:n]


def write_content(root: Path, copies: int) -> dict[str, list]:
    """Each rule `copies` times (distinct RuleIDs, same code): content repos run many rules per log type."""
    modules: dict[str, list] = {}
    for base, (log_type, code) in RULES.items():
        for k in range(copies):
            rid = f"{base}{k}"
            name = rid.lower().replace(".", "_")
            (root / f"{name}.py").write_text(textwrap.dedent(code))
            (root / f"{name}.yml").write_text(f"AnalysisType: rule\nRuleID: {rid}\nEnabled: true\nFilename: {name}.py\n"
                                              f"LogTypes: [{log_type}]\nSeverity: Low\n")
            spec = importlib.util.spec_from_file_location(rid, root / f"{name}.py")
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            modules.setdefault(log_type, []).append(mod)
    return modules


def plain(events: list[dict], modules: dict) -> tuple[float, int, int]:
    calls = matches = 0
    start = time.perf_counter()
    for ev in events:
        for mod in modules[ev["p_log_type"]]:
            calls += 1
            if mod.rule(ev):
                matches += 1
                for fn in AUX:
                    f = getattr(mod, fn, None)
                    if f is not None:
                        f(ev)
    return time.perf_counter() - start, calls, matches


def engine_run(engine: RuleEngine, events: list[dict]) -> tuple[float, int, int]:
    calls = matches = 0
    start = time.perf_counter()
    for r in engine.run_events(events):
        calls += 1
        matches += r.matched
    return time.perf_counter() - start, calls, matches


def in_worker(root: Path, events: list[dict]) -> tuple[float, int]:
    """The worker's own loop, run in this process: event wrapping and PAT checks without the IPC."""
    from workbench.detections.evaluate import Watch
    from workbench.detections.specs import load_content
    from workbench.detections.worker_requests import Worker

    content = load_content(root)
    worker = Worker(Watch())
    worker.load({"rules": [r.worker_spec(i) for i, r in enumerate(content.rules)]})
    msg = {"events": events}
    start = time.perf_counter()
    worker.events(msg)
    calls = sum(len(worker.by_type.get(e["p_log_type"], ())) for e in events)
    return time.perf_counter() - start, calls


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=30000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rules-per-type", type=int, default=1, help="copies of each rule (default 1: the strictest)")
    args = ap.parse_args()
    events = parsed_events(args.events)
    ours, base, inner = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        modules = write_content(Path(tmp), args.rules_per_type)
        with RuleEngine(tmp) as engine:
            engine_run(engine, events[:2000])  # start the worker and import the rules outside the timing
            # interleaved, so a change in the machine's load hits both sides of a run alike
            for _ in range(args.runs):
                t, calls, m_ours = engine_run(engine, events)
                ours.append(calls / t)
                t, base_calls, m_base = plain(events, modules)
                base.append(base_calls / t)
                t, inner_calls = in_worker(Path(tmp), events)
                inner.append(inner_calls / t)
    if (calls, m_ours) != (base_calls, m_base):
        print(f"mismatch: engine {calls} calls/{m_ours} matches, plain {base_calls}/{m_base}", file=sys.stderr)
        return 1
    med = statistics.median
    ratios = sorted(o / b for o, b in zip(ours, base, strict=True))
    inner_ratios = sorted(i / b for i, b in zip(inner, base, strict=True))
    print(f"events: {len(events)}, {len(RULES) * args.rules_per_type} rules ({args.rules_per_type} per log type), "
          f"{calls} rule calls, {m_ours} matches, {args.runs} interleaved runs")
    print(f"ours:     {med(ours):,.0f} rule calls/s  (RuleEngine.run_events, isolated worker; median, "
          f"range {min(ours):,.0f}–{max(ours):,.0f})")
    print(f"baseline: {med(base):,.0f} rule calls/s  (same functions called in-process on plain dicts; median, "
          f"range {min(base):,.0f}–{max(base):,.0f})")
    print(f"ratio:    {med(ratios):.2f}  (ours ÷ baseline per run: median, range {ratios[0]:.2f}–{ratios[-1]:.2f}; "
          f"target ≥ 0.5)")
    print(f"(inside the worker alone, no IPC or RuleResults: {med(inner):,.0f} calls/s, "
          f"{med(inner_ratios):.2f} of baseline, range {inner_ratios[0]:.2f}–{inner_ratios[-1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
