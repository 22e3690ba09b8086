"""Per-card latency: over HTTP against a real `dlocr serve`, per pipeline stage, and against the generic pipeline.

    python benchmarks/latency.py [--n 20] [--tiers flat,photo,hard] [--workers 1] [--backend auto]
                                 [--device cpu|cuda] [--threads 0] [--no-generic]

Prints p50/p95/p99 per tier end to end (JSON + base64 + HTTP + recognition, sequential requests), then the same
images read in-process with each stage's share, and through the bare generic PP-OCR pipeline
(rapidocr.RapidOCR() on the whole photo: same weights, same thread count) with the ratio, twice: as rapidocr ships
(ONNX Runtime throughout) and on the runtimes ours runs each network on.
"""

from __future__ import annotations

import argparse
import base64
import os
import time

import cv2
import httpx
import numpy as np
from serving import PATH, TOKEN, bodies, percentile, running_server

from models import EngineOptions, load_engine
from models.backend import BACKENDS, NETWORKS
from models.manifest import CLASSIFIER, DETECTOR, RECOGNIZER
from pipelines import LicenceReader, ReadOptions
from pipelines.errors import DlocrError
from pipelines.timing import STAGES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="photos per tier (half front, half back)")
    parser.add_argument("--tiers", type=lambda s: s.split(","), default=["flat", "photo", "hard"])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=5000)
    parser.add_argument("--backend", default="auto", choices=BACKENDS)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads (0 = the runtime's default)")
    parser.add_argument("--no-generic", action="store_true", help="skip the generic-pipeline comparison")
    args = parser.parse_args()

    tier_bodies = {tier: bodies(args.n, tier, args.seed) for tier in args.tiers}
    with running_server(args.workers, args.backend, args.threads, args.device) as server:
        with httpx.Client(headers={"X-Auth-Token": TOKEN}, timeout=60) as client:
            client.post(server.base + PATH, json=tier_bodies[args.tiers[0]][0])  # untimed: connection set-up
            print(f"\n## Latency over HTTP, {args.workers} worker(s), {os.cpu_count()} CPUs, "
                  f"backend {args.backend} on {args.device}, threads {args.threads or 'default'}, sequential requests\n")
            print("| tier | requests | 200 | p50 ms | p95 ms | p99 ms | mean image KB |")
            print("|---|---|---|---|---|---|---|")
            every: list[float] = []
            for tier, payloads in tier_bodies.items():
                times, ok = [], 0
                for body in payloads:
                    started = time.perf_counter()
                    response = client.post(server.base + PATH, json=body)
                    times.append(time.perf_counter() - started)
                    ok += response.status_code == 200
                every += times
                size = sum(len(b["image"]) for b in payloads) * 3 / 4 / len(payloads) / 1024
                print(f"| {tier} | {len(times)} | {ok} | {percentile(times, 50) * 1000:.0f} | "
                      f"{percentile(times, 95) * 1000:.0f} | {percentile(times, 99) * 1000:.0f} | {size:.0f} |")
            print(f"| all | {len(every)} | | {percentile(every, 50) * 1000:.0f} | {percentile(every, 95) * 1000:.0f} | "
                  f"{percentile(every, 99) * 1000:.0f} | |")
    in_process(tier_bodies, args)


def in_process(bodies: dict[str, list[dict]], args: argparse.Namespace) -> None:
    """The same images without HTTP: where the time goes, and how the generic pipeline compares."""
    reader = LicenceReader(
        load_engine(EngineOptions(device=args.device, intra_op_threads=args.threads, backend=args.backend))
    )
    reader.warm_up()
    images = {tier: [base64.b64decode(b["image"]) for b in tier_bodies] for tier, tier_bodies in bodies.items()}
    ours: dict[str, list[float]] = {}
    stages: dict[str, float] = dict.fromkeys(STAGES, 0.0)
    read = 0
    for tier, tier_images in images.items():
        ours[tier] = []
        for data, body in zip(tier_images, bodies[tier]):
            started = time.perf_counter()
            try:
                reading = reader.read(data, ReadOptions(side=body["side"]))
                for stage, seconds in reading.timings.items():
                    stages[stage] += seconds
                read += 1
            except DlocrError:
                pass
            ours[tier].append(time.perf_counter() - started)
    count = max(read, 1)
    total = sum(stages.values())
    print("\n## Where the time goes (in-process, successful reads)\n")
    print("| stage | mean ms | share |")
    print("|---|---|---|")
    for stage in STAGES:
        print(f"| {stage} | {stages[stage] / count * 1000:.0f} | {100 * stages[stage] / max(total, 1e-9):.0f}% |")
    if args.no_generic:
        return
    ours_runtimes = reader.engine.runtimes
    # As rapidocr ships (ONNX Runtime throughout), and on the runtimes ours runs each network on: the second ratio
    # measures the pipeline alone.
    comparisons = {"as shipped": dict.fromkeys(NETWORKS, "onnxruntime"), "on our runtimes": ours_runtimes}
    if ours_runtimes == comparisons["as shipped"]:
        del comparisons["on our runtimes"]
    print("\n## Ours against the generic pipeline (in-process, same images, weights and threads)\n")
    print("| tier | ours p50 ms | ours p95 ms | " + " | ".join(
        f"generic {name} p50 ms | p95 ms | speed-up (p50)" for name in comparisons) + " |")
    print("|---|---|---|" + "---|---|---|" * len(comparisons))
    generic = {name: generic_times(images, args, runtimes) for name, runtimes in comparisons.items()}
    for tier in images:
        a = percentile(ours[tier], 50)
        cells = [f"{a * 1000:.0f}", f"{percentile(ours[tier], 95) * 1000:.0f}"]
        for times in generic.values():
            b = percentile(times[tier], 50)
            cells += [f"{b * 1000:.0f}", f"{percentile(times[tier], 95) * 1000:.0f}", f"{b / a:.1f}x"]
        print(f"| {tier} | " + " | ".join(cells) + " |")


def _fp32_core():
    """An openvino.Core that compiles in fp32, as models/backend.py does: rapidocr leaves OpenVINO at its default
    precision, bfloat16 on a CPU with AMX, which would compare different arithmetic."""
    import openvino

    core = openvino.Core()
    compile_model = core.compile_model
    core.compile_model = lambda model, device_name="CPU", config=None: compile_model(
        model, device_name, {**(config or {}), "INFERENCE_PRECISION_HINT": "f32"}
    )
    return core


def generic_times(
    images: dict[str, list[bytes]], args: argparse.Namespace, runtimes: dict[str, str]
) -> dict[str, list[float]]:
    from rapidocr import EngineType, RapidOCR
    from rapidocr.inference_engine.openvino import main as rapidocr_openvino

    params = {
        "Global.log_level": "error",
        # Our own weights, so that the ratio measures the pipeline and not the choice of detector.
        "Det.model_path": str(DETECTOR.verified_path()),
        "Cls.model_path": str(CLASSIFIER.verified_path()),
        "Rec.model_path": str(RECOGNIZER.verified_path()),
        "Det.engine_type": EngineType(runtimes["det"]),
        "Cls.engine_type": EngineType(runtimes["cls"]),
        "Rec.engine_type": EngineType(runtimes["rec"]),
        "EngineConfig.onnxruntime.intra_op_num_threads": args.threads or -1,
        "EngineConfig.openvino.inference_num_threads": args.threads or -1,
        "EngineConfig.openvino.performance_hint": "LATENCY",
    }
    rapidocr_openvino.Core = _fp32_core
    generic = RapidOCR(params=params)
    times: dict[str, list[float]] = {}
    for tier, tier_images in images.items():
        times[tier] = []
        for data in tier_images:
            pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            started = time.perf_counter()
            generic(pixels)
            times[tier].append(time.perf_counter() - started)
    return times


if __name__ == "__main__":
    main()
