"""Indicator scanners follow Panther's rules; recognisers used by inference are strict."""

from __future__ import annotations

from collections import defaultdict

from workbench.schema.indicators import SCANNERS, is_arn, is_domain, is_email, is_ip, is_url


def scan(name, value):
    ind = defaultdict(set)
    SCANNERS[name](value, ind)
    return {k: sorted(v) for k, v in ind.items()}


def test_scanners():
    assert scan("ip", " 10.0.0.1 ") == {"p_any_ip_addresses": ["10.0.0.1"]}
    assert scan("ip", "999.1.1.1") == {}
    assert scan("ip", "2001:db8::1") == {"p_any_ip_addresses": ["2001:db8::1"]}
    assert scan("hostname", "ec2.amazonaws.com") == {"p_any_domain_names": ["ec2.amazonaws.com"]}
    assert scan("url", "https://1.2.3.4:8443/x") == {"p_any_ip_addresses": ["1.2.3.4"]}
    assert scan("net_addr", "example.com:443") == {"p_any_domain_names": ["example.com"]}
    # case kept: pantherlog/scanners.go ScanSHA256Hash writes the (trimmed) input
    assert scan("sha256", "A" * 64) == {"p_any_sha256_hashes": ["A" * 64]}
    assert scan("md5", "abc") == {}
    assert scan("aws_account_id", "123456789012") == {"p_any_aws_account_ids": ["123456789012"]}
    got = scan("aws_arn", "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc")
    assert got == {"p_any_aws_arns": ["arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"],
                   "p_any_aws_account_ids": ["123456789012"], "p_any_aws_instance_ids": ["i-0abc"]}
    assert scan("aws_arn", "arn:aws:sts::123456789012:assumed-role/R/jo@example.com")["p_any_emails"] == ["jo@example.com"]
    assert scan("email", "   ") == {}


def test_recognisers_are_strict():
    assert is_ip("192.0.2.1") and not is_ip("192.0.2") and not is_ip("abc")
    # as Go's net.ParseIP: no leading zeros (octal ambiguity), ASCII digits only, nothing around the address
    assert not is_ip("192.0.2.01") and not is_ip("\u0661.2.3.4") and not is_ip("1.2.3.4 ") and not is_ip("1.2.3.4\x00")
    # Go's net.ParseIP takes no IPv6 zone (pantherlog/scanners.go checkIPAddress)
    assert is_ip("::ffff:192.0.2.1") and not is_ip("fe80::1%eth0")
    assert is_email("a.b@example.co.uk") and not is_email("[x]@y")
    assert is_arn("arn:aws:iam::123456789012:role/X") and not is_arn("arn:nope")
    assert is_url("https://example.com/x") and not is_url("example.com")
    assert is_domain("s3.amazonaws.com") and not is_domain("1.2.3.4") and not is_domain("word")
