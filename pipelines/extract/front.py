"""Front page (主页): recognised lines -> Huawei's front-page fields."""

from __future__ import annotations

import re

import numpy as np

from ..align import layout_to_card
from ..gazetteer import closest_authority, common_subsequence, edit_distance, local_authority
from ..layout import FRONT, FRONT_LABELS, FRONT_PROBES, Region
from ..types import TextLine
from ..validate import CLASS_CHARS, VALIDITY_YEARS, add_years, class_is_valid, parse_date
from .fields import (
    FieldReading,
    read_address,
    read_name,
    read_first_chinese,
    read_choice,
    read_dates,
    read_id_number,
    is_cjk,
)
from .lines import Span, aligned_lines, labels_of, spans_in

FRONT_FIELDS = (
    "number", "name", "sex", "nationality", "address", "birth", "issue_date", "class",
    "valid_from", "valid_to", "issuing_authority",
)  # fmt: skip

LONG_TERM = "长期"
_LABELS = labels_of(FRONT_LABELS)


def extract_front(lines: tuple[TextLine, ...], align: np.ndarray, with_authority: bool) -> dict[str, FieldReading]:
    placed = aligned_lines(lines, _LABELS, align)
    region = {name: spans_in(placed, box) for name, box in FRONT.items()}
    fields: dict[str, FieldReading | None] = {
        "number": read_id_number(region["number"]),
        "name": read_name(region["name"]),
        "sex": read_choice(_probes_first(region["sex"]), "男女"),
        "nationality": read_nationality(_probes_first(region["nationality"])),
        "address": read_address(_address_spans(region["address"])),
        "birth": read_single_date(region["birth"]),
        "issue_date": read_single_date(region["issue_date"]),
        "class": read_class(_probes_first(region["class"])),
    }
    fields.update(read_validity(region))
    if with_authority:
        fields["issuing_authority"] = read_authority(region["seal"], fields["address"])
    return {name: value for name, value in fields.items() if value is not None}


def extract_authority(
    lines: tuple[TextLine, ...], align: np.ndarray, address: FieldReading | None
) -> FieldReading | None:
    """The issuing authority from the seal's lines alone (read.read_seal)."""
    return read_authority(spans_in(aligned_lines(lines, _LABELS, align), FRONT["seal"]), address)


def _probes_first(spans: list[Span]) -> list[Span]:
    """A probe reads exactly the value's box; a detected line there may be the value merged with its neighbours."""
    return sorted(spans, key=lambda span: not span.line.probe)


# Below this a probe of the (usually empty) second address line is reading the guilloche, not ink.
PROBE_MIN_PROB = 0.6


def front_probes(lines: tuple[TextLine, ...], align: np.ndarray) -> dict[str, Region]:
    """The layout boxes worth reading directly on this front: the address's second line only where no detected
    address line stands as low as its box, since _address_spans would leave that probe's reading unused."""
    detected = spans_in(aligned_lines(lines, _LABELS, align), FRONT["address"])
    second_line_top = float(layout_to_card(align, FRONT_PROBES["address_line2"])[:, 1].min())
    if any(second_line_top <= span.line.cy for span in detected if _read_as_text(span)):
        return {name: box for name, box in FRONT_PROBES.items() if name != "address_line2"}
    return FRONT_PROBES


def _read_as_text(span: Span) -> bool:
    """Whether a detected line's reading is text at all. Blur can merge the Address label with the two characters
    of a wrapped address below it into one box, read as letters at a third (eyg号y: held-out hard seed 240019 of
    accuracy.py, sent as JPEG 92): such a line neither stands for the second line nor stays beside its probe."""
    return float(np.mean(span.probs)) >= PROBE_MIN_PROB


def _address_spans(spans: list[Span]) -> list[Span]:
    """Detected address lines, plus the second-line probe when nothing that reads as text was detected there."""
    detected = [s for s in spans if not s.line.probe]
    probes = [s for s in spans if s.line.probe and s.confidence >= PROBE_MIN_PROB]
    lowest = max((s.line.cy for s in detected if _read_as_text(s)), default=-np.inf)
    taken = [p for p in probes if p.line.y0 > lowest]
    if not taken:
        return detected
    return [s for s in detected if _read_as_text(s) or s.line.cy < taken[0].line.y0] + taken


# Nearly every holder is a citizen: a nationality with one of 中国's two characters lost is read as 中国, never
# surely (a foreigner's 韩国 that lost its first character reads 国 too).
CITIZEN = "中国"
MENDED_NATIONALITY_CONFIDENCE = 0.5


def read_nationality(spans: list[Span]) -> FieldReading | None:
    reading = read_first_chinese(spans)
    if reading is None or reading.value not in CITIZEN or len(reading.value) != 1:
        return reading
    return FieldReading(CITIZEN, min(reading.confidence, MENDED_NATIONALITY_CONFIDENCE), reading.spans)


def read_single_date(spans: list[Span]) -> FieldReading | None:
    dates = read_dates(spans)
    if not dates:
        return None
    value, confidence, span = max(dates, key=lambda d: d[1])
    return FieldReading(value, confidence, (span,))


def read_class(spans: list[Span]) -> FieldReading | None:
    for span in spans:
        text, probs = span.constrained(lambda ch: ch in CLASS_CHARS)
        if text and class_is_valid(text):
            return FieldReading(text, min(probs), (span,))
    return None


# The old format's 有效期限 is 6年 or 10年: a digit read just before it is the tail of a misread date beside it
# (2009-10-145 6年 is 6 years, not 56).
_DURATION = re.compile("(" + "|".join(str(years) for years in sorted(VALIDITY_YEARS, reverse=True)) + r")\s*年")


def read_validity(region: dict[str, list[Span]]) -> dict[str, FieldReading | None]:
    """Both formats: 'A 至 B' / 'A 至 长期', or the old 有效起始日期 A + 有效期限 N年|长期."""
    spans = sorted(region["valid"], key=lambda span: span.line.x0)  # one row: the start date is the left one
    text = "".join(s.text for s in spans)
    dates = read_dates(spans)
    duration = _DURATION.search("".join(s.text for s in region["valid_for_old"]))
    if dates and (duration or (LONG_TERM in text and "至" not in text)) and len(dates) == 1:
        value, confidence, span = dates[0]
        start = FieldReading(value, confidence, (span,))
        if duration:
            end_date = add_years(parse_date(value), int(duration.group(1)))
            return {"valid_from": start, "valid_to": FieldReading(end_date.isoformat(), confidence, (span,))}
        return {"valid_from": start, "valid_to": FieldReading(LONG_TERM, confidence, (span,))}
    if len(dates) == 1 and _stands_right(dates[0][2], region["valid_for_old"]):
        before, read, _ = text.partition(dates[0][2].text)
        return _validity_ending(dates[0], before if read else "")
    return validity_of(dates, text)


def _stands_right(date: Span, right: list[Span]) -> bool:
    """Whether a date stands in the validity row's right part (valid_for_old), where the new format prints the end
    date. Read alone with no 至 before it (blur took the start date and 至 both), it is the end date: held-out hard
    front 160024 returned its valid_to as its valid_from, at 1.00."""
    return any(span.line is date.line and date.start_frame >= span.start_frame for span in right)


def validity_of(dates: list[tuple[str, float, Span]], text: str) -> dict[str, FieldReading | None]:
    """'A 至 B' or 'A 至 长期': the first date starts the validity, the second date or 长期 in `text` ends it."""
    if not dates:
        return {}
    if len(dates) == 1 and _after_until(dates[0][2].text, text):
        return _validity_ending(dates[0], text.partition(UNTIL)[0])
    start = FieldReading(dates[0][0], dates[0][1], (dates[0][2],))
    if len(dates) >= 2:
        end = FieldReading(dates[1][0], dates[1][1], (dates[1][2],))
    elif LONG_TERM in text:
        end = FieldReading(LONG_TERM, dates[0][1], (dates[0][2],))
    else:
        end = None
    return {"valid_from": start, "valid_to": end}


UNTIL = "至"


def _after_until(date_text: str, text: str) -> bool:
    """Whether the date was read after 至 and not before it: the start date was lost (blur fades the row's left end)."""
    before, until, after = text.partition(UNTIL)
    return bool(until) and date_text in after and date_text not in before


# What is left of a start date blur faded from the left: at least a year's last digit and the month and day.
_START_TAIL = re.compile(r"\d-\d{2}-\d{2}$")


def _validity_ending(end: tuple[str, float, Span], before: str) -> dict[str, FieldReading | None]:
    """The validity's end date alone was read, `before` it what is left of the row. The start is valid_to less 6 or
    10 years when exactly one of the two ends with what is left of the start date (8-11-04 before 至 2024-11-04:
    2018-11-04, not 2014-11-04)."""
    value, confidence, span = end
    ending = FieldReading(value, confidence, (span,))
    tail = _START_TAIL.search(before.replace(" ", ""))
    end_day = parse_date(value)
    if tail is None or end_day is None:
        return {"valid_from": None, "valid_to": ending}
    starts = [day for years in VALIDITY_YEARS if (day := add_years(end_day, -years).isoformat()).endswith(tail.group())]
    start = FieldReading(starts[0], confidence * 0.5, (span,)) if len(starts) == 1 else None
    return {"valid_from": start, "valid_to": ending}


# Most licences are issued where the holder lives. A seal too garbled to snap to any authority on its own is
# taken for the address's local one when it is this near to it: about half its characters read right. A seal that
# snaps, but misread, is taken for the local one when that is at most one edit further than the authority it snapped
# to (南省三映市… snaps to 海南省三亚市 at 2 edits; the address's 河南省三门峡市 is 3 away). A seal read exactly
# is kept, wherever the address is.
LOCAL_AUTHORITY_RATIO = 0.5
LOCAL_AUTHORITY_SLACK = 1
# A seal read only in part (a line or two lost to blur: 省郴州交支队) is far from any authority in edits, yet what
# was read stands, in order, in the local one: it is taken for that one when this share of it does, three at least.
LOCAL_AUTHORITY_IN_ORDER = 2 / 3
MIN_IN_ORDER = 3


def _read_in_part(raw: str, authority: str) -> bool:
    in_order = common_subsequence(raw, authority)
    return in_order >= MIN_IN_ORDER and in_order >= LOCAL_AUTHORITY_IN_ORDER * len(raw)


def read_authority(spans: list[Span], address: FieldReading | None = None) -> FieldReading | None:
    """The seal's three lines joined (they break mid-word), then snapped to a real 公安局 name when close, or to the
    address's local one when nearly as close."""
    chars = [ch for span in spans for ch in span.text if is_cjk(ch)]
    if not chars:
        return None
    raw = "".join(chars)
    confidence = min(p for span in spans for p in span.probs)
    match = closest_authority(raw)
    if match is not None and match[1] == 0:
        return FieldReading(match[0], confidence, tuple(spans))
    local = local_authority(address.value) if address is not None else None
    if local is not None and (match is None or local != match[0]):
        allowed = match[1] + LOCAL_AUTHORITY_SLACK if match is not None else int(LOCAL_AUTHORITY_RATIO * len(local))
        if edit_distance(raw, local, allowed) <= allowed or (match is None and _read_in_part(raw, local)):
            return FieldReading(local, confidence * 0.5, tuple(spans))
    if match is not None:
        return FieldReading(match[0], confidence * 0.8, tuple(spans))
    return FieldReading(raw, confidence * 0.5, tuple(spans))
