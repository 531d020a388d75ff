"""Adding only an inferred schema's new fields to a hand-written schema: the file's own text is kept."""

from __future__ import annotations

import pytest

from workbench.errors import WorkbenchError
from workbench.schema import load_schema
from workbench.schema.merge import add_new_fields

SAVED = """# hand-written by the team: keep this comment
schema: Custom.Payments
description: the payments API log
fields:
  # event time, as the API writes it
  - name: ts
    type: timestamp
    timeFormats: [rfc3339]
    isEventTime: true
  - name: amount
    type: float
    description: in USD
version: 0
"""
INFERRED = load_schema("""schema: Custom.Payments
fields:
- name: ts
  type: timestamp
  timeFormats: [rfc3339]
  isEventTime: true
- name: amount
  type: bigint
- name: client_ip
  type: string
  indicators: [ip]
- name: card
  type: object
  fields:
  - name: country
    type: string
""")


def test_only_the_missing_fields_are_appended_in_the_files_own_indentation():
    text, names = add_new_fields(SAVED, INFERRED)
    assert names == ["client_ip", "card"]
    assert text.startswith(SAVED.split("version: 0")[0])  # every line before the addition is untouched
    assert text.endswith("version: 0\n")
    merged = load_schema(text)
    assert [f.name for f in merged.fields] == ["ts", "amount", "client_ip", "card"]
    assert merged.fields[1].type == "float"  # the hand-written type wins over the inferred bigint
    assert "\n  - name: client_ip\n    type: string\n" in text


def test_nothing_new_leaves_the_text_as_it_is():
    same = load_schema(SAVED)
    assert add_new_fields(SAVED, same) == (SAVED, [])


def test_a_file_without_a_fields_list_is_refused():
    with pytest.raises(WorkbenchError):
        add_new_fields("schema: Custom.X\nfields: []\n", INFERRED)
