"""Electronic licences (电子驾驶证): a phone screenshot of the 交管12123 app -> the same fields plus the app's own.

A screenshot has no card to find or straighten: its text is detected on the whole (shrunk) screen, read at full
resolution, and each value is found by its label, beside it on the same row or under it. The app versions differ
in wording and layout, so nothing here depends on where a row stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from models import OcrEngine

from .extract.fields import (
    DIGITS,
    FieldReading,
    is_cjk,
    read_address,
    read_chinese,
    read_choice,
    read_dates,
    read_digits,
    read_first_chinese,
    read_id_number,
)
from .extract.front import LONG_TERM, read_class, read_single_date, validity_of
from .extract.lines import Label, Span, labels_of
from .read import crop_quad, widen
from .types import Image, TextLine
from .validate import DATE_PATTERN, parse_date

ELECTRONIC_FIELDS = (
    "number", "name", "sex", "nationality", "address", "birth", "issue_date", "class", "valid_from", "valid_to",
    "file_number", "accumulated_scores", "status", "generation_date", "current_time",
)  # fmt: skip

# Label wordings -> the field (or field pair) they introduce. Longer wordings first, so that 有效期起始日期 is not
# taken for 有效期限 and 驾驶证号 not for 证号.
_LABELS: tuple[tuple[str, str], ...] = (
    ("有效期起始日期", "valid_from"),
    ("有效期截止日期", "valid_to"),
    ("有效起始日期", "valid_from"),
    ("有效截止日期", "valid_to"),
    ("初次领证日期", "issue_date"),
    ("有效期限", "validity"),
    ("出生日期", "birth"),
    ("准驾车型", "class"),
    ("档案编号", "file_number"),
    ("累积记分", "accumulated_scores"),
    ("累计记分", "accumulated_scores"),
    ("生成时间", "generation_date"),
    ("当前时间", "current_time"),
    ("驾驶证号", "number"),
    ("证号", "number"),
    ("姓名", "name"),
    ("性别", "sex"),
    ("国籍", "nationality"),
    ("住址", "address"),
    ("状态", "status"),
)
_MATCHERS: tuple[tuple[Label, str], ...] = tuple(zip(labels_of(w for w, _ in _LABELS), (f for _, f in _LABELS)))
# Words only the app shows: a paper licence never prints them.
_APP_ONLY = {"accumulated_scores", "status", "generation_date", "current_time"}
# At least this many different labels, one of them app-only, before a screen counts as an electronic licence.
MIN_LABELS = 5

# The screen is detected at this width (text on phone screens is large) and read at its own resolution.
DETECT_WIDTH = 640
# A screenshot is flat colour: at least this share of it in its single commonest colour (a photo has noise).
FLAT_SHARE = 0.25
PORTRAIT = 1.4  # height / width of a phone screen at the least


def looks_like_screenshot(image: Image) -> bool:
    """Cheap enough to ask of every image: a portrait picture mostly of one exact colour."""
    pixels = image.pixels
    if pixels.shape[0] < PORTRAIT * pixels.shape[1]:
        return False
    sample = (pixels[::8, ::8] // 8).reshape(-1, 3).astype(np.int32)
    codes = (sample[:, 0] << 10) | (sample[:, 1] << 5) | sample[:, 2]
    return float(np.bincount(codes).max()) / len(codes) >= FLAT_SHARE


@dataclass(frozen=True)
class ScreenText:
    lines: tuple[TextLine, ...]  # boxes in the screenshot's pixels


def read_screen(engine: OcrEngine, image: Image) -> ScreenText:
    pixels = image.pixels
    scale = min(1.0, DETECT_WIDTH / pixels.shape[1])
    size = (round(pixels.shape[1] * scale), round(pixels.shape[0] * scale))
    boxes = engine.detector(pixels, size)
    bounds = (pixels.shape[1], pixels.shape[0])
    quads = [widen(b.quad, bounds=bounds) for b in boxes]
    recognitions = engine.recognizer([crop_quad(pixels, q) for q in quads])
    lines = tuple(
        TextLine(text=r.text, score=r.score, box=q, recognition=r) for q, r in zip(quads, recognitions) if r.text.strip()
    )
    return ScreenText(lines)


@dataclass(frozen=True)
class _Labelled:
    field: str
    line: TextLine
    end: int  # index in line.text just after the label


def extract_electronic(screen: ScreenText) -> dict[str, FieldReading] | None:
    """The fields, or None when the screen is not an electronic licence."""
    labelled = _labels(screen.lines)
    found = {item.field for item in labelled}
    if len(found) < MIN_LABELS or not found & _APP_ONLY:
        return None
    fields: dict[str, FieldReading | None] = {}
    for item in labelled:
        spans = _value_spans(item, labelled, screen.lines)
        if not spans or item.field in fields:
            continue
        if item.field == "validity":
            fields.update(_validity(spans))
        else:
            fields[item.field] = _PARSERS[item.field](spans)
    return {name: fields[name] for name in ELECTRONIC_FIELDS if fields.get(name) is not None}  # type: ignore[misc]


def _labels(lines: tuple[TextLine, ...]) -> list[_Labelled]:
    found = []
    for line in lines:
        taken = [False] * len(line.text)
        for label, field in _MATCHERS:
            for start, end in label.find_all(line.text):
                if start <= 1 and not any(taken[start:end]):  # a label opens its line (maybe after a stray mark)
                    taken[start:end] = [True] * (end - start)
                    found.append(_Labelled(field, line, end))
    return found


def _value_spans(item: _Labelled, labelled: list[_Labelled], lines: tuple[TextLine, ...]) -> list[Span]:
    """The value after the label on its own line; else the nearest line beside it; else the line under it.
    An address may run on to unlabelled lines under it."""
    own = _rest_of_line(item)
    if own is not None and own.text.strip(":： "):
        spans = [own]
    else:
        label_lines = {id(other.line) for other in labelled}
        height = item.line.y1 - item.line.y0
        beside = [
            ln for ln in lines
            if id(ln) not in label_lines and ln.x0 > item.line.x1 - height and abs(ln.cy - item.line.cy) < 0.5 * height
        ]  # fmt: skip
        under = [
            ln for ln in lines
            if id(ln) not in label_lines and 0 < ln.cy - item.line.cy < 2.0 * height and ln.x0 < item.line.x1
        ]  # fmt: skip
        pool = sorted(beside, key=lambda ln: ln.x0) or sorted(under, key=lambda ln: ln.cy)
        if not pool:
            return []
        spans = [_whole(pool[0])]
    if item.field == "address":
        spans += _continuation(spans[-1].line, labelled, lines)
    return spans


def _continuation(line: TextLine, labelled: list[_Labelled], lines: tuple[TextLine, ...]) -> list[Span]:
    """Unlabelled lines straight under `line`, up to the next labelled row."""
    height = line.y1 - line.y0
    label_rows = [other.line.cy for other in labelled]
    more = []
    last = line
    for ln in sorted(lines, key=lambda ln: ln.cy):
        if ln.cy <= last.cy + 0.5 * height:
            continue
        if ln.cy - last.cy > 1.8 * height or any(abs(ln.cy - row) < 0.5 * height for row in label_rows):
            break
        if abs(ln.x0 - line.x0) < 1.5 * height:
            more.append(_whole(ln))
            last = ln
    return more


def _rest_of_line(item: _Labelled) -> Span | None:
    line = item.line
    rec = line.recognition
    if item.end >= len(line.text):
        return None
    frames = rec.char_frames
    keep = range(item.end, len(line.text))
    return Span(
        line=line,
        text=line.text[item.end :],
        start_frame=frames[item.end - 1] + 1,
        end_frame=rec.topk_ids.shape[0],
        probs=tuple(rec.char_probs[i] for i in keep),
        frames=tuple(frames[i] for i in keep),
    )


def _whole(line: TextLine) -> Span:
    rec = line.recognition
    return Span(line, line.text, 0, rec.topk_ids.shape[0], tuple(rec.char_probs), tuple(rec.char_frames))


def _validity(spans: list[Span]) -> dict[str, FieldReading | None]:
    return validity_of(read_dates(spans), "".join(span.text for span in spans))


def _valid_to(spans: list[Span]) -> FieldReading | None:
    if any(LONG_TERM in span.text for span in spans):
        return FieldReading(LONG_TERM, min(span.confidence for span in spans), tuple(spans))
    return read_single_date(spans)


def _scores(spans: list[Span]) -> FieldReading | None:
    """The points: the digits before 分 (re-decoding the whole span to digits only would read 分 itself as one).
    A lone 0 is read as the letter O now and then: with no digit read, the frames before 分 are re-decoded to
    digits."""
    for span in spans:
        before = span.text.split("分")[0]
        points = re.search(r"\d+", before)
        if points:
            return FieldReading(points.group(), min(span.probs[points.start() : points.end()]), (span,))
        end = span.frames[len(before)] if len(before) < len(span.frames) else span.end_frame
        digits, probs, _ = span.line.recognition.constrained(lambda ch: ch in DIGITS, span.start_frame, end)
        if digits:
            return FieldReading(digits, min(probs), (span,))
    return None


# Statuses are words separated by 、，, or spaces; each returned as one item of a list.
STATUS_SEPARATOR = "、"


def _status(spans: list[Span]) -> FieldReading | None:
    words = [w for span in spans for w in re.split(r"[^\u4e00-\u9fff]+", "".join(ch if is_cjk(ch) else " " for ch in span.text)) if w]
    if not words:
        return None
    return FieldReading(STATUS_SEPARATOR.join(words), min(span.confidence for span in spans), tuple(spans))


# A date, then maybe a time; the screen may print them with no space between ("2026-07-2611:56:56").
_TIMESTAMP = re.compile(rf"{DATE_PATTERN}(?:\D{{0,2}}(\d{{2}})\D{{0,2}}(\d{{2}})\D{{0,2}}(\d{{2}}))?")
_TIMESTAMP_CHARS = DIGITS + "-:：/.年月日 "


def _timestamp(spans: list[Span]) -> FieldReading | None:
    """YYYY-MM-DD, or YYYY-MM-DD HH:MM:SS when the screen shows a time."""
    for span in spans:
        text, probs = span.constrained(lambda ch: ch in _TIMESTAMP_CHARS)
        for m in _TIMESTAMP.finditer(text):
            date = parse_date(text[m.start(1) : m.end(3)])
            if date is None:
                continue
            value, end = date.isoformat(), m.end(3)
            hour, minute, second = m.group(4), m.group(5), m.group(6)
            if hour and int(hour) < 24 and int(minute) < 60 and int(second) < 60:
                value, end = f"{value} {hour}:{minute}:{second}", m.end(6)
            return FieldReading(value, min(probs[m.start(1) : end]), (span,))
    return None


_PARSERS = {
    "number": read_id_number,
    "name": lambda spans: read_chinese(spans, extra="·"),
    "sex": lambda spans: read_choice(spans, "男女"),
    "nationality": read_first_chinese,
    "address": read_address,
    "birth": read_single_date,
    "issue_date": read_single_date,
    "class": read_class,
    "valid_from": read_single_date,
    "valid_to": _valid_to,
    "file_number": lambda spans: read_digits(spans, 12),
    "accumulated_scores": _scores,
    "status": _status,
    "generation_date": _timestamp,
    "current_time": _timestamp,
}
