"""The address guard: Vigie never fetches internal addresses unless told to.

Feed URLs come from chat users and from redirects chosen by remote servers,
so without a guard the bot could be made to fetch ``http://169.254.169.254/``
(cloud metadata), ``http://localhost:6379/`` or an intranet host and echo
what it finds (server-side request forgery).

Two layers:

* :func:`check_url` refuses, before any connection, URLs whose host is a
  literal non-public IP address (in any spelling the C library accepts, such
  as ``2130706433`` or ``0x7f.1``) or a ``localhost`` name, as well as
  non-HTTP schemes and URLs carrying credentials.
* :class:`GuardedResolver` sits inside aiohttp's connector and drops every
  non-public address a host name resolves to. The connector connects only to
  the addresses the resolver returns, so DNS rebinding (a name that resolves
  to a public address when checked and a private one when used) and
  redirects to internal names are refused at connect time.

``allow_private`` turns the address checks off (tests, trusted intranet
deployments); ``allowed_networks`` lets a deployment permit a few internal
networks while keeping the guard for everything else.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Iterable, Sequence

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from bot.exceptions import BlockedAddressError, FetchError, ResolutionBlockedError

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Networks that are never "public", whatever the Python version's
#: ``ipaddress`` thinks (its ``is_global`` changed across releases).
_BLOCKED_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        # IPv4
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, including the 169.254.169.254 metadata service
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, including 255.255.255.255
        # IPv6 (IPv4-mapped, NAT64 and 6to4 addresses are judged by the IPv4
        # address they embed, before this list is consulted)
        "::/96",  # unspecified, loopback and deprecated IPv4-compatible
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, including Teredo
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "fc00::/7",  # unique-local (fd00:ec2::254 is the AWS metadata service)
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

#: Host names that always mean "this machine" (RFC 6761 reserves ``.localhost``).
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})

_ALLOWED_SCHEMES = frozenset({"http", "https"})


def parse_address(ip: str) -> IPAddress | None:
    """Parse an IP address (IPv6 may carry a ``%zone``); None if ``ip`` is not one."""
    try:
        return ipaddress.ip_address(ip)
    except ValueError:
        return None


def _unwrap(addr: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address stands for, when it embeds one.

    IPv4-mapped (``::ffff:a.b.c.d``), NAT64 (``64:ff9b::a.b.c.d``) and 6to4
    (``2002:AABB:CCDD::``) addresses all end up at the embedded IPv4 address.
    """
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return addr.ipv4_mapped
        if addr in _NAT64:
            return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if addr.sixtofour is not None:
            return addr.sixtofour
    return addr


def _is_public(addr: IPAddress) -> bool:
    addr = _unwrap(addr)
    if any(addr in net for net in _BLOCKED_NETWORKS if net.version == addr.version):
        return False
    if (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
        or (isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local)
    ):
        return False
    return addr.is_global


def is_public_address(ip: str) -> bool:
    """Whether ``ip`` is a globally routable unicast address Vigie may fetch from.

    False for private, loopback, link-local (hence cloud metadata), multicast,
    reserved, unspecified, carrier-grade NAT, documentation, unique-local and
    site-local addresses, for IPv6 addresses embedding such an IPv4 address
    (mapped, NAT64, 6to4), and for strings that are not IP addresses.
    Never raises.
    """
    addr = parse_address(ip)
    return addr is not None and _is_public(addr)


def parse_networks(networks: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Parse CIDR strings (``"10.1.2.0/24"``, ``"fd00::1"``) for ``allowed_networks``.

    Raises:
        ValueError: if one is not an IP network.
    """
    return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in networks)


def address_permitted(
    ip: str, *, allow_private: bool, allowed_networks: Sequence[IPNetwork] = ()
) -> bool:
    """Whether the guard lets Vigie connect to ``ip``.

    True when ``allow_private`` is set, when ``ip`` is public, or when it lies
    in one of ``allowed_networks`` (an IPv4-mapped address counts as its IPv4
    address). Never raises; a string that is not an address is refused.
    """
    addr = parse_address(ip)
    if addr is None:
        return False
    if allow_private:
        return True
    plain = _unwrap(addr)
    for candidate in (addr, plain):
        # A zone id would make the address compare unequal to everything.
        if isinstance(candidate, ipaddress.IPv6Address) and candidate.scope_id:
            candidate = ipaddress.IPv6Address(str(candidate).split("%", 1)[0])
        if any(candidate in net for net in allowed_networks if net.version == candidate.version):
            return True
    return _is_public(addr)


def _literal_address(host: str) -> IPAddress | None:
    """The address a URL host denotes literally, in any spelling the C library accepts.

    ``inet_aton`` accepts legacy IPv4 forms (``2130706433``, ``0x7f.1``,
    ``127.1``, octal parts) that ``getaddrinfo`` would also turn into an
    address, so they must be judged as addresses too.
    """
    # A trailing dot ("127.0.0.1.") is still the address to the C library.
    host = host.rstrip(".")
    addr = parse_address(host)
    if addr is not None:
        return addr
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _is_local_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name in _LOCAL_NAMES or name.endswith(".localhost")


def redact_url(url: URL | str) -> str:
    """The URL without user name and password, for messages and logs. Never raises."""
    try:
        parsed = url if isinstance(url, URL) else URL(url)
        if parsed.user is not None or parsed.password is not None:
            parsed = parsed.with_user(None)
        return str(parsed)
    except (ValueError, TypeError):
        return "<invalid URL>"


def check_url_parsed(
    url: URL, *, allow_private: bool, allowed_networks: Sequence[IPNetwork] = ()
) -> None:
    """:func:`check_url` for an already parsed URL (the fetcher checks every redirect hop)."""
    shown = redact_url(url)
    if url.scheme not in _ALLOWED_SCHEMES:
        raise FetchError(shown, "only http and https URLs can be fetched")
    if url.user is not None or url.password is not None:
        raise FetchError(shown, "URLs with a user name or password are not supported")
    host = url.raw_host
    if not host:
        raise FetchError(shown, "the URL has no host")
    if allow_private:
        return
    if _is_local_name(host):
        raise BlockedAddressError(shown, f"refusing to fetch the local host ({host})")
    addr = _literal_address(host)
    if addr is not None and not address_permitted(
        str(addr), allow_private=False, allowed_networks=allowed_networks
    ):
        raise BlockedAddressError(shown, f"refusing to fetch a non-public address ({addr})")


def check_url(
    url: str, *, allow_private: bool, allowed_networks: Sequence[IPNetwork] = ()
) -> None:
    """Refuse a URL Vigie must not fetch, before any connection is made.

    Host names other than ``localhost`` names are not resolved here: the
    fetcher's :class:`GuardedResolver` judges their addresses at connect time.

    Raises:
        FetchError: if the URL is malformed, its scheme is not http(s), it has
            no host, or it carries a user name or password.
        BlockedAddressError: unless ``allow_private``, if the host is a
            literal non-public IP address outside ``allowed_networks``, or a
            ``localhost`` name.
    """
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        raise FetchError(redact_url(url), "invalid URL") from None
    check_url_parsed(parsed, allow_private=allow_private, allowed_networks=allowed_networks)


class GuardedResolver(AbstractResolver):
    """A resolver that returns only the addresses the guard permits.

    Wraps ``resolver`` (when None, aiohttp's default resolver, which must then
    be created inside a running loop and is closed with this one). Addresses that are not
    permitted are dropped; when none remains, :meth:`resolve` raises
    :class:`~bot.exceptions.ResolutionBlockedError`.
    """

    def __init__(
        self,
        resolver: AbstractResolver | None = None,
        *,
        allow_private: bool = False,
        allowed_networks: Sequence[IPNetwork] = (),
    ) -> None:
        self._owns_inner = resolver is None
        self._inner: AbstractResolver = resolver if resolver is not None else DefaultResolver()
        self._allow_private = allow_private
        self._allowed_networks = tuple(allowed_networks)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Resolve ``host`` and keep the permitted addresses.

        Raises:
            ResolutionBlockedError: if every address is refused.
            OSError: whatever the wrapped resolver raises (name not found …).
        """
        results = await self._inner.resolve(host, port, family)
        if self._allow_private:
            return results
        kept = [r for r in results if self._permitted(r)]
        if len(kept) < len(results):
            log.debug(
                "address guard dropped %d of %d addresses of %s",
                len(results) - len(kept), len(results), host,
            )
        if not kept and results:
            raise ResolutionBlockedError(host, [r["host"] for r in results])
        return kept

    def _permitted(self, result: ResolveResult) -> bool:
        return address_permitted(
            result["host"], allow_private=False, allowed_networks=self._allowed_networks
        )

    async def close(self) -> None:
        if self._owns_inner:
            await self._inner.close()
