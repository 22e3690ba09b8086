"""Generated samples for the benchmarks, optionally kept in a folder so that a machine without the card fonts
(a lent GPU machine, say) replays exactly the pixels this one read.

With DLOCR_SAMPLE_CACHE=DIR a sample is generated once, kept as JPEG quality 95, and returned as that JPEG decodes,
the first time and every time after: the two machines then read identical images. Without it, samples are made
fresh and returned as generated.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pickle
from pathlib import Path

import cv2
import numpy as np

from synthetic import FACE_SETS, Sample, make_sample

CACHE_ENV = "DLOCR_SAMPLE_CACHE"


def benchmark_sample(seed: int, tier: str, page: str, faces: str = "development") -> Sample:
    folder = os.environ.get(CACHE_ENV)
    if not folder:
        return make_sample(seed, tier, page, faces=faces)
    kept_as = f"{tier}-{page}-{seed}" if faces == "development" else f"{tier}-{page}-{seed}-{faces}"
    path = Path(folder) / f"{kept_as}.pickle"
    if path.is_file():
        jpeg, fields = pickle.loads(path.read_bytes())
    else:
        fresh = make_sample(seed, tier, page, faces=faces)
        jpeg = cv2.imencode(".jpg", fresh.image, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
        fields = {f.name: getattr(fresh, f.name) for f in dataclasses.fields(fresh) if f.name != "image"}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps((jpeg, fields)))
    return Sample(image=cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR), **fields)


def add_faces_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--faces",
        default="development",
        choices=FACE_SETS,
        help="the fonts cards are drawn in: held-out shares none with development's (make fonts installs both)",
    )


def faces_in_title(faces: str) -> str:
    """What a table's title adds for a face set: nothing for the development faces every other table uses."""
    return "" if faces == "development" else f", {faces} faces"
