"""What a card can be photographed as besides itself: a greyscale photocopy, or a picture of it on a screen.

Each takes the rendered card and returns the image the camera then photographs in its place.
"""

from __future__ import annotations

import cv2
import numpy as np

COPIES: tuple[str, ...] = ("greyscale", "screen")


def make_copy(card: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "greyscale":
        return greyscale_copy(card, rng)
    if kind == "screen":
        return screen_capture(card, rng)
    raise ValueError(f"unknown copy {kind!r}; expected one of {COPIES}")


def greyscale_copy(card: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A photocopier's output cut to the card: grey, toner-dark, the pale guilloche washed out, a little speckle."""
    grey = cv2.cvtColor(card, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255
    gamma = rng.uniform(1.2, 2.0)  # toner darkens mid-tones
    grey = np.clip((grey ** gamma - 0.1) / 0.8, 0, 1)
    paper = rng.uniform(225, 250)
    toned = grey * (paper - 20) + 20
    speckle = rng.random(grey.shape) < rng.uniform(0.0, 0.003)
    toned[speckle] = 40
    toned = cv2.GaussianBlur(toned, (0, 0), rng.uniform(0.4, 1.0))
    return cv2.cvtColor(np.clip(toned, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)


def screen_capture(card: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The card shown on an LCD: each screen pixel lit as three vertical R, G, B stripes with a dark rim, so a
    camera resampling it aliases the grid into moire; plus the panel's own white point and gamma."""
    h, w = card.shape[:2]
    zoom = rng.uniform(0.45, 0.8)  # screen pixels per card pixel: a phone shows the card smaller than we render it
    sw, sh = max(1, round(w * zoom)), max(1, round(h * zoom))
    shown = cv2.resize(card, (sw, sh), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    white = np.array([rng.uniform(1.0, 1.1), 1.0, rng.uniform(0.85, 0.98)], np.float32)  # bluish panels (BGR)
    shown = np.clip(shown ** rng.uniform(0.8, 1.0) * white, 0, 1)
    cell = 3
    grid = np.zeros((sh * cell, sw * cell, 3), np.float32)
    for channel, column in zip((2, 1, 0), range(cell)):  # R G B stripes, left to right
        grid[:, column::cell, channel] = np.repeat(shown[..., channel], cell, axis=0)
    grid[cell - 1 :: cell] *= rng.uniform(0.3, 0.6)  # the black matrix between rows
    # The lens softens the grid before the sensor samples it: what is left beats against the sensor as moire.
    grid = cv2.GaussianBlur(grid, (0, 0), rng.uniform(0.6, 1.1))
    # The camera exposes for the screen: its mean comes out about as bright as the card's would.
    exposure = rng.uniform(0.85, 1.05) * float(shown.mean()) / max(float(grid.mean()), 1e-6)
    return np.clip(grid * exposure * 255, 0, 255).astype(np.uint8)
