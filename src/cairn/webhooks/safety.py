"""Where a webhook may send: http(s) URLs whose host is a public address. Loopback, private, link-local and
other non-global addresses are refused unless CAIRN_WEBHOOK_ALLOW_PRIVATE=1: a webhook must not become a way
for a repository admin to reach the cairn host's own network (its metadata service, a database, an admin port).
The address is checked when the webhook is saved and on every delivery, and the delivery connects to the very
address that was checked (delivery.py), so a DNS answer that changes in between cannot slip past."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


class UnsafeUrl(ValueError):
    """Why the URL may not be called (the message a 400 or a delivery's error shows)."""


def parse(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an absolute http(s) URL; UnsafeUrl otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeUrl(f"The URL is not valid: {error}.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeUrl("The URL must be http or https.")
    if not parts.hostname:
        raise UnsafeUrl("The URL must name a host.")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def refused(address: str, allow_private: bool) -> str | None:
    """Why an IP address may not be called, or None."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_multicast or ip.is_unspecified:
        return f"{ip} is not an address a webhook can call"
    if not ip.is_global and not allow_private:
        kind = ("a loopback" if ip.is_loopback else "a link-local" if ip.is_link_local
                else "a private" if ip.is_private else "a reserved")
        return f"{ip} is {kind} address (CAIRN_WEBHOOK_ALLOW_PRIVATE=1 allows it)"
    return None


async def resolve(host: str, port: int) -> list[str]:
    """The host's addresses (a literal address is its own); OSError when it cannot be resolved."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


async def checked_address(url: str, allow_private: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, the address to connect to) once every address the host resolves to is allowed;
    UnsafeUrl when one is not, OSError when the host cannot be resolved."""
    scheme, host, port = parse(url)
    addresses = await resolve(host, port)
    for address in addresses:
        reason = refused(address, allow_private)
        if reason:
            raise UnsafeUrl(f"The URL's host {host} resolves to {reason}." if address != host
                            else f"The URL's host {reason}.")
    return scheme, host, port, addresses[0]
