"""Differential check against Panther's CLI: run edge-case rules through PAT and `workbench rules test`
and compare every per-case line (verdicts, function outputs, error texts) and the summary counts.

PAT comes from the benchmark venv (benchmarks/.venv-pat, see bench_rules_pat.py). Exit 0 when the
outputs agree; otherwise the differing lines are printed.

    python benchmarks/compat_pat.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from bench_rules_pat import REPO, ensure_pat

ANSI = re.compile(r"\x1b\[[0-9;]*m")

# (RuleID, python, tests yaml, extra yaml)
CASES = [
    ("Compat.CaseInsensitive", """
        def rule(event):
            return event["EVENTNAME"] == "x" and event.deep_get("nested", "INNER") == 1 and event["items"][0]["KEY"] == "v"
        """, """
        - Name: mixed case
          ExpectedResult: true
          Log: {"eventName": "x", "Nested": {"inner": 1}, "Items": [{"key": "v"}]}
        - Name: missing key raises
          ExpectedResult: false
          Log: {"nested": {"inner": 1}}
        """, ""),
    ("Compat.Immutable", """
        from panther_core.immutable import ImmutableList

        def rule(event):
            return isinstance(event["tags"], ImmutableList) and event["tags"] == ["a"] and not isinstance(event, dict)

        def alert_context(event):
            return {"tags": event["tags"], "copy": event["tags"].copy(), "set": {1}}
        """, """
        - Name: immutable list
          ExpectedResult: true
          Log: {"tags": ["a"]}
        """, ""),
    ("Compat.Mocks", """
        import json
        from unittest.mock import MagicMock

        ALLOWED = ["a"]

        def lookup(x):
            raise RuntimeError("no AWS here")

        def rule(event):
            allowed = ALLOWED() if isinstance(ALLOWED, MagicMock) else ALLOWED
            return json.loads(lookup(1))["hit"] and event["d"] not in allowed

        def title(event):
            return f"mocked: {lookup(2)}"
        """, """
        - Name: mocked
          ExpectedResult: true
          Mocks:
            - objectName: lookup
              returnValue: '{"hit": true}'
            - objectName: ALLOWED
              returnValue: b
          Log: {"d": "a"}
        - Name: bool mock
          ExpectedResult: false
          Mocks:
            - objectName: lookup
              returnValue: false
          Log: {"d": "a"}
        - Name: missing mock target
          ExpectedResult: true
          Mocks:
            - objectName: nope
              returnValue: x
          Log: {"d": "a"}
        """, ""),
    ("Compat.DataModel", """
        def rule(event):
            return event.udm("source_ip") == "1.2.3.4" and event.udm("actor_user") == "bob"

        def title(event):
            return f"{event.udm('tag')} {event.udm('nothing', default='dflt')} {event.udm('plain')}"
        """, """
        - Name: model from p_log_type
          ExpectedResult: true
          Log: {"p_log_type": "Compat.DM", "client": {"ip": "1.2.3.4"}, "Actor": {"Name": "bob"}, "tags": [{"n": "a"}], "plain": "p"}
        - Name: multiple matches
          ExpectedResult: true
          Log: {"p_log_type": "Compat.DM", "client": {"ip": "1.2.3.4"}, "Actor": {"Name": "bob"}, "tags": [{"n": "a"}, {"n": "b"}]}
        - Name: no p_log_type
          ExpectedResult: false
          Log: {"client": {"ip": "1.2.3.4"}, "actor": {"name": "bob"}}
        """, ""),
    ("Compat.Yaml", """
        def rule(event):
            return event["a"] == "off" and event["b"] == "yes" and event["c"] == 644 and event["d"] == "2024-01-01"

        def title(event):
            return f"{event['a']} {event['b']} {event['c']} {event['d']} {event['e']}"
        """, """
        - Name: yaml 1.2 scalars
          ExpectedResult: true
          Log: {a: off, b: yes, c: 0644, d: 2024-01-01, e: 1:30:00}
        """, ""),
    ("Compat.NonBool", """
        def rule(event):
            return event.get("v")
        """, """
        - Name: none for true
          ExpectedResult: true
          Log: {}
        - Name: none for false
          ExpectedResult: false
          Log: {}
        - Name: int
          ExpectedResult: true
          Log: {"v": 1}
        - Name: string for false
          ExpectedResult: false
          Log: {"v": "no"}
        """, ""),
    ("Compat.Severity", """
        def rule(event):
            return event["hit"]

        def severity(event):
            return event["sev"]
        """, """
        - Name: default
          ExpectedResult: true
          Log: {"hit": true, "sev": "DEFAULT"}
        - Name: lower
          ExpectedResult: true
          Log: {"hit": true, "sev": "critical"}
        - Name: invalid true
          ExpectedResult: true
          Log: {"hit": true, "sev": "URGENT"}
        - Name: invalid false
          ExpectedResult: false
          Log: {"hit": false, "sev": "URGENT"}
        """, ""),
    ("Compat.Context", """
        def rule(event):
            return True

        def alert_context(event):
            if event["kind"] == "big":
                return {"x": "y" * 250000}
            if event["kind"] == "list":
                return [1]
            return {"nested": event.get("n"), "n": 1.5, "none": None}
        """, """
        - Name: too big
          ExpectedResult: true
          Log: {"kind": "big"}
        - Name: not a mapping
          ExpectedResult: true
          Log: {"kind": "list"}
        - Name: nested immutable
          ExpectedResult: true
          Log: {"kind": "ok", "n": {"a": [1, {"b": 2}]}}
        """, ""),
    ("Compat.DedupDefault", """
        def rule(event):
            return True
        """, """
        - Name: no title no dedup
          ExpectedResult: true
          Log: {}
        """, ""),
    ("Compat.Titles", """
        def rule(event):
            return True

        def title(event):
            return event["t"] * event["n"]

        def dedup(event):
            return event.get("d", "")
        """, """
        - Name: long title
          ExpectedResult: true
          Log: {"t": "T", "n": 1200}
        - Name: empty title empty dedup
          ExpectedResult: true
          Log: {"t": "", "n": 1}
        - Name: dedup given
          ExpectedResult: true
          Log: {"t": "x", "n": 1, "d": "D"}
        """, ""),
    ("Compat.AuxErrors", """
        def rule(event):
            return event["hit"]

        def title(event):
            raise KeyError("boom")

        def description(event):
            return "desc"

        def reference(event):
            return 5

        def runbook(event):
            return "run"

        def unique(event):
            return None
        """, """
        - Name: false ignores aux errors
          ExpectedResult: false
          Log: {"hit": false}
        - Name: true fails on aux errors
          ExpectedResult: true
          Log: {"hit": true}
        """, ""),
    ("Compat.Destinations", """
        def rule(event):
            return True

        def destinations(event):
            return event["d"]
        """, """
        - Name: listed
          ExpectedResult: true
          Log: {"d": ["slack", "pager"]}
        - Name: suppressed
          ExpectedResult: true
          Log: {"d": []}
        """, ""),
    ("Compat.Printing", """
        def rule(event):
            print("checking", event["n"])
            return event["n"] > 1
        """, """
        - Name: prints one
          ExpectedResult: false
          Log: {"n": 1}
        - Name: prints two
          ExpectedResult: true
          Log: {"n": 2}
        """, ""),
    ("Compat.Signal", """
        def rule(event):
            return True

        def title(event):
            return "not shown for signals"

        def alert_context(event):
            return {"a": 1}
        """, """
        - Name: signal
          ExpectedResult: true
          Log: {}
        """, "CreateAlert: false\n"),
    ("Compat.DeepWalk", """
        def rule(event):
            return True

        def title(event):
            return f"{event.deep_walk('a', 'b')} {event.deep_walk('a', 'b', return_val='first')} {event.deep_get('a', 'b')}"
        """, """
        - Name: walk
          ExpectedResult: true
          Log: {"a": [{"b": 1}, {"b": 2}, {"b": 1}, {"c": 3}]}
        """, ""),
]

DATA_MODEL = """\
AnalysisType: datamodel
DataModelID: Compat.DM.Model
Enabled: true
LogTypes: [Compat.DM]
Filename: compat_dm.py
Mappings:
  - Name: source_ip
    Path: $.client.ip
  - Name: actor_user
    Method: get_user
  - Name: tag
    Path: $.tags[*].n
  - Name: nothing
    Path: $.absent
"""


def write_content(root: Path) -> None:
    for rule_id, py, tests, extra in CASES:
        name = rule_id.lower().replace(".", "_")
        (root / f"{name}.py").write_text(textwrap.dedent(py))
        (root / f"{name}.yml").write_text(
            f"AnalysisType: rule\nRuleID: {rule_id}\nEnabled: true\nFilename: {name}.py\nLogTypes: [Compat.Log]\n"
            f"Severity: Medium\n{extra}Tests:\n" + textwrap.indent(textwrap.dedent(tests), "  "))
    dm = root / "data_models"
    dm.mkdir()
    (dm / "compat_dm.yml").write_text(DATA_MODEL)
    (dm / "compat_dm.py").write_text("def get_user(event):\n    return event.deep_get('actor', 'name')\n")


def per_rule_lines(text: str, rule_ids: set[str]) -> dict[str, list[str]]:
    """RuleID -> the lines printed under it, in order (cases, functions, printed output, warnings)."""
    out: dict[str, list[str]] = {}
    current = None
    for line in ANSI.sub("", text).splitlines():
        if line.strip() in rule_ids and not line.startswith("\t"):
            current = line.strip()
            out[current] = []
        elif line.startswith(("Failed Tests Summary", "Test Summary", "Passed:", "Skipped:", "Invalid:", "-----")):
            current = None
        elif current and line.strip() and not line.startswith("INFO:"):
            out[current].append(line.rstrip())
    return out


def summary(text: str) -> dict[str, int]:
    text = ANSI.sub("", text)
    return {k: int(m.group(1)) for k in ("Passed", "Failed", "Invalid", "Skipped")
            if (m := re.search(rf"{k}: (\d+)", text))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", metavar="DIR", help="write the edge-case content here and keep it")
    ap.add_argument("--path", metavar="DIR", help="compare on this content directory instead (e.g. rules)")
    args = ap.parse_args()
    pat = ensure_pat()
    if args.path:
        root = Path(args.path).resolve()
    else:
        root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="compat-pat-"))
        root.mkdir(parents=True, exist_ok=True)
        write_content(root)
    sys.path.insert(0, str(REPO))
    from workbench.detections.specs import load_content

    rule_ids = {r.rule_id for r in load_content(root).rules}
    env_cmd = {"cwd": root, "capture_output": True, "text": True, "timeout": 600}
    # PAT logs its warnings (e.g. a mock of a missing name) to stderr: read both streams, as a user sees them
    theirs = subprocess.run([str(pat), "test", "--path", "."], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=600)
    ours = subprocess.run([sys.executable, "-m", "workbench.cli", "rules", "test", "--path", "."],
                          **env_cmd, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    a, b = per_rule_lines(theirs.stdout, rule_ids), per_rule_lines(ours.stdout, rule_ids)
    diffs = 0
    for rid in sorted(set(a) | set(b)):
        if a.get(rid) != b.get(rid):
            diffs += 1
            print(f"== {rid}\n-- PAT:\n" + "\n".join(a.get(rid, ["(missing)"])) + "\n-- ours:\n"
                  + "\n".join(b.get(rid, ["(missing)"])))
    sa, sb = summary(theirs.stdout), summary(ours.stdout)
    print(f"rules compared: {len(set(a) | set(b))}, differing: {diffs}; summary PAT {sa} ours {sb}; "
          f"exit codes PAT {theirs.returncode} ours {ours.returncode}")
    return 0 if not diffs and sa == sb and (theirs.returncode == 0) == (ours.returncode == 0) else 1


if __name__ == "__main__":
    sys.exit(main())
