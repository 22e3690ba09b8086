"""What the pipeline steps run on: the PP-OCR networks, their weights and their inference sessions."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .backend import EngineOptions, OrtBackend
from .classifier import DirectionClassifier
from .detector import DetectedBox, TextDetector
from .manifest import CLASSIFIER, DETECTOR, RECOGNIZER, ModelIntegrityError
from .recognizer import Recognition, TextRecognizer

__all__ = [
    "DetectedBox",
    "DirectionClassifier",
    "EngineOptions",
    "ModelIntegrityError",
    "OcrEngine",
    "Recognition",
    "TextDetector",
    "TextRecognizer",
    "load_engine",
]


@dataclass(frozen=True)
class OcrEngine:
    """The three networks, created once per process and shared by every request (nothing per call is stored)."""

    detector: TextDetector
    recognizer: TextRecognizer
    classifier: DirectionClassifier
    providers: tuple[str, ...]
    load_seconds: float

    @property
    def device(self) -> str:
        return "cuda" if "CUDAExecutionProvider" in self.providers else "cpu"


def load_engine(options: EngineOptions = EngineOptions()) -> OcrEngine:
    start = time.perf_counter()
    det = OrtBackend(DETECTOR.verified_path(), options)
    rec = OrtBackend(RECOGNIZER.verified_path(), options)
    cls = OrtBackend(CLASSIFIER.verified_path(), options)
    return OcrEngine(
        detector=TextDetector(det),
        recognizer=TextRecognizer(rec),
        classifier=DirectionClassifier(cls),
        providers=det.providers,
        load_seconds=time.perf_counter() - start,
    )
