"""Which URLs sellers may register, and which addresses a delivery may connect to.

A webhook URL is a request the system makes on a seller's behalf, from inside our network: it
must never reach our own infrastructure (instance metadata at 169.254.169.254, VPC-internal
services, localhost). So, deployed:

* only ``https://`` URLs, at most 2,048 characters, no credentials in them;
* the host's addresses, after DNS resolution, must all be public: private (10/8, 172.16/12,
  192.168/16), loopback, link-local (169.254/16, fe80::/10), unique-local (fc00::/7), shared
  (100.64/10), multicast, reserved and unspecified addresses are refused, IPv4-mapped IPv6
  addresses judged by their IPv4 address;
* the check runs when the URL is registered (a 400) and again at every delivery, after a fresh
  DNS resolution, and the request goes to the address that was checked (a DNS answer that
  changes between check and connection cannot point it elsewhere).

The local stack allows loopback addresses, over http too (``WEBHOOK_ALLOW_LOOPBACK``, off in
the template), so its sandbox receiver on 127.0.0.1 can be registered.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from sellerjobs.errors import Invalid

MAX_URL_LENGTH = 2048
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(Invalid):
    def __init__(self, message: str) -> None:
        super().__init__(message, field="url")


@dataclass(frozen=True)
class Target:
    """A URL taken apart: where a delivery connects."""

    url: str
    scheme: str
    host: str
    port: int


@dataclass(frozen=True)
class EndpointPolicy:
    allow_loopback: bool = False

    def target(self, url: str) -> Target:
        """The URL's parts, or ``UrlRefused`` naming what is wrong with it (before any DNS)."""
        if len(url) > MAX_URL_LENGTH:
            raise UrlRefused(f"url must be at most {MAX_URL_LENGTH} characters long")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise UrlRefused(f"url is not a valid URL: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in ("https", "http"):
            raise UrlRefused("url must be an https:// URL")
        if not parts.hostname:
            raise UrlRefused("url must name a host")
        if parts.username is not None or parts.password is not None:
            raise UrlRefused("url must not carry credentials")
        host = parts.hostname.lower()
        if scheme == "http" and not self.allow_loopback:
            raise UrlRefused("url must be an https:// URL")
        literal = _literal(host)
        if literal is not None and not self.allowed(literal):
            raise UrlRefused(f"url points at {literal}, which is not a public address")
        return Target(url=url, scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80))

    def allowed(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if self.allow_loopback and address.is_loopback:
            return True
        return (address.is_global and not address.is_multicast and not address.is_reserved
                and not address.is_unspecified)

    def check(self, target: Target, addresses: list[str]) -> list[Address]:
        """The host's resolved addresses, if every one may be reached; ``UrlRefused`` otherwise.

        All of them, not any: a name that also resolves to a private address could be answered
        with that one at connection time.
        """
        if not addresses:
            raise UrlRefused(f"url's host {target.host} does not resolve")
        parsed = [ipaddress.ip_address(a.split("%", 1)[0]) for a in addresses]
        refused = [a for a in parsed if not self.allowed(a)]
        if refused:
            raise UrlRefused(f"url's host {target.host} resolves to {refused[0]}, which is not a public address")
        if target.scheme == "http" and not all(a.is_loopback or (isinstance(a, ipaddress.IPv6Address)
                                                                 and a.ipv4_mapped is not None
                                                                 and a.ipv4_mapped.is_loopback) for a in parsed):
            raise UrlRefused("url must be an https:// URL (http is allowed for loopback addresses only)")
        return parsed


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
