from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipelines.decode import decode_image
from pipelines.errors import ImageSizeError, UnsupportedImage


def _encode(ext: str, w: int = 300, h: int = 200) -> bytes:
    img = np.zeros((h, w, 3), np.uint8)
    img[:, : w // 2] = (0, 0, 255)
    ok, buf = cv2.imencode(ext, img)
    assert ok
    return buf.tobytes()


@pytest.mark.parametrize(("ext", "fmt"), [(".jpg", "jpeg"), (".png", "png"), (".bmp", "bmp"), (".tiff", "tiff")])
def test_supported_formats_decode_to_bgr(ext: str, fmt: str):
    image = decode_image(_encode(ext))
    assert image.format == fmt
    assert image.pixels.shape == (200, 300, 3)
    assert image.pixels[100, 10, 2] > 200 and image.pixels[100, 10, 0] < 50  # red stays red: BGR, not RGB


def test_grey_png_becomes_three_channels():
    ok, buf = cv2.imencode(".png", np.full((150, 150), 128, np.uint8))
    assert decode_image(buf.tobytes()).pixels.shape == (150, 150, 3)


def test_exif_orientation_is_applied():
    from PIL import Image as PILImage
    import io

    img = PILImage.new("RGB", (300, 200), (255, 255, 255))
    exif = img.getexif()
    exif[0x0112] = 6  # rotate 90 CW on display
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif.tobytes())
    assert decode_image(out.getvalue()).pixels.shape[:2] == (300, 200)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world", b"GIF89a" + b"\0" * 100, b"\x89PNG\r\n\x1a\n" + b"\0" * 20, _encode(".png")[:200]],
    ids=["empty", "text", "gif", "png-header-only", "png-truncated"],
)
def test_unsupported_or_broken_data_is_refused(data: bytes):
    with pytest.raises(UnsupportedImage):
        decode_image(data)


def test_truncated_jpeg_is_refused():
    data = _encode(".jpg", 800, 600)
    with pytest.raises(UnsupportedImage):
        decode_image(data[: len(data) // 2])


@pytest.mark.parametrize(("w", "h"), [(99, 300), (300, 99), (8001, 200)])
def test_size_limits(w: int, h: int):
    with pytest.raises(ImageSizeError):
        decode_image(_encode(".png", w, h))


def test_size_limits_inclusive():
    assert decode_image(_encode(".png", 100, 8000)).height == 8000
