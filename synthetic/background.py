"""The card's pre-printed security background: mint guilloche with rosette ornaments.

Line patterns are expensive to compute, so each (page, style) pattern is built once as
uint8 density maps; every card then only picks colours and mixes them in.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

N_STYLES = 4
AGED_P = 0.2  # the share of cards whose paper has yellowed with age
_TAU = np.float32(2 * np.pi)

# Base paper colours (BGR) seen on cards and photos: mint, cyan-mint, greener, paler, lime.
_BASE_COLOURS = np.array(
    [
        [206, 226, 196],
        [199, 215, 175],
        [199, 200, 150],
        [190, 225, 190],
        [212, 228, 200],
        [196, 222, 186],
        [185, 232, 200],
    ],
    dtype=np.float32,
)


@lru_cache(maxsize=2 * N_STYLES)
def _pattern(page: str, style: int, width: int, height: int) -> np.ndarray:
    """uint8 densities as 3 channels: fine wavy lines, the faint large pattern, ornaments."""
    # A fixed seed per style keeps the pattern independent of the sample's generator.
    rng = np.random.default_rng(1000 * style + (page == "back"))
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    lines = np.zeros((height, width), np.float32)
    for _ in range(3):
        lines = np.maximum(lines, _wavy_family(rng, x, y) * rng.uniform(0.6, 1.0))
    # Bands where the line families thin out make the moire look of the real print.
    band = 0.55 + 0.45 * np.cos(_TAU * (x * rng.uniform(-1, 1) + y) / rng.uniform(250, 450) + rng.uniform(0, 6.3))
    lines *= band
    coarse = _coarse_waves(rng, x, y, width, height)
    return cv2.merge([_to_u8(lines), _to_u8(coarse), _ornaments(rng, page, width, height)])


def _to_u8(values: np.ndarray) -> np.ndarray:
    return np.clip(values * 255, 0, 255).astype(np.uint8)


def _wavy_family(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Parallel thin lines, a few px apart, bent by two slow sine waves."""
    angle = rng.uniform(0, np.pi)
    pitch = rng.uniform(5.5, 9.0)
    across = x * np.float32(np.cos(angle)) + y * np.float32(np.sin(angle))
    along = -x * np.float32(np.sin(angle)) + y * np.float32(np.cos(angle))
    phase = across / pitch
    for _ in range(2):
        wavelength = rng.uniform(120, 420)
        amplitude = rng.uniform(0.5, 3.0)
        phase += amplitude * np.sin(_TAU * along / wavelength + rng.uniform(0, 6.3)).astype(np.float32)
    # A high power of a raised cosine leaves only a thin line at each integer phase.
    return ((np.cos(_TAU * phase) + 1) * 0.5) ** int(rng.integers(6, 12))


def _coarse_waves(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, width: int, height: int) -> np.ndarray:
    """Broad concentric wavy rings from a centre near the card, as in the large guilloche."""
    cx, cy = rng.uniform(-0.2, 1.2) * width, rng.uniform(-0.2, 1.2) * height
    radius = np.hypot(x - cx, y - cy)
    theta = np.arctan2(y - cy, x - cx)
    phase = radius / rng.uniform(45, 90) + rng.uniform(0.5, 2.0) * np.sin(theta * int(rng.integers(5, 13)))
    return ((np.cos(_TAU * phase) + 1) * 0.5) ** 3


def _rosette(canvas: np.ndarray, centre: tuple[float, float], radius: float, petals: int, rings: int) -> None:
    """Petal curves r = R(a + b|cos(n t/2)|), filled faintly and outlined, from the outside in."""
    theta = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    for ring in range(rings):
        scale = radius * (1 - ring / (rings + 0.5))
        for shift in (0.0, np.pi / petals):
            r = scale * (0.55 + 0.45 * np.abs(np.cos(petals * (theta + shift) / 2)) ** 0.7)
            pts = np.stack([centre[0] + r * np.cos(theta), centre[1] + r * np.sin(theta)], axis=1)
            pts = np.round(pts * 4).astype(np.int32).reshape(-1, 1, 2)
            if ring == 0 and shift == 0.0:
                cv2.fillPoly(canvas, [pts], 70, cv2.LINE_AA, shift=2)
            cv2.polylines(canvas, [pts], True, 230, 2, cv2.LINE_AA, shift=2)


def _ornaments(rng: np.random.Generator, page: str, width: int, height: int) -> np.ndarray:
    canvas = np.zeros((height, width), np.uint8)
    if page == "back":
        _rosette(canvas, (0.115 * width, 0.0), 0.085 * width, int(rng.integers(7, 11)), 4)
    else:
        _rosette(canvas, (0.16 * width, 1.0 * height), 0.06 * width, int(rng.integers(6, 10)), 3)
    return cv2.GaussianBlur(canvas, (3, 3), 0)


def card_background(page: str, width: int, height: int, rng: np.random.Generator, aged_p: float = AGED_P) -> np.ndarray:
    """A float32 BGR card background (0-255) with per-card paper and ink colours; yellowed with age at `aged_p`."""
    pattern = _pattern(page, int(rng.integers(N_STYLES)), width, height)
    weights = rng.dirichlet(np.ones(len(_BASE_COLOURS)) * 0.6)
    base = weights @ _BASE_COLOURS + rng.normal(0, 4, 3).astype(np.float32)
    base *= np.float32(rng.uniform(0.95, 1.05))
    if rng.random() < aged_p:
        # Aged cards yellow: blue drops and red rises a little.
        base *= np.array([rng.uniform(0.82, 0.93), 1.0, rng.uniform(1.0, 1.06)], np.float32)
    base = np.clip(base, 0, 250)
    line_depth = base * rng.uniform(0.07, 0.15) * np.array([1.1, 0.8, 1.1])
    coarse_depth = base * rng.uniform(0.01, 0.035)
    ornament_depth = base * rng.uniform(0.10, 0.22) * np.array([1.2, 0.7, 1.2])
    # colour = base - sum(density * depth): one affine colour transform of the density channels.
    transform = np.c_[-np.stack([line_depth, coarse_depth, ornament_depth], axis=1) / 255, base]
    return cv2.transform(pattern, transform).astype(np.float32)
