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
