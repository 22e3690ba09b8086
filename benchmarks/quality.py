"""How often each image-quality warning fires, on the defect it names and on photos without it.

    python benchmarks/quality.py [--n 20] [--seed 60000]

Each row is one condition: clean cards of each tier (where a warning is a false alarm, or for blur and glare a
fair one), greyscale photocopies, screens, and defects laid on flat cards at a set strength (synthetic.defects).
The columns are the share of cards that drew each warning, and the field accuracy, so a threshold can be read
against what the defect costs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import cv2
import numpy as np
from accuracy import read_page

from models import EngineOptions, load_engine
from pipelines import LicenceReader
from pipelines.layout import field_box
from pipelines.quality import BLURRED, CUT_OFF, GLARE, GREYSCALE, SCREEN
from synthetic import Sample, make_sample
from synthetic.defects import blurred, cut, glared, noisy

CODES = (GREYSCALE, SCREEN, BLURRED, GLARE, CUT_OFF)
Defect = Callable[[Sample, np.random.Generator], np.ndarray]


def _glare_on_a_field(sample: Sample, rng: np.random.Generator) -> np.ndarray:
    names = [n for n in sample.truth if n not in ("record", "issuing_authority")]
    return glared(sample.image, sample.quad, field_box(sample.page, names[int(rng.integers(len(names)))]))


CONDITIONS: dict[str, tuple[str, str | None, Defect | None]] = {
    # name: (tier, copy, defect)
    "clean flat": ("flat", None, None),
    "clean photo": ("photo", None, None),
    "clean hard": ("hard", None, None),
    "greyscale copy": ("photo", "greyscale", None),
    "screen (flat)": ("flat", "screen", None),
    "screen (photo)": ("photo", "screen", None),
    "blur 1.5": ("flat", None, lambda s, _: blurred(s.image, s.quad, 1.5)),
    "blur 3": ("flat", None, lambda s, _: blurred(s.image, s.quad, 3.0)),
    "blur 4.5": ("flat", None, lambda s, _: blurred(s.image, s.quad, 4.5)),
    "noise 12 (grey levels)": ("flat", None, lambda s, rng: noisy(s.image, 12, rng)),
    "blur 3 + noise 12": ("flat", None, lambda s, rng: noisy(blurred(s.image, s.quad, 3.0), 12, rng)),
    "glare on a field": ("flat", None, _glare_on_a_field),
    "cut 4%": ("flat", None, lambda s, _: cut(s.image, s.quad, 0.04)),
    "cut 12%": ("flat", None, lambda s, _: cut(s.image, s.quad, 0.12)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="cards per condition, fronts and backs alternating")
    parser.add_argument("--seed", type=int, default=60000)
    parser.add_argument("--only", type=lambda s: s.split(","), default=list(CONDITIONS))
    args = parser.parse_args()
    reader = LicenceReader(load_engine(EngineOptions(device="cpu")))
    reader.warm_up()
    print(f"\n## Quality warnings: {args.n} cards per condition, seed {args.seed}\n")
    print("| condition | read | fields right | " + " | ".join(CODES) + " |")
    print("|---|---|---|" + "---|" * len(CODES))
    for name in args.only:
        tier, copy, defect = CONDITIONS[name]
        read, right, total = 0, 0, 0
        drawn = dict.fromkeys(CODES, 0)
        for i in range(args.n):
            page = ("front", "back")[i % 2]
            sample = make_sample(args.seed + i, tier, page, copy=copy)
            image = sample.image if defect is None else defect(sample, np.random.default_rng(args.seed + i))
            data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])[1].tobytes()
            reading, _ = read_page(reader, data, page)
            total += len(sample.truth)
            if reading is None:
                continue
            read += 1
            right += sum(reading.fields.get(k) == v for k, v in sample.truth.items())
            for code in CODES:
                drawn[code] += code in reading.warnings
        cells = " | ".join(f"{100 * drawn[c] / max(read, 1):.0f}%" for c in CODES)
        print(f"| {name} | {read}/{args.n} | {100 * right / total:.1f}% | {cells} |")


if __name__ == "__main__":
    main()
