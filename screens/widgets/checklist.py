"""The connection checklist: one line per check with ✓ / ✗ / – and, under a failure, its one-sentence fix.

Results whose name is not one of the connection checks (the prefix-mapping findings, several per name)
are listed after them in arrival order."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import Static

from screens.shell import safe
from workbench.source.checks import CHECKS, CheckResult

_STYLE = {True: "bold green", False: "bold red", None: "dim"}


class Checklist(Static):
    DEFAULT_CSS = """
    Checklist { height: auto; padding: 0 1; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.results: dict[str, CheckResult] = {}
        self.extra: list[CheckResult] = []  # findings after the connection checks (prefix mapping, …)
        self.running = False

    def reset(self, running: bool = True) -> None:
        self.results = {}
        self.extra = []
        self.running = running
        self._render_lines()

    def add(self, result: CheckResult) -> None:
        if any(result.name == name for name, _check, _fix in CHECKS):
            self.results[result.name] = result
        else:
            self.extra.append(result)
        self._render_lines()

    def finish(self) -> None:
        self.running = False
        self._render_lines()

    @property
    def failed(self) -> int:
        return sum(1 for r in [*self.results.values(), *self.extra] if r.ok is False)

    def _render_lines(self) -> None:
        out = Text(end="")
        rows = [(name, self.results.get(name)) for name, _check, _fix in CHECKS] + [(r.name, r) for r in self.extra]
        for name, r in rows:
            if r is None:
                out.append("  …  " if self.running else "  ·  ", style="dim")
                out.append(name + "\n", style="dim")
                continue
            # the fix under a failure, and the suggestion under a finding that is only reported (ok None)
            out.append(f"  {r.mark}  ", style=_STYLE[r.ok])
            out.append(name, style="bold")
            out.append(": ")
            out.append(safe.plain(r.detail, limit=600) + "\n")
            if r.fix and (r.ok is False or r not in self.results.values()):
                out.append("       fix: ", style="bold yellow")
                out.append(safe.plain(r.fix, limit=600) + "\n")
        self.update(out)
