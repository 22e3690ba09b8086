"""Image -> CardQuads: where the licences lie in a photo.

The licence's paper is a pale mint/green-cyan that few backgrounds share, so a colour mask finds the card and
line fits along its four edges give the corners. Edges are fitted only to the mask outline near each side, so
the photo at the bottom right (which is not green and nearly touches two edges) does not bend the quad.
"""

from __future__ import annotations

import cv2
import numpy as np

from .types import CardQuad, Image

WORK_SIDE = 800  # the mask is computed on a copy this size: plenty for a quad, cheap for a 8000 px photo
MIN_AREA_FRACTION = 0.01
CARD_ASPECT = 88 / 60

# OpenCV HSV: hue 0-180. The paper spans yellow-green (~30) to cyan (~100) across printers and white balances.
HUE_RANGE = (22, 105)
MIN_SATURATION = 14
MIN_VALUE = 50


def card_mask(bgr: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    mask = ((h >= HUE_RANGE[0]) & (h <= HUE_RANGE[1]) & (s >= MIN_SATURATION) & (v >= MIN_VALUE)).astype(np.uint8)
    k = max(3, int(round(max(bgr.shape[:2]) / 100)))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    return mask


def locate_cards(image: Image, max_cards: int = 2) -> list[CardQuad]:
    """The card-like regions, largest first, as quads in the original image's pixels."""
    scale = min(1.0, WORK_SIDE / max(image.width, image.height))
    small = cv2.resize(image.pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image.pixels
    mask = card_mask(small)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    min_area = MIN_AREA_FRACTION * mask.shape[0] * mask.shape[1]
    quads: list[CardQuad] = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[: max_cards * 3]:
        area = cv2.contourArea(contour)
        if area < min_area:
            break
        quad = fit_quad(contour.reshape(-1, 2).astype(np.float32))
        if quad is None or not _card_shaped(quad, area):
            continue
        quads.append(CardQuad(corners=(quad / scale).astype(np.float32), score=float(area / cv2.contourArea(quad))))
        if len(quads) == max_cards:
            break
    return quads


def fit_quad(points: np.ndarray) -> np.ndarray | None:
    """Corners of the quadrilateral whose edges best follow the outline points."""
    quad = cv2.boxPoints(cv2.minAreaRect(points)).astype(np.float32)
    for tolerance in (0.12, 0.05, 0.03):
        refined = _refit(points, quad, tolerance)
        if refined is None:
            break
        quad = refined
    return order_corners(quad)


def _refit(points: np.ndarray, quad: np.ndarray, tolerance: float) -> np.ndarray | None:
    short = min(np.linalg.norm(quad[i] - quad[(i + 1) % 4]) for i in range(4))
    limit = max(2.0, tolerance * short)
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        near = points[_distance_to_segment(points, a, b) < limit]
        if len(near) < 8:
            return None
        vx, vy, x0, y0 = cv2.fitLine(near, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    corners = [_intersect(lines[i - 1], lines[i]) for i in range(4)]
    if any(c is None for c in corners):
        return None
    return np.array(corners, dtype=np.float32)


def _distance_to_segment(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(((points - a) @ ab) / max(float(ab @ ab), 1e-9), 0.0, 1.0)
    closest = a + t[:, None] * ab
    return np.linalg.norm(points - closest, axis=1)


def _intersect(l1: tuple[np.ndarray, np.ndarray], l2: tuple[np.ndarray, np.ndarray]) -> np.ndarray | None:
    (p, r), (q, s) = l1, l2
    denom = r[0] * s[1] - r[1] * s[0]
    if abs(denom) < 1e-6:
        return None
    t = ((q - p)[0] * s[1] - (q - p)[1] * s[0]) / denom
    return p + t * r


def order_corners(quad: np.ndarray) -> np.ndarray:
    """Cyclic TL, TR, BR, BL with TL->TR along a long edge; which long edge is the top is settled later."""
    centre = quad.mean(axis=0)
    angles = np.arctan2(quad[:, 1] - centre[1], quad[:, 0] - centre[0])
    quad = quad[np.argsort(angles)]  # clockwise on screen (y points down)
    edges = [np.linalg.norm(quad[(i + 1) % 4] - quad[i]) for i in range(4)]
    if edges[0] + edges[2] < edges[1] + edges[3]:
        quad = np.roll(quad, -1, axis=0)
    # Of the two starts that keep TL->TR long, take the one nearer the image's top-left.
    if quad[2].sum() < quad[0].sum():
        quad = np.roll(quad, 2, axis=0)
    return quad.astype(np.float32)


def _card_shaped(quad: np.ndarray, outline_area: float) -> bool:
    if not cv2.isContourConvex(quad.astype(np.float32)):
        return False
    quad_area = cv2.contourArea(quad)
    if quad_area <= 0 or outline_area / quad_area < 0.6:
        return False
    top, right = np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[1])
    bottom, left = np.linalg.norm(quad[3] - quad[2]), np.linalg.norm(quad[0] - quad[3])
    aspect = (top + bottom) / max(right + left, 1e-6)
    # Perspective can squeeze a 1.47 card a lot; a square or a long strip is something else.
    return 0.9 < aspect < 2.6
