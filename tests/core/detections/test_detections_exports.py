"""The package's public names are imported lazily at run time (`__getattr__` + `_EXPORTS`) and eagerly for the
type checker (an `if TYPE_CHECKING:` block): both lists must name the same objects, or mypy and Python disagree."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import workbench.detections as detections


def _type_checking_imports() -> dict[str, str]:
    tree = ast.parse(Path(detections.__file__).read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING")
    return {alias.asname or alias.name: node.module
            for node in block.body if isinstance(node, ast.ImportFrom) and node.module
            for alias in node.names}


def test_type_checking_block_names_every_lazy_export_from_its_module():
    assert _type_checking_imports() == detections._EXPORTS


def test_every_lazy_export_resolves_to_the_object_of_its_module():
    for name, module in detections._EXPORTS.items():
        assert getattr(detections, name) is getattr(importlib.import_module(module), name)
