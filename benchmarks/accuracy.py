"""Field-level exact-match accuracy on generated licences, per tier and per field, plus the shared samples.

    python benchmarks/accuracy.py [--n 40] [--tiers flat,photo,hard] [--pages front,back] [--seed 1000] [--fit]
                                  [--electronic 30] [--device cpu|cuda] [--fixed-shapes] [--ease blur,noise]
                                  [--faces development|held-out]

Prints tables; reads each card exactly as the API does (encoded image bytes in, fields out). Also prints how
the returned confidence holds up (share right per confidence band) and which warnings the cards drew; --fit
prints the calibration knots for pipelines/confidence.py, measured on this run's cards (fit on one seed range,
check on another). --ease sets some of the hard tier's adversities to the photo tier's values, to see what each
one costs; --faces held-out draws the cards and screens in fonts nothing was tuned on.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import time
from collections import Counter, defaultdict

import cv2
from samples import CACHE_ENV, add_faces_argument, benchmark_sample, faces_in_title
from serving import ROOT, percentile

from models import EngineOptions, load_engine
from models.backend import BACKENDS
from models.shapes import GPU_BATCH_ROWS
from pipelines import LicenceReader, ReadOptions
from pipelines.errors import DlocrError
from pipelines.types import LicenceReading
from synthetic import Sample
from synthetic.electronic import make_electronic_sample
from synthetic.photo import TIERS

SAMPLES = ROOT.parent / "shared" / "samples"


# The hard tier's adversities, each as the synthetic.photo.Tier fields that make it.
ADVERSITIES: dict[str, tuple[str, ...]] = {
    "size": ("long_side", "card_area"),
    "tilt": ("tilt",),
    "glare": ("glare_p", "glare"),
    "finger": ("finger_p",),
    "motion": ("motion_p",),
    "blur": ("blur",),
    "noise": ("noise",),
    "exposure": ("exposure",),
    "jpeg": ("jpeg",),
}


def ease_hard_tier(adversities: list[str]) -> None:
    """The hard tier, with the named adversities as mild as the photo tier's, for this process."""
    fields = [field for name in adversities for field in ADVERSITIES[name]]
    TIERS["hard"] = dataclasses.replace(TIERS["hard"], **{f: getattr(TIERS["photo"], f) for f in fields})


def read_page(reader: LicenceReader, data: bytes, page: str | None) -> tuple[LicenceReading | None, str | None]:
    try:
        reading = reader.read(data, ReadOptions(side=page, return_issuing_authority=True))
    except DlocrError as exc:
        return None, exc.code
    assert isinstance(reading, LicenceReading)
    return reading, None


def read_sample(reader: LicenceReader, sample: Sample) -> tuple[LicenceReading | None, str | None, float]:
    """A generated photo read as a client sends it (JPEG bytes), its page asked for; and the seconds it took."""
    data = cv2.imencode(".jpg", sample.image, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
    started = time.perf_counter()
    reading, error = read_page(reader, data, sample.page)
    return reading, error, time.perf_counter() - started


def run_generated(reader: LicenceReader, args: argparse.Namespace) -> None:
    per_field: dict[tuple[str, str], list[bool]] = defaultdict(list)
    per_tier: dict[str, list[bool]] = defaultdict(list)
    cards: dict[str, list[bool]] = defaultdict(list)
    errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seconds: list[float] = []
    failures: list[str] = []
    scored: dict[str, list[tuple[float, bool]]] = defaultdict(list)  # per tier
    warned: dict[str, Counter[str]] = defaultdict(Counter)
    for tier in args.tiers:
        for page in args.pages:
            for i in range(args.n):
                seed = args.seed + i
                sample = benchmark_sample(seed, tier, page, args.faces)
                reading, error, took = read_sample(reader, sample)
                seconds.append(took)
                if error:
                    errors[tier][error] += 1
                    if args.verbose:
                        failures.append(f"{tier} {page} seed={seed}: refused, {error}")
                fields = reading.fields if reading else {}
                warned[tier].update(reading.warnings if reading else ())
                ok_all = True
                for name, truth in sample.truth.items():
                    ok = fields.get(name) == truth
                    if reading is not None and name in reading.confidence:
                        scored[tier].append((reading.confidence[name], ok))
                    per_field[(tier, name)].append(ok)
                    per_tier[tier].append(ok)
                    ok_all &= ok
                    if not ok and args.verbose:
                        confidence = reading.confidence.get(name) if reading else None
                        shown = "" if confidence is None else f" at {confidence:.2f}"
                        failures.append(f"{tier} {page} seed={seed} {name}: got {fields.get(name)!r}{shown} want {truth!r}")
                cards[tier].append(ok_all)
    names = sorted({name for _, name in per_field}, key=lambda n: list(FIELD_ORDER).index(n))
    eased = f", hard tier eased: {','.join(args.ease)}" if args.ease else ""
    faces = faces_in_title(args.faces)
    pages = ",".join(args.pages)
    print(f"\n## Generated licences: {args.n} per tier and page, pages {pages}, seed {args.seed}{eased}{faces}\n")
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
        print_fit([pair for pairs in scored.values() for pair in pairs])
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


def print_calibration(per_tier: dict[str, list[tuple[float, bool]]]) -> None:
    scored = [pair for pairs in per_tier.values() for pair in pairs]
    print("\n## Confidence against correctness (every field read)\n")
    print("| confidence | fields | right |")
    print("|---|---|---|")
    for lo, hi in zip(CONFIDENCE_BANDS, CONFIDENCE_BANDS[1:]):
        band = [ok for c, ok in scored if lo <= c < hi]
        print(f"| {lo:.2f}-{min(hi, 1.0):.2f} | {len(band)} | {pct(band)} |")
    sure = [ok for c, ok in scored if c >= 0.95]
    print(f"| >= 0.95 | {len(sure)} | {pct(sure)} |")
    if len(per_tier) > 1:
        for tier, pairs in per_tier.items():
            sure = [ok for c, ok in pairs if c >= 0.95]
            print(f"| >= 0.95, {tier} only | {len(sure)} | {pct(sure)} |")


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


def run_electronic(reader: LicenceReader, n: int, seed: int, faces: str, verbose: bool = False) -> None:
    """Screenshots of the 12123 app's electronic licence, read with side omitted as a client would send them."""
    per_field: dict[str, list[bool]] = defaultdict(list)
    cards: list[bool] = []
    seconds: list[float] = []
    errors: Counter[str] = Counter()
    failures: list[str] = []
    for i in range(n):
        sample = make_electronic_sample(seed + i, faces)
        data = cv2.imencode(".png", sample.image)[1].tobytes()
        started = time.perf_counter()
        reading, error = read_page(reader, data, None)
        seconds.append(time.perf_counter() - started)
        if error:
            errors[error] += 1
        fields = reading.fields if reading is not None and reading.kind == "electronic" else {}
        oks = [fields.get(name) == truth for name, truth in sample.truth.items()]
        for (name, truth), ok in zip(sample.truth.items(), oks):
            per_field[name].append(ok)
            if not ok and verbose:
                failures.append(f"electronic seed={seed + i} {name}: got {fields.get(name)!r} want {truth!r}")
        cards.append(all(oks))
    every = [ok for oks in per_field.values() for ok in oks]
    print(f"\n## Electronic licences (12123 screenshots): {n}, seed {seed}{faces_in_title(faces)}\n")
    print(f"field exact match {pct(every)}, screenshots all right {pct(cards)}, "
          f"errors {dict(errors) or '-'}, read time p50 {statistics.median(seconds) * 1000:.0f} ms\n")
    print("| field | right |")
    print("|---|---|")
    for name, oks in per_field.items():
        print(f"| {name} | {pct(oks)} |")
    for failure in failures:
        print(f"  miss: {failure}")


def run_samples(reader: LicenceReader) -> None:
    labels = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))["samples"]
    print("\n## Shared samples\n")
    print("| file | page | fields right | wrong |")
    print("|---|---|---|---|")
    for sample in labels:
        data = (SAMPLES / sample["file"]).read_bytes()
        for page, truth in sample["ground_truth"].items():
            reading, error = read_page(reader, data, page)
            fields = reading.fields if reading else {}
            wrong = [name for name, value in truth.items() if fields.get(name) != value]
            print(f"| {sample['file']} | {page} | {len(truth) - len(wrong)}/{len(truth)} | {', '.join(wrong) or error or '-'} |")


FIELD_ORDER = (
    "number", "name", "sex", "nationality", "address", "birth", "issue_date", "class", "valid_from", "valid_to",
    "issuing_authority", "file_number", "record",
)  # fmt: skip


def pct(values: list[bool]) -> str:
    return f"{100 * sum(values) / len(values):.1f}%" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="cards per tier and page")
    parser.add_argument("--tiers", type=lambda s: s.split(","), default=["flat", "photo", "hard"])
    parser.add_argument("--pages", type=lambda s: s.split(","), default=["front", "back"])
    parser.add_argument("--seed", type=int, default=1000, help="first seed; held apart from the test suite's seeds")
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads (0 = the runtime's default)")
    parser.add_argument("--backend", default="auto", choices=BACKENDS)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--fixed-shapes", action="store_true", help="pad inputs to the GPU's fixed shapes on any device")
    parser.add_argument(
        "--batch-rows",
        type=lambda s: tuple(int(n) for n in s.split(",")),
        default=GPU_BATCH_ROWS,
        help="with fixed shapes, the rows a batch of lines is padded to (as DLOCR_GPU_BATCH_ROWS)",
    )
    add_faces_argument(parser)
    parser.add_argument("--verbose", action="store_true", help="list every wrong field")
    parser.add_argument("--fit", action="store_true", help="print calibration knots fitted on this run")
    parser.add_argument("--electronic", type=int, default=30, help="electronic-licence screenshots (0: none)")
    parser.add_argument(
        "--ease",
        type=lambda s: s.split(","),
        default=[],
        help=f"hard-tier adversities set to the photo tier's: {','.join(ADVERSITIES)}",
    )
    args = parser.parse_args()
    if unknown := set(args.ease) - set(ADVERSITIES):
        parser.error(f"--ease: unknown {sorted(unknown)}; known: {','.join(ADVERSITIES)}")
    if args.ease and os.environ.get(CACHE_ENV):
        parser.error(f"--ease draws new cards: unset {CACHE_ENV}, whose cards were drawn at the tier's own values")
    ease_hard_tier(args.ease)
    reader = LicenceReader(
        load_engine(
            EngineOptions(
                device=args.device,
                intra_op_threads=args.threads,
                backend=args.backend,
                fixed_shapes=True if args.fixed_shapes else None,
                batch_rows=args.batch_rows,
            )
        )
    )
    reader.warm_up()
    if SAMPLES.is_dir():
        run_samples(reader)
    run_generated(reader, args)
    if args.electronic:
        run_electronic(reader, args.electronic, args.seed, args.faces, args.verbose)


if __name__ == "__main__":
    main()
