"""Walking a content directory: which spec files are read, in what order, and how links are treated.

`load_content` lists each folder once and answers "is it a link, is it a plain file" from the listing;
these cases pin down that it finds what a walk with a `stat` per file finds (os.walk with sorted folders,
symlinked folders not entered, `Filename` checked beside the YAML).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.detections.spec_walk import _yaml_files
from workbench.detections.specs import load_content

RULE = "AnalysisType: rule\nRuleID: {rid}\nEnabled: true\nFilename: {py}\nLogTypes: [Custom.T]\nSeverity: Low\n"
PY = "def rule(event):\n    return True\n"


def _rule(folder: Path, rid: str, py: str | None = None) -> Path:
    name = rid.lower().replace(".", "_")
    folder.mkdir(parents=True, exist_ok=True)
    if py is None:
        (folder / f"{name}.py").write_text(PY)
    (folder / f"{name}.yml").write_text(RULE.format(rid=rid, py=py or f"{name}.py"))
    return folder / f"{name}.yml"


def _walked(root: Path) -> list[Path]:
    """What os.walk with sorted folders gives (the walk before listings)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        out += [Path(dirpath) / n for n in sorted(filenames) if not n.startswith(".") and n.endswith((".yml", ".yaml"))]
    return out


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    outside = tmp_path / "outside"
    _rule(root / "b", "W.B")
    _rule(root / "a", "W.A")
    _rule(root / "a" / "z_sub", "W.Deep")
    _rule(root, "W.Top")
    _rule(root / ".hidden", "W.Hidden")
    _rule(root / "__pycache__", "W.Cache")
    (root / "a" / ".dot.yml").write_text(RULE.format(rid="W.Dot", py="w_a.py"))
    (root / "a" / "notes.txt").write_text("not a spec")
    # a spec file that is a link to one outside the content, and a linked folder (not entered)
    target = _rule(outside, "W.Linked")
    (root / "a" / "linked.yml").symlink_to(target)
    (outside / "folder").mkdir()
    _rule(outside / "folder", "W.InLinkedFolder")
    (root / "c_link").symlink_to(outside / "folder", target_is_directory=True)
    # Filename: a link to a file elsewhere, a folder, a missing file, a path with a folder
    (outside / "real_impl.py").write_text(PY)
    (root / "f").mkdir()
    (root / "f" / "via_link.py").symlink_to(outside / "real_impl.py")
    _rule(root / "f", "W.ViaLink", py="via_link.py")
    (root / "f" / "a_folder.py").mkdir()
    _rule(root / "f", "W.Folder", py="a_folder.py")
    _rule(root / "f", "W.Missing", py="missing.py")
    (root / "f" / "sub").mkdir()
    (root / "f" / "sub" / "nested.py").write_text(PY)
    _rule(root / "f", "W.Nested", py="sub/nested.py")
    (root / "f" / "dangling.py").symlink_to(outside / "nowhere.py")
    _rule(root / "f", "W.Dangling", py="dangling.py")
    return root


def test_the_files_walked_are_os_walks_in_its_order(repo):
    assert list(_yaml_files(repo)) == _walked(repo)
    assert list(_yaml_files(repo / "a" / "linked.yml")) == [repo / "a" / "linked.yml"]


def test_links_and_filenames_are_judged_as_the_file_system_does(repo):
    content = load_content(repo)
    rules = {r.rule_id: r for r in content.rules}
    # a linked spec whose real file is outside the content path counts as a support file (not run)
    assert set(rules) == {"W.A", "W.B", "W.Deep", "W.Top", "W.ViaLink", "W.Nested"}
    assert rules["W.ViaLink"].py_path == (repo.parent / "outside" / "real_impl.py").resolve()
    assert rules["W.Nested"].py_path == (repo / "f" / "sub" / "nested.py").resolve()
    assert rules["W.A"].py_path == repo / "a" / "w_a.py"
    invalid = sorted(i.message.split(": ", 1)[1] for i in content.invalid)
    assert invalid == ["Filename 'a_folder.py' does not exist beside the YAML",
                       "Filename 'dangling.py' does not exist beside the YAML",
                       "Filename 'missing.py' does not exist beside the YAML"]
