"""Huawei's SDK-HMAC-SHA256 request signature, recomputed on our side exactly as huaweicloudsdkcore's Signer builds it.

The official SDK signs every request with the caller's AK/SK; nothing here knows about HTTP frameworks or
credentials, so the canonical form can be compared with the SDK's own signer in the tests.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"

_AUTHORIZATION = re.compile(
    ALGORITHM + r"\s+Access=([^,\s]+),\s*SignedHeaders=([a-z0-9;_-]+),\s*Signature=([0-9a-fA-F]{64})"
)
_SDK_DATE = re.compile(r"\d{8}T\d{6}Z")


@dataclass(frozen=True)
class Authorization:
    """What the Authorization header claims: who signed, which headers they covered, and the signature."""

    access_key: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> Authorization | None:
    match = _AUTHORIZATION.fullmatch(value.strip())
    if match is None:
        return None
    access_key, signed_headers, signature = match.groups()
    return Authorization(access_key, tuple(signed_headers.split(";")), signature.lower())


def parse_sdk_date(value: str) -> datetime | None:
    if not _SDK_DATE.fullmatch(value):
        return None
    try:
        return datetime.strptime(value, DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:  # the shape was right, the calendar was not (a 13th month)
        return None


def _encode(text: str) -> str:
    # RFC 3986: everything but unreserved characters is percent-encoded, "/" included.
    return quote(text, safe="~")


def canonical_uri(path: str) -> str:
    """The decoded path, each segment encoded again, always ending with "/" (as the SDK signs it)."""
    encoded = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return encoded if encoded.endswith("/") else encoded + "/"


def canonical_query(query_string: str) -> str:
    """Pairs decoded, sorted, encoded again. A literal "+" stays a "+": the SDK encodes spaces as %20."""
    pairs = []
    for item in query_string.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in sorted(pairs))


def canonical_request(
    method: str,
    path: str,
    query_string: str,
    header: Callable[[str], str],
    signed_headers: tuple[str, ...],
    payload_sha256: str,
) -> str:
    """METHOD, URI, query, one "name:value" line per signed header in the order given, the header list, payload."""
    headers = "".join(f"{name}:{header(name).strip()}\n" for name in signed_headers)
    return "\n".join(
        [method.upper(), canonical_uri(path), canonical_query(query_string), headers, ";".join(signed_headers),
         payload_sha256]
    )


def string_to_sign(sdk_date: str, canonical: str) -> str:
    return f"{ALGORITHM}\n{sdk_date}\n{hashlib.sha256(canonical.encode()).hexdigest()}"


def sign(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def signatures_match(expected: str, presented: str) -> bool:
    return hmac.compare_digest(expected.encode(), presented.encode())
