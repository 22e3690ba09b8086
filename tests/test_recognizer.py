"""The recogniser's candidates: each frame's likeliest classes, found without sorting every class."""

from __future__ import annotations

import numpy as np
import pytest

from models.recognizer import CANDIDATE_BLOCK, TOP_K, top_candidates
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


def test_real_frames_keep_the_same_candidates_and_greedy_reading(engine):
    image = make_sample(7604, "flat", "back").image
    crops = [crop_quad(image, b.quad) for b in engine.detector(image, (704, 480))]
    for recognition in engine.recognizer(crops):
        ids, probs = recognition.topk_ids, recognition.topk_probs
        assert ids.shape == probs.shape and ids.shape[1] == TOP_K
        # Greedy CTC from the candidates: each emitted character is its frame's likeliest class.
        for t, ch in zip(recognition.char_frames, recognition.text):
            assert recognition.charset[ids[t][probs[t].argmax()]] == ch
