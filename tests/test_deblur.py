"""pipelines.deblur: a straight motion blur found in a card's spectrum and undone, on generated cards."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipelines import LicenceReader, ReadOptions, _contested, _PageRead
from pipelines.consistency import Checked
from pipelines.deblur import Motion, card_motion, deconvolve, estimate_motion, motion_kernel, motion_of, sharpened
from pipelines.extract.fields import FieldReading
from pipelines.quality import NO_WARNINGS
from pipelines.types import CARD_H, CARD_W, Card
from synthetic import make_sample


def _straightened(seed: int, page: str) -> np.ndarray:
    """A generated scan cut to the card and sized as the reader sizes it."""
    sample = make_sample(seed, "flat", page)
    x0, y0 = sample.quad.min(axis=0).astype(int)
    x1, y1 = sample.quad.max(axis=0).astype(int)
    return cv2.resize(sample.image[y0:y1, x0:x1], (CARD_W, CARD_H), interpolation=cv2.INTER_AREA)


@pytest.fixture(scope="module")
def cards() -> dict[str, np.ndarray]:
    return {"front": _straightened(7500, "front"), "back": _straightened(7501, "back")}


def _blurred(card: np.ndarray, motion: Motion) -> np.ndarray:
    return cv2.filter2D(card, -1, motion_kernel(motion), borderType=cv2.BORDER_REFLECT)


def _angle_error(a: float, b: float) -> float:
    return min(abs(a - b), 180 - abs(a - b))  # a blur has a direction, not a sense


@pytest.mark.parametrize("page", ["front", "back"])
@pytest.mark.parametrize(("angle", "length"), [(0.0, 8.0), (35.0, 12.0), (90.0, 15.0), (150.0, 20.0)])
def test_a_straight_blur_is_found_in_the_cards_spectrum(cards, page: str, angle: float, length: float):
    gray = cv2.cvtColor(_blurred(cards[page], Motion(angle, length)), cv2.COLOR_BGR2GRAY)
    found = estimate_motion(gray)
    assert _angle_error(found.angle, angle) <= 4 and abs(found.length - length) <= 1.5, found


def test_the_kernel_is_a_centred_line_of_the_length_asked():
    kernel = motion_kernel(Motion(angle=0.0, length=9.0))
    assert kernel.shape == (9, 9) and kernel.sum() == pytest.approx(1.0)
    assert np.count_nonzero(kernel.sum(axis=1)) == 1 and kernel[4].min() > 0  # one row, the middle, all of it
    upright = motion_kernel(Motion(angle=90.0, length=9.0))
    assert np.allclose(upright, kernel.T, atol=1e-6)


def test_deconvolution_brings_the_sharp_card_back(cards):
    sharp = cards["front"]
    motion = Motion(angle=120.0, length=14.0)
    blurred = _blurred(sharp, motion)
    # No sensor noise here: the filter may assume far less of it than a photo's default.
    restored = deconvolve(blurred, motion_kernel(motion), noise_to_signal=0.002)
    assert restored.shape == sharp.shape and restored.dtype == np.uint8
    error_before = np.abs(blurred.astype(int) - sharp).mean()
    error_after = np.abs(restored.astype(int) - sharp).mean()
    assert error_after < 0.6 * error_before, (error_before, error_after)
    # Not shifted: the restored card lines up with the sharp one better than with itself moved by a pixel.
    assert error_after < np.abs(np.roll(restored, 1, axis=1).astype(int) - sharp).mean()


def test_a_blurred_card_is_sharpened_and_keeps_its_way_back_to_the_photo(cards):
    to_image = np.array([[1.5, 0, 10], [0, 1.5, 20], [0, 0, 1]])
    blurred = Card(pixels=_blurred(cards["back"], Motion(angle=60.0, length=12.0)), to_image=to_image)
    assert motion_of(blurred) is not None
    sharper = sharpened(blurred)
    assert sharper is not None and sharper.to_image is to_image and sharper.pixels.shape == blurred.pixels.shape
    assert cv2.Laplacian(sharper.pixels, cv2.CV_32F).var() > 2 * cv2.Laplacian(blurred.pixels, cv2.CV_32F).var()


@pytest.mark.parametrize("seed", [7502, 7504, 7506])
def test_a_sharp_front_shows_no_blur_to_undo(seed: int):
    # Sharp fronts' deepest valleys stand 1.0-2.6 deviations out (deblur.PROMINENT); a sharp back's dotted rules
    # can stand out more, which costs only a second reading of a back that read poorly.
    card = Card(_straightened(seed, "front"), np.eye(3))
    assert motion_of(card) is None and sharpened(card) is None


def test_a_small_card_enlarged_to_the_straightened_size_is_searched_at_its_own(cards):
    # A card 500 px wide in the photo, blurred there by 13 px, then enlarged to CARD_W as straighten enlarges it:
    # searched at 500 px, the blur is found there and given in the straightened card's pixels (23 px).
    scale = 500 / CARD_W
    small = cv2.resize(cards["front"], (500, round(CARD_H * scale)), interpolation=cv2.INTER_AREA)
    blurred = _blurred(small, Motion(angle=33.0, length=13.0))
    enlarged = cv2.resize(blurred, (CARD_W, CARD_H), interpolation=cv2.INTER_LINEAR)
    to_image = np.diag([scale, scale, 1.0])
    found = card_motion(Card(pixels=enlarged, to_image=to_image))
    assert _angle_error(found.angle, 33.0) <= 4 and abs(found.length - 13.0 / scale) <= 2.5, found


def test_a_field_the_photographed_card_read_otherwise_and_more_surely_is_not_sure(reader: LicenceReader):
    # Blurred enough to be read twice: the card as photographed read the name 安松刚 at 0.999, the deblurred card
    # 安松闸 at 0.95 and was kept for its surer other fields. The name is right, or it is not given as sure.
    sample = make_sample(260015, "photo", "back")
    data = cv2.imencode(".jpg", sample.image, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    reading = reader.read(data, ReadOptions(side="back"))
    assert reading.fields["name"] == sample.truth["name"] or reading.confidence["name"] < 0.95, reading.fields
    assert reading.fields["number"] == sample.truth["number"] and reading.confidence["number"] >= 0.95


def _page_read(**fields: tuple[str, float]) -> _PageRead:
    checked = Checked({k: FieldReading(v, c) for k, (v, c) in fields.items()}, (), frozenset(), frozenset())
    return _PageRead("back", Card(np.zeros((1, 1, 3), np.uint8), np.eye(3)), checked, NO_WARNINGS)


def test_only_the_fields_another_reading_read_otherwise_and_more_surely_are_contested():
    kept = _page_read(number=("110101199001011234", 0.999), name=("安松闸", 0.99), file_number=("123", 0.9))
    other = _page_read(number=("110101199001011234", 0.999), name=("安松刚", 0.999), file_number=("128", 0.5))
    contested = _contested(kept, other, ReadOptions(side="back"))
    assert contested.checked.doubtful == {"name"}
    assert _contested(other, kept, ReadOptions(side="back")).checked.doubtful == {"file_number"}
    assert _contested(kept, kept, ReadOptions(side="back")) is kept
