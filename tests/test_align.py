"""Label anchors and the alignment they give, on hand-made lines with real recognitions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from pipelines import LicenceReader, ReadOptions
from pipelines.align import (
    FRONT_ANCHORS,
    align_page,
    anchors_for,
    apply,
    card_by_title,
    fit_affine,
    fit_alignment,
    layout_to_card,
    observed_anchors,
)
from pipelines.decode import decode_image
from pipelines.extract.lines import Label, label_mask, labels_of
from pipelines.locate import locate_by_text, locate_cards, spans_image
from pipelines.read import read_card
from pipelines.straighten import straighten
from pipelines.types import CARD_H, CARD_W, CardText, TextLine
from synthetic import random_licence, render_card

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "samples" / "specimen-front.jpg"


@pytest.fixture(scope="module")
def specimen(engine) -> CardText:
    image = decode_image(SAMPLE.read_bytes())
    return read_card(engine, straighten(image, locate_cards(image)[0]))


def _shifted(lines: tuple[TextLine, ...], dx: float, dy: float, scale: float) -> tuple[TextLine, ...]:
    moved = []
    for line in lines:
        box = line.box * scale + np.array([dx, dy], np.float32)
        moved.append(TextLine(line.text, line.score, box.astype(np.float32), line.recognition))
    return tuple(moved)


def test_the_layout_reference_card_needs_almost_no_correction(specimen: CardText):
    alignment = fit_alignment(specimen.lines, anchors_for("front", specimen.lines))
    assert alignment.anchors >= 8
    assert alignment.shift < 0.02
    assert not alignment.calls_for_restraightening


def test_a_misplaced_card_is_pulled_back_onto_the_layout(specimen: CardText):
    # Lines 40 px right, 25 px down and 8% larger: as if straightening had missed the card's edges.
    lines = _shifted(specimen.lines, 40, 25, 1.08)
    alignment = fit_alignment(lines, anchors_for("front", lines))
    assert alignment.calls_for_restraightening
    title = next(line for line in lines if "驾驶证" in line.text)
    mapped = apply(alignment.matrix, np.array([[title.cx, title.cy]]))[0]
    expected = np.array(FRONT_ANCHORS["中华人民共和国机动车驾驶证"]) * [CARD_W, CARD_H]
    assert np.abs(mapped - expected).max() < 12


def test_layout_regions_map_back_onto_the_card(specimen: CardText):
    lines = _shifted(specimen.lines, 40, 25, 1.0)
    alignment = fit_alignment(lines, anchors_for("front", lines))
    quad = layout_to_card(alignment.matrix, (0.0, 0.0, 1.0, 1.0))
    assert np.allclose(quad[0], [40, 25], atol=12)


def test_three_labels_nearly_in_a_line_do_not_shear_the_card(specimen: CardText):
    # A small card that kept only its title, 证号 and Address readable, each found a few pixels off, as label centres
    # are: those three run down a diagonal, and an affine through them tilted the rows by 7 degrees.
    kept = {"驾驶证": (-4, -6), "证号": (-1, -3), "Address": (3, -7)}
    lines = []
    for line in specimen.lines:
        offset = next((d for label, d in kept.items() if label in line.text), None)
        if offset is not None:
            box = (line.box + np.array(offset, np.float32)).astype(np.float32)
            lines.append(TextLine(line.text, line.score, box, line.recognition))
    alignment = fit_alignment(lines, anchors_for("front", lines))
    assert alignment.anchors == 3
    assert abs(alignment.matrix[0, 1]) < 0.01 and abs(alignment.matrix[1, 0]) < 0.01  # rows stay level
    assert not alignment.calls_for_restraightening


def test_a_card_whose_small_labels_are_lost_is_placed_by_its_title_and_values(specimen: CardText):
    # A dim, blurred photo: of the labels only the title reads, while the larger values do. The title's two ends
    # and where the ID number, the birth date and the validity start place the card (40 px right, 25 px down, 8%
    # larger, as straightening left it) well enough to straighten it again.
    kept = tuple(line for line in specimen.lines if "驾驶证" in line.text or line.text[:1].isdigit())
    lines = _shifted(kept, 40, 25, 1.08)
    assert len(observed_anchors(lines, anchors_for("front", lines))[0]) == 1
    alignment = align_page("front", lines)
    assert alignment.anchors >= 4 and alignment.calls_for_restraightening
    title = next(line for line in lines if "驾驶证" in line.text)
    mapped = apply(alignment.matrix, np.array([[title.cx, title.cy]]))[0]
    # Rows are placed to a few pixels; across, a value's start is known only to about 10 px (the card printer's
    # offset, and where the recogniser puts a first character), so the fit is looser than one from labels.
    assert np.abs(mapped - np.array(FRONT_ANCHORS["中华人民共和国机动车驾驶证"]) * [CARD_W, CARD_H]).max() < 24
    for line in lines:  # every row where the layout has it
        if line.text[:1].isdigit():
            row = apply(alignment.matrix, np.array([[line.cx, line.cy]]))[0][1]
            assert abs(row - (line.cy - 25) / 1.08) < 8, line.text


def test_three_of_four_points_do_not_shear_the_card():
    # A dark front straightened well, whose small labels were lost (robustness.py, dark, seed 70001): the title's
    # two ends, the validity's start and the 证号's start, read with a stray digit before it 89 px to the left.
    seen = np.array([[187, 42], [692, 42], [184, 544], [279, 115]], np.float32)
    expected = np.array([[195, 52], [694, 52], [177, 536], [368, 120]], np.float32)
    affine, used = fit_affine(seen, expected, affine_from=4)
    # An affine through the title ends and the stray 证号 sheared the card by 48 degrees; a similarity keeps rows
    # level, and leaves the odd point out.
    assert affine is not None and abs(affine[0, 1]) < 0.05 and abs(affine[1, 0]) < 0.05
    assert used <= 3
    # Four points that agree still fit an affine: a card straightened 3% too narrow.
    narrow = expected * np.array([0.97, 1.0], np.float32) + np.array([5, -3], np.float32)
    affine, used = fit_affine(narrow, expected, affine_from=4)
    assert used == 4 and abs(affine[0, 0] - 1 / 0.97) < 0.005 and abs(affine[1, 1] - 1.0) < 0.005


def test_values_stay_out_of_a_fit_the_labels_support(specimen: CardText):
    assert np.array_equal(
        align_page("front", specimen.lines).matrix,
        fit_alignment(specimen.lines, anchors_for("front", specimen.lines)).matrix,
    )


def test_too_few_labels_give_the_identity():
    alignment = fit_alignment((), FRONT_ANCHORS)
    assert alignment.anchors == 0
    assert np.array_equal(alignment.matrix, np.eye(3))


def test_labels_tolerate_one_wrong_character_in_long_chinese_labels():
    assert Label.of("档案编号").find_all("档来编号894048553200") == [(0, 4)]
    assert Label.of("证号").find_all("证乡") == []
    assert Label.of("Date of Birth").find_all("DateofBirth.") == [(0, 11)]
    mask = label_mask("出生日期1955-09-14", labels_of(["出生日期"]))
    assert mask == [True] * 4 + [False] * 10


def _on_its_own_colour(seed: int, page: str) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """A clean card, 380 px wide and turned 12 degrees, on a desk of its own median colour, blurred and noisy: the
    colour mask takes in the whole photo, so the card is found by its text alone. Returns the photo, the card's
    corners in it, and what the card prints."""
    rng = np.random.default_rng(seed)
    data = random_licence(rng, "new")
    card = render_card(data, page, rng, 0.0).image
    h, w = card.shape[:2]
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), 12.0, 380 / w)
    turn[:, 2] += (700 - w / 2, 500 - h / 2)
    desk = tuple(float(c) for c in np.median(card.reshape(-1, 3), axis=0))
    photo = cv2.GaussianBlur(cv2.warpAffine(card, turn, (1400, 1000), borderValue=desk), (0, 0), 1.5)
    photo = np.clip(photo + np.random.default_rng(0).normal(0, 10, photo.shape), 0, 255).astype(np.uint8)
    corners = cv2.transform(np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float32), turn)[0]
    return photo, corners, data.truth(page)


def test_a_card_found_by_its_text_alone_is_placed_by_its_title(engine):
    photo, corners, truth = _on_its_own_colour(5, "back")
    image = decode_image(cv2.imencode(".png", photo)[1].tobytes())
    assert all(spans_image(quad, photo.shape) for quad in locate_cards(image))
    # The back page's text fills its top third: the text's box, grown, stretches that third over the whole card,
    # and not one label reads there well enough to align it.
    (quad,) = locate_by_text(image, engine.detector)
    text = read_card(engine, straighten(image, quad))
    assert text.page == "back" and align_page("back", text.lines).anchors == 0
    placed = card_by_title("back", text.card, text.lines)
    assert placed is not None and np.abs(placed - corners).max() < 0.03 * 380
    # The reader straightens the card again from there, and reads it.
    reading = LicenceReader(engine).read(cv2.imencode(".png", photo)[1].tobytes(), ReadOptions(side="back"))
    assert {name: reading.fields.get(name) for name in ("number", "file_number")} == {
        name: truth[name] for name in ("number", "file_number")
    }


def test_a_title_garbled_whole_places_the_card_but_another_line_does_not(specimen: CardText):
    (title,) = [line for line in specimen.lines if line.text.startswith("中华人民共和国机动车驾驶证")]
    # Straightened well, the card stays where it is: the title's similarity would only lose its perspective.
    assert card_by_title("front", specimen.card, specimen.lines) is None
    # A title 60 px lower than the layout prints it (7% of the card) places the card again, garbled or not.
    (lower,) = _shifted((title,), 0.0, 60.0, 1.0)
    assert card_by_title("front", specimen.card, (lower,)) is not None
    garbled = replace(lower, text="中华人民共和中机动车驾批证")
    assert card_by_title("front", specimen.card, (garbled,)) is not None
    longer = replace(lower, text="中华人民共和中机动车驾批证书")
    assert card_by_title("front", specimen.card, (longer,)) is None
    # The front's title does not place a back page.
    assert card_by_title("back", specimen.card, (lower,)) is None


def test_a_title_far_from_level_places_the_card_along_its_own_axis(specimen: CardText):
    # A card straightened from a quad gone wrong lies turned in its crop (hard seed 1029's back: a colour region
    # that merged the card with a dim desk); its title's ends lie on the line's own axis, not level with its centre.
    (title,) = [line for line in specimen.lines if line.text.startswith("中华人民共和国机动车驾驶证")]
    (lower,) = _shifted((title,), 0.0, 60.0, 1.0)
    turn = cv2.getRotationMatrix2D(tuple(float(v) for v in lower.box.mean(axis=0)), -50.0, 1.0)
    turned = replace(lower, box=cv2.transform(lower.box.reshape(1, -1, 2), turn)[0].astype(np.float32))
    level, askew = (card_by_title("front", specimen.card, (line,)) for line in (lower, turned))
    assert level is not None and askew is not None
    to_card = np.linalg.inv(specimen.card.to_image)
    level, askew = (cv2.perspectiveTransform(c.reshape(-1, 1, 2), to_card).reshape(-1, 2) for c in (level, askew))
    assert np.abs(askew - cv2.transform(level.reshape(1, -1, 2), turn)[0]).max() < 0.01 * CARD_W
