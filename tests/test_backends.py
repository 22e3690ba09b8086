"""The inference backends behind models.Backend: same weights, same answers."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from models import EngineOptions, TextDetector, load_engine, recognition_threads
from models.backend import (
    NETWORKS,
    OpenVinoBackend,
    OrtBackend,
    ShapeRouted,
    choose_providers,
    faster_at,
    make_backend,
    photo_size_detector,
    runtime_for,
    session_per_shape,
    share_cuda_arena,
)
from models.manifest import CLASSIFIER, DETECTOR, RECOGNIZER, ModelIntegrityError, WeightFile
from models.shapes import CARD_DETECTION_SIZE
from pipelines import LicenceReader, ReadOptions

SPECIMEN = Path(__file__).resolve().parents[2] / "shared" / "samples" / "specimen-front.jpg"


def test_every_backend_reads_what_onnxruntime_reads(reader: LicenceReader):
    """The test suite's engine runs on `auto`: on this CPU, the detector on OpenVINO at the card's size."""
    assert reader.engine.runtimes == {"det": "openvino", "rec": "onnxruntime", "cls": "onnxruntime"}
    data = SPECIMEN.read_bytes()
    options = ReadOptions(side="front", return_issuing_authority=True)
    expected = LicenceReader(load_engine(EngineOptions(backend="onnxruntime", device="cpu"))).read(data, options)
    openvino = LicenceReader(load_engine(EngineOptions(backend="openvino", device="cpu")))
    assert set(openvino.engine.runtimes.values()) == {"openvino"}
    for one in (openvino, reader):
        assert one.read(data, options).fields == expected.fields


def test_both_backends_read_the_same_dictionary_and_compute_the_same_numbers():
    ov = OpenVinoBackend(RECOGNIZER.verified_path(), EngineOptions())
    ort_backend = OrtBackend(RECOGNIZER.verified_path(), EngineOptions(device="cpu"))
    assert ov.metadata()["character"] == ort_backend.metadata()["character"]
    # The specimen's 证号 row, normalised as the recogniser does. OpenVINO runs in fp32 even where its default
    # would be bfloat16 (a CPU with AMX, as this project's): the probabilities, not only the characters, agree.
    line = cv2.imread(str(SPECIMEN))[130:185, 440:870]
    x = ((cv2.resize(line, (48 * line.shape[1] // line.shape[0], 48)).astype(np.float32) / 255 - 0.5) / 0.5)
    x = np.ascontiguousarray(x.transpose(2, 0, 1)[np.newaxis])
    assert np.allclose(ov.run(x)[0], ort_backend.run(x)[0], atol=1e-4)


def test_auto_puts_each_network_on_the_runtime_measured_faster_for_it(monkeypatch: pytest.MonkeyPatch):
    def runtimes(options: EngineOptions) -> list[str]:
        return [runtime_for(network, options) for network in NETWORKS]

    cpu = EngineOptions(device="cpu")
    assert runtimes(cpu) == ["openvino", "onnxruntime", "onnxruntime"]  # det, rec, cls
    for backend in ("onnxruntime", "openvino"):
        assert set(runtimes(EngineOptions(device="cpu", backend=backend))) == {backend}
    cuda = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setattr("models.backend.choose_providers", lambda device: cuda)
    assert set(runtimes(EngineOptions())) == {"onnxruntime"}
    monkeypatch.undo()
    monkeypatch.setattr("models.backend.openvino_installed", lambda: False)
    assert set(runtimes(cpu)) == {"onnxruntime"}


def test_the_recogniser_runs_a_call_per_cpu_where_the_threads_are_left_to_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("models.available_cpus", lambda: 6)
    assert recognition_threads(EngineOptions(device="cpu"), on_gpu=False) == 6
    assert recognition_threads(EngineOptions(device="cpu", backend="onnxruntime"), on_gpu=False) == 6
    # Threads set (one per worker when there are several), OpenVINO's calls on every core, or a GPU: one call.
    assert recognition_threads(EngineOptions(device="cpu", intra_op_threads=1), on_gpu=False) == 1
    assert recognition_threads(EngineOptions(device="cpu", backend="openvino"), on_gpu=False) == 1
    assert recognition_threads(EngineOptions(), on_gpu=True) == 1


def test_an_engine_of_one_thread_a_call_leaves_opencv_one_thread_too():
    """Several worker processes each get one thread per call; OpenCV's pool is the process's, so it follows."""
    default = cv2.getNumThreads()
    try:
        load_engine(EngineOptions(device="cpu", backend="onnxruntime"))
        assert cv2.getNumThreads() == default
        load_engine(EngineOptions(device="cpu", backend="onnxruntime", intra_op_threads=1))
        assert cv2.getNumThreads() == 1
    finally:
        cv2.setNumThreads(default)


def test_auto_compiles_the_detector_on_openvino_for_the_cards_size_alone():
    """Any other size (a whole photo searched for text, a screenshot) runs on ONNX Runtime, with the same result."""
    routed = make_backend(DETECTOR.verified_path(), EngineOptions(device="cpu"), "det")
    assert isinstance(routed, ShapeRouted) and routed.providers == ("OpenVINO:CPU", "CPUExecutionProvider")
    alone = OrtBackend(DETECTOR.verified_path(), EngineOptions(device="cpu"))
    width, height = CARD_DETECTION_SIZE
    card = cv2.imread(str(SPECIMEN))
    for w, h in ((width, height), (960, 640)):
        x = (cv2.resize(card, (w, h)).astype(np.float32) / 255 - 0.5) / 0.5
        x = np.ascontiguousarray(x.transpose(2, 0, 1)[np.newaxis])
        # Other sizes may run in fp16 (photo_size_detector): its text probabilities within a hundredth of fp32's.
        assert np.allclose(routed.run(x)[0], alone.run(x)[0], atol=1e-4 if (w, h) == (width, height) else 1e-2)


def test_the_candidate_that_runs_faster_is_kept():
    """photo_size_detector keeps whichever of fp32 and fp16 ran a trial input faster on this machine."""

    class Slow:
        def __init__(self, seconds: float):
            self.seconds = seconds

        def run(self, x: np.ndarray) -> list[np.ndarray]:
            time.sleep(self.seconds)
            return [x]

    slow, fast = Slow(0.05), Slow(0.0)
    assert faster_at([slow, fast], np.zeros(3, np.float32)) is fast
    assert faster_at([fast, slow], np.zeros(3, np.float32)) is fast
    assert photo_size_detector(DETECTOR.verified_path(), EngineOptions(device="cpu")).precision in ("fp16", "fp32")


def test_the_fp16_detector_finds_the_lines_fp32_finds():
    """On a whole photo, as the search for a card by its text runs it: the same lines, within a pixel or two."""
    photo = cv2.imread(str(SPECIMEN))
    boxes = {
        precision: TextDetector(OrtBackend(DETECTOR.verified_path(), EngineOptions(device="cpu"), fp16=half))(photo)
        for precision, half in (("fp32", False), ("fp16", True))
    }
    assert len(boxes["fp16"]) == len(boxes["fp32"]) >= 20
    centres = {p: sorted(tuple(b.quad.mean(axis=0).round()) for b in found) for p, found in boxes.items()}
    assert np.abs(np.array(centres["fp16"]) - np.array(centres["fp32"])).max() <= 2
    with pytest.raises(ValueError, match="not combined"):
        OrtBackend(RECOGNIZER.verified_path(), EngineOptions(device="cpu"), top_k=6, fp16=True)


def test_unknown_backend_and_impossible_combinations_are_refused():
    with pytest.raises(ValueError):
        make_backend(RECOGNIZER.verified_path(), EngineOptions(backend="tensorflow"), "rec")
    with pytest.raises(RuntimeError, match="CPU"):
        make_backend(RECOGNIZER.verified_path(), EngineOptions(backend="openvino", device="cuda"), "rec")
    with pytest.raises(ValueError, match="top_k"):
        make_backend(RECOGNIZER.verified_path(), EngineOptions(backend="openvino"), "rec", top_k=6)
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        with pytest.raises(RuntimeError, match="onnxruntime-gpu"):
            choose_providers("cuda")
        assert choose_providers("auto") == ["CPUExecutionProvider"]


def test_a_weight_file_with_another_digest_is_refused():
    tampered = WeightFile(role="rec", package="rapidocr", relpath=RECOGNIZER.relpath, sha256="0" * 64)
    with pytest.raises(ModelIntegrityError, match="sha256"):
        tampered.verified_path()
    missing = WeightFile(role="rec", package="rapidocr", relpath="models/nothing.onnx", sha256="0" * 64)
    with pytest.raises(ModelIntegrityError, match="not found"):
        missing.verified_path()


def test_a_session_per_shape_on_cuda_only_and_never_for_free_shapes():
    cuda = ("CUDAExecutionProvider", "CPUExecutionProvider")
    assert session_per_shape(EngineOptions(), cuda)
    assert session_per_shape(EngineOptions(fixed_shapes=True), cuda)
    assert not session_per_shape(EngineOptions(fixed_shapes=False), cuda)
    assert not session_per_shape(EngineOptions(fixed_shapes=True), ("CPUExecutionProvider",))


def test_the_cuda_arena_is_registered_once_however_many_sessions_ask(monkeypatch: pytest.MonkeyPatch):
    """ONNX Runtime refuses a second registration, and every CUDA session of the process asks for the arena."""
    registered: list[str] = []
    monkeypatch.setattr(ort, "create_and_register_allocator_v2", lambda provider, *args: registered.append(provider))
    monkeypatch.setattr("models.backend._shared_cuda_arena_registered", False)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: share_cuda_arena(), range(8)))
    assert registered == ["CUDAExecutionProvider"]


def test_sessions_per_shape_answer_as_one_session_does(monkeypatch: pytest.MonkeyPatch):
    """The CUDA arrangement, run on the CPU: one session per input shape, opened once, shared by threads."""
    single = OrtBackend(CLASSIFIER.verified_path(), EngineOptions(device="cpu"))
    monkeypatch.setattr("models.backend.session_per_shape", lambda options, providers: True)
    per_shape = OrtBackend(CLASSIFIER.verified_path(), EngineOptions(device="cpu"))
    rng = np.random.default_rng(0)
    batches = [rng.random((rows, 3, 48, 192), dtype=np.float32) for rows in (8, 16, 8, 16)]
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(per_shape.run, batches))
    for x, answer in zip(batches, answers):
        assert np.allclose(answer[0], single.run(x)[0], atol=1e-6)
    assert sorted(per_shape._sessions) == [(8, 3, 48, 192), (16, 3, 48, 192)]
    assert per_shape._first in per_shape._sessions.values() and not single._sessions
