"""Field parsers shared by both pages: each takes the spans in a field's region and returns a FieldReading."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from models import Recognition

from ..gazetteer import closest_address_head, province_by_code
from ..names import SINGLE_SURNAMES, starts_with_surname
from ..simplified import SIMPLIFIED_OF
from ..validate import DATE_PATTERN, DATE_RE, id_check_char, id_is_valid, parse_date
from .lines import Span, is_cjk

DIGITS = "0123456789"


@dataclass(frozen=True)
class FieldReading:
    value: str
    confidence: float
    spans: tuple[Span, ...] = ()


def _join(spans: list[Span], keep) -> FieldReading | None:
    """The characters `keep` accepts, and only the spans they came from: a speck read as a letter in a name's
    region is neither in the name nor in its box."""
    chars, probs, kept = [], [], []
    for span in spans:
        kept_before = len(chars)
        for i, (ch, p) in enumerate(zip(span.text, span.probs)):
            if keep(ch):
                ch, p = _simplified(span, i, ch, p)
                chars.append(ch)
                probs.append(p)
        if len(chars) > kept_before:
            kept.append(span)
    if not chars:
        return None
    return FieldReading("".join(chars), min(probs), tuple(kept))


# A traditional form (黃) read where the card prints the simplified one (黄) is the recogniser's favourite
# slip on Song faces: a traditional character with a simplified form of its own is read as that form. Licences
# print GB 2312 characters in all but rare names, so a GB 2312 runner-up this close to any other non-GB 2312
# first choice wins.
_SIMPLIFIED_MARGIN = 0.25


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _simplified(span: Span, i: int, ch: str, p: float) -> tuple[str, float]:
    if not is_cjk(ch) or _in_gb2312(ch):
        return ch, p
    if ch in SIMPLIFIED_OF:
        return SIMPLIFIED_OF[ch], p
    runner_up = _close_runner_up(span, i, lambda c: is_cjk(c) and _in_gb2312(c), _SIMPLIFIED_MARGIN)
    if runner_up is None:
        return ch, p
    q, best = runner_up
    return best, q


def _close_runner_up(span: Span, i: int, allowed: Callable[[str], bool], margin: float) -> tuple[float, str] | None:
    """The likeliest character `allowed` accepts among the recogniser's candidates for the span's i-th character,
    with its probability, if it is at least `margin` times as likely as the character read."""
    if i >= len(span.frames):
        return None
    (candidates,) = span.line.recognition.candidates_at([span.frames[i]], allowed)
    close = [(q, c) for c, q in candidates.items() if q >= margin * span.probs[i]]
    return max(close, default=None)


def read_chinese(spans: list[Span], extra: str = "") -> FieldReading | None:
    """Names, nationality: Chinese characters (plus `extra`), everything else dropped."""
    return _join(spans, lambda ch: is_cjk(ch) or ch in extra)


# A first character read at least this surely is kept whatever it is: rare surnames exist beyond any list.
SURE_FIRST = 0.9
# How close to the first choice a surname among the runners-up must come to replace a first choice that is none.
_SURNAME_MARGIN = 0.25


def read_name(spans: list[Span]) -> FieldReading | None:
    """A holder's name: Chinese characters and the middle dot of a transliterated name. A doubtful first character
    that is no surname gives way to a surname the recogniser saw there nearly as likely (自杰 -> 闫杰)."""
    reading = read_chinese(spans, extra="·")
    if reading is None or "·" in reading.value or starts_with_surname(reading.value):
        return reading
    first = next(((span, i) for span in spans for i, ch in enumerate(span.text) if is_cjk(ch)), None)
    if first is None or first[0].probs[first[1]] >= SURE_FIRST:
        return reading
    surname = _close_runner_up(*first, lambda c: c in SINGLE_SURNAMES, _SURNAME_MARGIN)
    if surname is None:
        return reading
    q, first_char = surname
    return FieldReading(first_char + reading.value[1:], min(reading.confidence, q), reading.spans)


def read_first_chinese(spans: list[Span]) -> FieldReading | None:
    """A short one-line value: the first span that holds Chinese characters, never several spans joined."""
    for span in spans:
        reading = read_chinese([span])
        if reading is not None:
            return reading
    return None


def read_address(spans: list[Span]) -> FieldReading | None:
    """An address begins with its province and prefecture (gazetteer.address_heads): a reading a character or two
    away from exactly one of them is given its spelling (宁夏国族自治区 -> 宁夏回族自治区)."""
    # Addresses print digits and capital block letters (A座); lower-case letters are the tail of "Address".
    reading = _join(spans, lambda ch: is_cjk(ch) or ch.isdigit() or "A" <= ch <= "Z" or ch in "-()（）·")
    match = None if reading is None else closest_address_head(reading.value)
    if match is None:
        return reading
    head, length = match
    return replace(reading, value=head + reading.value[length:])


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
    if len(text) == 17 and text.isdigit() and parse_date(text[6:14]):
        # A dropped check character (often the X at the very end of the box) can be recomputed, from 17 digits: an X
        # read among them (a held-out back of accuracy.py's seeds 210000) is itself a misread, with no weight in the
        # sum, and raised an error here.
        return FieldReading(text + id_check_char(text), min(probs) * 0.5, (span,))
    if len(text) == 17:
        # Any other digit lost (under glare, or cut off with the box's end): the one that makes a valid number
        # starting with a real province's code, when only one does (about a quarter of the time; never wrongly
        # on 3,000 generated numbers with a digit dropped at random).
        restored = {
            number
            for i in range(18)
            for ch in DIGITS + ("X" if i == 17 else "")
            if id_is_valid(number := text[:i] + ch + text[i:]) and province_by_code(number[:2])
        }
        if len(restored) == 1:
            return FieldReading(restored.pop(), min(probs) * 0.5, (span,))
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
    """Every YYYY-MM-DD date in the spans, left to right, each with the part of its span it was read from.

    A date-shaped reading that is no real date (2995-12-15, 2615-66-11) is mended by the likeliest of the
    recogniser's runner-up digits that makes one, at a confidence lowered by how much less likely they were."""
    found = []
    for span in spans:
        rec = span.line.recognition
        text, probs, frames = rec.constrained(lambda ch: ch in DATE_CHARS, span.start_frame, span.end_frame)
        text, probs, frames = restore_dropped_digits(rec, text, probs, frames, span.end_frame)
        per_char = rec.candidates_at(frames, lambda ch: ch in DATE_CHARS)
        for start, end, (ratio, date) in _date_matches(text, per_char):
            part = replace(
                span,
                text=text[start:end],
                start_frame=frames[start],
                end_frame=frames[end - 1] + 1,
                probs=probs[start:end],
            )
            if lost_a_digit(part.text):
                ratio *= LOST_DIGIT_RATIO
            found.append((date, min(part.probs) * ratio, part))
    return found


# A month or day that still reads as one digit, its other lost and not found among the frames beside it, is read
# as that digit with a 0 before it (2005-09-1 as 2005-09-01), a guess: it was as likely 2005-09-10 (a held-out hard
# card returned 2005-09-01 at 0.99; hard seed 260018's birth line read 1996012-02, returned 1996-01-02 for
# 1990-12-02). Not vouched for, and its row is read again (pipelines.reread_rows).
LOST_DIGIT_RATIO = 0.5


def lost_a_digit(date_text: str) -> bool:
    """Whether a date as read (a span's text) has a one-digit month or day."""
    m = DATE_RE.search(date_text)
    return m is not None and (len(m.group(2)) == 1 or len(m.group(3)) == 1)


_DATE_AT = re.compile(rf"(?=({DATE_PATTERN}))")

# Licences print a date's month and day with two digits (1981-09-22). One read with a single digit lost the other
# to the blank: the first of a repeated pair (22, 11) that the recogniser gave 0.39 against the blank's 0.45, or a
# faint one. A digit the frames beside it saw at least this likely is put back where it makes a real date.
MIN_DROPPED_DIGIT = 0.1


def restore_dropped_digits(
    rec: Recognition, text: str, probs: tuple[float, ...], frames: tuple[int, ...], stop: int
) -> tuple[str, tuple[float, ...], tuple[int, ...]]:
    """A constrained date reading (text, per-character probabilities and frames, up to frame `stop`) with the digit
    its one-digit months and days dropped put back: the likeliest digit seen between the lone digit's neighbours."""
    # Right to left, day before month, so that an insertion leaves the positions before it as they were.
    for m in reversed(list(DATE_RE.finditer(text))):
        end = m.end()
        for group in (3, 2):
            if len(m.group(group)) != 1:
                continue
            restored = _dropped_digit(rec, text, frames, m.start(group), stop, (m.start(), end))
            if restored is not None:
                at, digit, p, t = restored
                text = text[:at] + digit + text[at:]
                probs = probs[:at] + (p,) + probs[at:]
                frames = frames[:at] + (t,) + frames[at:]
                end += 1
    return text, probs, frames


def _dropped_digit(
    rec: Recognition, text: str, frames: tuple[int, ...], i: int, stop: int, date: tuple[int, int]
) -> tuple[int, str, float, int] | None:
    """Where to insert which digit beside the lone digit text[i] (position, digit, probability, frame), if any."""
    lo = frames[i - 1] + 1 if i > 0 else frames[i]
    hi = frames[i + 1] if i + 1 < len(frames) else stop
    best: tuple[int, str, float, int] | None = None
    for t in range(lo, min(hi, len(rec.topk_ids))):
        if t == frames[i]:
            continue
        at = i if t < frames[i] else i + 1
        for idx, p in zip(rec.topk_ids[t], rec.topk_probs[t]):
            digit = rec.charset[idx]
            if not idx or digit not in DIGITS or p < MIN_DROPPED_DIGIT or (best is not None and p <= best[2]):
                continue
            if parse_date(text[date[0] : at] + digit + text[at : date[1]]) is not None:
                best = (at, digit, float(p), t)
    return best


def _date_matches(text: str, per_char: list[dict[str, float]]) -> list[tuple[int, int, tuple[float, str]]]:
    """Dates, left to right, not overlapping, each as its likeliest reading. Tried at every position: a stray digit
    glued in front ("52025-02-15", the tail of the previous date) must not hide the date behind it."""
    found = []
    position = 0
    for m in _DATE_AT.finditer(text):
        start, end = m.start(1), m.end(1)
        if start < position:
            continue
        readings = date_readings(text[start:end], per_char[start:end])
        if readings:
            found.append((start, end, max((ratio, date) for date, ratio in readings.items())))
            position = end
    return found


# How far below the recogniser's first choice a runner-up digit may be and still make a date: a candidate the
# recogniser gave under 5% of its first choice's weight is not a reading to trust.
MIN_CANDIDATE_RATIO = 0.05
# Only the most likely substitutions are combined; beyond these the candidates are noise.
MAX_SUBSTITUTIONS = 6
MAX_SUBSTITUTED_DIGITS = 2


def date_readings(text: str, per_char: list[dict[str, float]]) -> dict[str, float]:
    """The real dates (ISO) that `text`, a date as read, stands for, each with its weight relative to the reading
    itself: the reading (weight 1) if it is a real date, and those that replacing one or two of its digits by the
    recogniser's runners-up (`per_char`, the candidates at each character) would make."""
    found: dict[str, float] = {}
    as_read = parse_date(text)
    if as_read is not None:
        found[as_read.isoformat()] = 1.0
    digits = [(i, ch) for i, ch in enumerate(text) if ch.isdigit()]
    if len(digits) != 8 or len(per_char) != len(text):
        return found
    substitutions = sorted(
        (
            (p / max(per_char[i].get(ch, 0.0), 1e-6), k, d)
            for k, (i, ch) in enumerate(digits)
            for d, p in per_char[i].items()
            if d.isdigit() and d != ch
        ),
        reverse=True,
    )[:MAX_SUBSTITUTIONS]
    base = [ch for _, ch in digits]
    for count in range(1, MAX_SUBSTITUTED_DIGITS + 1):
        for combo in itertools.combinations(substitutions, count):
            if len({k for _, k, _ in combo}) < count:
                continue
            ratio = 1.0
            chars = list(base)
            for r, k, d in combo:
                chars[k] = d
                ratio *= min(1.0, r)
            day = parse_date("".join(chars))
            if day is not None and ratio >= MIN_CANDIDATE_RATIO:
                found[day.isoformat()] = max(found.get(day.isoformat(), 0.0), ratio)
    return found


def read_choice(spans: list[Span], choices: str) -> FieldReading | None:
    for span in spans:
        text, probs = span.constrained(lambda ch: ch in choices)
        if text:
            best = max(range(len(text)), key=lambda i: probs[i])
            return FieldReading(text[best], probs[best], (span,))
    return None

