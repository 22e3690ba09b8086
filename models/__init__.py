"""What the pipeline steps run on: the PP-OCR networks, their weights and their inference sessions."""

from __future__ import annotations

import time
from dataclasses import dataclass

from .backend import EngineOptions, make_backend
from .batching import BatchingRecognizer
from .classifier import DirectionClassifier
from .detector import DetectedBox, TextDetector
from .manifest import CLASSIFIER, DETECTOR, RECOGNIZER, ModelIntegrityError
from .recognizer import Recognition, TextRecognizer

__all__ = [
    "BatchingRecognizer",
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
    recognizer: TextRecognizer | BatchingRecognizer
    classifier: DirectionClassifier
    providers: tuple[str, ...]
    load_seconds: float

    @property
    def device(self) -> str:
        return "cuda" if "CUDAExecutionProvider" in self.providers else "cpu"

    @property
    def backend(self) -> str:
        return "openvino" if self.providers[0].startswith("OpenVINO") else "onnxruntime"


def load_engine(options: EngineOptions = EngineOptions()) -> OcrEngine:
    start = time.perf_counter()
    det = make_backend(DETECTOR.verified_path(), options)
    rec = make_backend(RECOGNIZER.verified_path(), options)
    cls = make_backend(CLASSIFIER.verified_path(), options)
    recognizer = TextRecognizer(rec)
    return OcrEngine(
        detector=TextDetector(det),
        recognizer=BatchingRecognizer(recognizer) if options.batch_recognition else recognizer,
        classifier=DirectionClassifier(cls),
        providers=det.providers,
        load_seconds=time.perf_counter() - start,
    )
