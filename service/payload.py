"""From the raw HTTP body to what the reader takes: image bytes and ReadOptions.

The body is parsed here rather than by FastAPI so that every malformed request (not JSON, wrong types, an
array) is Huawei's 400 AIS.0101 instead of FastAPI's 422.
"""

from __future__ import annotations

import base64
import binascii
import re

from pydantic import ValidationError
from starlette.requests import Request

from pipelines.errors import ImageSizeError, InvalidParameter, UnsupportedImage
from pipelines.types import ReadOptions
from service.errors import RequestTooLarge, invalid_parameter
from service.schemas import DriverLicenseRequest
from service.settings import Settings

_DATA_URI_PREFIX = re.compile(r"data:image/[A-Za-z0-9.+-]+;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(rb"\s+")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused before it is buffered once it exceeds `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise RequestTooLarge()
    return bytes(body)


def decode_base64_image(image: str, max_base64_bytes: int) -> bytes:
    """Strict base64: line breaks and a data-URI prefix are tolerated, any other stray character is not."""
    if len(image) > max_base64_bytes:
        raise ImageSizeError()
    prefix = _DATA_URI_PREFIX.match(image)
    text = image[prefix.end():] if prefix else image
    try:
        compact = _WHITESPACE.sub(b"", text.encode("ascii"))
        data = base64.b64decode(compact, validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise UnsupportedImage("The image format is not supported: image is not valid base64.") from None
    if not data:
        raise InvalidParameter("The input parameter is invalid: image is empty.")
    return data


async def parse_request(request: Request, settings: Settings) -> tuple[bytes, ReadOptions]:
    body = await read_body(request, settings.max_body_bytes)
    try:
        parsed = DriverLicenseRequest.model_validate_json(body)
    except ValidationError as exc:
        raise invalid_parameter(exc) from None
    if parsed.image is None:  # then url was given: the schema admits exactly one of the two
        raise InvalidParameter("The input parameter is invalid: url input is not supported yet, send image.")
    options = ReadOptions(
        side=parsed.side or "front",
        return_issuing_authority=bool(parsed.return_issuing_authority),
        return_text_location=bool(parsed.return_text_location),
    )
    return decode_base64_image(parsed.image, settings.max_base64_bytes), options
