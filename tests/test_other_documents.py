"""Things that are not a driving licence must be refused with AIS.0105, never read as one."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from pipelines import LicenceReader, ReadOptions
from pipelines.errors import RecognitionFailed
from synthetic.background import card_background
from synthetic.fonts import SONG, SONG_BOLD

# A 机动车行驶证 (vehicle licence): the same green laminated stock, a different title and labels.
VEHICLE_LICENCE = [
    ("中华人民共和国机动车行驶证", SONG_BOLD, 54, (250, 40)),
    ("号牌号码  京A12345      车辆类型  小型轿车", SONG, 34, (80, 170)),
    ("所有人  张三", SONG, 34, (80, 250)),
    ("住址  北京市朝阳区建国路88号", SONG, 34, (80, 330)),
    ("使用性质  非营运      品牌型号  大众牌FV7152", SONG, 34, (80, 410)),
    ("注册日期  2015-06-18    发证日期  2015-06-18", SONG, 34, (80, 490)),
]


def _vehicle_licence() -> np.ndarray:
    card = np.clip(card_background("front", 1320, 900, np.random.default_rng(3)), 0, 255).astype(np.uint8)
    canvas = PILImage.fromarray(cv2.cvtColor(card, cv2.COLOR_BGR2RGB))
    draw = ImageDraw.Draw(canvas)
    for text, face, size, xy in VEHICLE_LICENCE:
        draw.text(xy, text, font=ImageFont.truetype(face.path, size, index=face.index), fill=(40, 40, 40))
    photo = np.full((1200, 1700, 3), (205, 200, 198), np.uint8)
    photo[150:1050, 190:1510] = cv2.cvtColor(np.asarray(canvas), cv2.COLOR_RGB2BGR)
    return photo


@pytest.mark.parametrize("side", ["front", "back", None])
def test_a_vehicle_licence_is_not_a_driving_licence(reader: LicenceReader, side):
    data = cv2.imencode(".jpg", _vehicle_licence(), [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
    with pytest.raises(RecognitionFailed, match="no driving licence"):
        reader.read(data, ReadOptions(side=side))
