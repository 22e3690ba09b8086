"""Card -> CardText: detect, turn upright, recognise, and tell which page it is."""

from __future__ import annotations

import re

import cv2
import numpy as np

from models import OcrEngine, Recognition
from models.shapes import CARD_DETECTION_SIZE

from .align import TITLE_EDITS, layout_to_card
from .extract.lines import Label, infix_distance, labels_of
from .gazetteer import REGION_NAMES
from .layout import ENGLISH_UNDER, LABELS_OVER_ENGLISH, Region
from .straighten import turned_half
from .types import CARD_H, CARD_W, Card, CardText, Page, TextLine
from .validate import class_is_valid

DET_SIZE = CARD_DETECTION_SIZE

# Printed labels that only one page carries. 住址/Address are left out: the vehicle licence (行驶证), the
# likeliest wrong upload, prints them too.
_PAGE_WORDS: dict[Page, tuple[Label, ...]] = {
    # The seal's words (公安局, 交通警察) are front-page evidence that survives blur: large and bold.
    "front": labels_of(
        ("出生日期", "初次领证", "准驾车型", "有效期限", "国籍", "性别", "Nationality", "Class", "驾驶证", "公安局", "交通警察")
    ),
    "back": labels_of(("中华人民共和国机动车驾驶证副页", "副页", "档案编号", "记录", "驾驶证")),
}
_OTHER_DOCUMENTS = ("行驶证", "身份证", "居民身份")
# Both pages' title. Blur garbles it as a whole (中华人民共和机动车军驶证) rather than word by word, so it counts,
# like 驾驶证, for both pages when it reads within a few edits (align.TITLE_EDITS).
_TITLE = "中华人民共和国机动车驾驶证"
# Only a front page prints dates (birth, first issue, validity from and to): two of them count as one more front
# word, for when blur has taken the small labels but the large values still read. Dashes required: validate's looser
# DATE_PATTERN would also find a date inside the 证号, which the back page prints too.
_DATE = re.compile(r"(?:19|20)\d{2}-\d{2}-\d{2}")


def _crop_geometry(quad: np.ndarray) -> tuple[np.ndarray, int, int]:
    """The perspective transform that lays `quad` flat, and the flat crop's width and height."""
    w = max(4, int(round(max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])))))
    h = max(4, int(round(max(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])))))
    target = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    return cv2.getPerspectiveTransform(quad.astype(np.float32), target), w, h


def crop_quad(pixels: np.ndarray, quad: np.ndarray) -> np.ndarray:
    m, w, h = _crop_geometry(quad)
    return cv2.warpPerspective(pixels, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _turn_quad(quad: np.ndarray) -> np.ndarray:
    turned = np.stack([CARD_W - quad[:, 0], CARD_H - quad[:, 1]], axis=1)
    return np.roll(turned, 2, axis=0).astype(np.float32)


# The classifier's cost grows with the lines it is shown, its vote is weighted by length, and the longest lines
# (the title, the 证号, the address, the dates) are the ones it reads surely: the longest few decide.
VOTERS = 8


def upside_down_vote(engine: OcrEngine, crops: list[np.ndarray]) -> float:
    """Share of text (weighted by length) the direction classifier sees upside down, among the longest lines."""
    long_crops = [c for c in crops if c.shape[1] >= 2.5 * c.shape[0]] or crops
    long_crops = sorted(long_crops, key=lambda c: c.shape[1], reverse=True)[:VOTERS]
    if not long_crops:
        return 0.0
    probs = engine.classifier(long_crops)
    weights = np.array([c.shape[1] for c in long_crops], dtype=np.float64)
    return float((probs > 0.5) @ weights / weights.sum())


def _garbled_title(lines: tuple[TextLine, ...]) -> bool:
    return any(infix_distance(_TITLE, line.text) <= TITLE_EDITS for line in lines)


def shows_licence(lines: tuple[TextLine, ...]) -> bool:
    """The lines name a driving licence (驾驶证, or its title within a few edits), whether or not its page can be told."""
    text = "".join(line.text for line in lines)
    return not any(word in text for word in _OTHER_DOCUMENTS) and ("驾驶证" in text or _garbled_title(lines))


# The back page's title is the front's with 副页 after it. Blur can garble those two characters beyond any label
# (翻费), but the front's title ends at 驾驶证: two more characters after it still say which page.
_TITLE_END = Label.of("机动车驾驶证")
_BACK_TITLE_TAIL = re.compile(r"[\u4e00-\u9fff]{2}")


def _back_title(lines: tuple[TextLine, ...]) -> bool:
    for line in lines:
        text = "".join(line.text.split())
        ends = _TITLE_END.find_all(text)
        if ends and _BACK_TITLE_TAIL.fullmatch(text[ends[-1][1] :]):
            return True
    return False


def page_of(lines: tuple[TextLine, ...]) -> Page | None:
    text = "".join(line.text for line in lines)
    if any(word in text for word in _OTHER_DOCUMENTS):
        return None
    scores = {page: sum(bool(word.find_all(text)) for word in words) for page, words in _PAGE_WORDS.items()}
    if "驾驶证" not in text and _garbled_title(lines):
        scores = {page: score + 1 for page, score in scores.items()}
    scores["front"] += len(_DATE.findall(text)) >= 2
    # Only a front page names a place (the address, the seal's authority): a province read whole counts as one
    # more front word, for when blur has taken the labels but the large address still reads.
    scores["front"] += any(region in text for region in REGION_NAMES)
    # Only a front page prints a vehicle class as a line of its own (准驾车型's box); the back's records write it
    # inside a sentence (增驾B2). With a digit, so that a stray letter (D, E, M) does not count.
    scores["front"] += any(class_is_valid(line.text) and any(ch.isdigit() for ch in line.text) for line in lines)
    back_title = _back_title(lines)
    scores["back"] += back_title
    if scores["back"] > 1 and (_PAGE_WORDS["back"][0].find_all(text) or "副页" in text or back_title):
        return "back"
    best = max(scores, key=lambda p: scores[p])
    return best if scores[best] >= 2 else None


# Detection boxes sometimes stop inside a line's first or last character (a sparse 广, a thin 1): every box
# is widened by this share of its height at both ends before it is recognised.
END_PAD = 0.15


def widen(quad: np.ndarray, share: float = END_PAD, bounds: tuple[int, int] = (CARD_W, CARD_H)) -> np.ndarray:
    top, bottom = quad[1] - quad[0], quad[2] - quad[3]
    height = float(np.linalg.norm(quad[3] - quad[0]))
    along = (top + bottom) / max(float(np.linalg.norm(top + bottom)), 1e-6)
    pad = along * height * share
    widened = np.array([quad[0] - pad, quad[1] + pad, quad[2] + pad, quad[3] - pad], np.float32)
    widened[:, 0] = np.clip(widened[:, 0], 0, bounds[0] - 1)
    widened[:, 1] = np.clip(widened[:, 1], 0, bounds[1] - 1)
    return widened


def _turned(
    card: Card, quads: list[np.ndarray], crops: list[np.ndarray]
) -> tuple[Card, list[np.ndarray], list[np.ndarray]]:
    """The card, its line boxes and their crops, all turned 180 degrees: no need to detect again."""
    return turned_half(card), [_turn_quad(q) for q in quads], [cv2.rotate(c, cv2.ROTATE_180) for c in crops]


def read_card(engine: OcrEngine, card: Card) -> CardText:
    boxes = engine.detector(card.pixels, DET_SIZE)
    quads = [widen(b.quad) for b in boxes]
    crops = [crop_quad(card.pixels, q) for q in quads]
    if upside_down_vote(engine, crops) > 0.5:
        card, quads, crops = _turned(card, quads, crops)
    text = _recognise_upright(engine, card, quads, crops)
    if text.page is None and quads:
        # The classifier can be fooled by a card that is mostly short lines; the other way up costs one more pass.
        other = _recognise_upright(engine, *_turned(card, quads, crops))
        if other.page is not None:
            return other
    return text


# The front page's English title (Driving License of the People's Republic of China) is its widest line, about a
# tenth of the recogniser's work on the page, and says nothing the Chinese title does not. It stands under the
# title like an English label under its Chinese one, and is left out by where it stands, even where blur has
# garbled the title beyond reading as a label: the title is the top line, as wide as no label, high on the card.
TITLE_ZONE = 0.2  # of the card's height: where the top line must stand
TITLE_MIN_WIDTH = 0.4  # of the card's width


def title_line(quads: list[np.ndarray]) -> int | None:
    """The line that stands where the title does: the highest of those wide enough, in the top of the card."""
    wide = [
        i
        for i, q in enumerate(quads)
        if q[:, 0].max() - q[:, 0].min() >= TITLE_MIN_WIDTH * CARD_W and q[:, 1].max() <= TITLE_ZONE * CARD_H
    ]
    return min(wide, key=lambda i: float(quads[i][:, 1].min() + quads[i][:, 1].max()), default=None)


# The front's English labels (Name, Date of Birth, Valid Period...) stand right under their Chinese label, from the
# same left edge: a fifth of the recogniser's work on a front page, for nothing the Chinese label does not say. A
# line so placed waits while the others are read. Under a line that begins with a Chinese label it is that label's
# English, known without reading it (layout.ENGLISH_UNDER: a page word and an anchor like any label, or left out
# where the two formats differ); under any other line it is read.
UNDER_GAP = (0.02, 0.075)  # of the card's height, from the centre of the line above to the line's own
SAME_START = 0.03  # of the card's width
NOT_TALLER = 1.1  # times the line above's height: the Chinese labels' type is the larger, or as large
_LABELS_OVER_ENGLISH = labels_of(LABELS_OVER_ENGLISH)


def stacked_under(quads: list[np.ndarray]) -> dict[int, int]:
    """Each line that stands right under another from the same left edge, in the same or a smaller type -> that
    line, the nearest such; only where the line above does not itself stand so under a third."""
    boxes = [(float(q[:, 0].min()), float(q[:, 1].min()), float(q[:, 1].max())) for q in quads]
    under: dict[int, int] = {}
    for i, (x0, y0, y1) in enumerate(boxes):
        above = [
            j
            for j, (ax0, ay0, ay1) in enumerate(boxes)
            if j != i
            and abs(x0 - ax0) <= SAME_START * CARD_W
            and UNDER_GAP[0] * CARD_H <= (y0 + y1 - ay0 - ay1) / 2 <= UNDER_GAP[1] * CARD_H
            and y1 - y0 <= NOT_TALLER * (ay1 - ay0)
        ]
        if above:
            under[i] = max(above, key=lambda j: boxes[j][1] + boxes[j][2])
    return {i: j for i, j in under.items() if j not in under}


def leading_label(text: str) -> str | None:
    """The Chinese label (one with an English label under it) that a line begins with, if any."""
    for label in _LABELS_OVER_ENGLISH:
        found = label.find_all(text)
        if found and found[0][0] <= 1:
            return label.text
    return None


def _recognise_upright(engine: OcrEngine, card: Card, quads: list[np.ndarray], crops: list[np.ndarray]) -> CardText:
    """The detected lines of a card taken to be upright. The English title is left out and the English labels under
    Chinese labels that read are given as the labels' English, or left out, rather than read."""
    under = stacked_under(quads)
    title = title_line(quads)
    first = [i for i in range(len(quads)) if i not in under]
    read = dict(zip(first, engine.recognizer([crops[i] for i in first])))
    above = {i: _TITLE if j == title else leading_label(read[j].text) for i, j in under.items()}
    labelled = {i: chinese for i, chinese in above.items() if chinese}
    later = [i for i in under if i not in labelled]
    read.update(zip(later, engine.recognizer([crops[i] for i in later])))
    lines = []
    for i, quad in enumerate(quads):
        if i in labelled:
            if labelled[i] in ENGLISH_UNDER:
                lines.append(TextLine(text=ENGLISH_UNDER[labelled[i]], score=read[under[i]].score, box=quad))
        elif read[i].text.strip():
            lines.append(_read_line(quad, read[i]))
    return CardText(card=card, lines=tuple(lines), page=page_of(tuple(lines)))


def _read_line(quad: np.ndarray, recognition: Recognition, probe: bool = False) -> TextLine:
    return TextLine(text=recognition.text, score=recognition.score, box=quad, recognition=recognition, probe=probe)


def _recognise(
    engine: OcrEngine, card: Card, quads: list[np.ndarray], crops: list[np.ndarray], probe: bool = False
) -> CardText:
    recognitions = engine.recognizer(crops)
    lines = tuple(_read_line(q, r, probe) for q, r in zip(quads, recognitions) if r.text.strip())
    return CardText(card=card, lines=lines, page=page_of(lines))


def probe_regions(
    engine: OcrEngine, text: CardText, regions: dict[str, tuple[float, float, float, float]], align: np.ndarray
) -> CardText:
    """Read the layout boxes of the small values directly and add them as probe lines.

    The detector misses a lone 男/女 now and then, or merges it with its neighbours into one skewed box; a
    direct read of the box the labels place costs a few milliseconds in the same batch.
    """
    quads = [layout_to_card(align, region) for region in regions.values()]
    probed = _recognise(engine, text.card, quads, [crop_quad(text.card.pixels, q) for q in quads], probe=True)
    return CardText(card=text.card, lines=text.lines + probed.lines, page=text.page)


def reread_rows(
    engine: OcrEngine, text: CardText, rows: list[tuple[float, float, float, float]], align: np.ndarray
) -> CardText:
    """Each row (a layout box) read again as one line, in place of the lines whose centre it holds.

    Blur fades the ends of a value until the detector's box stops short of them (2019-01-10 2029-01 for 2019-01-10
    至 2029-01-10), or joins the value to the line above it; the layout says where the value's row runs.
    """
    quads = [layout_to_card(align, row) for row in rows]
    again = _recognise(engine, text.card, quads, [crop_quad(text.card.pixels, q) for q in quads])
    kept = tuple(
        line
        for line in text.lines
        if not any(cv2.pointPolygonTest(q, tuple(map(float, line.box.mean(axis=0))), False) >= 0 for q in quads)
    )
    return CardText(card=text.card, lines=kept + again.lines, page=text.page)


# The seal's red ink is faint against the card's green in a dim, noisy or blurred photo, and the detector, looking at
# the whole card, can pass it by. In the green channel the red ink is dark and the card light: the seal's box alone,
# smoothed of sensor noise and stretched to full contrast, shows the detector its lines. Of 49 seals that named no
# authority (hard tiers and robustness.py's dark row, development and held-out faces), a smoothing sigma of 2 px
# found 19 authorities and none wrong, 1.5 px 15; 2.5 px fewer and one wrong, non-local means denoising fewer still.
# Detected at one size whatever the card, so that a GPU plans it once (a seal's box is about 240 px square).
SEAL_DETECTION_SIZE = (256, 256)
SEAL_SMOOTHING = 2.0


def seal_ink(pixels: np.ndarray) -> np.ndarray:
    green = cv2.GaussianBlur(pixels[:, :, 1], (0, 0), SEAL_SMOOTHING)
    return cv2.cvtColor(cv2.normalize(green, None, 0, 255, cv2.NORM_MINMAX), cv2.COLOR_GRAY2BGR)


def read_seal(engine: OcrEngine, card: Card, region: Region, align: np.ndarray) -> tuple[TextLine, ...]:
    """The lines found in the seal's layout box on its ink alone (seal_ink), their boxes in card pixels."""
    box = layout_to_card(align, region)
    ink = seal_ink(crop_quad(card.pixels, box))
    h, w = ink.shape[:2]
    quads = [widen(found.quad, bounds=(w, h)) for found in engine.detector(ink, SEAL_DETECTION_SIZE)]
    if not quads:
        return ()
    to_card = np.linalg.inv(_crop_geometry(box)[0])
    on_card = [cv2.perspectiveTransform(q.reshape(1, 4, 2).astype(np.float64), to_card)[0] for q in quads]
    recognitions = engine.recognizer([crop_quad(ink, q) for q in quads])
    return tuple(_read_line(q.astype(np.float32), r) for q, r in zip(on_card, recognitions) if r.text.strip())
