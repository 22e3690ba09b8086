"""Recognised lines placed on the layout (pipelines/extract/lines.py): the order their text is joined in."""

from __future__ import annotations

import numpy as np

from pipelines.extract.lines import AlignedLine, reading_order
from pipelines.types import TextLine


def _placed(text: str, x0: float, x1: float, y: float, height: float = 22.0) -> AlignedLine:
    box = np.array([[x0, y - height / 2], [x1, y - height / 2], [x1, y + height / 2], [x0, y + height / 2]], np.float32)
    xs = np.linspace(x0, x1, len(text) + 2)[1:-1]
    return AlignedLine(TextLine(text, 1.0, box), np.stack([xs, np.full(len(text), y)], axis=1), [False] * len(text))


def test_the_pieces_of_a_row_are_read_left_to_right_whatever_their_height():
    # Glare split an address's first row; its right-hand piece stands a pixel higher than its left-hand one.
    left = _placed("福建省漳州市洪山区车站", 200, 455, 236)
    right = _placed("号附1号", 700, 745, 235)
    below = _placed("栋1单元1604室", 180, 310, 266)
    ordered = reading_order([below, right, left])
    assert [a.line.text for a in ordered] == ["福建省漳州市洪山区车站", "号附1号", "栋1单元1604室"]


def test_rows_a_line_apart_stay_apart():
    first = _placed("湾3号楼317", 300, 420, 265)
    above = _placed("山西省朔州市七里", 300, 500, 234)
    assert [a.line.text for a in reading_order([first, above])] == ["山西省朔州市七里", "湾3号楼317"]
