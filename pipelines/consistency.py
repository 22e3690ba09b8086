"""A licence's own rules, used twice: first to choose among the recogniser's candidate readings, then to flag
what still breaks them.

The rules (GB 11643 for the number; the licence regulations for the dates):
- 证号 is an 18-character citizen ID whose MOD 11-2 check character holds;
- the birth date inside it equals `birth`, and its 17th digit is odd for 男 and even for 女 (so a birth or sex
  that could not be read is taken from a valid 证号);
- `issue_date` falls on or after the 18th birthday (16th for a class of only light motorcycles and wheeled machinery);
- `valid_from` is not before `issue_date`, and `valid_to` is `valid_from` plus 6 or 10 years, or 长期;
- no one is born, and no licence issued or made valid, after the day it is read;
- on a double_side photo, both pages carry the same 证号 and name.

And the forms single values take, which catch a line that lost or gained characters while every character it kept
read clearly (a glare patch, a box cut short, a neighbour's words swept in):
- a name has 2 to 4 characters, or is a transliterated name joined by a middle dot (·);
- a nationality, a country's short name, has two characters or more (中国, 美国, 哈萨克斯坦);
- an address starts with a province-level division and one of its prefectures or of the units it administers
  directly, or with a municipality, or Hong Kong, Macao or Taiwan (`gazetteer.address_heads`: it is the household
  register's address, and a head read a character or two off has been spelt right already);
- every date in the record is a real date written in full, YYYY年MM月DD日, and its only other digits are a vehicle
  class's (增驾B2);
- a file number (档案编号) has all its 12 digits;
- an issuing authority is one of the real ones (`gazetteer.issuing_authorities`): a seal too garbled to match one
  is returned as read, but doubtful.

A name whose first character is in no list of surnames is unusual rather than doubtful: rare surnames exist. So is
a nationality other than 中国: foreigners hold few licences, and a glared line's 风镇五 was read there at 0.99. And
an address that ends in a digit: a household register's address ends in the unit of its last number (号, 室, 组),
which a wrapped address may leave alone on the line below, too short for the detector.

And a name or an address whose line probably skipped a character is doubtful whatever it reads: where, at a frame
the recogniser left blank, characters it never read hold much of the frame (`Span.unread_mass`), a blurred
character was there whose readings split among several shapes (赵丹 read for 赵丹瑄, every character at 1.00); and
an address whose row has a gap between two characters read, where characters were lost that no frame holds.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .extract.back import CLASS_CODE, FILE_NUMBER_LENGTH
from .extract.fields import DATE_CHARS, MIN_CANDIDATE_RATIO, FieldReading, date_readings
from .extract.lines import Span, is_cjk, printed_rows
from .extract.front import CITIZEN
from .gazetteer import address_heads, issuing_authorities
from .names import starts_with_surname
from .validate import VALIDITY_YEARS, add_years, id_birth, id_is_valid, id_sex, parse_date

LONG_TERM = "长期"
ADULT_AGE = 18
# Classes open at 16 under the licence regulations: light motorcycles (F) and wheeled machinery (M).
YOUTH_CLASSES = frozenset("FM")
YOUTH_AGE = 16

# Warning codes for broken rules; docs/api.md lists them with the image-quality ones.
NUMBER_INVALID = "number_check_failed"
BIRTH_MISMATCH = "birth_mismatch"
SEX_MISMATCH = "sex_mismatch"
ISSUED_UNDER_AGE = "issued_under_age"
VALID_FROM_BEFORE_ISSUE = "valid_from_before_issue"
VALIDITY_PERIOD = "validity_period_mismatch"
DATE_IN_FUTURE = "date_in_future"
PAGES_DISAGREE = "pages_disagree"


@dataclass(frozen=True)
class Checked:
    """Fields after the rules chose among candidates, the rules that still fail, and the fields those rules involve;
    and the fields whose value the rules allow but few licences print (`unusual`)."""

    fields: dict[str, FieldReading]
    warnings: tuple[str, ...]
    doubtful: frozenset[str]
    unusual: frozenset[str]


def check_front(fields: dict[str, FieldReading], today: dt.date | None = None) -> Checked:
    """`today` is the day of reading (the local date when not given)."""
    fields = dict(fields)
    warnings: list[str] = []
    doubtful: set[str] = set()
    number = fields.get("number")
    valid_number = number is not None and id_is_valid(number.value)
    if number is not None and not valid_number:
        number = _number_from_birth(number, fields.get("birth"))
        valid_number = id_is_valid(number.value)
        if valid_number:
            fields["number"] = number
        else:
            warnings.append(NUMBER_INVALID)
            doubtful.add("number")
    if valid_number:
        assert number is not None
        for name, expected, code in (
            ("birth", id_birth(number.value), BIRTH_MISMATCH),
            ("sex", id_sex(number.value), SEX_MISMATCH),
        ):
            reading = fields.get(name)
            if reading is None and expected is not None:
                # Not read (blur, glare) but printed in the number too: taken from there, with no place on the card.
                fields[name] = FieldReading(expected, number.confidence)
                continue
            if reading is None or reading.value == expected:
                continue
            chosen = _candidate(reading, expected)
            if chosen is None:
                warnings.append(code)
                doubtful.update(("number", name))
            else:
                fields[name] = chosen
    broken = _fix_dates(fields, today or dt.date.today())
    warnings.extend(broken)
    doubtful.update(field for involved in broken.values() for field in involved)
    suspect = frozenset(doubtful) | malformed(fields) | skipped_character(fields)
    return Checked(fields, tuple(warnings), suspect, unusual_values(fields))


def check_back(fields: dict[str, FieldReading]) -> Checked:
    number = fields.get("number")
    suspect = malformed(fields) | skipped_character(fields)
    unusual = unusual_values(fields)
    if number is not None and not id_is_valid(number.value):
        return Checked(fields, (NUMBER_INVALID,), frozenset({"number"}) | suspect, unusual)
    return Checked(fields, (), suspect, unusual)


NAME_LENGTHS = range(2, 5)
_FULL_DATES = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")


def _record_is_well_formed(record: str) -> bool:
    dates = _FULL_DATES.findall(record)
    rest = CLASS_CODE.sub("", _FULL_DATES.sub("", record))
    real = all(parse_date(date) is not None for date in dates)
    return record.count("年") == len(dates) and real and not any(ch.isdigit() for ch in rest)


_FORMS: dict[str, Callable[[str], bool]] = {
    "name": lambda v: "·" in v or len(v) in NAME_LENGTHS,
    "nationality": lambda v: len(v) >= 2,  # every country's short name has two characters or more
    "address": lambda v: v.startswith(address_heads()),
    "record": _record_is_well_formed,
    "file_number": lambda v: len(v) == FILE_NUMBER_LENGTH,  # extract.back.read_digits keeps digits alone
    "issuing_authority": lambda v: v in issuing_authorities(),
}


def well_formed(name: str, value: str) -> bool:
    """Whether a field's value has a form the licence prints; a field with no rule of form always has."""
    check = _FORMS.get(name)
    return check is None or check(value)


def malformed(fields: dict[str, FieldReading]) -> frozenset[str]:
    """The fields whose value has a form the licence never prints (module docstring)."""
    return frozenset(name for name, reading in fields.items() if not well_formed(name, reading.value))


def unusual_values(fields: dict[str, FieldReading]) -> frozenset[str]:
    """The fields whose value the rules allow but few licences print (module docstring)."""
    nationality = fields.get("nationality")
    foreign = nationality is not None and nationality.value != CITIZEN
    address = fields.get("address")
    # A lone 号 left below by the detector, whose probe cut the top off (held-out seed 290020 of accuracy.py: 146 at
    # 0.96 on its hard card); 室 lost to blur after a room number (hard seeds 130012 at 0.96, 95031 at 0.96).
    unfinished = address is not None and address.value[-1:].isdigit()
    return (
        unlisted_surname(fields)
        | (frozenset({"nationality"}) if foreign else frozenset())
        | (frozenset({"address"}) if unfinished else frozenset())
    )


def unlisted_surname(fields: dict[str, FieldReading]) -> frozenset[str]:
    """The name, if its first character is in no list of surnames (pipelines.names): a rare surname, a name that has
    none (扎西顿珠), or a misread that a list-free reader returns sure of itself (钱婉芳 read 线婉芳 at 0.94 in a
    blurred Kai face). A transliterated name (买买提·艾力) has no surname to look for."""
    name = fields.get("name")
    if name is None or not name.value or "·" in name.value or starts_with_surname(name.value):
        return frozenset()
    return frozenset({"name"})


# Free text, which no rule of form can catch a character short. Fixed forms (dates, numbers, classes, authorities)
# show a lost character by their form.
FREE_TEXT = ("name", "address")
# Measured on the development seeds (100 hard cards, 120 flat and photo): every name or address whose line left this
# much of a frame unread was wrong (12 of 12, 3 of them at >= 0.95), and no flat or photo field came near it.
SKIPPED_CHARACTER = 0.4


def skipped_character(fields: dict[str, FieldReading]) -> frozenset[str]:
    skipped = frozenset(
        name
        for name in FREE_TEXT
        if name in fields and any(span.unread_mass() >= SKIPPED_CHARACTER for span in fields[name].spans)
    )
    address = fields.get("address")
    return skipped | ({"address"} if address is not None and _gap_in_address(address.spans) else set())


# An address is printed as running text, however widely a name is spaced: on one row, two characters read this many
# pitches apart (a pitch measured between Chinese characters: digits are half as wide) lost at least one between them
# to glare or blur (hard seed 80049: 开发 and 京东路 2.9 pitches apart, their 区南 gone, read whole at 0.96). A digit
# lost among digits moves its neighbours less than that, and goes unseen.
ADDRESS_GAP = 1.5


def _gap_in_address(spans: tuple[Span, ...]) -> bool:
    pieces = []  # each span's centre height, height, and its characters' (card x, character)
    for span in spans:
        quad = span.quad()
        pieces.append((float(quad[:, 1].mean()), float(quad[3, 1] - quad[0, 1]), list(zip(span.char_xs(), span.text))))
    steps = []
    for row in printed_rows(pieces):
        chars = sorted(char for piece in row for char in piece)
        steps += [(b[0] - a[0], is_cjk(a[1]) and is_cjk(b[1])) for a, b in zip(chars, chars[1:])]
    pitches = [step for step, both_cjk in steps if both_cjk]
    if len(pitches) < 3:
        return False
    pitch = float(np.median(pitches))
    return any(step > ADDRESS_GAP * pitch for step, _ in steps)


def check_pages(front: Checked, back: Checked) -> tuple[Checked, Checked]:
    """Both pages of one licence. A 证号 or name read a character or two differently is a misread, settled by the
    check character, then by confidence; values further apart are what the pages print, so both are kept and
    flagged."""
    front_fields, back_fields = dict(front.fields), dict(back.fields)
    disagreeing: set[str] = set()
    for name in ("number", "name"):
        a, b = front_fields.get(name), back_fields.get(name)
        if a is None or b is None or a.value == b.value:
            continue
        if not _misread(a.value, b.value):
            disagreeing.add(name)
            continue
        if name == "number" and id_is_valid(a.value) != id_is_valid(b.value):
            best = a if id_is_valid(a.value) else b
        else:
            best = max(a, b, key=lambda r: r.confidence)
        front_fields[name] = replace(best, spans=a.spans)
        back_fields[name] = replace(best, spans=b.spans)

    def settled(checked: Checked, fields: dict[str, FieldReading]) -> Checked:
        number = fields.get("number")
        repaired = number is not None and id_is_valid(number.value) and NUMBER_INVALID in checked.warnings
        warnings = [w for w in checked.warnings if not (repaired and w == NUMBER_INVALID)]
        if disagreeing:
            warnings.append(PAGES_DISAGREE)
        doubtful = checked.doubtful - {"number"} if repaired else checked.doubtful
        return Checked(fields, tuple(warnings), doubtful | disagreeing, unusual_values(fields))

    return settled(front, front_fields), settled(back, back_fields)


# Readings of one printed value differ in at most this many characters; more is a different value.
_MAX_MISREAD = 2


def _misread(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b)) <= _MAX_MISREAD


def _number_from_birth(number: FieldReading, birth: FieldReading | None) -> FieldReading:
    """A 证号 failing its check whose birth digits differ from the printed birth: the printed one may repair it."""
    if birth is None or len(number.value) != 18:
        return number
    digits = birth.value.replace("-", "")
    fixed = number.value[:6] + digits + number.value[14:]
    changed = sum(a != b for a, b in zip(number.value[6:14], digits))
    if 0 < changed <= 2 and id_is_valid(fixed):
        return replace(number, value=fixed, confidence=min(number.confidence, birth.confidence))
    return number


def _candidate(reading: FieldReading, wanted: str) -> FieldReading | None:
    """`reading` turned into `wanted` if the recogniser saw `wanted` there too."""
    for ratio, value in _candidates(reading):
        if value == wanted:
            return replace(reading, value=value, confidence=reading.confidence * min(1.0, ratio))
    return None


def _candidates(reading: FieldReading) -> list[tuple[float, str]]:
    """The field's readings the recogniser also saw, best first, with their weight relative to the first choice.
    Dates and the sex are re-read from their spans; anything else, or a value not read from its span as such
    (a valid_to computed from 有效期限 6年), has only itself."""
    if not reading.spans:
        return [(1.0, reading.value)]
    span = reading.spans[-1]
    if reading.value in ("男", "女"):
        alternatives = span.alternatives(lambda ch: ch in "男女")
        if len(alternatives) != 1:
            return [(1.0, reading.value)]
        top = alternatives[0].get(reading.value, 0.0) or 1.0
        return sorted(((p / top, ch) for ch, p in alternatives[0].items()), reverse=True)
    text, _ = span.constrained(lambda ch: ch in DATE_CHARS)
    found = date_readings(text, span.alternatives(lambda ch: ch in DATE_CHARS))
    if reading.value not in found:
        return [(1.0, reading.value)]
    # Weights relative to the value chosen so far, which may itself be a runner-up that mended the reading.
    chosen = found[reading.value]
    return sorted(((ratio / chosen, value) for value, ratio in found.items()), reverse=True)


# The front page's dates, which the licence's rules tie together.
FRONT_DATES = ("birth", "issue_date", "valid_from", "valid_to")


def _fix_dates(fields: dict[str, FieldReading], today: dt.date) -> dict[str, tuple[str, ...]]:
    """Choose the likeliest combination of date candidates that breaks no rule; failing that, keep the readings
    and return the rules they break, each with the fields it involves. Birth is already settled by the 证号 when
    that is valid, so it stays."""
    present = [name for name in FRONT_DATES if name in fields]
    readings = {name: fields[name] for name in present}
    minimum_age = _minimum_age(fields.get("class"))
    if not _broken({n: r.value for n, r in readings.items()}, minimum_age, today):
        return {}
    number = fields.get("number")
    settled = {"birth"} if number is not None and id_is_valid(number.value) else set()
    options = [[(1.0, readings[name].value)] if name in settled else _candidates(readings[name]) for name in present]
    best: tuple[float, tuple[str, ...]] | None = None
    for combo in itertools.product(*options):
        ratio = 1.0
        for r, _ in combo:
            ratio *= r
        values = tuple(v for _, v in combo)
        if ratio >= MIN_CANDIDATE_RATIO and (best is None or ratio > best[0]):
            if not _broken(dict(zip(present, values)), minimum_age, today):
                best = (ratio, values)
    if best is None:
        return _broken({n: r.value for n, r in readings.items()}, minimum_age, today)
    for name, value in zip(present, best[1]):
        if value != readings[name].value:
            fields[name] = replace(readings[name], value=value)
    return {}


def _minimum_age(licence_class: FieldReading | None) -> int:
    if licence_class is not None and licence_class.value and set(licence_class.value) <= YOUTH_CLASSES:
        return YOUTH_AGE
    return ADULT_AGE


def _broken(values: dict[str, str], minimum_age: int, today: dt.date) -> dict[str, tuple[str, ...]]:
    dates = {name: parse_date(value) for name, value in values.items() if value != LONG_TERM}
    birth, issued, start = dates.get("birth"), dates.get("issue_date"), dates.get("valid_from")
    broken: dict[str, tuple[str, ...]] = {}
    if birth and issued and issued < add_years(birth, minimum_age):
        broken[ISSUED_UNDER_AGE] = ("birth", "issue_date")
    if issued and start and start < issued:
        broken[VALID_FROM_BEFORE_ISSUE] = ("issue_date", "valid_from")
    if start and "valid_to" in values and not _period_ok(start, values["valid_to"]):
        broken[VALIDITY_PERIOD] = ("valid_from", "valid_to")
    future = tuple(name for name in ("birth", "issue_date", "valid_from") if (day := dates.get(name)) and day > today)
    if future:
        broken[DATE_IN_FUTURE] = future
    return broken


def _period_ok(start: dt.date, valid_to: str) -> bool:
    if valid_to == LONG_TERM:
        return True
    end = parse_date(valid_to)
    return end is not None and any(end == add_years(start, years) for years in VALIDITY_YEARS)
