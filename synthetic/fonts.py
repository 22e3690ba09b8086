"""Which installed faces play which part on the card (see design/licence-fonts.md)."""

from __future__ import annotations

import os
from functools import cache

import numpy as np

from synthetic.text import Face, Font, render

_NOTO = "/usr/share/fonts/opentype/noto"
_LIBERATION = "/usr/share/fonts/truetype/liberation2"

# Noto CJK collections on Debian: index 2 is the simplified-Chinese face.
SONG_BOLD = Face(f"{_NOTO}/NotoSerifCJK-Bold.ttc", 2)
SONG = Face(f"{_NOTO}/NotoSerifCJK-Regular.ttc", 2)
SUNGTI = Face("/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf")
UMING = Face("/usr/share/fonts/truetype/arphic/uming.ttc", 0)
HEI_BOLD = Face(f"{_NOTO}/NotoSansCJK-Bold.ttc", 2)
HEI = Face(f"{_NOTO}/NotoSansCJK-Regular.ttc", 2)
ZENHEI = Face("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
SERIF_ITALIC = Face(f"{_LIBERATION}/LiberationSerif-Italic.ttf")


Choices = tuple[tuple[Face, float], ...]  # faces with how often a card uses them


def _installed(*candidates: tuple[Face, float]) -> Choices:
    """The candidates whose files exist here; raises when none does."""
    found = tuple((face, weight) for face, weight in candidates if os.path.exists(face.path))
    if not found:
        raise FileNotFoundError(f"none of these fonts is installed: {[f.path for f, _ in candidates]}")
    return found


@cache
def song_faces() -> Choices:
    """Regular Song faces for labels and values; SungtiL has the thin SimSun look of the labels."""
    return _installed((SONG, 0.5), (SUNGTI, 0.35), (UMING, 0.15))


@cache
def title_faces() -> Choices:
    return _installed((SONG_BOLD, 1.0))


@cache
def seal_faces() -> Choices:
    # Some seals are cut in a heavy Hei rather than Song.
    return _installed((SONG_BOLD, 0.75), (HEI_BOLD, 0.25))


@cache
def app_faces() -> Choices:
    """Sans faces standing in for a phone app's (PingFang, HarmonyOS Sans) on electronic-licence screens."""
    return _installed((HEI, 1.0), (ZENHEI, 1.0))


@cache
def latin_faces() -> Choices:
    """Times-like serifs for the English title and labels."""
    return _installed(
        (Face(f"{_LIBERATION}/LiberationSerif-Regular.ttf"), 1.0),
        (Face("/usr/share/fonts/opentype/urw-base35/NimbusRoman-Regular.otf"), 1.0),
        (Face("/usr/share/fonts/truetype/freefont/FreeSerif.ttf"), 1.0),
    )


@cache
def printer_faces() -> Choices:
    """Monoline monospaced faces standing in for the card printer's digits."""
    return _installed(
        (Face("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"), 0.7),
        (Face(f"{_LIBERATION}/LiberationMono-Regular.ttf"), 0.2),
        (Face("/usr/share/fonts/truetype/noto/NotoMono-Regular.ttf"), 0.1),
    )


@cache
def class_faces() -> Choices:
    return _installed(
        (Face("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"), 0.25),
        (Face(f"{_LIBERATION}/LiberationMono-Regular.ttf"), 0.15),
        (Face(f"{_LIBERATION}/LiberationMono-Bold.ttf"), 0.1),
        # Several cards print the class in an extended serif (a wide "C1" with serifs).
        (Face(f"{_LIBERATION}/LiberationSerif-Regular.ttf"), 0.3),
        (Face(f"{_LIBERATION}/LiberationSerif-Bold.ttf"), 0.2),
    )


def pick(rng: np.random.Generator, choices: Choices) -> Face:
    weights = np.array([weight for _, weight in choices])
    return choices[int(rng.choice(len(choices), p=weights / weights.sum()))][0]


@cache
def _digit_metrics(face: Face) -> tuple[float, float]:
    """(height of "0", advance of "0") per px of em."""
    ink = render("0", Font(face, 200))
    return ink.height / 200, render("00", Font(face, 200)).width / 200 - ink.width / 200


def sized_digits(face: Face, height: float, pitch: float) -> Font:
    """`face` sized so that digits are `height` px tall and `pitch` px apart."""
    height_per_em, advance_per_em = _digit_metrics(face)
    size = round(height / height_per_em)
    return Font(face, size, round(pitch / (advance_per_em * size), 2))
