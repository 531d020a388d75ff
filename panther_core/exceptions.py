"""Exceptions raised while evaluating a detection; the names match what detection authors see in Panther."""


class FunctionReturnTypeError(Exception):
    """A detection function returned a value of the wrong type (e.g. `rule()` returned None)."""


class UnknownDestinationError(Exception):
    """`destinations()` named a destination that is not configured."""
