"""Every way a request can fail answers in Huawei's shape, and the service keeps serving afterwards."""

from __future__ import annotations

import base64
import json
import logging
from typing import TYPE_CHECKING, Any

import cv2
import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from pipelines.errors import PoorQuality, RecognitionFailed
from service.app import create_app
from service.logs import JsonFormatter
from service.settings import Settings

if TYPE_CHECKING:
    from conftest import FakeReader

URL = "/v2/0123456789abcdef/ocr/driver-license"
A_PIXEL_PNG = base64.b64encode(cv2.imencode(".png", np.zeros((1, 1, 3), np.uint8))[1].tobytes()).decode()


def b64_image(ext: str, height: int, width: int) -> str:
    pixels = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    ok, encoded = cv2.imencode(ext, pixels)
    assert ok
    return base64.b64encode(encoded.tobytes()).decode()


def post(http: TestClient, body: Any, **kwargs: Any) -> httpx.Response:
    if isinstance(body, (bytes, str)):
        return http.post(URL, content=body, headers={"Content-Type": "application/json"}, **kwargs)
    return http.post(URL, json=body, **kwargs)


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error_code", "error_msg"}
    assert body["error_code"] == code
    assert response.headers["X-Request-Id"]
    assert "Traceback" not in response.text


def assert_still_serving(http: TestClient) -> None:
    response = post(http, {"image": A_PIXEL_PNG})
    assert response.status_code == 200, response.text
    assert response.json() == {"result": http.app.state.reader.fields}


INVALID_PARAMETER_BODIES = {
    "body not JSON": b"image=abc",
    "body not UTF-8": b'{"image": "\xff\xfe"}',
    "empty body": b"",
    "JSON array": [{"image": A_PIXEL_PNG}],
    "JSON string": "\"abc\"",
    "image and url": {"image": A_PIXEL_PNG, "url": "https://example.com/a.jpg"},
    "neither image nor url": {"side": "front"},
    "both null": {"image": None, "url": None},
    "url only (not supported yet)": {"url": "https://example.com/a.jpg"},
    "side left": {"image": A_PIXEL_PNG, "side": "left"},
    "side 123": {"image": A_PIXEL_PNG, "side": 123},
    "side FRONT": {"image": A_PIXEL_PNG, "side": "FRONT"},
    "return_issuing_authority 'true'": {"image": A_PIXEL_PNG, "return_issuing_authority": "true"},
    "return_issuing_authority 1": {"image": A_PIXEL_PNG, "return_issuing_authority": 1},
    "image 123": {"image": 123},
    "image list": {"image": [A_PIXEL_PNG]},
    "image empty": {"image": ""},
    "image only whitespace": {"image": " \n"},
}


@pytest.mark.parametrize("body", INVALID_PARAMETER_BODIES.values(), ids=INVALID_PARAMETER_BODIES.keys())
def test_invalid_parameter_is_ais_0101_before_recognition(
    fake_client: TestClient, fake_reader: FakeReader, body: Any
) -> None:
    assert_error(post(fake_client, body), 400, "AIS.0101")
    assert fake_reader.calls == []
    assert_still_serving(fake_client)


def test_url_is_refused_with_a_reason(fake_client: TestClient) -> None:
    response = post(fake_client, {"url": "https://example.com/a.jpg"})
    assert "url input is not supported yet" in response.json()["error_msg"]


def test_validation_message_names_the_field_not_its_value(fake_client: TestClient) -> None:
    response = post(fake_client, {"image": A_PIXEL_PNG, "side": "left-side-value"})
    message = response.json()["error_msg"]
    assert "side" in message
    assert "left-side-value" not in message


NOT_BASE64 = {
    "stray characters": "not base64!!",
    "bad padding": "QUJD" + "QQ",
    "url-safe alphabet": "ab-_" * 4,
    "non-ASCII": "图片数据",
    "data after padding": "QQ==QQ==",
}


@pytest.mark.parametrize("image", NOT_BASE64.values(), ids=NOT_BASE64.keys())
def test_invalid_base64_is_ais_0102_before_recognition(
    fake_client: TestClient, fake_reader: FakeReader, image: str
) -> None:
    assert_error(post(fake_client, {"image": image}), 400, "AIS.0102")
    assert fake_reader.calls == []
    assert_still_serving(fake_client)


def test_base64_over_the_limit_is_ais_0103_before_decoding(
    fake_client: TestClient, fake_reader: FakeReader, settings: Settings
) -> None:
    assert_error(post(fake_client, {"image": "A" * (settings.max_base64_bytes + 4)}), 400, "AIS.0103")
    assert fake_reader.calls == []
    assert_still_serving(fake_client)


def test_body_over_the_limit_is_the_gateways_413(settings: Settings, fake_reader: FakeReader) -> None:
    small = settings.model_copy(update={"max_body_bytes": 1000})
    headers = {"X-Auth-Token": settings.auth_tokens[0].get_secret_value()}
    with TestClient(create_app(small, fake_reader), headers=headers) as http:
        assert_error(post(http, {"image": "A" * 2000}), 413, "APIG.0201")
        assert fake_reader.calls == []
        assert_still_serving(http)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [(PoorQuality(), 400, "AIS.0104"), (RecognitionFailed("no card found"), 400, "AIS.0105")],
)
def test_pipeline_errors_keep_their_code_and_message(
    fake_client: TestClient, fake_reader: FakeReader, error: Exception, status: int, code: str
) -> None:
    fake_reader.fail_with = error
    response = post(fake_client, {"image": A_PIXEL_PNG})
    assert_error(response, status, code)
    assert response.json()["error_msg"] == str(error)
    fake_reader.fail_with = None
    assert_still_serving(fake_client)


def test_unexpected_exception_is_a_500_without_details(
    fake_client: TestClient, fake_reader: FakeReader, caplog: pytest.LogCaptureFixture
) -> None:
    fake_reader.fail_with = RuntimeError("internal detail 8c1e")
    with caplog.at_level(logging.INFO, logger="dlocr"):
        response = post(fake_client, {"image": A_PIXEL_PNG}, headers={"X-Request-Id": "trace-500"})
    assert_error(response, 500, "AIS.0500")
    assert "internal detail 8c1e" not in response.text
    assert response.headers["X-Request-Id"] == "trace-500"
    [logged] = [r for r in caplog.records if r.exc_info]
    assert logged.request_id == "trace-500"
    [access] = [r for r in caplog.records if r.name == "dlocr.access"]
    assert (access.status, access.error_code) == (500, "AIS.0500")
    fake_reader.fail_with = None
    assert_still_serving(fake_client)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no/such/route", 404),
        ("POST", "/v2/p/ocr/id-card", 404),
        ("GET", URL, 404),  # Huawei's gateway routes on method and path together
    ],
)
def test_unknown_route_is_apig_0101(fake_client: TestClient, method: str, path: str, status: int) -> None:
    assert_error(fake_client.request(method, path), status, "APIG.0101")
    assert_still_serving(fake_client)


# -- through the real engine: pipelines/decode.py decides these ------------------------------------------------

UNDECODABLE = {
    "random bytes": base64.b64encode(np.random.default_rng(1).bytes(4096)).decode(),
    "GIF header": base64.b64encode(b"GIF89a\x64\x00\x64\x00\x80\x00\x00" + bytes(64)).decode(),
    "truncated PNG": base64.b64encode(
        base64.b64decode(b64_image(".png", 400, 600))[:2000]
    ).decode(),
}


@pytest.mark.parametrize("image", UNDECODABLE.values(), ids=UNDECODABLE.keys())
def test_undecodable_image_is_ais_0102(client: TestClient, image: str) -> None:
    assert_error(post(client, {"image": image}), 400, "AIS.0102")


@pytest.mark.parametrize(("height", "width"), [(50, 50), (100, 9000)], ids=["50x50", "9000x100"])
def test_image_outside_the_size_limits_is_ais_0103(client: TestClient, height: int, width: int) -> None:
    assert_error(post(client, {"image": b64_image(".png", height, width)}), 400, "AIS.0103")


# -- the logs --------------------------------------------------------------------------------------------------


def test_logs_hold_no_image_token_or_fields(
    fake_client: TestClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    image = b64_image(".jpg", 120, 160)
    token = settings.auth_tokens[0].get_secret_value()
    requests = [
        ({"image": image}, {}),
        ({"image": image, "side": "left"}, {}),
        ({"image": image[:-3]}, {}),
        ({"image": image}, {"X-Auth-Token": token + "x"}),
        ({"image": image}, {"X-Request-Id": "client-id-1"}),
    ]
    with caplog.at_level(logging.DEBUG):
        for body, headers in requests:
            post(fake_client, body, headers=headers)

    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert image[:64] not in logged and image[-64:] not in logged
    assert token not in logged
    for value in fake_client.app.state.reader.fields.values():
        assert value not in logged

    access = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "dlocr.access"]
    assert len(access) == len(requests)
    assert [(line["status"], line["error_code"]) for line in access] == [
        (200, None), (400, "AIS.0101"), (400, "AIS.0102"), (401, "APIG.0301"), (200, None)
    ]
    assert {line["path"] for line in access} == {URL}
    assert access[-1]["request_id"] == "client-id-1"
    assert all(line["method"] == "POST" and line["duration_ms"] >= 0 for line in access)
