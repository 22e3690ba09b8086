"""Back page (副页): recognised lines -> number, name, file_number, record."""

from __future__ import annotations

import numpy as np

from ..layout import BACK, BACK_LABELS
from ..types import TextLine
from .fields import FieldReading, read_chinese, read_digits, read_id_number
from .lines import label_patterns, spans_in

BACK_FIELDS = ("number", "name", "file_number", "record")
FILE_NUMBER_LENGTH = 12
_LABELS = label_patterns(BACK_LABELS)


def extract_back(lines: tuple[TextLine, ...], align: np.ndarray) -> dict[str, FieldReading]:
    region = {name: spans_in(lines, box, _LABELS, align) for name, box in BACK.items()}
    fields = {
        "number": read_id_number(region["number"]),
        "name": read_chinese(region["name"], extra="·"),
        "file_number": read_digits(region["file_number"], FILE_NUMBER_LENGTH),
        "record": read_record(region["record"]),
    }
    return {name: value for name, value in fields.items() if value is not None}


def read_record(spans) -> FieldReading | None:
    text = "".join(span.text for span in spans).replace(" ", "")
    if not text:
        return None
    return FieldReading(text, min(p for span in spans for p in span.probs), tuple(spans))
