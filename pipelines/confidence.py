"""A field's reading -> the probability that it is right.

The recogniser's own score (its least sure character's probability) is over-confident on blurred or glared cards
and under-confident on some clean ones; a monotone map measured on generated cards turns it into a probability.
`benchmarks/accuracy.py --fit` measures the map on one seed range; its confidence table shows how it holds on another.
"""

from __future__ import annotations

import numpy as np

from .extract.fields import FieldReading

# (raw score, share right) knots: benchmarks/accuracy.py --n 50 --seed 3000 --fit (300 cards, 2,240 fields), checked
# on the held-out seeds docs/benchmarks.md reports. No field is ever certain: the top is held at 0.999.
_RAW = (0.6712, 0.8939, 0.9740, 0.9899, 0.9952, 0.9972, 0.9985, 0.9991, 0.9994, 0.9996, 0.9998, 0.9999, 1.0)
_RIGHT = (0.7838, 0.9625, 0.9625, 0.9875, 0.9881, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999, 0.999)
# A field a rule of the licence still rejects, or under a glare patch, is doubtful whatever the recogniser says.
DOUBTFUL_CAP = 0.5
GLARED_CAP = 0.8
# A value the rules allow but few licences print (a surname in no list) is likely, not sure: below 0.95, where a
# client that accepts sure fields unreviewed draws its line.
UNUSUAL_CAP = 0.9


def field_confidence(reading: FieldReading, doubtful: bool, glared: bool, unusual: bool) -> float:
    confidence = float(np.interp(reading.confidence, _RAW, _RIGHT))
    for applies, cap in ((doubtful, DOUBTFUL_CAP), (glared, GLARED_CAP), (unusual, UNUSUAL_CAP)):
        if applies:
            confidence = min(confidence, cap)
    return round(confidence, 4)
