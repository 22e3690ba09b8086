"""Back page (副页): recognised lines -> number, name, file_number, record."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..gazetteer import edit_distance
from ..layout import BACK, BACK_LABELS
from ..types import TextLine
from ..validate import parse_date
from .fields import DIGITS, FieldReading, date_readings, is_cjk, read_digits, read_id_number, read_name
from .lines import Span, aligned_lines, labels_of, spans_in

BACK_FIELDS = ("number", "name", "file_number", "record")
FILE_NUMBER_LENGTH = 12
_LABELS = labels_of(BACK_LABELS)


def extract_back(lines: tuple[TextLine, ...], align: np.ndarray) -> dict[str, FieldReading]:
    placed = aligned_lines(lines, _LABELS, align)
    region = {name: spans_in(placed, box) for name, box in BACK.items()}
    fields = {
        "number": read_id_number(region["number"]),
        "name": read_name(region["name"]),
        "file_number": read_digits(region["file_number"], FILE_NUMBER_LENGTH),
        "record": read_record(region["record"]),
    }
    return {name: value for name, value in fields.items() if value is not None}


# What a record line is written with; the dotted rules it sits on read as '.', '_' or '-'.
_RECORD_PUNCTUATION = "。，、：；（）()"
# Letters only as a vehicle class (增驾B2实习期至…): a lone letter is a rule's or a stain's noise.
CLASS_CODE = re.compile(r"[A-DMNP][1-6]")
# Every entry is a sentence closed by 。 (实习期至2005年08月26日。); the small stop is what blur takes first.
SENTENCE_END = "。"


def read_record(spans: list[Span]) -> FieldReading | None:
    kept = [
        (ch, p, span, i)
        for span in spans
        for i, (ch, p) in enumerate(zip(span.text, span.probs))
        if is_cjk(ch) or ch.isdigit() or ch in _RECORD_PUNCTUATION or CLASS_CODE.match(span.text, i)
    ]
    if not any(is_cjk(ch) for ch, *_ in kept):
        return None
    text, ratio = _real_dates(kept)
    if not text.endswith(SENTENCE_END):
        text += SENTENCE_END
    confidence = min(p for _, p, *_ in kept) * ratio
    mended = _mend_entries(text)
    if mended != text or ratio < 1:
        text, confidence = mended, min(confidence, MENDED_CONFIDENCE)
    return FieldReading(text, confidence, tuple(spans))


# A date as a record writes it in full; the entries below are recognised by where it stands.
_FULL_DATE = r"\d{4}年\d{2}月\d{2}日"
_RECORD_DATE = re.compile(_FULL_DATE)


def _real_dates(kept: list[tuple[str, float, Span, int]]) -> tuple[str, float]:
    """The kept characters as text, each date in it that is no real date (2015年88月31日) replaced by the likeliest
    real one the recogniser's runner-up digits make, as the front's dates are; and how much less likely that was."""
    text = "".join(ch for ch, *_ in kept)
    ratio = 1.0
    for match in _RECORD_DATE.finditer(text):
        if parse_date(match.group()) is not None:
            continue
        per_char = [
            span.line.recognition.candidates_at([span.frames[i]], lambda ch: ch in DIGITS)[0] if span.frames else {}
            for _, _, span, i in kept[match.start() : match.end()]
        ]
        readings = date_readings(match.group(), per_char)
        if readings:
            likeliest, day = max((r, d) for d, r in readings.items())
            real = parse_date(day)
            assert real is not None  # date_readings returns only real dates
            written = f"{real.year:04d}年{real.month:02d}月{real.day:02d}日"
            text = text[: match.start()] + written + text[match.end() :]  # the same length: later matches stay put
            ratio = min(ratio, likeliest)
    return text, ratio


# An entry the reading is near enough to be mended to: an opening, the full date, a closing. `pattern` splits a
# reading into what stands before the date, the date and what stands after it; `near` judges the two sides.
@dataclass(frozen=True)
class _DatedEntry:
    opening: str
    closing: str
    pattern: re.Pattern[str]
    near: Callable[[str, str], bool]

    def mend(self, text: str) -> str:
        entry = self.pattern.match(text)
        if entry is None or not self.near(entry.group(1), entry.group(3)):
            return text
        return self.opening + entry.group(2) + self.closing


# The entry a card printer writes on most new licences' back page: 实习期至2005年08月26日。 Blur drops its small
# words' characters (期至2005年…, 实期…) or garbles one (实习月期至…) while the large date survives; a reading
# that near, with nothing else beside the date, is that sentence. Two characters replaced are not mended (有效期至
# is another entry), nor a lone 至. A mending is never as sure as a clean reading.
PROBATION = "实习期至"
MENDED_CONFIDENCE = 0.9


def _near_probation(words: str, tail: str) -> bool:
    near = edit_distance(words, PROBATION, 1) <= 1 or (len(words) >= 2 and _dropped_from(words, PROBATION))
    return near and edit_distance(tail, SENTENCE_END, 1) <= 1


# The entry that extends a licence: 自2013年08月18日至有效起始日期有效。 Blur takes its small leading 自 or garbles a
# character of its tail (至 read 14); with the date whole and the tail within two edits, it is that sentence.
EXTENSION = ("自", "至有效起始日期有效。")
EXTENSION_TAIL_EDITS = 2


def _near_extension(head: str, tail: str) -> bool:
    opening, closing = EXTENSION
    near_tail = edit_distance(tail, closing, EXTENSION_TAIL_EDITS) <= EXTENSION_TAIL_EDITS
    return edit_distance(head, opening, 1) <= 1 and near_tail


_ENTRIES = (
    _DatedEntry(PROBATION, SENTENCE_END, re.compile(rf"^(\D{{1,6}})({_FULL_DATE})(\D{{0,2}})$"), _near_probation),
    _DatedEntry(*EXTENSION, re.compile(rf"^(.{{0,2}}?)({_FULL_DATE})(.{{8,13}})$"), _near_extension),
)


def _mend_entries(text: str) -> str:
    for entry in _ENTRIES:
        text = entry.mend(text)
    return text


def _dropped_from(text: str, whole: str) -> bool:
    """Whether `text` is `whole` with some characters dropped, the rest in order."""
    rest = iter(whole)
    return all(ch in rest for ch in text)
