"""A small fault-injecting HTTP proxy for the demo's moto server: loopback only, bounded, and recording.

    with FaultProxy(demo.endpoint) as proxy:
        proxy.add(Fault("error", op="GetObject", key="a/b.gz", code="NoSuchKey", status=404, times=1))
        source = replace(demo.source, endpoint=proxy.endpoint)   # the tool talks to the proxy

The proxy listens on 127.0.0.1 (port chosen by the OS) and forwards only to a loopback upstream; it refuses any
other address. Each `Fault` matches requests by AWS operation (and optionally bucket, key, queue) and applies at
most `times` times, then lets requests through: no fault loops forever. Every request is recorded as a
`Seen(op, method, path, target)` so tests can assert what the tool did (e.g. that it never deleted a message).

Faults: ``error`` (an AWS error document in the service's protocol: S3/STS/SNS XML or SQS JSON), ``delay``
(answer after `seconds`), ``reset`` (TCP RST instead of an answer), ``rewrite`` (forward, then pass the response
body through `rewrite(bytes) -> bytes`).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

LOOPBACK = "127.0.0.1"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Fault:
    kind: str  # error | delay | reset | rewrite
    op: str | None = None  # e.g. GetObject, ListObjectsV2, ReceiveMessage, AssumeRole; None = any
    key: str | None = None  # S3 key (exact) for object operations
    times: int = 1  # how many matching requests get the fault; then it is spent
    after: int = 0  # let this many matching requests through first
    status: int = 403
    code: str = "AccessDenied"
    message: str = "Access Denied"
    seconds: float = 0.0
    rewrite: Callable[[bytes], bytes] | None = None
    applied: int = 0
    seen: int = 0

    def spent(self) -> bool:
        return self.applied >= self.times


@dataclass(frozen=True)
class Seen:
    op: str
    method: str
    path: str
    target: str = ""  # the queue URL or bucket/key the request named
    fault: str = ""


@dataclass
class _State:
    faults: list[Fault] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    applied: dict[str, int] = field(default_factory=dict)  # fault kind -> times applied, across clear()


def operation(method: str, path: str, query: str, headers, body: bytes) -> tuple[str, str]:
    """(AWS operation name, what it targets) for S3 (path-style REST), SQS (JSON), STS/SNS/KMS (query/JSON)."""
    target = headers.get("X-Amz-Target") or ""
    if target:  # JSON protocols: AmazonSQS.ReceiveMessage, TrentService.Decrypt
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            doc = {}
        return target.rsplit(".", 1)[-1], str(doc.get("QueueUrl") or doc.get("KeyId") or "")
    ctype = headers.get("Content-Type") or ""
    if method == "POST" and "x-www-form-urlencoded" in ctype:
        form = parse_qs(body.decode("utf-8", "replace"))
        action = (form.get("Action") or [""])[0]
        return action, (form.get("QueueUrl") or form.get("TopicArn") or [""])[0]
    q = parse_qs(query, keep_blank_values=True)
    parts = unquote(path).lstrip("/").split("/", 1)
    bucket, key = parts[0], (parts[1] if len(parts) > 1 else "")
    if method == "GET" and not key:
        if "list-type" in q:
            return "ListObjectsV2", bucket
        if "notification" in q:
            return "GetBucketNotificationConfiguration", bucket
        if "encryption" in q:
            return "GetBucketEncryption", bucket
        return ("ListObjects" if bucket else "ListBuckets"), bucket
    if method == "GET":
        return "GetObject", f"{bucket}/{key}"
    if method == "HEAD":
        return ("HeadObject" if key else "HeadBucket"), f"{bucket}/{key}"
    if method == "PUT":
        return ("PutObject" if key else "PutBucket"), f"{bucket}/{key}"
    if method == "DELETE":
        return ("DeleteObject" if key else "DeleteBucket"), f"{bucket}/{key}"
    return method, path


def _error_body(op: str, fault: Fault, json_protocol: bool) -> tuple[bytes, dict[str, str]]:
    if json_protocol:
        return (json.dumps({"__type": f"com.amazonaws.sqs#{fault.code}", "message": fault.message}).encode(),
                {"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": f"{fault.code};Sender"})
    if op in ("AssumeRole", "GetCallerIdentity", "Subscribe", "Unsubscribe", "ListSubscriptionsByTopic"):
        body = (f'<ErrorResponse><Error><Type>Sender</Type><Code>{fault.code}</Code><Message>{fault.message}'
                "</Message></Error><RequestId>fault</RequestId></ErrorResponse>")
    else:
        body = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{fault.code}</Code><Message>{fault.message}'
                "</Message><RequestId>fault</RequestId></Error>")
    return body.encode(), {"Content-Type": "application/xml"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args) -> None:  # quiet: the tool's own output is what the tests read
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        split = urlsplit(self.path)
        op, target = operation(self.command, split.path, split.query, self.headers, body)
        fault = self.server.pick(op, target)
        self.server.record(Seen(op, self.command, split.path, target, fault.kind if fault else ""))
        if fault and fault.kind == "reset":
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return
        if fault and fault.kind == "delay":
            time.sleep(fault.seconds)
        if fault and fault.kind == "error":
            data, headers = _error_body(op, fault, bool(self.headers.get("X-Amz-Target")))
            self._reply(fault.status, headers, data if self.command != "HEAD" else b"")
            return
        status, headers, data = self.server.forward(self.command, self.path, self.headers, body)
        if fault and fault.kind == "rewrite" and fault.rewrite:
            data = fault.rewrite(data)
        self._reply(status, headers, data)

    def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for k, v in headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str, state: _State):
        u = urlsplit(upstream)
        if not _is_loopback(u.hostname or ""):
            raise ValueError(f"the fault proxy only forwards to loopback, not {u.hostname!r}")
        self.up_host, self.up_port = u.hostname, u.port or 80
        self.state = state
        super().__init__((LOOPBACK, 0), _Handler)

    def pick(self, op: str, target: str) -> Fault | None:
        with self.state.lock:
            for f in self.state.faults:
                if f.spent() or (f.op and f.op != op) or (f.key and not target.endswith("/" + f.key)):
                    continue
                f.seen += 1
                if f.seen <= f.after:
                    continue
                f.applied += 1
                self.state.applied[f.kind] = self.state.applied.get(f.kind, 0) + 1
                return f
        return None

    def record(self, seen: Seen) -> None:
        with self.state.lock:
            self.state.seen.append(seen)

    def forward(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(self.up_host, self.up_port, timeout=60)
        try:
            fwd = {k: v for k, v in headers.items() if k.lower() not in ("connection", "keep-alive")}
            conn.request(method, path, body=body or None, headers=fwd)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()


class FaultProxy:
    """Start with `with FaultProxy(upstream) as proxy:`; `proxy.endpoint` is what the tool should use."""

    def __init__(self, upstream: str):
        self._state = _State()
        self._server = _Server(upstream, self._state)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add(self, *faults: Fault) -> FaultProxy:
        with self._state.lock:
            self._state.faults.extend(faults)
        return self

    def clear(self) -> None:
        with self._state.lock:
            self._state.faults.clear()

    @property
    def seen(self) -> list[Seen]:
        with self._state.lock:
            return list(self._state.seen)

    def ops(self, *names: str) -> list[Seen]:
        return [s for s in self.seen if s.op in names]

    @property
    def injected(self) -> dict[str, int]:
        """Faults actually applied, by kind (for RELIABILITY.md)."""
        with self._state.lock:
            return dict(self._state.applied)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
