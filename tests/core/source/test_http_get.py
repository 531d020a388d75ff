"""The lean presigned-GET sender (`workbench.source.http_get`) against a scripted loopback server: framing
(Content-Length, chunked, close-delimited), keep-alive and its limits, and every malformed answer turned into
`LeanGetError` (the caller then fetches with `get_object`). The S3-facing cases — odd keys, ranges, a 503, a
dropped connection, a short or corrupted body — run against moto and s3rver in tests/demo/test_s3_servers.py."""

from __future__ import annotations

import socket
import threading

import pytest
from botocore.httpsession import URLLib3Session

from workbench.source.http_get import LeanGetError, LeanGets


class Scripted:
    """A loopback server that answers each request with the next scripted reply (raw bytes). A reply of None
    closes the connection without answering; `close_after` closes it after that many answers."""

    def __init__(self, replies: list[bytes | None], close_after: int | None = None):
        self.replies = list(replies)
        self.close_after = close_after
        self.requests: list[bytes] = []
        self.connections = 0
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        answered, buf = 0, b""
        with conn:
            while self.replies:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                request, buf = buf.split(b"\r\n\r\n", 1)
                self.requests.append(request)
                reply = self.replies.pop(0)
                if reply is None:
                    return
                conn.sendall(reply)
                answered += 1
                if self.close_after is not None and answered >= self.close_after:
                    return

    def close(self) -> None:
        self._server.close()


def ok(body: bytes, *extra: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in extra)
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body


@pytest.fixture
def lean():
    sender = LeanGets(URLLib3Session(), read_timeout=5)
    yield sender
    sender.close()


def serve(replies, **kw) -> Scripted:
    return Scripted(replies, **kw)


def test_keep_alive_reuses_one_connection_and_sends_the_signed_host(lean):
    s = serve([ok(b"first"), ok(b"second", "x-amz-checksum-crc32: AAAA", "X-Amz-Checksum-CRC32: BBBB")])
    url = f"{s.url}/bucket/a%20key?X-Amz-Signature=abc"
    assert lean.get(url, {"User-Agent": "Botocore/1"}) == (200, {"content-length": "5"}, b"first")
    status, headers, body = lean.get(url, {})
    assert (status, body) == (200, b"second") and headers["x-amz-checksum-crc32"] == "AAAA, BBBB"
    assert s.connections == 1
    first = s.requests[0].decode().split("\r\n")
    assert first[0] == "GET /bucket/a%20key?X-Amz-Signature=abc HTTP/1.1"  # the presigned target, untouched
    assert f"Host: {s.url.removeprefix('http://')}" in first and "User-Agent: Botocore/1" in first


def test_a_default_port_is_left_out_of_the_host_header_as_the_signer_does():
    sent = []

    class Recorder(LeanGets):
        @staticmethod
        def _exchange(origin, conn, request):
            sent.append(request)
            return 200, {}, b""

        @staticmethod
        def _take(origin, fresh=False):
            return None, False

    sender = Recorder(URLLib3Session(), read_timeout=5)
    sender.get("http://example.com:80/k?X-Amz-Signature=1", {})
    sender.get("https://[::1]:443/k", {})
    sender.get("https://example.com:8443/k", {})
    assert [r.split(b"\r\n")[1] for r in sent] == [b"Host: example.com", b"Host: [::1]", b"Host: example.com:8443"]


def test_chunked_and_close_delimited_bodies(lean):
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n")
    s = serve([chunked, b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-2/9\r\n\r\nabc"], close_after=2)
    assert lean.get(f"{s.url}/k", {})[2] == b"hello world"
    status, headers, body = lean.get(f"{s.url}/k", {})  # no length: the body ends with the connection
    assert (status, body, headers["content-range"]) == (206, b"abc", "bytes 0-2/9")
    assert s.connections == 1


def test_interim_100_answers_are_skipped(lean):
    s = serve([b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"body")])
    assert lean.get(f"{s.url}/k", {}) == (200, {"content-length": "4"}, b"body")


def test_connection_close_and_http_1_0_are_not_reused(lean):
    s = serve([ok(b"a", "Connection: close"), b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nb", ok(b"c")])
    assert [lean.get(f"{s.url}/k", {})[2] for _ in range(3)] == [b"a", b"b", b"c"]
    assert s.connections == 3


def test_an_idle_connection_the_server_closed_is_replaced_before_use(lean):
    s = serve([ok(b"a"), ok(b"b")], close_after=1)  # the server hangs up after each answer
    assert lean.get(f"{s.url}/k", {})[2] == b"a"
    import time

    time.sleep(0.2)  # the close reaches us while the connection is idle
    assert lean.get(f"{s.url}/k", {})[2] == b"b"
    assert s.connections == 2 and len(s.requests) == 2  # one request each: the dead one was never written to


def test_a_kept_alive_connection_closed_as_the_request_went_out_is_retried_once(lean, monkeypatch):
    s = serve([ok(b"a"), None, ok(b"b")])  # the second request is dropped without a word
    assert lean.get(f"{s.url}/k", {})[2] == b"a"
    from workbench.source import http_get

    monkeypatch.setattr(http_get._Conn, "dropped", lambda self: False)  # the race: it looked alive
    assert lean.get(f"{s.url}/k", {})[2] == b"b"
    assert s.connections == 2 and len(s.requests) == 3


def test_a_fresh_connection_that_closes_unanswered_is_an_error_not_a_retry(lean):
    s = serve([None, ok(b"never")])
    with pytest.raises(LeanGetError, match="closed before the answer"):
        lean.get(f"{s.url}/k", {})
    assert len(s.requests) == 1


@pytest.mark.parametrize(("reply", "message"), [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "short body: 5 of 10"),
    (b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x status line"),
    (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line"),
    (b"HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n", "folded header line"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "conflicting Content-Length"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
    (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n", "header line too long"),
    (b"HTTP/1.1 200 OK\r\n" + b"X: 1\r\n" * 101 + b"\r\n", "too many headers"),
])
def test_malformed_answers_raise_lean_get_error(lean, reply, message):
    s = serve([reply], close_after=1)
    with pytest.raises(LeanGetError, match=message):
        lean.get(f"{s.url}/k", {})


def test_errors_keep_the_connection_only_when_the_answer_was_whole(lean):
    s = serve([b"HTTP/1.1 503 Slow Down\r\nContent-Length: 4\r\n\r\nslow", ok(b"ok")])
    assert lean.get(f"{s.url}/k", {}) == (503, {"content-length": "4"}, b"slow")
    assert lean.get(f"{s.url}/k", {})[2] == b"ok" and s.connections == 1


def test_nothing_listening_is_a_lean_get_error(lean):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    with pytest.raises(LeanGetError, match="cannot connect"):
        lean.get(f"http://127.0.0.1:{port}/k", {})


def test_proxied_urls_are_left_to_botocore():
    proxied = LeanGets(URLLib3Session(proxies={"https": "http://proxy.internal:3128"}), read_timeout=5)
    assert not proxied.handles("https://bucket.s3.amazonaws.com/k")
    assert proxied.handles("http://bucket.s3.amazonaws.com/k")  # no proxy for http
    assert not proxied.handles("ftp://host/k") and LeanGets.usable(URLLib3Session())


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on localhost with a self-signed certificate: (url, path of its certificate)."""
    import shutil
    import ssl
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed: no certificate to serve TLS with")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                raw, _ = server.accept()
            except OSError:
                return
            try:
                with ctx.wrap_socket(raw, server_side=True) as conn:
                    while True:
                        buf = b""
                        while b"\r\n\r\n" not in buf:
                            chunk = conn.recv(4096)
                            if not chunk:
                                raise EOFError
                            buf += chunk
                        conn.sendall(ok(b"secret"))
            except (OSError, EOFError):
                continue  # a client that refused the certificate, or hung up

    threading.Thread(target=serve, daemon=True).start()
    yield f"https://localhost:{server.getsockname()[1]}/k", str(cert)
    server.close()


def test_tls_verification_is_the_sessions_own(tls_server):
    url, cert = tls_server
    with pytest.raises(LeanGetError, match="CERTIFICATE_VERIFY_FAILED"):
        LeanGets(URLLib3Session(verify=True), read_timeout=5).get(url, {})  # the default trust store
    trusting = LeanGets(URLLib3Session(verify=cert), read_timeout=5)  # a CA bundle, as AWS_CA_BUNDLE sets
    assert [trusting.get(url, {})[2] for _ in range(2)] == [b"secret", b"secret"]
    trusting.close()


def test_a_connection_whose_answer_failed_half_way_is_never_reused(lean):
    # the server keeps the connection open after a malformed chunked body: what is left of it must not be
    # read as the next answer
    s = serve([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ok(b"next")])
    with pytest.raises(LeanGetError, match="bad chunk size"):
        lean.get(f"{s.url}/k", {})
    assert lean.get(f"{s.url}/k", {})[2] == b"next"
    assert s.connections == 2
