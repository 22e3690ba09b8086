"""Synthetic Chinese driving licences with ground truth, for tests and benchmarks.

sample = make_sample(seed=7, tier="photo", page="front")
sample.image   # BGR uint8 photo
sample.truth   # Huawei-style fields, e.g. {"number": "...", "name": "...", ...}
sample.quad    # card corners TL, TR, BR, BL in photo pixels
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.copies import COPIES, make_copy
from synthetic.fonts import FACE_SETS, face_set
from synthetic.identity import FORMATS, LicenceData, random_licence
from synthetic.photo import TIER_NAMES, TIERS, Photo, photograph, simulate_photo
from synthetic.render import RenderedCard, render_card

PAGES: tuple[str, ...] = ("front", "back")

__all__ = [
    "COPIES",
    "FACE_SETS",
    "FORMATS",
    "PAGES",
    "TIERS",
    "TIER_NAMES",
    "DoubleSample",
    "LicenceData",
    "Photo",
    "RenderedCard",
    "Sample",
    "make_double_sample",
    "make_sample",
    "random_licence",
    "render_card",
    "simulate_photo",
]


@dataclass(frozen=True)
class Sample:
    """One page photographed: the image, what is printed on it, and where the card lies."""

    image: np.ndarray
    page: str
    fmt: str
    truth: dict[str, str]
    quad: np.ndarray
    boxes: dict[str, tuple[float, float, float, float]]  # value boxes as card fractions


@dataclass(frozen=True)
class DoubleSample:
    """Both pages of one licence in one photo; truth and quads are keyed by page."""

    image: np.ndarray
    fmt: str
    truth: dict[str, dict[str, str]]
    quads: dict[str, np.ndarray]


def _format(rng: np.random.Generator, fmt: str | None) -> str:
    # Old-format cards are still in wallets, but most cards are new.
    return fmt if fmt is not None else ("old" if rng.random() < 0.25 else "new")


def make_sample(
    seed: int,
    tier: str,
    page: str = "front",
    fmt: str | None = None,
    copy: str | None = None,
    faces: str = "development",
) -> Sample:
    """A deterministic sample: the same arguments always give the same pixels. `copy` photographs a greyscale
    photocopy or a screen showing the card instead of the card itself (see synthetic.copies); `faces` is one of
    synthetic.fonts.FACE_SETS."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; expected one of {TIER_NAMES}")
    rng = np.random.default_rng(seed)
    data = random_licence(rng, _format(rng, fmt))
    card = render_card(data, page, rng, TIERS[tier].aged_p, face_set(faces))
    photo = simulate_photo(card.image if copy is None else make_copy(card.image, copy, rng), rng, tier)
    return Sample(photo.image, page, data.fmt, data.truth(page), photo.quad, card.boxes)


def make_double_sample(seed: int, tier: str, fmt: str | None = None) -> DoubleSample:
    """Front and back of one licence side by side in one photo, in either order."""
    rng = np.random.default_rng(seed)
    data = random_licence(rng, _format(rng, fmt))
    pages = list(PAGES) if rng.random() < 0.8 else list(reversed(PAGES))
    cards = [render_card(data, page, rng, TIERS[tier].aged_p).image for page in pages]
    image, quads = photograph(cards, rng, tier)
    return DoubleSample(image, data.fmt, {p: data.truth(p) for p in pages}, dict(zip(pages, quads, strict=True)))
