"""jsonpath-ng's parser tables kept between runs (panther_core.data_model._tables): two rule workers start at
once on an empty cache folder in `rules test`, so a tables file is only ever read whole."""

from __future__ import annotations

import os
import pickle

import ply.yacc
import pytest
from rulekit import write_rule

from panther_core import data_model
from workbench.detections import RuleEngine


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path))
    return tmp_path


def _parser():
    data_model._PARSER.clear()
    return data_model._jsonpath_parser()


def test_tables_are_written_whole_under_their_name(cache):
    tree = _parser().parse("$.resources[0].name")
    path = data_model._tables_file()
    assert path is not None and os.path.exists(path)
    assert [p.name for p in cache.iterdir()] == [os.path.basename(path)]  # no temporary file left behind
    with open(path, "rb") as f:
        assert pickle.load(f) == ply.yacc.__tabversion__  # a pickle ply wrote
    assert str(_parser().parse("$.resources[0].name")) == str(tree)  # read back: the same parser


def test_a_half_written_tables_file_is_rebuilt_not_fatal(cache):
    path = data_model._tables_file()
    _parser().parse("$.a")
    with open(path, "rb") as f:
        whole = f.read()
    with open(path, "wb") as f:
        f.write(whole[: len(whole) // 3])  # what a reader saw while another worker was writing it in place
    assert str(_parser().parse("$.resources[0].name")) == "$.resources.[0].name"
    with open(path, "rb") as f:
        assert f.read() == whole


def test_a_jsonpath_data_model_has_the_workers_build_the_parser_early(cache, tmp_path, monkeypatch):
    """The engine asks its worker to build the parser as soon as it reads such a data model; the load
    and the unit tests then run as before (the worker sends no reply to it that could be taken for one)."""
    from workbench.detections.process import WorkerProcess

    hints: list[bytes] = []
    real = WorkerProcess.hint

    def hint(self, payload):
        hints.append(payload)
        real(self, payload)

    monkeypatch.setattr(WorkerProcess, "hint", hint)
    content = tmp_path / "content"
    (content / "data_models").mkdir(parents=True)
    (content / "data_models" / "m.yml").write_text(
        "AnalysisType: datamodel\nDataModelID: M\nEnabled: true\nLogTypes: [Custom.T]\n"
        "Mappings:\n  - Name: first\n    Path: $.items[0].name\n")
    write_rule(content, "J.First", "def rule(event):\n    return event.udm('first') == 'x'\n",
               [("first", True, {"p_log_type": "Custom.T", "items": [{"name": "x"}]}),
                ("other", False, {"p_log_type": "Custom.T", "items": [{"name": "y"}]})])
    with RuleEngine(content, auto_reload=False) as engine:
        report = engine.run_tests()
        assert hints == [b'{"op":"warm"}'] and engine.worker.stale_frames == 0
    assert [(c.name, c.passed) for c in report.cases] == [("first", True), ("other", True)]
