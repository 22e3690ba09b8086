"""Every way a request can fail answers in Huawei's shape, and the service keeps serving afterwards."""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from pipelines.errors import DlocrError, PoorQuality, RecognitionFailed
from service.app import create_app
from service.logs import JsonFormatter
from service.settings import Settings

if TYPE_CHECKING:
    from conftest import RecordingReader

URL = "/v2/0123456789abcdef/ocr/driver-license"
A_PIXEL_PNG = base64.b64encode(cv2.imencode(".png", np.zeros((1, 1, 3), np.uint8))[1].tobytes()).decode()
SPECIMEN = base64.b64encode(
    (Path(__file__).resolve().parents[2] / "shared" / "samples" / "specimen-front.jpg").read_bytes()
).decode()
SPECIMEN_NUMBER = "150402199902223122"  # labels.json


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
    """The specimen is still read, and the answer is exactly what the real reader read."""
    reader: RecordingReader = http.app.state.reader
    response = post(http, {"image": SPECIMEN})
    assert response.status_code == 200, response.text
    assert response.json() == {"result": reader.last_result}
    assert response.json()["result"]["number"] == SPECIMEN_NUMBER


MALFORMED_JSON_BODIES = {
    "body not JSON": b"image=abc",
    "body not UTF-8": b'{"image": "\xff\xfe"}',
    "empty body": b"",
    "truncated JSON": b'{"image": "abc"',
}


@pytest.mark.parametrize("body", MALFORMED_JSON_BODIES.values(), ids=MALFORMED_JSON_BODIES.keys())
def test_body_that_is_not_json_is_modelarts_4105(
    recording_client: TestClient, recording_reader: RecordingReader, body: bytes
) -> None:
    response = post(recording_client, body)
    assert_error(response, 400, "ModelArts.4105")
    assert response.json()["error_msg"] == "The JSON format of the input data is incorrect."
    assert recording_reader.calls == []
    assert_still_serving(recording_client)


INVALID_PARAMETER_BODIES = {
    "JSON array": [{"image": A_PIXEL_PNG}],
    "JSON string": "\"abc\"",
    "image and url": {"image": A_PIXEL_PNG, "url": "http://127.0.0.1/a.jpg"},
    "neither image nor url": {"side": "front"},
    "both null": {"image": None, "url": None},
    "url 123": {"url": 123},
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
    recording_client: TestClient, recording_reader: RecordingReader, body: Any
) -> None:
    assert_error(post(recording_client, body), 400, "AIS.0101")
    assert recording_reader.calls == []
    assert_still_serving(recording_client)


def test_validation_message_names_the_field_not_its_value(
    recording_client: TestClient, recording_reader: RecordingReader
) -> None:
    response = post(recording_client, {"image": A_PIXEL_PNG, "side": "left-side-value"})
    message = response.json()["error_msg"]
    assert "side" in message
    assert "left-side-value" not in message
    assert recording_reader.calls == []


NOT_BASE64 = {
    "stray characters": "not base64!!",
    "bad padding": "QUJD" + "QQ",
    "url-safe alphabet": "ab-_" * 4,
    "non-ASCII": "图片数据",
    "data after padding": "QQ==QQ==",
}


@pytest.mark.parametrize("image", NOT_BASE64.values(), ids=NOT_BASE64.keys())
def test_invalid_base64_is_ais_0102_before_recognition(
    recording_client: TestClient, recording_reader: RecordingReader, image: str
) -> None:
    assert_error(post(recording_client, {"image": image}), 400, "AIS.0102")
    assert recording_reader.calls == []
    assert_still_serving(recording_client)


def test_base64_over_the_limit_is_ais_0103_before_decoding(
    recording_client: TestClient, recording_reader: RecordingReader, settings: Settings
) -> None:
    assert_error(post(recording_client, {"image": "A" * (settings.max_base64_bytes + 4)}), 400, "AIS.0103")
    assert recording_reader.calls == []
    assert_still_serving(recording_client)


def test_body_over_the_limit_is_the_gateways_413(settings: Settings, recording_reader: RecordingReader) -> None:
    # Room for the specimen's body and little more, so that the service can be seen to still serve.
    limit = len(json.dumps({"image": SPECIMEN})) + 100
    small = settings.model_copy(update={"max_body_bytes": limit})
    headers = {"X-Auth-Token": settings.auth_tokens[0].get_secret_value()}
    with TestClient(create_app(small, recording_reader), headers=headers) as http:
        assert_error(post(http, {"image": "A" * (limit + 1000)}), 413, "APIG.0201")
        assert recording_reader.calls == []
        assert_still_serving(http)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [(PoorQuality(), 400, "AIS.0104"), (RecognitionFailed("no card found"), 400, "AIS.0105")],
)
def test_pipeline_errors_keep_their_code_and_message(
    recording_client: TestClient, recording_reader: RecordingReader, error: Exception, status: int, code: str
) -> None:
    recording_reader.fail_with = error  # injected: the specimen reads fine
    response = post(recording_client, {"image": SPECIMEN})
    assert_error(response, status, code)
    assert response.json()["error_msg"] == str(error)
    assert len(recording_reader.calls) == 1
    recording_reader.fail_with = None
    assert_still_serving(recording_client)


def test_unexpected_exception_is_a_500_without_details(
    recording_client: TestClient, recording_reader: RecordingReader, caplog: pytest.LogCaptureFixture
) -> None:
    recording_reader.fail_with = RuntimeError("internal detail 8c1e")  # injected
    with caplog.at_level(logging.INFO, logger="dlocr"):
        response = post(recording_client, {"image": SPECIMEN}, headers={"X-Request-Id": "trace-500"})
    assert_error(response, 500, "AIS.0500")
    assert "internal detail 8c1e" not in response.text
    assert response.headers["X-Request-Id"] == "trace-500"
    [logged] = [r for r in caplog.records if r.exc_info]
    assert logged.request_id == "trace-500"
    [access] = [r for r in caplog.records if r.name == "dlocr.access"]
    assert (access.status, access.error_code) == (500, "AIS.0500")
    recording_reader.fail_with = None
    assert_still_serving(recording_client)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no/such/route", 404),
        ("POST", "/v2/p/ocr/id-card", 404),
        ("GET", URL, 404),  # Huawei's gateway routes on method and path together
    ],
)
def test_unknown_route_is_apig_0101(
    recording_client: TestClient, recording_reader: RecordingReader, method: str, path: str, status: int
) -> None:
    assert_error(recording_client.request(method, path), status, "APIG.0101")
    assert recording_reader.calls == []
    assert_still_serving(recording_client)


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
    recording_client: TestClient, recording_reader: RecordingReader, settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    image = SPECIMEN
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
            post(recording_client, body, headers=headers)

    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert image[:64] not in logged and image[-64:] not in logged
    assert token not in logged
    [read, _] = recording_reader.returned  # the two 200s below, read for real
    assert read.fields["number"] == SPECIMEN_NUMBER
    for value in read.fields.values():
        assert value not in logged

    access = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "dlocr.access"]
    assert len(access) == len(requests)
    assert [(line["status"], line["error_code"]) for line in access] == [
        (200, None), (400, "AIS.0101"), (400, "AIS.0102"), (401, "APIG.0301"), (200, None)
    ]
    assert {line["path"] for line in access} == {URL}
    assert access[-1]["request_id"] == "client-id-1"
    assert all(line["method"] == "POST" and line["duration_ms"] >= 0 for line in access)


# -- the documentation ----------------------------------------------------------------------------------------


def _error_classes(cls: type[DlocrError]) -> list[type[DlocrError]]:
    return [cls, *(found for sub in cls.__subclasses__() for found in _error_classes(sub))]


def test_docs_list_every_code_the_service_answers() -> None:
    documented = (Path(__file__).resolve().parents[1] / "docs" / "errors.md").read_text(encoding="utf-8")
    for error in _error_classes(DlocrError):  # service.errors' classes included: service.app imports them
        assert f"| {error.http_status} | `{error.code}` |" in documented, error
