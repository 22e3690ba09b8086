"""PP-OCR DB text detection: image -> text-line quadrilaterals in that image's pixels."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .backend import Backend
from .shapes import AS_GIVEN, ShapePolicy


@dataclass(frozen=True)
class DetectedBox:
    quad: np.ndarray  # (4, 2) float32: TL, TR, BR, BL in the input image's pixels
    score: float


@dataclass(frozen=True)
class DetectorConfig:
    # PaddleOCR's DB post-processing defaults, which the PP-OCRv6 weights were tuned with.
    bin_thresh: float = 0.3
    box_thresh: float = 0.5
    unclip_ratio: float = 1.6
    max_candidates: int = 1000
    min_side: float = 3.0


def _order_quad(pts: np.ndarray) -> np.ndarray:
    """TL, TR, BR, BL for a near-horizontal rectangle."""
    pts = pts[np.argsort(pts[:, 0])]
    left, right = pts[:2], pts[2:]
    tl, bl = left[np.argsort(left[:, 1])]
    tr, br = right[np.argsort(right[:, 1])]
    return np.array([tl, tr, br, bl], dtype=np.float32)


class TextDetector:
    def __init__(self, backend: Backend, config: DetectorConfig = DetectorConfig(), shapes: ShapePolicy = AS_GIVEN):
        self._backend = backend
        self._config = config
        self._shapes = shapes

    def __call__(self, image: np.ndarray, target_size: tuple[int, int] | None = None) -> list[DetectedBox]:
        """Detect text lines. target_size (w, h) is rounded to multiples of 32; None keeps the image size."""
        h, w = image.shape[:2]
        tw, th = target_size if target_size else (w, h)
        tw, th = max(32, int(round(tw / 32)) * 32), max(32, int(round(th / 32)) * 32)
        resized = cv2.resize(image, (tw, th), interpolation=cv2.INTER_AREA if tw < w else cv2.INTER_LINEAR)
        pad_w, pad_h = self._shapes.image_size(tw, th)
        # Zero is mid-grey after normalisation: the padding holds no text.
        x = np.zeros((1, 3, pad_h, pad_w), np.float32)
        x[0, :, :th, :tw] = ((resized.astype(np.float32) / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)
        prob = self._backend.run(x)[0][0, 0, :th, :tw]
        return self._boxes(prob, w / tw, h / th)

    def _boxes(self, prob: np.ndarray, sx: float, sy: float) -> list[DetectedBox]:
        cfg = self._config
        bitmap = (prob > cfg.bin_thresh).astype(np.uint8)
        bitmap = cv2.dilate(bitmap, np.ones((2, 2), np.uint8))
        contours, _ = cv2.findContours(bitmap, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        boxes: list[DetectedBox] = []
        for contour in contours[: cfg.max_candidates]:
            (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
            if min(rw, rh) < cfg.min_side:
                continue
            score = _mean_score(prob, cv2.boxPoints(((cx, cy), (rw, rh), angle)))
            if score < cfg.box_thresh:
                continue
            # DB predicts a shrunk text kernel; grow it back by area * ratio / perimeter, as PaddleOCR's unclip does.
            grow = rw * rh * cfg.unclip_ratio / (2 * (rw + rh))
            rw, rh = rw + 2 * grow, rh + 2 * grow
            if min(rw, rh) < cfg.min_side + 2:
                continue
            quad = cv2.boxPoints(((cx, cy), (rw, rh), angle))
            quad[:, 0] = np.clip(quad[:, 0] * sx, 0, prob.shape[1] * sx)
            quad[:, 1] = np.clip(quad[:, 1] * sy, 0, prob.shape[0] * sy)
            boxes.append(DetectedBox(_order_quad(quad), score))
        return boxes


def _mean_score(prob: np.ndarray, quad: np.ndarray) -> float:
    h, w = prob.shape
    x0, y0 = np.clip(np.floor(quad.min(axis=0)).astype(int), 0, [w - 1, h - 1])
    x1, y1 = np.clip(np.ceil(quad.max(axis=0)).astype(int), 0, [w - 1, h - 1])
    mask = np.zeros((y1 - y0 + 1, x1 - x0 + 1), np.uint8)
    cv2.fillPoly(mask, [(quad - [x0, y0]).astype(np.int32)], 1)
    return float(cv2.mean(prob[y0 : y1 + 1, x0 : x1 + 1], mask)[0])
