"""Exceptions raised while evaluating a detection; names and texts match what detection authors see in Panther."""

from __future__ import annotations


class PantherError(Exception):
    """Printed as `first argument: the others, comma-separated` (e.g. a missing data model's log type)."""

    def __str__(self) -> str:
        if len(self.args) > 1:
            return f"{self.args[0]}: {', '.join(str(a) for a in self.args[1:])}"
        return str(self.args[0]) if self.args else ""


class FunctionReturnTypeError(PantherError):
    """A detection function returned a value of the wrong type (e.g. `rule()` returned None)."""


class UnknownDestinationError(PantherError):
    """`destinations()` named a destination that is not configured."""
