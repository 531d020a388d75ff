"""A time histogram: counts per time bucket drawn with block characters, sized to the widget's width.

`set_times(times)` takes datetimes (None ignored); the widget buckets them into one column per cell and
draws `rows` lines of bars plus an axis line with the first and last bucket times and the peak count.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

BLOCKS = " ▁▂▃▄▅▆▇█"


def bucket_counts(times: list[float], n: int) -> tuple[list[int], float, float]:
    """Counts of POSIX `times` in `n` equal buckets over [min, max]; returns (counts, lo, hi)."""
    if not times or n <= 0:
        return [0] * max(n, 0), 0.0, 0.0
    lo, hi = min(times), max(times)
    span = (hi - lo) or 1.0
    counts = [0] * n
    for t in times:
        i = int((t - lo) / span * n)
        counts[min(i, n - 1)] += 1
    return counts, lo, hi


def bars(counts: list[int], rows: int) -> list[str]:
    """`rows` strings, top row first, drawing `counts` as vertical bars with eighth-block resolution."""
    peak = max(counts, default=0) or 1
    levels = [round(c / peak * rows * 8) for c in counts]
    lines = []
    for row in range(rows - 1, -1, -1):
        base = row * 8
        lines.append("".join(BLOCKS[max(0, min(8, lv - base))] for lv in levels))
    return lines


def _fmt(ts: float, span: float) -> str:
    t = datetime.fromtimestamp(ts, UTC)
    return t.strftime("%Y-%m-%d %H:%M" if span < 3 * 86400 else "%Y-%m-%d")


class TimeHistogram(Widget):
    DEFAULT_CSS = """
    TimeHistogram { height: 4; padding: 0 1; }
    TimeHistogram > .histogram--bar { color: $accent; }
    """
    COMPONENT_CLASSES = {"histogram--bar"}  # noqa: RUF012 - Textual's class attribute convention

    times: reactive[tuple[float, ...]] = reactive((), layout=False)

    def __init__(self, label: str = "", *, rows: int = 3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.label = label
        self.rows = rows

    def set_times(self, times: Iterable[datetime | None]) -> None:
        self.times = tuple(t.timestamp() for t in times if t is not None)

    def render(self) -> Text:
        width = max(1, self.content_size.width)
        out = Text(no_wrap=True, end="")
        if not self.times:
            out.append(f"{self.label}: no times yet" if self.label else "no times yet", style="dim")
            return out
        counts, lo, hi = bucket_counts(list(self.times), width)
        style = self.get_component_rich_style("histogram--bar")
        for line in bars(counts, self.rows):
            out.append(line + "\n", style=style)
        left = _fmt(lo, hi - lo)
        right = _fmt(hi, hi - lo)
        middle = f" {self.label}: {len(self.times):,} (peak {max(counts):,}/bucket) "
        gap = max(1, width - len(left) - len(right) - len(middle))
        out.append(left + " " * (gap // 2) + middle + " " * (gap - gap // 2) + right, style="dim")
        return out
