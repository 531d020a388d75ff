"""A second S3 implementation for benchmarks and tests: `s3rver` (Node, from the npm registry), seeded with
the demo's partitioned multi-format history.

moto is one Python process; s3rver is an independent implementation that serves GETs several times faster
here and differs from moto where real S3 leaves room (listing tokens, error bodies, key encoding). Running
the same sampling code against both catches assumptions that only hold for one server.

* `ensure_installed()` installs s3rver on first use into `benchmarks/.cache/s3rver` (git-ignored, kept
  between runs) and raises `PeerUnavailable` with the reason when Node/npm or the registry cannot be had.
* `S3rverServer` runs it in a child process on a free loopback port (tied to us by PR_SET_PDEATHSIG).
* `start_peer(dir)` = server + the demo's history (`workbench.demo.seed.seed_history`) + a workbench.yaml.

    with start_peer(Path("/tmp/peer")) as peer:
        print(peer.endpoint, peer.config_path)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from workbench.demo.seed import BUCKET, LOG_TYPES, DemoSpec, clients, seed_history
from workbench.demo.server import die_with_parent, free_port, stop_child, wait_serving

VERSION = "3.7.1"
CACHE = Path(__file__).resolve().parent / ".cache" / "s3rver"
ACCESS_KEY = SECRET_KEY = "S3RVER"  # s3rver's built-in account; it checks SigV4 signatures against it
INSTALL_TIMEOUT = 180
READY_TIMEOUT = 30.0


class PeerUnavailable(RuntimeError):
    """s3rver cannot be installed or started here (no Node, no npm, registry unreachable)."""


def binary() -> Path:
    return CACHE / "node_modules" / "s3rver" / "bin" / "s3rver.js"


def ensure_installed() -> Path:
    """The s3rver entry script, installing the pinned version with npm on first use."""
    target = binary()
    if target.is_file():
        return target
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise PeerUnavailable("s3rver needs Node.js and npm on PATH (neither is a Python dependency)")
    CACHE.mkdir(parents=True, exist_ok=True)
    try:
        proc = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--no-save", "--fetch-retries=1",
                               "--fetch-timeout=30000", "--prefix", str(CACHE),
                               f"s3rver@{VERSION}"], capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise PeerUnavailable(f"`npm install s3rver@{VERSION}` got no answer in {INSTALL_TIMEOUT} s "
                              "(npm registry unreachable?)") from None
    if proc.returncode != 0 or not target.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise PeerUnavailable(f"`npm install s3rver@{VERSION}` failed: {' / '.join(tail) or proc.returncode}")
    return target


class S3rverServer:
    """s3rver on a free loopback port, its objects in `data_dir`. `start()`, `endpoint`, `stop()`."""

    def __init__(self, data_dir: Path, host: str = "127.0.0.1", log_path: Path | None = None):
        self.data_dir = Path(data_dir)
        self.host = host
        self.port: int | None = None
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> S3rverServer:
        script = ensure_installed()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            self.port = free_port(self.host)
            log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
            self.proc = subprocess.Popen(
                # its continuation tokens use a cipher OpenSSL 3 keeps in the legacy provider
                ["node", "--openssl-legacy-provider", str(script), "-d", str(self.data_dir), "-a", self.host,
                 "-p", str(self.port), "--silent", "--no-vhost-buckets"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                preexec_fn=die_with_parent if sys.platform.startswith("linux") else None)
            if log is not subprocess.DEVNULL:
                log.close()
            # any S3 answer (403 for an unsigned request) means it is serving
            if wait_serving(self.proc, self.endpoint + "/", any_status=True, timeout=READY_TIMEOUT):
                return self
            self.stop()
        raise PeerUnavailable("s3rver did not start (see its log)")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        stop_child(proc)

    def __enter__(self) -> S3rverServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class Peer:
    server: S3rverServer
    spec: DemoSpec
    config_path: Path
    keys: list[str]

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    def s3(self):
        return clients(self.endpoint, self.spec.region, access_key=ACCESS_KEY, secret_key=SECRET_KEY,
                       services=("s3",))["s3"]

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def write_config(config_dir: Path, endpoint: str, region: str, *, name: str = "peer") -> Path:
    """A workbench.yaml for the seeded bucket on `endpoint`: S3 only (no SNS/SQS/IAM/KMS on this server), so
    live mode polls the bucket."""
    creds = config_dir / "aws-credentials"
    creds.write_text(f"[s3rver]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n")
    creds.chmod(0o600)
    cfg = {"sources": {name: {"description": "s3rver seeded with the demo history", "bucket": BUCKET,
                              "region": region, "endpoint": endpoint, "profile": "s3rver",
                              "credentials_file": creds.name, "prefixes": dict(LOG_TYPES)}}}
    path = config_dir / "workbench.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def start_peer(config_dir: Path, spec: DemoSpec | None = None) -> Peer:
    """s3rver up, the demo history uploaded to it, a config written. Raises `PeerUnavailable`."""
    spec = spec or DemoSpec()
    config_dir = Path(config_dir)
    config_dir.mkdir(parents=True, exist_ok=True)
    server = S3rverServer(config_dir / "s3rver-data", log_path=config_dir / "s3rver.log").start()
    try:
        s3 = clients(server.endpoint, spec.region, access_key=ACCESS_KEY, secret_key=SECRET_KEY, services=("s3",))["s3"]
        puts = seed_history(s3, spec)
        path = write_config(config_dir, server.endpoint, spec.region)
    except BaseException:
        server.stop()
        raise
    return Peer(server, spec, path, [p.key for p in puts])


if __name__ == "__main__":  # start a seeded peer by hand: prints endpoint and config, runs until Ctrl+C / SIGTERM
    import signal
    import tempfile

    def _interrupt(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _interrupt)

    with tempfile.TemporaryDirectory(prefix="s3rver-peer-") as tmp, start_peer(Path(tmp)) as peer:
        print(f"endpoint: {peer.endpoint}\nconfig: {peer.config_path}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    os._exit(0)
