"""A network's weights and arithmetic in fp16, for ONNX Runtime on the CPU where that runs faster.

Measured on this project's 2 cores (an Intel Xeon with AVX-512 and AMX, ONNX Runtime 1.32): the PP-OCR detector
converted to fp16 (inputs and outputs kept fp32) ran 2.4-2.8x faster than in fp32 at a photo's size (960 x 736:
252 against 613 ms; 704 x 480: 96 against 254 ms), its probability map within 0.007 of fp32's; in ONNX Runtime's
profile its convolutions went from 490 to 140 ms at 960 x 736. The recogniser was slower in fp16 (891 against
693 ms for 32 lines 288 px wide), and stays in fp32.
Which CPUs run fp16 convolutions fast is ONNX Runtime's affair and changes with its releases, so the service
times both at start (models/backend.py, faster_at) rather than assuming.
"""

from __future__ import annotations

from pathlib import Path

import onnx
from onnxruntime.transformers.float16 import convert_float_to_float16


def fp16_model(source: Path | str | bytes) -> bytes:
    """The ONNX model (a file, or serialised) with its weights and computation in fp16, its input and outputs still
    fp32."""
    model = onnx.load_from_string(source) if isinstance(source, bytes) else onnx.load(str(source))
    return convert_float_to_float16(model, keep_io_types=True).SerializeToString()
