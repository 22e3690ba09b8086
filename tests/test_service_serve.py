"""A real `dlocr serve --workers 2`: probes, and metrics that add up over both worker processes."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from servers import DlocrProcess, dlocr_serve
from service.metrics import MULTIPROCESS_DIR, shared_between_workers

URL = "/v2/serve-test/ocr/driver-license"


def pids(served: DlocrProcess, **fields: object) -> set[object]:
    """The worker processes that have logged a line with these fields."""
    return {line["pid"] for line in served.log_lines() if all(line.get(k) == v for k, v in fields.items())}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DlocrProcess]:
    log_file = tmp_path_factory.mktemp("serve") / "dlocr.log"
    with dlocr_serve(["--workers", "2"], {"DLOCR_INTRA_OP_THREADS": "1"}, log_file) as process:
        deadline = time.monotonic() + 120
        while len(pids(process, message="engine ready")) < 2:
            assert time.monotonic() < deadline, "the second worker did not get ready"
            time.sleep(0.2)
        yield process


def samples(text: str, name: str) -> list[Sample]:
    families = text_string_to_metric_families(text)
    return [sample for family in families for sample in family.samples if sample.name == name]


def test_health_and_ready(served: DlocrProcess) -> None:
    assert httpx.get(f"{served.base}/health").json() == {"status": "ok"}
    assert httpx.get(f"{served.base}/ready").json() == {"status": "ready"}


def test_metrics_add_up_over_the_workers(served: DlocrProcess) -> None:
    sent = 0
    # A fresh connection for each request lets either worker accept it; go on until both have answered.
    while len(pids(served, path=URL)) < 2 and sent < 60:
        response = httpx.post(f"{served.base}{URL}", json={"image": "", "side": "left"})
        assert response.json()["error_code"] == "AIS.0101"
        sent += 1
        time.sleep(0.05)
    assert len(pids(served, path=URL)) == 2, "one worker answered everything"

    labels = {"route": "/v2/{project_id}/ocr/driver-license", "status": "400", "error_code": "AIS.0101"}
    for _ in range(6):  # whichever worker answers the scrape counts every worker's requests
        text = httpx.get(f"{served.base}/metrics").text
        assert [s.value for s in samples(text, "dlocr_requests_total") if s.labels == labels] == [sent]
        info = samples(text, "dlocr_engine_info")
        assert sorted((i.labels["network"], i.labels["backend"], i.labels["device"], i.value) for i in info) == [
            ("cls", "onnxruntime", "cpu", 1), ("det", "openvino", "cpu", 1), ("rec", "onnxruntime", "cpu", 1)]
        [load] = samples(text, "dlocr_model_load_seconds")
        assert load.value > 0
        assert [s.value for s in samples(text, "dlocr_queue_depth")] == [0]


def test_the_shared_metrics_directory_lives_as_long_as_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MULTIPROCESS_DIR, raising=False)
    with shared_between_workers(1):
        assert MULTIPROCESS_DIR not in os.environ  # one process keeps its metrics in memory
    with shared_between_workers(2):
        directory = Path(os.environ[MULTIPROCESS_DIR])
        assert directory.is_dir() and not any(directory.iterdir())
    assert MULTIPROCESS_DIR not in os.environ and not directory.exists()
