"""Build hook: the shipped Panther content (schemas/ and rules/) travels inside the wheel as
workbench/shipped/, so `workbench demo` works from an installed package, not only from a checkout.
Everything else about the build is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithShippedContent(build_py):
    def run(self) -> None:
        super().run()
        for name in ("schemas", "rules"):
            target = Path(self.build_lib) / "workbench" / "shipped" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithShippedContent})
