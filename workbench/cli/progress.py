"""A small progress bar on stderr: redrawn in place on a terminal, a few plain lines otherwise."""

from __future__ import annotations

import sys
import time


class Progress:
    """Call `update(done, total, **counters)`; `close()` prints the final line. Thread-safe enough for counters."""

    def __init__(self, label: str, *, stream=None, min_interval: float = 0.1):
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.min_interval = min_interval if self.tty else 5.0
        self.start = time.monotonic()
        self._last = 0.0
        self._line = ""

    def update(self, done: int, total: int | None = None, **counters: object) -> None:
        now = time.monotonic()
        if now - self._last < self.min_interval and (total is None or done < total):
            return
        self._last = now
        self._line = self._format(done, total, counters, now)
        if self.tty:
            self.stream.write("\r\x1b[2K" + self._line)
        else:
            self.stream.write(self._line + "\n")
        self.stream.flush()

    def _format(self, done: int, total: int | None, counters: dict, now: float) -> str:
        elapsed = now - self.start
        parts = [self.label]
        if total:
            width = 24
            filled = int(width * min(done, total) / total)
            parts.append("[" + "#" * filled + "-" * (width - filled) + f"] {done}/{total}")
            if 0 < done < total and elapsed > 0:
                parts.append(f"ETA {int((total - done) * elapsed / done)}s")
        else:
            parts.append(str(done))
        parts += [f"{k}={v}" for k, v in counters.items()]
        parts.append(f"{elapsed:.1f}s")
        return " ".join(parts)

    def close(self, summary: str | None = None) -> None:
        line = summary or self._line
        if self.tty:
            self.stream.write("\r\x1b[2K" + (line + "\n" if line else ""))
        elif summary:
            self.stream.write(summary + "\n")
        self.stream.flush()
