"""The "Next:" line of every screen: one short sentence saying what to do next, given what is loaded.

Plain functions of plain values (no widgets), one per screen, so the wording is tested without an app. Each
answer fits an 80-column terminal after "Next: " (under ~72 characters) wherever the figures allow.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.wording import plural


def sources_next(*, source: bool, sample: bool, schema: bool, events: bool) -> str:
    if not source:
        return "pick a source on the left (Enter opens it in Browse)"
    if not sample:
        return "press 2 (Browse), highlight a prefix and press s to sample it"
    if not schema:
        return "press 3 (Schema): a schema is inferred from the sample"
    if not events:
        return "press 4 (Events) to see the sample parsed into events"
    return "press 5 (Rules) to run the rules, 6 (Live) to watch new objects"


def browse_next(*, source: bool, sampling: bool, records: int | None, mappable: str | None, schema: bool) -> str:
    """`records`: of the last sample (None: no sample yet); `mappable`: a managed log type m would map."""
    if not source:
        return "no source: pick one on 1 (Sources)"
    if sampling:
        return "sampling… Escape stops it and keeps what was read"
    if records is None:
        return "highlight a prefix in the tree and press s to sample it"
    if records == 0:
        return "the sample read no records: pick another prefix or widen Since, then s"
    if mappable:
        return f"m maps this prefix to {mappable}; then 4 (Events) parses it"
    if not schema:
        return f"press 3 (Schema) to infer a schema from these {plural(records, 'record')}"
    return "press 4 (Events) to see the records parsed as events"


def schema_next(*, sample: bool, schema: bool, problems: int, failures: int, unsaved: bool) -> str:
    if not sample:
        return "no sample yet: press 2 (Browse) and sample a prefix with s"
    if problems:
        return f"{plural(problems, 'problem')} in the YAML: Ctrl+N goes to the next"
    if not schema:
        return "no schema yet: press i to pick the records to infer one from"
    if failures:
        return f"{plural(failures, 'line')} fail to parse: x lists them with the field and why"
    if unsaved:
        return "unsaved edits: Ctrl+S saves (showing the diff first)"
    return "every line parses: 4 (Events) shows the events, 5 (Rules) runs rules"


def events_next(*, events: int, sample: bool, failures: int, shown: int, filtered: bool) -> str:
    if not events:
        return "press p to parse the sample" if sample else "no events yet: sample a prefix on 2 (Browse)"
    if filtered and not shown:
        return "the filter matches no event: / edits it (Up recalls earlier ones)"
    if failures:
        return f"{plural(failures, 'line')} failed to parse: f lists them with the reason"
    return "Enter opens an event; 5 (Rules) runs the detection rules on them"


@dataclass(frozen=True)
class RulesState:
    events: int
    running: bool
    ran: bool
    rules: int = 0
    firing: int = 0
    errors: int = 0
    invalid: int = 0


def rules_next(s: RulesState) -> str:
    if not s.events:
        return "no events yet: sample on 2 (Browse), parse on 4 (Events)"
    if s.running:
        return "the rules are running: Escape stops and keeps what was found"
    if not s.ran:
        return "r runs the rules over the session's events"
    if s.invalid:
        return f"{plural(s.invalid, 'rule file')} failed to load: fix it, the rules re-run on save"
    if not s.rules:
        return "no rule for these log types: add one to the rules directory"
    if s.errors:
        return f"{plural(s.errors, 'rule error')}: highlight the rule, Enter on an error shows why"
    if s.firing:
        return f"{plural(s.firing, 'rule')} fire{'s' if s.firing == 1 else ''}: ] then Enter on a match shows its alert"
    return "no rule fires here: u runs a rule's tests, 7 (Replay) tries more history"


@dataclass(frozen=True)
class LiveState:
    source: bool
    running: bool
    started: bool
    paused: bool = False
    pending: int = 0
    filtered: bool = False
    shown: int = 0
    events: int = 0
    alerts: int = 0


def live_next(s: LiveState) -> str:
    if not s.source:
        return "no source: pick one on 1 (Sources)"
    if not s.running:
        return "the tail is stopped: s starts it again, m picks the mode"
    if not s.started:
        return "starting the tail… new objects appear here as they land"
    if s.paused:
        return f"paused, {plural(s.pending, 'new item')} waiting: Space follows again"
    if s.filtered and not s.shown:
        return "the filter hides every line: / edits it, an empty filter shows all"
    if not s.events:
        return "waiting for new objects in the bucket (m changes how they are found)"
    if s.alerts:
        return f"{plural(s.alerts, 'alert')}: Enter on one shows it, then Enter opens its rule"
    return "Enter opens a line in full; d shows drift against the schema"


def replay_next(*, rules_dir: bool, rules: int, running: bool, finished: bool, alerts: int) -> str:
    if not rules_dir:
        return "no rules directory: set `rules:` in the config"
    if not rules:
        return "no enabled rules to replay: add one to the rules directory"
    if running:
        return "replaying… Escape cancels (what finished is kept; Resume continues)"
    if not finished:
        return "tick rules with Space (none = all), set Since, Ctrl+R starts"
    if alerts:
        return f"{plural(alerts, 'alert')} in the range: Enter on a rule shows them per day"
    return "no alert in the range: widen Since or tick other rules, then Ctrl+R"
