"""X-Auth-Token check against the configured tokens (Huawei's IAM token header, here a shared secret)."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from service.errors import AuthenticationFailed
from service.settings import Settings

_token_header = APIKeyHeader(
    name="X-Auth-Token",
    auto_error=False,
    description="One of the tokens configured in DLOCR_AUTH_TOKENS (not required when none are configured).",
)


def token_matches(presented: str, settings: Settings) -> bool:
    candidate = presented.encode()
    matched = False
    # Every token is compared, without stopping at a match, so timing tells nothing about which one matched.
    for token in settings.auth_tokens:
        matched |= hmac.compare_digest(candidate, token.get_secret_value().encode())
    return matched


def require_token(request: Request, token: Annotated[str | None, Security(_token_header)]) -> None:
    settings: Settings = request.app.state.settings
    if not settings.auth_tokens:
        return  # the CLI only binds to loopback in this case
    if token is None:
        raise AuthenticationFailed("Incorrect IAM authentication information: x-auth-token not found.")
    if not token_matches(token, settings):
        raise AuthenticationFailed("Incorrect IAM authentication information: unknown token.")
