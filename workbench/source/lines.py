"""Line splitting of decompressed bytes: identical however the stream is chunked, lines cut at the cap.
"""

from __future__ import annotations

from workbench.source.compression import DEFAULT_LIMITS, MiB


class LineSplitter:
    """Split a byte stream fed in arbitrary chunks into lines, identically however it is chunked.

    `feed(chunk)` and `finish()` return ``(offset, line_bytes, truncated)`` tuples: `offset` is the byte
    offset of the line in the whole stream, the newline (and a trailing CR) is removed, and a line longer
    than `max_line` is cut to `max_line` bytes with ``truncated`` set (the rest up to the newline is skipped).
    """

    def __init__(self, max_line: int = DEFAULT_LIMITS.max_line):
        self.max_line = max_line
        self._pending: list[bytes] = []
        self._pending_len = 0
        self._start = 0  # stream offset of the pending line
        self._pos = 0  # stream offset of the next byte fed
        self._skipping = False  # past the cap of an over-long line, waiting for its newline
        self._cut: bytes | None = None  # the kept head of an over-long line

    def _emit(self, tail: bytes) -> tuple[int, bytes, bool]:
        if self._cut is not None:
            out = (self._start, self._cut, True)
        else:
            line = b"".join(self._pending) + tail if self._pending else tail
            if len(line) > self.max_line:
                out = (self._start, line[: self.max_line], True)
            else:
                if line.endswith(b"\r"):
                    line = line[:-1]
                out = (self._start, line, False)
        self._pending.clear()
        self._pending_len = 0
        self._cut = None
        self._skipping = False
        return out

    def feed(self, chunk: bytes) -> list[tuple[int, bytes, bool]]:
        out: list[tuple[int, bytes, bool]] = []
        base = self._pos
        self._pos += len(chunk)
        i = 0
        n = len(chunk)
        while i < n:
            j = chunk.find(b"\n", i)
            if j < 0:
                self._hold(chunk[i:])
                break
            if self._skipping:
                out.append(self._emit(b""))
            else:
                out.append(self._emit(chunk[i:j]))
            i = j + 1
            self._start = base + i
        return out

    def _hold(self, piece: bytes) -> None:
        if self._skipping:
            return
        self._pending.append(piece)
        self._pending_len += len(piece)
        if self._pending_len > self.max_line:
            self._cut = b"".join(self._pending)[: self.max_line]
            self._pending.clear()
            self._pending_len = 0
            self._skipping = True

    def finish(self) -> list[tuple[int, bytes, bool]]:
        if self._skipping or self._pending:
            return [self._emit(b"")]
        return []


def split_lines(data: bytes, max_line: int = DEFAULT_LIMITS.max_line,
                max_lines: int | None = None) -> list[tuple[int, bytes, bool]]:
    """All lines of one buffer (see `LineSplitter`); with `max_lines`, stops soon after that many (the caller
    sees more than `max_lines` lines and knows the rest was not split)."""
    if max_lines is None or data.count(b"\n") < max_lines:
        fast = _split_fast(data, max_line)  # bytes.split in C; None when a line needs cutting
        if fast is not None:
            return fast
    s = LineSplitter(max_line)
    if max_lines is None:
        return s.feed(data) + s.finish()
    out: list[tuple[int, bytes, bool]] = []
    step = MiB
    for i in range(0, len(data), step):
        out += s.feed(data[i:i + step])
        if len(out) > max_lines:
            return out
    return out + s.finish()


def _split_fast(data: bytes, max_line: int) -> list[tuple[int, bytes, bool]] | None:
    """What `LineSplitter` gives, when no line is over `max_line` (else None)."""
    parts = data.split(b"\n")
    if parts and not parts[-1]:
        parts.pop()  # the text ended with a newline: no empty last line
    if len(data) > max_line and max(map(len, parts), default=0) > max_line:
        return None
    out = []
    offset = 0
    for part in parts:
        out.append((offset, part[:-1] if part.endswith(b"\r") else part, False))
        offset += len(part) + 1
    return out


def utf8_text(raw: bytes) -> tuple[str, bool]:
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace"), True
