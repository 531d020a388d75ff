"""Parsing: a schema compiled once into a parser (generated code for JSON objects, text splitters for
csv/fastmatch/regex), events with Panther's `p_` fields, per-line `ParseError` values, and schema test files.
The names most callers need are re-exported here."""

from workbench.parse.parser import Classifier, Parser, compile_parser, generated_source, parsers_for_source
from workbench.parse.values import VALUE_LIMIT, ParseError, event_to_json, loads

__all__ = ["VALUE_LIMIT", "Classifier", "ParseError", "Parser", "compile_parser", "event_to_json",
           "generated_source", "loads", "parsers_for_source"]
