"""The network policy on its own: URL schemes, every spelling of a forbidden literal address,
each address rule, and what `allow_private_networks` and the allow-list open."""

from __future__ import annotations

import dataclasses
from ipaddress import ip_address

import pytest

from proxies import NetworkPolicy, Refusal
from proxies.netpolicy import parse_ip

DEFAULT = NetworkPolicy()


@pytest.mark.parametrize(
    ("url", "rule", "address"),
    [
        ("http://127.0.0.1/", "loopback", "127.0.0.1"),
        ("http://127.1/", "loopback", "127.0.0.1"),
        ("http://127.2:8080/x", "loopback", "127.0.0.2"),
        ("http://2130706433/", "loopback", "127.0.0.1"),
        ("http://0x7f000002/", "loopback", "127.0.0.2"),
        ("http://0X7F000002/", "loopback", "127.0.0.2"),
        ("http://017700000002/", "loopback", "127.0.0.2"),
        ("http://0x7f.1/", "loopback", "127.0.0.1"),
        ("http://0177.0.0.1/", "loopback", "127.0.0.1"),
        ("http://127.0.0.1./", "loopback", "127.0.0.1"),
        ("http://%31%32%37.0.0.1/", "loopback", "127.0.0.1"),
        ("http://\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11/", "loopback", "127.0.0.1"),
        ("http://[::ffff:127.0.0.2]/", "loopback", "::ffff:7f00:2"),
        ("http://[::ffff:7f00:2]:81/", "loopback", "::ffff:7f00:2"),
        ("http://[::1]/", "loopback", "::1"),
        ("http://[0:0:0:0:0:0:0:1]/", "loopback", "::1"),
        ("http://[64:ff9b::7f00:1]/", "loopback", "64:ff9b::7f00:1"),
        ("http://[2002:7f00:1::]/", "loopback", "2002:7f00:1::"),
        ("http://user:pw@127.0.0.1:8080/", "loopback", "127.0.0.1"),
        ("http://example.com@127.0.0.1/", "loopback", "127.0.0.1"),
        ("http://127.0.0.1\\@example.com/", "loopback", "127.0.0.1"),
        ("  http://127.0.0.1/  ", "loopback", "127.0.0.1"),
        ("ht\ttp://127.0.\n0.1/", "loopback", "127.0.0.1"),
        ("HTTPS://127.0.0.1/", "loopback", "127.0.0.1"),
        ("ws://127.0.0.1/socket", "loopback", "127.0.0.1"),
        ("wss://[::1]/socket", "loopback", "::1"),
        ("http://0.0.0.0:8000/", "unspecified", "0.0.0.0"),
        ("http://0/", "unspecified", "0.0.0.0"),
        ("http://0.1.2.3/", "unspecified", "0.1.2.3"),
        ("http://[::]/", "unspecified", "::"),
        ("http://10.1.2.3/", "private", "10.1.2.3"),
        ("http://172.16.0.1/", "private", "172.16.0.1"),
        ("http://192.168.1.1/", "private", "192.168.1.1"),
        ("http://3232235777/", "private", "192.168.1.1"),
        ("http://100.64.0.1/", "private", "100.64.0.1"),
        ("http://[fc00::1]/", "private", "fc00::1"),
        ("http://[fd12:3456::1]/", "private", "fd12:3456::1"),
        ("http://[::ffff:10.0.0.1]/", "private", "::ffff:a00:1"),
        ("http://169.254.1.1/", "link-local", "169.254.1.1"),
        ("http://[fe80::1]/", "link-local", "fe80::1"),
        ("http://169.254.169.254/latest/meta-data/", "metadata", "169.254.169.254"),
        ("http://0xa9fea9fe/", "metadata", "169.254.169.254"),
        ("http://[::ffff:169.254.169.254]/", "metadata", "::ffff:a9fe:a9fe"),
        ("http://[fd00:ec2::254]/", "metadata", "fd00:ec2::254"),
        ("http://100.100.100.200/", "metadata", "100.100.100.200"),
        ("http://224.0.0.1/", "multicast", "224.0.0.1"),
        ("http://[ff02::1]/", "multicast", "ff02::1"),
        ("http://240.0.0.1/", "reserved", "240.0.0.1"),
        ("http://255.255.255.255/", "reserved", "255.255.255.255"),
        ("http://192.0.2.1/", "reserved", "192.0.2.1"),
        ("http://[2001:db8::1]/", "reserved", "2001:db8::1"),
    ],
)
def test_literal_addresses_are_refused_in_every_spelling(url: str, rule: str, address: str) -> None:
    refusal = DEFAULT.check_url(url)
    assert refusal is not None
    assert (refusal.rule, refusal.address, refusal.target) == (rule, address, url)
    assert address in refusal.message
    assert repr(rule) in refusal.message


@pytest.mark.parametrize(
    ("url", "hinted"),
    [
        ("http://127.0.0.1/", True),
        ("http://localhost/", True),
        ("http://[::1]/", True),
        ("http://10.1.2.3/", True),
        ("http://169.254.1.1/", True),
        ("http://169.254.169.254/", False),
        ("http://metadata.google.internal/", False),
        ("http://0.0.0.0/", False),
        ("http://224.0.0.1/", False),
    ],
)
def test_a_refusal_a_deployment_may_lift_names_the_setting_that_lifts_it(
    url: str, hinted: bool
) -> None:
    refusal = DEFAULT.check_url(url)
    assert refusal is not None
    assert ("a deployment can allow it with TRAWLER_ALLOWED_NETWORKS" in refusal.message) is hinted


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
        ("http://METADATA.Google.Internal./", "metadata"),
        ("http://metadata/", "metadata"),
        ("http://instance-data.ec2.internal/latest/", "metadata"),
        ("http://localhost:3000/", "loopback"),
        ("HTTP://LOCALHOST/", "loopback"),
        ("http://app.localhost/", "loopback"),
    ],
)
def test_forbidden_host_names_are_refused_before_resolution(url: str, rule: str) -> None:
    refusal = DEFAULT.check_url(url)
    assert refusal is not None
    assert refusal.rule == rule
    assert url.strip() in refusal.message


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE://localhost/etc/passwd",
        "file:/etc/passwd",
        "view-source:http://example.com/",
        "view-source:file:///etc/passwd",
        "chrome://settings",
        "chrome://version/",
        "chrome-extension://abcdefghijklmnop/page.html",
        "devtools://devtools/bundled/inspector.html",
        "data:text/html,<script>location='file:///etc/passwd'</script>",
        "data:text/html;base64,PHNjcmlwdD48L3NjcmlwdD4=",
        "filesystem:http://example.com/temporary/secret.txt",
        "blob:http://example.com/6f5c0c7e-1b2a-4c7d-9e8f-0a1b2c3d4e5f",
        "javascript:alert(document.cookie)",
        "ftp://example.com/file",
        "about:config",
        "example.com/no-scheme",
        "/relative/path",
    ],
)
def test_schemes_bots_may_not_open_are_refused(url: str) -> None:
    refusal = DEFAULT.check_url(url)
    assert refusal is not None
    assert refusal.rule == "scheme"
    assert url in refusal.message


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/",
        "http://example.com:8080/path?q=1#top",
        "https://xn--bcher-kva.example/",
        "http://8.8.8.8/",
        "http://134744072/",
        "http://[2606:4700:4700::1111]/",
        "http://[::ffff:8.8.8.8]/",
        "http://[64:ff9b::808:808]/",
        "ws://example.com/socket",
        "wss://example.com/socket",
        "about:blank",
        "ABOUT:BLANK",
        "http://intranet/",
    ],
)
def test_public_urls_and_host_names_pass(url: str) -> None:
    assert DEFAULT.check_url(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "http://1.2.3.4.5/",
        "http://256.256.256.256/",
        "http://1.2.3.08/",
        "http://4294967296/",
        "http://[::1/",
        "http://[fe80::1%25eth0]/",
        "http://[not-an-address]/",
        "http://",
        "http://:80/",
        "http://user@/",
    ],
)
def test_hosts_browsers_reject_are_refused_as_invalid(url: str) -> None:
    refusal = DEFAULT.check_url(url)
    assert refusal is not None
    assert refusal.rule == "invalid"


@pytest.mark.parametrize(
    ("ip", "host", "rule"),
    [
        ("127.0.0.2", "rebind.test", "loopback"),
        ("::1", "rebind.test", "loopback"),
        ("::ffff:127.0.0.2", "rebind.test", "loopback"),
        ("10.0.0.5", "intranet.example", "private"),
        ("fe80::1%eth0", "printer.local", "link-local"),
        ("169.254.169.254", "innocent.example", "metadata"),
        ("fd00:ec2::254", "innocent.example", "metadata"),
        ("0.0.0.0", "zero.example", "unspecified"),
        ("239.1.2.3", "group.example", "multicast"),
        ("198.18.0.1", "bench.example", "reserved"),
    ],
)
def test_check_address_names_the_host_and_the_address(ip: str, host: str, rule: str) -> None:
    refusal = DEFAULT.check_address(ip, host)
    assert refusal is not None
    assert refusal.rule == rule
    assert refusal.target == host
    assert host in refusal.message
    assert str(ip_address(ip)) in refusal.message
    assert "resolves to" in refusal.message


def test_check_address_passes_public_addresses() -> None:
    assert DEFAULT.check_address("93.184.216.34", "example.com") is None
    assert DEFAULT.check_address(ip_address("2606:4700:4700::1111")) is None
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6 address"):
        DEFAULT.check_address("example.com")


def test_allow_private_networks_opens_loopback_private_and_link_local_only() -> None:
    policy = NetworkPolicy(allow_private_networks=True)
    for url in (
        "http://127.0.0.1:3000/",
        "http://localhost/",
        "http://10.0.0.1/",
        "http://100.64.1.1/",
        "http://[fd00::1]/",
        "http://169.254.10.10/",
        "http://[::1]/",
    ):
        assert policy.check_url(url) is None, url
    for url, rule in (
        ("http://169.254.169.254/", "metadata"),
        ("http://metadata.google.internal/", "metadata"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("file:///etc/passwd", "scheme"),
    ):
        refusal = policy.check_url(url)
        assert refusal is not None, url
        assert refusal.rule == rule


def test_the_allow_list_takes_cidrs_and_host_names() -> None:
    policy = NetworkPolicy(
        allow=["10.0.0.0/8", "127.0.0.1", "intranet.example", "*.corp.example", "fd00::/8"]
    )
    assert policy.check_url("http://10.20.30.40/") is None
    assert policy.check_url("http://127.1/") is None
    assert policy.check_url("http://[::ffff:127.0.0.1]/") is None
    assert policy.check_url("http://[fd00::5]/") is None
    assert policy.check_address("10.9.9.9", "anything.example") is None
    refused = policy.check_url("http://127.0.0.2/")
    assert refused is not None
    assert refused.rule == "loopback"
    refused = policy.check_url("http://192.168.0.1/")
    assert refused is not None
    assert refused.rule == "private"
    # a host name on the list admits whatever it resolves to; another name does not
    assert policy.check_address("192.168.7.7", "intranet.example") is None
    assert policy.check_address("192.168.7.7", "INTRANET.example.") is None
    assert policy.check_address("192.168.7.7", "db.corp.example") is None
    refused = policy.check_address("192.168.7.7", "corp.example")
    assert refused is not None
    assert refused.rule == "private"
    refused = policy.check_address("192.168.7.7", "intranet.example.evil.test")
    assert refused is not None
    assert refused.rule == "private"


def test_metadata_is_reachable_only_when_listed() -> None:
    assert NetworkPolicy(allow=["169.254.169.254/32"]).check_url("http://169.254.169.254/") is None
    by_name = NetworkPolicy(allow=["metadata.google.internal"])
    assert by_name.check_url("http://metadata.google.internal/") is None
    assert by_name.check_address("169.254.169.254", "metadata.google.internal") is None
    refused = by_name.check_address("169.254.169.254", "other.example")
    assert refused is not None
    assert refused.rule == "metadata"


@pytest.mark.parametrize("entry", ["not a host!", "http://example.com", "", "10.0.0.0/33x"])
def test_bad_allow_list_entries_are_refused(entry: str) -> None:
    with pytest.raises(ValueError, match="neither a CIDR nor a host name"):
        NetworkPolicy(allow=[entry])


def test_policy_and_refusal_are_frozen() -> None:
    policy = NetworkPolicy(allow=["10.0.0.0/8"])
    assert policy.allow == ("10.0.0.0/8",)
    assert policy == NetworkPolicy(allow=("10.0.0.0/8",))
    assert hash(policy) == hash(NetworkPolicy(allow=["10.0.0.0/8"]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        policy.allow_private_networks = True  # type: ignore[misc]
    refusal = DEFAULT.check_url("http://127.0.0.1/")
    assert isinstance(refusal, Refusal)
    assert str(refusal) == refusal.message
    with pytest.raises(dataclasses.FrozenInstanceError):
        refusal.rule = "private"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("017700000002", "127.0.0.2"),
        ("0", "0.0.0.0"),
        ("0x", "0.0.0.0"),
        ("1.2.3", "1.2.0.3"),
        ("4294967295", "255.255.255.255"),
        ("[::ffff:127.0.0.2]", "::ffff:7f00:2"),
        ("::1", "::1"),
        ("example.com", None),
        ("1.example", None),
        ("0x7g.example", None),
    ],
)
def test_parse_ip_reads_hosts_as_browsers_do(host: str, address: str | None) -> None:
    parsed = parse_ip(host)
    assert (str(parsed) if parsed is not None else None) == address


@pytest.mark.parametrize(
    "host", ["4294967296", "1.2.3.256", "1.2.65536", "09", "1..2", "1.2.3.4.5"]
)
def test_parse_ip_refuses_numbers_that_are_no_address(host: str) -> None:
    with pytest.raises(ValueError, match="IPv4"):
        parse_ip(host)
