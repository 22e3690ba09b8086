"""Random but internally consistent licence holders: ID number, dates, class, authority."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from pipelines.gazetteer import PROVINCES, City, Province, issuing_authorities
from pipelines.validate import add_years, id_check_char
from synthetic import wordlists

FORMATS: tuple[str, ...] = ("new", "old")
LONG_TERM = "长期"

# Cards switched from "有效起始日期 + N年" to "A 至 B" with the 2013 rules.
_CARD_YEARS = {"new": (date(2013, 1, 1), date(2025, 12, 31)), "old": (date(2004, 1, 1), date(2012, 12, 31))}
_EARLIEST_FIRST_ISSUE = date(1986, 1, 1)

# (class, weight): C1 dominates; the combined codes are what a card prints after 增驾.
_CLASSES: tuple[tuple[str, float], ...] = (
    ("C1", 55),
    ("C2", 12),
    ("B2", 6),
    ("A2", 3),
    ("A1", 2.5),
    ("B1", 1.5),
    ("C1E", 4),
    ("C1D", 2),
    ("B2E", 1),
    ("A2D", 0.5),
    ("A1A2", 1),
    ("A2E", 0.5),
    ("A3", 0.5),
    ("C3", 1),
    ("C4", 0.5),
    ("D", 1),
    ("E", 2),
    ("F", 0.5),
    ("C2E", 0.5),
    ("B1E", 0.3),
    ("A1E", 0.2),
)

# The three validity stages: the first card (6 years), a renewal (10 years), then 长期.
# Each entry: (weight, years of validity or None for 长期, possible years since first issue).
_STAGES: tuple[tuple[float, int | None, tuple[int, ...]], ...] = (
    (0.45, 6, (0,)),
    (0.40, 10, (6, 12)),
    (0.15, None, (16, 22, 26)),
)

# District part of the region code: 02-05 urban districts, 2x counties, 8x county-level cities.
_DISTRICT_SUFFIXES: tuple[str, ...] = ("02", "03", "04", "05", "11", "21", "22", "23", "24", "25", "26", "81", "82")


@dataclass(frozen=True)
class LicenceData:
    """One holder's licence, front and back. Dates are real dates; truth() formats them."""

    fmt: str
    number: str
    name: str
    sex: str
    nationality: str
    address: str
    birth: date
    issue_date: date
    licence_class: str
    valid_from: date
    valid_years: int | None  # None: 长期
    issuing_authority: str
    file_number: str
    record: str

    @property
    def valid_to(self) -> date | None:
        return None if self.valid_years is None else add_years(self.valid_from, self.valid_years)

    @property
    def valid_to_text(self) -> str:
        valid_to = self.valid_to
        return LONG_TERM if valid_to is None else valid_to.isoformat()

    @property
    def valid_for_text(self) -> str:
        """What an old-format card prints under 有效期限."""
        return LONG_TERM if self.valid_years is None else f"{self.valid_years}年"

    def truth(self, page: str) -> dict[str, str]:
        """The Huawei-style fields printed on `page` ("front" or "back")."""
        if page == "front":
            return {
                "number": self.number,
                "name": self.name,
                "sex": self.sex,
                "nationality": self.nationality,
                "address": self.address,
                "birth": self.birth.isoformat(),
                "issue_date": self.issue_date.isoformat(),
                "class": self.licence_class,
                "valid_from": self.valid_from.isoformat(),
                "valid_to": self.valid_to_text,
                "issuing_authority": self.issuing_authority,
            }
        if page == "back":
            return {"number": self.number, "name": self.name, "file_number": self.file_number, "record": self.record}
        raise ValueError(f"unknown page {page!r}")


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"


def random_licence(rng: np.random.Generator, fmt: str = "new") -> LicenceData:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    province, city = _random_place(rng)
    valid_years, years_since_first, valid_from, issue_date = _random_validity(rng, fmt)
    birth = _random_birth(rng, issue_date)
    sex = "男" if rng.random() < 0.55 else "女"
    # Most people hold a licence where they were born; migrants keep their birthplace code.
    id_place = (province, city) if rng.random() < 0.7 else _random_place(rng)
    number = _random_id_number(rng, id_place, birth, sex)
    return LicenceData(
        fmt=fmt,
        number=number,
        name=_random_name(rng),
        sex=sex,
        nationality="中国",
        address=_random_address(rng, province, city),
        birth=birth,
        issue_date=issue_date,
        licence_class=_weighted_choice(rng, _CLASSES),
        valid_from=valid_from,
        valid_years=valid_years,
        issuing_authority=_authority_for(rng, province, city),
        file_number=_random_file_number(rng, number),
        record=_random_record(rng, years_since_first, issue_date, valid_from),
    )


def _weighted_choice(rng: np.random.Generator, items: tuple[tuple[str, float], ...]) -> str:
    weights = np.array([w for _, w in items], dtype=float)
    return items[int(rng.choice(len(items), p=weights / weights.sum()))][0]


def _random_date(rng: np.random.Generator, first: date, last: date) -> date:
    return first + timedelta(days=int(rng.integers(0, (last - first).days + 1)))


def _random_place(rng: np.random.Generator) -> tuple[Province, City | None]:
    """A province and one of its cities; municipalities (no cities) give None."""
    municipalities = [p for p in PROVINCES if not p.cities]
    if municipalities and rng.random() < 0.1:
        return municipalities[int(rng.integers(len(municipalities)))], None
    cities = [(p, c) for p in PROVINCES for c in p.cities]
    return cities[int(rng.integers(len(cities)))]


def _random_validity(rng: np.random.Generator, fmt: str) -> tuple[int | None, int, date, date]:
    """(valid years or None, years since first issue, valid_from, issue_date)."""
    weights = np.array([stage[0] for stage in _STAGES])
    while True:
        _, valid_years, offsets = _STAGES[int(rng.choice(len(_STAGES), p=weights / weights.sum()))]
        valid_from = _random_date(rng, *_CARD_YEARS[fmt])
        years_since_first = int(rng.choice(offsets))
        issue_date = add_years(valid_from, -years_since_first)
        # A renewal after a lost card or a class change starts on a day of its own.
        if years_since_first and rng.random() < 0.2:
            issue_date -= timedelta(days=int(rng.integers(1, 300)))
        if issue_date >= _EARLIEST_FIRST_ISSUE:
            return valid_years, years_since_first, valid_from, issue_date


def _random_birth(rng: np.random.Generator, issue_date: date) -> date:
    """A birthday at least 18 years before the first issue; most people learn young."""
    age = 18 + min(int(rng.exponential(9.0)), 50)
    birth = add_years(issue_date, -age) - timedelta(days=int(rng.integers(0, 365)))
    return max(birth, date(1935, 1, 1))


def _random_id_number(rng: np.random.Generator, place: tuple[Province, City | None], birth: date, sex: str) -> str:
    province, city = place
    prefix = city.code if city is not None else province.code + "01"
    suffix = f"{int(rng.integers(1, 19)):02d}" if city is None else str(rng.choice(_DISTRICT_SUFFIXES))
    parity = int(rng.choice([1, 3, 5, 7, 9] if sex == "男" else [0, 2, 4, 6, 8]))
    first17 = f"{prefix}{suffix}{birth:%Y%m%d}{int(rng.integers(0, 100)):02d}{parity}"
    return first17 + id_check_char(first17)


def _random_name(rng: np.random.Generator) -> str:
    surname = _weighted_choice(rng, wordlists.SURNAMES)
    given_len = 1 if len(surname) == 2 and rng.random() < 0.6 else int(rng.choice([1, 2], p=[0.3, 0.7]))
    chars = [
        str(rng.choice(list(wordlists.GIVEN_RARE if rng.random() < 0.12 else wordlists.GIVEN_COMMON)))
        for _ in range(given_len)
    ]
    return surname + "".join(chars)


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def _random_address(rng: np.random.Generator, province: Province, city: City | None) -> str:
    if city is None:
        head = province.name + _pick(rng, wordlists.MUNICIPAL_DISTRICTS.get(province.name, wordlists.DISTRICTS))
    else:
        head = province.name + city.name + _pick(rng, wordlists.DISTRICTS)
    for _ in range(8):
        address = head + (_urban_tail(rng) if rng.random() < 0.6 else _rural_tail(rng))
        if len(address) <= 30:
            return address
    return address[:30]


def _urban_tail(rng: np.random.Generator) -> str:
    tail = f"{_pick(rng, wordlists.ROADS)}{int(rng.integers(1, 400))}号"
    roll = rng.random()
    if roll < 0.35:
        building, unit, floor, door = rng.integers(1, 30), rng.integers(1, 6), rng.integers(1, 33), rng.integers(1, 5)
        tail += f"{building}栋{unit}单元{floor}{door:02d}室"
    elif roll < 0.55:
        tail += f"{_pick(rng, wordlists.COMPOUNDS)}{int(rng.integers(1, 20))}号楼{int(rng.integers(101, 2405))}"
    elif roll < 0.65:
        tail += f"附{int(rng.integers(1, 9))}号"
    return tail


def _rural_tail(rng: np.random.Generator) -> str:
    tail = _pick(rng, wordlists.TOWNS) + _pick(rng, wordlists.VILLAGES)
    if rng.random() < 0.5:
        tail += f"{int(rng.integers(1, 12))}组"
    return tail + f"{int(rng.integers(1, 200))}号"


def _authority_for(rng: np.random.Generator, province: Province, city: City | None) -> str:
    """Usually the authority of the holder's city; sometimes a licence from elsewhere."""
    authorities = issuing_authorities()
    local_prefix = province.name + (city.name if city is not None else "")
    local = [a for a in authorities if a.startswith(local_prefix)]
    if local and rng.random() < 0.85:
        return local[0]
    return authorities[int(rng.integers(len(authorities)))]


def _random_file_number(rng: np.random.Generator, number: str) -> str:
    """12 digits; many offices start with their region code, others are plain serials."""
    head = number[:4] if rng.random() < 0.5 else f"{int(rng.integers(0, 10_000)):04d}"
    return head + "".join(str(d) for d in rng.integers(0, 10, size=8))


def _random_record(rng: np.random.Generator, years_since_first: int, issue_date: date, valid_from: date) -> str:
    if years_since_first == 0 and rng.random() < 0.6:
        return f"实习期至{chinese_date(add_years(issue_date, 1))}。"
    if years_since_first and rng.random() < 0.25:
        extended_from = valid_from - timedelta(days=int(rng.integers(10, 90)))
        return f"自{chinese_date(extended_from)}至有效起始日期有效。"
    return ""
