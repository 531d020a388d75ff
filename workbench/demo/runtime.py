"""Start and stop the whole demo: server, seed, live generator. Used by `workbench demo` and the tests."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from workbench.demo.generator import LiveGenerator
from workbench.demo.seed import DemoInfo, DemoSpec, seed
from workbench.demo.server import MotoServer


@dataclass
class Demo:
    server: MotoServer
    info: DemoInfo
    generator: LiveGenerator | None
    seconds_to_ready: float

    @property
    def endpoint(self) -> str:
        return self.server.endpoint

    @property
    def config_path(self) -> Path:
        return self.info.config_path

    def stop(self) -> None:
        if self.generator is not None:
            self.generator.stop()
        self.server.stop()

    def __enter__(self) -> Demo:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_demo(config_dir: Path, spec: DemoSpec | None = None, *, rate: float | None = 2.0,
               log_path: Path | None = None, port: int | None = None) -> Demo:
    """Server up, history seeded, config written, generator running (unless `rate` is None or 0)."""
    t0 = time.monotonic()
    config_dir = Path(config_dir)
    config_dir.mkdir(parents=True, exist_ok=True)
    server = MotoServer(port=port, log_path=log_path or config_dir / "moto.log").start()
    try:
        spec = spec or DemoSpec()
        info = seed(server.endpoint, spec, config_dir)
        gen = None
        if rate:
            gen = LiveGenerator(server.endpoint, rate=rate, seed=spec.seed, kms_key_id=info.kms_key_id, region=spec.region)
            gen.start()
    except BaseException:
        server.stop()
        raise
    return Demo(server, info, gen, time.monotonic() - t0)
