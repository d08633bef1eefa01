"""SSRF protection for feed URLs that Discord users add.

A user-supplied feed URL must not make casewatch fetch from its own network: loopback, private
ranges, link-local (cloud metadata at 169.254.169.254), CGNAT, multicast, reserved, and the same
ranges hidden inside IPv6 (IPv4-mapped, 6to4, NAT64, Teredo). :meth:`UrlGuard.check` runs before every
request and redirect hop; :class:`GuardedResolver` re-checks the addresses aiohttp actually connects
to, which defeats DNS rebinding between the check and the connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

Resolver = Callable[[str], Awaitable[Iterable[str]]]
"""Maps a host name to its IP address strings; tests pass a fake one instead of real DNS."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_ALLOWED_SCHEMES = frozenset({"http", "https"})
_BLOCKED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT, also Alibaba's metadata 100.100.100.200
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "fc00::/7",  # unique local, AWS metadata fd00:ec2::254
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
_LOCAL_NAME_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain")


class BlockedUrl(Exception):
    """The URL (or an address it resolves to) is not allowed to be fetched."""


class BlockedAddress(BlockedUrl, OSError):
    """Raised from the connection-time resolver; an OSError so aiohttp reports it as a connect error."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def blocked_reason(address: str | IPAddress) -> str | None:
    """Why ``address`` is off limits, or None when it is a public unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0] if isinstance(address, str) else address)
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = blocked_reason(inner)
            return f"{ip} embeds {reason}" if reason else None
    for network in _BLOCKED_NETWORKS:
        if ip in network:
            return f"{ip} is in the non-public range {network}"
    if (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    ):
        return f"{ip} is not a public address"
    return None


async def system_resolver(host: str) -> list[str]:
    """All addresses the system resolver gives for ``host``."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class UrlGuard:
    """Decides whether a URL may be fetched (http/https to public addresses only).

    ``allowed_hosts`` (exact names, or ``.example.org`` for a domain and its subdomains) bypass the
    address checks; ``allow_private=True`` keeps only the scheme check.
    """

    def __init__(
        self,
        allow_private: bool = False,
        allowed_hosts: Iterable[str] = (),
        resolver: Resolver | None = None,
    ) -> None:
        self.allow_private = allow_private
        self._allowed = frozenset(h.strip().lower().rstrip(".") for h in allowed_hosts if h.strip())
        self._resolver = resolver
        self.custom_resolver = resolver is not None

    def is_allowed_host(self, host: str) -> bool:
        host = host.lower().rstrip(".").strip("[]")
        if host in self._allowed:
            return True
        return any(a.startswith(".") and (host.endswith(a) or host == a[1:]) for a in self._allowed)

    async def resolve(self, host: str) -> list[str]:
        """Addresses for ``host`` from the configured resolver (the system's by default)."""
        if self._resolver is None:
            return await system_resolver(host)
        return [str(a) for a in await self._resolver(host)]

    def check_addresses(self, host: str, addresses: Iterable[str]) -> None:
        """Raise :class:`BlockedAddress` if any address of ``host`` is off limits."""
        if self.allow_private or self.is_allowed_host(host):
            return
        for address in addresses:
            reason = blocked_reason(address)
            if reason:
                raise BlockedAddress(f"{host} resolves to a blocked address: {reason}")

    async def check(self, url: str) -> None:
        """Raise :class:`BlockedUrl` with a clear reason unless ``url`` may be fetched.

        Every resolved address must be public (a name with one private address is refused). A DNS
        failure is not a policy decision: it surfaces as ``OSError`` (``socket.gaierror``).
        """
        try:
            parts = urlsplit(url)
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError for a malformed port
        except ValueError as exc:
            raise BlockedUrl(f"malformed URL: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in _ALLOWED_SCHEMES:
            raise BlockedUrl(f"scheme {scheme or '(none)'!r} is not allowed, only http and https")
        if not host:
            raise BlockedUrl("URL has no host")
        if self.allow_private or self.is_allowed_host(host):
            return
        try:
            literal = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            literal = None
        if literal is not None:
            reason = blocked_reason(literal)
            if reason:
                raise BlockedUrl(f"blocked address: {reason}")
            return
        name = host.rstrip(".")
        if name == "localhost" or name.endswith(_LOCAL_NAME_SUFFIXES):
            raise BlockedUrl(f"host {host!r} is a local name")
        addresses = await self.resolve(name)
        if not addresses:
            raise BlockedUrl(f"host {host!r} has no addresses")
        try:
            self.check_addresses(host, addresses)
        except BlockedAddress as exc:
            raise BlockedUrl(str(exc)) from None


class GuardedResolver(AbstractResolver):
    """aiohttp resolver that refuses blocked addresses at connection time (DNS rebinding).

    Resolves with the guard's resolver when it has one (so tests can fake DNS), else with aiohttp's
    threaded system resolver.
    """

    def __init__(self, guard: UrlGuard) -> None:
        self._guard = guard
        self._system = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if self._guard.custom_resolver:
            results: list[ResolveResult] = []
            for address in await self._guard.resolve(host):
                ip = ipaddress.ip_address(address.split("%", 1)[0])
                if family == socket.AF_INET6 and ip.version == 4:
                    continue
                if family == socket.AF_INET and ip.version == 6:
                    continue
                results.append(
                    ResolveResult(
                        hostname=host,
                        host=str(ip),
                        port=port,
                        family=socket.AF_INET6 if ip.version == 6 else socket.AF_INET,
                        proto=0,
                        flags=socket.AI_NUMERICHOST,
                    )
                )
            if not results:
                raise OSError(f"no addresses for {host}")
        else:
            results = await self._system.resolve(host, port, family)
        self._guard.check_addresses(host, (r["host"] for r in results))
        return results

    async def close(self) -> None:
        await self._system.close()


def find_blocked(exc: BaseException) -> BlockedUrl | None:
    """The :class:`BlockedUrl` behind an aiohttp connection error, if that is what caused it."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, BlockedUrl):
            return current
        seen.add(id(current))
        current = getattr(current, "os_error", None) or current.__cause__ or current.__context__
    return None
