"""Which weights dlocr runs on, where they come from, and how they are checked.

All three networks are PaddleOCR's PP-OCR models exported to ONNX and shipped inside the PyPI wheel
rapidocr==3.10.0 (Apache-2.0). Depending on that pinned wheel is how the weights reach an air-gapped server:
no model hub, no download at run time. Every file's sha256 is checked before a session is created, so a
different wheel version or a corrupted install fails loudly at start instead of reading licences badly.
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path


class ModelIntegrityError(RuntimeError):
    """A weight file is missing or is not the one this release was validated with."""


@dataclass(frozen=True)
class WeightFile:
    role: str
    package: str
    relpath: str
    sha256: str

    def path(self) -> Path:
        # find_spec locates the installed package without importing it (rapidocr's import pulls in a lot).
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelIntegrityError(f"package {self.package!r} providing the {self.role} weights is not installed")
        return Path(next(iter(spec.submodule_search_locations))) / self.relpath

    def verified_path(self) -> Path:
        path = self.path()
        if not path.is_file():
            raise ModelIntegrityError(f"{self.role} weights not found at {path}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != self.sha256:
            raise ModelIntegrityError(
                f"{self.role} weights at {path} have sha256 {digest}, expected {self.sha256}: "
                "install the pinned rapidocr==3.10.0 wheel"
            )
        return path


DETECTOR = WeightFile(
    role="det",
    package="rapidocr",
    relpath="models/PP-OCRv6_det_small.onnx",
    sha256="090f04abcd9d9a7498bc4ebf677e4cb9bdce1fe4197ddb7e529f1ef44e1ff94f",
)
RECOGNIZER = WeightFile(
    role="rec",
    package="rapidocr",
    relpath="models/PP-OCRv6_rec_small.onnx",
    sha256="6f327246b50388f3c176ae304bd95767ea6dc0c9ae92153ef8cbe210b3c14884",
)
CLASSIFIER = WeightFile(
    role="cls",
    package="rapidocr",
    relpath="models/ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    sha256="e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c",
)

ALL_WEIGHTS = (DETECTOR, RECOGNIZER, CLASSIFIER)
