"""What a licence's values can be: ID check characters, real dates, class codes, validity periods."""

from __future__ import annotations

import datetime as dt
import re

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"

CLASS_CHARS = "ABCDEFMNP123456"
# A licence with several classes prints each code once, in the order of the code table (A1A2, B2E, C1D): a stray
# mark read as F before C1 makes FC1, which no card prints.
_CLASS_RE = re.compile(r"(?=.)(?:A1)?(?:A2)?(?:A3)?(?:B1)?(?:B2)?(?:C1)?(?:C2)?(?:C3)?(?:C4)?(?:C5)?(?:C6)?D?E?F?M?N?P?")
# Year, month, day with up to two separators between them (-, ., /, 年 月, or a misread mark).
DATE_PATTERN = r"(\d{4})\D{0,2}(\d{1,2})\D{0,2}(\d{1,2})"
DATE_RE = re.compile(DATE_PATTERN)


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


def id_is_valid(number: str) -> bool:
    """GB 11643 (ISO 7064 MOD 11-2) check over a well-formed 18-character number with a real birth date."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    return id_check_char(number[:17]) == number[17] and parse_date(number[6:14]) is not None


def id_birth(number: str) -> str | None:
    date = parse_date(number[6:14]) if len(number) == 18 else None
    return date.isoformat() if date else None


def id_sex(number: str) -> str | None:
    return ("女", "男")[int(number[16]) % 2] if len(number) == 18 and number[16].isdigit() else None


def parse_date(text: str) -> dt.date | None:
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text) or DATE_RE.search(text)
    if not m:
        return None
    year, month, day = (int(g) for g in m.groups())
    if not 1900 <= year <= 2100:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def class_is_valid(text: str) -> bool:
    return bool(_CLASS_RE.fullmatch(text))


# A licence is valid for 6 years, then 10, then for good (长期).
VALIDITY_YEARS = (6, 10)


def add_years(start: dt.date, years: int) -> dt.date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February into a common year
        return start.replace(year=start.year + years, day=28)
