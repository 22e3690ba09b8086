"""What the pipeline steps run on: the PP-OCR networks, their weights and their inference sessions."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from .backend import NETWORKS, EngineOptions, available_cpus, make_backend, runtime_for
from .batching import BatchingRecognizer
from .classifier import DirectionClassifier
from .detector import DetectedBox, TextDetector
from .manifest import CLASSIFIER, DETECTOR, RECOGNIZER, ModelIntegrityError
from .recognizer import REC_HEIGHT, TOP_K, Recognition, TextRecognizer
from .shapes import AS_GIVEN, LINE_WIDTHS, ShapePolicy

__all__ = [
    "BatchingRecognizer",
    "DetectedBox",
    "DirectionClassifier",
    "EngineOptions",
    "ModelIntegrityError",
    "OcrEngine",
    "Recognition",
    "ShapePolicy",
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
    runtimes: dict[str, str]  # network (det, rec, cls) -> onnxruntime or openvino
    load_seconds: float
    shapes: ShapePolicy = AS_GIVEN

    @property
    def device(self) -> str:
        return "cuda" if "CUDAExecutionProvider" in self.providers else "cpu"

    def warm_up(self, detection_sizes: Sequence[tuple[int, int]]) -> None:
        """Runs every network once before the first request. With fixed shapes (a GPU), runs each shape that reads
        will use: the recogniser at every line width and batch size, the classifier at every batch size, the
        detector at each of `detection_sizes` (w, h)."""
        fixed = self.shapes.fixed
        for width, height in detection_sizes if fixed else detection_sizes[:1]:
            self.detector(np.full((height, width, 3), 200, np.uint8), (width, height))
        for rows in self.shapes.batch_sizes if fixed else (1,):
            for width in LINE_WIDTHS if fixed else (REC_HEIGHT * 4,):
                self.recognizer([np.full((REC_HEIGHT, width, 3), 200, np.uint8)] * rows)
            self.classifier([np.full((REC_HEIGHT, REC_HEIGHT * 4, 3), 200, np.uint8)] * rows)


def load_engine(options: EngineOptions = EngineOptions()) -> OcrEngine:
    start = time.perf_counter()
    limit_opencv_threads(options.intra_op_threads)
    det = make_backend(DETECTOR.verified_path(), options, "det")
    # On a GPU the softmax over every class would cross to the host for each frame: cut it in the graph. On the CPU
    # the cut measured 5-8% faster but left the process 80-200 MB larger, so there numpy picks (models/topk.py).
    on_gpu = "CUDAExecutionProvider" in det.providers
    parallel = recognition_threads(options, on_gpu)
    rec_options = replace(options, intra_op_threads=1) if parallel > 1 else options
    rec = make_backend(RECOGNIZER.verified_path(), rec_options, "rec", top_k=TOP_K if on_gpu else 0)
    cls = make_backend(CLASSIFIER.verified_path(), options, "cls")
    fixed = options.fixed_shapes if options.fixed_shapes is not None else on_gpu
    shapes = ShapePolicy(fixed=True, batch_sizes=options.batch_rows) if fixed else AS_GIVEN
    recognizer = TextRecognizer(rec, shapes, parallel)
    return OcrEngine(
        detector=TextDetector(det, shapes=shapes),
        recognizer=BatchingRecognizer(recognizer) if options.batch_recognition else recognizer,
        classifier=DirectionClassifier(cls, shapes),
        providers=det.providers,
        runtimes={network: runtime_for(network, options) for network in NETWORKS},
        load_seconds=time.perf_counter() - start,
        shapes=shapes,
    )


def recognition_threads(options: EngineOptions, on_gpu: bool) -> int:
    """Calls the recogniser runs at once, each on a session of one thread: one per CPU on the CPU when the thread
    count is left to the engine (models/recognizer.py). Otherwise 1, and the runtime's own threads: on a GPU; with
    threads set (one per worker process when there are several); on OpenVINO, whose calls take every core each."""
    cpu_default = not on_gpu and options.intra_op_threads == 0 and runtime_for("rec", options) == "onnxruntime"
    return available_cpus() if cpu_default else 1


def limit_opencv_threads(threads: int) -> None:
    """OpenCV's pool (the resizes, warps and colour conversions around the networks and in pipelines/) to `threads`,
    as the runtimes' are; 0 leaves OpenCV's default of one thread per core. The pool is the process's: with several
    worker processes each had one thread per core of its own. Measured on an H200 with 16 host cores, 8 workers and
    32 clients, alternated: 51.0 and 41.9 cards/s on one OpenCV thread each, 41.9 and 33.1 on OpenCV's default
    (docs/benchmarks.md)."""
    if threads > 0:
        cv2.setNumThreads(threads)
