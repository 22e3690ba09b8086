"""Field-level exact-match accuracy on generated licences, per tier and per field, plus the shared samples.

    python benchmarks/accuracy.py [--n 40] [--tiers flat,photo,hard] [--pages front,back] [--seed 1000] [--fit]

Prints tables; reads each card exactly as the API does (encoded image bytes in, fields out). Also prints how
the returned confidence holds up (share right per confidence band) and which warnings the cards drew; --fit
prints the calibration knots for pipelines/confidence.py, measured on this run's cards (fit on one seed range,
check on another).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import Counter, defaultdict

import cv2
from serving import ROOT, percentile

from models import EngineOptions, load_engine
from pipelines import LicenceReader, ReadOptions
from pipelines.errors import DlocrError
from pipelines.types import LicenceReading
from synthetic import make_sample

SAMPLES = ROOT.parent / "shared" / "samples"


def read_page(reader: LicenceReader, data: bytes, page: str) -> tuple[LicenceReading | None, str | None]:
    try:
        reading = reader.read(data, ReadOptions(side=page, return_issuing_authority=True))
    except DlocrError as exc:
        return None, exc.code
    assert isinstance(reading, LicenceReading)
    return reading, None


def run_generated(reader: LicenceReader, args: argparse.Namespace) -> None:
    per_field: dict[tuple[str, str], list[bool]] = defaultdict(list)
    per_tier: dict[str, list[bool]] = defaultdict(list)
    cards: dict[str, list[bool]] = defaultdict(list)
    errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seconds: list[float] = []
    failures: list[str] = []
    scored: list[tuple[float, bool]] = []
    warned: dict[str, Counter[str]] = defaultdict(Counter)
    for tier in args.tiers:
        for page in args.pages:
            for i in range(args.n):
                seed = args.seed + i
                sample = make_sample(seed, tier, page)
                data = cv2.imencode(".jpg", sample.image, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
                started = time.perf_counter()
                reading, error = read_page(reader, data, page)
                seconds.append(time.perf_counter() - started)
                if error:
                    errors[tier][error] += 1
                fields = reading.fields if reading else {}
                warned[tier].update(reading.warnings if reading else ())
                ok_all = True
                for name, truth in sample.truth.items():
                    ok = fields.get(name) == truth
                    if reading is not None and name in reading.confidence:
                        scored.append((reading.confidence[name], ok))
                    per_field[(tier, name)].append(ok)
                    per_tier[tier].append(ok)
                    ok_all &= ok
                    if not ok and args.verbose:
                        failures.append(f"{tier} {page} seed={seed} {name}: got {fields.get(name)!r} want {truth!r}")
                cards[tier].append(ok_all)
    names = sorted({name for _, name in per_field}, key=lambda n: list(FIELD_ORDER).index(n))
    print(f"\n## Generated licences: {args.n} per tier and page, pages {','.join(args.pages)}, seed {args.seed}\n")
    print("| tier | cards | fields | field exact match | card all-right | errors |")
    print("|---|---|---|---|---|---|")
    for tier in args.tiers:
        f, c = per_tier[tier], cards[tier]
        errs = ", ".join(f"{k}:{v}" for k, v in sorted(errors[tier].items())) or "-"
        print(f"| {tier} | {len(c)} | {len(f)} | {pct(f)} | {pct(c)} | {errs} |")
    print("\n| field | " + " | ".join(args.tiers) + " |")
    print("|---|" + "---|" * len(args.tiers))
    for name in names:
        print(f"| {name} | " + " | ".join(pct(per_field[(t, name)]) for t in args.tiers) + " |")
    print(f"\nread time per card: p50 {statistics.median(seconds) * 1000:.0f} ms, "
          f"p95 {percentile(seconds, 95) * 1000:.0f} ms (in-process, no HTTP)")
    print_warnings(warned, cards, args.tiers)
    print_calibration(scored)
    if args.fit:
        print_fit(scored)
    for line in failures:
        print("  miss:", line)


def print_warnings(warned: dict[str, Counter[str]], cards: dict[str, list[bool]], tiers: list[str]) -> None:
    codes = sorted({code for counts in warned.values() for code in counts})
    print("\n## Warnings drawn (cards with each code; none of these cards is a copy or a screen)\n")
    print("| warning | " + " | ".join(tiers) + " |")
    print("|---|" + "---|" * len(tiers))
    for code in codes:
        print(f"| {code} | " + " | ".join(f"{warned[t][code]}/{len(cards[t])}" for t in tiers) + " |")


CONFIDENCE_BANDS = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 1.01)


def print_calibration(scored: list[tuple[float, bool]]) -> None:
    print("\n## Confidence against correctness (every field read)\n")
    print("| confidence | fields | right |")
    print("|---|---|---|")
    for lo, hi in zip(CONFIDENCE_BANDS, CONFIDENCE_BANDS[1:]):
        band = [ok for c, ok in scored if lo <= c < hi]
        print(f"| {lo:.2f}-{min(hi, 1.0):.2f} | {len(band)} | {pct(band)} |")
    sure = [ok for c, ok in scored if c >= 0.95]
    print(f"| >= 0.95 | {len(sure)} | {pct(sure)} |")


def print_fit(scored: list[tuple[float, bool]], per_bin: int = 80) -> None:
    """Knots for pipelines/confidence.py: the scores cut into bins of about `per_bin` fields (equal scores kept
    together), each bin's share right, pooled where a higher bin is right less often (isotonic regression)."""
    bins: list[list[tuple[float, bool]]] = [[]]
    for score, ok in sorted((round(c, 4), ok) for c, ok in scored):
        if len(bins[-1]) >= per_bin and score > bins[-1][-1][0]:
            bins.append([])
        bins[-1].append((score, ok))
    pooled: list[tuple[float, int, int]] = []  # (highest score, fields right, fields)
    for chunk in bins:
        pooled.append((chunk[-1][0], sum(ok for _, ok in chunk), len(chunk)))
        while len(pooled) > 1 and pooled[-2][1] / pooled[-2][2] > pooled[-1][1] / pooled[-1][2]:
            high, right, n = pooled.pop()
            _, right0, n0 = pooled.pop()
            pooled.append((high, right0 + right, n0 + n))
    print("\n## Calibration knots (paste into pipelines/confidence.py)\n")
    print("_RAW = (" + ", ".join(f"{high:.4f}" for high, _, _ in pooled) + ")")
    print("_RIGHT = (" + ", ".join(f"{right / n:.4f}" for _, right, n in pooled) + ")")


if __name__ == "__main__":
    main()
