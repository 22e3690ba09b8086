"""Character-level access to recognised lines: which characters fall in a layout region, minus the labels."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import cv2
import numpy as np

from ..layout import Region
from ..types import CARD_H, CARD_W, TextLine


@dataclass(frozen=True)
class Label:
    """A printed label as the recogniser may return it: spacing and case free; one character wrong in a long
    Chinese label (档来编号 for 档案编号) still counts, since a blurred label is still where the label is."""

    text: str
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, text: str) -> Label:
        return cls(text, re.compile(r"\s*".join(re.escape(ch) for ch in text if not ch.isspace()), re.IGNORECASE))

    @property
    def tolerant(self) -> bool:
        return len(self.text) >= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in self.text)

    def find_all(self, text: str) -> list[tuple[int, int]]:
        found = [(m.start(), m.end()) for m in self.pattern.finditer(text)]
        if found or not self.tolerant:
            return found
        n = len(self.text)
        # A window one character off holds n - 1 of the label's characters: most lines hold far fewer.
        if sum(ch in text for ch in self.text) < n - 1:
            return []
        for i in range(len(text) - n + 1):
            if sum(a != b for a, b in zip(text[i : i + n], self.text)) <= 1:
                return [(i, i + n)]
        return []


def infix_distance(pattern: str, text: str) -> int:
    """The fewest edits (insertions, deletions, substitutions) that make some stretch of `text` read `pattern`."""
    previous = [0] * (len(text) + 1)  # the empty pattern matches anywhere, at no cost
    for i, wanted in enumerate(pattern, 1):
        current = [i]
        for j, seen in enumerate(text, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (wanted != seen)))
        previous = current
    return min(previous)


def labels_of(texts: Iterable[str]) -> tuple[Label, ...]:
    return tuple(Label.of(text) for text in texts)


@dataclass(frozen=True)
class Span:
    """The characters of one line that stand in a region: the greedy text and the frames they came from."""

    line: TextLine
    text: str
    start_frame: int
    end_frame: int
    probs: tuple[float, ...]
    frames: tuple[int, ...] = ()  # the frame of each character of text

    def constrained(self, allowed: Callable[[str], bool]) -> tuple[str, tuple[float, ...]]:
        text, probs, _ = self.line.recognition.constrained(allowed, self.start_frame, self.end_frame)
        return text, probs

    def alternatives(self, allowed: Callable[[str], bool]) -> list[dict[str, float]]:
        """Per character of the constrained reading: every allowed candidate the recogniser saw there."""
        rec = self.line.recognition
        _, _, frames = rec.constrained(allowed, self.start_frame, self.end_frame)
        return rec.candidates_at(frames, allowed)

    @property
    def confidence(self) -> float:
        return min(self.probs, default=0.0)

    def unread_mass(self) -> float:
        """Recognition.unread_mass from the span's first character to its end: before it, on a value's line, stand
        the label's small characters, which blur leaves unread without a value losing anything."""
        start = self.frames[0] if self.frames else self.start_frame
        return self.line.recognition.unread_mass(start, self.end_frame)

    def char_xs(self) -> np.ndarray:
        """Card x of each character of text's centre, along the line's top edge (as char_positions)."""
        return _card_x(self.line, (np.array(self.frames, np.float64) + 0.5) * self.line.recognition.frame_width)

    def quad(self) -> np.ndarray:
        """The part of the line's box that the span's frames cover, TL TR BR BL in card pixels."""
        rec = self.line.recognition
        box = self.line.box.astype(np.float64)
        length = max(float(np.linalg.norm(box[1] - box[0])), 1.0)
        t0 = min(1.0, self.start_frame * rec.frame_width / length)
        t1 = min(1.0, max(t0, self.end_frame * rec.frame_width / length))
        top = box[0] + (box[1] - box[0]) * np.array([[t0], [t1]])
        bottom = box[3] + (box[2] - box[3]) * np.array([[t1], [t0]])
        return np.vstack([top, bottom]).astype(np.float32)


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def char_positions(line: TextLine) -> np.ndarray:
    """Card x of every character's centre, along the line's top edge: where the recogniser placed it, or evenly
    spaced on a line known without reading (an English label under its Chinese one: read.leading_label)."""
    rec = line.recognition
    tl, tr = line.box[0], line.box[1]
    if rec is None:
        return tl[0] + (tr[0] - tl[0]) * (np.arange(len(line.text)) + 0.5) / max(len(line.text), 1)
    return _card_x(line, np.array([rec.char_x(i) for i in range(len(line.text))]))


def _card_x(line: TextLine, along: np.ndarray) -> np.ndarray:
    """Card x of points `along` the line's crop (crop pixels from its left end), on the line's top edge."""
    tl, tr = line.box[0], line.box[1]
    length = max(float(np.linalg.norm(tr - tl)), 1.0)
    return tl[0] + (tr[0] - tl[0]) * along / length


def char_centres(line: TextLine) -> np.ndarray:
    """Card (x, y) of every character's centre on a read line's own axis, from the middle of its box's left edge to
    the middle of its right: on a card straightened a few degrees off, a long line climbs or falls along its length."""
    box = line.box.astype(np.float64)
    left, right = (box[0] + box[3]) / 2, (box[1] + box[2]) / 2
    length = max(float(np.linalg.norm(box[1] - box[0])), 1.0)
    along = np.array([line.recognition.char_x(i) for i in range(len(line.text))]) / length
    return left + (right - left) * along.reshape(-1, 1)


def label_mask(text: str, labels: tuple[Label, ...]) -> list[bool]:
    mask = [False] * len(text)
    for label in labels:
        for start, end in label.find_all(text):
            for i in range(start, end):
                mask[i] = True
    return mask


@dataclass(frozen=True)
class AlignedLine:
    """A recognised line's characters placed on the layout: their centres (aligned by the 3x3 matrix) and which of
    them belong to a printed label. The same for every field region, so computed once per card."""

    line: TextLine
    points: np.ndarray  # (characters, 2) layout pixels
    is_label: list[bool]


def aligned_lines(lines: Iterable[TextLine], labels: tuple[Label, ...], align: np.ndarray) -> list[AlignedLine]:
    """The lines with text in reading order, each with its characters placed on the layout."""
    placed = []
    for line in lines:
        if line.recognition is None or not line.text:
            continue
        points = cv2.perspectiveTransform(char_centres(line).reshape(-1, 1, 2), align).reshape(-1, 2)
        # A line is one printed row: its characters stand level on the layout, at its centre's height. Placed level
        # on the card instead, a long line on a card the fit turned level (straightened 4.5 degrees off) climbed
        # across the layout, and an address's far end fell out of its field; placed where the axis takes them, a
        # line on a card whose fit pins no turn (two labels) did the same.
        points[:, 1] = cv2.perspectiveTransform(line.box.mean(axis=0).reshape(1, 1, 2), align)[0, 0, 1]
        placed.append(AlignedLine(line, points, label_mask(line.text, labels)))
    return reading_order(placed)


T = TypeVar("T")

# Pieces of one printed row whose centres on the layout stand less than this share of a line's height apart.
SAME_ROW = 0.5


def printed_rows(pieces: Iterable[tuple[float, float, T]]) -> list[list[T]]:
    """Pieces of text, each as (its centre's height, its line's height, the piece), grouped into printed rows, top
    to bottom: a piece joins the row above when it stands less than SAME_ROW of its line's height below that row's
    top piece."""
    rows: list[tuple[float, list[T]]] = []  # each row's top piece's height, and its pieces
    for y, height, piece in sorted(pieces, key=lambda p: p[0]):
        if rows and y - rows[-1][0] < SAME_ROW * height:
            rows[-1][1].append(piece)
        else:
            rows.append((y, [piece]))
    return [row for _, row in rows]


def reading_order(placed: list[AlignedLine]) -> list[AlignedLine]:
    """Rows top to bottom on the layout, each left to right. Glare or a gap splits a row into pieces that stand a
    pixel or two apart in height, more on a card straightened a degree or two off: ordered by height alone, an
    address's right-hand piece came first (号附1号福建省漳州市洪山区车站)."""
    rows = printed_rows((float(a.points[:, 1].mean()), a.line.y1 - a.line.y0, a) for a in placed)
    return [aligned for row in rows for aligned in sorted(row, key=lambda a: float(a.points[0, 0]))]


def spans_in(placed: Iterable[AlignedLine], region: Region) -> list[Span]:
    """Per line: its non-label characters whose centres lie in the region, less what a label-free line read again."""
    x0, y0, x1, y1 = region[0] * CARD_W, region[1] * CARD_H, region[2] * CARD_W, region[3] * CARD_H
    inside = []
    for aligned in placed:
        keep = [
            i
            for i, (x, y) in enumerate(aligned.points)
            if x0 <= x <= x1 and y0 <= y <= y1 and not aligned.is_label[i]
        ]
        if keep:
            inside.append((aligned, keep))
    return [_span(aligned.line, keep) for aligned, keep in _read_once(inside) if keep]


def _read_once(inside: list[tuple[AlignedLine, list[int]]]) -> list[tuple[AlignedLine, list[int]]]:
    """The detector may box a label with the value's first character (姓名妈) and box the value on its own as well
    (姚琪), or box a label too garbled to tell with it (t名朱) beside the value (e朱淑沅): the character is then
    read twice. Of two lines that read Chinese characters in the same places, the one free of labels keeps them (in
    the label's box the label's ink runs into them), else the one that read them surer: whole, so that a value is
    never pieced together from two readings. Digits are left alone: a date or number is read within one line, and a
    line that lost one digit of it would lose all of it."""
    once = []
    for aligned, keep in inside:
        for other, other_keep in inside:
            if other is aligned:
                continue
            twice = _read_twice(aligned, keep, other, other_keep)
            mine = {i for i, _ in twice}
            if twice and _rank(other, [j for _, j in twice]) > _rank(aligned, sorted(mine)):
                keep = [i for i in keep if i not in mine]
        once.append((aligned, keep))
    return once


def _rank(aligned: AlignedLine, chars: list[int]) -> tuple[bool, float]:
    probs = aligned.line.recognition.char_probs
    return not any(aligned.is_label), float(np.mean([probs[i] for i in chars]))


def _read_twice(
    aligned: AlignedLine, keep: list[int], other: AlignedLine, other_keep: list[int]
) -> list[tuple[int, int]]:
    """The Chinese characters (i of `aligned`, j of `other`) both lines read in the same row, closer than half the
    pitch of either line there. Rows are told apart by the shorter line's height: a box over two rows of the seal
    (市公安局交 with the date beside it) is as tall as both."""
    if not keep or not other_keep:
        return []
    height = min(aligned.line.y1 - aligned.line.y0, other.line.y1 - other.line.y0)
    if abs(aligned.points[keep[0], 1] - other.points[other_keep[0], 1]) >= SAME_ROW * height:
        return []
    return [
        (i, j)
        for i in keep
        if is_cjk(aligned.line.text[i])
        for j in other_keep
        if is_cjk(other.line.text[j])
        and abs(aligned.points[i, 0] - other.points[j, 0]) < min(_half_pitch(aligned, i), _half_pitch(other, j))
    ]


def _half_pitch(aligned: AlignedLine, i: int) -> float:
    """Half the way from character i to the nearest other character of its line; half the line's height if alone."""
    xs = aligned.points[:, 0]
    gaps = np.abs(np.delete(xs, i) - xs[i])
    return float(gaps.min()) / 2 if gaps.size else (aligned.line.y1 - aligned.line.y0) / 2


def _span(line: TextLine, keep: list[int]) -> Span:
    frames = line.recognition.char_frames
    first, last = keep[0], keep[-1]
    start = frames[first - 1] + 1 if first > 0 else 0
    end = frames[last + 1] if last + 1 < len(frames) else line.recognition.topk_ids.shape[0]
    return Span(
        line=line,
        text="".join(line.text[i] for i in keep),
        start_frame=start,
        end_frame=end,
        probs=tuple(line.recognition.char_probs[i] for i in keep),
        frames=tuple(frames[i] for i in keep),
    )
