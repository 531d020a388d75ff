"""A global helper as panther-analysis has them: constants and small functions shared by rules."""

SUSPICIOUS = frozenset({"6.6.6.6", "7.7.7.7"})


def classify(ip):
    return "suspicious" if ip in SUSPICIOUS else "ordinary"
