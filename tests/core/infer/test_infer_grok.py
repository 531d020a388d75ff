"""Text inference writes its regex with Panther's built-in grok patterns (`%{TIMESTAMP_ISO8601:timestamp}
%{WORD:level} …`) where every column has one, and the grok form parses exactly as the plain regex does."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from workbench.infer import infer_schema
from workbench.infer.text import infer_text
from workbench.model import Record
from workbench.parse import compile_parser
from workbench.schema import dump_schema, load_schema
from workbench.schema.grok import GROK, expand_grok

CORPUS = Path(__file__).parents[2] / "data" / "text"
VOLATILE = ("p_row_id", "p_parse_time")


def _lines(path: Path) -> list[str]:
    return [t for t in path.read_text(encoding="utf-8").splitlines() if t.strip()]


def _grok_layouts() -> dict[str, tuple[str, str]]:
    """file name → (grok form, plain regex) for the corpus layouts inferred in grok form."""
    out = {}
    for path in sorted(CORPUS.glob("*.log")):
        lines = _lines(path)
        found = infer_text([t.strip() for t in lines], [])
        if found.plain_regex:
            out[path.name] = (found.parser["regex"]["match"][0], found.plain_regex)
    return out


GROKKED = _grok_layouts()


def test_several_corpus_layouts_are_written_in_grok_with_builtin_patterns_only():
    assert {"hadoop.log", "log4j_java.log", "windows_cbs.log"} <= set(GROKKED), sorted(GROKKED)
    grok, _plain = GROKKED["log4j_java.log"]
    assert grok.startswith("^%{TIMESTAMP_ISO8601:timestamp} %{WORD:level}")
    import re

    for grok, _plain in GROKKED.values():
        assert set(re.findall(r"%\{([A-Z0-9_]+):", grok)) <= set(GROK)
        expand_grok(grok)  # Panther's patterns only: no definitions needed


@pytest.mark.parametrize("name", sorted(GROKKED))
def test_the_grok_form_gives_the_same_events_as_the_plain_regex(name):
    lines = _lines(CORPUS / name)
    records = [Record("corpus", name, i, t) for i, t in enumerate(lines, start=1)]
    result = infer_schema(records, name="Custom.Corpus")
    grok, plain = GROKKED[name]
    assert result.schema.parser == {"regex": {"match": [grok]}}
    assert any("grok patterns" in n for n in result.notes)
    as_grok = compile_parser(load_schema(dump_schema(result.schema)))
    as_plain = compile_parser(load_schema(dump_schema(replace(result.schema, parser={"regex": {"match": [plain]}}))))
    parsed = 0
    for r in records:
        a, b = as_grok.parse(r), as_plain.parse(r)
        if isinstance(a, dict) and isinstance(b, dict):
            parsed += 1
            assert {k: v for k, v in a.items() if k not in VOLATILE} == {k: v for k, v in b.items() if k not in VOLATILE}
        else:
            assert type(a) is type(b), (r.text, a, b)  # both fail the line
    assert parsed >= 0.9 * len(records)
