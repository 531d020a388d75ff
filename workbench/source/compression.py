"""Compression by content (gzip multi-member, zstd multi-frame, bzip2 multi-stream, Parquet, plain), never by
the key's extension, with a decompressed-size cap; and the caps that keep one object from exhausting memory.
"""

from __future__ import annotations

import bz2
import zlib
from dataclasses import dataclass

MiB = 1024 * 1024
LONG_LINE = 1 * MiB  # lines above this are flagged `long_line` (kept whole up to the line cap)

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
BZIP2_MAGIC = b"BZh"
PARQUET_MAGIC = b"PAR1"

# What a key's extension promises, to flag objects whose content says otherwise.
_EXT_COMPRESSION = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd", ".bz2": "bzip2",
                    ".parquet": "parquet"}


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    """Caps that keep one hostile object from exhausting memory. Defaults are documented in the module."""

    max_line: int = 8 * MiB
    max_decompressed: int = 256 * MiB
    max_records: int = 1_000_000  # per object: a bomb of short lines must not become 100 M Record objects


DEFAULT_LIMITS = DecodeLimits()

def sniff_compression(data: bytes) -> str:
    """gzip, zstd, bzip2, parquet or none, from the first bytes."""
    if data[:2] == GZIP_MAGIC:
        return "gzip"
    if data[:4] == ZSTD_MAGIC:
        return "zstd"
    if data[:3] == BZIP2_MAGIC and data[3:4].isdigit():
        return "bzip2"
    if data[:4] == PARQUET_MAGIC:
        return "parquet"
    return "none"


def expected_compression(key: str) -> str:
    lower = key.lower()
    for ext, kind in _EXT_COMPRESSION.items():
        if lower.endswith(ext):
            return kind
    return "none"


@dataclass(slots=True)
class Decompressed:
    data: bytes
    capped: bool = False  # stopped at the decompressed cap
    incomplete: bool = False  # the compressed input ended mid-stream (ranged read, corrupt tail)
    error: str | None = None


def _gunzip(data: bytes, cap: int) -> Decompressed:
    out: list[bytes] = []
    total = 0
    buf = data
    while buf:
        d = zlib.decompressobj(wbits=31)
        try:
            chunk = d.decompress(buf, cap + 1 - total)
        except zlib.error as e:
            if not out:
                return Decompressed(b"", error=f"not valid gzip data ({e})")
            return Decompressed(b"".join(out), incomplete=True)  # trailing garbage after good members
        out.append(chunk)
        total += len(chunk)
        if total > cap or d.unconsumed_tail:
            return Decompressed(_join_capped(out, total, cap), capped=True)
        if not d.eof:
            return Decompressed(b"".join(out), incomplete=True)
        # another member follows (multi-member gzip, e.g. concatenated Firehose batches); skip zero padding
        buf = d.unused_data.lstrip(b"\x00")
        if buf and buf[:2] != GZIP_MAGIC:
            break
    return Decompressed(out[0] if len(out) == 1 else b"".join(out))  # one member: no extra copy


# The most a zstd frame can expand one input byte (an RLE block: ~4 bytes in, 128 KiB out), so feeding the
# decoder `cap // ZSTD_MAX_RATIO` bytes at a time never overshoots the cap by more than one step.
ZSTD_MAX_RATIO = 32768


def _unzstd(data: bytes, cap: int) -> Decompressed:
    import zstandard

    dctx = zstandard.ZstdDecompressor()
    try:
        size = zstandard.frame_content_size(data)
    except zstandard.ZstdError:
        size = -1  # a header too short or corrupt to say: the streaming path reports it
    if 0 <= size <= cap:
        # the common case, one frame that declares its size (zstd enforces it): decode in one call
        try:
            return Decompressed(dctx.decompress(data, allow_extra_data=False))
        except zstandard.ZstdError:
            pass  # several frames, or cut off, or corrupt: the bounded streaming path below tells which
    out: list[bytes] = []
    total = 0
    buf = memoryview(data)
    step = max(4096, cap // ZSTD_MAX_RATIO)
    while len(buf):
        obj = dctx.decompressobj()
        pos = 0
        try:
            while not obj.eof and pos < len(buf):
                chunk = obj.decompress(buf[pos:pos + step])
                pos += step
                if chunk:
                    out.append(chunk)
                    total += len(chunk)
                    if total > cap:
                        return Decompressed(_join_capped(out, total, cap), capped=True)
        except zstandard.ZstdError as e:
            if not out:
                return Decompressed(b"", error=f"not valid zstd data ({e})")
            return Decompressed(b"".join(out), incomplete=True)
        if not obj.eof:  # the input ended inside a frame (a ranged read, or a cut-off upload)
            return Decompressed(b"".join(out), incomplete=True)
        rest = obj.unused_data
        buf = memoryview(rest + bytes(buf[pos:])) if pos < len(buf) else memoryview(rest)  # next frame (multi-frame)
    return Decompressed(out[0] if len(out) == 1 else b"".join(out))


def _join_capped(chunks: list[bytes], total: int, cap: int) -> bytes:
    """The first `cap` bytes of `chunks` (which hold `total` bytes), without a second cap-sized copy."""
    if total > cap and chunks:
        chunks[-1] = chunks[-1][: max(0, len(chunks[-1]) - (total - cap))]
    return b"".join(chunks)[:cap]


def _bunzip2(data: bytes, cap: int) -> Decompressed:
    out: list[bytes] = []
    total = 0
    buf = data
    while buf:
        d = bz2.BZ2Decompressor()
        try:
            chunk = d.decompress(buf, cap + 1 - total)
        except (OSError, ValueError) as e:
            if not out:
                return Decompressed(b"", error=f"not valid bzip2 data ({e})")
            return Decompressed(b"".join(out), incomplete=True)
        out.append(chunk)
        total += len(chunk)
        if total > cap or (not d.eof and not d.needs_input):
            return Decompressed(_join_capped(out, total, cap), capped=True)
        if not d.eof:
            return Decompressed(b"".join(out), incomplete=True)
        buf = d.unused_data
        if buf and buf[:3] != BZIP2_MAGIC:
            break
    return Decompressed(b"".join(out))


def decompress(data: bytes, compression: str | None = None, *, cap: int = DEFAULT_LIMITS.max_decompressed) -> Decompressed:
    """Decompress `data` (sniffed when `compression` is None) up to `cap` bytes of output."""
    kind = compression or sniff_compression(data)
    if kind == "gzip":
        return _gunzip(data, cap)
    if kind == "zstd":
        return _unzstd(data, cap)
    if kind == "bzip2":
        return _bunzip2(data, cap)
    if len(data) > cap:
        return Decompressed(data[:cap], capped=True)
    return Decompressed(data)
