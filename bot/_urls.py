"""URL canonicalisation: one spelling per article, so that duplicates are seen.

Only changes that keep the URL pointing at the same resource are made:
scheme and host case, default port, fragment, tracking parameters, empty
path, IDN host, percent-escape case. Everything else (path case, parameter
order, trailing slashes) is kept, because servers may tell those apart.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

__all__ = ["canonicalize_url", "is_http_url"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())

_DEFAULT_PORTS = {"http": 80, "https": 443}

#: Query parameters that only track the reader (compared case-insensitively).
TRACKING_PARAMS = _words(
    """
    fbclid gclid gclsrc dclid gbraid wbraid msclkid yclid igshid twclid ttclid
    li_fat_id mc_cid mc_eid mkt_tok _hsenc _hsmi __hstc __hssc __hsfp
    hsctatracking ref_src ref_url _ga _gl srsltid oly_anon_id oly_enc_id
    rb_clickid s_cid vero_conv vero_id wickedid xtor at_medium at_campaign
    at_source at_format at_link at_creation ito ns_campaign ns_mchannel
    ns_source ns_linkname ns_fee cmpid spm scid sr_share
    """
)
#: Parameter-name prefixes that only track the reader.
TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hmb_", "ga_")

# Characters left as they are in a path or query; everything else (spaces,
# non-ASCII) is percent-encoded as UTF-8. "%" is kept so that existing escapes
# are neither decoded nor double-encoded.
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
_SAFE_QUERY = _SAFE_PATH + "?"
_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")
_NEEDS_QUOTE = {
    safe: re.compile("[^A-Za-z0-9" + re.escape(safe) + "]") for safe in (_SAFE_PATH, _SAFE_QUERY)
}

try:  # aiohttp's dependency; implements IDNA 2008 with UTS 46 mapping
    import idna as _idna
except ImportError:  # pragma: no cover - the stdlib codec (IDNA 2003) is the fallback
    _idna = None  # type: ignore[assignment]


def _upper_escape(match: re.Match[str]) -> str:
    return match.group().upper()


def _encode(part: str, safe: str) -> str:
    """Percent-encode what must be, and upper-case existing escapes."""
    if _NEEDS_QUOTE[safe].search(part):
        part = quote(part, safe=safe)
    if "%" in part:
        part = _ESCAPE.sub(_upper_escape, part)
    return part


def _is_tracking(name: str) -> bool:
    key = unquote(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _idna_host(host: str) -> str:
    """The host in lower case, internationalised labels in punycode."""
    host = host.lower()
    if host.isascii():
        return host
    if _idna is not None:
        try:
            return str(_idna.encode(host, uts46=True).decode("ascii"))
        except (_idna.IDNAError, UnicodeError, ValueError):
            pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def canonicalize_url(url: str) -> str:
    """Return the canonical spelling of ``url``.

    Lower-cases scheme and host, drops the default port, the fragment and
    tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_*``, …), keeps
    the other parameters in their order, turns an empty path into ``/``,
    encodes an internationalised host in punycode and upper-cases percent
    escapes. Idempotent: canonicalising a canonical URL changes nothing.
    A string that is not a URL with a host comes back stripped but otherwise
    as given. Never raises.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if not parts.netloc or parts.hostname is None:
        return url
    host = _idna_host(parts.hostname)
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host
    if port is not None and _DEFAULT_PORTS.get(scheme) != port:
        netloc = f"{host}:{port}"
    if "@" in parts.netloc:
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{netloc}"
    path = _encode(parts.path, _SAFE_PATH) or "/"
    query = ""
    if parts.query:
        kept = [p for p in parts.query.split("&") if p and not _is_tracking(p.split("=", 1)[0])]
        query = _encode("&".join(kept), _SAFE_QUERY)
    return urlunsplit((scheme, netloc, path, query, ""))


def is_http_url(url: str) -> bool:
    """Whether ``url`` is an absolute ``http``/``https`` URL with a host. Never raises."""
    if not isinstance(url, str):
        return False
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    # A space in the path is tolerated (canonicalize_url encodes it), not in the host.
    return (
        parts.scheme.lower() in ("http", "https")
        and bool(parts.hostname)
        and not any(c.isspace() for c in parts.netloc)
    )
