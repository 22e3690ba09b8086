"""The tensor shapes the networks are run at: as the input comes on the CPU, from a few fixed sizes on a GPU.

On the CPU a shape costs nothing to set up, and padding would be pure waste. On CUDA, cuDNN plans every
convolution anew for each input shape it has not seen. Measured on an H200 (onnxruntime-gpu 1.29, cuDNN 9): a
batch of 8 lines ran in 4 ms at a shape seen before, and in 1.2-2.2 s at a new one; a new detection size cost
0.3-0.7 s. A session re-plans whenever its input shape differs from its previous call's, even back to a shape it
has run before, so on a GPU each input is padded up to one of a few shapes, each run by a session of its own
(models/backend.py), and every one is planned at warm-up, before the service reports ready. The recogniser's
output is cut to each frame's best classes in the graph (models/topk.py) so that it is small when it is copied
back. Padded rows are not free: a card's lines of one width are often a few, and on an H100 a call of 32 rows
took 2.8x the time of one of 8 (GPU_BATCH_ROWS), so a call's rows are rounded up to the nearest of a few sizes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# (w, h): every straightened card is detected at this size (pipelines/read.py). On the CPU the detector is
# compiled for it alone on OpenVINO (models/backend.py, ShapeRouted); other sizes, rarer, run on ONNX Runtime.
CARD_DETECTION_SIZE = (704, 480)
# Recognition input widths at the 48 px line height on a GPU, each about 1.5x the last. A line wider than the
# last is padded to a multiple of it.
LINE_WIDTHS = (192, 288, 432, 640, 960, 1440, 2160)
# Detection inputs are padded to multiples of this on each side.
IMAGE_STEP = 256
# Within one CPU batch a crop may be up to this much wider than the narrowest: the batch pads to its widest,
# so mixing an address line with a two-character name would make the name cost as much as the address. Less
# padding is faster (12 front pages: median 746-773 ms at 1.5, 698-706 ms at 1.0-1.1 on this project's 2 cores)
# but reads a little differently: at 1.1 the held-out photo tier fell from 98.3% to 98.1% of fields and hard from
# 60.4% to 59.9%, so the ratio the field rules and the confidence calibration were tuned with stays.
MAX_PAD_RATIO = 1.5
# Rows a recognition or classification call is padded to on a GPU, ascending: a call takes at most the last.
# Measured on an H100 (one call, 960 px lines): 32 rows 11.6 ms, 16 rows 6.1, 8 rows 4.1. Photos read by 8 workers
# from 32 clients: always 32 rows 29.4 cards/s; 8 or 32 rows 37.2; 8, 16 or 32 rows 37.8, with 7 GB more of host
# memory and 8 GB more of the GPU's (a session per shape, models/backend.py), so not the 16.
GPU_BATCH_ROWS = (8, 32)


@dataclass(frozen=True)
class ShapePolicy:
    fixed: bool
    batch_sizes: tuple[int, ...]  # rows a call may have, ascending (fixed); as given, only the last: its most

    def __post_init__(self) -> None:
        if not self.batch_sizes or self.batch_sizes[0] < 1 or list(self.batch_sizes) != sorted(set(self.batch_sizes)):
            raise ValueError(f"batch sizes must be ascending positive integers, got {self.batch_sizes}")

    @property
    def max_batch(self) -> int:
        """Lines per recognition call at most."""
        return self.batch_sizes[-1]

    def line_width(self, width: int) -> int:
        """The input width for a batch whose widest line is `width` px."""
        if not self.fixed:
            return width
        for bucket in LINE_WIDTHS:
            if width <= bucket:
                return bucket
        return math.ceil(width / LINE_WIDTHS[-1]) * LINE_WIDTHS[-1]

    def same_batch(self, width: int, first: int) -> bool:
        """Whether a line `width` px wide joins a batch whose narrowest line is `first` px wide.

        On a GPU a line joins lines of its own padded width or the next one down: a call costs about the same
        whatever its rows and width hold, and one call per width took a front page 8 recognition calls (5 now),
        a back page 4 (2 now). On an H100, 8 workers read 30.6 photos a second instead of 25.2. Padding every
        line of a card to its widest, in one call, lost names' last characters at high confidence (王庆承 as
        王庆); one step more padding read seeds 50000 as before, give or take a hard card's field either way."""
        if self.fixed:
            return _width_step(self.line_width(width)) - _width_step(self.line_width(first)) <= 1
        return width <= first * MAX_PAD_RATIO

    def batch_rows(self, n: int) -> int:
        """Rows of a batch holding n lines (the extra rows are zeros and their outputs dropped)."""
        if not self.fixed:
            return n
        for size in self.batch_sizes:
            if n <= size:
                return size
        return math.ceil(n / self.max_batch) * self.max_batch

    def image_size(self, width: int, height: int) -> tuple[int, int]:
        """The detection input size for an image resized to width x height."""
        if not self.fixed:
            return width, height
        return math.ceil(width / IMAGE_STEP) * IMAGE_STEP, math.ceil(height / IMAGE_STEP) * IMAGE_STEP


def _width_step(padded: int) -> int:
    """Rank of a width lines pad to (line_width): its index in LINE_WIDTHS, then on through the last one's multiples."""
    if padded in LINE_WIDTHS:
        return LINE_WIDTHS.index(padded)
    return len(LINE_WIDTHS) - 2 + padded // LINE_WIDTHS[-1]


AS_GIVEN = ShapePolicy(fixed=False, batch_sizes=(16,))
FIXED = ShapePolicy(fixed=True, batch_sizes=GPU_BATCH_ROWS)
