"""Field parsers shared by both pages: each takes the spans in a field's region and returns a FieldReading."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..validate import id_check_char, id_is_valid, parse_date
from .lines import Span

DIGITS = "0123456789"


@dataclass(frozen=True)
class FieldReading:
    value: str
    confidence: float
    spans: tuple[Span, ...] = ()


def is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def _join(spans: list[Span], keep) -> FieldReading | None:
    chars, probs = [], []
    for span in spans:
        for ch, p in zip(span.text, span.probs):
            if keep(ch):
                chars.append(ch)
                probs.append(p)
    if not chars:
        return None
    return FieldReading("".join(chars), min(probs), tuple(spans))


def read_chinese(spans: list[Span], extra: str = "") -> FieldReading | None:
    """Names, nationality: Chinese characters (plus `extra`), everything else dropped."""
    return _join(spans, lambda ch: is_cjk(ch) or ch in extra)


def read_first_chinese(spans: list[Span]) -> FieldReading | None:
    """A short one-line value: the first span that holds Chinese characters, never several spans joined."""
    for span in spans:
        reading = read_chinese([span])
        if reading is not None:
            return reading
    return None


def read_address(spans: list[Span]) -> FieldReading | None:
    return _join(spans, lambda ch: is_cjk(ch) or ch.isalnum() or ch in "-()（）·")


def read_id_number(spans: list[Span]) -> FieldReading | None:
    """18-character 证号: re-decode with digits and X only, then let the check character pick among doubtful digits."""
    best: FieldReading | None = None
    for span in spans:
        text, probs = span.constrained(_id_char)
        text = text.upper()
        if len(text) < 15:
            continue
        candidate = _repair_id(text, probs, span)
        if best is None or candidate.confidence > best.confidence:
            best = candidate
    return best


def _id_char(ch: str) -> bool:
    return ch in DIGITS or ch in "Xx"


# A digit read this surely is never overruled by the check character: demo and misprinted cards exist.
_DOUBTFUL = 0.9


def _repair_id(text: str, probs: tuple[float, ...], span: Span) -> FieldReading:
    if len(text) == 18 and not id_is_valid(text):
        alternatives = span.alternatives(_id_char)
        repairs = [
            (p / probs[i], text[:i] + ch.upper() + text[i + 1 :])
            for i in range(18)
            if probs[i] < _DOUBTFUL
            for ch, p in alternatives[i].items()
            if ch.upper() != text[i]
        ]
        valid = [(ratio, fixed) for ratio, fixed in repairs if id_is_valid(fixed)]
        if valid:
            ratio, fixed = max(valid)
            return FieldReading(fixed, min(probs) * min(1.0, ratio), (span,))
    if len(text) == 17 and parse_date(text[6:14]):
        # A dropped check character (often the X at the very end of the box) can be recomputed.
        return FieldReading(text + id_check_char(text), min(probs) * 0.5, (span,))
    return FieldReading(text, min(probs), (span,))


def read_digits(spans: list[Span], length: int) -> FieldReading | None:
    best: FieldReading | None = None
    for span in spans:
        text, probs = span.constrained(lambda ch: ch in DIGITS)
        if not text:
            continue
        score = min(probs) if len(text) == length else min(probs) * 0.2
        if best is None or score > best.confidence:
            best = FieldReading(text, score, (span,))
    return best


_DATE_CHARS = DIGITS + "-./年月日"


def read_dates(spans: list[Span]) -> list[tuple[str, float, Span]]:
    """Every YYYY-MM-DD date in the spans, left to right, each with the part of its span it was read from."""
    found = []
    for span in spans:
        text, probs, frames = span.line.recognition.constrained(
            lambda ch: ch in _DATE_CHARS, span.start_frame, span.end_frame
        )
        for m in re.finditer(r"(\d{4})\D{0,2}(\d{1,2})\D{0,2}(\d{1,2})", text):
            date = parse_date(m.group(0))
            if date is None:
                continue
            part = replace(
                span,
                text=m.group(0),
                start_frame=frames[m.start()],
                end_frame=frames[m.end() - 1] + 1,
                probs=probs[m.start() : m.end()],
            )
            found.append((date.isoformat(), min(part.probs), part))
    return found


def read_choice(spans: list[Span], choices: str) -> FieldReading | None:
    for span in spans:
        text, probs = span.constrained(lambda ch: ch in choices)
        if text:
            best = max(range(len(text)), key=lambda i: probs[i])
            return FieldReading(text[best], probs[best], (span,))
    return None

