"""The `url` input: download an image without letting a caller reach what only this machine can reach (SSRF).

Every hop (the URL and each redirect) is resolved here, every address it resolves to must be public unless the
host is allow-listed, and the connection goes to the address that was checked, so a name that resolves
differently a moment later (DNS rebinding) cannot slip a private address in.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import anyio
import httpx

from service.errors import UrlFetchFailed, UrlNotAllowed

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_REDIRECTS = 3
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# IPv6 prefix that carries an IPv4 address for NAT64 gateways (RFC 6052).
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True)
class UrlPolicy:
    allowed_hosts: frozenset[str]  # lower-case host names or address literals, IPv6 without brackets
    connect_timeout: float
    timeout: float  # the whole download, redirects included
    max_bytes: int


def _refused(reason: str) -> UrlNotAllowed:
    return UrlNotAllowed(f"The URL is invalid: {reason}.")


def _failed(reason: str) -> UrlFetchFailed:
    return UrlFetchFailed(f"Obtaining the file from the URL failed: {reason}.")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """False for loopback, private, link-local, multicast, reserved, unspecified and shared (CGNAT) addresses."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
    return address.is_global and not (address.is_multicast or address.is_reserved)


async def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the host resolves to (in a worker thread: getaddrinfo blocks)."""
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _failed("the host name could not be resolved") from None
    # A scoped IPv6 address ("fe80::1%eth0") carries its interface after the "%".
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise _refused("it cannot be parsed") from None
    if parsed.scheme not in _DEFAULT_PORTS:
        raise _refused("only http and https URLs are accepted")
    if not parsed.raw_host:
        raise _refused("it names no host")
    return parsed


async def checked_address(url: httpx.URL, policy: UrlPolicy) -> IPAddress:
    """The address to connect to for `url`, once every address of its host has passed the policy."""
    host = url.raw_host.decode("ascii").lower()
    addresses = await resolve(host, url.port or _DEFAULT_PORTS[url.scheme])
    if host not in policy.allowed_hosts and not all(is_public_address(address) for address in addresses):
        # The addresses stay unsaid: naming them would map the internal network for the caller.
        raise _refused("its host is a loopback, private, link-local, multicast or reserved address")
    return addresses[0]


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    too_big = _failed(f"the file is larger than {max_bytes} bytes")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        # Decompressing would let a small answer grow past the cap in one step.
        raise _failed("compressed answers are not accepted")
    data = bytearray()
    async for chunk in response.aiter_raw():
        data += chunk
        if len(data) > max_bytes:
            raise too_big
    if not data:
        raise _failed("the answer is empty")
    return bytes(data)


async def _follow(client: httpx.AsyncClient, url: httpx.URL, policy: UrlPolicy) -> bytes:
    for _ in range(MAX_REDIRECTS + 1):
        address = await checked_address(url, policy)
        request = client.build_request(
            "GET",
            url.copy_with(host=str(address)),
            # The name the caller gave, for virtual hosts and for the certificate check.
            headers={"Host": url.netloc.decode("ascii"), "Accept-Encoding": "identity"},
            extensions={"sni_hostname": url.raw_host.decode("ascii")},
        )
        response = await client.send(request, stream=True)
        try:
            location = response.headers.get("location")
            if response.status_code in _REDIRECT_STATUSES and location:
                url = parse_url(str(url.join(location)))
                continue
            if not response.is_success:
                raise _failed(f"the server answered HTTP {response.status_code}")
            return await _read_capped(response, policy.max_bytes)
        finally:
            await response.aclose()
    raise _failed(f"more than {MAX_REDIRECTS} redirects")


async def fetch_image(url: str, policy: UrlPolicy) -> bytes:
    """The bytes at `url` (http or https), at most `policy.max_bytes`, within `policy.timeout` seconds."""
    parsed = parse_url(url)
    timeout = httpx.Timeout(policy.timeout, connect=policy.connect_timeout)
    try:
        with anyio.fail_after(policy.timeout):
            # trust_env=False: a proxy from the environment would connect to the host by itself, unchecked.
            async with httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False) as client:
                return await _follow(client, parsed, policy)
    except (TimeoutError, httpx.TimeoutException):
        raise _failed("timed out") from None
    except httpx.HTTPError:
        raise _failed("the connection failed") from None
