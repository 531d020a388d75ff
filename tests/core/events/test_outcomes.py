"""The object accounting every command reports (events/outcomes.py) and the source mapping checks
(events/config_check.py), as units: decode flags → one summary, event-time sanity, typos and overlaps."""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime

from workbench.config import parse_config
from workbench.events.config_check import check_mapping, unmapped_prefixes
from workbench.events.outcomes import ObjectOutcomes, event_time_warning
from workbench.model import ObjectRef
from workbench.source.decode import decode_object, looks_binary

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


def _ndjson(n: int) -> bytes:
    return b"".join(json.dumps({"i": i, "msg": "x" * 40}).encode() + b"\n" for i in range(n))


def test_decode_outcomes_become_one_summary_and_strict_problems():
    out = ObjectOutcomes()
    full = gzip.compress(_ndjson(55))
    for key, data in {"a/cut.json.gz": full[: len(full) // 3], "a/empty.json.gz": b"",
                      "a/blob.bin": random.Random(1).randbytes(5000), "a/good.json.gz": gzip.compress(_ndjson(5)),
                      "a/latin1.log": "café\n".encode("latin-1") * 3}.items():
        out.add_decoded(key, decode_object(data, ObjectRef("b", key, len(data))))
    assert out.objects == 5
    assert out.summary() == ("1 object incomplete (gzip stream ends early), 1 empty, 1 binary (not read), "
                             "invalid UTF-8 repaired in 1 object")
    assert out.problem_count() == 4
    assert out.incomplete["a/cut.json.gz"].startswith("gzip stream ends early: ")
    assert out.incomplete["a/cut.json.gz"].endswith(" kept, the rest lost")
    # a plain value: a replay task sends it back from a worker and the totals merge it
    again = ObjectOutcomes.from_json(json.loads(json.dumps(out.to_json())))
    assert again.summary() == out.summary() and again.problem_count() == 4
    total = ObjectOutcomes()
    total.merge(again)
    total.merge(ObjectOutcomes.from_json(out.compact()))
    assert total.problem_count() == 4  # the same objects twice are still 4 objects not read whole


def test_binary_content_is_not_split_into_lines():
    assert looks_binary(random.Random(2).randbytes(4096))
    assert not looks_binary(b"2024-05-01 INFO a line with a stray \x00 byte and an \x1b[1m escape\n" * 20)
    assert not looks_binary("héllo wörld\n".encode("latin-1") * 50)  # broken UTF-8 is text, repaired later
    d = decode_object(gzip.compress(random.Random(3).randbytes(2000)), ObjectRef("b", "k.gz", -1))
    assert d.records == [] and d.stream == "binary" and "binary" in d.flags and not d.error


def test_event_time_sanity():
    def ev(t: str, parse: str = "2026-06-01 12:00:00.000000000") -> dict:
        return {"p_event_time": t, "p_parse_time": parse}

    ok = [ev("2026-06-01 11:00:00.000000000")] * 3
    assert event_time_warning(ok, NOW) is None
    assert event_time_warning([ev("2026-06-01 12:00:00.000000000")] * 2, NOW).startswith("every event time is the parse")
    assert event_time_warning([*ok, ev("2027-01-01 00:00:00.000000000")], NOW) == "1 event of 4 in the future"
    assert event_time_warning([ev("1970-01-01 00:00:20.000000000"), *ok], NOW) == "1 event of 4 more than ten years old"
    out = ObjectOutcomes()
    out.check_times_by_object([{**e, "p_source_file": {"aws_s3_key": "k"}} for e in [ev("2030-01-01 00:00:00.0")]],
                              NOW)
    assert out.times == {"k": "1 event of 1 in the future"} and out.problem_count() == 0


def test_mapping_checks_find_typos_overlaps_and_unmapped_folders():
    cfg = parse_config("sources:\n  s:\n    bucket: b\n    prefixes:\n      AWSLogs/: AWS.CloudTrial\n"
                       "      app/: Custom.App\n      app/x/: Custom.App\n      z/: Custom.Nothing\n")
    src = cfg.source("s")
    found = check_mapping(cfg, src, available={"AWS.CloudTrail", "Custom.App"})
    lines = [p.line() for p in found]
    assert "prefix 'AWSLogs/' is mapped to AWS.CloudTrial, which has no schema; did you mean AWS.CloudTrail?" in lines
    assert any(p.kind == "no_schema" and p.prefix == "z/" and "workbench infer --prefix z/" in p.suggestion
               for p in found)
    assert [p.prefix for p in found if p.kind == "overlap"] == ["app/x/"]
    assert unmapped_prefixes(src, ["app/1", "misc/a", "misc/b", "root.log"]) == {"misc/": 2, "root.log": 1}


def test_mapping_checks_report_a_missing_schema_directory_instead_of_raising(tmp_path):
    from dataclasses import replace

    from workbench.events.config_check import mapping_checks

    cfg = parse_config("sources:\n  s:\n    bucket: b\n    prefixes:\n      app/: Custom.App\n")
    cfg = replace(cfg, schema_dirs=(tmp_path / "gone",))
    results = mapping_checks(cfg, cfg.source("s"))
    assert results[0].ok is False and "schemas not loaded" in results[0].detail and "gone" in results[0].detail
