"""Sampling and detection against the embedded demo (real moto server): what a user sees from the CLI."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from workbench.cli import main
from workbench.cli.sample import _file_for
from workbench.errors import WorkbenchError
from workbench.source.formats import detect_groups
from workbench.source.partitions import folder_span, key_pattern
from workbench.source.s3 import ListStats, fetch_objects, list_objects
from workbench.source.sampling import iter_object_records, sample

pytestmark = pytest.mark.demo


@pytest.fixture(scope="module")
def demo_sample(demo):
    return sample(demo.aws, demo.source, limit=200, seed=0)


def test_each_demo_prefix_is_detected_as_its_real_format_with_a_reason(demo, demo_sample):
    found = {d.pattern: d for d in detect_groups(demo_sample, source=demo.source)}
    by_top = {p.split("/")[0] + ("/" + p.split("/")[1] if p.startswith("Panoptica/") else ""): d for p, d in found.items()}
    assert by_top["AWSLogs"].format == "CloudTrail" and by_top["AWSLogs"].managed_schema == "AWS.CloudTrail"
    assert by_top["AWSLogs"].envelope == "Records"
    assert by_top["s3-access"].format == "S3 server access log"
    assert by_top["s3-access"].managed_schema == "AWS.S3ServerAccess"
    assert by_top["app"].format == "CSV" and by_top["app"].parser_config["csv"]["hasHeader"] is True
    for etype in ("auth", "file_access", "policy_change"):
        d = by_top[f"Panoptica/{etype}"]
        assert d.format == "JSON lines" and d.parser == "JSON"
        assert "JSON objects" in d.reason
    assert all(d.reason and 0.5 <= d.confidence <= 1 for d in found.values())
    assert by_top["AWSLogs"].log_types == ("AWS.CloudTrail",)


def test_records_keep_provenance_and_are_dated_by_key(demo_sample):
    assert len(demo_sample.records) > 1000 and not demo_sample.failures
    for r in demo_sample.records[:: max(1, len(demo_sample.records) // 200)]:
        assert r.bucket == "wb-demo-logs" and r.key and r.line >= 1 and r.time is not None
        span = folder_span(r.key.split("/")[:-1])
        assert span is not None and span[0] <= r.time < span[1]


def test_kms_prefix_samples_through_the_assumed_role(demo):
    assert demo.source.role_arn
    result = sample(demo.aws, demo.source, prefix="AWSLogs/", limit=6)
    assert len(result.objects) == 6 and not result.failures
    assert all(json.loads(r.text)["eventVersion"] for r in result.records)
    head = demo.s3.head_object(Bucket=demo.source.bucket, Key=result.objects[0].key)
    assert head["ServerSideEncryption"] == "aws:kms"
    creds = demo.aws.session.get_credentials().get_frozen_credentials()
    assert creds.access_key.startswith("ASIA")  # temporary credentials from sts:AssumeRole


def test_hostile_objects_are_flagged_not_fatal(demo):
    result = sample(demo.aws, demo.source, prefix="Panoptica/auth/", limit=1000)
    flagged = {s.ref.key.rsplit("/", 1)[1]: s for s in result.flagged()}
    assert "compression_mismatch" in flagged["hostile-zstd-behind-gz.json.gz"].flags
    assert flagged["hostile-zstd-behind-gz.json.gz"].records == 20
    assert "invalid_utf8" in flagged["hostile-invalid-utf8.json.gz"].flags
    assert "empty" in flagged["hostile-empty.json.gz"].flags
    assert "long_line" in flagged["hostile-long-line.json.gz"].flags
    assert not result.failures
    from workbench.demo.data import ANSI_PAYLOAD, MARKUP_PAYLOAD

    markup = [json.loads(r.text) for r in result.records if r.key.endswith("hostile-markup-ansi.json.gz")]
    assert markup[0]["failure_reason"] == MARKUP_PAYLOAD  # kept verbatim as data; views clean it for display
    assert markup[0]["client"]["user_agent"] == ANSI_PAYLOAD


def test_a_time_window_lists_only_the_partitions_it_needs(demo):
    now = datetime.now(UTC)
    since = now - timedelta(days=3)
    walk, flat = ListStats(), ListStats()
    windowed = list(list_objects(demo.aws, demo.source, since=since, stats=walk, probe_pages=0))
    everything = list(list_objects(demo.aws, demo.source, stats=flat))
    assert windowed and len(windowed) < len(everything)
    assert walk.pruned_prefixes > 0 and walk.keys_seen < len(everything)
    for prefix in walk.prefixes:
        span = folder_span(prefix.rstrip("/").split("/")) if prefix else None
        assert span is None or span[1] > since, f"listed a partition outside the window: {prefix}"
    expected = {r.key for r in everything if r.key.split("/")[0] in ("Panoptica", "AWSLogs", "s3-access", "app")}
    from workbench.source.partitions import in_window

    assert {r.key for r in windowed} == {k for k in expected if in_window(k, None, since, None)}
    # the default (probe) strategy gets the same objects; the demo bucket is small enough for one page
    probe = ListStats()
    assert {r.key for r in list_objects(demo.aws, demo.source, since=since, stats=probe)} >= {r.key for r in windowed}


def test_fetch_reports_progress_and_failures_and_honours_cancel(demo):
    refs = list(list_objects(demo.aws, demo.source, prefix="app/"))[:10]
    from workbench.model import ObjectRef

    missing = ObjectRef(demo.source.bucket, "app/payments/dt=2020-01-01/nope.csv.gz", size=10)
    seen = []
    got = list(iter_object_records(demo.aws, [*refs, missing], progress=lambda d, t: seen.append((d, t))))
    assert len(got) == 11 and seen[-1] == (11, 11)
    failures = [g for _, g in got if not isinstance(g, list)]
    assert len(failures) == 1 and "no longer exists" in failures[0].message
    cancel = threading.Event()
    cancel.set()
    assert list(fetch_objects(demo.aws, refs, cancel=cancel)) == []


def test_ranged_get_reads_the_head_of_a_large_object(demo):
    refs = [r for r in list_objects(demo.aws, demo.source, prefix="s3-access/") if r.size > 4096][:1]
    [(ref, data)] = list(fetch_objects(demo.aws, refs, max_bytes=4096))
    assert len(data) == 4096 and ref.size == refs[0].size
    from workbench.source.decode import decode_object

    d = decode_object(data, ref)
    assert "object_truncated" in d.flags and d.records and all(r.text.count("[") >= 1 for r in d.records)


def test_missing_bucket_is_one_plain_sentence(demo):
    from dataclasses import replace

    from workbench.aws import AwsSession

    src = replace(demo.source, bucket="no-such-bucket-wb")
    with pytest.raises(WorkbenchError, match="bucket does not exist"):
        sample(AwsSession(src), src, limit=1)


def test_cli_sample_writes_ndjson_with_provenance(demo, capsys):
    rc = main(["sample", "--config", str(demo.config_path), "--source", "demo", "--limit", "12", "--seed", "3",
               "--out", "-"])
    out, err = capsys.readouterr()
    assert rc == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) >= 12 and all({"bucket", "key", "line", "time", "text"} <= set(r) for r in rows)
    assert "sampled 12 of" in err and "list call" in err
    assert rows == [json.loads(line) for line in _rerun(demo, capsys)]  # same seed, same sample
    # the lines are serialised on the fetch threads, but come out in sample order, exactly as the records
    expected = sample(demo.aws, demo.source, limit=12, seed=3).records
    assert out.encode() == b"".join(orjson.dumps(r.to_json()) + b"\n" for r in expected)


def _rerun(demo, capsys):
    main(["sample", "--config", str(demo.config_path), "--source", "demo", "--limit", "12", "--seed", "3", "--out", "-"])
    return capsys.readouterr()[0].splitlines()


def test_cli_sample_out_dir_writes_one_file_per_group(demo, tmp_path, capsys):
    rc = main(["sample", "--config", str(demo.config_path), "--limit", "20", "--out", str(tmp_path)])
    assert rc == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert any(n.startswith("AWSLogs_account_CloudTrail") for n in names) and len(names) >= 4
    # each file holds its group's records in sample order
    files: dict[str, bytes] = {}
    for r in sample(demo.aws, demo.source, limit=20, seed=0).records:
        name = _file_for(key_pattern(r.key))
        files[name] = files.get(name, b"") + orjson.dumps(r.to_json()) + b"\n"
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files


def test_on_object_sees_each_decoded_object_once_on_a_fetch_thread(demo):
    seen: dict[str, tuple[int, str]] = {}

    def hook(ref, records):
        assert ref.key not in seen
        seen[ref.key] = (len(records), threading.current_thread().name)

    got = sample(demo.aws, demo.source, limit=30, seed=5, on_object=hook)
    assert {k: n for k, (n, _) in seen.items()} == {k: s.records for k, s in got.summaries.items()}
    assert all(name.startswith("s3-fetch") for _, name in seen.values())


def test_cli_detect_json(demo, capsys):
    rc = main(["detect", "--config", str(demo.config_path), "--source", "demo", "--json"])
    out, _err = capsys.readouterr()
    assert rc == 0
    doc = json.loads(out)
    formats = {g["format"] for g in doc["groups"]}
    assert {"CloudTrail", "S3 server access log", "CSV", "JSON lines"} <= formats
    for g in doc["groups"]:
        assert {"prefix_pattern", "format", "confidence", "reason", "parser", "managed_schema", "counts"} <= set(g)
        assert g["counts"]["objects"] >= 1


def test_cli_detect_text_and_bad_window(demo, capsys):
    assert main(["detect", "--config", str(demo.config_path), "--prefix", "s3-access/", "--since", "5d"]) == 0
    out, _ = capsys.readouterr()
    assert "S3 server access log" in out and "reason:" in out
    assert main(["sample", "--config", str(demo.config_path), "--since", "1d", "--until", "3d"]) == 2
    assert "--since must be earlier" in capsys.readouterr()[1]


def test_panoptica_types_in_one_folder_split_into_candidate_log_types(demo_sample):
    from dataclasses import replace

    mixed = [replace(r, key="mixed/" + r.key.rsplit("/", 1)[1]) for r in demo_sample.records
             if r.key.startswith("Panoptica/") and "hostile" not in r.key]
    found = detect_groups(mixed)
    assert sorted(d.discriminator["event_type"] for d in found) == ["auth", "file_access", "policy_change"]
    assert all(d.format == "JSON lines" and d.pattern == "mixed/*.json.gz" for d in found)


def test_sample_cancel_returns_what_it_had(demo):
    cancel = threading.Event()

    def progress(done, total):
        if done >= 3:
            cancel.set()

    result = sample(demo.aws, demo.source, limit=150, progress=progress, cancel=cancel, workers=2)
    assert result.cancelled
    assert 3 <= len(result.summaries) < 150


def test_a_bucket_too_large_to_list_is_sampled_from_a_bounded_even_walk(demo):
    from workbench.source.s3 import list_for_sampling, stratified_sample

    stats = ListStats()
    refs, complete = list_for_sampling(demo.aws, demo.source, stats=stats, budget=60, probe_pages=0)
    assert not complete and stats.list_calls <= 60
    tops = {r.key.split("/")[0] for r in refs}
    assert tops == {"AWSLogs", "Panoptica", "app", "s3-access"}
    days = {r.key.split("/")[2] for r in refs if r.key.startswith("Panoptica/auth/")}
    assert len(days) >= 2  # the walk spreads over days instead of taking the first folders
    picked = stratified_sample(refs, limit=8)
    assert {r.key.split("/")[0] for r in picked} == tops


def test_cli_sample_by_bytes(demo, capsys):
    assert main(["sample", "--config", str(demo.config_path), "--bytes", "60KB", "--prefix", "app/", "--out", "-"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() and "sampled" in err
    assert re.search(r"records, \d+\.\d KiB read\)", err)  # a small read in KiB, not "0.0 MiB"
    picked = sample(demo.aws, demo.source, prefix="app/", max_bytes=60_000)
    assert sum(r.size for r in picked.objects) <= 60_000 and picked.objects
