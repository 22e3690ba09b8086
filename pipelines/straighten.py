"""Image + CardQuad -> Card: the card warped flat to the canonical CARD_W x CARD_H."""

from __future__ import annotations

import cv2
import numpy as np

from .types import CARD_CORNERS, CARD_H, CARD_W, Card, CardQuad, Image

def straighten(image: Image, quad: CardQuad) -> Card:
    corners = quad.corners.astype(np.float32)
    pixels = image.pixels
    # Warping straight down from a card several times the canonical size aliases the fine print; shrink first.
    span = max(np.linalg.norm(corners[1] - corners[0]), np.linalg.norm(corners[2] - corners[3]))
    shrink = min(1.0, 1.5 * CARD_W / max(span, 1.0))
    if shrink < 1.0:
        pixels = cv2.resize(pixels, None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
    to_card = cv2.getPerspectiveTransform(corners * shrink, CARD_CORNERS)
    card = cv2.warpPerspective(pixels, to_card, (CARD_W, CARD_H), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    to_image = cv2.getPerspectiveTransform(CARD_CORNERS, corners)
    return Card(pixels=normalise_contrast(cv2.GaussianBlur(card, (0, 0), NOISE_SIGMA)), to_image=to_image)


# Pixels of the straightened card (its print is 20-40 px tall) smoothed before the contrast stretch, which would
# amplify a dim photo's sensor noise as much as its print. Fields right on accuracy.py's cards, 25 a page and face
# set: hard 61.6 -> 63.5% (seeds 50000 and 160000) and 63.7 -> 64.8% (80000 and 170000), photo 99.6 -> 99.5% and
# 98.9 -> 99.1%, flat 100% either way; 1.0 px gave hard 63.2% on the first cards.
NOISE_SIGMA = 0.7


# Percentiles of lightness mapped to black and white. Dim, foggy or over-exposed photos then reach the
# recogniser with the contrast of a scan; a card that already has it is left nearly as it was.
DARK_PERCENTILE, LIGHT_PERCENTILE = 1.0, 99.0


def normalise_contrast(card: np.ndarray) -> np.ndarray:
    lab = cv2.cvtColor(card, cv2.COLOR_BGR2LAB)
    lightness = lab[..., 0]
    lo, hi = np.percentile(lightness[::4, ::4], (DARK_PERCENTILE, LIGHT_PERCENTILE))
    if hi - lo < 8:
        return card
    # A table of the 256 lightnesses: the same arithmetic as on every pixel, in a seventh of the time.
    stretch = np.clip((np.arange(256, dtype=np.float32) - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)
    lab[..., 0] = cv2.LUT(lightness, stretch)
    return cv2.cvtColor(lab, cv2.COLOR_LAB2BGR)


def turned_half(card: Card) -> Card:
    """The same card rotated 180 degrees (read upside down)."""
    flip = np.array([[-1, 0, CARD_W], [0, -1, CARD_H], [0, 0, 1]], dtype=np.float64)
    return Card(pixels=cv2.rotate(card.pixels, cv2.ROTATE_180), to_image=card.to_image @ flip)
