"""POSTing a webhook to a seller's endpoint, and resolving its host.

The request goes to the address the policy checked (``address``), not to whatever the host name
resolves to at connection time: the URL's host is replaced by that address, the ``Host`` header
and (for https) the TLS server name keep the original name, so the certificate is still verified
against it. Redirects are never followed (a 3xx is a failed attempt), and at most 64 KiB of the
answer is read: an endpoint cannot make us download anything big.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

import httpx

from sellerjobs.webhooks.ports import Answer

MAX_ANSWER_BYTES = 64 * 1024


@dataclass
class HttpxWebhookSender:
    client: httpx.Client = field(default_factory=lambda: httpx.Client(follow_redirects=False, trust_env=False))

    def post(self, url: str, address: str, headers: Mapping[str, str], body: bytes, timeout_s: float) -> Answer:
        parts = urlsplit(url)
        host = parts.hostname or ""
        literal = f"[{address}]" if ipaddress.ip_address(address).version == 6 else address
        netloc = literal + (f":{parts.port}" if parts.port else "")
        pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        host_header = host + (f":{parts.port}" if parts.port else "")
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        request = self.client.build_request("POST", pinned, content=body, timeout=httpx.Timeout(timeout_s),
                                            headers={**headers, "host": host_header}, extensions=extensions)
        try:
            response = self.client.send(request, stream=True)
        except httpx.TimeoutException:
            return Answer(status=None, error=f"no answer within {timeout_s:g} s")
        except httpx.HTTPError as exc:
            return Answer(status=None, error=f"could not reach the endpoint: {type(exc).__name__}")
        try:
            read = 0
            for chunk in response.iter_raw():
                read += len(chunk)
                if read >= MAX_ANSWER_BYTES:
                    break
        except (httpx.HTTPError, httpx.StreamError):
            pass  # the status is what counts; a broken (or already read) body changes nothing
        finally:
            response.close()
        return Answer(status=response.status_code)


@dataclass
class SocketResolver:
    def resolve(self, host: str, port: int) -> list[str]:
        try:
            return [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            pass
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError):
            return []
        return list(dict.fromkeys(str(info[4][0]) for info in found))
