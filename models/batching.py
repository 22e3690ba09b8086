"""Recognition shared across concurrent reads: one network call for the crops of every request waiting.

Leader and followers, no thread of its own: a caller queues its crops and takes the lock; whoever holds it runs
everything queued so far, its own crops and other requests' alike, and hands each request its share. A caller
that finds its crops already done by the previous holder returns at once. So a lone request waits for nothing,
and under load the network sees fuller batches (most of all on a GPU, where a batch costs about what one line does).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .recognizer import Recognition, TextRecognizer

# One shared call takes at most this many crops (a front page has about 25): more only delays the first request.
MAX_SHARED_CROPS = 128


@dataclass
class _Job:
    crops: list[np.ndarray]
    done: threading.Event = field(default_factory=threading.Event)
    result: list[Recognition] = field(default_factory=list)
    error: BaseException | None = None


class BatchingRecognizer:
    """A TextRecognizer whose calls from concurrent threads are run together."""

    def __init__(self, recognizer: TextRecognizer, max_crops: int = MAX_SHARED_CROPS):
        self._recognizer = recognizer
        self._max_crops = max_crops
        self._pending: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self.charset = recognizer.charset

    def __call__(self, crops: Sequence[np.ndarray]) -> list[Recognition]:
        if not len(crops):
            return []
        job = _Job(list(crops))
        self._pending.put(job)
        with self._lock:
            while not job.done.is_set():
                self._run_some()
        if job.error is not None:
            raise job.error
        return job.result

    def _run_some(self) -> None:
        """Run the queued jobs, oldest first, up to max_crops together (at least one job)."""
        jobs = [self._pending.get_nowait()]
        count = len(jobs[0].crops)
        while count < self._max_crops:
            try:
                job = self._pending.get_nowait()
            except queue.Empty:
                break
            jobs.append(job)
            count += len(job.crops)
        try:
            results = self._recognizer([crop for job in jobs for crop in job.crops])
        except BaseException as exc:  # noqa: BLE001 - handed to each waiting caller, raised in its own thread
            for job in jobs:
                job.error = exc
                job.done.set()
            return
        start = 0
        for job in jobs:
            job.result = results[start : start + len(job.crops)]
            start += len(job.crops)
            job.done.set()
