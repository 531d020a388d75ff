"""The generated parser, visible and tested: its source (golden), its tracebacks (linecache), and a differential
property that the generated fast paths and the reference value decoders (workbench/parse/values.py) agree on
every value: the same stored value, or the same error (path and reason), at any nesting depth, including
deeper than the inlining depth.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.cli import main
from workbench.parse import generated_source
from workbench.parse.codegen import INLINE_DEPTH, _BadHere, _object_decoder, compile_value
from workbench.parse.values import _MISSING, NeedsLiteral, _Bad
from workbench.schema import Field, load_schema
from workbench.schema.names import column_name

GOLDEN = Path(__file__).parent / "golden" / "codegen_small.py.txt"
SMALL = """\
schema: Custom.Small
fields:
  - name: "@timestamp"
    type: timestamp
    timeFormats: [rfc3339]
    isEventTime: true
    required: true
  - name: user.name
    type: string
    indicators: [username]
  - name: count
    type: int
  - name: ctx
    type: object
    fields:
      - name: ok
        type: boolean
      - name: extra
        type: json
"""


def _normalised(src: str) -> str:
    return re.sub(r"#\d+>", "#N>", src)  # the per-process counter in the file names


def test_generated_source_matches_the_golden_file():
    got = _normalised(generated_source(load_schema(SMALL)))
    assert got == GOLDEN.read_text(encoding="utf-8"), "regenerate tests/golden/codegen_small.py.txt if intended"


def test_cli_prints_the_generated_source(tmp_path, capsys):
    path = tmp_path / "small.yml"
    path.write_text(SMALL, encoding="utf-8")
    assert main(["schema", "codegen", str(path)]) == 0
    out = capsys.readouterr().out
    assert "<workbench-parser Custom.Small #" in out and "out['at_sign_timestamp'] = r" in out


def test_tracebacks_show_the_generated_lines():
    dec = _object_decoder((Field("u", "string", indicators=("username",)),), label="Custom.Trace")
    with pytest.raises(TypeError) as info:
        dec({"u": "alice"}, None)  # the indicator list is missing: the generated line that adds to it fails
    text = "".join(traceback.format_exception(info.value))
    assert "<workbench-parser Custom.Trace #" in text
    assert "if h: ind += h" in text  # the source line itself, read back through linecache


# --- the fast paths against the reference decoders ---------------------------------------------------------

_TEXTS = st.sampled_from([
    "", " ", "7", " 7", "7 ", "+7", "-7", "1.0", "1e3", "1.5", " 1.5", "0x10", "1_000", "٣", "inf", "NaN",
    "true", "false", "True", "T", "f", "yes", "2147483648", "-2147483649", "32768", "9223372036854775808",
    "2024-05-01T12:00:00Z", "2024-05-01t12:00:00z", "2024-05-01T12:00:00.123456789123Z", "0001-01-01T00:00:00Z",
    "2024-02-30T00:00:00Z", "1714564800", "1714564800.5", "1.7145648e9", "1714564800000", "a@b.c", "10.0.0.1",
])
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False), _TEXTS, st.text(max_size=6),
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2)),
                       max_leaves=6)
_LEAVES = st.sampled_from([
    Field("v", "string"), Field("v", "string", indicators=("ip", "email")), Field("v", "int"),
    Field("v", "smallint"), Field("v", "bigint"), Field("v", "float"), Field("v", "boolean"),
    Field("v", "timestamp", time_formats=("rfc3339",)), Field("v", "timestamp", time_formats=("unix",)),
    Field("v", "timestamp", time_formats=("unix_ms",)), Field("v", "json"),
    Field("v", "array", element=Field("", "int")), Field("v", "array", element=Field("", "string")),
    Field("v", "object", fields=(Field("a", "int"), Field("b", "string"))),
])


def _reference(fields: tuple[Field, ...], obj: dict, path: str = "") -> dict:
    """An object decoded field by field with the reference decoders (no generated code below this level)."""
    out = {}
    for f in fields:
        where = f"{path}.{f.name}" if path else f.name
        x = obj.get(f.name, _MISSING) if f.type == "json" else obj.get(f.name)
        if f.type == "json":
            if x is not _MISSING:
                out[column_name(f.name)] = x
            continue
        if x is None:
            if f.required:
                raise _Bad(None, "required field is missing or null", where)
            continue
        if f.type == "object" and f.fields and type(x) is dict:
            out[column_name(f.name)] = _reference(f.fields, x, where)
            continue
        try:
            r = compile_value(f)(x, [])
        except _Bad as e:
            raise e.under(where) from None
        if r is not None:
            out[column_name(f.name)] = r
    return out


def _outcome(fn):
    try:
        return ("ok", fn())
    except NeedsLiteral:
        return ("needs the number's text", None)
    except _Bad as e:
        return ("error", (e.path, e.reason))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(leaf=_LEAVES, value=_VALUES, depth=st.integers(min_value=0, max_value=INLINE_DEPTH + 2))
def test_generated_fast_paths_agree_with_the_reference_decoders(leaf, value, depth):
    fields: tuple[Field, ...] = (leaf,)
    obj: dict = {"v": value}
    for i in range(depth):  # the leaf inside `depth` nested objects
        fields = (Field(f"n{i}", "object", fields=fields),)
        obj = {f"n{i}": obj}
    generated = _object_decoder(fields)
    got = _outcome(lambda: generated(obj, []))
    want = _outcome(lambda: _reference(fields, obj))
    if got[0] == "error" and want[0] == "error":
        # the generated code reports the full path itself (_BadHere) or through `under`; both name the field
        assert got[1] == want[1]
    else:
        assert got == want


def test_int_and_float_text_agree_on_padding():
    # the disagreement issue 14 named: the int decoder accepted " 7" while the float decoder rejected " 1.5"
    for f, text in ((Field("v", "int"), " 7"), (Field("v", "float"), " 1.5")):
        with pytest.raises(_Bad):
            compile_value(f)(text, [])
        with pytest.raises(_Bad):
            _object_decoder((f,))({"v": text}, [])


def test_bad_here_is_a_bad():
    assert issubclass(_BadHere, _Bad)
