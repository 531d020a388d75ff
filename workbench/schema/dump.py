"""The model → schema YAML: Panther's key order, fields in their order, `timeFormats` lists, stable output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

from workbench.schema.model import Schema

if TYPE_CHECKING:  # the C dumper is picked at run time; both have the SafeDumper interface
    _BaseDumper = yaml.SafeDumper
else:
    _BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):
    """Block style, no aliases, strings that would read back as something else are quoted."""

    def ignore_aliases(self, data):
        return True


def _str_repr(dumper: yaml.SafeDumper, data: str):
    style = "|" if "\n" in data and len(data) > 80 else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


def _list_repr(dumper: yaml.SafeDumper, data: list):
    # short lists of plain scalars read best inline: `timeFormats: [rfc3339]`, `indicators: [ip]`
    scalar = all((isinstance(x, int | float | bool)) or (isinstance(x, str) and "\n" not in x) for x in data)
    flow = bool(data) and scalar and sum(len(str(x)) + 2 for x in data) < 60
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(str, _str_repr)
_Dumper.add_representer(list, _list_repr)


def dump_schema(schema: Schema) -> str:
    """Schema YAML: top-level keys in Panther's order, fields in their order, `timeFormats` lists."""
    return yaml.dump(schema.to_dict(), Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100000)

def dump_schema_dict(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=100000)
