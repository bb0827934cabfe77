"""SSRF rules: which URLs may be fetched and which IP addresses may be connected to.

By default only http(s) URLs whose host resolves to a globally routable address
are fetched: loopback, private, link-local, shared (CGNAT), multicast, reserved
and unspecified addresses are refused, including IPv4 addresses hidden inside
IPv6 (mapped, 6to4, Teredo, NAT64). An allowlist of host names and IP networks
(`DIGEST_WEB_ALLOWLIST`) lets tests and intranet deployments through.

Two checks, both here: `check_url` refuses a URL before any request (scheme,
host, literal IP), and `Policy.resolve` turns a host name into the addresses
the connection may use. The guarded network backend (fetch.py) connects only to
those addresses, so the name is resolved once and the connection goes to the
address that was checked (no DNS-rebinding gap).

`canonical_url` is the address's identity for de-duplication: the same page given
with other tracking parameters or another #fragment is one page.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from service.errors import ConfigError
from service.web.failures import FetchFailure

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]
"""(host, port) -> IP address strings; the default asks the system resolver."""

_LABEL = r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?"
_HOSTNAME = re.compile(rf"^(\*\.)?{_LABEL}(\.{_LABEL})*$")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SCHEMES = ("http", "https")
_TRACKING = frozenset(
    {"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "fbclid", "gclid"}
)


def _blocked(address: IPAddress) -> bool:
    """True when the address is not a public unicast one (or hides one that is not)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address.teredo:
            embedded = address.teredo[1]
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and _blocked(embedded):
            return True
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


@dataclass(frozen=True)
class Policy:
    """The SSRF rules plus the allowlist; `resolve` is the only way to a connectable address."""

    hosts: tuple[str, ...] = ()
    networks: tuple[IPNetwork, ...] = ()
    resolver: Resolver | None = None

    @classmethod
    def from_allowlist(cls, entries: Sequence[str], resolver: Resolver | None = None) -> Policy:
        """Parse allowlist entries (host names, `*.suffix`, IPs, CIDRs); ConfigError if invalid."""
        hosts: list[str] = []
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip().lower().strip("[]")
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if not _HOSTNAME.match(entry):
                raise ConfigError(
                    f"invalid DIGEST_WEB_ALLOWLIST entry {raw!r}",
                    hint="use host names (news.intranet), *.suffix, IPs or CIDRs (10.0.0.0/8)",
                )
            hosts.append(entry)
        return cls(tuple(hosts), tuple(networks), resolver)

    def host_allowed(self, host: str) -> bool:
        """An allowlisted name may resolve to any address, private ones included."""
        host = host.lower().rstrip(".")
        return any(
            host == entry or (entry.startswith("*.") and host.endswith(entry[1:]))
            for entry in self.hosts
        )

    def address_allowed(self, address: IPAddress) -> bool:
        if any(address in network for network in self.networks):
            return True
        return not _blocked(address)

    def check_url(self, url: str) -> httpx.URL:
        """Refuse a URL before any request: its scheme, its host, a literal IP host."""
        try:
            parsed = httpx.URL(url.strip())
        except (httpx.InvalidURL, TypeError) as exc:
            raise FetchFailure("invalid_url", f"not a valid web address: {exc}") from exc
        if parsed.scheme not in _SCHEMES:
            if not parsed.scheme:
                raise FetchFailure("invalid_url", "not a web address: give an http(s):// URL")
            raise FetchFailure("blocked_address", _scheme_detail(url.strip(), parsed.scheme))
        if not parsed.host:
            raise FetchFailure("invalid_url", "the URL has no host name")
        literal = _literal_ip(parsed.host)
        if literal is not None and not self.host_allowed(parsed.host):
            if not self.address_allowed(literal):
                raise FetchFailure("blocked_address", blocked_detail(parsed.host))
        return parsed

    async def resolve(self, host: str, port: int) -> list[str]:
        """The addresses a connection to host:port may use; FetchFailure if none is allowed."""
        literal = _literal_ip(host)
        if literal is not None:
            candidates = [str(literal)]
        else:
            try:
                candidates = await (self.resolver or _system_resolver)(host, port)
            except OSError as exc:
                raise FetchFailure(
                    "connection_error", f"the host name {host!r} could not be resolved"
                ) from exc
        if self.host_allowed(host):
            return candidates
        allowed = [a for a in candidates if self.address_allowed(ipaddress.ip_address(a))]
        if not allowed:
            raise FetchFailure("blocked_address", blocked_detail(host))
        return allowed


def _scheme_detail(url: str, scheme: str) -> str:
    """Why an address of another scheme is not fetched, in its own terms: "urn:1" or
    "mailto:..." names no page at all (it had read "urn:// addresses are never fetched",
    an address no one wrote); "ftp://..." is one that is never fetched."""
    if url[len(scheme) + 1 :].startswith("//"):
        return f"{scheme}:// addresses are never fetched; only http and https are"
    return (
        f"not a web address: a {scheme}: name points to no page to fetch; give the story's "
        "http(s):// link"
    )


def blocked_detail(host: str) -> str:
    return (
        f"{host} is a private, loopback or otherwise internal address, which is never fetched "
        "(an operator can permit it with DIGEST_WEB_ALLOWLIST)"
    )


async def _system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0]).split("%")[0]
        if address not in addresses:
            addresses.append(address)
    return addresses


def canonical_url(url: str) -> str:
    """`url` without tracking parameters and #fragment, so one page is fetched once.

    The other parameters keep their order and spelling (a site may depend on
    either); an address that cannot be split is returned as given.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    kept = [p for p in parts.query.split("&") if p.split("=", 1)[0].lower() not in _TRACKING]
    return urlunsplit(parts._replace(query="&".join(kept), fragment=""))
