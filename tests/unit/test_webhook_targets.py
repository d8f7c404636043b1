"""Where webhooks may go (issue #12 item 6): public addresses in every spelling, https, the allow list.

No test here sends anything: names resolve through a table, except
``localhost`` and numeric spellings, which the system resolver answers from
/etc/hosts and by parsing, without asking any server.
"""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from commonfund.settings import Settings
from commonfund.webhook_targets import Target, TargetRefused, Targets, literal, system_resolve

PUBLIC = "58.56.23.10"  # an address on the public internet; nothing here connects to it
NAMES = {
    "jg.qingdao.example.cn": [PUBLIC],
    "intranet.example.cn": ["10.20.30.40"],
    "split.example.cn": [PUBLIC, "192.168.1.5"],  # one public, one inside: refused
    "v6.example.cn": ["fd00::5"],
}


def table(host: str, port: int) -> list[str]:
    if host not in NAMES:
        raise OSError(f"unknown host {host}")  # as socket.gaierror would
    return NAMES[host]


def targets(**options: object) -> Targets:
    return Targets(resolve=table, **options)  # type: ignore[arg-type]


INSIDE = [
    # loopback, in the spellings the C resolver (and so the HTTP client) takes
    ("127.0.0.1", "loopback"),
    ("127.0.0.1:5432", "loopback"),  # the database's port
    ("2130706433", "loopback"),  # decimal
    ("0177.0.0.1", "loopback"),  # octal
    ("0x7f.0.0.1", "loopback"),  # hex
    ("0x7f000001", "loopback"),
    ("127.1", "loopback"),  # short
    ("017700000001", "loopback"),
    ("[::1]", "loopback"),
    ("[0:0:0:0:0:0:0:1]", "loopback"),
    ("[::ffff:127.0.0.1]", "loopback"),  # IPv4-mapped
    ("[::ffff:7f00:1]", "loopback"),
    ("[::127.0.0.1]", "loopback"),  # IPv4-compatible
    ("[2002:7f00:1::]", "loopback"),  # 6to4 of 127.0.0.1
    ("[64:ff9b::a00:1]", "private"),  # NAT64 of 10.0.0.1
    ("0.0.0.0", "unspecified"),  # noqa: S104 - a URL's host, not a bind address
    ("0", "unspecified"),
    ("[::]", "unspecified"),
    ("10.0.0.1", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("[::ffff:192.168.1.1]", "private"),
    ("169.254.169.254", "link-local"),  # the cloud metadata service
    ("[fe80::1]", "link-local"),
    ("[fe80::1%25eth0]", "link-local"),
    ("[fc00::1]", "unique-local"),
    ("[fd12:3456::1]", "unique-local"),
    ("[fec0::1]", "site-local"),
    ("100.64.0.1", "shared"),  # carrier-grade NAT
    ("224.0.0.1", "multicast"),
    ("[ff02::1]", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("198.18.0.1", "private"),  # benchmarking
    ("192.0.2.1", "private"),  # documentation
    ("[2001:db8::1]", "private"),
]


@pytest.mark.parametrize(("host", "kind"), INSIDE)
def test_an_inside_address_is_refused_in_every_spelling(host: str, kind: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        targets(require_https=False).target(f"http://{host}/hook")
    assert refused.value.failure == "address_refused"
    assert f"({kind})" in refused.value.reason


@pytest.mark.parametrize(
    "spelling", ["2130706433", "0177.0.0.1", "0x7f.0.0.1", "127.1", "0", "::ffff:127.0.0.1"]
)
def test_a_spelling_is_read_as_the_resolver_reads_it(spelling: str) -> None:
    """What is checked is what a connection would reach: getaddrinfo parses these itself."""
    resolved = {ipaddress.ip_address(a) for a in system_resolve(spelling, 80)}
    assert resolved == {literal(spelling)}


def test_a_name_is_refused_if_any_address_it_resolves_to_is_inside() -> None:
    for name, kind in [
        ("intranet.example.cn", "private"),
        ("split.example.cn", "private"),
        ("v6.example.cn", "unique-local"),
    ]:
        with pytest.raises(TargetRefused) as refused:
            targets().target(f"https://{name}/hook")
        assert refused.value.failure == "address_refused"
        assert refused.value.reason.startswith(f"{name} resolves to a non-public address ({kind})")
        assert "10.20.30.40" not in refused.value.reason  # the inside address is not told


def test_localhost_resolves_inside_and_is_refused() -> None:
    with pytest.raises(TargetRefused) as refused:
        Targets(require_https=False).target("http://localhost:8000/v1/admin/tokens")
    assert "(loopback)" in refused.value.reason


def test_a_public_name_is_pinned_to_the_address_checked() -> None:
    target = targets().target("https://jg.qingdao.example.cn/commonfund/alerts?city=370200")
    assert target == Target(
        "https", "jg.qingdao.example.cn", 443, "/commonfund/alerts?city=370200", PUBLIC
    )


def test_https_is_required_unless_the_operator_says_otherwise() -> None:
    with pytest.raises(TargetRefused) as refused:
        targets().target("http://jg.qingdao.example.cn/hook")
    assert refused.value.failure == "https_required"
    assert targets(require_https=False).target("http://jg.qingdao.example.cn/hook").port == 80


def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(TargetRefused) as refused:
        targets().target("https://nowhere.example.cn/hook")
    assert refused.value.failure == "dns_failure"
    assert targets().refusal("https://nowhere.example.cn/hook") == refused.value.reason


def test_the_operator_allows_named_hosts_even_inside() -> None:
    allowed = targets(allowed_hosts=["INTRANET.example.cn", "127.0.0.1"], require_https=False)
    assert allowed.target("https://intranet.example.cn/hook").address == "10.20.30.40"
    assert allowed.target("http://127.0.0.1:8123/hook").address == "127.0.0.1"
    assert allowed.target("http://2130706433:8123/hook").address == "127.0.0.1"  # same address
    assert allowed.refusal("http://127.0.0.1:8123/hook") is None
    with pytest.raises(TargetRefused):
        allowed.target("http://[::1]:8123/hook")  # only what is listed
    with pytest.raises(TargetRefused):
        allowed.target("http://10.20.30.40/hook")  # the name is allowed, not its address


def test_a_url_without_a_usable_host_or_port_is_refused() -> None:
    for url in ("ftp://jg.qingdao.example.cn/x", "https:///x", "https://jg.qingdao.example.cn:x/"):
        assert targets().refusal(url) is not None


def test_the_settings_list_bare_hosts_and_require_https_by_default() -> None:
    settings = Settings(webhook_allowed_hosts=" hooks.jg.qingdao.gov.cn, 10.8.0.5,::1 ")
    assert settings.webhook_hosts == ("hooks.jg.qingdao.gov.cn", "10.8.0.5", "::1")
    assert Settings().webhook_require_https
    assert Settings().webhook_hosts == ()
    for bad in ("https://hooks.example.cn", "hooks.example.cn:8443", "a.cn/hook", "u@a.cn"):
        with pytest.raises(ValidationError, match="without scheme, port or path"):
            Settings(webhook_allowed_hosts=bad)
