"""Panther schemas: the model, loading with validation, dumping, and what fields carry (time formats,
indicators, grok patterns, statistics). The names most callers need are re-exported here."""

from workbench.schema.dump import dump_schema, dump_schema_dict
from workbench.schema.load import (
    load_schema,
    load_schema_dir,
    loadable_log_types,
    schema_from_dict,
    validate_schema_text,
)
from workbench.schema.model import (
    INDICATORS,
    NAMED_TIME_FORMATS,
    PARSERS,
    TYPES,
    Field,
    Schema,
    SchemaProblem,
    is_schema_file,
    walk_fields,
)

__all__ = [
    "INDICATORS", "NAMED_TIME_FORMATS", "PARSERS", "TYPES", "Field", "Schema", "SchemaProblem", "dump_schema",
    "dump_schema_dict", "is_schema_file", "load_schema", "load_schema_dir", "loadable_log_types", "schema_from_dict",
    "validate_schema_text", "walk_fields",
]
