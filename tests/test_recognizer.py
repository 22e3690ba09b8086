"""The recogniser's candidates: each frame's likeliest classes, found without sorting every class (CPU) or by
a TopK node in the graph (GPU, models/topk.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from models import EngineOptions
from models.backend import make_backend
from models.classifier import CLS_W, DirectionClassifier
from models.manifest import CLASSIFIER, RECOGNIZER
from models.recognizer import (
    CANDIDATE_BLOCK,
    MAX_CALL_WIDTH,
    REC_HEIGHT,
    TOP_K,
    TextRecognizer,
    _width_batches,
    frame_candidates,
    line_batch,
    resized_width,
    top_candidates,
)
from models.shapes import AS_GIVEN, FIXED, LINE_WIDTHS, ShapePolicy
from pipelines.read import crop_quad
from synthetic import make_sample


def _reference(probs: np.ndarray, k: int) -> list[set[int]]:
    return [set(row) for row in np.argpartition(-probs, k, axis=1)[:, :k].tolist()]


@pytest.mark.parametrize("columns", [18710, CANDIDATE_BLOCK * 3, CANDIDATE_BLOCK * 7 + 1])
def test_top_candidates_are_the_largest_values(columns):
    rng = np.random.default_rng(columns)
    probs = rng.random((200, columns), dtype=np.float32)
    # Clustered winners: several of a row's best in one block, as a frame's look-alike characters are.
    probs[:, 40:46] += 2.0
    probs[:, columns - 1] += 3.0  # the best in the short last block
    ids, values = top_candidates(probs, TOP_K)
    assert [set(row) for row in ids.tolist()] == _reference(probs, TOP_K)
    assert np.array_equal(values, np.take_along_axis(probs, ids, axis=1))


def _real_lines(engine, seed: int = 7604, page: str = "back") -> list[np.ndarray]:
    image = make_sample(seed, "flat", page).image
    return [crop_quad(image, b.quad) for b in engine.detector(image, (704, 480))]


def test_the_graphs_top_k_finds_what_numpy_finds_in_the_softmax(engine):
    options = EngineOptions(device="cpu")
    full = make_backend(RECOGNIZER.verified_path(), options, "rec")
    cut = make_backend(RECOGNIZER.verified_path(), options, "rec", top_k=TOP_K)
    crops = _real_lines(engine)[:4]
    width = max(resized_width(c) for c in crops)
    # A padded batch, as on a GPU: the zero row's outputs are dropped.
    x = line_batch(crops, [resized_width(c) for c in crops], len(crops) + 1, width)
    ids, probs = frame_candidates(full.run(x), len(crops))
    graph_ids, graph_probs = frame_candidates(cut.run(x), len(crops))
    assert graph_ids.shape == ids.shape and ids.shape[::2] == (len(crops), TOP_K)
    assert np.allclose(np.sort(graph_probs, axis=2), np.sort(probs, axis=2), atol=1e-6)
    assert np.array_equal(np.take_along_axis(ids, probs.argmax(axis=2)[..., None], axis=2),
                          np.take_along_axis(graph_ids, graph_probs.argmax(axis=2)[..., None], axis=2))


def test_real_frames_keep_the_same_candidates_and_greedy_reading(engine):
    for recognition in engine.recognizer(_real_lines(engine)):
        ids, probs = recognition.topk_ids, recognition.topk_probs
        assert ids.shape == probs.shape and ids.shape[1] == TOP_K
        # Greedy CTC from the candidates: each emitted character is its frame's likeliest class.
        for t, ch in zip(recognition.char_frames, recognition.text):
            assert recognition.charset[ids[t][probs[t].argmax()]] == ch


def test_a_recogniser_on_the_cut_graph_reads_what_the_full_one_reads(engine):
    """The GPU's configuration (TopK in the graph, fixed shapes), run on the CPU."""
    cut = make_backend(RECOGNIZER.verified_path(), EngineOptions(device="cpu"), "rec", top_k=TOP_K)
    crops = _real_lines(engine)
    expected = [(r.text, r.char_frames) for r in engine.recognizer(crops)]
    for shapes in (AS_GIVEN, FIXED):
        got = TextRecognizer(cut, shapes)(crops)
        assert [(r.text, r.char_frames) for r in got] == expected


class _ShapeLog:
    """The real recogniser network, noting the shape of every input it is given."""

    def __init__(self, backend):
        self._backend = backend
        self.providers = backend.providers
        self.shapes: list[tuple[int, ...]] = []

    def run(self, x):
        self.shapes.append(x.shape)
        return self._backend.run(x)

    def metadata(self):
        return self._backend.metadata()


def test_calls_on_parallel_threads_read_what_one_call_per_batch_reads(engine):
    crops = _real_lines(engine, 7605, "front")
    one_thread = make_backend(RECOGNIZER.verified_path(), EngineOptions(device="cpu", intra_op_threads=1), "rec")
    whole = TextRecognizer(one_thread, ShapePolicy(fixed=False, batch_sizes=(64,)))
    split = TextRecognizer(_ShapeLog(one_thread), ShapePolicy(fixed=False, batch_sizes=(64,)), parallel=3)
    expected, got = whole(crops), split(crops)
    assert [(r.text, r.char_frames) for r in got] == [(r.text, r.char_frames) for r in expected]
    assert all(np.allclose(a.topk_probs, b.topk_probs, atol=1e-5) for a, b in zip(got, expected))


def test_a_call_holds_at_most_its_width_budget_and_keeps_its_batchs_width(engine):
    crops = _real_lines(engine, 7605, "front") * 3
    backend = make_backend(RECOGNIZER.verified_path(), EngineOptions(device="cpu"), "rec")
    log = _ShapeLog(backend)
    TextRecognizer(log, AS_GIVEN, parallel=2)(crops)
    assert len(log.shapes) > 1
    assert all(rows * width <= MAX_CALL_WIDTH or rows == 1 for rows, _, _, width in log.shapes)
    assert sum(rows for rows, *_ in log.shapes) == len(crops)
    # Rows are split, never widths: each width is a batch's widest line, the same as in a single call.
    single = _ShapeLog(backend)
    TextRecognizer(single, AS_GIVEN)(crops)
    assert {width for *_, width in log.shapes} == {width for *_, width in single.shapes}


def test_a_gpu_batch_is_one_call_whatever_its_width(engine):
    """With fixed shapes a call costs the GPU about what one line does: batches are not split."""
    crops = _real_lines(engine, 7605, "front")
    log = _ShapeLog(make_backend(RECOGNIZER.verified_path(), EngineOptions(device="cpu"), "rec"))
    TextRecognizer(log, FIXED, parallel=2)(crops)
    widths = [resized_width(c) for c in crops]
    batches = _width_batches([int(i) for i in np.argsort(widths)], widths, FIXED)
    # Each batch padded to the fewest rows that hold it; the calls run on two threads, in either order.
    assert sorted(rows for rows, *_ in log.shapes) == sorted(FIXED.batch_rows(len(batch)) for batch in batches)


def test_warm_up_runs_the_recogniser_and_the_classifier_at_every_gpu_shape(engine):
    """On a GPU a shape not run at warm-up is planned in the middle of a user's request (models/shapes.py)."""
    shapes = ShapePolicy(fixed=True, batch_sizes=(2, 4))
    options = EngineOptions(device="cpu")
    rec = _ShapeLog(make_backend(RECOGNIZER.verified_path(), options, "rec"))
    cls = _ShapeLog(make_backend(CLASSIFIER.verified_path(), options, "cls"))
    recognizer, classifier = TextRecognizer(rec, shapes), DirectionClassifier(cls, shapes)
    replace(engine, recognizer=recognizer, classifier=classifier, shapes=shapes).warm_up([])
    assert set(rec.shapes) == {(rows, 3, REC_HEIGHT, width) for rows in (2, 4) for width in LINE_WIDTHS}
    assert set(cls.shapes) == {(rows, 3, REC_HEIGHT, CLS_W) for rows in (2, 4)}
