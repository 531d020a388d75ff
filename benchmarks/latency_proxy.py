"""A loopback TCP proxy that adds a fixed delay to every request, to make a local S3 feel like real S3.

moto answers in a few milliseconds on loopback, which hides what concurrency buys against real S3's
~30 ms round trip. The proxy sleeps `delay` seconds before forwarding each chunk the client sends (an S3
GET or LIST request fits in one chunk), so every request pays one round trip's worth of latency; the
response is streamed back untouched. Each connection is served by its own threads, so concurrent
requests wait concurrently, as they would on a real network.

    with LatencyProxy("127.0.0.1", 4566, delay=0.03) as proxy:
        boto3.client("s3", endpoint_url=proxy.url, ...)
"""

from __future__ import annotations

import socket
import threading
import time


class LatencyProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, delay: float = 0.03, host: str = "127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.delay = delay
        self._server = socket.create_server((host, 0))
        self.port = self._server.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="latency-proxy", daemon=True)
        self.requests = 0

    def start(self) -> LatencyProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.close()

    def __enter__(self) -> LatencyProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, delayed: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if delayed:
                    self.requests += 1
                    time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()


def spawn(upstream_host: str, upstream_port: int, delay: float = 0.03):
    """Run the proxy in a child process (so its threads do not compete for the measured process's GIL).
    Returns (Popen, url); terminate the Popen when done."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, __file__, upstream_host, str(upstream_port), str(delay)],
                            stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    return proc, url


if __name__ == "__main__":
    import sys

    proxy = LatencyProxy(sys.argv[1], int(sys.argv[2]), delay=float(sys.argv[3])).start()
    print(proxy.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        proxy.stop()
