"""The CLI commands that read files a user points them at (`infer`, `parse`, `schema validate|test`, stdin),
fed the hostile corpus in real child processes: documented exit codes, safe output, errors as one sentence;
and edits are never lost: a crash in the middle of saving a schema leaves the previous file whole."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workbench.cli import main

from . import corpus
from .checks import assert_cli_survived, run_cli

REPO = Path(__file__).resolve().parents[2]
FILES = ("hostile-ndjson", "raw-hostile-lines", "invalid-utf8", "utf16-le-bom", "structures", "json-array-deep",
         "cloudwatch-bad", "nul-bytes")
ARCHIVES = ("gzip-truncated-half", "zstd-behind-gz", "parquet-footer-flipped", "empty-object", "gzip-bomb-1g-multimember")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-files")
    bodies = corpus.object_bodies()
    archives = corpus.archive_bodies()
    out = {}
    for name in FILES:
        key, body = bodies[name]
        out[name] = root / f"{name}{Path(key).suffix}"
        out[name].write_bytes(body)
    for name in ARCHIVES:
        key, body = archives[name]
        out[name] = root / Path(key).name
        out[name].write_bytes(body)
    return out


@pytest.mark.parametrize("name", FILES + ARCHIVES[:3])
def test_infer_on_hostile_files(name, files, tally):
    proc = run_cli("infer", str(files[name]))
    tally.inputs("object", entry="cli.infer")
    assert_cli_survived(proc, codes=(0, 2), machine=True)  # stdout is the schema YAML


def test_infer_on_all_of_them_and_stdin(files, tally, tmp_path):
    proc = run_cli("infer", *map(str, files.values()), "--out", str(tmp_path / "s.yml"), "--stats", str(tmp_path / "st.json"))
    tally.inputs("object", len(files), entry="cli.infer")
    assert_cli_survived(proc, codes=(0, 2))
    proc = run_cli("infer", "-", stdin=corpus.raw_hostile_lines() + corpus.invalid_utf8())
    tally.inputs("object", entry="cli.infer")
    assert_cli_survived(proc, codes=(0, 2), machine=True)


def test_parse_every_hostile_file_with_shipped_and_inferred_schemas(files, tally, tmp_path):
    errors = tmp_path / "errors.ndjson"
    for schema in (REPO / "schemas" / "Custom.Panoptica.Auth.yml", REPO / "schemas" / "AWS.S3ServerAccess.yml"):
        readable = [str(p) for n, p in files.items() if n != "parquet-footer-flipped"]
        proc = run_cli("parse", "--schema", str(schema), *readable, "--errors", str(errors))
        tally.inputs("object", len(readable), entry="cli.parse")
        assert_cli_survived(proc, codes=(0, 1), machine=True)
        # NDJSON lines end at "\n" only (str.splitlines would also split at U+2028 inside a JSON string)
        for line in filter(None, proc.stdout.split("\n")):
            json.loads(line)
        for line in filter(None, errors.read_text().split("\n")):
            json.loads(line)
    # an object that cannot be decoded at all ends a local-file run with one sentence (exit 2)
    proc = run_cli("parse", "--schema", str(REPO / "schemas" / "Custom.AppLog.yml"), str(files["parquet-footer-flipped"]))
    assert_cli_survived(proc, codes=(2,))


def test_schema_validate_and_test_on_hostile_yaml(tmp_path, tally):
    for name, text in corpus.schema_texts().items():
        (tmp_path / f"{name}.yml").write_text(text, encoding="utf-8", errors="surrogateescape")
    proc = run_cli("schema", "validate", *sorted(map(str, tmp_path.glob("*.yml"))))
    tally.inputs("schema", len(corpus.schema_texts()), entry="cli.schema.validate")
    assert_cli_survived(proc, codes=(1,))
    (tmp_path / "x_tests.yml").write_text("name: '[/]\x1b]0;t\x07'\nlogType: Custom.Hostile\ninput: 'x'\nresult: 'y'\n")
    proc = run_cli("schema", "test", str(tmp_path))
    tally.inputs("schema", entry="cli.schema.test")
    assert_cli_survived(proc, codes=(1, 2))


def test_unwritable_outputs_are_one_sentence(files, tmp_path):
    proc = run_cli("infer", str(files["hostile-ndjson"]), "--out", str(tmp_path / "missing" / "s.yml"))
    assert_cli_survived(proc, codes=(2,))
    assert "Cannot write" in proc.stderr
    proc = run_cli("parse", "--schema", str(REPO / "schemas" / "Custom.AppLog.yml"), str(files["hostile-ndjson"]),
                   "--errors", str(tmp_path / "missing" / "e.ndjson"))
    assert_cli_survived(proc, codes=(2,))


# ---------------------------------------------------------------------------------------------------------
# nothing lost: a crash mid-save leaves the old file


class Crash(Exception):
    """Stands for the process dying (or the disk filling) half-way through a write."""


def _half_then_crash(monkeypatch, target_module):
    real_write = os.write

    def fsync(fd):
        raise Crash("killed mid-save")

    monkeypatch.setattr(target_module.os, "fsync", fsync)
    return real_write


def test_schema_screen_save_crash_keeps_the_old_file(tmp_path, monkeypatch, tally):
    from workbench import files

    path = tmp_path / "Custom.Hostile.yml"
    path.write_text(corpus.BASE_SCHEMA)
    _half_then_crash(monkeypatch, files)
    with pytest.raises(Crash):
        files.atomic_write(path, corpus.wide_schema(50))
    tally.faults("crash-mid-save")
    assert path.read_text() == corpus.BASE_SCHEMA
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no half-written temp file left either


def test_infer_out_crash_keeps_the_old_schema(files, tmp_path, monkeypatch, tally):
    out = tmp_path / "Custom.Inferred.yml"
    out.write_text(corpus.BASE_SCHEMA)

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)  # the new text is written, then the disk fills before it is safe
    assert main(["infer", str(files["hostile-ndjson"]), "--out", str(out)]) == 2
    tally.faults("crash-mid-save")
    monkeypatch.undo()
    assert out.read_text() == corpus.BASE_SCHEMA
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_schema_test_file_crash_keeps_the_old_tests(tmp_path, monkeypatch, tally):
    from workbench.parse import schema_tests
    from workbench.schema import load_schema

    path = tmp_path / "Custom.Hostile_tests.yml"
    path.write_text("old tests\n")
    schema = load_schema(corpus.BASE_SCHEMA)

    def replace(src, dst):
        raise Crash("killed before the rename")

    monkeypatch.setattr(schema_tests.os, "replace", replace)
    with pytest.raises(Crash):
        schema_tests.write_schema_test(schema, ['{"msg": "[/] \\u001b]0;t\\u0007"}'], path)
    tally.faults("crash-mid-save")
    assert path.read_text() == "old tests\n"


@pytest.mark.demo
def test_sample_detect_infer_parse_on_the_demos_hostile_objects(demo, tally, tmp_path):
    """The demo bucket's own hostile objects (markup/ANSI values, a long line, invalid UTF-8, zstd behind .gz,
    an empty object) through every command that reads a source, human output first."""
    from workbench.source.s3 import list_objects

    hostile = [r.key for r in list_objects(demo.aws, demo.source, prefix="Panoptica/auth/") if "/hostile-" in r.key]
    folder = hostile[0].rsplit("/", 1)[0] + "/"
    src = ("--config", str(demo.config_path), "--prefix", folder)
    for args, codes, machine in ((("detect", *src), (0,), False),
                                 (("sample", *src, "--out", str(tmp_path / "s")), (0, 1), False),
                                 (("parse", *src, "--errors", str(tmp_path / "e.ndjson")), (0, 1), True)):
        proc = run_cli(*args)
        tally.inputs("object", len(hostile), entry=f"cli.{args[0]}")
        assert_cli_survived(proc, codes=codes, machine=machine)
