"""Back page (副页): recognised lines -> number, name, file_number, record."""

from __future__ import annotations

import numpy as np

from ..layout import BACK, BACK_LABELS
from ..types import TextLine
from .fields import FieldReading, is_cjk, read_chinese, read_digits, read_id_number
from .lines import Span, aligned_lines, labels_of, spans_in

BACK_FIELDS = ("number", "name", "file_number", "record")
FILE_NUMBER_LENGTH = 12
_LABELS = labels_of(BACK_LABELS)


def extract_back(lines: tuple[TextLine, ...], align: np.ndarray) -> dict[str, FieldReading]:
    placed = aligned_lines(lines, _LABELS, align)
    region = {name: spans_in(placed, box) for name, box in BACK.items()}
    fields = {
        "number": read_id_number(region["number"]),
        "name": read_chinese(region["name"], extra="·"),
        "file_number": read_digits(region["file_number"], FILE_NUMBER_LENGTH),
        "record": read_record(region["record"]),
    }
    return {name: value for name, value in fields.items() if value is not None}


# What a record line is written with; the dotted rules it sits on read as '.', '_' or '-'.
_RECORD_PUNCTUATION = "。，、：；（）()"
# Every entry is a sentence closed by 。 (实习期至2005年08月26日。); the small stop is what blur takes first.
SENTENCE_END = "。"


def read_record(spans: list[Span]) -> FieldReading | None:
    kept = [
        (ch, p)
        for span in spans
        for ch, p in zip(span.text, span.probs)
        if is_cjk(ch) or ch.isdigit() or ch in _RECORD_PUNCTUATION
    ]
    if not any(is_cjk(ch) for ch, _ in kept):
        return None
    text = "".join(ch for ch, _ in kept)
    if not text.endswith(SENTENCE_END):
        text += SENTENCE_END
    return FieldReading(text, min(p for _, p in kept), tuple(spans))
