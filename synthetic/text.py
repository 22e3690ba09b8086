"""Fonts found on this machine, and text rendered to tight coverage masks.

Text is composed glyph by glyph (cached) rather than with one PIL call per line, because the
card mixes fonts within a line (printer digits inside Song text), condenses or extends
some fonts, and spreads characters apart (names, the seal).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Characters a card printer sets in its digit face when a line mixes faces.
DIGIT_CHARS = frozenset("0123456789-: ")
_NOT_A_CHAR = "\U0010fffd"  # a private-use code point no face maps


@dataclass(frozen=True)
class Face:
    """A font file and the face inside it (.ttc collections hold several)."""

    path: str
    index: int = 0


@dataclass(frozen=True)
class Font:
    """A face at an em size in px, scaled horizontally by sx, with extra px after each character.

    stroke thins (< 0) or thickens (> 0) the strokes by that many pixels: no free face matches
    the card printer's weight, and printers differ. Characters the face lacks (rare name
    characters outside GB 2312) come from `fallback`.
    """

    face: Face
    size: int
    sx: float = 1.0
    tracking: float = 0.0
    stroke: int = 0
    fallback: Face | None = None

    def scaled(self, sx: float) -> Font:
        return replace(self, sx=round(sx, 2))

    def tracked(self, tracking: float) -> Font:
        return replace(self, tracking=tracking)

    def stroked(self, stroke: int) -> Font:
        return replace(self, stroke=stroke)


@dataclass(frozen=True)
class Ink:
    """Rendered text: a tight uint8 coverage mask, where its baseline lies (row, may be outside),
    and each character's horizontal span (pen start, pen end) in mask columns."""

    mask: np.ndarray
    baseline: int
    spans: tuple[tuple[int, int], ...] = ()

    def columns(self, start: int, stop: int) -> tuple[int, int]:
        """The columns covered by characters start..stop-1, clipped to the ink."""
        x0 = max(self.spans[start][0], 0)
        x1 = min(self.spans[stop - 1][1], self.width)
        return x0, x1

    @property
    def width(self) -> int:
        return int(self.mask.shape[1])

    @property
    def height(self) -> int:
        return int(self.mask.shape[0])


@dataclass(frozen=True)
class _Glyph:
    mask: np.ndarray
    left: int  # ink box relative to the pen position on the baseline
    top: int
    advance: float


@lru_cache(maxsize=256)
def pil_font(face: Face, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(face.path, size, index=face.index)


@lru_cache(maxsize=65536)
def has_glyph(face: Face, char: str) -> bool:
    """Whether `face` draws `char` itself rather than its missing-glyph box."""
    font = pil_font(face, 32)
    return char.isspace() or bytes(font.getmask(char)) != bytes(font.getmask(_NOT_A_CHAR))


@lru_cache(maxsize=16384)
def _glyph(face: Face, size: int, sx: float, stroke: int, char: str) -> _Glyph:
    font = pil_font(face, size)
    advance = font.getlength(char) * sx
    left, top, right, bottom = font.getbbox(char, anchor="ls")
    if right <= left or bottom <= top:
        return _Glyph(np.zeros((0, 0), np.uint8), 0, 0, advance)
    image = Image.new("L", (right - left, bottom - top))
    ImageDraw.Draw(image).text((-left, -top), char, font=font, fill=255, anchor="ls")
    mask = np.asarray(image)
    if sx != 1.0:
        width = max(1, round(mask.shape[1] * sx))
        mask = cv2.resize(mask, (width, mask.shape[0]), interpolation=cv2.INTER_AREA)
    if stroke:
        kernel = np.ones((abs(stroke) + 1, abs(stroke) + 1), np.uint8)
        mask = cv2.dilate(mask, kernel) if stroke > 0 else cv2.erode(mask, kernel)
    return _Glyph(mask, round(left * sx), top, advance)


def render(text: str, font: Font, digits: Font | None = None) -> Ink:
    """Render one line; characters in DIGIT_CHARS use `digits` when it is given."""
    placed: list[tuple[_Glyph, int]] = []
    pens: list[float] = []
    pen = 0.0
    for char in text:
        use = digits if digits is not None and char in DIGIT_CHARS else font
        if use.fallback is not None and not has_glyph(use.face, char):
            use = replace(use, face=use.fallback)
        glyph = _glyph(use.face, use.size, use.sx, use.stroke, char)
        placed.append((glyph, round(pen)))
        pens.append(pen)
        pen += glyph.advance + use.tracking
    ends = [p + g.advance for p, (g, _) in zip(pens, placed, strict=True)]
    inked = [(g, x) for g, x in placed if g.mask.size]
    if not inked:
        return Ink(np.zeros((1, 1), np.uint8), 0)
    x0 = min(x + g.left for g, x in inked)
    x1 = max(x + g.left + g.mask.shape[1] for g, x in inked)
    top = min(g.top for g, _ in inked)
    bottom = max(g.top + g.mask.shape[0] for g, _ in inked)
    canvas = np.zeros((bottom - top, x1 - x0), np.uint8)
    for glyph, x in inked:
        cx, cy = x + glyph.left - x0, glyph.top - top
        region = canvas[cy : cy + glyph.mask.shape[0], cx : cx + glyph.mask.shape[1]]
        np.maximum(region, glyph.mask, out=region)
    spans = tuple((round(start) - x0, round(end) - x0) for start, end in zip(pens, ends, strict=True))
    return Ink(canvas, -top, spans)


def natural_width(text: str, font: Font) -> int:
    """Ink width of `text` set in `font` without tracking."""
    return render(text, font.tracked(0.0)).width


def fit_tracking(text: str, font: Font, width: float) -> Font:
    """The font with the tracking that makes `text` span `width` px of ink."""
    gaps = max(len(text) - 1, 1)
    return font.tracked((width - natural_width(text, font)) / gaps)


def fit_scale(text: str, font: Font, width: float, lo: float = 0.5, hi: float = 2.0) -> Font:
    """The font condensed or extended so that `text` spans `width` px of ink."""
    natural = render(text, font.scaled(1.0).tracked(0.0)).width
    return font.scaled(float(np.clip(width / max(natural, 1), lo, hi)))
