"""Where things are printed, as fractions of the card (from design/licence-layout-fractions.json).

Boxes are tight ink boxes (x0, y0, x1, y1). For values only x0 and y1 are targets (the text
starts at x0 and its ink ends at y1); x1 bounds the width. For English labels y1 is the
baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

Box = tuple[float, float, float, float]

CARD_MM = (88.0, 60.0)
PX_PER_MM = 15
CARD_W = round(CARD_MM[0] * PX_PER_MM)
CARD_H = round(CARD_MM[1] * PX_PER_MM)
CORNER_RADIUS_MM = 3.5


@dataclass(frozen=True)
class Label:
    """A pre-printed Chinese label, fitted to cn_box, with its English line below."""

    cn: str
    cn_box: Box
    en: str = ""
    en_x: float = 0.0
    en_baseline: float = 0.0


@dataclass(frozen=True)
class Rule:
    """A ruled line under a value: y, x0, x1; dotted unless solid."""

    y: float
    x0: float
    x1: float
    solid: bool = False


@dataclass(frozen=True)
class PageLayout:
    title: str
    title_cn: Box
    title_en: Box | None
    number_box: Box
    labels: tuple[Label, ...]
    values: dict[str, Box]
    rules: tuple[Rule, ...]


_FRONT_COMMON_LABELS: tuple[Label, ...] = (
    Label("姓名", (0.052, 0.257, 0.108, 0.300), "Name", 0.053, 0.327),
    Label("国籍", (0.640, 0.253, 0.694, 0.300), "Nationality", 0.640, 0.324),
    Label("住址", (0.052, 0.352, 0.110, 0.405), "Address", 0.053, 0.437),
    Label("准驾车型", (0.275, 0.753, 0.390, 0.805), "Class", 0.277, 0.832),
)
_FRONT_NEW_LABELS: tuple[Label, ...] = (
    Label("性别", (0.477, 0.254, 0.533, 0.300), "Sex", 0.477, 0.327),
    Label("出生日期", (0.277, 0.550, 0.390, 0.600), "Date of Birth", 0.277, 0.622),
    Label("初次领证日期", (0.275, 0.648, 0.445, 0.700), "Date of First Issue", 0.278, 0.728),
    Label("有效期限", (0.057, 0.866, 0.176, 0.912), "Valid Period", 0.059, 0.940),
)
_FRONT_OLD_LABELS: tuple[Label, ...] = (
    Label("性别", (0.477, 0.254, 0.533, 0.300), "M&F", 0.483, 0.330),
    Label("出生日期", (0.277, 0.550, 0.390, 0.600), "Birthday", 0.280, 0.624),
    Label("初次领证日期", (0.275, 0.648, 0.445, 0.700), "Issue Date", 0.282, 0.730),
    Label("有效起始日期", (0.055, 0.871, 0.233, 0.910), "Valid From", 0.057, 0.942),
    Label("有效期限", (0.482, 0.866, 0.590, 0.912), "Valid For", 0.482, 0.940),
)

_FRONT_VALUES: dict[str, Box] = {
    "number": (0.418, 0.172, 0.810, 0.229),
    "name": (0.125, 0.265, 0.440, 0.329),
    "sex": (0.543, 0.269, 0.610, 0.327),
    "nationality": (0.761, 0.269, 0.900, 0.326),
    "address": (0.140, 0.355, 0.950, 0.430),
    "address_2": (0.135, 0.445, 0.720, 0.505),
    "seal": (0.040, 0.522, 0.270, 0.855),
    "birth": (0.401, 0.550, 0.720, 0.612),
    "issue_date": (0.464, 0.650, 0.720, 0.713),
    "class_box": (0.385, 0.730, 0.700, 0.832),
    "class": (0.480, 0.750, 0.610, 0.810),
    "photo": (0.750, 0.460, 0.994, 0.999),
}
_FRONT_NEW_VALUES: dict[str, Box] = {**_FRONT_VALUES, "valid": (0.201, 0.860, 0.740, 0.928)}
_FRONT_OLD_VALUES: dict[str, Box] = {
    **_FRONT_VALUES,
    "valid_from": (0.253, 0.862, 0.470, 0.917),
    "valid_for": (0.624, 0.860, 0.740, 0.916),
}

_FRONT_RULES: tuple[Rule, ...] = (
    Rule(0.335, 0.120, 0.470),
    Rule(0.335, 0.510, 0.620),
    Rule(0.335, 0.745, 0.950),
    Rule(0.440, 0.135, 0.950),
    Rule(0.510, 0.060, 0.720),
    Rule(0.625, 0.400, 0.720),
    Rule(0.725, 0.460, 0.720),
)

FRONT_NEW = PageLayout(
    title="中华人民共和国机动车驾驶证",
    title_cn=(0.198, 0.050, 0.812, 0.124),
    title_en=(0.198, 0.126, 0.810, 0.170),
    number_box=(0.289, 0.167, 0.381, 0.230),
    labels=_FRONT_COMMON_LABELS + _FRONT_NEW_LABELS,
    values=_FRONT_NEW_VALUES,
    rules=(*_FRONT_RULES, Rule(0.945, 0.180, 0.720)),
)
FRONT_OLD = PageLayout(
    title=FRONT_NEW.title,
    title_cn=FRONT_NEW.title_cn,
    title_en=FRONT_NEW.title_en,
    number_box=FRONT_NEW.number_box,
    labels=_FRONT_COMMON_LABELS + _FRONT_OLD_LABELS,
    values=_FRONT_OLD_VALUES,
    rules=(*_FRONT_RULES, Rule(0.945, 0.235, 0.470), Rule(0.945, 0.595, 0.720)),
)
BACK = PageLayout(
    title="中华人民共和国机动车驾驶证副页",
    title_cn=(0.142, 0.046, 0.843, 0.112),
    title_en=None,
    number_box=(0.280, 0.152, 0.370, 0.217),
    labels=(
        Label("姓名", (0.062, 0.272, 0.115, 0.311)),
        Label("档案编号", (0.486, 0.270, 0.600, 0.311)),
        Label("记录", (0.062, 0.414, 0.124, 0.454)),
    ),
    values={
        "number": (0.400, 0.151, 0.830, 0.211),
        "name": (0.142, 0.232, 0.440, 0.299),
        "file_number": (0.618, 0.233, 0.904, 0.291),
        "record": (0.157, 0.364, 0.925, 0.424),
    },
    rules=(
        Rule(0.310, 0.120, 0.460, solid=True),
        Rule(0.310, 0.600, 0.930),
        Rule(0.450, 0.125, 0.930),
        Rule(0.595, 0.060, 0.930),
        Rule(0.740, 0.060, 0.930),
        Rule(0.885, 0.060, 0.930),
    ),
)


def page_layout(page: str, fmt: str) -> PageLayout:
    if page == "back":
        return BACK
    if page == "front":
        return FRONT_OLD if fmt == "old" else FRONT_NEW
    raise ValueError(f"unknown page {page!r}")
