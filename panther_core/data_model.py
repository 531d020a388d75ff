"""A data model: per log type, maps unified field names (`source_ip`, `actor_user`, …) to event fields.

A mapping is either a JSONPath (`Path`, evaluated on the raw event with jsonpath-ng's extended grammar, the
library and release line Panther's tool uses) or the name of a function (`Method`) in the data model's
module. Paths are compiled once, when the model is built; plain field chains (`$.a.b`), which most
mappings are, are evaluated without the JSONPath engine but answer exactly as it does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

NO_DATA_MODEL = "a data model hasn't been specified for log type"


class DataModel:
    """Compiled mappings of one data model. `mappings` are dicts with `Name` and `Path` or `Method` (any case).

    `paths` maps a name to a compiled path (`.find(data)` → matches with `.value` and `.full_path`);
    `methods` maps a name to the module's function.
    """

    def __init__(self, model_id: str, mappings: Iterable[Mapping[str, Any]], module: ModuleType | None = None):
        self.data_model_id = model_id
        self.model_id = model_id
        self.paths: dict[str, Any] = {}
        self.methods: dict[str, Callable] = {}
        self.path_texts: dict[str, str] = {}
        for raw in mappings:
            m = {str(k).lower(): v for k, v in raw.items()}
            if "name" not in m:
                raise AssertionError(f"DataModel [{model_id}] is missing required field: [name]")
            name = m["name"]
            if m.get("path"):
                self.paths[name] = _compile(str(m["path"]))
                self.path_texts[name] = str(m["path"])
            elif m.get("method"):
                method = m["method"]
                if module is None or not hasattr(module, method):
                    raise AssertionError(f"DataModel is missing method named [{method}]")
                self.methods[name] = getattr(module, method)
            else:
                raise AssertionError(f"DataModel [{model_id}] is missing a field or method for [{name}]")


# identifiers as jsonpath-ng's lexer reads them, minus its one reserved word
_CHAIN = re.compile(r"^(?:\$\.)?(?!where(?:\.|$))[A-Za-z_][A-Za-z0-9_]*(?:\.(?!where(?:\.|$))[A-Za-z_][A-Za-z0-9_]*)*$")


class _Match:
    __slots__ = ("full_path", "value")

    def __init__(self, value: Any, full_path: str):
        self.value = value
        self.full_path = full_path


class _FieldChain:
    """`$.a.b.c` (or `a.b.c`): dict lookups, exact keys; no match where a step is missing or not a dict."""

    def __init__(self, path: str):
        self.text = path
        self.keys = tuple(path.removeprefix("$.").split("."))
        self.full_path = ".".join(self.keys)

    def __str__(self) -> str:
        return self.text

    def find(self, data: Any) -> list[_Match]:
        value = data
        for key in self.keys:
            if type(value) is not dict:
                if not hasattr(value, "get"):
                    return []
                try:
                    value = value.get(key, _Missing)
                except TypeError:
                    return []
            else:
                value = value.get(key, _Missing)
            if value is _Missing:
                return []
        return [_Match(value, self.full_path)]


class _Missing:
    pass


def _compile(path: str) -> Any:
    if _CHAIN.match(path):
        return _FieldChain(path)
    compiled = _COMPILED.get(path)
    if compiled is None:
        compiled = _COMPILED[path] = _jsonpath_parser().parse(path)
    return compiled


_COMPILED: dict[str, Any] = {}
_PARSER: list = []


def _jsonpath_parser() -> Any:
    """One jsonpath-ng extended parser whose LALR tables are built once.

    jsonpath-ng rebuilds its parser tables (with ply) on every `parse()` call, ~40 ms each: on content with
    a dozen JSONPath mappings that was half of the worker's start-up. Same grammar, same parse trees.
    """
    if _PARSER:
        return _PARSER[0]
    from jsonpath_ng.ext.parser import ExtentedJsonPathParser

    try:
        import ply.yacc
        from jsonpath_ng.parser import IteratorToTokenStream
    except ImportError:  # a jsonpath-ng without these internals: its own (slower) parse
        parser = ExtentedJsonPathParser()
    else:
        class _TablesOnce(ExtentedJsonPathParser):
            """jsonpath-ng's extended grammar (the parser refuses a class without a docstring)."""

            _tables = None

            def parse_token_stream(self, token_iterator, start_symbol="jsonpath"):
                if self._tables is None:
                    self._tables = _tables(ply.yacc, self, start_symbol)
                return self._tables.parse(lexer=IteratorToTokenStream(token_iterator))

        parser = _TablesOnce()
    _PARSER.append(parser)
    return parser


def warm_up() -> None:
    """Build jsonpath-ng's parser now (its tables, ~25 ms), before the first JSONPath mapping needs it."""
    _jsonpath_parser().parse("$.a[0]")


def _tables(yacc: Any, module: Any, start: str) -> Any:
    """ply's parser tables for `module`, kept in a pickle between runs when there is a cache folder: ~25 ms
    less per worker start.

    ply checks a pickle against the grammar's signature (rebuilding when it differs) but writes it in place,
    in several pieces: two workers starting on an empty cache folder (`rules test` on two workers) could
    read each other's half-written file (EOFError). So a pickle is only ever read whole: it is written under
    a name of this process's own and renamed into place, and one that cannot be read is built anew.
    """
    kw = {"module": module, "debug": False, "write_tables": False, "start": start, "errorlog": yacc.NullLogger()}
    path = _tables_file()
    if path is None:
        return yacc.yacc(**kw)
    if os.path.exists(path):
        try:
            return yacc.yacc(picklefile=path, **kw)
        except Exception:  # a damaged file (written by an older release in place): built below
            pass
    tmp = f"{path}.{os.getpid()}.tmp"
    tables = yacc.yacc(picklefile=tmp, **kw)  # no such file: ply builds the tables and writes them there
    try:
        os.replace(tmp, path)
    except OSError:  # not written (ply only warns) or not movable: the tables are built all the same
        try:
            os.unlink(tmp)
        except OSError:
            pass
    return tables


def _tables_file() -> str | None:
    """Where ply may keep jsonpath-ng's parser tables: the workbench's cache folder (as the parent process
    chooses it), per jsonpath-ng release; None (build them every time) when that is switched off."""
    explicit = os.environ.get("WORKBENCH_CACHE_DIR")
    if explicit and explicit.lower() == "off":
        return None
    base = explicit or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
                                    "log-workbench")
    try:
        import jsonpath_ng

        release = jsonpath_ng.__version__
        os.makedirs(base, exist_ok=True)
    except (AttributeError, OSError):  # no version to key the tables by, or no writable cache folder
        return None
    return os.path.join(base, f"jsonpath-ng-{release}-tables.pickle")
