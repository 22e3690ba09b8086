"""AK/SK: the service checks SDK-HMAC-SHA256 exactly as the official SDK's signer computes it, and refuses every
way a signature can be wrong with 401 APIG.0301, saying what was wrong and nothing of the secret.

Requests are signed by the SDK's own Signer (huaweicloudsdkcore), then sent as they would go on the wire.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from service import auth
from service.app import create_app
from service.auth import Lockout
from service.settings import Settings
from service.signature import canonical_request, parse_authorization, parse_sdk_date, sign, string_to_sign
from servers import PATH, PROJECT_ID

if TYPE_CHECKING:
    from conftest import RecordingReader

AK, SK = "AKLOCALTEST0001", "sk-6f1e0b9d2c4a8e73"
OTHER_AK, OTHER_SK = "AKLOCALTEST0002", "sk-93c2d7a1f0e84b56"
# Valid JSON that fails the API's checks: a request that got past authentication answers AIS.0101 at once.
PAST_AUTH = json.dumps({"image": "QUJD", "side": "left"}).encode()


@dataclass
class Signed:
    """A request as the SDK signed it, ready to send."""

    uri: str
    headers: dict[str, bytes]
    body: bytes
    method: str = "POST"

    def send(self, http: TestClient) -> httpx.Response:
        return http.request(self.method, self.uri, content=self.body, headers=self.headers)


def sdk_signed(
    *,
    ak: str = AK,
    sk: str = SK,
    path: str = PATH,
    query: list[tuple[str, Any]] | None = None,
    body: bytes = PAST_AUTH,
    headers: dict[str, str] | None = None,
    signed_at: datetime | None = None,
    project_id: str = PROJECT_ID,
    method: str = "POST",
) -> Signed:
    header_params = {"Content-Type": "application/json;charset=utf-8", "X-Project-Id": project_id, **(headers or {})}
    if signed_at is not None:
        header_params["X-Sdk-Date"] = signed_at.strftime("%Y%m%dT%H%M%SZ")
    request = SdkRequest(method=method, schema="http", host="testserver", resource_path=path,
                         query_params=query or [], header_params=header_params, body=body)
    Signer(BasicCredentials(ak, sk, project_id)).sign(request)
    # The signer leaves each header as the Latin-1 reading of its UTF-8 bytes, which is how requests sends it.
    return Signed(request.uri, {name: str(value).encode("latin-1") for name, value in request.header_params.items()},
                  body, method)


def with_header(signed: Signed, name: str, value: bytes | None) -> Signed:
    headers = {key: item for key, item in signed.headers.items() if key.lower() != name.lower()}
    if value is not None:
        headers[name] = value
    return Signed(signed.uri, headers, signed.body, signed.method)


# -- the canonical form agrees with the SDK's signer -----------------------------------------------------------

SHAPES = {
    "the SDK's request": {},
    "project id with a space and Chinese": {
        "path": f"/v2/{quote('项目 1', safe='')}/ocr/driver-license", "project_id": "项目 1"
    },
    "query, unsorted, repeated, with reserved characters": {
        "query": [("side", "front"), ("b", "x y"), ("a", "2"), ("a", "1"), ("t~", "+/?&=")]
    },
    "a header with Chinese": {"headers": {"X-Note": " 驾驶证 "}},
    "empty body": {"body": b""},
}


@pytest.mark.parametrize("shape", [*SHAPES.values(), {"method": "GET", "body": b""}], ids=[*SHAPES, "GET"])
def test_our_signature_is_the_sdks(shape: dict[str, Any]) -> None:
    signed = sdk_signed(**shape)
    path, _, query = signed.uri.partition("?")
    headers = {name.lower(): value.decode("utf-8") for name, value in signed.headers.items()}
    claimed = parse_authorization(headers["authorization"])
    assert claimed is not None and claimed.access_key == AK
    canonical = canonical_request(signed.method, path, query, headers.__getitem__, claimed.signed_headers,
                                  hashlib.sha256(signed.body).hexdigest())
    assert sign(SK, string_to_sign(headers["x-sdk-date"], canonical)) == claimed.signature


@pytest.mark.parametrize(
    "value",
    ["Bearer abc", "SDK-HMAC-SHA256 Access=AK", "SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=xyz",
     "SDK-HMAC-SM3 Access=AK, SignedHeaders=host, Signature=" + "0" * 64, ""],
)
def test_malformed_authorization_is_not_parsed(value: str) -> None:
    assert parse_authorization(value) is None


@pytest.mark.parametrize("value", ["20240230T000000Z", "2024-01-01T00:00:00Z", "20240101T000000", " 20240101T000000Z"])
def test_malformed_sdk_dates_are_not_parsed(value: str) -> None:
    assert parse_sdk_date(value) is None


# -- through the service ---------------------------------------------------------------------------------------


@pytest.fixture
def aksk_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"auth_aksk": Settings(auth_aksk=f"{AK}:{SK},{OTHER_AK}:{OTHER_SK}").auth_aksk})


@pytest.fixture
def http(aksk_settings: Settings, recording_reader: RecordingReader) -> Iterator[TestClient]:
    """A fresh service (and so a fresh lockout table) that accepts the AK/SK pairs and the suite's token."""
    with TestClient(create_app(aksk_settings, recording_reader)) as client:
        yield client


def assert_past_authentication(response: httpx.Response) -> None:
    assert (response.status_code, response.json()["error_code"]) == (400, "AIS.0101"), response.text


def assert_refused(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    assert set(response.json()) == {"error_code", "error_msg"}
    assert response.json()["error_code"] == "APIG.0301"
    assert response.json()["error_msg"] == f"Incorrect IAM authentication information: {reason}."
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
    for secret in (SK, OTHER_SK):
        assert secret[3:9] not in response.text


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_sdk_signed_requests_pass(http: TestClient, recording_reader: RecordingReader, shape: dict[str, Any]) -> None:
    response = sdk_signed(**shape).send(http)
    # Past authentication, only the body is wrong: not an API request (AIS.0101), or no JSON at all.
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] in ("AIS.0101", "ModelArts.4105")
    assert recording_reader.calls == []


def test_query_order_on_the_wire_does_not_matter(http: TestClient) -> None:
    signed = sdk_signed(query=SHAPES["query, unsorted, repeated, with reserved characters"]["query"])
    path, _, query = signed.uri.partition("?")
    reordered = Signed(f"{path}?{'&'.join(reversed(query.split('&')))}", signed.headers, signed.body)
    assert reordered.uri != signed.uri
    assert_past_authentication(reordered.send(http))


def test_a_signature_from_just_under_15_minutes_ago_passes(http: TestClient) -> None:
    signed_at = datetime.now(timezone.utc) - timedelta(minutes=14, seconds=30)
    assert_past_authentication(sdk_signed(signed_at=signed_at).send(http))


def test_a_matching_x_sdk_content_sha256_passes(http: TestClient) -> None:
    digest = hashlib.sha256(PAST_AUTH).hexdigest()
    assert_past_authentication(sdk_signed(headers={"X-Sdk-Content-Sha256": digest}).send(http))


def test_the_second_pair_passes_too(http: TestClient) -> None:
    assert_past_authentication(sdk_signed(ak=OTHER_AK, sk=OTHER_SK).send(http))


def test_a_token_is_still_accepted(http: TestClient, settings: Settings) -> None:
    token = settings.auth_tokens[0].get_secret_value()
    response = http.post(PATH, content=PAST_AUTH, headers={"X-Auth-Token": token})
    assert_past_authentication(response)


def _tampered(change: str) -> Signed:
    signed = sdk_signed()
    if change == "body":
        return Signed(signed.uri, signed.headers, PAST_AUTH.replace(b"left", b"right"))
    if change == "query":
        return Signed(signed.uri + "?side=back", signed.headers, signed.body)
    if change == "host":
        return with_header(signed, "Host", b"dlocr.example")
    if change == "signed header value":
        return with_header(signed, "Content-Type", b"application/json")
    raise AssertionError(change)


REFUSALS = {
    "wrong SK": (lambda: sdk_signed(sk=SK + "x"), "bad signature"),
    "SK of the other AK": (lambda: sdk_signed(sk=OTHER_SK), "bad signature"),
    "body changed": (lambda: _tampered("body"), "bad signature"),
    "query added": (lambda: _tampered("query"), "bad signature"),
    "another Host": (lambda: _tampered("host"), "bad signature"),
    "a signed header changed": (lambda: _tampered("signed header value"), "bad signature"),
    "unknown AK": (lambda: sdk_signed(ak="AKNOBODY"), "unknown access key"),
    "signed 16 minutes ago": (
        lambda: sdk_signed(signed_at=datetime.now(timezone.utc) - timedelta(minutes=16)),
        "X-Sdk-Date is expired or more than 15 minutes off the server's clock",
    ),
    "signed 16 minutes ahead": (
        lambda: sdk_signed(signed_at=datetime.now(timezone.utc) + timedelta(minutes=16)),
        "X-Sdk-Date is expired or more than 15 minutes off the server's clock",
    ),
    "X-Sdk-Date malformed": (
        lambda: with_header(sdk_signed(), "X-Sdk-Date", b"2024-01-01T00:00:00Z"),
        "X-Sdk-Date is not of the form YYYYMMDDTHHMMSSZ",
    ),
    "X-Sdk-Date not signed": (
        lambda: with_header(sdk_signed(), "Authorization", sdk_signed().headers["Authorization"].replace(
            b";x-sdk-date", b"")),
        "SignedHeaders must include x-sdk-date",
    ),
    "a signed header left out": (
        lambda: with_header(sdk_signed(headers={"X-Trace": "1"}), "X-Trace", None),
        "signed header x-trace is not in the request",
    ),
    "not an SDK signature": (
        lambda: with_header(sdk_signed(), "Authorization", b"Basic dXNlcjpwYXNz"),
        "the Authorization header is not an SDK-HMAC-SHA256 signature",
    ),
    "X-Project-Id of another project": (
        lambda: sdk_signed(project_id="another-project"),
        "X-Project-Id does not match the project id in the URL",
    ),
    "UNSIGNED-PAYLOAD": (
        lambda: sdk_signed(headers={"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"}),
        "X-Sdk-Content-Sha256 is not the SHA-256 of the body",
    ),
    "no credentials at all": (
        lambda: with_header(sdk_signed(), "Authorization", None),
        "x-auth-token not found",
    ),
}


@pytest.mark.parametrize(("make", "reason"), REFUSALS.values(), ids=REFUSALS.keys())
def test_bad_signatures_are_refused(
    http: TestClient, recording_reader: RecordingReader, make: Any, reason: str
) -> None:
    assert_refused(make().send(http), reason)
    assert recording_reader.calls == []


def test_five_bad_signatures_lock_the_access_key(http: TestClient) -> None:
    for _ in range(auth.MAX_FAILURES):
        assert_refused(sdk_signed(sk="wrong").send(http), "bad signature")
    locked = "access key locked for 5 minutes after 5 bad signatures"
    assert_refused(sdk_signed().send(http), locked)  # even with the right SK now
    assert_refused(sdk_signed(sk="wrong").send(http), locked)
    assert_past_authentication(sdk_signed(ak=OTHER_AK, sk=OTHER_SK).send(http))  # the other key is not locked


def test_a_good_signature_resets_the_count(http: TestClient) -> None:
    for _ in range(auth.MAX_FAILURES - 1):
        assert_refused(sdk_signed(sk="wrong").send(http), "bad signature")
    assert_past_authentication(sdk_signed().send(http))
    for _ in range(auth.MAX_FAILURES - 1):
        assert_refused(sdk_signed(sk="wrong").send(http), "bad signature")
    assert_past_authentication(sdk_signed().send(http))


def test_failures_that_are_not_signatures_do_not_count(http: TestClient) -> None:
    stale = datetime.now(timezone.utc) - timedelta(hours=1)
    for _ in range(auth.MAX_FAILURES + 1):
        assert_refused(sdk_signed(sk="wrong", signed_at=stale).send(http), REFUSALS["signed 16 minutes ago"][1])
    assert_past_authentication(sdk_signed().send(http))


def test_a_lock_ends_after_five_minutes() -> None:
    now = [1000.0]
    lockout = Lockout(clock=lambda: now[0])
    for _ in range(auth.MAX_FAILURES):
        assert not lockout.is_locked(AK)
        lockout.failed(AK)
    assert lockout.is_locked(AK) and not lockout.is_locked(OTHER_AK)
    now[0] += auth.LOCK_SECONDS - 1
    assert lockout.is_locked(AK)
    now[0] += 1
    assert not lockout.is_locked(AK)
    lockout.failed(AK)  # the count started again
    assert not lockout.is_locked(AK)


def test_a_body_over_the_limit_is_413_before_the_signature_is_checked(
    aksk_settings: Settings, recording_reader: RecordingReader
) -> None:
    small = aksk_settings.model_copy(update={"max_body_bytes": 1000})
    with TestClient(create_app(small, recording_reader)) as client:
        response = sdk_signed(body=json.dumps({"image": "A" * 2000}).encode()).send(client)
    assert (response.status_code, response.json()["error_code"]) == (413, "APIG.0201")


# -- project ids -----------------------------------------------------------------------------------------------


@pytest.fixture
def one_project(aksk_settings: Settings, recording_reader: RecordingReader) -> Iterator[TestClient]:
    only = aksk_settings.model_copy(update={"auth_project_ids": [PROJECT_ID]})
    with TestClient(create_app(only, recording_reader)) as client:
        yield client


def test_an_allowed_project_passes(one_project: TestClient, settings: Settings) -> None:
    assert_past_authentication(sdk_signed().send(one_project))
    token = settings.auth_tokens[0].get_secret_value()
    assert_past_authentication(one_project.post(PATH, content=PAST_AUTH, headers={"X-Auth-Token": token}))


def test_another_project_is_refused(one_project: TestClient, settings: Settings) -> None:
    other = "/v2/another-project/ocr/driver-license"
    assert_refused(sdk_signed(path=other, project_id="another-project").send(one_project), "project id not allowed")
    token = settings.auth_tokens[0].get_secret_value()
    response = one_project.post(other, content=PAST_AUTH, headers={"X-Auth-Token": token})
    assert_refused(response, "project id not allowed")


# -- configuration ---------------------------------------------------------------------------------------------


def test_pairs_come_from_a_comma_separated_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLOCR_AUTH_AKSK", f" {AK}:{SK} , {OTHER_AK}:{OTHER_SK}:with-colon,, ")
    settings = Settings()
    assert {ak: sk.get_secret_value() for ak, sk in settings.auth_aksk.items()} == {
        AK: SK, OTHER_AK: f"{OTHER_SK}:with-colon"
    }
    assert settings.has_credentials
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert SK not in shown and OTHER_SK not in shown


@pytest.mark.parametrize("value", [f"{AK}", f"{AK}:", f":{SK}", f"{AK}:{SK},{AK}:{OTHER_SK}"])
def test_malformed_pairs_are_refused_without_showing_them(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DLOCR_AUTH_AKSK", value)
    with pytest.raises(ValueError) as refused:
        Settings()
    assert SK not in str(refused.value) and OTHER_SK not in str(refused.value)


def test_credentials_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    credentials = tmp_path / "credentials.env"
    credentials.write_text(
        f"# dlocr credentials\nDLOCR_AUTH_AKSK={AK}:{SK}\nDLOCR_AUTH_TOKENS='file-token-1,file-token-2'\n"
        "DLOCR_AUTH_PROJECT_IDS=p1\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DLOCR_AUTH_FILE", str(credentials))
    monkeypatch.setenv("DLOCR_AUTH_PROJECT_IDS", "p2,p3")  # the environment wins for a variable set in both
    monkeypatch.delenv("DLOCR_AUTH_TOKENS", raising=False)
    monkeypatch.delenv("DLOCR_AUTH_AKSK", raising=False)
    settings = Settings()
    assert settings.auth_aksk[AK].get_secret_value() == SK
    assert [token.get_secret_value() for token in settings.auth_tokens] == ["file-token-1", "file-token-2"]
    assert settings.auth_project_ids == ["p2", "p3"]
    assert SK not in repr(settings) and "file-token-1" not in repr(settings)


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (f"DLOCR_HOST=0.0.0.0\nDLOCR_AUTH_AKSK={AK}:{SK}\n", "may only set"),
        (f"{SK}\n", "may only set"),
        (None, "cannot read"),
    ],
    ids=["another variable", "a bare secret", "missing file"],
)
def test_a_bad_credentials_file_is_refused_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: str | None, complaint: str
) -> None:
    credentials = tmp_path / "credentials.env"
    if content is not None:
        credentials.write_text(content, encoding="utf-8")
    monkeypatch.setenv("DLOCR_AUTH_FILE", str(credentials))
    with pytest.raises(ValueError, match=complaint) as refused:
        Settings()
    assert SK not in str(refused.value)
