"""Image -> CardQuads: where the licences lie in a photo.

The licence's paper is a pale mint/green-cyan that few backgrounds share, so a colour mask finds the card and
line fits along its four edges give the corners. Edges are fitted only to the mask outline near each side, so
the photo at the bottom right (which is not green and nearly touches two edges) does not bend the quad.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from models import DetectedBox

from .types import CardQuad, Image

WORK_SIDE = 800  # the mask is computed on a copy this size: plenty for a quad, cheap for a 8000 px photo
# Of the work copy: a card 400 px wide in a 4000x3000 photo covers 0.8% of it, less when tilted.
MIN_AREA_FRACTION = 0.004
# Lab a* (green-red axis, 128 neutral): the paper measures 110-122 across printers, inks and white balances,
# while desks, cloth and skin sit at 125 and above. Stricter cut-offs are tried when a greenish background
# merges with the card.
GREEN_CUTOFFS = (124, 120, 116, 112)
MIN_GREEN = 95  # below: saturated green (a desk mat, a plant), not the pale paper
MAX_SATURATION = 110
MIN_LIGHTNESS = 50
GOOD_FILL = 0.85
BORDER_MARGIN = 5  # a* units: how much greener than a greenish background the card must be


@dataclass(frozen=True, eq=False)  # of one work copy; its planes are not values to compare
class PaperColour:
    """What the mask asks of a work copy's pixels, converted once for all the cut-offs tried on it."""

    a: np.ndarray  # Lab a*
    pale: np.ndarray  # bool: not too saturated, dark or green to be the paper, whatever the cut-off

    @classmethod
    def of(cls, bgr: np.ndarray) -> PaperColour:
        lab = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)
        sat = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)[..., 1]
        a = lab[..., 1]
        return cls(a=a, pale=(a >= MIN_GREEN) & (sat <= MAX_SATURATION) & (lab[..., 0] >= MIN_LIGHTNESS))


def card_mask(colour: PaperColour, cutoff: int) -> np.ndarray:
    return _cleaned(((colour.a <= cutoff) & colour.pale).astype(np.uint8))


# A card on a background of its own green (a mint desk mat, a green cloth) merges with it at every cut-off above, and
# a small one's text is too small for the search by text; its paper still differs from that background in hue (teal
# against a yellower green: b* 134 against 145 for robustness.py's tiny card of seed 70009, a* 112 against 114).
HUE_APART = 8  # a*b* units from the median of the photo's border
# The paper fills its quad; what else stands apart in hue (shadows, objects, a lamp's fall-off) mostly does not, and
# each such region read costs a refused photo a recognition pass. The cards this search found filled 0.98-1.00.
HUE_MIN_FILL = 0.95


def hue_mask(bgr: np.ndarray) -> np.ndarray:
    chroma = cv2.cvtColor(bgr, cv2.COLOR_BGR2LAB)[..., 1:].astype(np.float32)
    apart = chroma - np.median(_border(chroma), axis=0)
    return _cleaned((np.hypot(apart[..., 0], apart[..., 1]) > HUE_APART).astype(np.uint8))


def _cleaned(mask: np.ndarray) -> np.ndarray:
    """Specks opened away, and the gaps the printing leaves in the paper closed."""
    k = max(3, int(round(max(mask.shape) / 100)))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))


def _border(pixels: np.ndarray) -> np.ndarray:
    """The pixels of the image's outermost 4 px on every side, one per row."""
    channels = pixels.shape[2]
    sides = (pixels[:4], pixels[-4:], pixels[:, :4], pixels[:, -4:])
    return np.concatenate([side.reshape(-1, channels) for side in sides])


def locate_cards(image: Image, max_cards: int = 2) -> list[CardQuad]:
    """The card-like regions, largest first, as quads in the original image's pixels."""
    scale = _work_scale(image)
    small = _shrunk(image.pixels, scale)
    colour = PaperColour.of(small)
    best: list[CardQuad] = []
    best_cutoff = GREEN_CUTOFFS[0]
    for cutoff in _cutoffs(small):
        quads = _quads_in(card_mask(colour, cutoff), max_cards)
        better = bool(quads) and (not best or _quality(quads) > _quality(best))
        if better and not (best and _part_of(quads[0], best[0], small.shape)):
            best, best_cutoff = quads, cutoff
        if best and min(q.score for q in best) >= GOOD_FILL and not spans_image(best[0], small.shape):
            break

    def at_best_cutoff(bgr: np.ndarray) -> np.ndarray:
        return card_mask(PaperColour.of(bgr), best_cutoff)

    return _in_photo(image.pixels, best, scale, at_best_cutoff)


def locate_by_hue(image: Image, max_cards: int = 2) -> list[CardQuad]:
    """Last fallback: the card-shaped regions whose hue stands apart from the photo's border (hue_mask)."""
    scale = _work_scale(image)
    quads = _quads_in(hue_mask(_shrunk(image.pixels, scale)), max_cards)
    return _in_photo(image.pixels, [q for q in quads if q.score >= HUE_MIN_FILL], scale, hue_mask)


def _work_scale(image: Image) -> float:
    return min(1.0, WORK_SIDE / max(image.width, image.height))


def _in_photo(
    pixels: np.ndarray, quads: list[CardQuad], scale: float, mask_of: Callable[[np.ndarray], np.ndarray]
) -> list[CardQuad]:
    """Quads found on the work copy, in the photo's pixels; on a shrunk copy, small ones refined by `mask_of`."""
    found = [CardQuad(corners=(q.corners / scale).astype(np.float32), score=q.score) for q in quads]
    return [_refined(pixels, q, mask_of) if scale < 1 else q for q in found]


# A quad whose every corner lies this close to one of another's, in shares of its longest side, is the same card
# straightened the same way: latency.py's hard seed 5009 gave a hue quad 0.3% off its colour quad, both read in vain.
# 0.9% off (hard seed 95026), the second read succeeded where the first had not.
SAME_QUAD = 0.005


def same_quad(a: CardQuad, b: CardQuad) -> bool:
    longest = float(np.linalg.norm(np.roll(a.corners, -1, axis=0) - a.corners, axis=1).max())
    off = np.linalg.norm(a.corners[:, None] - b.corners[None], axis=2).min(axis=1).max()
    return bool(off <= SAME_QUAD * longest)


def _shrunk(pixels: np.ndarray, scale: float) -> np.ndarray:
    return cv2.resize(pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else pixels


# A card under this share of the photo's long side (a 400 px card in a 4000 px photo is 80 px there) has its
# corners placed to a pixel of the work copy, several of the photo's: its mask is made again, from the photo's
# own pixels around it.
SMALL_CARD = 0.35
AROUND = 0.25  # of the card's size, added on every side of the crop
SAME_CARD = 0.8  # the refined quad's overlap with the first one, of the larger of the two


def _refined(pixels: np.ndarray, quad: CardQuad, mask_of: Callable[[np.ndarray], np.ndarray]) -> CardQuad:
    h, w = pixels.shape[:2]
    x0, y0 = quad.corners.min(axis=0)
    x1, y1 = quad.corners.max(axis=0)
    if max(x1 - x0, y1 - y0) >= SMALL_CARD * max(w, h):
        return quad
    pad_x, pad_y = AROUND * (x1 - x0), AROUND * (y1 - y0)
    left, top = max(0, int(x0 - pad_x)), max(0, int(y0 - pad_y))
    right, bottom = min(w, int(x1 + pad_x) + 1), min(h, int(y1 + pad_y) + 1)
    crop = pixels[top:bottom, left:right]
    scale = min(1.0, WORK_SIDE / max(crop.shape[:2]))
    again = _quads_in(mask_of(_shrunk(crop, scale)), 1)
    if not again:
        return quad
    corners = (again[0].corners / scale + np.array([left, top], np.float32)).astype(np.float32)
    overlap, _ = cv2.intersectConvexConvex(corners, quad.corners)
    if overlap < SAME_CARD * max(cv2.contourArea(corners), cv2.contourArea(quad.corners)):
        return quad
    return CardQuad(corners=corners, score=again[0].score)


def _cutoffs(bgr: np.ndarray) -> list[int]:
    """Fixed cut-offs, led by one just greener than the photo's border when that border is itself greenish."""
    border_a = int(np.median(cv2.cvtColor(_border(bgr).reshape(-1, 1, 3), cv2.COLOR_BGR2LAB)[:, 0, 1]))
    lead = [border_a - BORDER_MARGIN] if MIN_GREEN < border_a - BORDER_MARGIN < GREEN_CUTOFFS[0] else []
    return lead + list(GREEN_CUTOFFS)


# Warm light pushes the side of the card further from the lamp past a strict cut-off: a stricter mask's quad that
# lies inside a looser one's and covers less than this share of it is that card with a part lost, not a better fit.
PART_SHARE = 0.85
# A looser quad that fills less of itself than this may be the card merged with a greenish background.
MIN_WHOLE_FILL = 0.75
# A looser quad over the whole photo that fills it is a greenish background merged with the card, and a stricter
# quad under this share of it is the card standing apart (hard seed 50031's back: 12%), not a part of one.
MERGED_CARD_SHARE = 0.5


def _part_of(quad: CardQuad, whole: CardQuad, shape: tuple[int, ...]) -> bool:
    if whole.score < MIN_WHOLE_FILL:
        return False
    area = cv2.contourArea(quad.corners)
    whole_area = cv2.contourArea(whole.corners)
    if spans_image(whole, shape) and area < MERGED_CARD_SHARE * whole_area:
        return False
    overlap, _ = cv2.intersectConvexConvex(quad.corners, whole.corners)
    return area < PART_SHARE * whole_area and overlap >= 0.9 * area


def _quality(quads: list[CardQuad]) -> float:
    return quads[0].score


def spans_image(quad: CardQuad, shape: tuple[int, ...]) -> bool:
    """A quad touching three image borders is usually card and background merged, not a tight scan."""
    h, w = shape[:2]
    c = quad.corners
    touches = [c[:, 0].min() < 2, c[:, 1].min() < 2, c[:, 0].max() > w - 3, c[:, 1].max() > h - 3]
    return sum(bool(t) for t in touches) >= 3


def _quads_in(mask: np.ndarray, max_cards: int) -> list[CardQuad]:
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
        fill = min(1.0, float(area / cv2.contourArea(quad)))
        quads.append(CardQuad(corners=quad, score=fill))
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


TEXT_WORK_SIDE = 960
# Printed text covers the card from about 5% to 95% of each side; the card edge lies this much further out.
TEXT_TO_CARD_MARGIN = 0.06


def locate_by_text(image: Image, detect: Callable[[np.ndarray], list[DetectedBox]]) -> list[CardQuad]:
    """Fallback for cards whose colour the background shares: the largest cluster of text lines, grown to the edge.

    Only roughly right; the label alignment that follows straightens the card again along its real edges.
    """
    scale = min(1.0, TEXT_WORK_SIDE / max(image.width, image.height))
    small = cv2.resize(image.pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image.pixels
    boxes = detect(small)
    if len(boxes) < 3:
        return []
    heights = [min(np.linalg.norm(b.quad[3] - b.quad[0]), np.linalg.norm(b.quad[1] - b.quad[0])) for b in boxes]
    gap = max(3, int(3 * np.median(heights)))
    mask = np.zeros(small.shape[:2], np.uint8)
    for b in boxes:
        cv2.fillPoly(mask, [b.quad.astype(np.int32)], 1)
    clusters = cv2.dilate(mask, np.ones((gap, gap), np.uint8))
    count, labels = cv2.connectedComponents(clusters)
    if count < 2:
        return []
    largest = 1 + int(np.argmax([(mask[labels == i]).sum() for i in range(1, count)]))
    points = np.argwhere((labels == largest) & (mask > 0))[:, ::-1].astype(np.float32)
    (cx, cy), (w, h), angle = cv2.minAreaRect(points)
    grow = 1 + 2 * TEXT_TO_CARD_MARGIN
    quad = cv2.boxPoints(((cx, cy), (w * grow, h * grow), angle)) / scale
    return [CardQuad(corners=order_corners(quad.astype(np.float32)), score=0.0)]


@dataclass(frozen=True, eq=False)  # per request; its image is not a value to compare
class CardSearch:
    """Where a card may stand in one photo, by its colour, its text and its hue, each looked for once however many
    passes and pages read the photo: a second pass with motion blur undone (pipelines.LicenceReader._read_page) and
    the back page of a double_side request search the same pixels. On the hard tier, a second pass cost about 1 s of
    which the search by text, the detector at a photo's size, was 0.5 s."""

    image: Image
    detect: Callable[[np.ndarray], list[DetectedBox]]

    @cached_property
    def by_colour(self) -> tuple[CardQuad, ...]:
        return tuple(locate_cards(self.image))

    @cached_property
    def by_text(self) -> tuple[CardQuad, ...]:
        return tuple(locate_by_text(self.image, self.detect))

    @cached_property
    def by_hue(self) -> tuple[CardQuad, ...]:
        return tuple(locate_by_hue(self.image))
