"""Inference sessions: the one place that knows about ONNX Runtime and the CPU/GPU choice."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class EngineOptions:
    device: str = "auto"  # auto | cpu | cuda
    intra_op_threads: int = 0  # 0 lets ONNX Runtime pick (one per physical core)


class Backend(Protocol):
    """One network: a single float32 input tensor in, its first output out. Safe to call from many threads."""

    providers: tuple[str, ...]

    def run(self, x: np.ndarray) -> np.ndarray: ...

    def metadata(self) -> dict[str, str]: ...


def choose_providers(device: str) -> list[str]:
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    available = ort.get_available_providers()
    has_cuda = "CUDAExecutionProvider" in available
    if device == "cuda" and not has_cuda:
        raise RuntimeError(
            "DLOCR_DEVICE=cuda but this onnxruntime has no CUDA provider: install onnxruntime-gpu (pip install '.[gpu]')"
        )
    if device in ("cuda", "auto") and has_cuda:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
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
        self._session = ort.InferenceSession(str(path), sess_options=so, providers=choose_providers(options.device))
        self._input = self._session.get_inputs()[0].name
        self.providers = tuple(self._session.get_providers())

    def run(self, x: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input: x})[0]

    def metadata(self) -> dict[str, str]:
        return dict(self._session.get_modelmeta().custom_metadata_map)
