"""Defects laid on a finished photo at a known place and strength, for testing the warnings that name them.

The photo tiers draw these at random; here each is set by hand (which field the glare covers, how much of the card
is cut off) so that a test can say what the answer must be.
"""

from __future__ import annotations

import cv2
import numpy as np


def blurred(image: np.ndarray, quad: np.ndarray, strokes: float) -> np.ndarray:
    """Defocus that smears strokes over about `strokes` thousandths of the card's width (the card's own scale,
    so the same figure means the same blur whatever the photo's resolution)."""
    width = float(np.linalg.norm(quad[1] - quad[0]))
    return cv2.GaussianBlur(image, (0, 0), strokes * width / 1000)


def noisy(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise of `sigma` grey levels on every pixel, as a phone adds in dim light."""
    return np.clip(image.astype(np.float32) + rng.normal(0.0, sigma, image.shape), 0, 255).astype(np.uint8)


def glared(image: np.ndarray, quad: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """A blown-out highlight over `box` (card fractions x0, y0, x1, y1), as a lamp reflected by the laminate."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
    unit = np.array([[0, 0], [1, 0], [1, 1], [0, 1]], np.float32)
    to_photo = cv2.getPerspectiveTransform(unit, quad.astype(np.float32))
    patch = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), to_photo).reshape(-1, 2)
    mask = np.zeros(image.shape[:2], np.float32)
    cv2.fillConvexPoly(mask, np.round(patch).astype(np.int32), 1.0)
    soft = cv2.GaussianBlur(mask, (0, 0), max(1.0, float(np.linalg.norm(quad[1] - quad[0])) / 200))
    lit = image.astype(np.float32) + soft[..., None] * 400
    return np.clip(lit, 0, 255).astype(np.uint8)


def cut(image: np.ndarray, quad: np.ndarray, fraction: float) -> np.ndarray:
    """The photo cropped so that the right-most `fraction` of the card's extent across the photo falls outside it."""
    left, right = float(quad[:, 0].min()), float(quad[:, 0].max())
    right -= fraction * (right - left)
    return image[:, : max(1, round(right))].copy()
