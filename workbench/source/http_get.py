"""A lean HTTP/1.1 GET for presigned S3 URLs, on connections botocore's HTTP session configured.

Sending a presigned GET through botocore's session costs ~1 ms of CPU per object here (urllib3 re-parses
and re-encodes the ~600-character URL, `http.client` parses headers with the email package, and two
response objects are built around them); the request and its parsing need a fifth of that. When a sample
reads hundreds of small objects, that CPU — held under the GIL by 32 fetch threads at once — and not the
network is what bounds the fetch. So the request line and headers are written, and the status line,
headers and body read, here; everything that decides *how* to connect is still botocore's and urllib3's:
connections are opened by the urllib3 pool botocore's session builds for the URL (its TLS context, CA
bundle, client certificate, socket options and timeouts). URLs that go through an HTTP proxy are not
handled here (the caller keeps botocore's path for them).

Anything unexpected (a socket error, a malformed answer, a short body) raises `LeanGetError`; the caller
treats that like any other failed presigned GET. Connections are kept alive and reused; one found closed by
the server while idle is replaced before use.
"""

from __future__ import annotations

import select
import threading
from typing import Any
from urllib.parse import SplitResult, urlsplit

MAX_LINE = 65536  # longest status or header line accepted (http.client's limit)
MAX_HEADERS = 100
MAX_IDLE = 128  # idle connections kept per origin (a sample's fetch threads, at most)
_DEFAULT_PORT = {"http": 80, "https": 443}


def host_header(split: SplitResult) -> str:
    """The Host value for a URL, as SigV4 signs it (so a presigned URL's signature holds): the host in lower
    case, an IPv6 address in brackets, the port only when it is not the scheme's default."""
    host = split.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if split.port is not None and split.port != _DEFAULT_PORT.get(split.scheme):
        host = f"{host}:{split.port}"
    return host


class LeanGetError(Exception):
    """The GET did not complete as a well-formed HTTP/1.1 exchange."""


class _Conn:
    """One open connection: urllib3's connection object (which owns the socket and its TLS state) and a
    buffered reader over its socket."""

    def __init__(self, urllib3_conn: Any):
        self.owner = urllib3_conn
        self.sock = urllib3_conn.sock
        self.reader = self.sock.makefile("rb")

    def dropped(self) -> bool:
        """True when the idle connection has something to read: the server closed it (EOF) or sent bytes
        nobody asked for. Either way it cannot carry the next request."""
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def close(self) -> None:
        for closer in (self.reader.close, self.owner.close):
            try:
                closer()
            except Exception:  # closing a broken socket may raise again: it is being dropped anyway
                pass


class _Origin:
    """The idle connections to one scheme://host:port, and how to open a new one."""

    def __init__(self, pool: Any, read_timeout: float | None):
        self.pool = pool  # urllib3's HTTP(S)ConnectionPool for this origin, set up by botocore
        self.read_timeout = read_timeout
        self.idle: list[_Conn] = []
        self.lock = threading.Lock()

    def take(self) -> tuple[_Conn, bool]:
        """(an open connection, whether it was used before)."""
        with self.lock:
            while self.idle:
                conn = self.idle.pop()
                if not conn.dropped():
                    return conn, True
                conn.close()
        owner = self.pool._new_conn()
        owner.connect()
        if self.read_timeout is not None:
            owner.sock.settimeout(self.read_timeout)
        return _Conn(owner), False

    def give_back(self, conn: _Conn) -> None:
        with self.lock:
            if len(self.idle) < MAX_IDLE:
                self.idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self.lock:
            conns, self.idle = self.idle, []
        for conn in conns:
            conn.close()


class LeanGets:
    """Presigned GETs for one botocore client's HTTP session. `get(url, headers)` → (status, headers with
    lower-case names, body). Thread-safe; `close()` closes the idle connections."""

    def __init__(self, http_session: Any, read_timeout: float | None):
        self._http = http_session
        self._read_timeout = read_timeout
        self._origins: dict[tuple[str, str, int], _Origin] = {}
        self._lock = threading.Lock()

    @staticmethod
    def usable(http_session: Any) -> bool:
        """Whether this botocore session exposes what opening a connection its way needs."""
        return all(hasattr(http_session, name) for name in
                   ("_get_connection_manager", "_setup_ssl_cert", "_proxy_config", "_verify"))

    def handles(self, url: str) -> bool:
        """False for a URL botocore would send through an HTTP proxy (or not over http/https)."""
        if not url.startswith(("http://", "https://")):
            return False
        try:
            return self._http._proxy_config.proxy_url_for(url) is None
        except Exception:
            return False

    def get(self, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        split = urlsplit(url)
        scheme, host, port = split.scheme, split.hostname or "", split.port or _DEFAULT_PORT[split.scheme]
        origin = self._origin(url, (scheme, host, port))
        target = (split.path or "/") + (f"?{split.query}" if split.query else "")
        lines = [f"GET {target} HTTP/1.1", f"Host: {host_header(split)}", "Accept-Encoding: identity"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        conn, reused = self._take(origin)
        try:
            try:
                return self._exchange(origin, conn, request)
            except _ClosedBeforeAnswer:
                if not reused:
                    raise
            # the server closed a kept-alive connection as the request went out: GET is safe to send again
            conn, _ = self._take(origin, fresh=True)
            return self._exchange(origin, conn, request)
        except LeanGetError:
            raise
        except Exception as e:  # socket, TLS and timeout errors: the caller's fallback explains them
            raise LeanGetError(f"{type(e).__name__}: {e}") from e

    def close(self) -> None:
        with self._lock:
            origins, self._origins = list(self._origins.values()), {}
        for origin in origins:
            origin.close()

    # -----------------------------------------------------------------------------------------------------

    def _origin(self, url: str, key: tuple[str, str, int]) -> _Origin:
        origin = self._origins.get(key)
        if origin is None:
            with self._lock:
                origin = self._origins.get(key)
                if origin is None:
                    pool = self._http._get_connection_manager(url, None).connection_from_url(url)
                    self._http._setup_ssl_cert(pool, url, self._http._verify)
                    origin = self._origins[key] = _Origin(pool, self._read_timeout)
        return origin

    @staticmethod
    def _take(origin: _Origin, fresh: bool = False) -> tuple[_Conn, bool]:
        try:
            if fresh:
                origin.close()  # its other idle connections were opened as long ago: drop them too
            return origin.take()
        except Exception as e:
            raise LeanGetError(f"cannot connect: {type(e).__name__}: {e}") from e

    @staticmethod
    def _exchange(origin: _Origin, conn: _Conn, request: bytes) -> tuple[int, dict[str, str], bytes]:
        keep = False  # set only once the whole answer is read: a half-read one leaves bytes for the next
        try:
            conn.sock.sendall(request)
            status, headers, reusable = _read_head(conn.reader)
            body = _read_body(conn.reader, headers)
            if body is None:  # delimited by the connection's end
                body, reusable = conn.reader.read(), False
            keep = reusable
            return status, headers, body
        finally:
            if keep:
                origin.give_back(conn)
            else:
                conn.close()


class _ClosedBeforeAnswer(LeanGetError):
    """The connection ended before a single byte of the answer."""


def _read_line(reader) -> bytes:
    line = reader.readline(MAX_LINE + 1)
    if len(line) > MAX_LINE:
        raise LeanGetError("header line too long")
    return line


def _read_head(reader) -> tuple[int, dict[str, str], bool]:
    """(status, headers, whether the connection stays open), skipping interim 1xx answers."""
    first = True
    while True:
        line = _read_line(reader)
        if not line:
            raise _ClosedBeforeAnswer("connection closed before the answer") if first else \
                LeanGetError("connection closed in the answer")
        first = False
        version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
        code = rest[:3]
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise LeanGetError(f"not an HTTP/1.x status line: {line[:80]!r}")
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = _read_line(reader)
            if line in (b"\r\n", b"\n"):
                break
            if not line:
                raise LeanGetError("connection closed in the headers")
            if line[:1] in (b" ", b"\t"):
                raise LeanGetError("folded header line")
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise LeanGetError(f"malformed header line: {line[:80]!r}")
            name, value = name.strip().lower(), value.strip()
            if name in headers:
                if name == "content-length" and headers[name] != value:
                    raise LeanGetError("conflicting Content-Length headers")
                value = headers[name] if name == "content-length" else f"{headers[name]}, {value}"
            headers[name] = value
        else:
            raise LeanGetError("too many headers")
        status = int(code)
        if 100 <= status < 200:
            continue  # 100 Continue and the like: the real answer follows
        tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
        keep = "close" not in tokens and (version != "HTTP/1.0" or "keep-alive" in tokens)
        return status, headers, keep


def _read_exactly(reader, n: int) -> bytes:
    data = reader.read(n)
    if len(data) != n:
        raise LeanGetError(f"short body: {len(data)} of {n} bytes")
    return data


def _read_body(reader, headers: dict[str, str]) -> bytes | None:
    """The body by Transfer-Encoding or Content-Length; None when only the connection's end delimits it."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        parts: list[bytes] = []
        while True:
            size_text = _read_line(reader).split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise LeanGetError(f"bad chunk size: {size_text[:20]!r}") from None
            if size == 0:
                while _read_line(reader) not in (b"\r\n", b"\n", b""):
                    pass  # trailers: nothing here needs them
                return b"".join(parts)
            parts.append(_read_exactly(reader, size))
            if _read_line(reader) not in (b"\r\n", b"\n"):
                raise LeanGetError("chunk not followed by CRLF")
    length = headers.get("content-length")
    if length is None:
        return None
    if not length.isdigit():
        raise LeanGetError(f"bad Content-Length: {length[:20]!r}")
    return _read_exactly(reader, int(length))
