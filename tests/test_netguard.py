"""The address guard: which addresses and URLs Vigie refuses to fetch."""

from __future__ import annotations

import ipaddress

import pytest
from feedserver import StaticResolver

from bot.exceptions import BlockedAddressError, FetchError, ResolutionBlockedError
from bot.netguard import (
    GuardedResolver,
    address_permitted,
    check_url,
    is_public_address,
    parse_networks,
    redact_url,
)

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.63.255.255",  # just below carrier-grade NAT
    "100.128.0.0",  # just above it
    "172.15.255.255",
    "172.32.0.0",
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",  # IPv4-mapped public address
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8 (DNS64 networks)
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]

NOT_PUBLIC = [
    # IPv4 private
    "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255", "192.168.1.1",
    # loopback, unspecified, "this network"
    "127.0.0.1", "127.255.255.254", "0.0.0.0", "0.1.2.3",
    # link-local and the cloud metadata service
    "169.254.169.254", "169.254.0.1",
    # carrier-grade NAT
    "100.64.0.1", "100.127.255.254",
    # multicast, reserved, broadcast
    "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    # documentation, benchmarking, IETF
    "192.0.2.1", "198.51.100.1", "203.0.113.1", "198.18.0.1", "192.0.0.1", "192.88.99.1",
    # IPv6 loopback, unspecified, link-local (with and without zone), ULA, site-local
    "::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd00:ec2::254", "fec0::1",
    # IPv6 multicast, documentation, discard, Teredo, local NAT64
    "ff02::1", "ff05::2", "2001:db8::1", "3fff::1", "100::1", "2001::1", "64:ff9b:1::1",
    # IPv6 embedding a non-public IPv4 address
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:0.0.0.0",
    "64:ff9b::a00:1", "64:ff9b::7f00:1", "2002:7f00:1::1", "2002:a9fe:a9fe::1",
    "::127.0.0.1",  # deprecated IPv4-compatible
    # not addresses at all
    "", "localhost", "example.com", "999.1.1.1", "1.2.3", "::g",
]


@pytest.mark.parametrize("ip", PUBLIC)
def test_public_addresses(ip: str) -> None:
    assert is_public_address(ip)
    assert address_permitted(ip, allow_private=False)


@pytest.mark.parametrize("ip", NOT_PUBLIC)
def test_non_public_addresses(ip: str) -> None:
    assert not is_public_address(ip)
    assert not address_permitted(ip, allow_private=False)


def test_allow_private_permits_any_address_but_not_garbage() -> None:
    assert address_permitted("127.0.0.1", allow_private=True)
    assert address_permitted("169.254.169.254", allow_private=True)
    assert not address_permitted("not-an-ip", allow_private=True)


def test_allowed_networks_open_only_what_they_list() -> None:
    nets = parse_networks(["10.1.2.0/24", "fd00::1"])
    assert address_permitted("10.1.2.3", allow_private=False, allowed_networks=nets)
    assert address_permitted("::ffff:10.1.2.3", allow_private=False, allowed_networks=nets)
    assert address_permitted("fd00::1", allow_private=False, allowed_networks=nets)
    assert not address_permitted("10.1.3.1", allow_private=False, allowed_networks=nets)
    assert not address_permitted("fd00::2", allow_private=False, allowed_networks=nets)
    assert not address_permitted("169.254.169.254", allow_private=False, allowed_networks=nets)


def test_parse_networks_rejects_garbage() -> None:
    assert parse_networks([" 127.0.0.1 "]) == (ipaddress.ip_network("127.0.0.1/32"),)
    with pytest.raises(ValueError):
        parse_networks(["intranet"])


BLOCKED_URLS = [
    "http://127.0.0.1/",
    "http://127.0.0.1:8080/feed.xml",
    "http://[::1]/",
    "http://10.0.0.1:8080/feed",
    "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:a9fe:a9fe]/",  # mapped 169.254.169.254, in hex
    "http://[fe80::1%25eth0]/",
    "http://0.0.0.0/",
    "http://100.64.0.1/",
    # legacy IPv4 spellings that getaddrinfo accepts
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0x7f.1/",
    "http://127.1/",
    "http://017700000001/",
    "http://0251.0376.0251.0376/",  # 169.254.169.254 in octal
    "http://127.0.0.1./",  # trailing dots
    "http://[::1.]/",
    "http://0x7f.1./",
    # localhost names
    "http://localhost/",
    "https://localhost:8443/feed",
    "http://LOCALHOST./",
    "http://feeds.localhost/",
    "http://ip6-localhost/",
]


@pytest.mark.parametrize("url", BLOCKED_URLS)
def test_check_url_blocks_internal_hosts(url: str) -> None:
    with pytest.raises(BlockedAddressError) as info:
        check_url(url, allow_private=False)
    assert info.value.transient is False
    # allow_private lifts the address checks, not the URL checks
    check_url(url, allow_private=True)


@pytest.mark.parametrize("url", [
    "https://example.com/feed.xml",
    "http://news.example.org:8080/rss?lang=fr",
    "http://8.8.8.8/",
    "http://[2606:4700:4700::1111]/",
    "https://xn--actualits-b4a.example/",
    "http://localhost.example.com/",  # only the localhost names themselves are refused
    "http://0xcafe.example/",
])
def test_check_url_lets_public_urls_through(url: str) -> None:
    check_url(url, allow_private=False)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "ftp://example.com/feed.xml",
    "gopher://example.com/",
    "javascript:alert(1)",
    "example.com/feed.xml",
    "",
    "http:///no-host",
    "http://[::1",
])
def test_check_url_refuses_other_schemes_and_malformed_urls(url: str) -> None:
    for allow_private in (False, True):
        with pytest.raises(FetchError) as info:
            check_url(url, allow_private=allow_private)
        assert not isinstance(info.value, BlockedAddressError)


@pytest.mark.parametrize("url", [
    "http://user:hunter2@example.com/feed",
    "https://hunter2@example.com/feed",
    "http://:hunter2@example.com/",
])
def test_check_url_refuses_credentials_without_repeating_them(url: str) -> None:
    with pytest.raises(FetchError) as info:
        check_url(url, allow_private=True)
    assert "hunter2" not in str(info.value)
    assert "hunter2" not in info.value.url
    assert "example.com" in str(info.value)


def test_check_url_with_allowed_networks() -> None:
    nets = parse_networks(["127.0.0.1/32"])
    check_url("http://127.0.0.1:9000/feed", allow_private=False, allowed_networks=nets)
    with pytest.raises(BlockedAddressError):
        check_url("http://127.0.0.2:9000/feed", allow_private=False, allowed_networks=nets)
    # localhost names stay refused: the allowlist is about addresses
    with pytest.raises(BlockedAddressError):
        check_url("http://localhost:9000/feed", allow_private=False, allowed_networks=nets)


def test_redact_url_drops_credentials_only() -> None:
    assert redact_url("https://bob:secret@example.com/a?b=1") == "https://example.com/a?b=1"
    assert redact_url("https://example.com/a") == "https://example.com/a"


# -- the resolver ----------------------------------------------------------------


async def test_resolver_drops_non_public_addresses_from_mixed_answers() -> None:
    inner = StaticResolver({"mixed.example": ["10.0.0.1", "93.184.216.34", "fe80::1", "::1"]})
    guard = GuardedResolver(inner)
    results = await guard.resolve("mixed.example", 443)
    assert [r["host"] for r in results] == ["93.184.216.34"]
    assert results[0]["port"] == 443


async def test_resolver_refuses_names_with_only_internal_addresses() -> None:
    inner = StaticResolver({"rebind.example": ["169.254.169.254", "127.0.0.1"]})
    guard = GuardedResolver(inner)
    with pytest.raises(ResolutionBlockedError) as info:
        await guard.resolve("rebind.example", 80)
    # an OSError, so that aiohttp's connector reports it as a resolution failure
    assert isinstance(info.value, OSError)
    assert info.value.host == "rebind.example"
    assert info.value.addresses == ("169.254.169.254", "127.0.0.1")


async def test_resolver_allowlist_and_allow_private() -> None:
    inner = StaticResolver({"intranet.example": ["10.1.2.3", "10.9.9.9"]})
    guard = GuardedResolver(inner, allowed_networks=parse_networks(["10.1.2.0/24"]))
    assert [r["host"] for r in await guard.resolve("intranet.example")] == ["10.1.2.3"]
    everything = GuardedResolver(inner, allow_private=True)
    assert [r["host"] for r in await everything.resolve("intranet.example")] == [
        "10.1.2.3", "10.9.9.9",
    ]


async def test_resolver_passes_lookup_failures_through() -> None:
    guard = GuardedResolver(StaticResolver({}))
    with pytest.raises(OSError) as info:
        await guard.resolve("nowhere.invalid")
    assert not isinstance(info.value, ResolutionBlockedError)


async def test_default_resolver_guards_real_localhost() -> None:
    """With aiohttp's own resolver: the system resolves localhost to loopback."""
    guard = GuardedResolver()
    try:
        with pytest.raises(ResolutionBlockedError):
            await guard.resolve("localhost", 80)
        open_guard = GuardedResolver(allow_private=True)
        try:
            hosts = {r["host"] for r in await open_guard.resolve("localhost", 80)}
        finally:
            await open_guard.close()
        assert hosts and all(ipaddress.ip_address(h).is_loopback for h in hosts)
    finally:
        await guard.close()
