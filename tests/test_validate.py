from __future__ import annotations

import datetime as dt

import pytest

from pipelines.validate import (
    add_years,
    class_is_valid,
    id_birth,
    id_check_char,
    id_is_valid,
    id_sex,
    parse_date,
)


@pytest.mark.parametrize("number", ["150402199902223122", "384932195509141247", "11010519491231002X"])
def test_valid_ids(number: str):
    assert id_is_valid(number)


@pytest.mark.parametrize(
    "number",
    ["384932197906144287", "150402199902223121", "15040219990222312", "150402199913223122", "1504021999022231X2"],
)
def test_invalid_ids(number: str):
    assert not id_is_valid(number)


def test_id_parts():
    assert id_check_char("11010519491231002") == "X"
    assert id_birth("150402199902223122") == "1999-02-22"
    assert id_sex("150402199902223122") == "女"
    assert id_sex("110105199001011015") == "男"  # the 17th digit is odd


def test_dates():
    assert parse_date("2015-06-18") == dt.date(2015, 6, 18)
    assert parse_date("2015-6-8") == dt.date(2015, 6, 8)
    assert parse_date("20150618") == dt.date(2015, 6, 18)
    assert parse_date("2015-02-30") is None
    assert parse_date("1800-01-01") is None


def test_add_years_handles_leap_day():
    assert add_years(dt.date(2012, 2, 29), 6) == dt.date(2018, 2, 28)
    assert add_years(dt.date(2014, 11, 5), 10) == dt.date(2024, 11, 5)


@pytest.mark.parametrize("text", ["C1", "C1E", "A2D", "B2E", "A1A2", "D", "C6", "M"])
def test_class_codes(text: str):
    assert class_is_valid(text)


# FC1: a stray mark before C1; codes come once each, in the order of the code table.
@pytest.mark.parametrize("text", ["", "Cl", "C7", "A4", "G", "C1X", "1C", "FC1", "C1C1", "EC1", "DA2"])
def test_not_class_codes(text: str):
    assert not class_is_valid(text)
