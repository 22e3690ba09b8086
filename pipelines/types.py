"""Typed values passed between the pipeline steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np

Page = Literal["front", "back"]
PAGES: tuple[Page, ...] = ("front", "back")
DOUBLE_SIDE = "double_side"  # ReadOptions.side asking for both pages from one photo

# The canonical straightened card: 88 x 60 mm at 10 px/mm.
CARD_W = 880
CARD_H = 600
# Its corners TL, TR, BR, BL: where straightening puts a card's corners.
CARD_CORNERS = np.array([[0, 0], [CARD_W, 0], [CARD_W, CARD_H], [0, CARD_H]], dtype=np.float32)


@dataclass(frozen=True)
class ReadOptions:
    """What the caller asked for. side=None means: detect the page; DOUBLE_SIDE: read both pages."""

    side: Page | Literal["double_side"] | None = None
    return_issuing_authority: bool = False
    return_text_location: bool = False


@dataclass(frozen=True)
class Image:
    """A decoded photo: BGR uint8 pixels with EXIF orientation already applied."""

    pixels: np.ndarray
    format: str

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


@dataclass(frozen=True)
class CardQuad:
    """Where one card lies in the photo: corners TL, TR, BR, BL (float32, image pixels).

    The order is only known up to the card's 180-degree turn until straighten() has read the title.
    """

    corners: np.ndarray
    score: float


@dataclass(frozen=True)
class Card:
    """A card straightened to CARD_W x CARD_H, with the way back to the photo."""

    pixels: np.ndarray
    to_image: np.ndarray  # 3x3 homography: card pixel -> original image pixel

    def map_to_image(self, points: np.ndarray) -> np.ndarray:
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
        return cv2.perspectiveTransform(pts, self.to_image).reshape(-1, 2)


@dataclass(frozen=True)
class TextLine:
    """One recognised line on a card: its text, the box on the card, and the recogniser's candidates."""

    text: str
    score: float
    box: np.ndarray  # (4, 2) card pixels, TL TR BR BL
    # models.Recognition, for constrained re-decoding; None on a line known without reading (an English label)
    recognition: object = field(repr=False, default=None)
    probe: bool = False  # read from a layout box rather than found by the detector

    @property
    def x0(self) -> float:
        return float(self.box[:, 0].min())

    @property
    def x1(self) -> float:
        return float(self.box[:, 0].max())

    @property
    def y0(self) -> float:
        return float(self.box[:, 1].min())

    @property
    def y1(self) -> float:
        return float(self.box[:, 1].max())

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class CardText:
    """Everything read on one upright card."""

    card: Card
    lines: tuple[TextLine, ...]
    page: Page | None  # None: neither page's printed labels were found


@dataclass(frozen=True)
class LicenceReading:
    """The answer for one page: Huawei field name -> value, in Huawei's order, and what backs each value.

    locations: field -> its 4 corners [[x, y] x 4] (TL TR BR BL) in the original image's pixels, for fields read.
    confidence: field -> probability that the value is right, calibrated on generated cards (0 for a field not read).
    warnings: codes for what the photo or the licence's own rules say is wrong (pipelines.quality, .consistency).
    timings: seconds per pipeline stage (see pipelines.timing.STAGES).
    """

    page: Page
    fields: dict[str, str | list[str]]
    locations: dict[str, list[list[float]]] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    kind: Literal["normal", "electronic"] = "normal"  # a paper licence, or the 12123 app's screen


@dataclass(frozen=True)
class DoubleReading:
    """Both pages read from one photo (side=double_side)."""

    front: LicenceReading
    back: LicenceReading
    timings: dict[str, float] = field(default_factory=dict)
