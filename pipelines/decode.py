"""Bytes -> Image: format check, size limits from the API contract, EXIF orientation."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image as PILImage

from .errors import ImageSizeError, UnsupportedImage
from .types import Image

MIN_SIDE = 100
MAX_SIDE = 8000

_SIGNATURES = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)


def sniff_format(data: bytes) -> str | None:
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    return None


def decode_image(data: bytes) -> Image:
    fmt = sniff_format(data)
    if fmt is None:
        raise UnsupportedImage("The image format is not supported: use JPEG, PNG, BMP or TIFF.")
    width, height = _header_size(data)
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise ImageSizeError(
            f"The image size does not meet the requirements: {width}x{height} px, "
            f"the shortest side must be at least {MIN_SIDE} px and the longest at most {MAX_SIDE} px."
        )
    if fmt == "jpeg" and b"\xff\xd9" not in data[-4096:]:
        # libjpeg fills a truncated file with grey and reports success; a half image would read as garbage.
        raise UnsupportedImage("The image data is truncated.")
    # IMREAD_COLOR applies the EXIF orientation and turns grey, 16-bit and alpha images into 8-bit BGR.
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if pixels is None:
        raise UnsupportedImage("The image data is corrupt or truncated.")
    return Image(pixels=pixels, format=fmt)


def _header_size(data: bytes) -> tuple[int, int]:
    # Reading only the header keeps a decompression bomb from being decoded before its size is refused.
    try:
        with PILImage.open(io.BytesIO(data)) as probe:
            return probe.size
    except Exception as exc:  # Pillow raises many types for malformed headers; all mean the same to the caller.
        raise UnsupportedImage("The image data is corrupt or truncated.") from exc
