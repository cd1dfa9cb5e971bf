"""Webhook safety (the SSRF class of MLflow's advisory): only https URLs to public addresses, checked when the
URL is saved, again on every address the host resolves to when sending, and once more on the address the socket
actually connected to (so a DNS answer that changes between the check and the connection cannot slip a private
address in). No redirect is followed, the timeout is short.

WEBHOOK_ALLOW_LOOPBACK_FOR_TESTS (a test-only setting, off by default and refused outside tests by nothing but
its name) lets http://127.0.0.1 through, for the fake webhook server of the tests.
"""

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

from django.conf import settings

# Cloud metadata services (AWS, GCP, Azure: 169.254.169.254 is link-local anyway; AWS's IPv6 one; Alibaba's).
METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")}
SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT: not public, and not is_private in Python 3.11


class WebhookRefused(ValueError):
    """The URL may not be called: not https, or its host is (or resolves to) a non-public address."""


def _loopback_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_LOOPBACK_FOR_TESTS", False))


def address_check(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback and _loopback_allowed():
        return ip
    bad = (
        ip in METADATA
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in SHARED)
        or not ip.is_global
    )
    if bad:
        raise WebhookRefused(f"{ip} is not a public address: webhooks only call public hosts")
    return ip


def url_check(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an acceptable URL, or WebhookRefused saying why (no DNS here)."""
    parts = urlsplit((url or "").strip())
    host = parts.hostname or ""
    loopback_test = _loopback_allowed() and parts.scheme == "http" and host in ("127.0.0.1", "::1", "localhost")
    if parts.scheme != "https" and not loopback_test:
        raise WebhookRefused("only https:// webhook URLs are accepted")
    if not host:
        raise WebhookRefused("the URL has no host")
    if parts.username or parts.password:
        raise WebhookRefused("credentials in the URL are not accepted")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise WebhookRefused("the URL's port is not a number") from None
    try:
        address_check(host)  # a literal address is judged now
    except ValueError as exc:
        if isinstance(exc, WebhookRefused):
            raise
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, host, port, path


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, all of them public, or WebhookRefused (any one private refuses all)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise WebhookRefused(f"{host} does not resolve: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        address_check(address)
    return addresses


class _Pinned:
    """Connect to the vetted address, check the peer the socket reached, then (https) verify the certificate for
    the URL's host name."""

    address: str
    port: int
    timeout: float | None

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        try:
            address_check(sock.getpeername()[0])
        except WebhookRefused:
            sock.close()
            raise
        if isinstance(self, http.client.HTTPSConnection):
            sock = self._context.wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


class _PinnedHTTPS(_Pinned, http.client.HTTPSConnection):
    pass


class _PinnedHTTP(_Pinned, http.client.HTTPConnection):
    pass


def post_json(url: str, body: bytes, *, timeout: float) -> int:
    """POST `body` to `url` once; the HTTP status (redirects are not followed: a 3xx is returned as is)."""
    scheme, host, port, path = url_check(url)
    address = resolve(host, port)[0]
    if scheme == "https":
        connection: http.client.HTTPConnection = _PinnedHTTPS(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        connection = _PinnedHTTP(host, port, timeout=timeout)
    connection.address = address  # type: ignore[attr-defined]
    try:
        connection.request(
            "POST", path, body=body, headers={"Content-Type": "application/json", "User-Agent": "mlTrainer-webhook"}
        )
        response = connection.getresponse()
        response.read(65536)
        return response.status
    finally:
        connection.close()
