"""Recognition shared between concurrent requests: the same answers, fewer network calls, errors to every caller."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import cv2
import numpy as np
import pytest

from models import BatchingRecognizer
from pipelines import LicenceReader, ReadOptions
from pipelines.read import crop_quad
from synthetic import make_sample


class CountingRecognizer:
    """The real recogniser, counting the crops of each call; `gate` holds the first call until it is set."""

    def __init__(self, real, gate: threading.Event | None = None):
        self.real = real
        self.charset = real.charset
        self.calls: list[int] = []
        self.gate = gate
        self.fail = False

    def __call__(self, crops):
        self.calls.append(len(crops))
        if self.gate is not None and len(self.calls) == 1:
            self.gate.wait(10)
        if self.fail:
            raise RuntimeError("the runtime failed")
        return self.real(crops)


@pytest.fixture(scope="module")
def requests_crops(engine) -> list[list[np.ndarray]]:
    """Four requests' worth of real text lines from a generated licence photo, six lines each."""
    image = make_sample(7600, "flat", "front").image
    crops = [crop_quad(image, box.quad) for box in engine.detector(image, (960, 640))]
    assert len(crops) >= 24
    return [crops[i * 6 : (i + 1) * 6] for i in range(4)]


def _texts(recognitions) -> list[str]:
    return [r.text for r in recognitions]


def test_shared_batches_read_what_each_request_reads_alone(engine, requests_crops):
    batching = BatchingRecognizer(engine.recognizer)
    with ThreadPoolExecutor(4) as pool:
        shared = list(pool.map(batching, requests_crops))
    for crops, answer in zip(requests_crops, shared):
        alone = engine.recognizer(crops)
        assert _texts(answer) == _texts(alone)
        for a, b in zip(answer, alone):
            assert np.allclose(a.char_probs, b.char_probs, atol=1e-4)


def test_requests_that_queue_behind_a_running_batch_share_the_next_call(engine, requests_crops):
    gate = threading.Event()
    counting = CountingRecognizer(engine.recognizer, gate)
    batching = BatchingRecognizer(counting)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(batching, requests_crops[0])
        while not counting.calls:
            time.sleep(0.01)
        rest = [pool.submit(batching, crops) for crops in requests_crops[1:]]
        while batching._pending.qsize() < 3:  # all three queued behind the first call
            time.sleep(0.01)
        gate.set()
        answers = [first.result(), *(f.result() for f in rest)]
    assert counting.calls == [6, 18]
    assert [len(a) for a in answers] == [6, 6, 6, 6]


def test_a_failed_call_reaches_every_caller_and_the_next_call_works(engine, requests_crops):
    counting = CountingRecognizer(engine.recognizer)
    batching = BatchingRecognizer(counting)
    counting.fail = True
    with pytest.raises(RuntimeError, match="the runtime failed"):
        batching(requests_crops[0])
    counting.fail = False
    assert len(batching(requests_crops[1])) == 6


def test_a_reader_with_shared_batches_reads_concurrent_photos(engine):
    shared = LicenceReader(replace(engine, recognizer=BatchingRecognizer(engine.recognizer)))
    samples = [make_sample(7610 + i, "flat", page) for i, page in enumerate(("front", "back", "front", "back"))]
    data = [cv2.imencode(".jpg", s.image)[1].tobytes() for s in samples]
    with ThreadPoolExecutor(4) as pool:
        readings = list(pool.map(lambda d, s: shared.read(d, ReadOptions(side=s.page, return_issuing_authority=True)), data, samples))
    assert [r.fields for r in readings] == [s.truth for s in samples]
