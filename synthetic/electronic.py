"""Phone screenshots of the electronic driving licence (电子驾驶证, shown by the 交管12123 app).

The app draws the licence as a panel of label/value rows with a QR code, a generation time and a ticking current
time under it. App versions and phones differ, so every screenshot varies the screen size, the theme, the
fonts, the label wording, whether a value stands beside or under its label, and the clutter around the panel
(status bar, title bar, notes). Nothing here copies a real screen's pixels; the fields and their formats are
those Huawei's and Tencent's APIs document for electronic licences.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from synthetic.fonts import FaceSet, face_set
from synthetic.identity import random_licence
from synthetic.text import pil_font


STATUSES = ("正常", "违法未处理", "逾期未审验", "逾期未换证", "超分", "暂扣", "延期换证")
WIDTHS = (720, 1080, 1170, 1242, 1440)
THEMES = (  # panel fill (RGB), accent for the title bar
    ((232, 241, 252), (30, 111, 217)),
    ((228, 246, 244), (18, 150, 136)),
    ((255, 255, 255), (36, 94, 181)),
    ((238, 244, 233), (56, 142, 60)),
)


@dataclass(frozen=True)
class ElectronicSample:
    """A screenshot and what it shows, in the API's names; status is a list, as the API returns it."""

    image: np.ndarray  # BGR uint8
    truth: dict[str, str | list[str]]


def make_electronic_sample(seed: int, faces: str = "development") -> ElectronicSample:
    """A deterministic screenshot; `faces` is one of synthetic.fonts.FACE_SETS."""
    rng = np.random.default_rng(seed)
    data = random_licence(rng, "new")
    scores = int(rng.choice(13, p=_score_weights()))
    status = ["正常"] if rng.random() < 0.75 else [str(s) for s in rng.choice(STATUSES[1:], int(rng.integers(1, 3)), replace=False)]
    now = dt.datetime(2026, 1, 1) + dt.timedelta(seconds=int(rng.integers(0, 330 * 86400)))
    generated = now - dt.timedelta(seconds=int(rng.integers(60, 90 * 86400)))
    with_time = rng.random() < 0.5
    truth: dict[str, str | list[str]] = {
        "number": data.number,
        "name": data.name,
        "sex": data.sex,
        "nationality": data.nationality,
        "address": data.address,
        "birth": data.birth.isoformat(),
        "issue_date": data.issue_date.isoformat(),
        "class": data.licence_class,
        "valid_from": data.valid_from.isoformat(),
        "valid_to": data.valid_to_text,
        "file_number": data.file_number,
        "accumulated_scores": str(scores),
        "status": status,
        "generation_date": generated.strftime("%Y-%m-%d %H:%M:%S" if with_time else "%Y-%m-%d"),
        "current_time": now.strftime("%Y-%m-%d %H:%M:%S"),
    }
    return ElectronicSample(_render(truth, rng, face_set(faces)), truth)


def _score_weights() -> np.ndarray:
    weights = np.array([40, 3, 6, 8, 3, 2, 6, 1, 1, 3, 1, 1, 2], float)
    return weights / weights.sum()


def _render(truth: dict[str, str | list[str]], rng: np.random.Generator, faces: FaceSet) -> np.ndarray:
    width = int(rng.choice(WIDTHS))
    screen_height = int(width * rng.uniform(2.0, 2.22))
    height = int(width * 3)  # drawn tall, then cut to the screen (or longer, as a scrolling screenshot is)
    s = width / 1080
    panel, accent = THEMES[int(rng.integers(len(THEMES)))]
    page = (242, 243, 245) if rng.random() < 0.7 else (255, 255, 255)
    image = Image.new("RGB", (width, height), page)
    draw = ImageDraw.Draw(image)
    face = faces.app[int(rng.integers(len(faces.app)))][0]
    bold = faces.app_bold
    text_size = round(rng.uniform(38, 46) * s)
    label_colour = tuple(int(v) for v in rng.integers(110, 150, 3))
    value_colour = tuple(int(v) for v in rng.integers(20, 50, 3))

    def write(x: float, y: float, text: str, size: int, colour, font=face) -> float:
        draw.text((x, y), text, fill=colour, font=pil_font(font, size))
        return draw.textlength(text, font=pil_font(font, size))

    # Status bar and title bar: clutter the reader has to ignore.
    write(40 * s, 18 * s, f"{int(rng.integers(0, 24)):02d}:{int(rng.integers(0, 60)):02d}", round(34 * s), (20, 20, 20))
    write(width - 150 * s, 18 * s, f"{int(rng.integers(5, 100))}%", round(30 * s), (20, 20, 20))
    draw.rectangle((0, 90 * s, width, 230 * s), fill=accent)
    title = "电子驾驶证" if rng.random() < 0.6 else "机动车驾驶证电子版"
    title_size = round(50 * s)
    title_width = draw.textlength(title, font=pil_font(bold, title_size))
    write((width - title_width) / 2, 130 * s, title, title_size, (255, 255, 255), bold)
    write(40 * s, 125 * s, "<", title_size, (255, 255, 255), bold)

    left, right = 50 * s, width - 50 * s
    top = 280 * s
    rows = _rows(truth, rng)
    stacked = rng.random() < 0.35  # label above its value instead of beside it
    row_height = text_size * (2.6 if stacked else 1.75)
    label_font = pil_font(face, round(text_size * 0.9))
    label_width = max(draw.textlength(label + "：", font=label_font) for label, _ in rows)
    value_x = left + 40 * s + (0 if stacked else label_width + text_size * rng.uniform(0.5, 1.5))
    # The holder's photo sits beside the heading; the rows start under it. Long values (the address) wrap.
    photo = (right - 230 * s, top + 40 * s, right - 50 * s, top + 280 * s)
    value_font = pil_font(face, text_size)
    laid_out = []
    y = top + 320 * s
    for label, value in rows:
        lines = _wrap(value, value_font, right - 30 * s - value_x, draw)
        laid_out.append((label, lines, y))
        y += row_height + (len(lines) - 1) * text_size * 1.3
    bottom = y + text_size
    draw.rounded_rectangle((left, top, right, bottom), radius=round(30 * s), fill=panel)
    heading = "中华人民共和国机动车驾驶证"
    write(left + 40 * s, top + 40 * s, heading, round(text_size * 1.05), value_colour, bold)
    draw.rectangle(photo, fill=(205, 212, 222))
    draw.ellipse((photo[0] + 50 * s, photo[1] + 40 * s, photo[2] - 50 * s, photo[1] + 140 * s), fill=(150, 158, 170))
    sep = "：" if rng.random() < 0.5 else ""
    for label, lines, y in laid_out:
        value_top = y + text_size * 1.05 if stacked else y
        write(left + 40 * s, y, label if stacked else label + sep, round(text_size * (0.8 if stacked else 0.9)), label_colour)
        for i, line in enumerate(lines):
            write(value_x, value_top + i * text_size * 1.3, line, text_size, value_colour)

    # The QR code, then the two times under it.
    qr = round(380 * s)
    qx, qy = (width - qr) / 2, bottom + 60 * s
    modules = rng.random((29, 29)) < 0.5
    cell = qr / 29
    for (r, c) in zip(*np.nonzero(modules)):
        draw.rectangle((qx + c * cell, qy + r * cell, qx + (c + 1) * cell, qy + (r + 1) * cell), fill=(0, 0, 0))
    y = qy + qr + 50 * s
    for label, value in (("生成时间", str(truth["generation_date"])), ("当前时间", str(truth["current_time"]))):
        text = f"{label}：{value}"
        text_width = draw.textlength(text, font=pil_font(face, round(text_size * 0.85)))
        write((width - text_width) / 2, y, text, round(text_size * 0.85), label_colour)
        y += text_size * 1.6
    if rng.random() < 0.5:
        write(left, y + 20 * s, "请在有效期内使用，截图无效", round(30 * s), label_colour)
        y += 80 * s
    pixels = np.asarray(image)[: max(screen_height, int(y + 60 * s)), :, ::-1]
    return np.ascontiguousarray(pixels)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float, draw: ImageDraw.ImageDraw) -> list[str]:
    lines = [""]
    for ch in text:
        if lines[-1] and draw.textlength(lines[-1] + ch, font=font) > width:
            lines.append("")
        lines[-1] += ch
    return lines


def _rows(truth: dict[str, str | list[str]], rng: np.random.Generator) -> list[tuple[str, str]]:
    number_label = "证号" if rng.random() < 0.7 else "驾驶证号"
    rows = [
        (number_label, str(truth["number"])),
        ("姓名", str(truth["name"])),
        ("性别", str(truth["sex"])),
        ("国籍", str(truth["nationality"])),
        ("住址", str(truth["address"])),
        ("出生日期", str(truth["birth"])),
        ("初次领证日期", str(truth["issue_date"])),
        ("准驾车型", str(truth["class"])),
    ]
    if rng.random() < 0.5:
        rows.append(("有效期限", f"{truth['valid_from']}至{truth['valid_to']}"))
    else:
        rows += [("有效期起始日期", str(truth["valid_from"])), ("有效期截止日期", str(truth["valid_to"]))]
    rows += [
        ("档案编号", str(truth["file_number"])),
        ("累积记分", f"{truth['accumulated_scores']}分" if rng.random() < 0.6 else str(truth["accumulated_scores"])),
        ("状态", "、".join(truth["status"])),
    ]
    return rows
