"""Inference sessions: the one place that knows about the runtimes (ONNX Runtime, OpenVINO) and the CPU/GPU choice."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort

DEVICES = ("auto", "cpu", "cuda")
BACKENDS = ("onnxruntime", "openvino")


@dataclass(frozen=True)
class EngineOptions:
    device: str = "auto"  # auto | cpu | cuda
    intra_op_threads: int = 0  # 0 lets the runtime pick (one per physical core)
    backend: str = "onnxruntime"  # onnxruntime | openvino (CPU only; pip install '.[openvino]')
    batch_recognition: bool = False  # concurrent requests' lines recognised together (models/batching.py)
    fixed_shapes: bool | None = None  # inputs padded to a few shapes (models/shapes.py); None: on CUDA only


class Backend(Protocol):
    """One network: a single float32 input tensor in, its first output out. Safe to call from many threads."""

    providers: tuple[str, ...]

    def run(self, x: np.ndarray) -> np.ndarray: ...

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


class OrtBackend:
    # InferenceSession.run is thread-safe, so one session per process serves every request thread.
    def __init__(self, path: Path, options: EngineOptions):
        so = ort.SessionOptions()
        if options.intra_op_threads > 0:
            so.intra_op_num_threads = options.intra_op_threads
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Every card and batch has its own shapes: the CPU arena kept each one's peak (RSS about 880 MB after 64
        # reads on two threads) and memory patterns are planned per shape. Without them RSS stays near 630 MB, for
        # about 5% more time per read. CUDA keeps its own arena, untouched by these.
        so.enable_cpu_mem_arena = False
        so.enable_mem_pattern = False
        self._session = ort.InferenceSession(str(path), sess_options=so, providers=choose_providers(options.device))
        self._input = self._session.get_inputs()[0].name
        self.providers = tuple(self._session.get_providers())

    def run(self, x: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input: x})[0]

    def metadata(self) -> dict[str, str]:
        return dict(self._session.get_modelmeta().custom_metadata_map)


class OpenVinoBackend:
    """The same ONNX files compiled by OpenVINO's CPU plugin: about twice ONNX Runtime's speed here.

    The plugin's default precision is kept: bfloat16 on CPUs with AMX or AVX512-BF16, fp32 elsewhere
    (benchmarks/accuracy.py reads the same with both). A compiled model is shared; an infer request is not
    thread-safe, so each thread keeps its own.
    """

    def __init__(self, path: Path, options: EngineOptions):
        if options.device == "cuda":
            raise RuntimeError("DLOCR_BACKEND=openvino runs on the CPU: use onnxruntime with DLOCR_DEVICE=cuda")
        try:
            import openvino as ov
        except ImportError as exc:
            raise RuntimeError("DLOCR_BACKEND=openvino needs the openvino package: pip install '.[openvino]'") from exc
        core = ov.Core()
        model = core.read_model(str(path))
        config = {"PERFORMANCE_HINT": "LATENCY"}
        if options.intra_op_threads > 0:
            config["INFERENCE_NUM_THREADS"] = options.intra_op_threads
        self._compiled = core.compile_model(model, "CPU", config)
        self._metadata = _openvino_metadata(model)
        self._local = threading.local()
        self.providers = ("OpenVINO:CPU",)

    def run(self, x: np.ndarray) -> np.ndarray:
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self._compiled.create_infer_request()
        return request.infer({0: x})[0].copy()

    def metadata(self) -> dict[str, str]:
        return dict(self._metadata)


def _openvino_metadata(model) -> dict[str, str]:
    # OpenVINO keeps an ONNX file's metadata_props under rt_info["framework"].
    if not model.has_rt_info(["framework"]):
        return {}
    keys = model.get_rt_info()["framework"].keys()
    return {key: model.get_rt_info(["framework", key]).astype(str) for key in keys}


def make_backend(path: Path, options: EngineOptions) -> Backend:
    if options.backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {options.backend!r}")
    return OpenVinoBackend(path, options) if options.backend == "openvino" else OrtBackend(path, options)
