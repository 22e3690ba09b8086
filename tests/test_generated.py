"""End to end on generated licences (synthetic/): both pages, both formats, scans and phone photos.

Seeds 7000+ are this file's own; the benchmarks use other ranges.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

import pipelines
from pipelines import LicenceReader, ReadOptions
from pipelines.locate import locate_by_text
from pipelines.types import Image
from synthetic import make_double_sample, make_sample
from synthetic.photo import TIERS


def _jpeg(pixels, quality: int = 92) -> bytes:
    return cv2.imencode(".jpg", pixels, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def _read(reader: LicenceReader, pixels, page: str) -> dict[str, str]:
    return reader.read(_jpeg(pixels), ReadOptions(side=page, return_issuing_authority=page == "front")).fields


@pytest.mark.parametrize(
    ("seed", "page", "fmt"),
    [(7000, "front", "new"), (7001, "front", "old"), (7002, "back", "new"), (7003, "front", "new"), (7004, "back", "old")],
)
def test_scans_are_read_exactly(reader: LicenceReader, seed: int, page: str, fmt: str):
    sample = make_sample(seed, "flat", page, fmt)
    assert _read(reader, sample.image, page) == sample.truth


@pytest.mark.parametrize(
    ("seed", "page", "fmt"),
    [(7450, "front", "new"), (7451, "front", "old"), (7452, "back", "new"), (7453, "back", "old")],
)
def test_photos_of_cards_in_fonts_nothing_was_tuned_on_are_read_exactly(
    reader: LicenceReader, seed: int, page: str, fmt: str
):
    sample = make_sample(seed, "photo", page, fmt, faces="held-out")
    assert _read(reader, sample.image, page) == sample.truth


def test_phone_photos_are_read(reader: LicenceReader):
    right = total = 0
    wrong = []
    for seed in range(7100, 7108):
        page = ("front", "back")[seed % 2]
        sample = make_sample(seed, "photo", page)
        fields = _read(reader, sample.image, page)
        for name, truth in sample.truth.items():
            total += 1
            right += fields.get(name) == truth
            if fields.get(name) != truth:
                wrong.append((seed, name, fields.get(name), truth))
    assert right / total >= 0.97, wrong


def test_both_pages_in_one_photo(reader: LicenceReader):
    sample = make_double_sample(7200, "photo")
    data = _jpeg(sample.image)
    for page in ("front", "back"):
        reading = reader.read(data, ReadOptions(side=page, return_issuing_authority=True))
        assert reading.page == page
        assert reading.fields["number"] == sample.truth[page]["number"]
        assert reading.fields["name"] == sample.truth[page]["name"]


def test_a_card_400_px_wide_in_a_4000_px_photo(reader: LicenceReader, monkeypatch):
    # About 1% of a 12 MP photo: such a card was once smaller than the least region the colour mask takes for one.
    tiny = replace(TIERS["photo"], long_side=(4000, 4000), card_area=(0.009, 0.012))
    monkeypatch.setitem(TIERS, "tiny", tiny)
    for seed, page in ((7300, "front"), (7301, "back")):
        sample = make_sample(seed, "tiny", page)
        assert 350 < np.linalg.norm(sample.quad[1] - sample.quad[0]) < 470 and max(sample.image.shape) == 4000
        fields = _read(reader, sample.image, page)
        wrong = {name: (fields.get(name), truth) for name, truth in sample.truth.items() if fields.get(name) != truth}
        assert len(wrong) <= 1 and "number" not in wrong, wrong


def test_a_photo_taken_with_a_moving_hand_is_read_with_its_blur_undone(reader: LicenceReader, monkeypatch):
    # A straight motion blur of 5-15 px over the whole photo (as benchmarks/robustness.py's motion row): as
    # photographed, this front read 3 fields of 11; with the blur undone, all of them.
    monkeypatch.setitem(TIERS, "motion", replace(TIERS["photo"], motion_p=1.0))
    sample = make_sample(7603, "motion", "front")
    reading = reader.read(_jpeg(sample.image), ReadOptions(side="front", return_issuing_authority=True))
    fields = reading.fields
    wrong = {name: (fields.get(name), truth) for name, truth in sample.truth.items() if fields.get(name) != truth}
    assert len(wrong) <= 1, wrong
    assert "blurred" in reading.warnings  # the photo was, however sharp the card it was read from
    monkeypatch.setattr(pipelines, "sharpened", lambda card: None)
    plain = _read(reader, sample.image, "front")
    assert sum(plain.get(name) == truth for name, truth in sample.truth.items()) <= 6


def test_a_card_on_a_background_greener_than_itself(reader: LicenceReader):
    # Seed 1024 of the photo tier lies on a lime cloth: the colour mask takes the whole photo, and the printed
    # labels re-straighten the card.
    sample = make_sample(1024, "photo", "front")
    fields = _read(reader, sample.image, "front")
    assert fields["number"] == sample.truth["number"]
    assert fields["birth"] == sample.truth["birth"]


def test_a_dim_back_page_whose_small_labels_are_lost(reader: LicenceReader):
    # Seed 1009 of the hard tier: a back page in dim light under glare, on a grey desk its colour shares. Found by its
    # text, it read only its title among the labels, and was refused as unreadable; its title's two ends and where
    # its numbers start place it now (pipelines/align.py).
    sample = make_sample(1009, "hard", "back")
    assert _read(reader, sample.image, "back") == sample.truth


def test_a_name_whose_last_character_glare_fades_is_not_trusted(reader: LicenceReader):
    # Seed 1040 of the hard tier: glare fades the back's last name character (赵丹瑄). Its readings split among
    # several shapes: read with the noise stretched, the blank outweighed each and 赵丹 read at 1.00, doubtful
    # since (pipelines/consistency.py); smoothed first (pipelines/straighten.py), 赵丹班, at 0.78. Either way, not
    # vouched for.
    sample = make_sample(1040, "hard", "back")
    reading = reader.read(_jpeg(sample.image), ReadOptions(side="back"))
    assert reading.fields["name"] == sample.truth["name"] or reading.confidence["name"] < 0.95
    assert reading.fields["number"] == sample.truth["number"] and reading.confidence["number"] >= 0.95


def test_an_address_with_characters_lost_between_two_pieces_of_its_row_is_not_trusted(reader: LicenceReader):
    # Seed 80049 of the hard tier: the detector cut the address's first row in two (经济技术开发 | 京东路4) and the
    # two characters between them, 区南, were read in neither; every character read was sure (pipelines/consistency.py).
    sample = make_sample(80049, "hard", "front")
    reading = reader.read(_jpeg(sample.image), ReadOptions(side="front"))
    assert reading.fields["address"] == sample.truth["address"] or reading.confidence["address"] <= 0.5


@pytest.mark.parametrize("quality", [95, 92])
def test_an_address_wrapped_to_a_character_or_two_is_read_whole(reader: LicenceReader, quality: int):
    # Seed 240019 of the hard tier, held-out faces: the address leaves 5号 to its second line, too short for the
    # detector, and the layout box is read in its place. Sent as accuracy.py sends it (JPEG 95), that box began
    # where the 5 does, and the recogniser, given no margin before it, read 号 alone: 1组19号 at 0.96. As JPEG 92,
    # the detector boxed the two characters with the Address label beside them, a line read as letters (eyg号y)
    # that kept the box from being read: 1组19.
    sample = make_sample(240019, "hard", "front", faces="held-out")
    reading = reader.read(_jpeg(sample.image, quality), ReadOptions(side="front"))
    assert reading.fields["address"] == sample.truth["address"]


def test_a_lone_character_below_an_address_in_a_taller_face_is_read(reader: LicenceReader):
    # Seed 290020 of the flat tier, held-out faces: 号 alone on the address's second line, which the detector passed
    # by. Its glyph reached the top of the layout box read in its place, and cut there it read at 0.54, under the bar
    # a probe's reading must clear: 前进村146 at 0.83 (JPEG 95, as accuracy.py sends it).
    sample = make_sample(290020, "flat", "front", faces="held-out")
    reading = reader.read(_jpeg(sample.image, 95), ReadOptions(side="front"))
    assert reading.fields["address"] == sample.truth["address"]


def test_a_validity_printed_wider_than_the_design_keeps_its_last_digit(reader: LicenceReader, monkeypatch):
    # Seed 250013 of robustness.py's tilt row, held-out faces: their digits are wider than the card printer's, and
    # the validity's end date ran to 0.78 of the card, past the 0.76 its region ended at (the design prints it to
    # 0.72). 2025-02-0 is no date: valid_to came back empty. Sent as robustness.py sends it (JPEG 95).
    monkeypatch.setitem(TIERS, "robustness-tilt", replace(TIERS["photo"], tilt=(35.0, 40.0)))
    sample = make_sample(250013, "robustness-tilt", "front", faces="held-out")
    fields = reader.read(_jpeg(sample.image, 95), ReadOptions(side="front")).fields
    assert fields["valid_from"] == sample.truth["valid_from"] and fields["valid_to"] == sample.truth["valid_to"]


def test_a_faint_seal_is_looked_for_again_on_its_ink_alone(reader: LicenceReader, monkeypatch):
    # Seed 7715 of the hard tier: a dim, blurred front whose seal the detector found in pieces on the whole card,
    # snapped to a wrong authority at low confidence (天津市公安局交通警察总队). Found again in the seal's box, on
    # its green channel smoothed and stretched, it reads whole (pipelines/read.py).
    sample = make_sample(7715, "hard", "front")
    truth = sample.truth["issuing_authority"]
    assert _read(reader, sample.image, "front")["issuing_authority"] == truth
    monkeypatch.setattr(pipelines, "read_seal", lambda *args: ())
    assert _read(reader, sample.image, "front")["issuing_authority"] != truth


def test_a_card_straightened_askew_is_placed_by_its_titles_own_axis(reader: LicenceReader):
    # Seed 1029 of the hard tier: a legible back in a sleeve on a dim desk, cut out with the desk (one colour region),
    # so it lies turned 55 degrees in its crop and no label fits; its title places it (pipelines/align.py).
    sample = make_sample(1029, "hard", "back")
    fields = _read(reader, sample.image, "back")
    assert {name: fields[name] for name in ("number", "file_number")} == {
        name: sample.truth[name] for name in ("number", "file_number")
    }


def test_locate_by_text_finds_the_card_its_colour_hides(engine):
    sample = make_sample(1024, "photo", "front")
    (quad,) = locate_by_text(Image(sample.image, "jpeg"), engine.detector)
    assert _iou(quad.corners, sample.quad, sample.image.shape) > 0.8


def _iou(a: np.ndarray, b: np.ndarray, shape: tuple[int, ...]) -> float:
    ma, mb = np.zeros(shape[:2], np.uint8), np.zeros(shape[:2], np.uint8)
    cv2.fillPoly(ma, [a.astype(np.int32)], 1)
    cv2.fillPoly(mb, [b.astype(np.int32)], 1)
    return float((ma & mb).sum() / (ma | mb).sum())


def test_a_birth_date_covered_over_is_taken_from_the_number(reader: LicenceReader):
    sample = make_sample(7010, "flat", "front")
    first = reader.read(_jpeg(sample.image), ReadOptions(side="front"))
    assert first.fields["birth"] == sample.truth["birth"] and "birth" in first.locations
    box = np.array(first.locations["birth"], np.float32)
    centre = box.mean(axis=0)
    box = (box - centre) * np.array([1.15, 1.6], np.float32) + centre  # the whole date, not a stroke left
    x0, x1, below = int(box[:, 0].min()), int(box[:, 0].max()), int(box[:, 1].max())
    covered = sample.image.copy()
    paper = np.median(covered[below + 4 : below + 10, x0:x1], axis=(0, 1))
    cv2.fillPoly(covered, [box.astype(np.int32)], paper.tolist())
    reading = reader.read(_jpeg(covered), ReadOptions(side="front"))
    number = sample.truth["number"]
    assert reading.fields["number"] == number
    assert reading.fields["birth"] == f"{number[6:10]}-{number[10:12]}-{number[12:14]}" == sample.truth["birth"]
    assert "birth" not in reading.locations  # read nowhere on the card


def test_a_date_that_lost_a_digit_for_good_is_read_again_across_its_row(reader: LicenceReader):
    # Seed 260018 of the hard tier: the birth date's line read 1996012-02, a date with a one-digit day (1996-01-2),
    # returned as 1996-01-02 for 1990-12-02. A month or day left with one digit is a guess: its row, read again
    # whole, gives the date.
    sample = make_sample(260018, "hard", "front")
    reading = reader.read(_jpeg(sample.image, 95), ReadOptions(side="front"))
    assert reading.fields["birth"] == sample.truth["birth"]


def test_an_address_whose_first_line_was_lost_is_read_again_across_that_row(reader: LicenceReader, monkeypatch):
    # Seed 270003 of robustness.py's tiny row, held-out faces: the address's first line merged, in the detector's
    # map, with the 住址/Address label stacked before it, an L-shape whose bounding rectangle scored under the box
    # threshold: the line was dropped and the address came back as its second line alone (4号). An address that
    # does not begin with a province and a prefecture has its first line's row read again.
    tiny = replace(TIERS["photo"], long_side=(4000, 4000), card_area=(0.009, 0.012))
    monkeypatch.setitem(TIERS, "robustness-tiny", tiny)
    sample = make_sample(270003, "robustness-tiny", "front", faces="held-out")
    fields = reader.read(_jpeg(sample.image, 95), ReadOptions(side="front")).fields
    assert fields["address"] == sample.truth["address"]
