"""X-Auth-Token: who gets through, and what a refusal says (never any part of a secret)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from service.app import create_app
from service.settings import Settings

if TYPE_CHECKING:
    from conftest import RecordingReader

URL = "/v2/0123456789abcdef/ocr/driver-license"
TOKENS = ["first-secret-4a1d", "second-secret-77e2"]
SPECIMEN = Path(__file__).resolve().parents[2] / "shared" / "samples" / "specimen-front.jpg"
SPECIMEN_NUMBER = "150402199902223122"  # labels.json
VALID_BODY = {"image": base64.b64encode(SPECIMEN.read_bytes()).decode()}


@pytest.fixture
def anonymous(settings: Settings, recording_reader: RecordingReader) -> Iterator[TestClient]:
    """A client sending no token, to a service configured with two."""
    two_tokens = settings.model_copy(update={"auth_tokens": [SecretStr(token) for token in TOKENS]})
    with TestClient(create_app(two_tokens, recording_reader)) as http:
        yield http


def assert_read(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["result"]["number"] == SPECIMEN_NUMBER


def assert_refused(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error_code"] == "APIG.0301"
    assert body["error_msg"] == f"Incorrect IAM authentication information: {reason}."
    assert response.headers["X-Request-Id"]
    for token in TOKENS:
        assert token[:6] not in response.text


def test_missing_token_is_refused(anonymous: TestClient, recording_reader: RecordingReader) -> None:
    assert_refused(anonymous.post(URL, json=VALID_BODY), "x-auth-token not found")
    assert recording_reader.calls == []


def test_empty_token_counts_as_missing(anonymous: TestClient, recording_reader: RecordingReader) -> None:
    assert_refused(anonymous.post(URL, json=VALID_BODY, headers={"X-Auth-Token": ""}), "x-auth-token not found")
    assert recording_reader.calls == []


@pytest.mark.parametrize(
    "presented",
    [b"wrong", TOKENS[0][:-1].encode(), (TOKENS[0] + "x").encode(), TOKENS[0].upper().encode(), b"t\xf6k\xe9n"],
    ids=["wrong", "prefix", "longer", "other case", "non-ASCII"],
)
def test_unknown_token_is_refused(anonymous: TestClient, recording_reader: RecordingReader, presented: bytes) -> None:
    assert_refused(anonymous.post(URL, json=VALID_BODY, headers={"X-Auth-Token": presented}), "unknown token")
    assert recording_reader.calls == []


def test_authentication_comes_before_the_body_is_looked_at(
    anonymous: TestClient, recording_reader: RecordingReader
) -> None:
    response = anonymous.post(URL, content=b"not json", headers={"Content-Type": "application/json"})
    assert_refused(response, "x-auth-token not found")
    assert recording_reader.calls == []


@pytest.mark.parametrize("token", TOKENS)
def test_each_configured_token_passes_to_the_next_stage(
    anonymous: TestClient, recording_reader: RecordingReader, token: str
) -> None:
    invalid = anonymous.post(URL, json={"side": "left"}, headers={"X-Auth-Token": token})
    assert (invalid.status_code, invalid.json()["error_code"]) == (400, "AIS.0101")
    assert recording_reader.calls == []
    assert_read(anonymous.post(URL, json=VALID_BODY, headers={"X-Auth-Token": token}))
    assert len(recording_reader.calls) == 1


def test_a_refusal_does_not_stick(anonymous: TestClient) -> None:
    assert anonymous.post(URL, json=VALID_BODY, headers={"X-Auth-Token": "wrong"}).status_code == 401
    assert_read(anonymous.post(URL, json=VALID_BODY, headers={"X-Auth-Token": TOKENS[1]}))


def test_without_configured_tokens_no_header_is_needed(
    settings: Settings, recording_reader: RecordingReader
) -> None:
    with TestClient(create_app(settings.model_copy(update={"auth_tokens": []}), recording_reader)) as http:
        assert_read(http.post(URL, json=VALID_BODY))
        assert_read(http.post(URL, json=VALID_BODY, headers={"X-Auth-Token": "anything"}))


@pytest.mark.parametrize("path", ["/health", "/openapi.json"])
def test_probes_and_docs_need_no_token(anonymous: TestClient, path: str) -> None:
    assert anonymous.get(path).status_code == 200


def test_tokens_come_from_a_comma_separated_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLOCR_AUTH_TOKENS", f" {TOKENS[0]}, {TOKENS[1]},, ")
    settings = Settings()
    assert [token.get_secret_value() for token in settings.auth_tokens] == TOKENS
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert TOKENS[0] not in shown and TOKENS[1] not in shown
