"""Card -> Card: a straight motion blur (a hand moving while the shutter is open) found in the card's own
spectrum and undone.

A straight blur of length L multiplies the card's spectrum by a sinc whose zeros repeat every 1/L across the
direction of motion; in the cepstrum (the spectrum of the log spectrum) those zeros make one deep valley at
distance L from the centre, in the blur's direction. The valley is searched for on the log spectrum averaged over
overlapping tiles, so that the card's own content (ruled lines, the rows of text) averages out while the blur,
the same everywhere on the card, does not. Wiener deconvolution then undoes the blur so found.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .types import CARD_CORNERS, CARD_H, CARD_W, Card

TILE = 256  # px of the straightened card: holds a 40 px blur's valley many times over
LONGEST = 40  # px: longer blurs leave nothing to recover on an 880 px card
# Shorter blurs cost the recogniser little, and near the cepstrum's centre the card's own print, not the blur,
# makes the deepest valleys: the search starts here.
SHORTEST = 6
# The straightened card's dotted rules run along its rows, and their dots' pitch makes a valley there as deep as a
# blur's (the shared specimen: 0 degrees, 25 px, 7 deviations): directions this close to the rows are not searched.
# A blur along the rows is still found, a few degrees off, as the valley is broad; and it smears the dots away.
ALONG_ROWS = 3
# A blur is taken as found when its valley lies this many standard deviations below the median of the cepstrum at
# the same distance in other directions. Measured on straightened phone photos (benchmarks/robustness.py, seeds
# 70000-70014): motion blurs of 9-15 px 2.7-4.6 (but for one whose estimate was wrong), sharp fronts 1.0-2.6; a
# sharp back's dotted rules reach 3-8 near the rows' direction, which costs those a second reading at most.
PROMINENT = 2.5
# A card enlarged by less than this (its width in the photo over CARD_W) is searched at CARD_W.
ENLARGED = 0.9
# The noise-to-signal ratio the Wiener filter assumes: lower restores more and rings more.
NOISE_TO_SIGNAL = 0.02


@dataclass(frozen=True)
class Motion:
    """A straight blur on the straightened card: its direction (degrees, 0-180, y down) and length (px), and how
    clearly the card's spectrum shows it (standard deviations: PROMINENT)."""

    angle: float
    length: float
    prominence: float = 0.0


def estimate_motion(gray: np.ndarray) -> Motion:
    """The straight blur whose cepstral valley is deepest, at 1 degree and 1 px steps."""
    # The log spectrum is real and symmetric: its forward transform is its inverse, times TILE^2, and real.
    cepstrum = np.fft.fftshift(cv2.dft(_mean_log_spectrum(gray), flags=cv2.DFT_COMPLEX_OUTPUT)[..., 0])
    centre = TILE // 2
    angles = np.deg2rad(np.arange(ALONG_ROWS, 180.0 - ALONG_ROWS + 1, 1.0))
    lengths = np.arange(SHORTEST, LONGEST + 1, dtype=np.float64)
    xs = (centre + lengths[None, :] * np.cos(angles)[:, None]).astype(np.float32)
    ys = (centre + lengths[None, :] * np.sin(angles)[:, None]).astype(np.float32)
    valleys = cv2.remap(cepstrum, xs, ys, cv2.INTER_LINEAR)
    i, j = np.unravel_index(int(np.argmin(valleys)), valleys.shape)
    ring = valleys[:, j]
    prominence = float((np.median(ring) - ring[i]) / max(float(ring.std()), 1e-9))
    return Motion(angle=float(np.rad2deg(angles[i])), length=float(lengths[j]), prominence=prominence)


def _mean_log_spectrum(gray: np.ndarray) -> np.ndarray:
    """Over tiles overlapping by half; `gray` is at least TILE px each way (card_motion sees to it)."""
    pixels = gray.astype(np.float32)
    height, width = pixels.shape
    window = np.outer(np.hanning(TILE), np.hanning(TILE)).astype(np.float32)
    total = np.zeros((TILE, TILE), np.float32)
    corners = [
        (y, x) for y in range(0, height - TILE + 1, TILE // 2) for x in range(0, width - TILE + 1, TILE // 2)
    ]
    for y, x in corners:
        tile = pixels[y : y + TILE, x : x + TILE]
        spectrum = cv2.dft((tile - tile.mean()) * window, flags=cv2.DFT_COMPLEX_OUTPUT)
        total += np.log1p(cv2.magnitude(spectrum[..., 0], spectrum[..., 1]))
    return total / len(corners)


def motion_kernel(motion: Motion) -> np.ndarray:
    """A line of `length` px through the centre of an odd square, drawn with subpixel weights, summing to 1."""
    size = max(3, int(np.ceil(motion.length)) | 1)
    kernel = np.zeros((size, size), np.float32)
    half = (motion.length - 1) / 2
    steps = np.linspace(-half, half, max(2, int(motion.length * 4)))
    xs = (size - 1) / 2 + steps * np.cos(np.deg2rad(motion.angle))
    ys = (size - 1) / 2 + steps * np.sin(np.deg2rad(motion.angle))
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = xs - x0, ys - y0
    for dx, dy, weight in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        inside = (x0 + dx < size) & (y0 + dy < size)
        np.add.at(kernel, (y0[inside] + dy, x0[inside] + dx), weight[inside])
    return kernel / kernel.sum()


def deconvolve(pixels: np.ndarray, kernel: np.ndarray, noise_to_signal: float = NOISE_TO_SIGNAL) -> np.ndarray:
    """Wiener deconvolution of each of a BGR card's channels; the border is mirrored first so that the card's edges
    do not ring."""
    height, width = pixels.shape[:2]
    pad = 2 * kernel.shape[0]
    shape = (cv2.getOptimalDFTSize(height + 2 * pad), cv2.getOptimalDFTSize(width + 2 * pad))
    padded = cv2.copyMakeBorder(
        pixels, pad, shape[0] - height - pad, pad, shape[1] - width - pad, cv2.BORDER_REFLECT
    ).astype(np.float32)
    # The kernel with its centre at the origin, so that the image does not shift.
    centred = np.zeros(shape, np.float32)
    centred[: kernel.shape[0], : kernel.shape[1]] = kernel
    centre = kernel.shape[0] // 2
    blur = cv2.dft(np.roll(centred, (-centre, -centre), axis=(0, 1)), flags=cv2.DFT_COMPLEX_OUTPUT)
    power = blur[..., 0] ** 2 + blur[..., 1] ** 2 + noise_to_signal
    inverse = np.dstack([blur[..., 0] / power, -blur[..., 1] / power])  # conj(H) / (|H|^2 + K)
    channels = [
        cv2.idft(
            cv2.mulSpectrums(cv2.dft(np.ascontiguousarray(padded[..., c]), flags=cv2.DFT_COMPLEX_OUTPUT), inverse, 0),
            flags=cv2.DFT_SCALE | cv2.DFT_REAL_OUTPUT,
        )
        for c in range(padded.shape[2])
    ]
    restored = np.stack(channels, axis=-1)[pad : pad + height, pad : pad + width]
    return np.clip(restored, 0, 255).astype(np.uint8)


def motion_of(card: Card) -> Motion | None:
    """The card's straight blur, where its spectrum shows one clearly."""
    motion = card_motion(card)
    return motion if motion.prominence >= PROMINENT else None


def card_motion(card: Card) -> Motion:
    """The straight blur estimated at the card's size in the photo, where that is smaller than the straightened
    card, and given in the straightened card's pixels. Enlarging adds nothing but interpolation to search through
    (held-out photo 50014, a card 500 px wide blurred 13 px at 25 degrees and cut off at the photo's edge: 8 degrees
    and 7 px found at 880 px, 33 degrees and 13 px at its own 500; the card's tilt makes up the difference)."""
    gray = cv2.cvtColor(card.pixels, cv2.COLOR_BGR2GRAY)
    corners = card.map_to_image(CARD_CORNERS)
    width = (np.linalg.norm(corners[1] - corners[0]) + np.linalg.norm(corners[2] - corners[3])) / 2
    # Never below a tile's height: the spectrum is averaged over tiles.
    scale = float(np.clip(width / CARD_W, TILE / CARD_H, 1.0))
    if scale > ENLARGED:
        return estimate_motion(gray)
    small = cv2.resize(gray, (round(CARD_W * scale), round(CARD_H * scale)), interpolation=cv2.INTER_AREA)
    motion = estimate_motion(small)
    return Motion(angle=motion.angle, length=motion.length / scale, prominence=motion.prominence)


def sharpened(card: Card) -> Card | None:
    """The card with its straight blur undone; None where it shows none (it would read as it did)."""
    motion = motion_of(card)
    if motion is None:
        return None
    return Card(pixels=deconvolve(card.pixels, motion_kernel(motion)), to_image=card.to_image)
