"""Field-level exact-match accuracy on generated licences, per tier and per field, plus the shared samples.

    python benchmarks/accuracy.py [--n 40] [--tiers flat,photo,hard] [--pages front,back] [--seed 1000]

Prints tables; reads each card exactly as the API does (encoded image bytes in, fields out).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections import defaultdict

import cv2
from serving import ROOT, percentile

from models import EngineOptions, load_engine
from pipelines import LicenceReader, ReadOptions
from pipelines.errors import DlocrError
from synthetic import make_sample

SAMPLES = ROOT.parent / "shared" / "samples"


def read_fields(reader: LicenceReader, data: bytes, page: str) -> tuple[dict[str, str], str | None]:
    try:
        return reader.read(data, ReadOptions(side=page, return_issuing_authority=True)).fields, None
    except DlocrError as exc:
        return {}, exc.code


def run_generated(reader: LicenceReader, args: argparse.Namespace) -> None:
    per_field: dict[tuple[str, str], list[bool]] = defaultdict(list)
    per_tier: dict[str, list[bool]] = defaultdict(list)
    cards: dict[str, list[bool]] = defaultdict(list)
    errors: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    seconds: list[float] = []
    failures: list[str] = []
    for tier in args.tiers:
        for page in args.pages:
            for i in range(args.n):
                seed = args.seed + i
                sample = make_sample(seed, tier, page)
                data = cv2.imencode(".jpg", sample.image, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
                started = time.perf_counter()
                fields, error = read_fields(reader, data, page)
                seconds.append(time.perf_counter() - started)
                if error:
                    errors[tier][error] += 1
                ok_all = True
                for name, truth in sample.truth.items():
                    ok = fields.get(name) == truth
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
    for line in failures:
        print("  miss:", line)


def run_samples(reader: LicenceReader) -> None:
    labels = json.loads((SAMPLES / "labels.json").read_text(encoding="utf-8"))["samples"]
    print("\n## Shared samples\n")
    print("| file | page | fields right | wrong |")
    print("|---|---|---|---|")
    for sample in labels:
        data = (SAMPLES / sample["file"]).read_bytes()
        for page, truth in sample["ground_truth"].items():
            fields, error = read_fields(reader, data, page)
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
    parser.add_argument("--backend", default="onnxruntime", choices=["onnxruntime", "openvino"])
    parser.add_argument("--verbose", action="store_true", help="list every wrong field")
    args = parser.parse_args()
    reader = LicenceReader(
        load_engine(EngineOptions(device="cpu", intra_op_threads=args.threads, backend=args.backend))
    )
    reader.warm_up()
    if SAMPLES.is_dir():
        run_samples(reader)
    run_generated(reader, args)


if __name__ == "__main__":
    main()
