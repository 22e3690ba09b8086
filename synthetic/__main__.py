"""Write synthetic samples to a folder for a look: python -m synthetic --out DIR --n 20 --tier photo."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2

from synthetic import FORMATS, PAGES, TIER_NAMES, make_double_sample, make_sample


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m synthetic", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="folder for the images and labels.jsonl")
    parser.add_argument("--n", type=int, default=20, help="how many samples")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first sample; the others follow")
    parser.add_argument("--tier", choices=TIER_NAMES, default="photo")
    parser.add_argument(
        "--page",
        choices=(*PAGES, "mixed", "double"),
        default="front",
        help="mixed alternates front and back; double puts both pages in one photo",
    )
    parser.add_argument("--fmt", choices=FORMATS, default=None, help="card format (default: drawn at random)")
    parser.add_argument("--ext", choices=("png", "jpg"), default="png")
    return parser


def _record(seed: int, args: argparse.Namespace, path: Path) -> dict[str, object]:
    """Make one sample, write its image to `path`, and return its labels."""
    if args.page == "double":
        double = make_double_sample(seed, args.tier, args.fmt)
        cv2.imwrite(str(path), double.image)
        quads = {page: quad.astype(float).round(2).tolist() for page, quad in double.quads.items()}
        return {
            "seed": seed,
            "tier": args.tier,
            "page": "double",
            "fmt": double.fmt,
            "truth": double.truth,
            "quads": quads,
        }
    page = args.page if args.page in PAGES else PAGES[seed % 2]
    sample = make_sample(seed, args.tier, page, args.fmt)
    cv2.imwrite(str(path), sample.image)
    return {
        "seed": seed,
        "tier": args.tier,
        "page": page,
        "fmt": sample.fmt,
        "truth": sample.truth,
        "quad": sample.quad.astype(float).round(2).tolist(),
        "boxes": sample.boxes,
    }


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "labels.jsonl", "w", encoding="utf-8") as labels:
        for seed in range(args.seed, args.seed + args.n):
            name = f"{args.tier}-{seed:06d}.{args.ext}"
            record = {"file": name, **_record(seed, args, args.out / name)}
            labels.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
