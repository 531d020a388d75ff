"""The parsed-YAML cache of big content directories: same specs cold, warm, after edits, and with broken files."""

from __future__ import annotations

import os

import pytest

from workbench.detections import spec_cache
from workbench.detections.specs import load_content


def _write_repo(root, n):
    for i in range(n):
        (root / f"r{i}.py").write_text("def rule(event):\n    return True\n")
        (root / f"r{i}.yml").write_text(
            f"AnalysisType: rule\nRuleID: R.{i}\nEnabled: true\nFilename: r{i}.py\nLogTypes: [X.Y]\nSeverity: Low\n"
            f"Tests:\n  - Name: t\n    ExpectedResult: true\n    Log: {{\"n\": {i}, \"when\": 2024-01-01, \"flag\": off}}\n")


def _view(content):
    return ([(r.rule_id, r.severity, [(t.name, t.log) for t in r.tests]) for r in content.rules],
            sorted(i.message for i in content.invalid))


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "content"
    root.mkdir()
    _write_repo(root, spec_cache.PARALLEL_MIN + 20)  # big enough for the cache and the parallel parse
    (root / "broken.yml").write_text("AnalysisType: rule\nRuleID: [unclosed\n")
    return root


def test_cold_warm_and_uncached_loads_agree(repo, monkeypatch):
    cold = load_content(repo)
    assert list((repo.parent / "cache" / "specs").iterdir())  # written
    warm = load_content(repo)
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", "off")
    plain = load_content(repo)
    assert _view(cold) == _view(warm) == _view(plain)
    assert len(cold.rules) == spec_cache.PARALLEL_MIN + 20
    assert cold.rules[0].tests[0].log == {"n": 0, "when": "2024-01-01", "flag": "off"}  # YAML 1.2 kept
    assert any("not valid YAML" in m for m in _view(warm)[1])


def test_an_edited_file_is_read_again(repo):
    load_content(repo)
    yml = repo / "r3.yml"
    text = yml.read_text().replace("Severity: Low", "Severity: High")
    yml.write_text(text)
    os.utime(yml, ns=(1, 1))  # a different mtime even on coarse clocks
    assert next(r for r in load_content(repo).rules if r.rule_id == "R.3").severity == "High"


def test_small_directories_are_not_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "small"
    root.mkdir()
    _write_repo(root, 5)
    assert len(load_content(root).rules) == 5
    assert not (tmp_path / "cache").exists()


def test_the_parse_child_is_collected_lazily_and_never_left_behind(repo, monkeypatch):
    from workbench.detections import specs

    children = []
    prefetch = spec_cache.YamlCache.prefetch

    def recording(self, files):
        prefetch(self, files)
        children.append(self._child)

    monkeypatch.setattr(spec_cache.YamlCache, "prefetch", recording)
    assert len(load_content(repo).rules) == spec_cache.PARALLEL_MIN + 20
    assert children[0] is not None  # the second half was parsed by a child
    with pytest.raises(ChildProcessError):
        os.waitpid(children[0][0], os.WNOHANG)  # and reaped

    calls = 0
    real = specs._load_one

    def failing(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 3:  # still in the first half: the child is busy or waiting to be read
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(specs, "_load_one", failing)
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(repo.parent / "cache-2"))  # cold again
    with pytest.raises(RuntimeError):
        load_content(repo)
    assert children[1] is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(children[1][0], os.WNOHANG)  # killed and reaped, not left writing to a pipe


def test_a_file_unreadable_after_the_walk_is_reported_not_fatal(repo, monkeypatch):
    real = spec_cache.load_yaml_file

    def unreadable(path):
        if path.name in ("r1.yml", f"r{spec_cache.PARALLEL_MIN}.yml"):  # one in each half
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(spec_cache, "load_yaml_file", unreadable)
    content = load_content(repo)
    assert len(content.rules) == spec_cache.PARALLEL_MIN + 18
    assert sum("Permission denied" in i.message for i in content.invalid) == 2
