"""Which installed faces play which part on the card (see design/licence-fonts.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

import numpy as np

from synthetic.text import Face, Font, render

_NOTO = "/usr/share/fonts/opentype/noto"
_LIBERATION = "/usr/share/fonts/truetype/liberation2"
_DEJAVU = "/usr/share/fonts/truetype/dejavu"

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


@dataclass(frozen=True)
class FaceSet:
    """The faces each part of a card, and of an electronic licence's screen, is drawn from."""

    song: Choices  # labels and values
    title: Choices
    seal: Choices
    latin: Choices  # the English title and labels
    printer: Choices  # the card printer's digits
    licence_class: Choices
    retyped_number: Face  # the vendor demo cards' numbers
    app: Choices  # a phone app's sans (PingFang, HarmonyOS Sans) on electronic-licence screens
    app_bold: Face


def _development() -> FaceSet:
    return FaceSet(
        # SungtiL has the thin SimSun look of the labels.
        song=_installed((SONG, 0.5), (SUNGTI, 0.35), (UMING, 0.15)),
        title=_installed((SONG_BOLD, 1.0)),
        # Some seals are cut in a heavy Hei rather than Song.
        seal=_installed((SONG_BOLD, 0.75), (HEI_BOLD, 0.25)),
        latin=_installed(
            (Face(f"{_LIBERATION}/LiberationSerif-Regular.ttf"), 1.0),
            (Face("/usr/share/fonts/opentype/urw-base35/NimbusRoman-Regular.otf"), 1.0),
            (Face("/usr/share/fonts/truetype/freefont/FreeSerif.ttf"), 1.0),
        ),
        # Monoline monospaced faces stand in for the card printer's digits.
        printer=_installed(
            (Face(f"{_DEJAVU}/DejaVuSansMono.ttf"), 0.7),
            (Face(f"{_LIBERATION}/LiberationMono-Regular.ttf"), 0.2),
            (Face("/usr/share/fonts/truetype/noto/NotoMono-Regular.ttf"), 0.1),
        ),
        licence_class=_installed(
            (Face(f"{_DEJAVU}/DejaVuSansMono.ttf"), 0.25),
            (Face(f"{_LIBERATION}/LiberationMono-Regular.ttf"), 0.15),
            (Face(f"{_LIBERATION}/LiberationMono-Bold.ttf"), 0.1),
            # Several cards print the class in an extended serif (a wide "C1" with serifs).
            (Face(f"{_LIBERATION}/LiberationSerif-Regular.ttf"), 0.3),
            (Face(f"{_LIBERATION}/LiberationSerif-Bold.ttf"), 0.2),
        ),
        retyped_number=SERIF_ITALIC,
        app=_installed((HEI, 1.0), (ZENHEI, 1.0)),
        app_bold=HEI_BOLD,
    )


def _held_out() -> FaceSet:
    microhei = Face("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    ukai = Face("/usr/share/fonts/truetype/arphic/ukai.ttc", 0)  # AR PL UKai CN
    hack = "/usr/share/fonts/truetype/hack/Hack"
    jetbrains = "/usr/share/fonts/truetype/jetbrains-mono/JetBrainsMono"
    return FaceSet(
        song=_installed(
            (ukai, 0.35), (Face("/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf"), 0.3), (microhei, 0.35)
        ),
        title=_installed((HEI_BOLD, 1.0)),
        seal=_installed((ukai, 0.5), (microhei, 0.5)),
        latin=_installed(
            (Face(f"{_DEJAVU}/DejaVuSerif.ttf"), 1.0), (Face(f"{_LIBERATION}/LiberationSans-Regular.ttf"), 1.0)
        ),
        printer=_installed(
            (Face(f"{hack}-Regular.ttf"), 0.4),
            (Face(f"{jetbrains}-Regular.ttf"), 0.3),
            (Face("/usr/share/fonts/truetype/inconsolata/Inconsolata.otf"), 0.3),
        ),
        licence_class=_installed(
            (Face(f"{hack}-Bold.ttf"), 0.4),
            (Face(f"{jetbrains}-Bold.ttf"), 0.3),
            (Face(f"{_DEJAVU}/DejaVuSerif-Bold.ttf"), 0.3),
        ),
        retyped_number=Face(f"{_DEJAVU}/DejaVuSerif-Italic.ttf"),
        app=_installed((microhei, 1.0)),
        app_bold=microhei,
    )


# "development" is what every test, benchmark and threshold was built on. "held-out" shares none of its Chinese or
# digit faces (two Kai and another Hei for the Song, three other monospaced digit faces, another Hei on screens):
# reading it as well as the development set says the pipeline learnt the licence, not this generator's fonts.
_FACE_SETS = {"development": _development, "held-out": _held_out}
FACE_SETS: tuple[str, ...] = tuple(_FACE_SETS)


@cache
def face_set(name: str = "development") -> FaceSet:
    if name not in _FACE_SETS:
        raise ValueError(f"unknown face set {name!r}; expected one of {FACE_SETS}")
    return _FACE_SETS[name]()


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


def digits_like(face: Face, model: Font) -> Font:
    """`face` sized so that its digits stand as tall and as far apart as `model`'s (its own face: `model`)."""
    height_per_em, advance_per_em = _digit_metrics(model.face)
    return sized_digits(face, height_per_em * model.size, advance_per_em * model.size * model.sx)
