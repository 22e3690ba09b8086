"""The synthetic licence generator: deterministic, self-consistent, and geometrically sound."""

from __future__ import annotations

import json
import re
from datetime import date

import cv2
import numpy as np
import pytest

from pipelines.gazetteer import PROVINCES, issuing_authorities
from synthetic import FACE_SETS, TIERS, make_double_sample, make_sample, random_licence, render_card
from synthetic.__main__ import main as cli_main
from synthetic.fonts import SERIF_ITALIC, digits_like, face_set
from pipelines.validate import add_years, id_check_char
from synthetic.identity import LONG_TERM
from synthetic.layout import CARD_H, CARD_W
from synthetic.render import seal_lines
from synthetic.text import Font, render

FRONT_FIELDS = {
    "number",
    "name",
    "sex",
    "nationality",
    "address",
    "birth",
    "issue_date",
    "class",
    "valid_from",
    "valid_to",
    "issuing_authority",
}
BACK_FIELDS = {"number", "name", "file_number", "record"}
REGION_PREFIXES = {c.code for p in PROVINCES for c in p.cities} | {p.code + "01" for p in PROVINCES if not p.cities}


@pytest.fixture(scope="module")
def licences() -> list:
    rng = np.random.default_rng(2024)
    return [random_licence(rng, fmt) for fmt in ("new", "old") for _ in range(400)]


def _iso(text: str) -> date:
    return date.fromisoformat(text)


def test_same_seed_gives_identical_sample() -> None:
    first, second = make_sample(11, "photo"), make_sample(11, "photo")
    assert np.array_equal(first.image, second.image)
    assert first.truth == second.truth
    assert np.array_equal(first.quad, second.quad)
    assert not np.array_equal(first.image, make_sample(12, "photo").image)


def test_id_number_is_valid_and_agrees_with_birth_and_sex(licences: list) -> None:
    for licence in licences:
        number = licence.number
        assert re.fullmatch(r"\d{17}[\dX]", number)
        assert id_check_char(number[:17]) == number[17]
        assert number[:4] in REGION_PREFIXES
        assert number[6:14] == licence.birth.strftime("%Y%m%d")
        assert licence.sex == ("男" if int(number[16]) % 2 else "女")
    assert any(licence.number.endswith("X") for licence in licences)


def test_dates_follow_the_licensing_rules(licences: list) -> None:
    for licence in licences:
        front = licence.truth("front")
        birth, issued, valid_from = _iso(front["birth"]), _iso(front["issue_date"]), _iso(front["valid_from"])
        assert issued >= add_years(birth, 18)
        assert valid_from >= issued
        if front["valid_to"] == LONG_TERM:
            assert licence.valid_years is None
        else:
            assert licence.valid_years in (6, 10)
            assert _iso(front["valid_to"]) == add_years(valid_from, licence.valid_years)
        if licence.fmt == "old":
            assert date(2004, 1, 1) <= valid_from <= date(2012, 12, 31)
            assert licence.valid_for_text in ("6年", "10年", LONG_TERM)
        else:
            assert valid_from >= date(2013, 1, 1)


def test_add_years_turns_29_february_into_28() -> None:
    assert add_years(date(2012, 2, 29), 6) == date(2018, 2, 28)
    assert add_years(date(2012, 2, 29), 4) == date(2016, 2, 29)


def test_other_fields_look_like_a_licence(licences: list) -> None:
    authorities = set(issuing_authorities())
    for licence in licences:
        front, back = licence.truth("front"), licence.truth("back")
        assert set(front) == FRONT_FIELDS and set(back) == BACK_FIELDS
        assert 2 <= len(front["name"]) <= 4 and front["name"] == back["name"]
        assert 8 <= len(front["address"]) <= 30
        assert front["issuing_authority"] in authorities
        assert front["nationality"] == "中国"
        assert re.fullmatch(r"\d{12}", back["file_number"])
        assert back["record"] == "" or re.fullmatch(
            r"(实习期至|自)\d{4}年\d\d月\d\d日(。|至有效起始日期有效。)", back["record"]
        )
        if back["record"].startswith("实习期至"):
            end = add_years(licence.issue_date, 1)
            assert back["record"] == f"实习期至{end.year}年{end.month:02d}月{end.day:02d}日。"
    assert len({licence.licence_class for licence in licences}) >= 8
    assert any(len(licence.address) > 20 for licence in licences)


def test_seal_lines_break_anywhere_but_keep_every_character() -> None:
    assert seal_lines("广东省深圳市公安局交通警察支队") == ["广东省深圳", "市公安局交", "通警察支队"]
    assert seal_lines("河北省秦皇岛市公安局交通警察支队") == ["河北省秦皇", "岛市公安局", "交通警察支队"]
    for authority in issuing_authorities():
        lines = seal_lines(authority)
        assert "".join(lines) == authority
        assert max(map(len, lines)) - min(map(len, lines)) <= 1


@pytest.mark.parametrize(("page", "fmt"), [("front", "new"), ("front", "old"), ("back", "new")])
def test_rendered_card_has_ink_inside_its_value_boxes(page: str, fmt: str) -> None:
    rng = np.random.default_rng(5)
    licence = random_licence(rng, fmt)
    card = render_card(licence, page, rng)
    assert card.image.shape == (CARD_H, CARD_W, 3) and card.image.dtype == np.uint8
    expected = FRONT_FIELDS if page == "front" else BACK_FIELDS - ({"record"} if not licence.record else set())
    assert expected <= set(card.boxes)
    grey = cv2.cvtColor(card.image, cv2.COLOR_BGR2GRAY)
    for field, (x0, y0, x1, y1) in card.boxes.items():
        assert 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1, field
        inside = grey[round(y0 * CARD_H) : round(y1 * CARD_H), round(x0 * CARD_W) : round(x1 * CARD_W)]
        assert inside.min() < 140, f"no ink in the {field} box"


@pytest.mark.parametrize("tier", list(TIERS))
def test_photos_have_the_tier_size_and_the_card_inside(tier: str) -> None:
    spec = TIERS[tier]
    for seed in range(4):
        sample = make_sample(seed, tier, ("front", "back")[seed % 2])
        height, width = sample.image.shape[:2]
        assert sample.image.dtype == np.uint8 and sample.image.shape[2] == 3
        assert spec.long_side[0] - 2 <= max(height, width) <= spec.long_side[1] + 2
        quad = sample.quad
        assert quad.shape == (4, 2) and quad.dtype == np.float32
        assert (quad[:, 0] >= 0).all() and (quad[:, 0] <= width).all()
        assert (quad[:, 1] >= 0).all() and (quad[:, 1] <= height).all()
        share = cv2.contourArea(quad) / (width * height)
        assert share <= spec.card_area[1] + 0.02
        if tier == "flat":
            assert share >= 0.8


def test_double_sample_holds_both_pages_apart() -> None:
    sample = make_double_sample(3, "photo")
    assert set(sample.truth) == {"front", "back"} == set(sample.quads)
    assert sample.truth["front"]["number"] == sample.truth["back"]["number"]
    overlap, _ = cv2.intersectConvexConvex(sample.quads["front"], sample.quads["back"])
    assert overlap < 1.0


def test_cli_writes_images_and_labels(tmp_path) -> None:
    cli_main(["--out", str(tmp_path), "--n", "2", "--tier", "flat", "--page", "mixed", "--ext", "jpg"])
    records = [json.loads(line) for line in (tmp_path / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["page"] for r in records] == ["front", "back"]
    for record in records:
        image = cv2.imread(str(tmp_path / record["file"]))
        assert image is not None and record["truth"]["number"]
        assert len(record["quad"]) == 4


def test_a_tier_can_ask_for_every_card_yellowed_with_age() -> None:
    from synthetic.background import card_background

    fresh, aged = (card_background("front", CARD_W, CARD_H, np.random.default_rng(5), aged_p) for aged_p in (0.0, 1.0))
    blue_to_red = [float(card[..., 0].mean() / card[..., 2].mean()) for card in (fresh, aged)]
    assert blue_to_red[1] < 0.95 * blue_to_red[0]
    assert TIERS["photo"].aged_p == 0.2  # the tiers keep drawing a fifth of their cards yellowed


def test_held_out_faces_share_no_chinese_or_digit_face_with_development() -> None:
    development, held_out = face_set("development"), face_set("held-out")
    for part in ("song", "title", "seal", "printer", "licence_class", "app"):
        ours = {face for face, _ in getattr(development, part)}
        assert ours.isdisjoint(face for face, _ in getattr(held_out, part)), part
    assert development.retyped_number != held_out.retyped_number


def test_held_out_faces_draw_the_same_licence_in_other_fonts() -> None:
    development, held_out = (make_sample(7450, "flat", "front", faces=faces) for faces in FACE_SETS)
    assert held_out.truth == development.truth
    assert not np.array_equal(held_out.image, development.image)


def test_a_retyped_number_fits_its_box_in_any_face() -> None:
    # The vendor demo's italic number, drawn in a wider face than Times at Times's size, ran off the card's edge.
    times = Font(SERIF_ITALIC, 72)
    for face_set_name in FACE_SETS:
        retyped = digits_like(face_set(face_set_name).retyped_number, times)
        assert abs(render("0123456789", retyped).width - render("0123456789", times).width) < 8
