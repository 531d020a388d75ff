"""The Schema screen's Tests tab: adds sample records as schema tests beside a saved schema and runs them.

`add(schema, records, path)` appends tests written from `schema` to the tests file `path`, then runs it;
`run(path)` runs a tests file. Both are thread workers (group schema-tests); the report shows here and a
`Reported` message bubbles up so the screen can bring the tab forward.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from screens.presenters.schema_status import tests_report_text
from screens.shell import safe
from workbench.files import atomic_write
from workbench.wording import plural

if TYPE_CHECKING:
    from rich.text import Text

    from workbench.model import Record
    from workbench.schema import Schema


class SchemaTestsView(VerticalScroll):
    @dataclass(eq=False)
    class Reported(Message):
        """Tests were added or run; `body` is what the tab shows."""

        body: Text
        ok: bool

    def compose(self) -> ComposeResult:
        yield Static(safe.text("Ctrl+L adds the selected samples as tests; Ctrl+O runs them.", "dim"),
                     id="schema-tests")

    @work(thread=True, group="schema-tests", exclusive=True, exit_on_error=False, description="Add schema tests")
    def add(self, schema: Schema, records: list[Record], path: Path) -> None:
        import tempfile

        from workbench.parse.schema_tests import write_schema_test

        with tempfile.TemporaryDirectory() as tmp:
            new = Path(tmp) / "new_tests.yml"
            written = write_schema_test(schema, records, new)
            added = new.read_text(encoding="utf-8")
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old and not old.endswith("\n"):
            old += "\n"
        atomic_write(path, old + added, make_parents=True)
        self.post_message(self.Reported(safe.join(("✓ ", "bold green"), f"added {plural(written, 'test')} to {path}; "
                                                  "Ctrl+O runs them"), True))
        self._run(path)

    @work(thread=True, group="schema-tests", exclusive=True, exit_on_error=False, description="Run schema tests")
    def run(self, path: Path) -> None:
        self._run(path)

    def _run(self, path: Path) -> None:
        from workbench.parse.schema_tests import run_schema_tests

        report = run_schema_tests([path])
        self.post_message(self.Reported(tests_report_text(report, path), report.ok))

    def on_schema_tests_view_reported(self, message: Reported) -> None:
        self.query_one("#schema-tests", Static).update(message.body)  # and it bubbles on to the screen
