"""A compatible stand-in for Panther's `panther_core` package, written for log-workbench.

Detection content imports `panther_core` (`PantherEvent`, `ImmutableList`, …). The original package is
AGPL-licensed, so this one is written from the documented behaviour only (see the project's reference
notes): an immutable, case-insensitive event with `deep_get`, `deep_walk`, `udm` and `lookup`.
"""

from panther_core.enriched_event import PantherEvent
from panther_core.immutable import ImmutableCaseInsensitiveDict, ImmutableList

__all__ = ["ImmutableCaseInsensitiveDict", "ImmutableList", "PantherEvent"]
