"""Prometheus metrics for operators. Labels only ever hold route templates, statuses, codes and stage names.

With several worker processes (`dlocr serve --workers N`) a scrape reaches one of them; `shared_between_workers`
puts prometheus-client in multiprocess mode, so every worker writes its values to files in one directory and
whichever worker answers the scrape adds them all up.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

from models import OcrEngine

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

# The *_created series only double the output; multiprocess mode has none, so one process should not either.
disable_created_metrics()

# A licence takes 0.5 to 3 s on two CPU cores, less on a GPU; most errors answer in milliseconds.
_REQUEST_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0, 30.0, 60.0)
_STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)

REQUESTS = Counter(
    "dlocr_requests",
    "HTTP requests answered, by route template, HTTP status and error_code",
    ["route", "status", "error_code"],
)
REQUEST_SECONDS = Histogram(
    "dlocr_request_duration_seconds",
    "Time from request to answer, by route template",
    ["route"],
    buckets=_REQUEST_BUCKETS,
)
STAGE_SECONDS = Histogram(
    "dlocr_stage_duration_seconds",
    "Time per pipeline stage of a licence read (decode, locate, read, extract), successful reads",
    ["stage"],
    buckets=_STAGE_BUCKETS,
)
QUEUE_SECONDS = Histogram(
    "dlocr_queue_wait_seconds",
    "Time a recognition waited for a free slot (DLOCR_MAX_CONCURRENCY)",
    buckets=_STAGE_BUCKETS,
)
# livesum: the gauges of a worker that died must not count any more.
IN_FLIGHT = Gauge(
    "dlocr_requests_in_flight", "HTTP requests being answered (a scrape counts itself)", multiprocess_mode="livesum"
)
QUEUE_DEPTH = Gauge(
    "dlocr_queue_depth",
    "Recognitions waiting for a free slot (DLOCR_MAX_CONCURRENCY per worker)",
    multiprocess_mode="livesum",
)
MODEL_LOAD_SECONDS = Gauge(
    "dlocr_model_load_seconds", "Time to load and warm up the models (the slowest worker)", multiprocess_mode="max"
)
# An info metric written as a gauge: prometheus-client's Info type does not work in multiprocess mode.
ENGINE_INFO = Gauge(
    "dlocr_engine_info",
    "Inference runtime and device of each network of the loaded engine (always 1)",
    ["network", "backend", "version", "device"],
    multiprocess_mode="max",
)


def observe_request(route: str, status: int, error_code: str | None, seconds: float) -> None:
    REQUESTS.labels(route=route, status=str(status), error_code=error_code or "").inc()
    REQUEST_SECONDS.labels(route=route).observe(seconds)


def observe_stages(timings: dict[str, float]) -> None:
    for stage, seconds in timings.items():
        STAGE_SECONDS.labels(stage=stage).observe(seconds)


def record_engine(engine: OcrEngine, seconds: float) -> None:
    MODEL_LOAD_SECONDS.set(seconds)
    for network, runtime in engine.runtimes.items():
        # The runtime is also the name of its Python package (onnxruntime, openvino), already imported.
        version = getattr(importlib.import_module(runtime), "__version__", "unknown")
        ENGINE_INFO.labels(network=network, backend=runtime, version=version, device=engine.device).set(1)


def exposition() -> bytes:
    """The text format of every metric: this process's, or in multiprocess mode all workers' together."""
    if MULTIPROCESS_DIR not in os.environ:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)


def worker_exiting() -> None:
    """Drop this worker's live gauges from the shared files (a no-op with one process)."""
    if MULTIPROCESS_DIR in os.environ:
        multiprocess.mark_process_dead(os.getpid())


@contextmanager
def shared_between_workers(workers: int) -> Iterator[None]:
    """For `workers` > 1: a fresh metrics directory for the worker processes, removed when they have stopped.

    Set before uvicorn spawns the workers, which import prometheus-client with it in their environment. An
    operator's own PROMETHEUS_MULTIPROC_DIR is used as it is (it must be emptied between runs).
    """
    if workers == 1 or MULTIPROCESS_DIR in os.environ:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="dlocr-metrics-") as directory:
        os.environ[MULTIPROCESS_DIR] = directory
        try:
            yield
        finally:
            del os.environ[MULTIPROCESS_DIR]
