"""What operators see: probes, Prometheus metrics, the access log's timings, the offline docs and their examples."""

from __future__ import annotations

import base64
import inspect
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import httpx
import numpy as np
import onnxruntime
import openvino
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

import pipelines
from servers import free_port, specimen_truth
from service import payload
from pipelines.types import LicenceReading, ReadOptions
from service.app import create_app
from service.errors import ERROR_EXAMPLES
from service.logs import JsonFormatter
from service.settings import Settings

if TYPE_CHECKING:
    from conftest import RecordingReader

URL = "/v2/0123456789abcdef/ocr/driver-license"
ROUTE = "/v2/{project_id}/ocr/driver-license"
SPECIMEN_BYTES = (Path(__file__).resolve().parents[2] / "shared" / "samples" / "specimen-front.jpg").read_bytes()
SPECIMEN = base64.b64encode(SPECIMEN_BYTES).decode()
STAGES = ("decode", "locate", "read", "extract")


def png(height: int, width: int, value: int = 0) -> str:
    return base64.b64encode(cv2.imencode(".png", np.full((height, width, 3), value, np.uint8))[1].tobytes()).decode()


def scrape(http: TestClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics by (name, labels)."""
    response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_health_and_ready_once_started(client: TestClient) -> None:
    assert (client.get("/health").status_code, client.get("/health").json()) == (200, {"status": "ok"})
    assert (client.get("/ready").status_code, client.get("/ready").json()) == (200, {"status": "ready"})


def test_a_read_is_measured_and_logged_without_its_content(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    before = scrape(client)
    with caplog.at_level(logging.DEBUG, logger="dlocr"):
        response = client.post(URL, json={"image": SPECIMEN}, headers={"X-Request-Id": "operator-test-1"})
    after = scrape(client)
    assert response.status_code == 200, response.text

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("dlocr_requests_total", route=ROUTE, status="200", error_code="") == 1
    assert grew("dlocr_request_duration_seconds_count", route=ROUTE) == 1
    assert grew("dlocr_request_duration_seconds_sum", route=ROUTE) > 0.1
    assert grew("dlocr_queue_wait_seconds_count") == 1
    for stage in STAGES:
        assert grew("dlocr_stage_duration_seconds_count", stage=stage) == 1, stage
    assert value(after, "dlocr_queue_depth") == 0
    assert value(after, "dlocr_requests_in_flight") == 1  # the scrape itself

    [line] = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "dlocr.access"]
    assert line["request_id"] == "operator-test-1"
    assert (line["status"], line["error_code"], line["route"]) == (200, None, ROUTE)
    assert line["image_bytes"] == len(SPECIMEN_BYTES)
    assert set(line["timings_ms"]) == {"queue", *STAGES}
    assert sum(line["timings_ms"].values()) <= line["duration_ms"]
    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    result = response.json()["result"]
    for name in specimen_truth().keys() & result.keys():
        assert result[name] not in logged


def test_errors_are_counted_by_code(client: TestClient) -> None:
    before = scrape(client)
    client.post(URL, json={"image": png(200, 200), "side": "left"})
    client.post(URL, json={"image": png(40, 50)})
    client.post(URL, json={"image": png(40, 50)}, headers={"X-Auth-Token": "wrong"})
    client.get("/no-such-page")
    after = scrape(client)
    for labels in [
        {"route": ROUTE, "status": "400", "error_code": "AIS.0101"},
        {"route": ROUTE, "status": "400", "error_code": "AIS.0103"},
        {"route": ROUTE, "status": "401", "error_code": "APIG.0301"},
        {"route": "unmatched", "status": "404", "error_code": "APIG.0101"},
    ]:
        assert value(after, "dlocr_requests_total", **labels) - value(before, "dlocr_requests_total", **labels) == 1
    # Refused before any pipeline stage ran: AIS.0103 is found while decoding, which then does not complete.
    assert value(after, "dlocr_stage_duration_seconds_count", stage="extract") == value(
        before, "dlocr_stage_duration_seconds_count", stage="extract"
    )


class GatedReader:
    """The real reader, held at a gate until the test opens it, so that requests pile up in the queue."""

    def __init__(self, inner: RecordingReader) -> None:
        self.inner = inner
        self.engine = inner.engine
        self.gate = threading.Event()

    def read(self, data: bytes, options: ReadOptions) -> LicenceReading:
        assert self.gate.wait(timeout=30)
        return self.inner.read(data, options)

    def warm_up(self) -> None:
        self.inner.warm_up()


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_queue_depth_and_in_flight(settings: Settings, recording_reader: RecordingReader) -> None:
    reader = GatedReader(recording_reader)
    one_at_a_time = settings.model_copy(update={"max_concurrency": 1})
    token = settings.auth_tokens[0].get_secret_value()
    # Not an image: the real reader refuses it at once when the gate opens, so the test stays fast.
    junk = base64.b64encode(b"not an image at all").decode()
    with TestClient(create_app(one_at_a_time, reader), headers={"X-Auth-Token": token}) as http:
        before = scrape(http)
        with ThreadPoolExecutor(max_workers=3) as pool:
            pending = [pool.submit(http.post, URL, json={"image": junk}) for _ in range(3)]
            wait_for(lambda: value(scrape(http), "dlocr_queue_depth") == 2)
            assert value(scrape(http), "dlocr_requests_in_flight") == 4  # three requests and the scrape
            reader.gate.set()
            answers = [future.result() for future in pending]
        after = scrape(http)
    assert [answer.json()["error_code"] for answer in answers] == ["AIS.0102"] * 3
    assert value(after, "dlocr_queue_depth") == 0
    assert value(after, "dlocr_queue_wait_seconds_count") - value(before, "dlocr_queue_wait_seconds_count") == 3
    assert len(recording_reader.calls) == 3


def test_loading_the_engine_is_measured() -> None:
    # create_app without a reader loads (and warms up) the real engine, as `dlocr serve` does.
    app = create_app(Settings(device="cpu"))
    with TestClient(app) as http:
        assert http.get("/ready").json() == {"status": "ready"}
        samples = scrape(http)
    assert 0 < value(samples, "dlocr_model_load_seconds") < 120
    # The default backend, auto: on the CPU the detector on OpenVINO, the recogniser and classifier on ONNX Runtime.
    for network, runtime in (("det", openvino), ("rec", onnxruntime), ("cls", onnxruntime)):
        info = {"network": network, "backend": runtime.__name__, "version": runtime.__version__, "device": "cpu"}
        assert value(samples, "dlocr_engine_info", **info) == 1


# -- /docs and its examples -------------------------------------------------------------------------------------


@pytest.fixture
def strict_client(settings: Settings, recording_reader: RecordingReader) -> Iterator[TestClient]:
    """Small bodies only, and URLs on this machine allowed (so that a download can fail rather than be refused)."""
    token = settings.auth_tokens[0].get_secret_value()
    strict = settings.model_copy(update={"max_body_bytes": 1000, "url_allowed_hosts": ["127.0.0.1"]})
    with TestClient(create_app(strict, recording_reader), headers={"X-Auth-Token": token}) as http:
        yield http


def provoke(summary: str, http: TestClient, recording_reader: RecordingReader, strict: TestClient) -> httpx.Response:
    """A real request that fails the way ERROR_EXAMPLES[summary] says."""
    if summary == "invalid parameter":
        return http.post(URL, json={"image": png(200, 200), "side": "left"})
    if summary == "not an image":
        return http.post(URL, json={"image": base64.b64encode(b"GIF89a, not wanted").decode()})
    if summary == "image too small or too large":
        return http.post(URL, json={"image": png(40, 50)})
    if summary == "no licence":
        return http.post(URL, json={"image": png(300, 400, 128)})
    if summary == "the other page":
        return http.post(URL, json={"image": SPECIMEN, "side": "back"})
    if summary == "body not JSON":
        return http.post(URL, content=b"image=abc", headers={"Content-Type": "application/json"})
    if summary == "URL not allowed":
        return http.post(URL, json={"url": "http://10.1.2.3/licence.jpg"})
    if summary == "URL download failed":
        return strict.post(URL, json={"url": f"http://127.0.0.1:{free_port()}/licence.jpg"})  # nothing listens
    if summary == "no token":
        return http.post(URL, json={"image": SPECIMEN}, headers={"X-Auth-Token": ""})
    if summary == "body too large":
        return strict.post(URL, json={"image": SPECIMEN})
    assert summary == "a bug", summary
    recording_reader.fail_with = RuntimeError("a bug")
    return http.post(URL, json={"image": SPECIMEN})


# No request gives these reliably (a card half readable, a client that stalls): their examples are compared with
# the code that raises them instead.
RAISED_IN = {
    "licence found, fields unreadable": (pipelines, 'PoorQuality("{message}")'),
    "body too slow": (payload, "RequestTimeout()"),
}


@pytest.mark.parametrize("summary", [summary for summary, _ in ERROR_EXAMPLES if summary not in RAISED_IN])
def test_each_documented_error_example_is_a_real_answer(
    summary: str, recording_client: TestClient, recording_reader: RecordingReader, strict_client: TestClient
) -> None:
    [error] = [error for name, error in ERROR_EXAMPLES if name == summary]
    response = provoke(summary, recording_client, recording_reader, strict_client)
    assert response.status_code == error.http_status
    assert response.json() == {"error_code": error.code, "error_msg": error.message}


@pytest.mark.parametrize("summary", RAISED_IN)
def test_the_other_examples_are_what_the_code_raises(summary: str) -> None:
    [error] = [error for name, error in ERROR_EXAMPLES if name == summary]
    module, expression = RAISED_IN[summary]
    assert f"raise {expression.format(message=error.message)}" in inspect.getsource(module)
    if expression.endswith("()"):
        assert error.message == type(error).message


def test_openapi_documents_every_error_with_its_example(client: TestClient) -> None:
    responses = client.get("/openapi.json").json()["paths"][ROUTE]["post"]["responses"]
    for summary, error in ERROR_EXAMPLES:
        examples = responses[str(error.http_status)]["content"]["application/json"]["examples"]
        assert examples[f"{error.code} {summary}"]["value"] == {"error_code": error.code, "error_msg": error.message}
        assert error.code in responses[str(error.http_status)]["description"]
    assert set(client.get("/openapi.json").json()["paths"]) == {ROUTE, "/health", "/ready", "/metrics"}


LOCAL_ASSET = re.compile(r'(?:href|src)="([^"]+)"')


@pytest.mark.parametrize("page", ["/", "/docs"])
def test_pages_load_only_assets_served_here(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "http://" not in response.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in response.text and "//cdn" not in response.text
    assets = LOCAL_ASSET.findall(response.text)
    assert any(asset.endswith(".js") for asset in assets) and any(asset.endswith(".css") for asset in assets)
    for asset in assets:
        url = asset if asset.startswith("/") else f"/{asset}"
        assert client.get(url).status_code == 200, asset
    if page == "/docs":
        assert "url: '/openapi.json'" in response.text and '"validatorUrl": null' in response.text


def test_the_playground_may_talk_to_this_service_only(client: TestClient) -> None:
    policy = client.get("/").headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    for asset in ("/static/playground.js", "/static/playground.css"):
        text = client.get(asset).text
        assert "https://" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
