from compat_helpers import SUSPICIOUS, classify

from panther_detection_helpers.caching import get_counter, increment_counter
from panther_detection_helpers.mocking import is_mock


def rule(event):
    if classify(event.get("ip")) != "suspicious":
        return False
    return int(increment_counter(f"hits:{event.get('ip')}")) >= 2

def title(event):
    return (f"{event.get('ip')} seen {get_counter('x') if is_mock(get_counter) else 'n/a'} times; "
            f"mocked={is_mock(get_counter)}; known={sorted(SUSPICIOUS)}")
