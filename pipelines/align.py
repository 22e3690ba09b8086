"""Printed labels as anchors: the affine that takes card pixels to layout pixels.

Straightening leaves a few percent of error when a card edge is hidden, rounded or merged with its background,
and a card printer shifts its values by a few tenths of a millimetre. The printed labels stand at fixed
places on the stock, so fitting their observed centres to the layout absorbs both before regions are applied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from .extract.back import FILE_NUMBER_LENGTH
from .extract.lines import Label, char_centres, char_positions
from .types import CARD_CORNERS, CARD_H, CARD_W, Card, Page, TextLine
from .validate import id_birth

Anchors = dict[str, tuple[float, float]]

# Label centres as card fractions (../shared/design/licence-layout-fractions.json).
FRONT_ANCHORS: Anchors = {
    "中华人民共和国机动车驾驶证": (0.505, 0.087),
    "证号": (0.335, 0.199),
    "姓名": (0.080, 0.279),
    "性别": (0.505, 0.277),
    "国籍": (0.674, 0.277),
    "Nationality": (0.689, 0.316),
    "住址": (0.081, 0.379),
    "Address": (0.092, 0.428),
    "出生日期": (0.334, 0.575),
    "初次领证日期": (0.360, 0.674),
    "准驾车型": (0.333, 0.779),
}
FRONT_NEW_ANCHORS: Anchors = {"有效期限": (0.117, 0.889), "Valid Period": (0.118, 0.931)}
FRONT_OLD_ANCHORS: Anchors = {"有效起始日期": (0.144, 0.891), "有效期限": (0.536, 0.888)}
BACK_ANCHORS: Anchors = {
    "中华人民共和国机动车驾驶证副页": (0.493, 0.079),
    "证号": (0.325, 0.185),
    "姓名": (0.089, 0.292),
    "档案编号": (0.543, 0.291),
    "记录": (0.093, 0.434),
}

# The title's first and last character centres (x, card fractions): its ink box less half a character each side.
# The title is the largest, most often legible print on a card; its two ends fix the card's scale and turn when
# the small labels are lost to blur or dark.
TITLE_ENDS: dict[str, tuple[float, float]] = {
    "中华人民共和国机动车驾驶证": (0.198 + 0.614 / 26, 0.812 - 0.614 / 26),
    "中华人民共和国机动车驾驶证副页": (0.142 + 0.701 / 30, 0.843 - 0.701 / 30),
}
# Where a value's first character starts (its ink box's left edge) and the centre of its row, as card fractions
# (../shared/design/licence-layout-fractions.json). Values are printed from a fixed start, so a value places its
# row as well as a label does; across, it is known only to about 10 px (the card printer's offset, and where the
# recogniser puts a first character). They stand in when a dim or blurred photo leaves too few of the small labels
# readable, while the larger values still read.
FRONT_VALUES: Anchors = {"number": (0.418, 0.2005), "birth": (0.401, 0.581), "valid": (0.201, 0.894)}
BACK_VALUES: Anchors = {"number": (0.400, 0.181), "file_number": (0.618, 0.262)}
# A digit or two lost or doubled by blur leaves the value's start where it was: these take the ID number (18) and
# the file number (12) read a little long or short.
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{15,19}X?(?![0-9X])")
FILE_NUMBER = re.compile(rf"(?<![0-9])[0-9]{{{FILE_NUMBER_LENGTH - 2},{FILE_NUMBER_LENGTH + 2}}}(?![0-9])")
VALID_FROM = re.compile(r"(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?=\s*至)")
# With fewer labels than this the fit is a similarity at best, or nothing: values are added to the labels.
MIN_LABELS = 3

IDENTITY = np.eye(3)
RANSAC_PX = 12.0
HOMOGRAPHY_GAIN = 0.6  # a homography must cut the labels' residual to this share of the affine's to be used
# Label centres are only known to about 5 px: an affine that fits that well leaves nothing for perspective.
AFFINE_GOOD_ENOUGH_PX = 8.0
# Labels nearly in a line (the title, 证号 and Address run down a diagonal) pin an affine's shear and its scale
# across that line to a few pixels of label error over a short lever: 3 such labels tilted a card's rows by 7
# degrees and stretched it by a fifth. Below this spread across their line they fit a similarity.
AFFINE_MIN_BREADTH = 20.0
# A fit that moves a card corner further than this means straightening went wrong (an edge hidden or merged
# with the background): the card is straightened again from the labels rather than read through a big warp.
RESTRAIGHTEN_SHIFT = 0.04


def anchors_for(page: Page, lines: Iterable[TextLine]) -> Anchors:
    if page == "back":
        return BACK_ANCHORS
    old = any("有效起始日期" in line.text for line in lines)
    return {**FRONT_ANCHORS, **(FRONT_OLD_ANCHORS if old else FRONT_NEW_ANCHORS)}


def align_page(page: Page, lines: tuple[TextLine, ...]) -> Alignment:
    """The page's alignment from its labels, helped by its values where too few labels could be read."""
    return fit_alignment(lines, anchors_for(page, lines), FRONT_VALUES if page == "front" else BACK_VALUES)


def observed_values(lines: Iterable[TextLine], values: Anchors) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (where a value starts on this card, where the layout starts it), in card pixels.

    A value counts only in its own form (a long run of digits for the ID or file number, the birth date the ID
    number holds, the date before 至), so that what is taken for its start is its first character.
    """
    patterns = {"number": ID_NUMBER, "file_number": FILE_NUMBER, "valid": VALID_FROM}
    found: dict[str, tuple[TextLine, int, int]] = {}
    for line in lines:
        if line.recognition is None:
            continue
        for name, pattern in patterns.items():
            if name in values and name not in found and (match := pattern.search(line.text)):
                found[name] = (line, match.start(), match.end())
    if "birth" in values and "number" in found:
        line, start, end = found["number"]
        birth = id_birth(line.text[start:end])
        for other in lines:
            if birth and other.recognition is not None and (at := other.text.find(birth)) >= 0:
                found["birth"] = (other, at, at + len(birth))
                break
    seen, expected = [], []
    for name, (line, start, end) in found.items():
        centres = char_positions(line)[start:end]
        pitch = (centres[-1] - centres[0]) / (len(centres) - 1)
        seen.append((float(centres[0] - pitch / 2), line.cy))
        expected.append((values[name][0] * CARD_W, values[name][1] * CARD_H))
    return np.array(seen, np.float32).reshape(-1, 2), np.array(expected, np.float32).reshape(-1, 2)


def observed_anchors(
    lines: Iterable[TextLine], anchors: Anchors, title_ends: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (where the label is on this card, where the layout puts it), in card pixels; the title as its two
    ends when `title_ends`, else as its centre like any label."""
    seen, expected = [], []
    for text, (fx, fy) in anchors.items():
        label = Label.of(text)
        for line in lines:
            found = label.find_all(line.text)
            if not found:
                continue
            start, end = found[0]
            centres = char_positions(line)[start:end]
            if title_ends and text in TITLE_ENDS:
                seen += _ends(line, start, end)
                expected += [(x * CARD_W, fy * CARD_H) for x in TITLE_ENDS[text]]
            else:
                seen.append((float(centres.mean()), line.cy))
                expected.append((fx * CARD_W, fy * CARD_H))
            break
    return np.array(seen, np.float32).reshape(-1, 2), np.array(expected, np.float32).reshape(-1, 2)


# Blur garbles the title as a whole (中华人民共和中机动车驾批证): a line of the title's length this few
# characters off it is the title, end to end.
TITLE_EDITS = 3


def card_by_title(page: Page, card: Card, lines: Iterable[TextLine]) -> np.ndarray | None:
    """The card's corners in the photo as its title's two ends place them, a similarity in the photo's own pixels;
    None where the title did not read, or places the card within RESTRAIGHTEN_SHIFT of where it was straightened
    (the similarity knows no perspective: there it would only trade a good quad for a rougher one).

    A card found by its text alone (on a background of the card's colour) is the text's box grown by a margin: on a
    back page, whose text fills its top third, that box stretches a third of the card to the whole, and no label
    then reads well enough to align it. The title, the largest print, still reads, and fixes where the card lies.
    """
    anchors = FRONT_ANCHORS if page == "front" else BACK_ANCHORS
    title = next(text for text in TITLE_ENDS if text in anchors)
    label = Label.of(title)
    for line in lines:
        if line.recognition is None:
            continue
        found = label.find_all(line.text)
        if found:
            start, end = found[0]
        elif len(line.text) == len(title) and sum(a != b for a, b in zip(line.text, title)) <= TITLE_EDITS:
            start, end = 0, len(title)
        else:
            continue
        s0, s1 = (complex(*p) for p in card.map_to_image(np.array(_axis_ends(line, start, end))))
        d0, d1 = (complex(x * CARD_W, anchors[title][1] * CARD_H) for x in TITLE_ENDS[title])
        if abs(s1 - s0) < 1.0:
            return None
        to_photo = (s1 - s0) / (d1 - d0)
        corners = np.array([(c.real, c.imag) for c in (s0 + to_photo * (complex(x, y) - d0) for x, y in CARD_CORNERS)])
        on_card = cv2.perspectiveTransform(corners.reshape(-1, 1, 2), np.linalg.inv(card.to_image)).reshape(-1, 2)
        moved = float(np.abs(on_card - CARD_CORNERS).max()) / CARD_W
        return corners.astype(np.float32) if moved > RESTRAIGHTEN_SHIFT else None
    return None


def _ends(line: TextLine, start: int, end: int) -> list[tuple[float, float]]:
    """The centres of the first and last printed characters of line.text[start:end], in card pixels."""
    centres = char_positions(line)[start:end]
    inked = [i for i, ch in enumerate(line.text[start:end]) if not ch.isspace()]
    return [(float(centres[inked[0]]), line.cy), (float(centres[inked[-1]]), line.cy)]


def _axis_ends(line: TextLine, start: int, end: int) -> list[tuple[float, float]]:
    """As _ends, but on the line's own axis: where the title alone places the card, a card straightened from a quad
    gone wrong (a colour region that merged it with a dim desk) lies turned in its crop, its title far from level.
    The label fit keeps _ends, level with each line's centre as its other labels are placed."""
    centres = char_centres(line)
    inked = [start + i for i, ch in enumerate(line.text[start:end]) if not ch.isspace()]
    return [(float(x), float(y)) for x, y in centres[[inked[0], inked[-1]]]]


@dataclass(frozen=True)
class Alignment:
    matrix: np.ndarray  # 3x3, card pixels -> layout pixels
    anchors: int  # labels that supported it (0: the identity, nothing to go on)

    @property
    def shift(self) -> float:
        """How far the fit moves the card's corners, as a fraction of the card's width."""
        corners = CARD_CORNERS.astype(np.float64)
        return float(np.abs(apply(self.matrix, corners) - corners).max() / CARD_W)

    @property
    def calls_for_restraightening(self) -> bool:
        # Two labels pin only a similarity: too little to re-straighten a card from.
        return self.anchors >= 3 and self.shift > RESTRAIGHTEN_SHIFT

    def better_than(self, other: Alignment) -> bool:
        """Any fit is better than none; of two fits, one as well supported that moves the card less."""
        if other.anchors == 0:
            return self.anchors > 0
        return self.anchors >= other.anchors and self.shift < other.shift


def fit_alignment(lines: Iterable[TextLine], anchors: Anchors, values: Anchors | None = None) -> Alignment:
    """Card pixels -> layout pixels; the identity when the labels do not support a fit.

    An affine (a similarity from two labels) unless a homography explains the labels much better: label
    centres are only known to a few pixels, and with no labels at the card's right edge a homography's
    perspective terms would swing that side by several percent on a card that needs no correction at all.
    Where fewer than MIN_LABELS labels read and `values` are given, the title's two ends and the values found join
    them.
    """
    lines = list(lines)
    seen, expected = observed_anchors(lines, anchors)
    # An affine through exactly three points has no error to spare: a value's 10 px of doubt across then swings
    # the card's far corners by several percent. With values in the fit, an affine takes four.
    affine_from = 3
    if values and len(seen) < MIN_LABELS:
        seen, expected = observed_anchors(lines, anchors, title_ends=True)
        value_seen, value_expected = observed_values(lines, values)
        seen, expected = np.vstack([seen, value_seen]), np.vstack([expected, value_expected])
        affine_from += len(value_seen) > 0
    n = len(seen)
    if n < 2:
        return Alignment(IDENTITY, 0)
    affine, used = fit_affine(seen, expected, affine_from)
    if affine is None or used < min(n, 3):
        return Alignment(IDENTITY, 0)
    best = np.vstack([affine, [0.0, 0.0, 1.0]])
    spread = float(np.ptp(expected[:, 1])) / CARD_H
    if n >= 6 and spread >= 0.5 and _residual(best, seen, expected) > AFFINE_GOOD_ENOUGH_PX:
        homography, h_inliers = cv2.findHomography(seen, expected, cv2.RANSAC, RANSAC_PX)
        if homography is not None and int(h_inliers.sum()) >= used:
            keep = h_inliers.ravel().astype(bool)
            if _residual(homography, seen[keep], expected[keep]) < HOMOGRAPHY_GAIN * _residual(best, seen[keep], expected[keep]):
                best, used = homography, int(h_inliers.sum())
    return Alignment(best, used) if _plausible(best) else Alignment(IDENTITY, 0)


def fit_affine(seen: np.ndarray, expected: np.ndarray, affine_from: int) -> tuple[np.ndarray | None, int]:
    """The 2x3 RANSAC fit of seen to expected points, and how many points it keeps: an affine where at least
    `affine_from` points, spread across as well as along, support one, else a similarity."""
    if len(seen) >= affine_from and _breadth(expected) >= AFFINE_MIN_BREADTH:
        affine, inliers = cv2.estimateAffine2D(seen, expected, method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PX)
        # RANSAC may keep three of four points, through which an affine passes exactly whichever they are: a dark
        # front's title ends and its 证号, read with a stray digit before it, sheared the card by 48 degrees, while
        # the right three (the title ends and the validity) fitted as many. A similarity cannot pass through a
        # wrong point with right ones, so it takes over.
        if affine is not None and int(inliers.sum()) >= affine_from:
            return affine, int(inliers.sum())
    affine, inliers = cv2.estimateAffinePartial2D(seen, expected, method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PX)
    return affine, int(inliers.sum()) if affine is not None else 0


def _breadth(points: np.ndarray) -> float:
    """How far the points stand off the line that fits them best (px, their spread across it)."""
    return float(np.sqrt(np.linalg.eigvalsh(np.cov(points.T.astype(np.float64)))[0]))


def _residual(matrix: np.ndarray, seen: np.ndarray, expected: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.sum((apply(matrix, seen) - expected) ** 2, axis=1))))


def _plausible(matrix: np.ndarray) -> bool:
    """The card, seen through the fit, must stay a convex quad of sensible size."""
    corners = apply(matrix, CARD_CORNERS.astype(np.float64)).astype(np.float32)
    if not cv2.isContourConvex(corners):
        return False
    ratio = cv2.contourArea(corners) / (CARD_W * CARD_H)
    return 0.25 < ratio < 4.0


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, np.float64).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(pts, matrix).reshape(-1, 2)


def layout_to_card(matrix: np.ndarray, region: tuple[float, float, float, float]) -> np.ndarray:
    """A layout region's corners (TL, TR, BR, BL) in card pixels: through the inverse of the alignment."""
    x0, y0, x1, y1 = region[0] * CARD_W, region[1] * CARD_H, region[2] * CARD_W, region[3] * CARD_H
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64)
    return apply(np.linalg.inv(matrix), corners).astype(np.float32)
