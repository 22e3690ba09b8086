"""One error family for everything a request can fail on.

Pipelines raise these with Huawei's codes; service/ turns them into the JSON answer in one place.
"""

from __future__ import annotations


class DlocrError(Exception):
    code = "AIS.0105"
    message = "Recognition failed."
    http_status = 400

    def __init__(self, message: str | None = None):
        if message is not None:
            self.message = message
        super().__init__(self.message)


class InvalidParameter(DlocrError):
    code = "AIS.0101"
    message = "The parameter is invalid."


class UnsupportedImage(DlocrError):
    code = "AIS.0102"
    message = "The image format is not supported."


class ImageSizeError(DlocrError):
    code = "AIS.0103"
    message = "The image size does not meet the requirements."


class PoorQuality(DlocrError):
    code = "AIS.0104"
    message = "The image quality is too poor."


class RecognitionFailed(DlocrError):
    code = "AIS.0105"
    message = "Recognition failed."
