"""Milliseconds per network call on a GPU at the service's fixed shapes: kernel by kernel (as the service runs them)
against one CUDA graph replay, in fp32 and fp16. On a GPU the service uses neither: this measures whether they
would pay (docs/benchmarks.md, "On a GPU").

    python benchmarks/gpu_calls.py [--calls 20] [--device cuda|cpu]

Also prints how far each variant's output is from the fp32 kernel-by-kernel call on the same input (strips of a
generated card photo): the largest difference, and for the recogniser the share of frames whose likeliest class
agrees. With --device cpu only the kernel-by-kernel columns are measured (a check of the script).

A CUDA graph needs, from ONNX Runtime's CUDA provider (`enable_cuda_graph`): every node on the GPU, an input of
one fixed shape (written into the model here, which lets ONNX Runtime fold the shape arithmetic it would otherwise
run on the CPU), and input and output buffers bound at fixed GPU addresses. ONNX Runtime keeps a captured graph
per calling thread (CUDAExecutionProvider::PerThreadContext): a session called from a server's thread pool
captures again on each new thread, and a capture while other threads use the GPU fails. Here each session is
called from one thread.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import onnx
import onnxruntime as ort
from onnx import shape_inference
from samples import benchmark_sample

from models.backend import EngineOptions, OrtBackend, choose_providers
from models.fp16 import fp16_model
from models.manifest import CLASSIFIER, DETECTOR, RECOGNIZER
from models.recognizer import TOP_K
from models.topk import with_top_k

SHAPES = {
    "det": [(1, 3, 512, 768)],  # a straightened card's detection (704 x 480, padded)
    # A batch of lines is padded to 8 or 32 rows (models/shapes.py, GPU_BATCH_ROWS); 16 was measured and left out.
    "rec": [(32, 3, 48, 288), (8, 3, 48, 288), (32, 3, 48, 960), (16, 3, 48, 960), (8, 3, 48, 960)],
    "cls": [(8, 3, 48, 192)],
}
# ONNX Runtime runs a graph normally before it captures it; replays follow.
CAPTURE_CALLS = 3


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: type[np.generic]
    shape: tuple[int, ...]


def load(source: str | bytes) -> onnx.ModelProto:
    return onnx.load_from_string(source) if isinstance(source, bytes) else onnx.load(source)


def with_input_shape(source: str | bytes, shape: Sequence[int]) -> onnx.ModelProto:
    model = load(source)
    for dim, size in zip(model.graph.input[0].type.tensor_type.shape.dim, shape):
        dim.Clear()
        dim.dim_value = int(size)
    return model


def output_specs(model: onnx.ModelProto) -> list[TensorSpec]:
    """The outputs' shapes for the model's fixed input: from shape inference, else from one call on the CPU
    (the classifier's reshape leaves its batch dimension open to inference)."""
    bare = onnx.ModelProto()
    bare.CopyFrom(model)
    for output in bare.graph.output:  # an export may declare -1 for a dimension inference could fill
        output.type.tensor_type.ClearField("shape")
    specs = []
    for output in shape_inference.infer_shapes(bare, data_prop=True).graph.output:
        dims = output.type.tensor_type.shape.dim
        if not dims or not all(d.HasField("dim_value") and d.dim_value > 0 for d in dims):
            session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            shape = tuple(d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim)
            outputs = session.run(None, {session.get_inputs()[0].name: np.zeros(shape, np.float32)})
            return [TensorSpec(o.name, out.dtype.type, out.shape) for o, out in zip(session.get_outputs(), outputs)]
        dtype = onnx.helper.tensor_dtype_to_np_dtype(output.type.tensor_type.elem_type).type
        specs.append(TensorSpec(output.name, dtype, tuple(d.dim_value for d in dims)))
    return specs


class GraphSession:
    """One fixed input shape's session, its kernels captured once and replayed at each call."""

    def __init__(self, model: onnx.ModelProto, outputs: Sequence[TensorSpec]):
        providers = choose_providers("cuda")
        providers[0][1].update(enable_cuda_graph="1")
        self._session = ort.InferenceSession(model.SerializeToString(), providers=providers)
        given = self._session.get_inputs()[0].name
        shape = tuple(d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim)
        self._input = ort.OrtValue.ortvalue_from_shape_and_type(shape, np.float32, "cuda", 0)
        self._outputs = [ort.OrtValue.ortvalue_from_shape_and_type(o.shape, o.dtype, "cuda", 0) for o in outputs]
        self._binding = self._session.io_binding()
        self._binding.bind_ortvalue_input(given, self._input)
        for spec, value in zip(outputs, self._outputs):
            self._binding.bind_ortvalue_output(spec.name, value)
        for _ in range(CAPTURE_CALLS):
            self.run(np.zeros(shape, np.float32))

    def run(self, x: np.ndarray) -> list[np.ndarray]:
        self._input.update_inplace(np.ascontiguousarray(x))
        self._session.run_with_iobinding(self._binding)
        return [value.numpy() for value in self._outputs]


def photo_input(shape: tuple[int, ...]) -> np.ndarray:
    """Strips of a generated card photo cut to `shape`, scaled as the networks expect."""
    n, _, h, w = shape
    strips = max(1, min(n, 12))
    image = cv2.resize(benchmark_sample(50000, "photo", "front").image, (w, h * strips))
    x = np.zeros(shape, np.float32)
    for i in range(n):
        strip = image[(i % strips) * h:(i % strips + 1) * h]
        x[i] = (strip.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    return x


def timed(run: Callable[[np.ndarray], list[np.ndarray]], x: np.ndarray, calls: int) -> tuple[float, list[np.ndarray]]:
    out = run(x)
    start = time.perf_counter()
    for _ in range(calls):
        out = run(x)
    return (time.perf_counter() - start) / calls * 1000, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--device", default="cuda", choices=["cpu", "cuda"])
    args = parser.parse_args()
    options = EngineOptions(device=args.device)
    sources = {
        "det": str(DETECTOR.verified_path()),
        "rec": with_top_k(RECOGNIZER.verified_path(), TOP_K),
        "cls": str(CLASSIFIER.verified_path()),
    }
    print(f"\n## Network calls on {ort.get_device()}, onnxruntime {ort.__version__}, {args.calls} calls each\n")
    print("| network | input | fp32 ms | fp32 graph ms | fp16 ms | fp16 graph ms | graph max diff | fp16 max diff "
          "| fp16 same best class |")
    print("|---|---|---|---|---|---|---|---|---|")
    for network, shapes in SHAPES.items():
        source = sources[network]
        variants = (source, fp16_model(source))
        for shape in shapes:
            x = photo_input(shape)
            specs = output_specs(with_input_shape(source, shape))  # fp16 keeps fp32 inputs and outputs
            row: list[float] = []
            outputs: list[list[np.ndarray] | None] = []
            for variant in variants:
                plain = OrtBackend._session(variant, options)
                name = plain.get_inputs()[0].name
                ms, out = timed(lambda v, s=plain: s.run(None, {name: v}), x, args.calls)
                row.append(ms)
                outputs.append(out)
                try:
                    ms, out = timed(GraphSession(with_input_shape(variant, shape), specs).run, x, args.calls)
                except Exception as exc:  # noqa: BLE001 - a benchmark reports what failed and goes on
                    print(f"<!-- {network} {shape}: no graph, {str(exc)[:200]} -->")
                    ms, out = float("nan"), None
                row.append(ms)
                outputs.append(out)
            # The recogniser's TopK is unordered: values are compared sorted.
            first = [np.sort(out[0], axis=-1) if out else None for out in outputs]
            graph_diff = np.abs(first[1] - first[0]).max() if first[1] is not None else float("nan")
            half_diff = np.abs(first[2] - first[0]).max()
            same = f"{_same_best(outputs[0], outputs[2]):.4f}" if network == "rec" else ""
            print(f"| {network} | {'x'.join(map(str, shape))} | " + " | ".join(f"{ms:.2f}" for ms in row)
                  + f" | {graph_diff:.2g} | {half_diff:.2g} | {same} |")


def _same_best(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    """Share of frames whose likeliest class is the same (outputs: TopK probabilities, ids)."""
    best_a = np.take_along_axis(a[1], a[0].argmax(-1)[..., None], -1)
    best_b = np.take_along_axis(b[1], b[0].argmax(-1)[..., None], -1)
    return float((best_a == best_b).mean())


if __name__ == "__main__":
    main()
