"""Fixed input shapes (the GPU's): a few sizes only, padding that changes no field."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from models import EngineOptions, load_engine
from models.recognizer import resized_width
from models.shapes import AS_GIVEN, FIXED, IMAGE_STEP, LINE_WIDTHS, ShapePolicy
from pipelines import LicenceReader, ReadOptions
from pipelines.read import crop_quad
from synthetic import make_sample


def test_as_given_keeps_every_shape():
    assert AS_GIVEN.line_width(301) == 301
    assert AS_GIVEN.batch_rows(5) == 5
    assert AS_GIVEN.image_size(704, 480) == (704, 480)
    assert AS_GIVEN.same_batch(150, 100) and not AS_GIVEN.same_batch(151, 100)


@pytest.mark.parametrize("width", [8, 191, 192, 193, 700, 2160, 2161, 5000])
def test_fixed_line_widths_come_from_a_short_list(width):
    padded = FIXED.line_width(width)
    assert padded >= width
    if width <= LINE_WIDTHS[-1]:
        assert padded in LINE_WIDTHS and (padded == LINE_WIDTHS[0] or padded < width * 1.5)
    else:
        assert padded % LINE_WIDTHS[-1] == 0 and padded - width < LINE_WIDTHS[-1]


def test_fixed_batches_and_images_round_up():
    assert [FIXED.batch_rows(n) for n in (1, 8, 9, 31, 32, 33)] == [8, 8, 32, 32, 32, 64]
    three = ShapePolicy(fixed=True, batch_sizes=(8, 16, 32))
    assert [three.batch_rows(n) for n in (1, 8, 9, 16, 17, 32, 33)] == [8, 8, 16, 16, 32, 32, 64]
    assert FIXED.image_size(704, 480) == (768, 512)
    assert FIXED.image_size(IMAGE_STEP, 1) == (IMAGE_STEP, IMAGE_STEP)
    # Lines share a batch when they pad to the same width or the next one up, however different they are.
    assert FIXED.same_batch(432, 289) and FIXED.same_batch(640, 289) and FIXED.same_batch(288, 8)
    assert not FIXED.same_batch(641, 289) and not FIXED.same_batch(2161, 1000)


@pytest.mark.parametrize("sizes", [(), (0, 8), (16, 8), (8, 8)])
def test_batch_sizes_must_ascend(sizes):
    with pytest.raises(ValueError):
        ShapePolicy(fixed=True, batch_sizes=sizes)


@pytest.fixture(scope="module")
def fixed_engine():
    return load_engine(EngineOptions(device="cpu", fixed_shapes=True))


def test_on_the_cpu_shapes_are_as_given_unless_asked(engine, fixed_engine):
    assert engine.shapes == AS_GIVEN
    assert fixed_engine.shapes == FIXED


def test_lines_padded_to_their_own_width_read_the_same(engine, fixed_engine):
    """Padding itself: each line up to its own fixed width, as on a GPU when no wider line shares its batch.
    (A batch also takes lines one width narrower, padded one step more: that is checked on whole cards below
    and by benchmarks/accuracy.py --fixed-shapes, because it can change a line's reading.)"""
    image = make_sample(7601, "flat", "front").image
    crops = [crop_quad(image, b.quad) for b in engine.detector(image, (704, 480))]
    assert len(crops) >= 20
    alone = engine.recognizer(crops)
    by_width: dict[int, list[int]] = {}
    for i, crop in enumerate(crops):
        by_width.setdefault(FIXED.line_width(resized_width(crop)), []).append(i)
    padded = [None] * len(crops)
    for group in by_width.values():
        for i, recognition in zip(group, fixed_engine.recognizer([crops[i] for i in group])):
            padded[i] = recognition
    assert [r.text for r in padded] == [r.text for r in alone]
    for a, b in zip(alone, padded):
        # The recogniser attends over the whole width, so wider padding moves a doubtful character's probability.
        assert abs(a.score - b.score) < 0.02
        # Character positions are in crop pixels whatever the padding, to within a frame or so.
        xs = [(a.char_x(i), b.char_x(i)) for i in range(len(a.text))]
        assert all(abs(x - y) <= 2 * a.frame_width for x, y in xs)
    assert np.allclose(engine.classifier(crops), fixed_engine.classifier(crops), atol=1e-4)


@pytest.mark.parametrize("seed,page", [(7602, "front"), (7603, "back")])
def test_a_licence_reads_the_same_with_fixed_shapes(engine, fixed_engine, seed, page):
    # The detector sees grey beyond the image's edge instead of nothing, which can move a box at the edge by a
    # pixel or two: the fields must not change.
    data = cv2.imencode(".jpg", make_sample(seed, "photo", page).image)[1].tobytes()
    options = ReadOptions(side=page, return_issuing_authority=True)
    assert LicenceReader(fixed_engine).read(data, options).fields == LicenceReader(engine).read(data, options).fields
