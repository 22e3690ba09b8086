"""Procedural surfaces a licence gets photographed on: desks, cloth, wood, fabric, paper.

Every texture is built at a fraction of the output size and scaled up, except the fine
weave, which is a small tile repeated: full-size trigonometry would dominate the run time.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Surface = Callable[[np.random.Generator, int, int], np.ndarray]


def surface(kind: str, rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A float32 BGR (0-255) surface of `kind`, `width` x `height`."""
    return _SURFACES[kind](rng, width, height)


def _smooth_noise(rng: np.random.Generator, width: int, height: int, cells: int) -> np.ndarray:
    """Noise in [-1, 1] that varies over about width/cells px, scaled up from a tiny grid."""
    grid_w = max(2, cells)
    grid_h = max(2, round(cells * height / max(width, 1)))
    grid = rng.uniform(-1, 1, (grid_h, grid_w)).astype(np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC)


def _tinted(shading: np.ndarray, colour: np.ndarray) -> np.ndarray:
    return shading[..., None] * colour[None, None, :].astype(np.float32)


def _desk(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    palette = np.array(
        [
            [200, 200, 200],
            [150, 160, 170],
            [90, 110, 140],
            [60, 60, 60],
            [215, 225, 230],
            [120, 140, 120],
            [180, 190, 205],
        ]
    )
    colour = palette[int(rng.integers(len(palette)))] * rng.uniform(0.8, 1.15) + rng.normal(0, 8, 3)
    shading = 1 + 0.06 * _smooth_noise(rng, width, height, 4)
    return _tinted(shading, np.clip(colour, 10, 250))


def _cloth(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """White cloth with soft folds, as under the Huawei demo cards."""
    small_w, small_h = max(8, width // 8), max(8, height // 8)
    y, x = np.mgrid[0:small_h, 0:small_w].astype(np.float32)
    folds = np.zeros((small_h, small_w), np.float32)
    for _ in range(int(rng.integers(2, 5))):
        angle = rng.uniform(0, np.pi)
        period = rng.uniform(0.15, 0.5) * small_w
        warp = 6 * _smooth_noise(rng, small_w, small_h, 3)
        folds += np.sin(2 * np.pi * (x * np.cos(angle) + y * np.sin(angle) + warp) / period) ** 2 * rng.uniform(
            0.02, 0.06
        )
    shading = cv2.resize(1 - folds, (width, height), interpolation=cv2.INTER_CUBIC)
    colour = np.array([235, 232, 232]) * rng.uniform(0.85, 1.05) + rng.normal(0, 5, 3)
    return _tinted(shading, np.clip(colour, 0, 252))


def _wood(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Long grain streaks: noise stretched along the grain, a few darker rings, slow shading."""
    along, across = 6, int(rng.integers(60, 200))
    streaks = cv2.resize(
        rng.uniform(-1, 1, (across, along)).astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC
    )
    fine = cv2.resize(
        rng.uniform(-1, 1, (across * 4, along * 2)).astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR
    )
    shading = 1 + 0.07 * streaks + 0.04 * fine + 0.05 * _smooth_noise(rng, width, height, 4)
    if rng.random() < 0.5:
        shading = cv2.rotate(cv2.resize(shading, (height, width)), cv2.ROTATE_90_CLOCKWISE)
    palette = np.array([[60, 105, 160], [40, 75, 125], [110, 160, 205], [35, 55, 85], [140, 175, 200]])
    colour = palette[int(rng.integers(len(palette)))] * rng.uniform(0.85, 1.1)
    return _tinted(shading, colour)


def _fabric(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A woven tile repeated over the frame, under slow shading."""
    period = int(rng.integers(3, 8))
    tile = np.arange(period * 8, dtype=np.float32)
    weave = np.sin(2 * np.pi * tile / period)
    tile2d = 1 + 0.08 * np.outer(weave, weave) + 0.04 * rng.uniform(-1, 1, (tile.size, tile.size))
    reps = (height // tile.size + 1, width // tile.size + 1)
    shading = np.tile(tile2d.astype(np.float32), reps)[:height, :width]
    shading *= 1 + 0.08 * _smooth_noise(rng, width, height, 5)
    colour = rng.uniform(40, 230, 3)
    return _tinted(shading, colour)


def _paper(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """White paper, sometimes ruled, with grainy fibre noise."""
    shading = 1 + 0.02 * _smooth_noise(rng, width, height, 40) + 0.03 * _smooth_noise(rng, width, height, 3)
    surface_ = _tinted(shading, np.array([240, 243, 245]) * rng.uniform(0.88, 1.02))
    if rng.random() < 0.5:
        spacing = rng.uniform(0.02, 0.05) * height
        ink = np.array([200, 160, 150], np.float32)
        for y in np.arange(rng.uniform(0, spacing), height, spacing):
            cv2.line(surface_, (0, round(y)), (width, round(y + rng.normal(0, 2))), ink.tolist(), 1, cv2.LINE_AA)
    return surface_


def _dark(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    shading = 1 + 0.15 * _smooth_noise(rng, width, height, 3)
    return _tinted(shading, rng.uniform(15, 55, 3))


def _scanner(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A scanner lid: near white or light grey, nearly flat."""
    level = rng.uniform(200, 250)
    shading = 1 + 0.01 * _smooth_noise(rng, width, height, 3)
    return _tinted(shading, np.full(3, level) + rng.normal(0, 3, 3))


_SURFACES: dict[str, Surface] = {
    "desk": _desk,
    "cloth": _cloth,
    "wood": _wood,
    "fabric": _fabric,
    "paper": _paper,
    "dark": _dark,
    "scanner": _scanner,
}
SURFACES: tuple[str, ...] = tuple(_SURFACES)
