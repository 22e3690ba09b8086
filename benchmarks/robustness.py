"""Each adversity of a phone capture alone at its worst, on otherwise ordinary phone photos.

    python benchmarks/robustness.py [--n 15] [--seed 70000] [--only tilt,tiny] [--faces development|held-out]

The photo tier (synthetic/photo.py) draws all of its adversities mildly and at random; the hard tier stacks them
at their worst. Here each row takes the photo tier and sets one adversity to the extreme the service promises to
read through (any rotation, 40 degrees of tilt, a 400 px card in a 12 MP photo, dim light, blur, glare, JPEG 40, a
finger, a sleeve on a busy surface), so that what each one costs is seen apart from the others. The same seeds are
drawn for every row: the cards and their text are the same, only the capture changes.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
from collections import Counter

from accuracy import pct, read_sample
from samples import add_faces_argument, faces_in_title

from models import EngineOptions, load_engine
from pipelines import LicenceReader
from synthetic import make_sample
from synthetic.photo import TIERS


@dataclasses.dataclass(frozen=True)
class Condition:
    setting: str  # what the row sets, in words
    tier: dict[str, object]  # synthetic.photo.Tier fields replaced in the photo tier


CONDITIONS: dict[str, Condition] = {
    "none": Condition("the photo tier as drawn", {}),
    "rotation": Condition("any in-plane angle, 0-360 degrees", {"roll": 180.0}),
    "portrait": Condition("a quarter turn: 90, 180 or 270 degrees more", {"quarter_turn_p": 1.0}),
    "tilt": Condition("35-40 degrees out of plane", {"tilt": (35.0, 40.0)}),
    "tiny": Condition(
        "a card about 400 px wide in a 4000 px photo",
        {"long_side": (4000, 4000), "card_area": (0.009, 0.012)},
    ),
    "dark": Condition("exposure 0.35-0.45 with sensor noise 10-16 levels", {"exposure": (0.35, 0.45), "noise": (10.0, 16.0)}),
    "motion": Condition("motion blur 5-15 px on every photo", {"motion_p": 1.0}),
    "defocus": Condition("defocus, Gaussian sigma 1.5-2.5 px", {"blur": (1.5, 2.5)}),
    "glare": Condition("a highlight of +150-260 levels on every card", {"glare_p": 1.0, "glare": (150.0, 260.0)}),
    "jpeg": Condition("JPEG quality 40", {"jpeg": (40, 40)}),
    "finger": Condition("a finger over a corner", {"finger_p": 1.0}),
    "yellowed": Condition("every card's paper yellowed with age", {"aged_p": 1.0}),
    "sleeve": Condition("a clear sleeve, on wood, cloth or fabric", {"sleeve_p": 1.0, "surfaces": ("wood", "cloth", "fabric")}),
}


def register(name: str) -> str:
    """The condition as a tier of its own in this process (synthetic.make_sample draws tiers by name)."""
    tier = f"robustness-{name}"
    TIERS[tier] = dataclasses.replace(TIERS["photo"], **CONDITIONS[name].tier)
    return tier


def run(
    reader: LicenceReader, name: str, n: int, seed: int, faces: str
) -> tuple[list[bool], list[bool], Counter[str], float]:
    tier = register(name)
    fields: list[bool] = []
    cards: list[bool] = []
    refused: Counter[str] = Counter()
    seconds: list[float] = []
    for page in ("front", "back"):
        for i in range(n):
            sample = make_sample(seed + i, tier, page, faces=faces)
            reading, error, took = read_sample(reader, sample)
            seconds.append(took)
            if error:
                refused[error] += 1
            read = reading.fields if reading else {}
            oks = [read.get(field) == truth for field, truth in sample.truth.items()]
            fields += oks
            cards.append(all(oks))
    return fields, cards, refused, statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=15, help="cards per page and condition")
    parser.add_argument("--seed", type=int, default=70000, help="first seed; held apart from the test suite's seeds")
    parser.add_argument("--only", type=lambda s: s.split(","), default=list(CONDITIONS), help=",".join(CONDITIONS))
    add_faces_argument(parser)
    args = parser.parse_args()
    if unknown := set(args.only) - set(CONDITIONS):
        parser.error(f"--only: unknown {sorted(unknown)}; known: {','.join(CONDITIONS)}")
    reader = LicenceReader(load_engine(EngineOptions(device="cpu")))
    reader.warm_up()
    faces = faces_in_title(args.faces)
    print(f"\n## One adversity at a time: {args.n} fronts and {args.n} backs each, seed {args.seed}{faces}\n")
    print("| condition | setting | fields right | cards all right | refused | read p50 |")
    print("|---|---|---|---|---|---|")
    for name in args.only:
        fields, cards, refused, median = run(reader, name, args.n, args.seed, args.faces)
        errors = ", ".join(f"{code}:{count}" for code, count in sorted(refused.items())) or "-"
        print(
            f"| {name} | {CONDITIONS[name].setting} | {pct(fields)} | {pct(cards)} | {errors} | {median * 1000:.0f} ms |",
            flush=True,
        )


if __name__ == "__main__":
    main()
