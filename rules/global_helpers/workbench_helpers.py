"""Helpers shared by the demo detections: threat-intel lists, e-mail domains, lenient number parsing."""

import ipaddress

CORPORATE_DOMAIN = "acme-corp.example"

# a small stand-in for a threat-intelligence feed (Tor exits and scanners seen before)
SUSPICIOUS_IPS = frozenset({"185.220.101.7", "45.155.205.233", "91.240.118.172"})

# card-issuing countries the payments team reviews by hand
HIGH_RISK_COUNTRIES = frozenset({"NG", "RU", "KP", "IR", "SY"})


def is_suspicious_ip(ip):
    return ip in SUSPICIOUS_IPS


def is_private_ip(ip):
    try:
        return ipaddress.ip_address(ip).is_private
    except (TypeError, ValueError):
        return False


def email_domain(email):
    """The part after '@', lower-cased; '' for anything that is not an e-mail address."""
    if not isinstance(email, str) or "@" not in email:
        return ""
    return email.rsplit("@", 1)[1].strip().lower()


def is_external_email(email):
    domain = email_domain(email)
    return bool(domain) and domain != CORPORATE_DOMAIN


def to_float(value, default=0.0):
    """Numbers from CSV logs may arrive as strings; anything unreadable becomes `default`."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return default
