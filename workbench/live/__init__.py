"""Live mode: watch new objects arrive through the S3 → SNS → SQS notification path, parsed and run through
the rules, without ever consuming a message from a queue this tool did not create.

Modules, one concern each:

* `envelopes` — unwrap a queue message (SNS, S3 event, CloudTrail notice, EventBridge, test events) into
  `Notification`s; pure, never raises;
* `sources`   — own temporary queue / peek at an existing queue / poll the bucket (`choose_mode`);
* `process`   — fetch, decode and parse one announced object with the shared core;
* `drift`     — fields not in the schema, type conflicts, a suggested schema patch;
* `buffer`    — the bounded ring buffer, per-log-type and per-rule rates, recent problems;
* `tail`      — `LiveTail`, the threads tying them together (used by `workbench tail` and the Live screen).
"""
