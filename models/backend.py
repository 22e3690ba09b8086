"""Inference sessions: the one place that knows about the runtimes (ONNX Runtime, OpenVINO) and the CPU/GPU choice."""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort

from .fp16 import fp16_model
from .shapes import CARD_DETECTION_SIZE, GPU_BATCH_ROWS
from .topk import with_top_k

DEVICES = ("auto", "cpu", "cuda")
BACKENDS = ("auto", "onnxruntime", "openvino")
NETWORKS = ("det", "rec", "cls")
# What `auto` runs on OpenVINO when the engine is on the CPU: the detector at the straightened card's size, compiled
# for that one shape (ShapeRouted). Measured on this project's 2 cores (an Intel Xeon), the same fp32 arithmetic: a
# card's detection took 43 ms so compiled, 58-65 ms on OpenVINO with free shapes and 160-198 ms on ONNX Runtime. Free
# shapes also held memory: a detector that had seen the four detection sizes kept 645 MB resident, against 280 MB
# on ONNX Runtime and 238 MB for the single shape. The recogniser ran 37-48 ms a batch on OpenVINO against 32-36 ms,
# as every batch brings a width it has not run before; the classifier is a few milliseconds either way.
OPENVINO_WHEN_AUTO = ("det",)


@dataclass(frozen=True)
class EngineOptions:
    device: str = "auto"  # auto | cpu | cuda
    intra_op_threads: int = 0  # 0 lets the runtime pick (one per physical core)
    backend: str = "auto"  # auto (runtime_for) | onnxruntime | openvino (CPU only)
    batch_recognition: bool = False  # concurrent requests' lines recognised together (models/batching.py)
    fixed_shapes: bool | None = None  # inputs padded to a few shapes (models/shapes.py); None: on CUDA only
    batch_rows: tuple[int, ...] = GPU_BATCH_ROWS  # with fixed shapes, the rows a line batch is padded to


class Backend(Protocol):
    """One network: a single float32 input tensor in, its outputs out. Safe to call from many threads."""

    providers: tuple[str, ...]

    def run(self, x: np.ndarray) -> list[np.ndarray]: ...

    def metadata(self) -> dict[str, str]: ...


def choose_providers(device: str) -> list[str | tuple[str, dict[str, str]]]:
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    available = ort.get_available_providers()
    has_cuda = "CUDAExecutionProvider" in available
    if device == "cuda" and not has_cuda:
        raise RuntimeError(
            "DLOCR_DEVICE=cuda but this onnxruntime has no CUDA provider: install onnxruntime-gpu (pip install '.[gpu]')"
        )
    if device in ("cuda", "auto") and has_cuda:
        # Every batch of lines has its own width: an exhaustive cuDNN search would time every convolution again
        # for each new shape, a cost paid in the middle of user requests. The heuristic choice is made at once.
        return [("CUDAExecutionProvider", {"cudnn_conv_algo_search": "HEURISTIC"}), "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]


def available_cpus() -> int:
    # Affinity, not os.cpu_count(): a container limited to a few cores must not size itself by the host.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def openvino_installed() -> bool:
    return importlib.util.find_spec("openvino") is not None


def runtime_for(network: str, options: EngineOptions) -> str:
    """The runtime one network (det, rec, cls) runs on: the backend asked for, or for `auto` the faster one measured
    here. On a GPU, and without the openvino package, that is ONNX Runtime throughout."""
    if options.backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {options.backend!r}")
    if options.backend != "auto":
        return options.backend
    on_cpu = choose_providers(options.device)[0] == "CPUExecutionProvider"
    return "openvino" if on_cpu and network in OPENVINO_WHEN_AUTO and openvino_installed() else "onnxruntime"


def session_per_shape(options: EngineOptions, providers: tuple[str, ...]) -> bool:
    """Whether each input shape gets a session of its own: on CUDA unless the shapes were asked to vary freely
    (fixed_shapes=False), which would open a session for every line width."""
    return options.fixed_shapes is not False and "CUDAExecutionProvider" in providers


_shared_cuda_arena = threading.Lock()
_shared_cuda_arena_registered = False


def share_cuda_arena() -> None:
    """Registers one CUDA memory arena with ONNX Runtime's environment, shared by the CUDA sessions of the process.

    Each session otherwise keeps an arena of its own, grown to the peak of its own shape: with a session per shape,
    four workers held 73 GB of an H200's memory during a throughput run. Registering twice is an error in ONNX
    Runtime, so the process registers once.
    """
    global _shared_cuda_arena_registered
    with _shared_cuda_arena:
        if not _shared_cuda_arena_registered:
            info = ort.OrtMemoryInfo("Cuda", ort.OrtAllocatorType.ORT_ARENA_ALLOCATOR, 0, ort.OrtMemType.DEFAULT)
            ort.create_and_register_allocator_v2("CUDAExecutionProvider", info, {}, ort.OrtArenaCfg({}))
            _shared_cuda_arena_registered = True


class OrtBackend:
    """InferenceSession.run is thread-safe, so one session per process serves every request thread.

    On CUDA with fixed shapes (models/shapes.py), one session per input shape instead: a session plans its
    convolutions again whenever its input shape differs from the previous call's. Measured on an H200
    (onnxruntime-gpu 1.29, cuDNN 9), batches of 8 lines alternating between 192 and 288 px took 1.9-2.5 s per call
    on one session, whatever the algorithm search, and 3 ms each on a session per width.
    """

    def __init__(self, path: Path, options: EngineOptions, top_k: int = 0, fp16: bool = False):
        """top_k: the output cut to the k best along its last axis (models/topk.py); fp16: the network in fp16
        (models/fp16.py)."""
        if top_k and fp16:
            raise ValueError("top_k and fp16 are not combined")
        source = with_top_k(path, top_k) if top_k else fp16_model(path) if fp16 else str(path)
        self.precision = "fp16" if fp16 else "fp32"
        first = self._session(source, options)
        self._input = first.get_inputs()[0].name
        self.providers = tuple(first.get_providers())
        self._metadata = dict(first.get_modelmeta().custom_metadata_map)
        # Kept only with a session per shape, to open the sessions of shapes still to come; None: one session.
        self._source = source if session_per_shape(options, self.providers) else None
        self._options = options
        self._sessions: dict[tuple[int, ...], ort.InferenceSession] = {}
        self._first = first
        self._lock = threading.Lock()

    @staticmethod
    def _session(source: str | bytes, options: EngineOptions) -> ort.InferenceSession:
        so = ort.SessionOptions()
        if options.intra_op_threads > 0:
            so.intra_op_num_threads = options.intra_op_threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Every card and batch has its own shapes: the CPU arena kept each one's peak (RSS about 880 MB after 64
        # reads on two threads) and memory patterns are planned per shape. Without them RSS stays near 630 MB, for
        # about 5% more time per read. The CUDA arena is not touched by these (share_cuda_arena).
        so.enable_cpu_mem_arena = False
        so.enable_mem_pattern = False
        providers = choose_providers(options.device)
        if providers[0] != "CPUExecutionProvider":
            share_cuda_arena()
            so.add_session_config_entry("session.use_env_allocators", "1")
        return ort.InferenceSession(source, sess_options=so, providers=providers)

    def _session_for(self, shape: tuple[int, ...]) -> ort.InferenceSession:
        if self._source is None:
            return self._first
        session = self._sessions.get(shape)
        if session is None:
            with self._lock:
                session = self._sessions.get(shape)
                if session is None:
                    session = self._first if not self._sessions else self._session(self._source, self._options)
                    self._sessions[shape] = session
        return session

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        return self._session_for(x.shape).run(None, {self._input: x})

    def metadata(self) -> dict[str, str]:
        return dict(self._metadata)


class OpenVinoBackend:
    """The same ONNX files compiled by OpenVINO's CPU plugin, in fp32 on every CPU.

    The plugin's own default is bfloat16 on CPUs with AMX or AVX512-BF16, such as this project's: the detector then
    ran in 42 against 65 ms, but the development seeds lost two flat and photo fields that fp32 reads (a name took a
    character from the line beside it). A compiled model is shared; an infer request is not thread-safe, so
    requests are lent from a pool: as many exist as calls have ever run at once, not one per thread of the
    server's thread pool.
    """

    def __init__(self, path: Path, options: EngineOptions, shape: tuple[int, ...] | None = None):
        """shape: compile for this input shape alone (less memory, faster); None: any shape."""
        if options.device == "cuda":
            raise RuntimeError("DLOCR_BACKEND=openvino runs on the CPU: use onnxruntime with DLOCR_DEVICE=cuda")
        try:
            import openvino as ov
        except ImportError as exc:
            raise RuntimeError("DLOCR_BACKEND=openvino needs the openvino package, a dependency of dlocr") from exc
        core = ov.Core()
        model = core.read_model(str(path))
        if shape is not None:
            model.reshape(list(shape))
        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"}
        if options.intra_op_threads > 0:
            config["INFERENCE_NUM_THREADS"] = options.intra_op_threads
        self._compiled = core.compile_model(model, "CPU", config)
        self._metadata = _openvino_metadata(model)
        self._idle: list[ov.InferRequest] = []
        self.providers = ("OpenVINO:CPU",)

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        try:
            request = self._idle.pop()  # list.pop and list.append are atomic: the pool needs no lock
        except IndexError:
            request = self._compiled.create_infer_request()
        try:
            results = request.infer({0: x})
            return [results[i].copy() for i in range(len(results))]
        finally:
            self._idle.append(request)

    def metadata(self) -> dict[str, str]:
        return dict(self._metadata)


class ShapeRouted:
    """Inputs of one shape to one backend, any other shape to another."""

    def __init__(self, shape: tuple[int, ...], at_shape: Backend, otherwise: Backend):
        self._shape = shape
        self._at_shape = at_shape
        self._otherwise = otherwise
        self.providers = at_shape.providers + otherwise.providers

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        return (self._at_shape if x.shape == self._shape else self._otherwise).run(x)

    def metadata(self) -> dict[str, str]:
        return self._otherwise.metadata()


def _openvino_metadata(model) -> dict[str, str]:
    # OpenVINO keeps an ONNX file's metadata_props under rt_info["framework"].
    if not model.has_rt_info(["framework"]):
        return {}
    keys = model.get_rt_info()["framework"].keys()
    return {key: model.get_rt_info(["framework", key]).astype(str) for key in keys}


# A photo-sized trial input: the fp16 detector's lead grew with the input (1.7x at 256 x 256, 2.1x at 704 x 480 on
# this project's CPU), and a trial this size costs about 0.2 s of the start.
TRIAL_SHAPE = (1, 3, 320, 320)


def photo_size_detector(path: Path, options: EngineOptions) -> Backend:
    """The detector for inputs other than the straightened card's (the search for a card by its text over the whole
    photo, an electronic licence's screen): ONNX Runtime in fp16 or fp32, whichever ran a trial input faster here
    (models/fp16.py). OpenVINO would run them faster still, but for every size it meets it keeps what it compiled:
    a detector that had seen four sizes held 645 MB."""
    candidates = [OrtBackend(path, options), OrtBackend(path, options, fp16=True)]
    return faster_at(candidates, np.zeros(TRIAL_SHAPE, np.float32))


def faster_at(candidates: list[Backend], x: np.ndarray, runs: int = 2) -> Backend:
    """The candidate with the shortest of `runs` timed runs on x (after one that plans the shape): the shortest, as
    other work starting beside it (another worker's start) can only slow a run."""

    def seconds(backend: Backend) -> float:
        backend.run(x)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            backend.run(x)
            times.append(time.perf_counter() - start)
        return min(times)

    return min(candidates, key=seconds)


def make_backend(path: Path, options: EngineOptions, network: str, top_k: int = 0) -> Backend:
    """The network (det, rec, cls) at `path`; with top_k (ONNX Runtime only), its output cut to the k best along
    the last axis."""
    runtime = runtime_for(network, options)
    if runtime == "openvino" and top_k:
        raise ValueError("top_k is an ONNX Runtime graph change; OpenVINO runs the full graph")
    if runtime == "openvino" and options.backend == "auto":
        width, height = CARD_DETECTION_SIZE
        shape = (1, 3, height, width)
        return ShapeRouted(shape, OpenVinoBackend(path, options, shape), photo_size_detector(path, options))
    if runtime == "openvino":
        return OpenVinoBackend(path, options)
    return OrtBackend(path, options, top_k)
