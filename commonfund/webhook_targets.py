"""Where webhooks may be sent: public addresses only, unless the operator allows a host (issue #12).

Otherwise a regulator's URL could name the service itself, its database or
the intranet, and the delivery list (status code, failure) would tell what
answers there: a port scanner. A URL is checked at registration and again at
every delivery. Its host is read the way the resolver reads it (decimal
``2130706433``, octal ``0177.0.0.1``, hex ``0x7f.1``, short ``127.1``, IPv6,
IPv4-mapped …: ``socket.inet_aton`` and ``getaddrinfo`` are what the
connection itself would use), and every address a name resolves to must be
public. The delivery then connects to the very address that was checked
(``Target.address``), so a name that resolves inside a moment later (DNS
rebinding) changes nothing. Redirects are never followed (commonfund/webhooks.py).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from api.ports import Failure

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], list[str]]

# what ipaddress's flags leave out, or leave to the Python version: shared address space
# (carrier NAT), unique-local, and IPv6 forms that carry an IPv4 address inside them
SHARED = ipaddress.ip_network("100.64.0.0/10")
UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def system_resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to for a TCP connection, as the connection would ask."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def literal(host: str) -> Address | None:
    """The address ``host`` spells, in any spelling the C resolver takes; None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not host or not all(c.isalnum() or c == "." for c in host):
        return None
    try:  # 2130706433, 0177.0.0.1, 0x7f.0.0.1, 127.1: what getaddrinfo would connect to
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _embedded(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, compatible, 6to4, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64 or (address in IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def inside(address: Address) -> str | None:
    """What kind of non-public address this is ("loopback", "private" …), or None if public."""
    embedded = _embedded(address)
    return (_kind(embedded) if embedded is not None else None) or _kind(address)


def _kind(address: Address) -> str | None:
    flags = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address in UNIQUE_LOCAL, "unique-local"),
        (isinstance(address, ipaddress.IPv6Address) and address.is_site_local, "site-local"),
        (address.is_multicast, "multicast"),
        (address in SHARED, "shared"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "not public"),
    )
    return next((kind for flagged, kind in flags if flagged), None)


class TargetRefused(Exception):
    """Webhooks are not sent to this URL."""

    def __init__(self, failure: Failure, reason: str) -> None:
        self.failure = failure  # what the delivery records: address_refused, https_required …
        self.reason = reason  # a sentence for the regulator (registration) or the log
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL: the name it gives (Host header, TLS SNI) and the address to connect to."""

    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    address: str


class Targets:
    """The operator's policy: public addresses only, https unless not required, allowed hosts."""

    def __init__(
        self,
        allowed_hosts: Iterable[str] = (),
        *,
        require_https: bool = True,
        resolve: Resolve = system_resolve,
    ) -> None:
        self.allowed = frozenset(_normal(h) for h in allowed_hosts)
        self.require_https = require_https
        self.resolve = resolve

    def refusal(self, url: str) -> str | None:
        """Why webhooks are never sent to ``url``, or None (the API's check at registration)."""
        try:
            self.target(url)
        except TargetRefused as refused:
            return refused.reason
        return None

    def target(self, url: str) -> Target:
        """Where to connect for ``url``: every address checked, the first one pinned."""
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise TargetRefused("address_refused", "the URL's port is not a number") from None
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https") or not host:
            raise TargetRefused("address_refused", "only http:// and https:// URLs with a host")
        if self.require_https and parts.scheme != "https":
            raise TargetRefused(
                "https_required", "webhooks are delivered over https only (须使用 https)"
            )
        path = parts.path or "/"
        path += f"?{parts.query}" if parts.query else ""
        spelled = literal(host)
        addresses = [str(spelled)] if spelled is not None else self._lookup(host, port)
        if _normal(host) not in self.allowed:
            for address in addresses:
                kind = inside(ipaddress.ip_address(address))
                if kind is not None:
                    verb = "is" if spelled is not None else "resolves to"
                    raise TargetRefused(
                        "address_refused",
                        f"{host} {verb} a non-public address ({kind}): webhooks go to public"
                        " addresses only (不向本机、内网或保留地址发送)",
                    )
        return Target(parts.scheme, host, port, path, addresses[0])

    def _lookup(self, host: str, port: int) -> list[str]:
        try:
            addresses = self.resolve(host, port)
        except (OSError, UnicodeError):
            addresses = []
        if not addresses:
            raise TargetRefused("dns_failure", f"{host} does not resolve (域名无法解析)")
        return addresses


def _normal(host: str) -> str:
    """A host as the allow list compares it: lower case, an address in its standard spelling."""
    host = host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
    spelled = literal(host)
    return str(spelled) if spelled is not None else host
