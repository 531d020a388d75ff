"""Run event-helper operations with whichever `panther_core` this interpreter imports; print the results.

The differential test (test_detections_oracle.py, beside this file) runs this file twice on the same JSON request:
once under the oracle venv (Panther's real `panther_core`) and once under ours (the stand-ins in this
checkout), then compares the two outputs. Stdin: {"models": [...], "cases": [...]}; stdout: one JSON list
of per-case result lists. Every result is encoded as [type name, value] or ["!raise", "ExcType: message"],
so a difference in type (a list unwrapped, a tuple instead of an ImmutableList) counts as a difference.
"""

import json
import sys
import types
from collections.abc import Mapping

from panther_core.enriched_event import PantherEvent
from panther_core.immutable import json_encoder


def make_model(spec):
    """A DataModel from {"id", "mappings": [{"name", "path"|"method"}], "body"}, with either library's API."""
    from panther_core.data_model import DataModel

    try:  # Panther's: one config dict (it writes the body to a temporary module itself)
        return DataModel({"id": spec["id"], "mappings": spec["mappings"], "versionId": "", "body": spec["body"]})
    except TypeError:  # ours: id, mappings and the imported module
        module = types.ModuleType(spec["id"])
        exec(compile(spec["body"], spec["id"], "exec"), module.__dict__)
        return DataModel(spec["id"], spec["mappings"], module)


def enc(value, depth=0):
    name = type(value).__name__
    if depth > 30:
        return [name, "…"]
    if value is None or isinstance(value, (bool, int, float, str)):
        return [name, value]
    if isinstance(value, Mapping):
        return [name, [[k, enc(value[k], depth + 1)] for k in list(value)]]
    if isinstance(value, (list, tuple)) or name == "ImmutableList":
        return [name, [enc(x, depth + 1) for x in value]]
    return [name, repr(value)]


def raised(e):
    return ["!raise", f"{type(e).__name__}: {e}"]


def walk(value, keys):
    for k in keys:
        value = value[k]
    return value


def run_op(event, op):
    kind, args = op[0], op[1:]
    if kind == "get":
        return enc(event.get(args[0], args[1]))
    if kind == "getitem":
        return enc(event[args[0]])
    if kind == "contains":
        return enc(args[0] in event)
    if kind == "deep_get":
        return enc(event.deep_get(*args[0], default=args[1]))
    if kind == "deep_walk":
        if args[2] is None:
            return enc(event.deep_walk(*args[0], default=args[1]))
        return enc(event.deep_walk(*args[0], default=args[1], return_val=args[2]))
    if kind == "udm":
        return enc(event.udm(*args[0], default=args[1]))
    if kind == "udm_path":
        return enc(event.udm_path(args[0]))
    if kind == "lookup":
        return enc(event.lookup(args[0], args[1]))
    if kind == "event_time_epoch":
        return enc(event.event_time_epoch())
    # the rest act on a value reached by indexing: event[k1][k2]…
    value = walk(event, args[0])
    if kind == "chain":
        return enc(value)
    if kind == "len":
        return enc(len(value))
    if kind == "bool":
        return enc(bool(value))
    if kind == "str":
        return enc(str(value))
    if kind == "repr":
        return enc(repr(value))
    if kind == "iter":
        return enc(list(iter(value)))
    if kind == "items":
        return enc([[k, v] for k, v in value.items()])
    if kind == "values":
        return enc(list(value.values()))
    if kind == "json":
        return enc(json.dumps(value, default=json_encoder, sort_keys=False))
    if kind == "json_event_encoder":
        return enc(json.dumps(value, default=PantherEvent.json_encoder))
    if kind == "eq_plain":
        return enc([value == args[1], args[1] == value, value != args[1]])
    if kind == "hash":
        return enc(hash(value) == hash(value))
    if kind == "copy":
        copied = value.copy()
        return enc([type(copied).__name__, copied])
    if kind == "to_dict":
        return enc(value.to_dict())
    if kind == "as_list":
        return enc(value.as_list())
    if kind == "raw_view":
        return enc(value.raw_view())
    if kind == "slice":
        return enc(value[args[1]:args[2]])
    if kind == "index":
        return enc(value.index(args[1]))
    if kind == "count":
        return enc(value.count(args[1]))
    if kind == "in":
        return enc(args[1] in value)
    if kind == "setitem":
        value[args[1]] = 1
        return enc(value)
    if kind == "delitem":
        del value[args[1]]
        return enc(value)
    if kind == "isinstance":
        return enc([isinstance(value, t) for t in (dict, list, tuple, Mapping)])
    if kind == "deep_get_nested":
        return enc(value.deep_get(*args[1], default=None))
    raise ValueError(f"unknown op {kind}")


def main():
    request = json.load(sys.stdin)
    models = [make_model(m) for m in request["models"]]
    out = []
    for case in request["cases"]:
        model = models[case["model"]] if case.get("model") is not None else None
        try:
            event = PantherEvent(case["event"], model)
        except Exception as e:
            out.append([raised(e)])
            continue
        results = []
        for op in case["ops"]:
            try:
                results.append(run_op(event, op))
            except Exception as e:
                results.append(raised(e))
        out.append(results)
    import panther_core

    json.dump({"library": panther_core.__file__, "results": out}, sys.stdout)


if __name__ == "__main__":
    main()
