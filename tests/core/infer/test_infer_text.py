"""Text-log inference on a corpus of real-world layouts (tests/data/text), checked against ground truth that
does not come from the inference: a hand-written regex per layout says where the time and the message are,
and Python's own strptime reads the time. The inferred schema is then run through the project's parser.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from workbench.infer import infer_schema
from workbench.model import Record
from workbench.parse import compile_parser
from workbench.schema import dump_schema, validate_schema_text
from workbench.schema.timedetect import parser_year

CORPUS = Path(__file__).parents[2] / "data" / "text"
S, T = "string", "timestamp"

# file: (truth regex with groups t and msg, Python strptime format or "epoch", parser kind, layout,
#        expected fields in order {name: type}, time formats, indicators {field: tuple}, regular)
SPECS = {
    "sshd_rfc3164.log": (r"(?P<t>\w{3} [ \d]\d \d\d:\d\d:\d\d) \S+ [^:]+?: (?P<msg>.*)", "%b %d %H:%M:%S", "regex",
                         "detected:syslog_3164", {"timestamp": T, "hostname": S, "tag": S, "procid": S, "message": S},
                         ("%b %e %H:%M:%S",), {}, True),
    "syslog_rfc5424.log": (r"<\d+>1 (?P<t>\S+) \S+ \S+ \S+ \S+ (?:-|\[[^\]]*\]) (?P<msg>.*)", "%Y-%m-%dT%H:%M:%S.%f%z",
                           "regex", "detected:syslog_5424",
                           {"priority": "bigint", "version": S, "timestamp": T, "hostname": S, "appname": S, "procid": S,
                            "msgid": S, "structured_data": S, "message": S}, ("rfc3339",), {"hostname": ("hostname",)}, True),
    # the layout of the shipped Apache.AccessCombined schema (its regex and field names), as `detect` suggests
    "nginx_access.log": (r'\S+ \S+ \S+ \[(?P<t>[^\]]+)\] ', "%d/%b/%Y:%H:%M:%S %z", "regex", "detected:apache_combined",
                         {"remote_host_ip_address": S, "request_user": S, "request_time": T, "request_method": S,
                          "request_uri": S, "request_protocol": S, "response_status": "bigint", "response_size": "bigint",
                          "referer": S, "user_agent": S},
                         ("%d/%b/%Y:%H:%M:%S %z",), {"remote_host_ip_address": ("ip",), "referer": ("url",)}, True),
    "apache_error.log": (r"\[(?P<t>[^\]]+)\] \[\w+\] (?:\[client [^\]]+\] )?(?P<msg>.*)", "%a %b %d %H:%M:%S %Y", "regex",
                         "inferred-header", {"timestamp": T, "level": S, "client": S, "message": S},
                         ("%a %b %d %H:%M:%S %Y",), {"client": ("ip",)}, True),
    "apache24_error.log": (r"\[(?P<t>[^\]]+)\] \[[^\]]+\] \[pid [^\]]+\] (?:\[client [^\]]+\] )?(?P<msg>.*)",
                           "%a %b %d %H:%M:%S.%f %Y", "regex", "inferred-header",
                           {"timestamp": T, "module": S, "level": S, "pid": S, "tid": S, "client": S, "message": S},
                           ("%a %b %d %H:%M:%S.%f %Y",), {}, True),
    "log4j_java.log": (r"(?P<t>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) +\w+ +\[[^\]]+\] [\w.$]+: (?P<msg>.*)",
                       "%Y-%m-%d %H:%M:%S,%f", "regex", "inferred-header",
                       {"timestamp": T, "level": S, "thread": S, "component": S, "message": S},
                       ("%Y-%m-%d %H:%M:%S,%f",), {}, False),
    "android_logcat.log": (r"(?P<t>\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) +\d+ +\d+ [VDIWE] [^:]+: (?P<msg>.*)",
                           "%m-%d %H:%M:%S.%f", "regex", "inferred-header",
                           {"timestamp": T, "pid": S, "tid": S, "level": S, "process": S, "message": S},
                           ("%m-%d %H:%M:%S.%f",), {}, False),
    "hdfs.log": (r"(?P<t>\d{6} \d{6}) \d+ \w+ [\w.$]+: (?P<msg>.*)", "%y%m%d %H%M%S", "regex", "inferred-header",
                 {"timestamp": T, "pid": S, "level": S, "component": S, "message": S}, ("%y%m%d %H%M%S",), {}, True),
    "zookeeper.log": (r"(?P<t>\S+ \S+) - \w+ +\[.*?\] - (?P<msg>.*)", "%Y-%m-%d %H:%M:%S,%f", "regex", "inferred-header",
                      {"timestamp": T, "level": S, "thread": S, "message": S}, ("%Y-%m-%d %H:%M:%S,%f",), {}, True),
    "proxifier.log": (r"\[(?P<t>[^\]]+)\] \S+ - (?P<msg>.*)", "%m.%d %H:%M:%S", "fastmatch", "inferred-header",
                      {"timestamp": T, "process": S, "message": S}, ("%m.%d %H:%M:%S",), {}, True),
    "pipe_app.log": (r"(?P<t>[^|]+?) \| \w+ \| [\w-]+ \| \w+ \| (?P<msg>.*)", "%Y-%m-%d %H:%M:%S.%f", "fastmatch",
                     "inferred-header", {"timestamp": T, "level": S, "component": S, "request_id": S, "message": S},
                     ("%Y-%m-%d %H:%M:%S.%f",), {}, True),
    "windows_cbs.log": (r"(?P<t>[^,]+), \w+ +\w+ +(?P<msg>.*)", "%Y-%m-%d %H:%M:%S", "regex", "inferred-header",
                        {"timestamp": T, "level": S, "component": S, "message": S}, ("%Y-%m-%d %H:%M:%S",), {}, True),
    "spark.log": (r"(?P<t>\S+ \S+) \w+ [\w.$]+: (?P<msg>.*)", "%y/%m/%d %H:%M:%S", "regex", "inferred-header",
                  {"timestamp": T, "level": S, "component": S, "message": S}, ("%y/%m/%d %H:%M:%S",), {}, True),
    "openstack.log": (r"\S+ (?P<t>\S+ \S+) \d+ \w+ \S+ \[[^\]]*\] (?P<msg>.*)", "%Y-%m-%d %H:%M:%S.%f", "regex",
                      "inferred-header", {"timestamp": T, "pid": S, "level": S, "component": S, "request_id": S,
                                          "request_context": S, "message": S}, ("%Y-%m-%d %H:%M:%S.%f",), {}, True),
    "hadoop.log": (r"(?P<t>\S+ \S+) \w+ \[[^\]]*\] [\w.$]+: (?P<msg>.*)", "%Y-%m-%d %H:%M:%S,%f", "regex",
                   "inferred-header", {"timestamp": T, "level": S, "thread": S, "component": S, "message": S},
                   ("%Y-%m-%d %H:%M:%S,%f",), {}, True),
    "healthapp.log": (r"(?P<t>[^|]+)\|[^|]+\|\d+\|(?P<msg>.*)", "%Y%m%d-%H:%M:%S:%f", "fastmatch", "inferred-header",
                      {"timestamp": T, "process": S, "pid": S, "message": S}, ("%Y%m%d-%H:%M:%S:%f",), {}, True),
    "squid_access.log": (r"(?P<t>\d+\.\d+) +\d+ \S+ (?P<msg>.*)", "epoch", "regex", "inferred-header",
                         {"timestamp": T, "number": S, "ip": S, "message": S}, ("unix",), {"ip": ("ip",)}, True),
    "tab_service.log": (r"(?P<t>\S+)\t\w+\t\S+\t(?P<msg>.*)", "%Y-%m-%dT%H:%M:%SZ", "fastmatch", "inferred-header",
                        {"timestamp": T, "level": S, "component": S, "message": S}, ("rfc3339",), {}, True),
    "python_logging.log": (r"(?P<t>\S+ \S+) - \S+ - \w+ - (?P<msg>.*)", "%Y-%m-%d %H:%M:%S,%f", "fastmatch",
                           "inferred-header", {"timestamp": T, "component": S, "level": S, "message": S},
                           ("%Y-%m-%d %H:%M:%S,%f",), {}, True),
    "windows_service.log": (r"(?P<t>\S+ \S+ [AP]M) \[\d+\] \w+ \w+: (?P<msg>.*)", "%m/%d/%y %I:%M:%S %p", "fastmatch",
                            "inferred-header", {"timestamp": T, "pid": S, "level": S, "process": S, "message": S},
                            ("%m/%d/%y %I:%M:%S %p",), {}, True),
}


def _records(name: str) -> list[Record]:
    text = (CORPUS / name).read_text()
    return [Record("corpus", name, i, line) for i, line in enumerate(text.splitlines(), 1)]


def _expected_time(text: str, pyfmt: str, year: int | None) -> str:
    """Panther's stored text for a time, read by Python (not by the code under test)."""
    if pyfmt == "epoch":
        us = int(Decimal(text) * 1_000_000)
        dt = datetime.fromtimestamp(us // 1_000_000, UTC).replace(microsecond=us % 1_000_000)
    else:
        dt = datetime.strptime(text, pyfmt)
        if dt.tzinfo is not None:
            dt = dt.astimezone(UTC).replace(tzinfo=None)
        if year is not None and "%Y" not in pyfmt and "%y" not in pyfmt:
            dt = dt.replace(year=year)
    return f"{dt:%Y-%m-%d %H:%M:%S}.{dt.microsecond * 1000:09d}"


def test_corpus_has_at_least_15_layouts():
    assert len(SPECS) >= 15 and {p.name for p in CORPUS.glob("*.log")} == set(SPECS)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_corpus_layout(name):
    truth, pyfmt, kind, layout, fields, formats, indicators, regular = SPECS[name]
    recs = _records(name)
    res = infer_schema(recs, name="Custom.Corpus")
    schema = res.schema
    assert validate_schema_text(dump_schema(schema)) == []
    assert (res.format, res.layout) == (kind, layout), res.notes
    assert {f.name: f.type for f in schema.fields} == fields
    assert [f.name for f in schema.fields] == list(fields)  # the layout's order
    ts = next(f for f in schema.fields if f.is_event_time)
    assert ts.name == ("request_time" if layout == "detected:apache_combined" else "timestamp")
    assert ts.time_formats == formats
    assert {f.name: f.indicators for f in schema.fields if f.indicators} == indicators
    year = parser_year(formats[0])  # the year the parser under test records
    # Panther's parsing (the project's parser) of every line against the ground truth
    parser = compile_parser(schema)
    rx = re.compile(truth)
    exact = 0
    for r in recs:
        m = rx.match(r.text)
        out = parser.parse(r)
        if m is None or not isinstance(out, dict):
            continue
        if "msg" in m.groupdict() and out.get("message") != m.group("msg"):
            continue
        if out["p_event_time"] != _expected_time(m.group("t"), pyfmt, year):
            continue
        exact += 1
    share = exact / len(recs)
    assert share == 1.0 if regular else share >= 0.95, (exact, len(recs))
    if not regular:
        assert res.off_layout and res.off_layout["lines"] == len(recs) - exact
        assert any("do not fit the layout" in n for n in res.notes)


def test_yearless_times_say_which_year_panther_records():
    res = infer_schema(_records("proxifier.log"), name="Custom.Proxy")
    # Panther's strftime reader (timefmt-go) starts from 1900-01-01 for what the format does not give
    assert "Panther records year 1900" in res.explanations["timestamp"]
    assert any("has no year: Panther records year 1900" in w for w in res.warnings)


def test_continuation_lines_are_reported_not_collapsing_the_schema():
    res = infer_schema(_records("log4j_java.log"))
    assert len(res.schema.fields) == 5 and res.off_layout["continuation"] >= 2
    assert res.off_layout["examples"][0].startswith("java.sql.SQLTransientConnectionException")


# --- property: a generated header layout is recovered exactly -----------------------------------------------

_TIME_LAYOUTS = ["%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M:%S", "%d/%b/%Y:%H:%M:%S", "%b %d %H:%M:%S", "%y%m%d %H%M%S",
                 "%Y%m%d-%H:%M:%S", "%a %b %d %H:%M:%S %Y", "%Y-%m-%dT%H:%M:%S"]
_WORDS = ["connection", "accepted", "from", "user", "session", "closed", "timeout", "retry", "reset", "ok", "failed",
          "request", "42", "/var/log", "x=1", "[retry]", "port", "a:b", "-", "|"]
_LEVEL_WORDS = ["INFO", "WARN", "ERROR", "DEBUG"]


@st.composite
def _layouts(draw):
    fmt = draw(st.sampled_from(_TIME_LAYOUTS))
    bracket_time = draw(st.booleans()) and "%a" in fmt
    kinds = draw(st.lists(st.sampled_from(["level", "pid", "thread"]), unique=True, max_size=3))
    tag = draw(st.sampled_from(["none", "component", "host+process"]))
    sep = draw(st.sampled_from([" ", " | ", "\t", "pad"]))
    if sep != " " and tag != "none":
        tag = "none"  # a tag ends in ':' and is read with single spaces
    if tag == "host+process":
        kinds = [k for k in kinds if k != "pid"]  # the process carries the pid
    seed = draw(st.integers(0, 10_000))
    return fmt, bracket_time, kinds, tag, sep, seed


def _render(layout) -> tuple[list[str], list[tuple[str, str]], set[str]]:
    import random

    fmt, bracket_time, kinds, tag, sep, seed = layout
    rng = random.Random(seed)
    lines, truth = [], []
    names = {"timestamp", "message", *kinds}
    if tag == "component":
        names.add("component")
    elif tag == "host+process":
        names |= {"host", "process", "pid"}
        if fmt in ("%b %d %H:%M:%S", "%Y-%m-%dT%H:%M:%S") and not kinds and not bracket_time:
            names = {"timestamp", "hostname", "tag", "procid", "message"}  # RFC 3164: detection's layout, as is
    for _ in range(40):
        dt = datetime(2021, 1, 1) + (datetime(2025, 6, 1) - datetime(2021, 1, 1)) * rng.random()
        dt = dt.replace(microsecond=0)
        if dt.month == 2 and dt.day == 29:
            dt = dt.replace(day=28)  # a yearless Feb 29 has no valid year to be recorded in
        t = dt.strftime(fmt)
        parts = [f"[{t}]" if bracket_time else t]
        for k in kinds:
            if k == "level":
                lv = rng.choice(_LEVEL_WORDS)
                parts.append(lv.ljust(5) if sep == "pad" else lv)
            elif k == "pid":
                parts.append(str(rng.randint(1, 99999)))
            else:
                parts.append(f"[{rng.choice(['main', 'worker-1', 'pool-2-thread-7', 'http-nio-8080-exec-3'])}]")
        if tag == "component":
            parts.append(rng.choice(["com.acme.Foo", "org.example.db.Pool", "app.api.Views"]) + ":")
        elif tag == "host+process":
            parts.append(rng.choice(["web-01", "db-2.internal", "10.0.0.7"]))
            parts.append(f"{rng.choice(['sshd', 'cron', 'nginx'])}[{rng.randint(2, 65000)}]:")
        msg = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(1, 8)))
        msg = rng.choice(["starting", "stopping", "received", "sent"]) + " " + msg
        if sep == "pad":
            line = "".join(p + " " * rng.randint(1, 3) if i == 0 else p + "  " for i, p in enumerate(parts)) + msg
        else:
            line = sep.join(parts) + sep + msg
        lines.append(line)
        truth.append((dt.strftime("%Y-%m-%d %H:%M:%S.000000000"), msg))
    return lines, truth, names


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_layouts())
# a bracketed thread where RFC 3164 has its host: not syslog (hypothesis found it read as syslog)
@example(("%b %d %H:%M:%S", False, ["thread"], "component", " ", 0))
def test_generated_header_layouts_are_recovered_exactly(layout):
    lines, truth, names = _render(layout)
    recs = [Record("b", "gen.log", i, t) for i, t in enumerate(lines, 1)]
    res = infer_schema(recs, name="Custom.Gen")
    assert {f.name for f in res.schema.fields} == names, (lines[:2], res.schema.parser)
    year = parser_year(res.schema.fields[0].time_formats[0])
    parser = compile_parser(res.schema)
    for r, (when, msg) in zip(recs, truth, strict=True):
        out = parser.parse(r)
        assert isinstance(out, dict), (r.text, out, res.schema.parser)
        expect = when if year is None else f"{year}{when[4:]}"
        assert (out["message"], out["p_event_time"]) == (msg, expect), (r.text, res.schema.parser)


# --- the warnings reach the user: infer, schema validate, parse ------------------------------------------------

def test_cli_warns_loudly_about_event_time(tmp_path, capsys):
    import json

    from workbench.cli import main

    log = tmp_path / "app.log"
    log.write_text((CORPUS / "proxifier.log").read_text())
    out = tmp_path / "s.yml"
    assert main(["infer", str(log), "--name", "Custom.Proxy", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "WARNING: event time 'timestamp' uses '%m.%d %H:%M:%S', which has no year" in err
    assert main(["schema", "validate", str(out), "--json"]) == 0
    entry = json.loads(capsys.readouterr().out)[0]
    assert entry["ok"] and any("has no year" in w for w in entry["warnings"])
    # a schema without event time: valid, but warned about by validate and by parse
    plain = tmp_path / "plain.yml"
    plain.write_text("schema: Acme.Plain\nparser:\n  regex:\n    match: ['(?P<message>.*)']\n"
                     "fields:\n  - name: message\n    type: string\n")
    assert main(["schema", "validate", str(plain)]) == 0
    said = capsys.readouterr().out
    assert "warning: no event time" in said and "does not start with 'Custom.'" in said
    assert main(["parse", "--schema", str(plain), str(log)]) == 0
    assert "WARNING: Acme.Plain: no event time" in capsys.readouterr().err


def test_detected_layouts_name_managed_schemas_the_tool_ships():
    from workbench.schema import load_schema
    from workbench.source.formats import FORMATS

    shipped = Path(__file__).parents[3] / "schemas"
    for _name, managed, _parser, _conf in FORMATS.values():
        if managed:
            assert load_schema(shipped / f"{managed}.yml").name == managed
    res = infer_schema(_records("sshd_rfc3164.log"))
    assert res.managed_schema == "Syslog.RFC3164" and "Syslog.RFC3164" in res.notes[0]


def test_vpc_flow_header_csv_is_detected_with_its_managed_schema():
    path = Path(__file__).parents[2] / "data" / "managed" / "AWS.VPCFlow.default.log"
    lines = path.read_text().splitlines()
    res = infer_schema([Record("b", "vpc/flow.log", i, t) for i, t in enumerate(lines, 1)])
    assert (res.format, res.layout, res.managed_schema) == ("csv", "detected:vpc_flow", "AWS.VPCFlow")
    assert res.schema.parser["csv"]["delimiter"] == " "
    f = {x.name: x for x in res.schema.fields}
    assert f["srcaddr"].indicators == ("ip",) and f["account-id"].indicators == ("aws_account_id",)
    assert "4/5 values are 12-digit AWS account ids; others: 'unknown'" in res.explanations["account-id"]
    assert f["start"].type == "timestamp" and f["start"].is_event_time


def _managed_file(name: str) -> list[Record]:
    path = Path(__file__).parents[2] / "data" / "managed" / name
    return [Record("b", name, i, t) for i, t in enumerate(path.read_text().splitlines(), 1)]


def test_headerless_csv_and_zeek_tsv():
    # quoted CSV rows of two widths (Cisco Umbrella's 13- and 10-column versions): the commoner width is the
    # layout, the other row is reported (Go's CSV reader refuses a row narrower than the first), and detection
    # names the managed schema, whose own parser reads both
    recs = _managed_file("CiscoUmbrella.DNS.log")
    res = infer_schema(recs)
    assert (res.format, res.layout, res.managed_schema) == ("csv", "csv-columns", "CiscoUmbrella.DNS")
    f = {x.name: x for x in res.schema.fields}
    assert f["time"].is_event_time and f["ip"].indicators == ("ip",)
    assert res.off_layout["lines"] == 1
    parser = compile_parser(res.schema)
    assert sum(isinstance(parser.parse(r), dict) for r in recs) == len(recs) - 1
    # Zeek's TSV: the '#' header block is skipped, the '#fields' line names the columns
    res = infer_schema(_managed_file("Zeek.DNS.tsv.log"))
    opts = res.schema.parser["csv"]
    assert opts["skipPrefix"] == "#" and opts["columns"][:3] == ["ts", "uid", "id.orig_h"]
    f = {x.name: x for x in res.schema.fields}
    assert f["ts"].time_formats == ("unix",) and f["ts"].is_event_time and f["id.orig_h"].indicators == ("ip",)


def test_nil_dashes_are_empty_values_and_dates_are_not_event_times():
    res = infer_schema(_managed_file("Syslog.RFC5424.log"))
    assert res.schema.parser["regex"]["emptyValues"] == ["-"]
    assert [x.name for x in res.schema.fields if x.is_event_time] == ["timestamp"]
    res = infer_schema(_managed_file("AWS.SecurityFindingFormat.log"))
    assert [x.name for x in res.schema.fields if x.is_event_time] == ["CreatedAt"]  # not SchemaVersion (a date)
