"""Turns flat card images into scans or phone photos, with the card corners as ground truth.

The cards lie on a "sheet" (a plane in card pixels, with alpha) that a pinhole camera views
from a random angle; everything else (surface, light, blur, noise, JPEG) happens in the photo.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from synthetic.background import AGED_P
from synthetic.layout import PX_PER_MM
from synthetic.render import rounded_mask
from synthetic.surfaces import surface


@dataclass(frozen=True)
class Tier:
    """How hard a capture is. Ranges are (low, high) and drawn uniformly."""

    long_side: tuple[int, int]  # output image, px
    card_area: tuple[float, float]  # share of the image the card(s) cover
    tilt: tuple[float, float]  # out-of-plane degrees
    roll: float  # most in-plane degrees either way
    quarter_turn_p: float  # chance of a portrait shot: an extra 90/180/270 degrees
    sleeve_p: float  # chance of a clear plastic sleeve around each card
    hologram_p: float
    glare_p: float
    glare: tuple[float, float]  # added brightness at the highlight's centre
    finger_p: float
    motion_p: float
    blur: tuple[float, float]  # Gaussian sigma, px
    noise: tuple[float, float]  # sensor noise sigma, grey levels
    exposure: tuple[float, float]
    jpeg: tuple[int, int]
    surfaces: tuple[str, ...]
    scanner: bool = False  # the frame hugs the card, as on a flatbed or a crop
    aligned_p: float = 0.0  # chance of no roll at all
    aged_p: float = AGED_P  # chance the card photographed has yellowed (drawn with the card, synthetic.render)


TIERS: dict[str, Tier] = {
    "flat": Tier(
        long_side=(1000, 1600),
        card_area=(0.85, 0.97),
        tilt=(0.0, 0.0),
        roll=3.0,
        quarter_turn_p=0.0,
        sleeve_p=0.3,
        hologram_p=0.1,
        glare_p=0.0,
        glare=(0.0, 0.0),
        finger_p=0.0,
        motion_p=0.0,
        blur=(0.0, 0.6),
        noise=(1.0, 3.0),
        exposure=(0.95, 1.08),
        jpeg=(85, 95),
        surfaces=("scanner",),
        scanner=True,
        aligned_p=0.4,
    ),
    "photo": Tier(
        long_side=(800, 2000),
        card_area=(0.3, 0.9),
        tilt=(0.0, 20.0),
        roll=15.0,
        quarter_turn_p=0.15,
        sleeve_p=0.4,
        hologram_p=0.25,
        glare_p=0.3,
        glare=(30.0, 110.0),
        finger_p=0.0,
        motion_p=0.05,
        blur=(0.3, 1.2),
        noise=(2.0, 6.0),
        exposure=(0.75, 1.1),
        jpeg=(70, 95),
        surfaces=("desk", "cloth", "wood", "fabric", "paper"),
    ),
    "hard": Tier(
        long_side=(1280, 2400),
        card_area=(0.03, 0.45),
        tilt=(0.0, 35.0),
        roll=180.0,
        quarter_turn_p=0.0,
        sleeve_p=0.4,
        hologram_p=0.3,
        glare_p=0.7,
        glare=(80.0, 260.0),
        finger_p=0.3,
        motion_p=0.4,
        blur=(0.8, 2.5),
        noise=(6.0, 16.0),
        exposure=(0.35, 0.8),
        jpeg=(40, 60),
        surfaces=("desk", "cloth", "wood", "fabric", "paper", "dark"),
    ),
}
TIER_NAMES: tuple[str, ...] = tuple(TIERS)


@dataclass(frozen=True)
class Photo:
    """A captured card: BGR uint8 pixels and the card corners TL, TR, BR, BL (4x2 float32)."""

    image: np.ndarray
    quad: np.ndarray


def simulate_photo(card: np.ndarray, rng: np.random.Generator, tier: str) -> Photo:
    image, quads = photograph([card], rng, tier)
    return Photo(image, quads[0])


def photograph(cards: list[np.ndarray], rng: np.random.Generator, tier: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """Lay `cards` side by side, photograph them; returns the image and each card's corners."""
    spec = TIERS[tier]
    sheet, corners = _sheet(cards, rng, spec)
    homography, size = _camera(sheet.shape[1], sheet.shape[0], corners, rng, spec)
    quads = [
        cv2.perspectiveTransform(c.reshape(-1, 1, 2), homography).reshape(4, 2).astype(np.float32) for c in corners
    ]
    image = _compose(sheet, homography, size, rng, spec)
    _light(image, quads, rng, spec)
    if rng.random() < spec.finger_p:
        _finger(image, quads[int(rng.integers(len(quads)))][int(rng.integers(4))], quads, rng)
    image = _degrade(image, rng, spec)
    return image, quads


# ---------------------------------------------------------------- the cards on their sheet


def _sheet(cards: list[np.ndarray], rng: np.random.Generator, spec: Tier) -> tuple[np.ndarray, list[np.ndarray]]:
    """BGRA uint8 plane holding the cards (each maybe in a sleeve) and their corners on it."""
    sleeved = [rng.random() < spec.sleeve_p for _ in cards]
    pieces = [_piece(card, sleeve, rng, spec) for card, sleeve in zip(cards, sleeved, strict=True)]
    gap = round(rng.uniform(3, 15) * PX_PER_MM)
    width = sum(p.shape[1] for p, _ in pieces) + gap * (len(pieces) - 1)
    offsets = [round(rng.normal(0, 2) * PX_PER_MM) if len(pieces) > 1 else 0 for _ in pieces]
    top_pad = max(0, -min(offsets))
    height = max(p.shape[0] + o for (p, _), o in zip(pieces, offsets, strict=True)) + top_pad
    sheet = np.zeros((height, width, 4), np.uint8)
    corners: list[np.ndarray] = []
    x = 0
    for (piece, card_corners), offset in zip(pieces, offsets, strict=True):
        y = offset + top_pad
        sheet[y : y + piece.shape[0], x : x + piece.shape[1]] = piece
        corners.append(card_corners + np.array([x, y], np.float32))
        x += piece.shape[1] + gap
    return sheet, corners


def _piece(card: np.ndarray, sleeve: bool, rng: np.random.Generator, spec: Tier) -> tuple[np.ndarray, np.ndarray]:
    """One card as BGRA with rounded corners, in its sleeve when `sleeve`; and its corners."""
    h, w = card.shape[:2]
    card = card.copy()
    if rng.random() < spec.hologram_p:
        _hologram(card, rng)
    margin = round(rng.uniform(2, 4) * PX_PER_MM) if sleeve else 0
    colour = np.zeros((h + 2 * margin, w + 2 * margin, 3), np.uint8)
    alpha = np.zeros(colour.shape[:2], np.uint8)
    if sleeve:
        # A clear film: light, mostly see-through, its cut edge a little more visible.
        film = rounded_mask(w + 2 * margin, h + 2 * margin).view(np.uint8)
        edge = film - cv2.erode(film, np.ones((5, 5), np.uint8))
        colour[:] = round(rng.uniform(225, 250))
        alpha[:] = film * round(rng.uniform(0.25, 0.5) * 255) + edge * 75
    inside = rounded_mask(w, h).view(np.uint8)
    cv2.copyTo(card, inside, colour[margin : margin + h, margin : margin + w])
    alpha[margin : margin + h, margin : margin + w] |= inside * np.uint8(255)
    piece = cv2.merge([colour, alpha])
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32) + margin
    return piece, corners


def _hologram(card: np.ndarray, rng: np.random.Generator) -> None:
    """The laminate's iridescent patch: a bluish blob crossed by wavy lines, in place."""
    h, w = card.shape[:2]
    size = round(rng.uniform(0.25, 0.5) * h)
    x0, y0 = int(rng.integers(0, w - size)), int(rng.integers(0, h - size))
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    blob = np.exp(-(x**2 + y**2) / (2 * 0.18**2))
    waves = 0.6 + 0.4 * np.sin((x + 0.05 * np.sin(y * 30)) * rng.uniform(40, 90))
    strength = (blob * waves * rng.uniform(0.3, 0.7))[..., None]
    tint = np.array([255, rng.uniform(160, 230), rng.uniform(120, 200)], np.float32)
    region = card[y0 : y0 + size, x0 : x0 + size].astype(np.float32)
    card[y0 : y0 + size, x0 : x0 + size] = np.clip(region + strength * (tint - region), 0, 255).astype(np.uint8)


# ---------------------------------------------------------------- camera


def _rotation(tilt: float, azimuth: float, roll: float) -> np.ndarray:
    """Tilt the plane by `tilt` about an in-plane axis at `azimuth`, then turn it by `roll`."""
    axis = np.array([np.cos(azimuth), np.sin(azimuth), 0.0])
    tilt_matrix, _ = cv2.Rodrigues(axis * tilt)
    c, s = np.cos(roll), np.sin(roll)
    roll_matrix = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    return roll_matrix @ tilt_matrix


def _camera(
    width: int, height: int, corners: list[np.ndarray], rng: np.random.Generator, spec: Tier
) -> tuple[np.ndarray, tuple[int, int]]:
    """The homography sheet -> photo and the photo size (w, h)."""
    tilt = np.radians(rng.uniform(*spec.tilt))
    roll = 0.0 if rng.random() < spec.aligned_p else rng.uniform(-spec.roll, spec.roll)
    if rng.random() < spec.quarter_turn_p:
        roll += 90 * int(rng.integers(1, 4))
    rotation = _rotation(tilt, rng.uniform(0, 2 * np.pi), np.radians(roll))
    diagonal = np.hypot(width, height)
    distance = diagonal * rng.uniform(0.9, 2.5)
    plane = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    centred = np.c_[plane - [width / 2, height / 2], np.zeros(4)]
    camera = centred @ rotation.T + [0, 0, distance]
    projected = (camera[:, :2] * distance / camera[:, 2:3]).astype(np.float32)
    to_plane = cv2.getPerspectiveTransform(plane, projected)
    cards = np.concatenate([cv2.perspectiveTransform(c.reshape(-1, 1, 2), to_plane).reshape(-1, 2) for c in corners])
    fit, size = _frame(cards, len(corners), rng, spec)
    return fit @ to_plane, size


def _frame(
    points: np.ndarray, n_cards: int, rng: np.random.Generator, spec: Tier
) -> tuple[np.ndarray, tuple[int, int]]:
    """Scale and place the projected cards in a frame; returns the similarity and (w, h)."""
    x0, y0 = points.min(axis=0)
    x1, y1 = points.max(axis=0)
    box_w, box_h = x1 - x0, y1 - y0
    area = sum(cv2.contourArea(points[4 * i : 4 * i + 4]) for i in range(n_cards))
    share = rng.uniform(*spec.card_area)
    long_side = rng.uniform(*spec.long_side)
    if spec.scanner:
        # The frame follows the card: pad its box to reach the drawn share of the area.
        pad = np.sqrt(area / share / (box_w * box_h))
        scale = long_side / (max(box_w, box_h) * pad)
        size = (round(box_w * pad * scale), round(box_h * pad * scale))
    else:
        aspect = float(rng.choice([4 / 3, 3 / 2, 16 / 9]))
        landscape = (box_w >= box_h) != (rng.random() < 0.15)
        short_side = long_side / aspect
        size = (round(long_side), round(short_side)) if landscape else (round(short_side), round(long_side))
        scale = np.sqrt(share * size[0] * size[1] / area)
    margin = 0.01 * max(size)
    scale = min(scale, (size[0] - 2 * margin) / box_w, (size[1] - 2 * margin) / box_h)
    slack_x = max(0.0, size[0] - 2 * margin - box_w * scale)
    slack_y = max(0.0, size[1] - 2 * margin - box_h * scale)
    tx = margin + rng.random() * slack_x - x0 * scale
    ty = margin + rng.random() * slack_y - y0 * scale
    return np.array([[scale, 0, tx], [0, scale, ty], [0, 0, 1]]), size


# ---------------------------------------------------------------- the photo itself


def _compose(
    sheet: np.ndarray, homography: np.ndarray, size: tuple[int, int], rng: np.random.Generator, spec: Tier
) -> np.ndarray:
    """The surface with the sheet laid on it and a soft shadow; float32 BGR."""
    width, height = size
    ground = surface(str(rng.choice(spec.surfaces)), rng, width, height)
    warped = cv2.warpPerspective(sheet, homography, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    alpha = warped[..., 3].astype(np.float32) * np.float32(1 / 255)
    if not spec.scanner:
        _shadow(ground, alpha, rng)
    return cv2.blendLinear(ground, warped[..., :3].astype(np.float32), 1 - alpha, alpha)


def _shadow(ground: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> None:
    """Darken the surface just beside the cards, computed at a quarter size for speed."""
    height, width = alpha.shape
    small = cv2.resize(alpha, (max(1, width // 4), max(1, height // 4)), interpolation=cv2.INTER_AREA)
    offset = rng.normal(0, 0.004, 2) * width
    shift = np.float32([[1, 0, offset[0] / 4], [0, 1, offset[1] / 4]])
    small = cv2.warpAffine(small, shift, small.shape[::-1])
    small = cv2.GaussianBlur(small, (0, 0), max(1.0, width / 400))
    shade = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    ground *= (1 - rng.uniform(0.1, 0.35) * shade)[..., None]


def _light(image: np.ndarray, quads: list[np.ndarray], rng: np.random.Generator, spec: Tier) -> None:
    """Exposure, uneven light, colour cast and a specular glare on the laminate."""
    height, width = image.shape[:2]
    small_w, small_h = 32, max(2, round(32 * height / width))
    y, x = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    direction = rng.uniform(0, 2 * np.pi)
    ramp = (x / small_w - 0.5) * np.cos(direction) + (y / small_h - 0.5) * np.sin(direction)
    vignette = ((x / small_w - 0.5) ** 2 + (y / small_h - 0.5) ** 2) * 2
    gain = rng.uniform(*spec.exposure) * (1 + rng.uniform(0, 0.35) * ramp - rng.uniform(0, 0.3) * vignette)
    cast = np.array([rng.uniform(0.92, 1.08), 1.0, rng.uniform(0.92, 1.08)], np.float32)
    gain_map = cv2.resize((gain[..., None] * cast).astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
    cv2.multiply(image, gain_map, dst=image)
    if rng.random() < spec.glare_p:
        _glare(image, quads[int(rng.integers(len(quads)))], rng.uniform(*spec.glare), rng)


def _glare(image: np.ndarray, quad: np.ndarray, strength: float, rng: np.random.Generator) -> None:
    """A bright elliptical highlight somewhere on the card."""
    weights = rng.dirichlet(np.ones(4))
    cx, cy = weights @ quad
    card_size = np.linalg.norm(quad[1] - quad[0])
    rx, ry = card_size * rng.uniform(0.05, 0.25), card_size * rng.uniform(0.03, 0.15)
    half = int(3 * max(rx, ry))
    x0, y0 = max(0, int(cx) - half), max(0, int(cy) - half)
    x1, y1 = min(image.shape[1], int(cx) + half), min(image.shape[0], int(cy) + half)
    if x1 <= x0 or y1 <= y0:
        return
    y, x = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    u = (x - cx) * np.cos(angle) + (y - cy) * np.sin(angle)
    v = -(x - cx) * np.sin(angle) + (y - cy) * np.cos(angle)
    blob = np.exp(-(u**2 / (2 * rx**2) + v**2 / (2 * ry**2)))
    image[y0:y1, x0:x1] += (blob * strength)[..., None]


def _finger(image: np.ndarray, corner: np.ndarray, quads: list[np.ndarray], rng: np.random.Generator) -> None:
    """A thumb-like blob pressing on one card corner, pointing away from the card."""
    centre = np.mean(np.concatenate(quads), axis=0)
    outward = corner - centre
    outward /= np.linalg.norm(outward) + 1e-6
    card_size = np.linalg.norm(quads[0][1] - quads[0][0])
    length, breadth = card_size * rng.uniform(0.18, 0.3), card_size * rng.uniform(0.07, 0.1)
    tip = corner - outward * length * rng.uniform(0.1, 0.3)
    middle = tip + outward * length
    angle = float(np.degrees(np.arctan2(outward[1], outward[0])))
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.ellipse(
        mask, (round(middle[0]), round(middle[1])), (round(length), round(breadth)), angle, 0, 360, 255, -1, cv2.LINE_AA
    )
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0 or h == 0:
        return
    soft = cv2.GaussianBlur(mask[y : y + h, x : x + w], (0, 0), max(1.0, breadth / 10)).astype(np.float32) / 255
    skin = np.array([120, 150, 205], np.float32) * rng.uniform(0.6, 1.05)
    shading = 0.7 + 0.3 * soft  # the finger's edges are darker than its middle
    region = image[y : y + h, x : x + w]
    region += soft[..., None] * (skin * shading[..., None] - region)


def _degrade(image: np.ndarray, rng: np.random.Generator, spec: Tier) -> np.ndarray:
    """Blur, sensor noise and JPEG: the camera's own losses."""
    if rng.random() < spec.motion_p:
        image = cv2.filter2D(image, -1, _motion_kernel(rng))
    sigma = rng.uniform(*spec.blur)
    if sigma > 0.2:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    noise_sigma = rng.uniform(*spec.noise)
    height, width = image.shape[:2]
    chroma = rng.standard_normal((height // 2 + 1, width // 2 + 1, 3), dtype=np.float32) * (noise_sigma * 0.5)
    chroma = cv2.resize(chroma, (width, height), interpolation=cv2.INTER_LINEAR)
    chroma += (_luma_noise(rng, height, width) * noise_sigma)[..., None]
    image += chroma
    pixels = np.clip(image, 0, 255, out=image).astype(np.uint8)
    quality = int(rng.integers(spec.jpeg[0], spec.jpeg[1] + 1))
    ok, encoded = cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)


@cache
def _noise_tile() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((509, 509), dtype=np.float32)


def _luma_noise(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Unit Gaussian noise, tiled from a cached block at a random offset: drawing it fresh for
    a megapixel frame would be the largest single cost of a sample, and JPEG hides the repeat."""
    tile = np.roll(_noise_tile(), tuple(rng.integers(0, 509, 2)), axis=(0, 1))
    if rng.random() < 0.5:
        tile = tile.T
    reps = (height // tile.shape[0] + 1, width // tile.shape[1] + 1)
    return np.tile(tile, reps)[:height, :width]


def _motion_kernel(rng: np.random.Generator) -> np.ndarray:
    length = int(rng.integers(5, 16))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1
    rotation = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), rng.uniform(0, 180), 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (length, length))
    return kernel / max(kernel.sum(), 1e-6)
