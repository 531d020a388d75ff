"""Unit tests of a content directory's rules, with Panther's semantics: the selection (rule ids, PAT's
--filter, disabled rules), the cases sent to the worker(s) and the verdicts (a mixin of `RuleEngine`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import orjson

from workbench.detections.engine_load import ContentLoading
from workbench.detections.results import CaseResult, RuleTests, TestReport, decide_case
from workbench.detections.shards import collect_tests, shard_count
from workbench.detections.spec_types import RuleSpec

_Fragment = getattr(orjson, "Fragment", None)  # orjson ≥ 3.9.11


class UnitTestRuns(ContentLoading):
    """`run_tests`; expects the engine's `_test_workers`, `_maybe_reload`, `_stop_spares` and `_reap_retired`."""

    _test_workers: int
    _maybe_reload: Callable[[], None]
    _stop_spares: Callable[..., None]
    _reap_retired: Callable[[], None]

    def run_tests(self, rule_ids: Iterable[str] | None = None,
                  filters: Mapping[str, Sequence[str]] | None = None, *, skip_disabled: bool = False) -> TestReport:
        """Run the selected rules' unit tests with Panther's semantics (see results.decide_case).

        Disabled rules are tested too, as Panther's CLI does, unless `skip_disabled`.
        """
        with self._lock:
            return self._run_tests(rule_ids, filters, skip_disabled)

    def _run_tests(self, rule_ids: Iterable[str] | None, filters: Mapping[str, Sequence[str]] | None,
                   skip_disabled: bool) -> TestReport:
        self._maybe_reload()
        wanted = set(rule_ids) if rule_ids else None

        def chosen(pairs: Iterable[tuple[int, RuleSpec]]) -> list[tuple[int, RuleSpec]]:
            return [(o, r) for o, r in pairs if (wanted is None or r.rule_id in wanted)
                    and _matches_filters(r, filters) and (r.enabled or not skip_disabled)]

        # Not loaded yet (the CLI's case): the cases go to the worker right behind the load, for every rule
        # chosen; those whose module then fails to import are dropped (the worker skips them too).
        # A big repository's cases run on several workers at once (shards.py), all of them done here.
        early = None
        raw: dict[int, list] = {}  # ident -> [result, stdout, mock error]
        crashed: dict[int, str] = {}  # ident -> why it has no result
        if self._loaded:
            cases, ident_of = _test_cases(chosen(self._ordinals.items()))
        else:
            cases, ident_of = _test_cases(chosen(enumerate(self._content.rules)))
            n_workers = shard_count(self._test_workers, len(cases))
            self._stop_spares(keep=n_workers - 1)
            if n_workers > 1:
                self._run_sharded(cases, ident_of, n_workers, raw, crashed)
            else:
                early = self._ensure_loaded(then=orjson.dumps({"op": "tests", "cases": cases}, default=str,
                                                              option=orjson.OPT_NON_STR_KEYS))
            cases = [c for c in cases if c["ordinal"] in self._ordinals]
            ident_of = {c["ident"]: ident_of[c["ident"]] for c in cases}
            if n_workers > 1:
                cases = []
        selected = chosen(self._ordinals.items())
        collect_tests(lambda todo: self._request({"op": "tests", "cases": todo}), cases, early, ident_of, raw, crashed)
        per_rule: dict[str, list[CaseResult]] = {}
        for ident, (spec, case) in ident_of.items():
            entry = raw.get(ident)
            crash_text = crashed.get(ident)
            if entry is not None and entry[2]:
                # Panther's CLI prints only a warning line for a mock of a name the module lacks
                kind, _, msg = entry[2].partition(": ")
                crash_text = f"{kind}: {{{msg}}} for [{spec.rule_id}] in test [{case.name}]"
            result = decide_case(spec.rule_id, case.name, case.expected_result, entry[0] if entry else None,
                                 stdout=entry[1] if entry else "", expected_destinations=case.expected_destinations,
                                 create_alert=spec.create_alert, crash=crash_text,
                                 warning_only=bool(entry is not None and entry[2]))
            per_rule.setdefault(spec.rule_id, []).append(result)
        rules = tuple(RuleTests(spec.rule_id, spec.path, tuple(per_rule.get(spec.rule_id, ())), spec.create_alert)
                      for _o, spec in selected)
        self._reap_retired()
        # invalid files are reported whatever the selection, as Panther's CLI does: they fail the run
        return TestReport(rules, tuple(self.invalid), tuple(self.skipped) if wanted is None else ())


def _test_cases(selected: Iterable[tuple[int, RuleSpec]]) -> tuple[list[dict], dict[int, tuple[RuleSpec, Any]]]:
    """The worker's "tests" cases for these (ordinal, rule) pairs, and each case's rule and spec by ident."""
    cases = []
    ident_of: dict[int, tuple[RuleSpec, Any]] = {}
    for ordinal, spec in selected:
        for case in spec.tests:
            ident = len(ident_of)
            ident_of[ident] = (spec, case)
            # the event goes as the JSON the spec already holds (a Fragment is written into the request as is)
            log = _Fragment(case.log_json) if _Fragment else case.log
            cases.append({"ident": ident, "ordinal": ordinal, "log": log, "mocks": list(case.mocks)})
    return cases, ident_of


def _matches_filters(spec: RuleSpec, filters: Mapping[str, Sequence[str]] | None) -> bool:
    """PAT's --filter: every key must match one of its values (list-valued keys: any element).

    A key ending in "!" (from `KEY!=VALUE`) inverts it: the spec must match none of the values.
    """
    if not filters:
        return True
    for key, values in filters.items():
        negate = key.endswith("!")
        raw = spec.raw.get(key.rstrip("!"))
        items = raw if isinstance(raw, list) else [raw]
        shown = {("true" if v is True else "false" if v is False else str(v)).lower() for v in items}
        hit = bool(shown & {str(v).lower() for v in values})
        if hit == negate:
            return False
    return True
