"""What the Schema screen says after an inference: the detected layout it started from (naming Panther's
managed schema), lines that do not fit, and warnings such as a yearless event time."""

from __future__ import annotations

from pathlib import Path

from screens.flow.schema import inference_notices
from workbench.infer import infer_schema
from workbench.model import Record

TEXT = Path(__file__).parents[1] / "data" / "text"


def _infer(name: str):
    lines = (TEXT / name).read_text().splitlines()
    return infer_schema([Record("b", name, i, t) for i, t in enumerate(lines, 1)])


def test_detected_layout_and_yearless_event_time():
    notices = inference_notices(_infer("sshd_rfc3164.log"))
    texts = [t for t, _ in notices]
    assert texts[0].startswith("Started from the detected layout.") and "Syslog.RFC3164" in texts[0]
    assert any("has no year: Panther records year 1900" in t for t, sev in notices if sev == "warning")


def test_lines_that_do_not_fit_are_mentioned():
    notices = inference_notices(_infer("log4j_java.log"))
    assert ("3/70 sampled lines do not fit the layout (see the notes).", "warning") in notices
    assert not any(t.startswith("Started from the detected layout") for t, _ in notices)
