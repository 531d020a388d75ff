"""The line-by-line reader of block-style spec YAML (yaml_block.py) gives exactly what the full YAML 1.2 loader
gives, or declines (NOT_PLAIN): never a different value, never a value where YAML reports an error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rulekit import full_yaml, generated_spec_files, repository_spec_files, same

from workbench.detections.yaml_block import load_block
from workbench.detections.yaml_fast import NOT_PLAIN
from workbench.detections.yaml_json import split_json_logs

REPO = Path(__file__).resolve().parents[3]


def check(text: str) -> bool:
    """The reader gives the full loader's value or declines; True when it read the text itself."""
    got = load_block(text)
    try:
        expected = full_yaml(text)
    except yaml.YAMLError:
        assert got is NOT_PLAIN, (text, got)
        return False
    if got is NOT_PLAIN:
        return False
    assert same(got, expected), (text, got, expected)
    return True


SCALARS = ["off", "yes", "0644", "2024-01-01", "1:30:00", ".5", "-.inf", "+.INF", ".NaN", "0x1F", "0o17", "+1", "1e3",
           "'1'", "~", "", "True", "FALSE", '"true"', "1_000", "1.", ".", "+.5e-3", "00", "-0", "0x", "1.5.3",
           "-1.5e+10", "0o", "+", "nUll", "NULL", "tRue", "-", "'it''s'", '"\\u00e9\\n"', "a # comment", "a#b",
           "https://x.example/a#b", "a: b", "a:b", "a:", "[]", "{}", "[ ]", "[a]", "{a: 1}", "-5", "-a", "- a",
           "&x a", "*x", "!!str 1", "|", ">-", "%x", "@x", "`x", "?x", ":x", ",x", "#x", '"a"b"', "'a'b'",
           '"a #b"', "'a: b'", "é", "a  ", '"x"  ', "<<", "a [b] {c}", "=", "null", "Null", "12345678901234567890",
           "0b101", "1e400", "-.5", "-.x", "'", '"', "a\u00a0b", "\u2028", "a\u0085b"]


@pytest.mark.parametrize("scalar", SCALARS)
def test_every_scalar_form_reads_as_the_full_loader_reads_it(scalar):
    for text in (f"k: {scalar}\n", f"k:\n  - {scalar}\n  - x\n", f"k:\n  {scalar}\nl: 1\n", f"k:\n- {scalar}\n",
                 f"{scalar}: 1\n", f"a:\n  - n: {scalar}\n    m: 2\n"):
        check(text)


def test_the_usual_spec_shapes_are_read_here():
    texts = [
        "AnalysisType: rule\nEnabled: true\nLogTypes:\n  - A.B\nTags: []\nDedupPeriodMinutes: 60\n",
        "Tests:\n  - Name: one\n    ExpectedResult: false\n    Log:\n      x_0\n  - Name: two\n    Log: {}\n",
        "Tests:\n- Name: indentless\n  Mocks:\n  - objectName: f\n    returnValue: 'true'\n  ExpectedResult: true\n",
        "Reports:\n  MITRE:\n    - TA0001:T1078\nSeverity: High\n",
        "# a comment\n\nA: 1\n  # indented comment\nB:\n\nC: \"quoted: text\"\nD:\n",
        "A:   spaced   \nB: 'single # quoted'\nC: -1.5\n",
    ]
    for text in texts:
        assert check(text), text


@pytest.mark.parametrize("text", [
    "a: 1\n  b: 2\n", "a:\n  - x\n  b: 2\n", "a:\n  - x\n    y\n", "a: x\n  continued\n", "- a\n", "a\n",
    "a:\n  - - x\n", "a:\n  -\n    x\n", "a: 1\n---\nb: 2\n", "a: 1\n...\n", "%YAML 1.2\n---\na: 1\n",
    "a: 1\r\nb: 2\r\n", "a:\t1\n", "\ufeffa: 1\n", "a: \"x\\ty\"\n", "a: 'it''s'\n", "true: 1\n", "null: 1\n",
    "a:\n    b: 1\n  c: 2\n", "a:\n  b:\n  - x\n  c: 1\n", " a: 1\nb: 2\n", "a: 1\nb:\n    - x\n  - y\n",
    "a: |\n  text\n", "a: >\n  text\n", "a: &x 1\nb: *x\n", "a: [1, 2]\n", "a: {b: 1}\n", "", "# only\n",
    "a: 1 # trailing\n", "a: b: c\n", "- x\n- y\n", "a:\n- x\nb: 1\n- y\n", "a:\n  x\n  y\n", "a: 1\na: 2\n",
    "a:\n  b: 1\n  b: 2\n", "Key" + "k" * 1100 + ": 1\n", "a:\n  - b: 1\n      c: 2\n", "a:\n  - b: 1\n   c: 2\n",
])
def test_odd_documents_are_read_identically_or_declined(text):
    check(text)


def test_every_spec_file_in_the_repository_reads_identically():
    read = 0
    for f in repository_spec_files():
        text = f.read_text()
        split = split_json_logs(text)
        read += check(text) + (check(split[0]) if split else 0)
    assert read > 20


def test_a_generated_big_repository_reads_here_identically(tmp_path):
    for f in generated_spec_files(tmp_path / "content"):
        text = f.read_text()
        split = split_json_logs(text)
        assert check(split[0] if split else text), f  # every skeleton is read here


# documents made of lines in the shapes the reader knows and the ones it must refuse, at random indentation
words = st.sampled_from(["a", "B", "Name", "true", "null", "x_1", "Log"])
values = st.sampled_from(SCALARS) | st.text(alphabet="ab1 :#-'\"[]{}.&*!|>%@~\t\u00e9", max_size=6)
lines = st.tuples(st.sampled_from([0, 0, 1, 2, 2, 3, 4, 4, 6]), st.sampled_from(["", "- ", "-  ", "-"]),
                  st.one_of(st.none(), words), st.one_of(st.none(), values), st.sampled_from(["", " ", " # c"]))


def _line(parts) -> str:
    indent, dash, key, value, tail = parts
    body = (f"{key}:" + (f" {value}" if value is not None else "")) if key is not None else (value or "")
    return " " * indent + dash + body + tail


@settings(max_examples=600, deadline=None)
@given(st.lists(lines, min_size=1, max_size=12))
def test_random_line_documents_are_read_identically_or_declined(parts):
    check("\n".join(_line(p) for p in parts) + "\n")


LEAVES = [v for v in SCALARS if v] + ["Medium", "AWS.CloudTrail", "$.a.b", "wbjson0_1", "'q'", '"d d"']
KEYS = ["Name", "a", "b_2", "Log", "true", "x"]


def _block(rng, depth: int) -> object:
    if depth > 2 or rng.random() < 0.3:
        return rng.choice(LEAVES)
    if rng.random() < 0.5:
        return [_block(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(KEYS): _block(rng, depth + 1) for _ in range(rng.randint(1, 3))}


def _write(rng, value, col: int, out: list[str]) -> None:
    """Lines of a mapping or list at column `col`, in the styles specs are written in (and a few more)."""
    step = rng.choice([2, 2, 4, 1])
    if isinstance(value, dict):
        for key, v in value.items():
            if rng.random() < 0.1:
                out.append(rng.choice(["", " " * rng.randint(0, 6) + "# note"]))
            if isinstance(v, (dict, list)) and v:
                out.append(" " * col + f"{key}:")
                indentless = isinstance(v, list) and rng.random() < 0.4
                _write(rng, v, col if indentless else col + step, out)
            elif isinstance(v, (dict, list)):
                out.append(" " * col + f"{key}: {'{}' if isinstance(v, dict) else '[]'}")
            elif rng.random() < 0.15:
                out.append(" " * col + f"{key}:")
                out.append(" " * (col + step) + v)
            else:
                out.append(" " * col + f"{key}: {v}".rstrip() + rng.choice(["", "", " "]))
    else:
        for v in value:
            if isinstance(v, dict) and v:
                inner: list[str] = []
                _write(rng, v, col + 2, inner)
                first = next(i for i, ln in enumerate(inner) if ln.strip() and not ln.strip().startswith("#"))
                inner[first] = " " * col + "- " + inner[first][col + 2:]
                out.extend(inner)
            elif isinstance(v, list) and v:
                out.append(" " * col + "-")
                _write(rng, v, col + step, out)
            else:
                out.append(" " * col + f"- {v if isinstance(v, str) else ('{}' if isinstance(v, dict) else '[]')}")


@settings(max_examples=600, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=3))
def test_random_block_documents_are_read_identically_or_declined(rng, mutations):
    root = {rng.choice(KEYS): _block(rng, 0) for _ in range(rng.randint(1, 4))}
    out: list[str] = []
    _write(rng, root, 0, out)
    for _ in range(mutations):  # an indentation off by one, a line dropped or repeated
        i = rng.randrange(len(out))
        kind = rng.randrange(3)
        if kind == 0:
            out[i] = " " + out[i]
        elif kind == 1 and len(out) > 1:
            del out[i]
        else:
            out.insert(i, out[i])
    check("\n".join(out) + "\n")


keys = st.text(alphabet="abAB1_ .:-'\"#", min_size=1, max_size=5)
data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=15)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True), data, min_size=1, max_size=4),
       st.sampled_from([2, 4]))
def test_dumped_block_data_reads_identically(value, indent):
    check(yaml.safe_dump(value, default_flow_style=False, allow_unicode=True, indent=indent, sort_keys=False))
