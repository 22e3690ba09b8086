"""The two public sample photos, read end to end by the real engine: every labelled field must be right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines import LicenceReader, ReadOptions
from pipelines.errors import RecognitionFailed

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"
LABELS = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))["samples"]
CASES = [(s["file"], side, truth) for s in LABELS for side, truth in s["ground_truth"].items()]


@pytest.mark.parametrize(("file", "side", "truth"), CASES, ids=[f"{f}-{s}" for f, s, _ in CASES])
def test_every_labelled_field_is_read(reader: LicenceReader, file: str, side: str, truth: dict[str, str]):
    reading = reader.read((SAMPLES / file).read_bytes(), ReadOptions(side=side, return_issuing_authority=True))
    assert reading.page == side
    assert {k: reading.fields.get(k) for k in truth} == truth


def test_answer_has_exactly_the_page_fields(reader: LicenceReader):
    data = (SAMPLES / "specimen-front.jpg").read_bytes()
    plain = reader.read(data, ReadOptions(side="front"))
    assert list(plain.fields) == [
        "number", "name", "sex", "nationality", "address", "birth", "issue_date", "class", "valid_from", "valid_to",
    ]  # fmt: skip
    back = reader.read((SAMPLES / "huawei-demo-front-back.png").read_bytes(), ReadOptions(side="back"))
    assert list(back.fields) == ["number", "name", "file_number", "record"]


def test_asking_for_a_page_the_photo_lacks_names_the_page_found(reader: LicenceReader):
    with pytest.raises(RecognitionFailed, match="front page"):
        reader.read((SAMPLES / "specimen-front.jpg").read_bytes(), ReadOptions(side="back"))
