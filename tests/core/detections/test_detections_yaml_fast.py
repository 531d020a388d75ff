"""The event-built fast path of the spec YAML loader gives exactly what the full YAML 1.2 loader gives."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rulekit import each_loads_as_full_yaml, full_yaml, repository_spec_files, same

from workbench.detections.yaml12 import load_yaml_text
from workbench.detections.yaml_fast import NOT_PLAIN, load_plain

SCALARS = ["off", "yes", "0644", "2024-01-01", "1:30:00", ".5", "-.inf", "+.INF", ".NaN", "0x1F", "0o17", "+1", "1e3",
           "'1'", "~", "", "True", "FALSE", '"true"', "1_000", "1.", ".", "+.5e-3", "00", "-0", "0x", "1.5.3",
           "-1.5e+10", "0o", "+", "nUll", "NULL", "tRue", "-", "'it''s'", '"\\u00e9\\n"', "a # comment"]


@pytest.mark.parametrize("scalar", SCALARS)
def test_every_scalar_form_resolves_as_the_full_loader_does(scalar):
    text = f"k: {scalar}\nl: [{scalar}]\n" if scalar not in ("-", "a # comment") else f"k: {scalar}\n"
    try:
        expected = full_yaml(text)
    except yaml.YAMLError:
        assert load_plain(text) is NOT_PLAIN
        return
    got = load_plain(text)
    assert got is not NOT_PLAIN and same(got, expected), (got, expected)


@pytest.mark.parametrize("text", ["a: &x 1\nb: *x\n", "<<: {a: 1}\n", "a: 1\n---\nb: 2\n", "? [a]\n: 1\n",
                                  "a: !!binary aGk=\n", "a: !!str 1\n", "a: [1, 2\n", "a: b: c\n"])
def test_anything_beyond_plain_data_goes_to_the_full_loader(text):
    assert load_plain(text) is NOT_PLAIN


def test_every_spec_file_in_the_repository_loads_identically():
    each_loads_as_full_yaml(repository_spec_files(), load_plain)  # never NOT_PLAIN: its type is no YAML value's


keys = st.text(alphabet="abAB1 .:-'\"#", min_size=1, max_size=5)
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=15)


@settings(max_examples=150, deadline=None)
@given(values, st.booleans())
def test_dumped_data_loads_identically(value, flow):
    text = yaml.safe_dump({"v": value}, default_flow_style=flow, allow_unicode=True)
    assert same(load_yaml_text(text), full_yaml(text))
