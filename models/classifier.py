"""PP-OCR text-direction classifier: is a line crop upright (0) or upside down (180)?"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .backend import Backend
from .recognizer import line_batch, resized_width
from .shapes import AS_GIVEN, ShapePolicy

# The classifier takes the recogniser's 48 px line height, padded to a fixed width.
CLS_W = 192


class DirectionClassifier:
    def __init__(self, backend: Backend, shapes: ShapePolicy = AS_GIVEN):
        self._backend = backend
        self._shapes = shapes

    def __call__(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Probability that each crop is upside down."""
        if not crops:
            return np.zeros(0, np.float32)
        widths = [min(CLS_W, resized_width(crop)) for crop in crops]
        x = line_batch(crops, widths, self._shapes.batch_rows(len(crops)), CLS_W)
        probs = self._backend.run(x)[0]
        return probs[: len(crops), 1].astype(np.float32)

