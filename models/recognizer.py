"""PP-OCR CTC text recognition: line crops -> text, with per-frame candidates for constrained re-decoding."""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import cv2
import numpy as np

from .backend import Backend
from .shapes import AS_GIVEN, ShapePolicy

REC_HEIGHT = 48
TOP_K = 6


@dataclass(frozen=True)
class Recognition:
    """One line's reading.

    text/score are the greedy CTC decode. topk_ids/topk_probs (frames x TOP_K) keep the recogniser's runners-up
    so that a field parser can re-decode with only the characters the field allows ("C1" not "Cl").
    char_frames[i] is the frame that emitted text[i]; frame_width converts frames to crop pixels.
    """

    text: str
    score: float
    char_probs: tuple[float, ...]
    char_frames: tuple[int, ...]
    topk_ids: np.ndarray
    topk_probs: np.ndarray
    frame_width: float
    charset: tuple[str, ...]

    def char_x(self, i: int) -> float:
        """Centre of character i along the crop, in crop pixels."""
        return (self.char_frames[i] + 0.5) * self.frame_width

    def constrained(
        self, allowed: Callable[[str], bool], start: int = 0, end: int | None = None
    ) -> tuple[str, tuple[float, ...], tuple[int, ...]]:
        """Greedy CTC decode of frames [start, end) keeping only characters for which allowed(ch) is true.

        A frame whose candidates are all disallowed counts as blank. Returns text, per-char probabilities, frames.
        """
        chars: list[str] = []
        probs: list[float] = []
        frames: list[int] = []
        prev = 0
        stop = self.topk_ids.shape[0] if end is None else min(end, self.topk_ids.shape[0])
        for t in range(max(0, start), stop):
            best, best_p = 0, 0.0
            for idx, p in zip(self.topk_ids[t], self.topk_probs[t]):
                if p > best_p and (idx == 0 or allowed(self.charset[idx])):
                    best, best_p = int(idx), float(p)
            if best != 0 and best != prev:
                chars.append(self.charset[best])
                probs.append(best_p)
                frames.append(t)
            prev = best
        return "".join(chars), tuple(probs), tuple(frames)

    def unread_mass(self, start: int, end: int) -> float:
        """The most probability that a frame of [start, end) left blank by the greedy decode gave to characters:
        to any but the space and the characters read on either side of it (one character spreads over a few
        frames). A blurred character whose likeliest readings split among several shapes (班 0.13, 瑄 0.08,
        琼 0.07, ...) loses to the blank with under half the frame, and the line reads clean, one character short."""
        likeliest = self.topk_ids[np.arange(len(self.topk_ids)), self.topk_probs.argmax(axis=1)]
        emitted = self.char_frames
        space = len(self.charset) - 1
        most = 0.0
        for t in range(max(0, start), min(end, len(likeliest))):
            if likeliest[t] != 0:
                continue
            at = bisect.bisect_left(emitted, t)
            neighbours = {int(likeliest[emitted[i]]) for i in (at - 1, at) if 0 <= i < len(emitted)}
            kept = {0, space} | neighbours
            unread = 1.0 - sum(float(p) for i, p in zip(self.topk_ids[t], self.topk_probs[t]) if int(i) in kept)
            most = max(most, unread)
        return most

    def candidates_at(self, frames: Sequence[int], allowed: Callable[[str], bool]) -> list[dict[str, float]]:
        """Every allowed candidate the recogniser saw at each of `frames`, with its probability."""
        charset = self.charset
        return [
            {charset[i]: float(p) for i, p in zip(self.topk_ids[t], self.topk_probs[t]) if i and allowed(charset[i])}
            for t in frames
        ]


def load_charset(metadata: dict[str, str]) -> tuple[str, ...]:
    # The ONNX export carries PaddleOCR's dictionary; CTC index 0 is the blank and the last is the space.
    chars = metadata["character"].splitlines()
    return ("",) + tuple(chars) + (" ",)


# On the CPU a batch of lines is read in network calls of at most this many input pixels across (rows x padded
# width). A call's output is a softmax over 18,710 classes for every 8 px: 2048 px make 19 MB, held twice (the
# logits and the softmax), against 200 MB for 16 address lines in one call, which set the worker's peak memory.
MAX_CALL_WIDTH = 2048


@dataclass(frozen=True)
class _Call:
    lines: list[int]  # indices into the crops
    width: int  # every line padded to it


class TextRecognizer:
    """Line crops -> Recognitions. With parallel > 1 (a backend of one thread per call, on the CPU), a batch's
    calls run on that many threads of a pool the recogniser owns and every request shares: measured on this
    project's 2 cores, 13% faster than one call on a session of two threads, whose threads idle between layers
    of a network this small. Calls split a batch's rows only, so each line reads at the width it would in one call."""

    def __init__(self, backend: Backend, shapes: ShapePolicy = AS_GIVEN, parallel: int = 1):
        self._backend = backend
        self._shapes = shapes
        self._parallel = parallel
        self._pool = ThreadPoolExecutor(parallel, thread_name_prefix="dlocr-rec") if parallel > 1 else None
        self.charset = load_charset(backend.metadata())

    def __call__(self, crops: Sequence[np.ndarray]) -> list[Recognition]:
        if not crops:
            return []
        widths = [resized_width(c) for c in crops]
        order = np.argsort(widths)
        calls: list[_Call] = []
        for batch in _width_batches([int(i) for i in order], widths, self._shapes):
            width = self._shapes.line_width(max(max(widths[i] for i in batch), REC_HEIGHT * 4))
            calls += [_Call(lines, width) for lines in self._split(batch, width)]
        read = partial(self._read, crops=crops, widths=widths)
        readings = self._pool.map(read, calls) if self._pool and len(calls) > 1 else map(read, calls)
        results: list[Recognition | None] = [None] * len(crops)
        for call, recognitions in zip(calls, readings):
            for i, recognition in zip(call.lines, recognitions):
                results[i] = recognition
        return results  # type: ignore[return-value]

    def _split(self, batch: list[int], width: int) -> list[list[int]]:
        """A batch's lines in calls: on the CPU enough to keep each under MAX_CALL_WIDTH and every thread busy;
        with fixed shapes (a GPU), one call, which costs about what one line does."""
        if self._shapes.fixed:
            return [batch]
        calls = min(len(batch), max(self._parallel, math.ceil(len(batch) * width / MAX_CALL_WIDTH)))
        return [[int(i) for i in part] for part in np.array_split(batch, calls)]

    def _read(self, call: _Call, crops: Sequence[np.ndarray], widths: list[int]) -> list[Recognition]:
        rows = self._shapes.batch_rows(len(call.lines))
        x = line_batch([crops[i] for i in call.lines], [widths[i] for i in call.lines], rows, call.width)
        top, top_p = frame_candidates(self._backend.run(x), len(call.lines))
        return [
            self._decode(top[row], top_p[row], call.width / top.shape[1] * crops[i].shape[0] / REC_HEIGHT)
            for row, i in enumerate(call.lines)
        ]

    def _decode(self, top: np.ndarray, top_p: np.ndarray, frame_width: float) -> Recognition:
        """Greedy CTC decode from each frame's candidates (the likeliest is among them)."""
        likeliest = top_p.argmax(axis=1)
        best = top[np.arange(len(top)), likeliest]
        best_p = top_p[np.arange(len(top)), likeliest]
        chars: list[str] = []
        char_probs: list[float] = []
        frames: list[int] = []
        prev = 0
        for t, idx in enumerate(best):
            if idx != 0 and idx != prev:
                chars.append(self.charset[idx])
                char_probs.append(float(best_p[t]))
                frames.append(t)
            prev = idx
        score = float(np.mean(char_probs)) if char_probs else 0.0
        return Recognition(
            text="".join(chars),
            score=score,
            char_probs=tuple(char_probs),
            char_frames=tuple(frames),
            topk_ids=top.astype(np.int32),
            topk_probs=top_p.astype(np.float32),
            frame_width=frame_width,
            charset=self.charset,
        )


def frame_candidates(outputs: list[np.ndarray], rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Each frame's TOP_K likeliest classes and their probabilities (rows, frames, TOP_K), for the first `rows`
    lines of a batch: from the graph's own TopK when it has one (on a GPU, models/topk.py), else from the softmax."""
    if len(outputs) == 2:
        top_p, top = outputs
        return top[:rows], top_p[:rows]
    probs = outputs[0][:rows]
    n, frames, classes = probs.shape
    top, top_p = top_candidates(probs.reshape(n * frames, classes), TOP_K)
    return top.reshape(n, frames, TOP_K), top_p.reshape(n, frames, TOP_K)


# Classes per block in top_candidates: measured fastest of 32-256 on 3,861 frames of 18,710 classes.
CANDIDATE_BLOCK = 128


def top_candidates(probs: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k largest values, unordered: their columns (rows, k) and the values.

    The same as an argpartition over every column (ties aside), and 3-6x faster on the recogniser's 18,710
    classes (108 -> 34 ms for 1,200 frames, about one card's lines), where that argpartition and an argmax cost a
    read tens of milliseconds. A row's k best lie in its k blocks of CANDIDATE_BLOCK columns
    with the highest maxima: a block holding one of them has a maximum at least the k-th best value, and at most
    k blocks can. So only those blocks are searched.
    """
    rows, columns = probs.shape
    if columns <= CANDIDATE_BLOCK * k:
        ids = np.argpartition(probs, -k, axis=1)[:, -k:]
        return ids, np.take_along_axis(probs, ids, axis=1)
    block_max = np.maximum.reduceat(probs, np.arange(0, columns, CANDIDATE_BLOCK), axis=1)
    blocks = np.argpartition(block_max, -k, axis=1)[:, -k:]
    candidates = (blocks[:, :, None] * CANDIDATE_BLOCK + np.arange(CANDIDATE_BLOCK)).reshape(rows, -1)
    inside = candidates < columns  # the last block may be short
    candidates = np.where(inside, candidates, 0)
    values = np.where(inside, np.take_along_axis(probs, candidates, axis=1), -np.inf)
    pick = np.argpartition(values, -k, axis=1)[:, -k:]
    return np.take_along_axis(candidates, pick, axis=1), np.take_along_axis(values, pick, axis=1)


def resized_width(crop: np.ndarray) -> int:
    """Width of the crop scaled to the networks' 48 px line height."""
    h, w = crop.shape[:2]
    return max(8, int(math.ceil(REC_HEIGHT * w / max(h, 1))))


def _width_batches(order: list[int], widths: list[int], shapes: ShapePolicy) -> list[list[int]]:
    """Crops in order of width, cut into batches of similar width."""
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < shapes.max_batch and shapes.same_batch(widths[i], widths[batches[-1][0]]):
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


def line_batch(crops: Sequence[np.ndarray], widths: Sequence[int], rows: int, pad_w: int) -> np.ndarray:
    """One network input (rows, 3, 48, pad_w): each crop at 48 px high and its width, scaled to [-1, 1], zeros
    to its right and in the rows beyond the crops. Written in place: a GPU batch of 32 rows 1440 px wide is
    27 MB, and filling it twice showed in the host's profile."""
    x = np.zeros((rows, 3, REC_HEIGHT, pad_w), np.float32)
    for row, (crop, width) in enumerate(zip(crops, widths)):
        resized = cv2.resize(crop, (width, REC_HEIGHT)).astype(np.float32)
        x[row, :, :, :width] = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    return x
