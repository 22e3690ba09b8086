"""Draws a licence page (主页 or 副页) at 15 px/mm with the value boxes as ground truth."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from synthetic import fonts
from synthetic.background import AGED_P, card_background
from synthetic.identity import LicenceData
from synthetic.layout import (
    CARD_H,
    CARD_MM,
    CARD_W,
    CORNER_RADIUS_MM,
    PX_PER_MM,
    Box,
    Label,
    PageLayout,
    Rule,
    page_layout,
)
from synthetic.text import Face, Font, Ink, fit_scale, fit_tracking, render

Colour = tuple[float, float, float]  # BGR, 0-255
PxBox = tuple[float, float, float, float]

CORNER_FILL: Colour = (170.0, 170.0, 170.0)


@dataclass(frozen=True)
class RenderedCard:
    """The card alone (BGR uint8, CARD_H x CARD_W) and its value boxes as card fractions."""

    image: np.ndarray
    boxes: dict[str, Box]
    page: str
    fmt: str


@dataclass(frozen=True)
class _Style:
    """Everything one card printer run decides: faces, sizes, inks and registration."""

    label_face: Face
    value_face: Face
    latin_face: Face
    title_face: Face
    seal_face: Face
    printer: Font  # dates, 档案编号 and digits inside text
    number_digits: Font  # 证号 (a doctored demo card may retype it in another face)
    class_font: Font
    value_size: int
    label_stroke: int
    label_ink: Colour
    value_ink: Colour
    value_blur: float
    value_stroke: int
    preprint_shift: tuple[float, float]  # how the card was cut from the printed sheet
    value_shift: tuple[float, float]  # where the card printer put the values


def render_card(
    data: LicenceData,
    page: str,
    rng: np.random.Generator,
    aged_p: float = AGED_P,
    faces: fonts.FaceSet | None = None,
) -> RenderedCard:
    layout = page_layout(page, data.fmt)
    style = _random_style(rng, faces or fonts.face_set())
    image = card_background(page, CARD_W, CARD_H, rng, aged_p)
    _draw_preprint(image, layout, style, rng)
    if page == "front":
        _draw_photo(image, _px(layout.values["photo"]), rng)
        boxes = _draw_front_values(image, data, layout, style, rng)
        boxes["issuing_authority"] = _draw_seal(image, data.issuing_authority, layout.values["seal"], style, rng)
    else:
        boxes = _draw_back_values(image, data, layout, style, rng)
    return RenderedCard(_finish(image, rng), {k: _fraction(v) for k, v in boxes.items()}, page, data.fmt)


# ---------------------------------------------------------------- style


def _dark(rng: np.random.Generator, lo: float, hi: float) -> Colour:
    """A near-neutral dark ink: grey level in [lo, hi] with a slight random tint."""
    level = rng.uniform(lo, hi)
    return tuple(float(np.clip(level + t, 0, 255)) for t in rng.normal(0, 6, 3))  # type: ignore[return-value]


def _random_style(rng: np.random.Generator, faces: fonts.FaceSet) -> _Style:
    printer_face = fonts.pick(rng, faces.printer)
    printer = fonts.sized_digits(printer_face, rng.uniform(3.2, 3.5) * PX_PER_MM, rng.uniform(1.8, 2.0) * PX_PER_MM)
    printer = printer.stroked(int(rng.choice([-2, -1, 0], p=[0.3, 0.5, 0.2])))
    number_digits = printer
    if rng.random() < 0.08:
        # The vendor demo cards retype numbers in a Times italic; real photos of them exist too.
        times_italic = Font(fonts.SERIF_ITALIC, round(rng.uniform(4.6, 5.0) * PX_PER_MM))
        number_digits = fonts.digits_like(faces.retyped_number, times_italic)
    class_face = fonts.pick(rng, faces.licence_class)
    class_font = fonts.sized_digits(class_face, rng.uniform(2.7, 3.0) * PX_PER_MM, rng.uniform(4.0, 4.5) * PX_PER_MM)
    class_font = class_font.stroked(int(rng.choice([-1, 0])))
    return _Style(
        label_face=fonts.pick(rng, faces.song),
        value_face=fonts.pick(rng, faces.song),
        latin_face=fonts.pick(rng, faces.latin),
        title_face=fonts.pick(rng, faces.title),
        seal_face=fonts.pick(rng, faces.seal),
        printer=printer,
        number_digits=number_digits,
        class_font=class_font,
        value_size=round(rng.uniform(3.7, 4.1) * PX_PER_MM),
        label_stroke=int(rng.random() < 0.3),
        label_ink=_dark(rng, 15, 45),
        value_ink=_dark(rng, 30, 70),
        value_blur=float(rng.uniform(0.4, 1.1)),
        value_stroke=int(rng.random() < 0.3),
        preprint_shift=tuple(np.clip(rng.normal(0, 2.0, 2), -5, 5)),  # type: ignore[arg-type]
        value_shift=tuple(np.clip(rng.normal(0, 3.5, 2), -8, 8)),  # type: ignore[arg-type]
    )


# ---------------------------------------------------------------- geometry and ink


def _px(box: Box) -> PxBox:
    return box[0] * CARD_W, box[1] * CARD_H, box[2] * CARD_W, box[3] * CARD_H


def _fraction(box: PxBox) -> Box:
    """Card fractions, clipped to the card (a shifted seal may hang over the edge)."""
    x0, y0, x1, y1 = np.clip(np.array(box) / (CARD_W, CARD_H, CARD_W, CARD_H), 0, 1).round(4).tolist()
    return x0, y0, x1, y1


def _stamp(image: np.ndarray, alpha: np.ndarray, x: int, y: int, colour: Colour, over: bool = False) -> None:
    """Lay ink of `colour` with coverage `alpha` (float 0-1) at (x, y), clipped to the image.

    Printing inks multiply with what is below them; `over` paints opaque light ink instead.
    """
    h, w = alpha.shape
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, image.shape[1]), min(y + h, image.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x, None]
    region = image[y0:y1, x0:x1]
    ink = np.array(colour, np.float32)
    if over:
        region += a * (ink - region)
    else:
        region *= 1 - a * (1 - ink / 255)


def _alpha(ink: Ink, blur: float = 0.0) -> np.ndarray:
    alpha = ink.mask.astype(np.float32) / 255
    if blur > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), blur)
    return alpha


def _put(image: np.ndarray, ink: Ink, x: float, bottom: float, colour: Colour, blur: float = 0.0) -> PxBox:
    """Stamp `ink` with its left edge at x and its ink bottom at `bottom`; returns its box."""
    left, top = round(x), round(bottom) - ink.height
    _stamp(image, _alpha(ink, blur), left, top, colour)
    return left, top, left + ink.width, top + ink.height


def _shift(box: PxBox, offset: tuple[float, float]) -> PxBox:
    return box[0] + offset[0], box[1] + offset[1], box[2] + offset[0], box[3] + offset[1]


def _fit_height(text: str, face: Face, height: float) -> int:
    """The em size at which `text`'s ink is `height` px tall."""
    reference = render(text, Font(face, 100))
    return max(4, round(100 * height / reference.height))


# ---------------------------------------------------------------- pre-printed stock


def _draw_preprint(image: np.ndarray, layout: PageLayout, style: _Style, rng: np.random.Generator) -> None:
    """Everything on the blank stock: titles, labels, the 证号 box, rules and the class frame."""
    shift = style.preprint_shift
    _draw_titles(image, layout, style, rng)
    _draw_number_box(image, _shift(_px(layout.number_box), shift), style, rng)
    for label in layout.labels:
        _draw_label(image, label, style, shift, rng)
    for rule in layout.rules:
        _draw_rule(image, rule, shift, style.label_ink, rng)
    if "class_box" in layout.values:
        x0, y0, x1, y1 = (round(v) for v in _shift(_px(layout.values["class_box"]), shift))
        cv2.rectangle(image, (x0, y0), (x1, y1), style.label_ink, 2, cv2.LINE_AA)


def _draw_titles(image: np.ndarray, layout: PageLayout, style: _Style, rng: np.random.Generator) -> None:
    """The bold Chinese title spaced out to its box, and the English one fitted below it."""
    x0, y0, x1, y1 = _shift(_px(layout.title_cn), style.preprint_shift)
    font = Font(style.title_face, _fit_height("中华人民共和国", style.title_face, y1 - y0))
    _put(image, render(layout.title, fit_tracking(layout.title, font, x1 - x0)), x0, y1, style.label_ink)
    if layout.title_en is not None:
        x0, _, x1, y1 = _shift(_px(layout.title_en), style.preprint_shift)
        text = "Driving License of the People's Republic of China"
        font = Font(style.latin_face, round(rng.uniform(2.6, 2.8) * PX_PER_MM))
        _put(image, render(text, fit_scale(text, font, x1 - x0, 0.7, 1.3)), x0, y1, style.label_ink, blur=0.4)


def _draw_number_box(image: np.ndarray, box: PxBox, style: _Style, rng: np.random.Generator) -> None:
    """The grey 证号 box with light knocked-out characters."""
    x0, y0, x1, y1 = (round(v) for v in box)
    fill = _dark(rng, 85, 125)
    fill = (fill[0] + rng.uniform(-8, 8), fill[1] - rng.uniform(0, 8), fill[2] + rng.uniform(0, 12))
    _stamp(image, np.full((y1 - y0, x1 - x0), rng.uniform(0.85, 1.0), np.float32), x0, y0, fill, over=True)
    font = Font(style.title_face, _fit_height("证号", style.title_face, (y1 - y0) * rng.uniform(0.62, 0.72)))
    width = (x1 - x0) * rng.uniform(0.62, 0.75)
    ink = render("证号", fit_tracking("证号", font, width))
    light = _dark(rng, 200, 235)
    left = x0 + (x1 - x0 - ink.width) / 2
    top = y0 + (y1 - y0 - ink.height) / 2
    _stamp(image, _alpha(ink, 0.5), round(left), round(top), light, over=True)


def _draw_label(
    image: np.ndarray, label: Label, style: _Style, shift: tuple[float, float], rng: np.random.Generator
) -> None:
    x0, _, x1, y1 = _shift(_px(label.cn_box), shift)
    # The measured boxes are wider than tall per character, so the width sets the size.
    font = Font(style.label_face, round((x1 - x0) / (len(label.cn) - 0.1)), stroke=style.label_stroke)
    ink = render(label.cn, fit_tracking(label.cn, font, x1 - x0))
    _put(image, ink, x0, y1, style.label_ink, blur=0.35)
    if label.en:
        en = render(label.en, Font(style.latin_face, round(rng.uniform(1.95, 2.15) * PX_PER_MM)))
        x = label.en_x * CARD_W + shift[0]
        baseline = label.en_baseline * CARD_H + shift[1]
        _put(image, en, x, baseline - en.baseline + en.height, style.label_ink, blur=0.35)


def _draw_rule(
    image: np.ndarray, rule: Rule, shift: tuple[float, float], ink: Colour, rng: np.random.Generator
) -> None:
    x0, x1 = round(rule.x0 * CARD_W + shift[0]), round(rule.x1 * CARD_W + shift[0])
    y = round(rule.y * CARD_H + shift[1])
    period = rng.uniform(0.55, 0.8) * PX_PER_MM
    dash = period if rule.solid else period * rng.uniform(0.45, 0.65)
    on = ((np.arange(x1 - x0) % period) < dash).astype(np.float32) * 0.85
    _stamp(image, np.repeat(on[None, :], 2, axis=0), x0, y, ink)


# ---------------------------------------------------------------- printed values


def _value_jitter(style: _Style, rng: np.random.Generator) -> tuple[float, float]:
    jitter = rng.uniform(-1.5, 1.5, 2)
    return style.value_shift[0] + jitter[0], style.value_shift[1] + jitter[1]


def _print(image: np.ndarray, ink: Ink, box: Box, style: _Style, rng: np.random.Generator) -> PxBox:
    """Print a value at its layout place (left edge, ink bottom), with the printer's jitter."""
    dx, dy = _value_jitter(style, rng)
    x0, _, _, y1 = _px(box)
    return _put(image, ink, x0 + dx, y1 + dy, style.value_ink, style.value_blur)


def _sub_box(ink: Ink, placed: PxBox, start: int, stop: int) -> PxBox:
    c0, c1 = ink.columns(start, stop)
    return placed[0] + c0, placed[1], placed[0] + c1, placed[3]


def _value_font(style: _Style, tracking_em: float = 0.0) -> Font:
    return Font(
        style.value_face,
        style.value_size,
        1.0,
        tracking_em * style.value_size,
        style.value_stroke,
        fonts.SONG,
    )


def _name_font(style: _Style, length: int, rng: np.random.Generator) -> Font:
    """Card printers spread names out and often stretch them wide."""
    tracking = rng.uniform(0.1, 0.5) if length < 4 else rng.uniform(0.0, 0.15)
    stretch = rng.uniform(1.0, 1.35) if length < 4 else rng.uniform(0.9, 1.1)
    return _value_font(style, tracking).scaled(stretch)


def _draw_holder(
    image: np.ndarray, data: LicenceData, layout: PageLayout, style: _Style, rng: np.random.Generator
) -> dict[str, PxBox]:
    """证号 and name: printed on both pages, the same way."""
    v = layout.values
    return {
        "number": _print(image, render(data.number, style.number_digits), v["number"], style, rng),
        "name": _print(image, render(data.name, _name_font(style, len(data.name), rng)), v["name"], style, rng),
    }


def _draw_front_values(
    image: np.ndarray, data: LicenceData, layout: PageLayout, style: _Style, rng: np.random.Generator
) -> dict[str, PxBox]:
    v = layout.values
    boxes = _draw_holder(image, data, layout, style, rng)
    boxes["sex"] = _print(image, render(data.sex, _value_font(style)), v["sex"], style, rng)
    nationality = render(data.nationality, _value_font(style, rng.uniform(0.0, 0.3)))
    boxes["nationality"] = _print(image, nationality, v["nationality"], style, rng)
    boxes["address"] = _draw_address(image, data.address, layout, style, rng)
    boxes["birth"] = _print(image, render(data.birth.isoformat(), style.number_digits), v["birth"], style, rng)
    boxes["issue_date"] = _print(image, render(data.issue_date.isoformat(), style.printer), v["issue_date"], style, rng)
    boxes["class"] = _draw_class(image, data.licence_class, _px(v["class_box"]), style, rng)
    if data.fmt == "old":
        boxes["valid_from"] = _print(
            image, render(data.valid_from.isoformat(), style.printer), v["valid_from"], style, rng
        )
        valid_for = render(data.valid_for_text, _value_font(style), style.printer)
        boxes["valid_to"] = _print(image, valid_for, v["valid_for"], style, rng)
    else:
        head = f"{data.valid_from.isoformat()} 至 "
        ink = render(head + data.valid_to_text, _value_font(style), style.printer)
        placed = _print(image, ink, v["valid"], style, rng)
        boxes["valid_from"] = _sub_box(ink, placed, 0, 10)
        boxes["valid_to"] = _sub_box(ink, placed, len(head), len(head) + len(data.valid_to_text))
    return boxes


def _draw_address(
    image: np.ndarray, address: str, layout: PageLayout, style: _Style, rng: np.random.Generator
) -> PxBox:
    """The address on one line, or wrapped onto the second line when it does not fit."""
    font = _value_font(style, rng.uniform(-0.02, 0.06))
    digits = style.printer if rng.random() < 0.5 else None
    first = _px(layout.values["address"])
    limit = first[2] - first[0]
    split = len(address)
    while split > 1 and render(address[:split], font, digits).width > limit:
        split -= 1
    box = _print(image, render(address[:split], font, digits), layout.values["address"], style, rng)
    if split < len(address):
        second = _print(image, render(address[split:], font, digits), layout.values["address_2"], style, rng)
        box = (min(box[0], second[0]), box[1], max(box[2], second[2]), second[3])
    return box


def _draw_class(image: np.ndarray, code: str, frame: PxBox, style: _Style, rng: np.random.Generator) -> PxBox:
    """The class code in the extended printer face, centred in its frame."""
    ink = render(code, style.class_font)
    dx, dy = _value_jitter(style, rng)
    cx = (frame[0] + frame[2]) / 2 + dx + rng.uniform(-0.8, 0.8) * PX_PER_MM
    cy = (frame[1] + frame[3]) / 2 + dy
    return _put(image, ink, cx - ink.width / 2, cy + ink.height / 2, style.value_ink, style.value_blur)


def _draw_back_values(
    image: np.ndarray, data: LicenceData, layout: PageLayout, style: _Style, rng: np.random.Generator
) -> dict[str, PxBox]:
    v = layout.values
    boxes = _draw_holder(image, data, layout, style, rng)
    boxes["file_number"] = _print(image, render(data.file_number, style.number_digits), v["file_number"], style, rng)
    if data.record:
        boxes["record"] = _print(
            image, render(data.record, _value_font(style, -0.02), style.printer), v["record"], style, rng
        )
    return boxes


# ---------------------------------------------------------------- seal and photo


def seal_lines(authority: str) -> list[str]:
    """Three lines that break mid-word, the longer lines last (广东省深圳/市公安局交/通警察支队)."""
    base, extra = divmod(len(authority), 3)
    lengths = [base + (i >= 3 - extra) for i in range(3)]
    starts = np.cumsum([0, *lengths])
    return [authority[starts[i] : starts[i + 1]] for i in range(3)]


def _draw_seal(image: np.ndarray, authority: str, box: Box, style: _Style, rng: np.random.Generator) -> PxBox:
    x0, y0, x1, y1 = _px(box)
    size = round((x1 - x0 + y1 - y0) / 2 * rng.uniform(0.96, 1.04))
    canvas = np.zeros((size, size), np.uint8)
    frame = round(rng.uniform(0.45, 0.75) * PX_PER_MM)
    cv2.rectangle(canvas, (frame // 2, frame // 2), (size - 1 - frame // 2, size - 1 - frame // 2), 255, frame)
    margin = frame + rng.uniform(0.4, 0.9) * PX_PER_MM
    inner = size - 2 * margin
    line_h = inner / 3
    font = Font(
        style.seal_face, _fit_height("国", style.seal_face, min(line_h * 0.78, rng.uniform(3.3, 3.8) * PX_PER_MM))
    )
    for i, line in enumerate(seal_lines(authority)):
        natural = render(line, font)
        fitted = fit_scale(line, font, inner, 0.4, 1.0) if natural.width > inner else fit_tracking(line, font, inner)
        ink = render(line, fitted)
        top = round(margin + (i + 0.5) * line_h - ink.height / 2)
        left = round(margin + (inner - ink.width) / 2)
        region = canvas[top : top + ink.height, left : left + ink.width]
        np.maximum(region, ink.mask[: region.shape[0], : region.shape[1]], out=region)
    alpha = _washed_out(canvas, rng)
    # The seal sometimes lands off its spot and over the neighbouring labels.
    dx = rng.normal(0, 0.6) * PX_PER_MM + (rng.uniform(0.5, 2.5) * PX_PER_MM if rng.random() < 0.2 else 0)
    dy = rng.normal(0, 0.6) * PX_PER_MM
    left, top = round(x0 + dx), round(y0 + dy)
    red = (rng.uniform(55, 95), rng.uniform(50, 85), rng.uniform(215, 245))
    _stamp(image, alpha, left, top, red)
    return left, top, left + size, top + size


def _washed_out(mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Seal coverage with uneven ink: a slow fade plus speckle, and a hint of rotation."""
    size = mask.shape[0]
    if rng.random() < 0.5:
        mask = cv2.dilate(mask, np.ones((2, 2), np.uint8))
    angle = rng.normal(0, 0.6)
    rotation = cv2.getRotationMatrix2D((size / 2, size / 2), angle, 1.0)
    alpha = cv2.warpAffine(mask, rotation, (size, size)).astype(np.float32) / 255
    slow = cv2.resize(rng.uniform(0, 1, (4, 4)).astype(np.float32), (size, size), interpolation=cv2.INTER_CUBIC)
    fade = rng.uniform(0.0, 0.45)
    speckle = rng.uniform(0.75, 1.0, (size // 3, size // 3)).astype(np.float32)
    speckle = cv2.resize(speckle, (size, size), interpolation=cv2.INTER_NEAREST)
    alpha *= np.clip(1 - fade * slow, 0, 1) * speckle * rng.uniform(0.8, 1.0)
    return cv2.GaussianBlur(alpha, (0, 0), 0.7)


def _draw_photo(image: np.ndarray, box: PxBox, rng: np.random.Generator) -> None:
    """A head-and-shoulders silhouette on a light background (no real face)."""
    x0, y0, x1, y1 = (round(v) for v in box)
    w, h = x1 - x0, min(y1, CARD_H) - y0
    backdrop = rng.choice([[245, 245, 245], [240, 222, 200], [232, 232, 228], [250, 238, 225]])
    photo = np.empty((h, w, 3), np.float32)
    photo[:] = np.array(backdrop, np.float32) + rng.normal(0, 4, 3)
    cx = w / 2 + rng.uniform(-0.06, 0.06) * w
    head_y, head_rx, head_ry = h * rng.uniform(0.4, 0.46), w * rng.uniform(0.19, 0.24), h * rng.uniform(0.15, 0.19)
    clothes = tuple(float(c) for c in rng.uniform(20, 200, 3))
    skin = tuple(float(c) for c in np.array([150, 175, 215]) * rng.uniform(0.7, 1.05) + rng.normal(0, 8, 3))
    hair = tuple(float(c) for c in rng.uniform(10, 70) + rng.normal(0, 5, 3))
    shoulders = (w * rng.uniform(0.5, 0.6), h * rng.uniform(0.28, 0.34))
    _ellipse(photo, (cx, h * 1.02), shoulders, clothes, upper_half=True)
    neck = (round(cx - head_rx * 0.5), round(head_y)), (round(cx + head_rx * 0.5), round(h * 0.76))
    cv2.rectangle(photo, *neck, skin, -1)
    _ellipse(photo, (cx, head_y - head_ry * 0.12), (head_rx * 1.08, head_ry * 1.05), hair)
    _ellipse(photo, (cx, head_y + head_ry * 0.08), (head_rx, head_ry), skin)
    _ellipse(photo, (cx, head_y - head_ry * 0.55), (head_rx * 1.02, head_ry * 0.5), hair, upper_half=True)
    image[y0 : y0 + h, x0 : x0 + w] = cv2.GaussianBlur(photo, (0, 0), 1.2)


def _ellipse(
    image: np.ndarray, centre: tuple[float, float], axes: tuple[float, float], colour: tuple, upper_half: bool = False
) -> None:
    centre_px, axes_px = (round(centre[0]), round(centre[1])), (round(axes[0]), round(axes[1]))
    cv2.ellipse(image, centre_px, axes_px, 0, 180 if upper_half else 0, 360, colour, -1, cv2.LINE_AA)


def _finish(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Soften like print on card stock, quantise, and fill outside the rounded corners."""
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 0.7))
    card = np.clip(image, 0, 255).astype(np.uint8)
    card[~rounded_mask(CARD_W, CARD_H)] = np.array(CORNER_FILL, np.uint8)
    return card


@cache
def rounded_mask(width: int, height: int) -> np.ndarray:
    """True inside a card of this size with its rounded corners (shared: do not modify)."""
    radius = round(CORNER_RADIUS_MM / CARD_MM[0] * width)
    mask = np.zeros((height, width), np.uint8)
    cv2.rectangle(mask, (radius, 0), (width - 1 - radius, height - 1), 255, -1)
    cv2.rectangle(mask, (0, radius), (width - 1, height - 1 - radius), 255, -1)
    for cx in (radius, width - 1 - radius):
        for cy in (radius, height - 1 - radius):
            cv2.circle(mask, (cx, cy), radius, 255, -1, cv2.LINE_AA)
    inside = mask > 127
    inside.flags.writeable = False
    return inside
