"""The whole hostile string corpus rendered on the screens the earlier hostile TUI test does not reach (Schema
editor and problems, Rules results with hostile titles, errors and output) and on Events with every string, plus
the TUI under AWS faults. After each step: the composed screen holds only literal text (no ESC/C1/BEL/NUL/bidi
control reaches the terminal), no action ran, the terminal title and clipboard are untouched, the app is alive."""

from __future__ import annotations

from typing import ClassVar

import pytest
from tuikit import screen_text

from screens.app import WorkbenchApp
from screens.widgets.event_table import EventTable
from workbench.config import parse_config
from workbench.model import ObjectRef, Record
from workbench.source.sampling import ObjectSummary, SampleResult

from . import corpus
from .checks import assert_no_control

pytestmark = pytest.mark.asyncio
SIZE = (160, 48)


class HostileApp(WorkbenchApp):
    """The real app, recording anything hostile text could trigger: actions, clipboard writes, title changes."""

    actions_run: ClassVar[list[str]] = []
    copied: ClassVar[list[str]] = []

    def action_pwn(self) -> None:
        self.actions_run.append("pwn")

    def action_bell(self) -> None:
        self.actions_run.append("bell")

    async def action_quit(self) -> None:
        self.actions_run.append("quit")

    def copy_to_clipboard(self, text: str) -> None:
        self.copied.append(text)


def fresh(config, **kw) -> HostileApp:
    HostileApp.actions_run = []
    HostileApp.copied = []
    return HostileApp(config, **kw)



def assert_clean(app, title: str) -> None:
    assert_no_control(screen_text(app), "screen")
    assert app.is_running, "the app exited"
    assert HostileApp.actions_run == [], f"hostile text ran {HostileApp.actions_run}"
    assert HostileApp.copied == [], "hostile text wrote the clipboard"
    assert app.title == title and not any(c in (app.sub_title or "") for c in corpus.FORBIDDEN)


async def settle(app, pilot, rounds: int = 3) -> None:
    from textual.worker import WorkerFailed

    for _ in range(rounds):
        try:
            await app.workers.wait_for_complete()
        except WorkerFailed:  # a worker that failed on purpose (the app shows its error); keep going
            pass
        await pilot.pause()


def hostile_sample(log_type_prefix: str = "hostile/") -> SampleResult:
    key = f"{log_type_prefix}2024/05/01/[/]\x1b]0;t\x07.json"
    records = [Record("bucket", key, i, text) for i, text in
               enumerate(corpus.hostile_ndjson().decode().splitlines(), 1)]
    ref = ObjectRef("bucket", key, 100)
    return SampleResult(objects=[ref], records=records, listed=1,
                        summaries={key: ObjectSummary(ref, "none", "lines", None, len(records), ("\x1b[2J",),
                                                      ("note [/] \x1b]0;t\x07",))})


async def test_events_screen_with_every_hostile_string(tally):
    app = fresh(parse_config("sources: {}\n"), start="events")
    async with app.run_test(size=SIZE) as pilot:
        title = app.title
        events = corpus.hostile_events()
        app.update_session(events=events)
        await settle(app, pilot)
        table = app.screen.query_one(EventTable)
        assert len(table.rows) == len(events)
        for _ in range(12):
            await pilot.press("down", "right", "right")
        await pilot.pause()
        assert_clean(app, title)
        tally.inputs("text", len(events), entry="tui.events")
        await pilot.click(EventTable, offset=(40, 5))
        await pilot.press("slash", *"[@click=app.pwn]", "enter")
        await settle(app, pilot)
        assert_clean(app, title)


async def test_schema_screen_with_hostile_samples_and_hostile_yaml(tmp_path, tally):
    cfg = parse_config(f"schemas: [{tmp_path}]\nsources:\n  s:\n    bucket: b\n    endpoint: http://127.0.0.1:9\n")
    app = fresh(cfg, start="schema")
    async with app.run_test(size=SIZE) as pilot:
        title = app.title
        app.update_session(sample=hostile_sample(), prefix="hostile/")
        await settle(app, pilot, 6)
        assert_clean(app, title)
        tally.inputs("text", len(corpus.renderable_strings()), entry="tui.schema")
        from screens.widgets.schema_editor import SchemaEditor

        editor = app.screen.query_one(SchemaEditor)
        for name in ("markup-names", "invalid-control-chars", "unknown-keys", "wrong-type-field-type-int",
                     "duplicate-field-names", "python-tag", "regex-invalid"):
            editor.text = corpus.schema_texts()[name]
            await pilot.pause(0.6)  # past the editor's debounce, so the problems are shown
            await settle(app, pilot)
            assert_clean(app, title)
            tally.inputs("schema", entry="tui.schema")
        for key in ("tab", "tab", "down", "down", "tab"):
            await pilot.press(key)
        await settle(app, pilot)
        assert_clean(app, title)


async def test_rules_screen_with_hostile_rules_and_events(tmp_path, tally):
    rules = tmp_path / "rules"
    rules.mkdir()
    picks = ("raises", "print-hostile", "hostile-title", "returns-string", "missing-import", "dedup-raises")
    corpus.write_rules(rules, {k: corpus.RULE_SOURCES[k] for k in picks})
    cfg = parse_config(f"rules: {rules}\nsources: {{}}\n")
    app = fresh(cfg, start="events")
    async with app.run_test(size=SIZE) as pilot:
        title = app.title
        app.update_session(events=corpus.hostile_events()[:5], log_type="Hostile.Events")
        await pilot.press("5")
        for _ in range(100):
            await settle(app, pilot, 1)
            if not any(w.is_running for w in app.workers):
                break
        await settle(app, pilot)
        assert_clean(app, title)
        tally.inputs("rule", len(picks), entry="tui.rules")
        for key in ("down", "down", "down", "tab", "down", "down", "enter", "tab", "down"):
            await pilot.press(key)
            await pilot.pause()
            assert_clean(app, title)
        assert "[/]" in screen_text(app) or "[@click" in screen_text(app)


@pytest.mark.demo
async def test_tui_stays_responsive_under_aws_faults(demo, tally):
    """Browse & sample with listing denied and reads reset: errors are shown as text, keys keep working."""
    from dataclasses import replace

    from workbench.config import Config

    from .faultproxy import Fault, FaultProxy

    with FaultProxy(demo.endpoint) as proxy:
        proxy.add(Fault("error", op="ListObjectsV2", times=3, message="Access Denied [/] \x1b]0;t\x07"),
                  Fault("reset", op="GetObject", times=3))
        source = replace(demo.source, endpoint=proxy.endpoint)
        cfg = Config(demo.config.path, {"demo": source}, demo.config.schema_dirs, demo.config.rules_dir)
        app = fresh(cfg, start="browse")
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            title = app.title
            await settle(app, pilot, 6)
            assert_clean(app, title)
            await pilot.press("s")
            await settle(app, pilot, 6)
            assert_clean(app, title)
            for key in ("1", "2", "4", "question_mark", "escape", "2"):
                await pilot.press(key)
                await pilot.pause()
            await settle(app, pilot)
            assert_clean(app, title)
        for kind, n in proxy.injected.items():
            tally.faults(kind, n)
