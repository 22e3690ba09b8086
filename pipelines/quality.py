"""How the photo was taken, judged from the card found in it: copies, screens, blur, glare, a cut-off card.

Each measure is a plain function of pixels so it can be tested and tuned alone; `assess` turns them into the
warning codes that docs/api.md lists, and names the fields a glare patch covers. Thresholds were set on generated
cards (benchmarks/quality.py prints the rates they give) with room on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from .align import layout_to_card
from .layout import PHOTO, Region
from .straighten import NOISE_SIGMA
from .types import CARD_CORNERS, CARD_H, CARD_W, Card, Image

GREYSCALE = "greyscale_copy"
SCREEN = "screen_reshoot"
BLURRED = "blurred"
GLARE = "glare"
CUT_OFF = "cut_off"

# The measures are taken on the card warped from the photo at half the canonical size: enough for colour and
# glare, and the raw warp keeps what the contrast stretch of straighten() would hide.
_SMALL = (CARD_W // 2, CARD_H // 2)


@dataclass(frozen=True)
class Quality:
    warnings: tuple[str, ...]
    glared_fields: frozenset[str]


# A screenshot is not a photo: nothing here applies to it.
NO_WARNINGS = Quality((), frozenset())


@dataclass(frozen=True)
class Measures:
    tint: float  # chroma per unit of lightness of the card's light half: the green guilloche paper, or a cast
    colour: float  # chroma beyond that tint, in the card's most colourful 2% of blocks: the seal, the photo, the ink
    moire: float  # colour energy at the finest scale: a screen's sub-pixels aliased by the camera
    grid: float  # how far the strongest fine frequency in the photo stands above the rest: a pixel grid's beat
    sharpness: float  # strongest second derivative of lightness, smoothed over a pixel, over the card's contrast
    glare: np.ndarray  # (h, w) bool on the small card: blown-out patches


def measure(image: Image, card: Card) -> Measures:
    raw = _raw_card(image.pixels, card)
    lab = cv2.cvtColor(raw, cv2.COLOR_BGR2LAB).astype(np.float32)
    a, b = lab[..., 1] - 128, lab[..., 2] - 128
    fine_a = a - cv2.GaussianBlur(a, (0, 0), 2)
    fine_b = b - cv2.GaussianBlur(b, (0, 0), 2)
    # Sensor noise is colour noise too: judge colour on a softened copy.
    # Only the card's inner part: a card found by its text can take in some of what lies around it.
    inner = raw[raw.shape[0] // 10 : -raw.shape[0] // 10, raw.shape[1] // 10 : -raw.shape[1] // 10]
    soft = cv2.cvtColor(cv2.GaussianBlur(inner, (0, 0), 1.5), cv2.COLOR_BGR2LAB).astype(np.float32)
    lightness, sa, sb = soft[..., 0], soft[..., 1] - 128, soft[..., 2] - 128
    light = lightness > _percentile(lightness, 50)
    # A colour cast scales with lightness; per unit of it, the cast (and a card's own tint) is one vector.
    per_a = float(np.median(sa[light] / np.maximum(lightness[light], 1)))
    per_b = float(np.median(sb[light] / np.maximum(lightness[light], 1)))
    beyond = np.hypot(sa - per_a * lightness, sb - per_b * lightness)
    grey = cv2.cvtColor(card.pixels, cv2.COLOR_BGR2GRAY).astype(np.float32)
    sample = grey[::2, ::2]
    contrast = max(1.0, _percentile(sample, 99) - _percentile(sample, 1))
    return Measures(
        tint=100 * float(np.hypot(per_a, per_b)),
        colour=float(np.percentile(cv2.resize(beyond, (44, 30), interpolation=cv2.INTER_AREA), 98)),
        moire=float(np.sqrt((fine_a**2 + fine_b**2).mean())),
        grid=_grid_peak(image.pixels, card.map_to_image(CARD_CORNERS)),
        sharpness=_percentile(np.abs(cv2.Laplacian(cv2.GaussianBlur(grey, (0, 0), _NOISE_SCALE), cv2.CV_32F)), 99.5)
        / contrast,
        glare=_blown_out(raw),
    )


def _raw_card(pixels: np.ndarray, card: Card) -> np.ndarray:
    to_small = np.diag([_SMALL[0] / CARD_W, _SMALL[1] / CARD_H, 1.0]) @ cv2.invert(card.to_image)[1]
    return cv2.warpPerspective(pixels, to_small, _SMALL, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)


# The spectrum is taken on the photo's own pixels (warping would resample the beat away), in a window at the
# card's centre: large enough for a few hundred grid periods, small enough to cost a few milliseconds.
_GRID_WINDOW = 384


def _grid_peak(pixels: np.ndarray, corners: np.ndarray) -> float:
    cx, cy = corners.mean(axis=0)
    half = _GRID_WINDOW // 2
    x0, y0 = max(0, int(cx) - half), max(0, int(cy) - half)
    crop = pixels[y0 : y0 + _GRID_WINDOW, x0 : x0 + _GRID_WINDOW]
    if min(crop.shape[:2]) < 64:
        return 0.0
    lab = cv2.cvtColor(crop, cv2.COLOR_BGR2LAB).astype(np.float32)
    window, band = _spectrum_masks(*crop.shape[:2])
    peaks = []
    for channel in (0, 1):  # lightness and red-green: the stripes beat in both
        plane = lab[..., channel] - cv2.GaussianBlur(lab[..., channel], (0, 0), 3)
        spectrum = cv2.dft(plane * window, flags=cv2.DFT_COMPLEX_OUTPUT)
        magnitude = cv2.magnitude(spectrum[..., 0], spectrum[..., 1])[band]
        peaks.append(float(magnitude.max()) / max(_percentile(magnitude, 99), 1e-6))
    return max(peaks)


@lru_cache(maxsize=8)
def _spectrum_masks(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """The Hann window, and the fine frequencies (0.12-0.5 cycles per pixel) other than JPEG's 8-pixel blocks
    (k/8 cycles per pixel on either axis, which every JPEG has), in cv2.dft's unshifted order."""
    window = np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    fine = np.hypot(fy, fx)
    near_block = lambda f, n: np.abs(f * 8 - np.round(f * 8)) * n / 8 <= 1.5  # noqa: E731 - within 1.5 bins
    return window, (fine > 0.12) & (fine < 0.5) & ~(near_block(fy, h) | near_block(fx, w))


def _percentile(values: np.ndarray, q: float) -> float:
    """np.percentile's nearest rank, by partition: linear time where a sort of a whole card costs milliseconds."""
    flat = values.ravel()
    k = min(flat.size - 1, max(0, int(round(q / 100 * (flat.size - 1)))))
    return float(np.partition(flat, k)[k])


# A blown-out patch: every channel clipped, in a blob at least this share of the card (a few characters' worth).
_CLIPPED = 248
_MIN_GLARE_AREA = 0.002


def _blown_out(raw: np.ndarray) -> np.ndarray:
    clipped = cv2.inRange(raw, (_CLIPPED,) * 3, (255,) * 3)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(clipped, connectivity=8)
    big = stats[:, cv2.CC_STAT_AREA] >= _MIN_GLARE_AREA * clipped.size
    big[0] = False  # the background
    return big[labels]


# Below both, a card has no colour of its own: a greyscale copy. A front page carries the red seal, so its colour
# is the surer sign; a back page is pale paper (Huawei's demo: tint 4.7, colour 5.7) and needs a greyer copy to be
# called one. Copies under a colour cast reach tint 4.7 (benchmarks/quality.py has the rates).
GREYSCALE_LIMITS = {"front": (5.0, 10.0), "back": (3.5, 5.0)}  # (tint, colour)
# Above either, the photo holds a screen's pixel grid: fine colour energy (a real card's green guilloche gives up to
# about 6), or one fine frequency far above the rest of the spectrum (real cards up to about 17).
SCREEN_MOIRE = 8.0
SCREEN_GRID = 20.0
# Below this the strokes are smeared over several pixels: recognition starts to fail. The second derivative is taken
# after smoothing over a pixel: sensor noise alone has the strongest second derivatives of all, and made a blurred,
# noisy photo (blur 3 + noise 12 in benchmarks/quality.py) look sharp to the unsmoothed measure. The straightened
# card comes smoothed over NOISE_SIGMA already, and two Gaussians compose in quadrature: a pixel in all.
_NOISE_SCALE = float(np.sqrt(1.0 - NOISE_SIGMA**2))
BLUR_SHARPNESS = 0.09
# A field is glared when this share of its box is blown out, or this share of the whole card (four or five printed
# characters) lies inside its box: in a long box such as the address's, a patch under a tenth of it can still wipe
# out a character and leave a reading that looks whole (held-out glare rows: 10栋2单元 read 102单元 at 0.9985).
GLARE_COVER = 0.1
GLARE_AREA = 0.01
# The labels place the card's frame to within a few percent of its width. A frame corner this far outside the photo
# (in card widths) means part of the card is missing; half as far is enough where the found card touches the edge.
CUT_MARGIN = 0.05
CUT_MARGIN_AT_EDGE = 0.01
EDGE_PX = 3.0

def assess(
    image: Image, card: Card, page: str, align: np.ndarray, regions: dict[str, Region]
) -> Quality:
    """Warnings for one read card; `regions` are the page's field boxes and `align` maps layout to card."""
    m = measure(image, card)
    warnings = []
    tint, colour = GREYSCALE_LIMITS[page]
    if m.tint < tint and m.colour < colour:
        warnings.append(GREYSCALE)
    if m.moire > SCREEN_MOIRE or m.grid > SCREEN_GRID:
        warnings.append(SCREEN)
    if m.sharpness < BLUR_SHARPNESS:
        warnings.append(BLURRED)
    glare = m.glare & ~_region_mask(m.glare.shape, align, PHOTO) if page == "front" else m.glare
    glared = frozenset(name for name, box in regions.items() if _glared(glare, align, box))
    if glared:
        warnings.append(GLARE)
    if cut_off(image, card, align):
        warnings.append(CUT_OFF)
    return Quality(tuple(warnings), glared)


def _glared(glare: np.ndarray, align: np.ndarray, box: Region) -> bool:
    if not glare.any():
        return False
    mask = _region_mask(glare.shape, align, box)
    blown = int((glare & mask).sum())
    return blown >= GLARE_COVER * max(int(mask.sum()), 1) or blown >= GLARE_AREA * glare.size


def _region_mask(shape: tuple[int, ...], align: np.ndarray, box: Region) -> np.ndarray:
    corners = layout_to_card(align, box) * (_SMALL[0] / CARD_W, _SMALL[1] / CARD_H)
    mask = np.zeros(shape[:2], np.uint8)
    cv2.fillConvexPoly(mask, np.round(corners).astype(np.int32), 1)
    return mask.astype(bool)


def cut_off(image: Image, card: Card, align: np.ndarray) -> bool:
    """Whether the card the labels imply runs past the photo's edge."""
    height, width = image.pixels.shape[:2]
    frame = card.map_to_image(layout_to_card(align, (0.0, 0.0, 1.0, 1.0)))
    card_width = float(np.linalg.norm(frame[1] - frame[0]))
    found = card.map_to_image(CARD_CORNERS)
    # A card found by its colour stops at the photo's edge; one guessed from its text may reach past it.
    touches = abs(_beyond(found, width, height)) <= EDGE_PX
    return bool(_beyond(frame, width, height) > (CUT_MARGIN_AT_EDGE if touches else CUT_MARGIN) * card_width)


def _beyond(points: np.ndarray, width: int, height: int) -> float:
    """How far the farthest point lies outside the image, in pixels (negative: inside by that much)."""
    return float(np.max(np.concatenate([-points[:, 0], points[:, 0] - width, -points[:, 1], points[:, 1] - height])))
