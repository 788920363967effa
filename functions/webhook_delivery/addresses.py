"""Which endpoint URLs the dispatcher may call: well-formed, HTTPS when required, and resolving only to
public addresses (SSRF protection), unless a network is explicitly allowed.

A subscriber's URL is attacker-controlled input: without this check a subscription to
``http://169.254.169.254/latest/meta-data/`` or ``http://10.0.0.5/admin`` makes the dispatcher fetch
from inside the network. The check runs when an endpoint is registered and again, on the resolved
addresses, before every attempt (a DNS answer can change: rebinding), and the connection is made to
the address that was checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from functions.common.errors import InvalidInput

MAX_URL_LENGTH = 2048
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


class RefusedAddress(InvalidInput):
    """The URL's host is, or resolves to, an address the dispatcher must not call."""


@dataclass(frozen=True)
class Target:
    """A parsed endpoint URL: ``scheme`` (http/https), ``host``, ``port``, ``path`` (with the query)."""

    scheme: str
    host: str
    port: int
    path: str


def parse_url(url: object, require_https: bool) -> Target:
    """The URL's parts, or :class:`InvalidInput` saying what is wrong with it."""
    if not isinstance(url, str) or not url:
        raise InvalidInput("'url' must be a non-empty string")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"'url' is {len(url)} characters; the maximum is {MAX_URL_LENGTH}")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise InvalidInput("'url' must not contain whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"'url' is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput(f"'url' must be an http(s) URL, got scheme {parts.scheme!r}")
    if require_https and parts.scheme != "https":
        raise InvalidInput("'url' must use https")
    if not parts.hostname:
        raise InvalidInput("'url' has no host")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("'url' must not carry credentials (user:password@)")
    if parts.fragment:
        raise InvalidInput("'url' must not have a fragment (#...)")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def networks(cidrs: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs]


def _address(text: str) -> IpAddress:
    address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return address


def check_address(text: str, allowed: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> IpAddress:
    """``text`` as an address if it is public or inside an allowed network, else :class:`RefusedAddress`."""
    address = _address(text)
    if any(address in network for network in allowed):
        return address
    if not address.is_global or address.is_multicast:
        kind = ("loopback" if address.is_loopback else "link-local (cloud metadata)" if address.is_link_local
                else "private" if address.is_private else "not public")
        raise RefusedAddress(f"'url' resolves to {address}, a {kind} address the dispatcher does not call")
    return address


def system_resolver(host: str, port: int) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def resolve(target: Target, allowed_cidrs: Sequence[str], resolver: Resolver = system_resolver) -> list[IpAddress]:
    """Every address ``target.host`` resolves to, all checked; any refused one refuses the URL."""
    allowed = networks(allowed_cidrs)
    try:
        literal = _address(target.host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        return [check_address(str(literal), allowed)]
    try:
        found = resolver(target.host, target.port)
    except (OSError, UnicodeError) as exc:
        raise InvalidInput(f"'url' host {target.host!r} does not resolve: {exc}") from None
    if not found:
        raise InvalidInput(f"'url' host {target.host!r} does not resolve")
    return [check_address(text, allowed) for text in found]
