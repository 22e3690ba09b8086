"""The successful path: what reaches the reader, what comes back, and the service's own surfaces."""

from __future__ import annotations

import base64
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from pipelines.errors import UnsupportedImage
from pipelines.types import LicenceReading, ReadOptions
from service.app import create_app
from service.payload import decode_base64_image
from service.settings import Settings
from servers import specimen_truth

if TYPE_CHECKING:
    from conftest import RecordingReader

# The keys we add to Huawei's result, after its fields.
EXTRAS = ("type", "side", "confidence", "warnings")
URL = "/v2/0123456789abcdef/ocr/driver-license"
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
IMAGE_BYTES = (SAMPLES / "specimen-front.jpg").read_bytes()
IMAGE = base64.b64encode(IMAGE_BYTES).decode()


def assert_read_specimen(response: httpx.Response, reader: RecordingReader) -> dict[str, str]:
    """A 200 that carries exactly what the real reader read last, and that is the specimen."""
    assert response.status_code == 200, response.text
    assert response.json() == {"result": reader.last_result}
    result = response.json()["result"]
    assert result["number"] == specimen_truth()["number"]
    return result


@pytest.mark.parametrize("issuing_authority", [False, True])
def test_specimen_front_is_read(client: TestClient, issuing_authority: bool) -> None:
    image = base64.b64encode((SAMPLES / "specimen-front.jpg").read_bytes()).decode()
    response = client.post(URL, json={"image": image, "side": "front", "return_issuing_authority": issuing_authority})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["X-Request-Id"]
    result = response.json()["result"]
    truth = specimen_truth()
    # Huawei's field order, issuing_authority only when asked for; then our extra keys.
    fields = [name for name in truth if issuing_authority or name != "issuing_authority"]
    assert list(result) == [*fields, *EXTRAS]
    assert {name: result[name] for name in fields} == {name: truth[name] for name in fields}
    assert result["type"] == "normal" and result["side"] == "front"
    assert list(result["confidence"]) == fields
    # The specimen is a doctored demo: its holder is 16 at first issue, which a C1 licence cannot be.
    assert result["warnings"] == ["issued_under_age"]
    assert result["confidence"]["birth"] <= 0.5 and result["confidence"]["issue_date"] <= 0.5


OPTIONS = {
    "defaults": ({}, ReadOptions(side=None, return_issuing_authority=False)),
    "side null": ({"side": None}, ReadOptions(side=None, return_issuing_authority=False)),
    "side empty": ({"side": ""}, ReadOptions(side=None, return_issuing_authority=False)),
    "side back": ({"side": "back"}, ReadOptions(side="back", return_issuing_authority=False)),
    "authority true": ({"return_issuing_authority": True}, ReadOptions(return_issuing_authority=True)),
    "authority false": ({"return_issuing_authority": False}, ReadOptions(return_issuing_authority=False)),
    "url null, extra key": ({"url": None, "detect_direction": True}, ReadOptions()),
}


@pytest.mark.parametrize(("extra", "expected"), OPTIONS.values(), ids=OPTIONS.keys())
def test_request_becomes_bytes_and_options(
    recording_client: TestClient, recording_reader: RecordingReader, extra: dict[str, Any], expected: ReadOptions
) -> None:
    response = recording_client.post(URL, json={"image": IMAGE, **extra})
    assert recording_reader.calls == [(IMAGE_BYTES, expected)]
    if expected.side == "back":
        # The specimen is a front page: the real reader says so rather than reading the wrong page.
        assert response.status_code == 400, response.text
        assert response.json()["error_code"] == "AIS.0105"
        assert "back page" in response.json()["error_msg"]
        assert recording_reader.returned == []
        return
    result = assert_read_specimen(response, recording_reader)
    assert ("issuing_authority" in result) is expected.return_issuing_authority


@pytest.mark.parametrize(
    "image",
    [f"data:image/jpeg;base64,{IMAGE}", "\n".join(IMAGE[i : i + 8] for i in range(0, len(IMAGE), 8)) + "\r\n"],
    ids=["data URI", "line breaks"],
)
def test_base64_wrappers_are_tolerated(
    recording_client: TestClient, recording_reader: RecordingReader, image: str
) -> None:
    assert_read_specimen(recording_client.post(URL, json={"image": image}), recording_reader)
    assert recording_reader.calls[0][0] == IMAGE_BYTES


@pytest.mark.parametrize("space", [" ", "\t", "\n", "\r", "\x0b", "\x0c"])
def test_base64_may_be_spaced_with_any_ascii_whitespace(space: str) -> None:
    assert decode_base64_image(space.join(["aGVs", "bG8g", "d29y", "bGQ="]) + space, 100) == b"hello world"


@pytest.mark.parametrize("stray", ["\u00a0", "\u3000", "*", "\x00"])
def test_other_characters_in_base64_are_refused(stray: str) -> None:
    with pytest.raises(UnsupportedImage):
        decode_base64_image(f"aGVs{stray}bG8g", 100)


def test_chinese_is_sent_as_utf8_not_escaped(recording_client: TestClient, recording_reader: RecordingReader) -> None:
    response = recording_client.post(URL, json={"image": IMAGE})
    assert assert_read_specimen(response, recording_reader)["name"] == "谢乐桃"
    assert "谢乐桃".encode() in response.content


def test_request_id_is_generated(recording_client: TestClient) -> None:
    first = recording_client.post(URL, json={"image": IMAGE}).headers["X-Request-Id"]
    second = recording_client.post(URL, json={"image": IMAGE}).headers["X-Request-Id"]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("abc-123-XYZ", True), ("a" * 64, True), ("a" * 65, False), ("has space", False), ("id;x=1", False), ("", False)],
)
def test_request_id_is_reused_only_when_sane(recording_client: TestClient, sent: str, kept: bool) -> None:
    returned = recording_client.post(URL, json={"image": IMAGE}, headers={"X-Request-Id": sent}).headers["X-Request-Id"]
    assert (returned == sent) is kept
    assert returned


class SlowReader:
    """The real reader, held a while longer so that requests in flight overlap; counts how many do."""

    def __init__(self, inner: RecordingReader) -> None:
        self.inner = inner
        self.engine = inner.engine
        self.lock = threading.Lock()
        self.running = self.peak = 0

    def read(self, data: bytes, options: ReadOptions) -> LicenceReading:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        try:
            time.sleep(0.2)
            return self.inner.read(data, options)
        finally:
            with self.lock:
                self.running -= 1

    def warm_up(self) -> None:
        self.inner.warm_up()


def test_recognitions_in_flight_are_bounded(settings: Settings, recording_reader: RecordingReader) -> None:
    reader = SlowReader(recording_reader)
    bounded = settings.model_copy(update={"max_concurrency": 2})
    token = settings.auth_tokens[0].get_secret_value()
    with TestClient(create_app(bounded, reader), headers={"X-Auth-Token": token}) as http:
        assert_read_specimen(http.post(URL, json={"image": IMAGE}), recording_reader)  # one at a time
        assert reader.peak == 1
        with ThreadPoolExecutor(max_workers=6) as pool:
            responses = list(pool.map(lambda _: http.post(URL, json={"image": IMAGE}), range(6)))
    assert [response.status_code for response in responses] == [200] * 6
    assert all(response.json()["result"]["number"] == specimen_truth()["number"] for response in responses)
    assert len(recording_reader.calls) == 7
    assert reader.peak == 2


def test_health_is_ok_once_the_reader_is_loaded(recording_client: TestClient) -> None:
    response = recording_client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert response.headers["X-Request-Id"]


def test_ready_is_503_before_start_up_while_health_is_ok(settings: Settings, recording_reader: RecordingReader) -> None:
    not_started = TestClient(create_app(settings, recording_reader))  # not entered: the lifespan has not run
    response = not_started.get("/ready")
    assert (response.status_code, response.json()) == (503, {"status": "loading"})
    assert not_started.get("/health").json() == {"status": "ok"}  # alive all the same


def test_openapi_documents_the_huawei_contract(recording_client: TestClient) -> None:
    document = recording_client.get("/openapi.json").json()
    operation = document["paths"]["/v2/{project_id}/ocr/driver-license"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"image", "url", "side", "return_issuing_authority", "return_text_location"}
    assert body["examples"]
    assert {"200", "400", "401", "500"} <= set(operation["responses"])
    assert "422" not in json.dumps(document["paths"])
    schemas = document["components"]["schemas"]
    assert "class" in schemas["DriverLicenseFront"]["properties"]
    assert set(schemas["ErrorBody"]["properties"]) == {"error_code", "error_msg"}
    assert document["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-Auth-Token"


def test_text_location_boxes_each_field_in_the_photo(client: TestClient) -> None:
    image = base64.b64encode(IMAGE_BYTES).decode()
    response = client.post(URL, json={"image": image, "return_text_location": True})
    assert response.status_code == 200
    result = response.json()["result"]
    locations = result.pop("text_location")
    assert set(locations) == set(result) - set(EXTRAS)
    for corners in locations.values():
        assert len(corners) == 4 and all(0 <= x <= 1091 and 0 <= y <= 712 for x, y in corners)
    # The specimen's 证号 is printed at about x 460-840, y 138-175 of the 1091x712 photo.
    (x0, y0), _, (x1, y1), _ = locations["number"]
    assert 430 < x0 < 470 and 830 < x1 < 870 and 120 < y0 < 145 and 170 < y1 < 195


def test_a_full_queue_is_told_at_once(settings: Settings, recording_reader: RecordingReader) -> None:
    reader = SlowReader(recording_reader)
    tight = settings.model_copy(update={"max_concurrency": 1, "max_queue": 1})
    token = settings.auth_tokens[0].get_secret_value()
    with TestClient(create_app(tight, reader), headers={"X-Auth-Token": token}) as http:
        with ThreadPoolExecutor(max_workers=5) as pool:
            responses = list(pool.map(lambda _: http.post(URL, json={"image": IMAGE}), range(5)))
        refused = [r for r in responses if r.status_code == 503]
        assert refused and all(r.json()["error_code"] == "ModelArts.4401" for r in refused)
        assert all(r.headers["X-Request-Id"] for r in refused)
        assert [r.status_code for r in responses].count(200) >= 2  # one reading, one waiting
        assert http.post(URL, json={"image": IMAGE}).status_code == 200  # and the next is served


def test_double_side_reads_both_pages_of_one_photo(client: TestClient) -> None:
    labels = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))
    [demo] = [s for s in labels["samples"] if s["file"] == "huawei-demo-front-back.png"]
    image = base64.b64encode((SAMPLES / demo["file"]).read_bytes()).decode()
    body = {"image": image, "side": "double_side", "return_issuing_authority": True, "return_text_location": True}
    response = client.post(URL, json=body)
    assert response.status_code == 200
    result = response.json()["result"]
    for page in ("front", "back"):
        fields = dict(result[page])
        locations = fields.pop("text_location")
        extras = {name: fields.pop(name) for name in EXTRAS}
        assert fields == demo["ground_truth"][page]
        assert set(locations) == set(fields)
        assert extras["side"] == page
    # Huawei's demo is doctored: the pages print different 证号, the back's fails its check character, and the
    # front's is a woman's (even 17th digit) on a card that says 男. Each is flagged, none is "corrected".
    assert result["front"]["warnings"] == ["sex_mismatch", "pages_disagree"]
    assert result["back"]["warnings"] == ["number_check_failed", "pages_disagree"]
    assert result["front"]["confidence"]["number"] <= 0.5 and result["back"]["confidence"]["number"] <= 0.5


def test_double_side_without_the_back_page_names_what_is_missing(client: TestClient) -> None:
    response = client.post(URL, json={"image": IMAGE, "side": "double_side"})
    assert response.status_code == 400
    assert response.json()["error_code"] == "AIS.0105"
    assert "back page" in response.json()["error_msg"]


def test_side_omitted_detects_the_back_page(client: TestClient) -> None:
    labels = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))
    [demo] = [s for s in labels["samples"] if s["file"] == "huawei-demo-front-back.png"]
    back = right_half((SAMPLES / demo["file"]).read_bytes())
    response = client.post(URL, json={"image": base64.b64encode(back).decode()})
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["side"] == "back"
    assert {name: result[name] for name in demo["ground_truth"]["back"]} == demo["ground_truth"]["back"]


def right_half(data: bytes) -> bytes:
    """The demo photo's right half: its back page alone."""
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return cv2.imencode(".png", image[:, image.shape[1] // 2 :])[1].tobytes()
