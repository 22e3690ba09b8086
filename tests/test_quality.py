"""Image-quality warnings, end to end on generated photos with the defect each one names, and without it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipelines import LicenceReader, ReadOptions
from pipelines.layout import field_box
from pipelines.quality import BLURRED, CUT_OFF, GLARE, GREYSCALE, SCREEN
from synthetic import make_sample
from synthetic.defects import blurred, cut, glared, noisy

def read(reader: LicenceReader, image: np.ndarray, page: str):
    data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
    return reader.read(data, ReadOptions(side=page, return_issuing_authority=True))


@pytest.mark.parametrize(("seed", "page"), [(7400, "front"), (7401, "back"), (7402, "front")])
def test_a_clean_scan_draws_no_warning(reader: LicenceReader, seed: int, page: str):
    # Flat scans: the photo tiers draw real glare and blur at random (benchmarks/quality.py has those rates).
    sample = make_sample(seed, "flat", page)
    reading = read(reader, sample.image, page)
    assert reading.fields == sample.truth
    assert reading.warnings == ()


@pytest.mark.parametrize(("seed", "page"), [(7410, "front"), (7411, "back")])
def test_a_greyscale_photocopy_is_flagged(reader: LicenceReader, seed: int, page: str):
    sample = make_sample(seed, "photo", page, copy="greyscale")
    reading = read(reader, sample.image, page)
    assert reading.fields == sample.truth
    assert GREYSCALE in reading.warnings and SCREEN not in reading.warnings


def test_photos_of_a_screen_are_flagged_and_photos_of_cards_are_not(reader: LicenceReader):
    # The beat of a screen's pixel grid survives the camera on some photos, not all: the rate is what is tested
    # (about half of the screens on flat captures in benchmarks/quality.py, and no clean card).
    seeds = [(7420 + i, ("front", "back")[i % 2]) for i in range(6)]
    screens = [SCREEN in read(reader, make_sample(s, "flat", p, copy="screen").image, p).warnings for s, p in seeds]
    cards = [SCREEN in read(reader, make_sample(s, "flat", p).image, p).warnings for s, p in seeds]
    assert sum(screens) >= 2 and not any(cards)


def test_a_blurred_photo_is_flagged_and_a_sharp_one_is_not(reader: LicenceReader):
    sample = make_sample(7430, "flat", "front")
    assert BLURRED not in read(reader, sample.image, "front").warnings
    assert BLURRED in read(reader, blurred(sample.image, sample.quad, 3.0), "front").warnings


def test_sensor_noise_neither_hides_blur_nor_passes_for_it(reader: LicenceReader):
    # Noise has the strongest second derivatives of all: unsmoothed, a blurred photo in dim light looked sharp.
    sample = make_sample(7431, "flat", "back")
    noise = lambda image: noisy(image, 12, np.random.default_rng(7431))  # noqa: E731
    assert BLURRED not in read(reader, noise(sample.image), "back").warnings
    assert BLURRED in read(reader, noise(blurred(sample.image, sample.quad, 3.0)), "back").warnings


def test_glare_names_the_field_it_covers(reader: LicenceReader):
    sample = make_sample(7440, "flat", "front")
    reading = read(reader, glared(sample.image, sample.quad, field_box("front", "class")), "front")
    assert GLARE in reading.warnings
    # The field under the glare is doubtful whatever the recogniser made of it; the number far above it is not.
    assert reading.confidence["class"] <= 0.8
    assert reading.confidence["number"] > 0.8


def test_glare_over_a_few_characters_of_a_long_field_names_it(reader: LicenceReader):
    # A patch the size of a few characters is under a tenth of the address's box, yet it can wipe a character out
    # of the address with nothing in the reading to show it (held-out glare rows: 10栋2单元 read 102单元 at 0.9985).
    sample = make_sample(7441, "flat", "front")
    patch = (0.30, 0.43, 0.42, 0.52)
    address = field_box("front", "address")
    assert _area(patch) < 0.1 * _area(address)
    reading = read(reader, glared(sample.image, sample.quad, patch), "front")
    assert GLARE in reading.warnings
    assert reading.confidence["address"] <= 0.8
    assert reading.confidence["number"] > 0.8 and reading.confidence["name"] > 0.8


def _area(box: tuple[float, float, float, float]) -> float:
    return (box[2] - box[0]) * (box[3] - box[1])


def test_a_card_cut_off_at_the_edge_is_flagged(reader: LicenceReader):
    sample = make_sample(7450, "flat", "back")
    assert CUT_OFF not in read(reader, sample.image, "back").warnings
    reading = read(reader, cut(sample.image, sample.quad, 0.12), "back")
    assert CUT_OFF in reading.warnings
