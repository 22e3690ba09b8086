"""Image and text logic: bytes -> decoded image -> cards -> upright text -> fields. No HTTP here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import cv2
import numpy as np

from models import OcrEngine

from .align import Alignment, align_page, card_by_title, layout_to_card
from .confidence import field_confidence
from .consistency import FRONT_DATES, Checked, check_back, check_front, check_pages, well_formed
from .decode import decode_image
from .deblur import motion_of, sharpened
from .electronic import (
    DETECT_WIDTH,
    ELECTRONIC_FIELDS,
    STATUS_SEPARATOR,
    extract_electronic,
    looks_like_screenshot,
    read_screen,
)
from .errors import PoorQuality, RecognitionFailed
from .extract.back import BACK_FIELDS, extract_back
from .extract.fields import FieldReading, lost_a_digit
from .extract.front import FRONT_FIELDS, extract_authority, extract_front, front_probes
from .locate import TEXT_WORK_SIDE, CardSearch, order_corners, same_quad, spans_image
from .layout import BACK_ROWS, FRONT, FRONT_ROWS, field_box
from .quality import BLURRED, NO_WARNINGS, Quality, assess
from .read import DET_SIZE, SEAL_DETECTION_SIZE, probe_regions, read_card, read_seal, reread_rows, shows_licence
from .straighten import straighten
from .timing import StageTimer
from .types import (
    DOUBLE_SIDE,
    PAGES,
    Card,
    CardQuad,
    CardText,
    DoubleReading,
    Image,
    LicenceReading,
    Page,
    ReadOptions,
    TextLine,
)
from .validate import id_is_valid

__all__ = ["DoubleReading", "LicenceReader", "LicenceReading", "ReadOptions"]

# The detector's input sizes: the straightened card; its seal; a 4:3 photo searched for text, landscape and portrait;
# a 19.5:9 phone screenshot. With fixed shapes (a GPU) all are planned at warm-up; others are planned once met.
DETECTION_SIZES = (
    DET_SIZE,
    SEAL_DETECTION_SIZE,
    (TEXT_WORK_SIDE, TEXT_WORK_SIDE * 3 // 4),
    (TEXT_WORK_SIDE * 3 // 4, TEXT_WORK_SIDE),
    (DETECT_WIDTH, DETECT_WIDTH * 39 // 18),
)
PAGE_NAMES = {"front": "front page (主页)", "back": "back page (副页)"}
PAGE_FIELDS: dict[Page, tuple[str, ...]] = {"front": FRONT_FIELDS, "back": BACK_FIELDS}
# How a card is cut out of the photo: as it is, or with a straight motion blur undone (None: no blur to undo, so
# nothing new to read).
Straighten = Callable[[Image, CardQuad], Card | None]
# With fewer fields than this the card was found but could not really be read: blur, glare, darkness.
MIN_FIELDS = {"front": 5, "back": 2}


class LicenceReader:
    """read_licence composed from its steps; holds only the shared engine, so one instance serves all threads."""

    def __init__(self, engine: OcrEngine):
        self.engine = engine

    def warm_up(self) -> None:
        self.engine.warm_up(DETECTION_SIZES)

    def read(self, data: bytes, options: ReadOptions) -> LicenceReading | DoubleReading:
        timer = StageTimer()
        with timer.stage("decode"):
            image = decode_image(data)
        if options.side != "back" and options.side != DOUBLE_SIDE and looks_like_screenshot(image):
            electronic = self._read_electronic(image, options, timer)
            if electronic is not None:
                return electronic
        search = CardSearch(image, self.engine.detector)
        if options.side == DOUBLE_SIDE:
            # Each search reads the likelier card first (the seal's red), so each card is read once.
            front, back = (self._read_page(search, page, options, timer) for page in PAGES)
            with timer.stage("extract"):
                front_checked, back_checked = check_pages(front.checked, back.checked)
            return DoubleReading(
                front=_reading(front, front_checked, options, timer),
                back=_reading(back, back_checked, options, timer),
                timings=dict(timer.seconds),
            )
        page = self._read_page(search, options.side, options, timer)
        return _reading(page, page.checked, options, timer)

    def _read_page(self, search: CardSearch, wanted: Page | None, options: ReadOptions, timer: StageTimer) -> _PageRead:
        """The page as photographed; where that reads poorly or not at all, read again with a straight motion blur
        undone on every card straightened (pipelines.deblur), and the surer of the two readings kept."""
        try:
            first = self._read_with(search, wanted, options, timer, straighten)
        except PoorQuality as refusal:
            try:
                return _deblurred(self._read_with(search, wanted, options, timer, _straighten_sharpened))
            except (PoorQuality, RecognitionFailed):
                raise refusal from None
        if _sure(first, options) or motion_of(first.card) is None:
            return first
        try:
            second = self._read_with(search, wanted, options, timer, _straighten_sharpened)
        except (PoorQuality, RecognitionFailed):
            return first
        if _sureness(second, options) > _sureness(first, options):
            return _contested(_deblurred(second), first, options)
        return _contested(first, second, options)

    def _read_with(
        self, search: CardSearch, wanted: Page | None, options: ReadOptions, timer: StageTimer, to_card: Straighten
    ) -> _PageRead:
        text = self._find_page(search, wanted, timer, to_card)
        return self._extract(search.image, text, options, timer, to_card)

    def _read_electronic(self, image: Image, options: ReadOptions, timer: StageTimer) -> LicenceReading | None:
        with timer.stage("read"):
            screen = read_screen(self.engine, image)
        with timer.stage("extract"):
            fields = extract_electronic(screen)
            if fields is None:
                return None
            page = _PageRead("front", Card(image.pixels, np.eye(3)), check_front(fields), NO_WARNINGS)
        return _reading(page, page.checked, options, timer, kind="electronic")

    def _extract(
        self, image: Image, text: CardText, options: ReadOptions, timer: StageTimer, to_card: Straighten
    ) -> _PageRead:
        page = text.page
        assert page is not None  # _find_page returns only cards whose page it recognised
        with timer.stage("extract"):
            alignment = align_page(page, text.lines)
            if alignment.calls_for_restraightening:
                corners = text.card.map_to_image(layout_to_card(alignment.matrix, (0.0, 0.0, 1.0, 1.0)))
                text, alignment = self._restraighten(image, text, alignment, corners, to_card)
            elif alignment.anchors == 0 and (corners := card_by_title(page, text.card, text.lines)) is not None:
                text, alignment = self._restraighten(image, text, alignment, corners, to_card)
            align = alignment.matrix
            if page == "front":
                text = probe_regions(self.engine, text, front_probes(text.lines, align), align)
            fields = self._fields(page, text, align, options.return_issuing_authority)
            checked = check_front(fields) if page == "front" else check_back(fields)
            # Every field's box, read or not: glare is most often why a field could not be read.
            boxes = {name: field_box(page, name) for name in PAGE_FIELDS[page]}
            quality = assess(image, text.card, page, align, boxes)
        if len(fields) < MIN_FIELDS[page]:
            raise PoorQuality("The image quality is too poor: the licence was found but its fields could not be read.")
        return _PageRead(page, text.card, checked, quality)

    def _fields(self, page: Page, text: CardText, align: np.ndarray, with_authority: bool) -> dict[str, FieldReading]:
        """The page's fields; a row left missing or incomplete is read again, whole (read.reread_rows), and a seal
        not read surely as an authority is looked for again on its ink alone (read.read_seal)."""
        fields = self._rows_again(page, text, align, with_authority)
        first = fields.get("issuing_authority")
        if page == "front" and with_authority and _seal_rank(first) < (True, SURE_SEAL):
            seal = read_seal(self.engine, text.card, FRONT["seal"], align)
            again = extract_authority(seal, align, fields.get("address"))
            if again is not None and _complete("issuing_authority", again) and _seal_rank(again) > _seal_rank(first):
                fields["issuing_authority"] = again
        return fields

    def _rows_again(
        self, page: Page, text: CardText, align: np.ndarray, with_authority: bool
    ) -> dict[str, FieldReading]:
        fields = _page_fields(page, text.lines, align, with_authority)
        failed = {row for name, row in _ROWS[page].items() if not _complete(name, fields.get(name))}
        if not failed:
            return fields
        rows = FRONT_ROWS if page == "front" else BACK_ROWS
        again = reread_rows(self.engine, text, [rows[row] for row in sorted(failed)], align)
        fields_again = _page_fields(page, again.lines, align, with_authority)
        for row in failed:
            names = [name for name, r in _ROWS[page].items() if r == row]
            if all(_complete(name, fields_again.get(name)) for name in names):
                fields.update({name: _read_again(name, fields.get(name), fields_again[name]) for name in names})
        return fields

    def _restraighten(
        self, image: Image, text: CardText, alignment: Alignment, corners: np.ndarray, to_card: Straighten
    ) -> tuple[CardText, Alignment]:
        """Straighten again from the corners the labels or the title imply; keep that reading if it lines up better."""
        card = to_card(image, CardQuad(corners=corners.astype(np.float32), score=0.0))
        if card is None:
            return text, alignment
        again = read_card(self.engine, card)
        if again.page != text.page:
            return text, alignment
        realigned = align_page(again.page, again.lines)
        return (again, realigned) if realigned.better_than(alignment) else (text, alignment)

    def _find_page(self, search: CardSearch, wanted: Page | None, timer: StageTimer, to_card: Straighten) -> CardText:
        found: list[CardText] = []
        image = search.image
        with timer.stage("locate"):
            quads = search.by_colour
            colour_found = bool(quads)
            # A colour quad over the whole photo is a greenish background merged with the card: its text says better.
            by_text = not quads or all(spans_image(q, image.pixels.shape) for q in quads)
            if by_text:
                quads = search.by_text + quads
        tried = list(quads)
        text = self._read_candidates(image, quads, wanted, found, timer, to_card)
        if text is None and not by_text:
            # The card's colour did not stand out (a green desk, a pale print, a grey copy): find it by its text.
            with timer.stage("locate"):
                quads = search.by_text
            tried += quads
            text = self._read_candidates(image, quads, wanted, found, timer, to_card)
        if text is None:
            # Its green the background's and its text too small to find: a small card on a green desk.
            with timer.stage("locate"):
                quads = tuple(q for q in search.by_hue if not any(same_quad(q, other) for other in tried))
            text = self._read_candidates(image, quads, wanted, found, timer, to_card)
        if text is not None:
            return text
        pages = {t.page for t in found if t.page is not None}
        if pages and wanted is not None:
            other = pages.pop()
            raise RecognitionFailed(
                f"Recognition failed: the {PAGE_NAMES[wanted]} was asked for but the image shows the {PAGE_NAMES[other]}."
            )
        if colour_found and not any(_legible(t) for t in found):
            raise PoorQuality("The image quality is too poor: a card was found but its text could not be read.")
        if any(shows_licence(t.lines) for t in found):
            # Its title read but not enough of its labels and values to tell the page: a retake helps, while
            # "no licence" would send the user looking for another document.
            raise PoorQuality(
                "The image quality is too poor: a driving licence was found but too little of it could be read."
            )
        raise RecognitionFailed("Recognition failed: no driving licence was found in the image.")

    def _read_candidates(
        self,
        image: Image,
        quads: Sequence[CardQuad],
        wanted: Page | None,
        found: list[CardText],
        timer: StageTimer,
        to_card: Straighten,
    ) -> CardText | None:
        with timer.stage("locate"):
            straightened = [(q, card) for q in quads if (card := to_card(image, q)) is not None]
            if len(straightened) > 1:
                # The seal makes the front page red; reading the likelier card first usually saves a whole pass.
                # Undirected, the front page comes first, as Huawei answers the front page when side is omitted.
                # A quad over the whole photo (card and background merged) comes last whatever its red: the same
                # card found by its text holds less of it when its box trims the seal, and reads far better.
                redder_first = -1 if wanted != "back" else 1
                straightened.sort(
                    key=lambda qc: (spans_image(qc[0], image.pixels.shape), redder_first * _red_fraction(qc[1].pixels))
                )
            cards = [card for _, card in straightened]
        for card in cards:
            with timer.stage("read"):
                text = read_card(self.engine, card)
            if text.page is not None and (wanted is None or text.page == wanted):
                return text
            found.append(text)
        return None


def _page_fields(
    page: Page, lines: tuple[TextLine, ...], align: np.ndarray, with_authority: bool
) -> dict[str, FieldReading]:
    return extract_front(lines, align, with_authority) if page == "front" else extract_back(lines, align)


# One-line values a blurred line's faded ends can cut short, each with its row (layout.FRONT_ROWS, BACK_ROWS): when
# one is missing or incomplete, its row is read again across its whole width (read.reread_rows). The address's row
# is its first line: an address that does not begin with a province and a prefecture lost its head there.
_ROWS = {
    "front": {
        "number": "number",
        "name": "name",
        "address": "address",
        "birth": "birth",
        "issue_date": "issue_date",
        "valid_from": "valid",
        "valid_to": "valid",
    },
    "back": {"number": "number", "name": "name", "file_number": "file_number"},
}


def _complete(name: str, reading: FieldReading | None) -> bool:
    if reading is None:
        return False
    if name == "number":
        return id_is_valid(reading.value)
    if name in FRONT_DATES:
        return not any(lost_a_digit(span.text) for span in reading.spans)
    # A widely spaced name whose other character the detector passed by reads as one character; an address whose
    # first line was lost begins with no province.
    return well_formed(name, reading.value)


# A name read a character short that its row, read again, gives whole holds a character seen once, where the first
# reading saw none or another: returned, but not vouched for (robustness.py's motion row, held-out seed 190014: 闫德
# read 德, then 国德 at 0.96).
MENDED_NAME_CONFIDENCE = 0.5


def _read_again(name: str, first: FieldReading | None, again: FieldReading) -> FieldReading:
    if name == "name" and first is not None:
        return replace(again, confidence=min(again.confidence, MENDED_NAME_CONFIDENCE))
    return again


# A seal read as an authority this surely is kept. One less sure (snapped to an authority from a garbled reading,
# which extract.front.read_authority marks down to 0.8 of its least sure character) or naming none is looked for
# again on its ink alone (read.read_seal), and whichever reading names an authority more surely is kept.
SURE_SEAL = 0.9


def _seal_rank(reading: FieldReading | None) -> tuple[bool, float]:
    return _complete("issuing_authority", reading), reading.confidence if reading is not None else 0.0


@dataclass(frozen=True)
class _PageRead:
    """One page's fields after its own rules, and what the photo of it looked like."""

    page: Page
    card: Card
    checked: Checked
    quality: Quality


def _reading(
    read: _PageRead,
    checked: Checked,
    options: ReadOptions,
    timer: StageTimer,
    kind: Literal["normal", "electronic"] = "normal",
) -> LicenceReading:
    wanted = _wanted(ELECTRONIC_FIELDS if kind == "electronic" else PAGE_FIELDS[read.page], options)
    fields = checked.fields
    values: dict[str, str | list[str]] = {name: fields[name].value if name in fields else "" for name in wanted}
    if "status" in values:
        values["status"] = [word for word in str(values["status"]).split(STATUS_SEPARATOR) if word]
    return LicenceReading(
        kind=kind,
        page=read.page,
        fields=values,
        # A field taken from another (birth from the 证号) has no place of its own on the card.
        locations={
            name: _location(read.card, fields[name]) for name in wanted if name in fields and fields[name].spans
        },
        confidence=_confidences(checked, read.quality, wanted),
        warnings=read.quality.warnings + checked.warnings,
        timings=dict(timer.seconds),
    )


def _wanted(order: tuple[str, ...], options: ReadOptions) -> list[str]:
    return [name for name in order if name != "issuing_authority" or options.return_issuing_authority]


def _confidences(checked: Checked, quality: Quality, names: list[str]) -> dict[str, float]:
    fields = checked.fields
    return {
        name: field_confidence(
            fields[name], name in checked.doubtful, name in quality.glared_fields, name in checked.unusual
        )
        if name in fields
        else 0.0
        for name in names
    }


# A reading is sure when every field it should hold reads at least this confidently (the back's record is often
# blank on a card); below it, a blurred photo is worth a second reading with the blur undone.
SURE = 0.8
MAY_BE_BLANK = frozenset({"record"})


def _page_confidences(read: _PageRead, options: ReadOptions) -> dict[str, float]:
    return _confidences(read.checked, read.quality, _wanted(PAGE_FIELDS[read.page], options))


def _sure(read: _PageRead, options: ReadOptions) -> bool:
    return all(c >= SURE for name, c in _page_confidences(read, options).items() if name not in MAY_BE_BLANK)


def _sureness(read: _PageRead, options: ReadOptions) -> float:
    return sum(_page_confidences(read, options).values())


def _contested(kept: _PageRead, other: _PageRead, options: ReadOptions) -> _PageRead:
    """The reading kept, with each field that the other reading of the same card read otherwise and more surely
    made doubtful. The surer page reading is not always surer field by field: a deblurred card read 安松闸 at 0.95
    where the card as photographed read 安松刚 at 0.999, and won on its other fields. Taking the surer of each
    field instead read fewer right, since the deblurred card's values are more often right even where they are
    the less sure; so neither is taken for sure."""
    kept_confidence, other_confidence = _page_confidences(kept, options), _page_confidences(other, options)
    contested = {
        name
        for name, field in kept.checked.fields.items()
        if name in other.checked.fields
        and other.checked.fields[name].value != field.value
        and other_confidence.get(name, 0.0) > kept_confidence.get(name, 0.0)
    }
    if not contested:
        return kept
    return replace(kept, checked=replace(kept.checked, doubtful=kept.checked.doubtful | contested))


def _straighten_sharpened(image: Image, quad: CardQuad) -> Card | None:
    return sharpened(straighten(image, quad))


def _deblurred(read: _PageRead) -> _PageRead:
    """A reading of a card whose motion blur was undone: the photo was blurred, however sharp the restored card."""
    if BLURRED in read.quality.warnings:
        return read
    return replace(read, quality=replace(read.quality, warnings=read.quality.warnings + (BLURRED,)))


def _location(card: Card, reading: FieldReading) -> list[list[float]]:
    """The field's spans as one quadrilateral in the original image: the smallest rotated box around them."""
    points = card.map_to_image(np.vstack([span.quad() for span in reading.spans]))
    corners = order_corners(cv2.boxPoints(cv2.minAreaRect(points.astype(np.float32))))
    return [[round(float(x), 1), round(float(y), 1)] for x, y in corners]


# A card whose every line reads this unsure, or that yields fewer sure lines than a licence prints labels, was
# too blurred, dark or glared to tell what it is: that is the photo's fault (AIS.0104), not a wrong document.
LEGIBLE_SCORE = 0.8
LEGIBLE_LINES = 5


def _legible(text: CardText) -> bool:
    return sum(line.score >= LEGIBLE_SCORE for line in text.lines) >= LEGIBLE_LINES


def _red_fraction(pixels: np.ndarray) -> float:
    hsv = cv2.cvtColor(pixels, cv2.COLOR_BGR2HSV)
    red = ((hsv[..., 0] < 10) | (hsv[..., 0] > 170)) & (hsv[..., 1] > 80) & (hsv[..., 2] > 60)
    return float(red.mean())
