"""Field parsers shared by both pages: each takes the spans in a field's region and returns a FieldReading."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from ..validate import DATE_PATTERN, id_check_char, id_is_valid, parse_date
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
        for i, (ch, p) in enumerate(zip(span.text, span.probs)):
            if keep(ch):
                ch, p = _simplified(span, i, ch, p)
                chars.append(ch)
                probs.append(p)
    if not chars:
        return None
    return FieldReading("".join(chars), min(probs), tuple(spans))


# A traditional form (黃) read where the card prints the simplified one (黄) is the recogniser's favourite
# slip on Song faces. Licences print GB 2312 characters in all but rare names, so a GB 2312 runner-up this
# close to a non-GB 2312 first choice wins.
_SIMPLIFIED_MARGIN = 0.25


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _simplified(span: Span, i: int, ch: str, p: float) -> tuple[str, float]:
    if not is_cjk(ch) or _in_gb2312(ch) or i >= len(span.frames):
        return ch, p
    rec = span.line.recognition
    t = span.frames[i]
    runners = [
        (float(q), rec.charset[k])
        for k, q in zip(rec.topk_ids[t], rec.topk_probs[t])
        if k and is_cjk(rec.charset[k]) and _in_gb2312(rec.charset[k]) and q >= _SIMPLIFIED_MARGIN * p
    ]
    if not runners:
        return ch, p
    q, best = max(runners)
    return best, q


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
    # Addresses print digits and capital block letters (A座); lower-case letters are the tail of "Address".
    return _join(spans, lambda ch: is_cjk(ch) or ch.isdigit() or "A" <= ch <= "Z" or ch in "-()（）·")


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


DATE_CHARS = DIGITS + "-./年月日"


def read_dates(spans: list[Span]) -> list[tuple[str, float, Span]]:
    """Every YYYY-MM-DD date in the spans, left to right, each with the part of its span it was read from."""
    found = []
    for span in spans:
        text, probs, frames = span.line.recognition.constrained(
            lambda ch: ch in DATE_CHARS, span.start_frame, span.end_frame
        )
        for start, end, date in _date_matches(text):
            part = replace(
                span,
                text=text[start:end],
                start_frame=frames[start],
                end_frame=frames[end - 1] + 1,
                probs=probs[start:end],
            )
            found.append((date.isoformat(), min(part.probs), part))
    return found


_DATE_AT = re.compile(rf"(?=({DATE_PATTERN}))")


def _date_matches(text: str) -> list[tuple[int, int, dt.date]]:
    """Real dates, left to right, not overlapping. Tried at every position: a stray digit glued in front
    ("52025-02-15", the tail of the previous date) must not hide the date behind it."""
    found = []
    position = 0
    for m in _DATE_AT.finditer(text):
        start, end = m.start(1), m.end(1)
        if start < position:
            continue
        date = parse_date(text[start:end])
        if date is not None:
            found.append((start, end, date))
            position = end
    return found


def read_choice(spans: list[Span], choices: str) -> FieldReading | None:
    for span in spans:
        text, probs = span.constrained(lambda ch: ch in choices)
        if text:
            best = max(range(len(text)), key=lambda i: probs[i])
            return FieldReading(text[best], probs[best], (span,))
    return None

