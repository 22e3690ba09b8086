"""Who may call the API: an X-Auth-Token (Huawei's IAM token header, here a shared secret) or an AK/SK signature
(SDK-HMAC-SHA256, what the official SDK always sends), and for which project ids.

Refusals say what was wrong (missing, unknown, expired, not matching) and never which part of a secret matched.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from service.errors import AuthenticationFailed
from service.payload import read_body
from service.settings import Settings
from service.signature import (
    Authorization,
    canonical_request,
    parse_authorization,
    parse_sdk_date,
    sign,
    signatures_match,
    string_to_sign,
)

MAX_CLOCK_SKEW = timedelta(minutes=15)
MAX_FAILURES = 5
LOCK_SECONDS = 300.0
# Without these two a signature could be replayed against another host or outside the date window.
_REQUIRED_SIGNED_HEADERS = ("host", "x-sdk-date")
_PREFIX = "Incorrect IAM authentication information"

_token_header = APIKeyHeader(
    name="X-Auth-Token",
    auto_error=False,
    description="One of the tokens configured in DLOCR_AUTH_TOKENS (not required when no credentials are set).",
)
_signature_header = APIKeyHeader(
    name="Authorization",
    scheme_name="AKSK",
    auto_error=False,
    description="SDK-HMAC-SHA256 Access=AK, SignedHeaders=..., Signature=... with X-Sdk-Date, as the official "
    "SDK signs with an AK/SK pair configured in DLOCR_AUTH_AKSK.",
)


def _refused(reason: str) -> AuthenticationFailed:
    return AuthenticationFailed(f"{_PREFIX}: {reason}.")


class Lockout:
    """Consecutive failed signatures per access key; MAX_FAILURES of them lock the key for LOCK_SECONDS.

    Kept per worker process, for configured access keys only, so its size is bounded by the configuration.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}

    def is_locked(self, access_key: str) -> bool:
        return self._clock() < self._locked_until.get(access_key, float("-inf"))

    def failed(self, access_key: str) -> None:
        failures = self._failures.get(access_key, 0) + 1
        if failures >= MAX_FAILURES:
            self._locked_until[access_key] = self._clock() + LOCK_SECONDS
            failures = 0
        self._failures[access_key] = failures

    def succeeded(self, access_key: str) -> None:
        self._failures.pop(access_key, None)


def token_matches(presented: str, settings: Settings) -> bool:
    candidate = presented.encode()
    matched = False
    # Every token is compared, without stopping at a match, so timing tells nothing about which one matched.
    for token in settings.auth_tokens:
        matched |= hmac.compare_digest(candidate, token.get_secret_value().encode())
    return matched


def _lockout(request: Request) -> Lockout:
    state = request.app.state
    if not hasattr(state, "lockout"):
        state.lockout = Lockout()
    lockout: Lockout = state.lockout
    return lockout


def _text_header(request: Request, name: str) -> str:
    # Starlette decodes header bytes as Latin-1; the SDK sends (and signs) UTF-8 text.
    return request.headers[name].encode("latin-1").decode("utf-8", errors="replace")


def _check_signed_headers(request: Request, claimed: Authorization) -> None:
    missing = [name for name in _REQUIRED_SIGNED_HEADERS if name not in claimed.signed_headers]
    if missing:
        raise _refused(f"SignedHeaders must include {' and '.join(missing)}")
    absent = [name for name in claimed.signed_headers if name not in request.headers]
    if absent:
        raise _refused(f"signed header {absent[0]} is not in the request")


def _checked_date(request: Request) -> str:
    sdk_date = request.headers["x-sdk-date"]
    signed_at = parse_sdk_date(sdk_date)
    if signed_at is None:
        raise _refused("X-Sdk-Date is not of the form YYYYMMDDTHHMMSSZ")
    if abs(datetime.now(timezone.utc) - signed_at) > MAX_CLOCK_SKEW:
        raise _refused("X-Sdk-Date is expired or more than 15 minutes off the server's clock")
    return sdk_date


async def _payload_sha256(request: Request) -> str:
    """The body's SHA-256. X-Sdk-Content-Sha256, which the SDK signs in its place when present, must be just that:
    no UNSIGNED-PAYLOAD (the API takes only JSON, which the SDK always hashes), or a signature would cover any body.
    """
    body = await read_body(request)
    digest = hashlib.sha256(body).hexdigest()
    declared = request.headers.get("x-sdk-content-sha256")
    if body and declared is not None and declared != digest:
        raise _refused("X-Sdk-Content-Sha256 is not the SHA-256 of the body")
    return digest


async def _check_signature(request: Request, settings: Settings, authorization: str) -> None:
    claimed = parse_authorization(authorization)
    if claimed is None:
        raise _refused("the Authorization header is not an SDK-HMAC-SHA256 signature")
    secret = settings.auth_aksk.get(claimed.access_key)
    if secret is None:
        raise _refused("unknown access key")
    lockout = _lockout(request)
    if lockout.is_locked(claimed.access_key):
        raise _refused(f"access key locked for {LOCK_SECONDS / 60:.0f} minutes after {MAX_FAILURES} bad signatures")
    _check_signed_headers(request, claimed)
    sdk_date = _checked_date(request)
    canonical = canonical_request(
        request.method,
        request.scope["path"],
        request.scope["query_string"].decode("latin-1"),
        lambda name: _text_header(request, name),
        claimed.signed_headers,
        await _payload_sha256(request),
    )
    expected = sign(secret.get_secret_value(), string_to_sign(sdk_date, canonical))
    if not signatures_match(expected, claimed.signature):
        lockout.failed(claimed.access_key)
        raise _refused("bad signature")
    lockout.succeeded(claimed.access_key)


def _check_project(request: Request, settings: Settings) -> None:
    project_id: str = request.path_params["project_id"]
    # The SDK sends the project id twice, in the path and in X-Project-Id (and signs the latter).
    if "x-project-id" in request.headers and _text_header(request, "x-project-id") != project_id:
        raise _refused("X-Project-Id does not match the project id in the URL")
    if settings.auth_project_ids and project_id not in settings.auth_project_ids:
        raise _refused("project id not allowed")


async def require_credentials(
    request: Request,
    token: Annotated[str | None, Security(_token_header)],
    authorization: Annotated[str | None, Security(_signature_header)],
) -> None:
    """A valid X-Auth-Token or, without one, a valid AK/SK signature; then the project id checks."""
    settings: Settings = request.app.state.settings
    if settings.has_credentials:  # without any, the CLI only binds to loopback
        if token is not None:
            if not token_matches(token, settings):
                raise _refused("unknown token")
        elif authorization is not None:
            await _check_signature(request, settings, authorization)
        else:
            raise _refused("x-auth-token not found")
    _check_project(request, settings)
