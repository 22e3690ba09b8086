"""Recognised lines placed on the layout (pipelines/extract/lines.py): where their characters stand, and the order
their text is joined in."""

from __future__ import annotations

import numpy as np

from models.recognizer import Recognition
from pipelines.extract.lines import AlignedLine, aligned_lines, labels_of, reading_order, spans_in
from pipelines.layout import FRONT, FRONT_LABELS
from pipelines.types import TextLine


def _placed(text: str, x0: float, x1: float, y: float, height: float = 22.0) -> AlignedLine:
    box = np.array([[x0, y - height / 2], [x1, y - height / 2], [x1, y + height / 2], [x0, y + height / 2]], np.float32)
    xs = np.linspace(x0, x1, len(text) + 2)[1:-1]
    return AlignedLine(TextLine(text, 1.0, box), np.stack([xs, np.full(len(text), y)], axis=1), [False] * len(text))


def _evenly_read(text: str, length: float, sureness: float = 1.0) -> Recognition:
    """A reading of `text` with its characters evenly spaced along a line `length` card pixels long."""
    frames = tuple(range(1, 2 * len(text), 2))
    ids, probs = np.zeros((2 * len(text), 6), np.int32), np.ones((2 * len(text), 6), np.float32)
    chars = (sureness,) * len(text)
    return Recognition(text, sureness, chars, frames, ids, probs, length / (2 * len(text)), ("", *text))


def _read_line(text: str, x0: float, x1: float, y: float, height: float = 52.0, sureness: float = 1.0) -> TextLine:
    box = np.array([[x0, y - height / 2], [x1, y - height / 2], [x1, y + height / 2], [x0, y + height / 2]], np.float32)
    return TextLine(text, sureness, box, _evenly_read(text, x1 - x0, sureness))


def test_a_character_boxed_with_the_label_and_again_alone_is_read_once():
    # Held-out faces, seed 160031 of accuracy.py: the detector boxed the label with the name's first character
    # (姓名妈, its 姚 run into the label's ink) and the name on its own (姚琪); the name came back 妈姚琪.
    merged = _read_line("姓名妈", 23, 132, 175)
    name = _read_line("姚琪", 85, 222, 180)
    placed = aligned_lines([merged, name], labels_of(FRONT_LABELS), np.eye(3))
    assert [span.text for span in spans_in(placed, FRONT["name"])] == ["姚琪"]


def test_a_character_boxed_with_a_garbled_label_and_again_alone_is_read_once_where_surer():
    # Held-out faces, flat seed 240043 of accuracy.py: the detector boxed the label, too garbled to be told
    # (t名), with the name's first character, and the name on its own (e朱淑沅): it came back 朱朱淑沅 at 0.96.
    name = _read_line("朱淑沅", 96, 250, 180)
    merged = _read_line("t名朱", 23, 132, 175, sureness=0.81)
    placed = aligned_lines([merged, name], labels_of(FRONT_LABELS), np.eye(3))
    assert [span.text for span in spans_in(placed, FRONT["name"])] == ["朱淑沅"]
    surer = _read_line("t名朱", 23, 132, 175, sureness=0.99)
    name = _read_line("朱淑沅", 96, 250, 180, sureness=0.9)
    placed = aligned_lines([surer, name], labels_of(FRONT_LABELS), np.eye(3))
    assert [span.text for span in spans_in(placed, FRONT["name"])] == ["朱", "淑沅"]


def test_a_date_boxed_with_its_label_keeps_a_digit_read_again_beside_it():
    # Hard seed 90027 of accuracy.py: 有效期限2023-12-08 and 8 至长期 both hold the date's last digit. Taking it
    # from the label's line cut that line's date in two, and the validity came back 2023-01-02.
    merged = _read_line("有效期限2023-12-08", 32, 393, 535)
    rest = _read_line("8至长期", 359, 547, 535)
    placed = aligned_lines([merged, rest], labels_of(FRONT_LABELS), np.eye(3))
    assert [span.text for span in spans_in(placed, FRONT["valid"])] == ["2023-12-08", "8至长期"]


def test_a_value_character_beside_its_label_is_kept():
    # The label's line ends with the name's first character and the rest stands on its own a character further on.
    merged = _read_line("姓名张", 23, 132, 175)
    rest = _read_line("三丰", 150, 270, 180)
    placed = aligned_lines([merged, rest], labels_of(FRONT_LABELS), np.eye(3))
    assert [span.text for span in spans_in(placed, FRONT["name"])] == ["张", "三丰"]


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


def test_a_slanted_line_keeps_its_far_end_in_its_region():
    # Dark seed 140011 of robustness.py, re-straightened 4.5 degrees off: the address's first row falls 54 px from
    # its first character to its last, and the alignment turns it level. Placed level with the line's centre, its
    # last characters (栋1单) stood above the address's region and were dropped from the address.
    text = "辽宁省抚顺市芙蓉区府前街38号11栋1单"
    (x0, y0), (x1, y1), half = (110.0, 230.0), (800.0, 284.0), 11.0
    box = np.array([[x0, y0 - half], [x1, y1 - half], [x1, y1 + half], [x0, y0 + half]], np.float32)
    recognition = _evenly_read(text, float(np.hypot(x1 - x0, y1 - y0)))
    slope = (y1 - y0) / (x1 - x0)
    level = np.array([[1.0, 0.0, 0.0], [-slope, 1.0, slope * x0 - 8.0], [0.0, 0.0, 1.0]])  # card -> layout
    spans = spans_in(aligned_lines([TextLine(text, 1.0, box, recognition)], (), level), FRONT["address"])
    assert [span.text for span in spans] == [text]
