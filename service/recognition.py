"""One recognition for one request: wait for a slot, read in a thread, and account for where the time went."""

from __future__ import annotations

import time

import anyio.to_thread
from starlette.requests import Request

from pipelines import DoubleReading, LicenceReading, ReadOptions
from service.errors import Overloaded
from service.metrics import QUEUE_DEPTH, QUEUE_SECONDS, observe_stages


async def recognize(request: Request, data: bytes, options: ReadOptions) -> LicenceReading | DoubleReading:
    """The reader's answer, bounded by DLOCR_MAX_CONCURRENCY; the access log gets the image size and timings.

    The slot is taken here rather than by `run_sync(limiter=...)` so that the wait can be measured on its own:
    a long queue and a slow pipeline call for different remedies.
    """
    limiter: anyio.CapacityLimiter = request.app.state.limiter
    request.state.image_bytes = len(data)
    if limiter.available_tokens == 0 and limiter.statistics().tasks_waiting >= request.app.state.settings.max_queue:
        raise Overloaded()
    queued = time.perf_counter()
    with QUEUE_DEPTH.track_inprogress():
        await limiter.acquire()
    try:
        waited = time.perf_counter() - queued
        QUEUE_SECONDS.observe(waited)
        request.state.timings = {"queue": waited}
        reading: LicenceReading | DoubleReading = await anyio.to_thread.run_sync(request.app.state.reader.read, data, options)
    finally:
        limiter.release()
    observe_stages(reading.timings)
    request.state.timings.update(reading.timings)
    return reading
