"""PP-OCR text-direction classifier: is a line crop upright (0) or upside down (180)?"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from .backend import Backend

CLS_H, CLS_W = 48, 192


class DirectionClassifier:
    def __init__(self, backend: Backend):
        self._backend = backend

    def __call__(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Probability that each crop is upside down."""
        if not crops:
            return np.zeros(0, np.float32)
        x = np.stack([_normalise(c) for c in crops])
        probs = self._backend.run(x)
        return probs[:, 1].astype(np.float32)


def _normalise(crop: np.ndarray) -> np.ndarray:
    h, w = crop.shape[:2]
    width = min(CLS_W, max(8, int(math.ceil(CLS_H * w / max(h, 1)))))
    resized = cv2.resize(crop, (width, CLS_H)).astype(np.float32)
    out = np.zeros((3, CLS_H, CLS_W), np.float32)
    out[:, :, :width] = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    return out
