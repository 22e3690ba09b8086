"""Per-card latency over HTTP: a real `dlocr serve` on loopback, generated photos posted one at a time.

    python benchmarks/latency.py [--n 20] [--tiers flat,photo,hard] [--workers 1]

Prints p50/p95/p99 per tier (end to end: JSON + base64 + HTTP + recognition).
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import cv2
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synthetic import make_sample  # noqa: E402

TOKEN = "latency-benchmark-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DLOCR_AUTH_TOKENS": TOKEN, "DLOCR_LOG_LEVEL": "warning"}
    cmd = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise SystemExit("the server exited during start-up")
        time.sleep(0.5)
    server.terminate()
    raise SystemExit("the server did not become healthy within 180 s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="photos per tier (half front, half back)")
    parser.add_argument("--tiers", type=lambda s: s.split(","), default=["flat", "photo", "hard"])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=5000)
    args = parser.parse_args()

    bodies: dict[str, list[dict]] = {}
    for tier in args.tiers:
        bodies[tier] = []
        for i in range(args.n):
            page = ("front", "back")[i % 2]
            sample = make_sample(args.seed + i, tier, page)
            jpeg = cv2.imencode(".jpg", sample.image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
            bodies[tier].append({"image": base64.b64encode(jpeg).decode(), "side": page})

    port = free_port()
    server = start_server(port, args.workers)
    url = f"http://127.0.0.1:{port}/v2/bench/ocr/driver-license"
    try:
        with httpx.Client(headers={"X-Auth-Token": TOKEN}, timeout=60) as client:
            client.post(url, json=bodies[args.tiers[0]][0])  # one untimed request: connection set-up
            print(f"\n## Latency over HTTP, {args.workers} worker(s), {os.cpu_count()} CPUs, sequential requests\n")
            print("| tier | requests | 200 | p50 ms | p95 ms | p99 ms | mean image KB |")
            print("|---|---|---|---|---|---|---|")
            every: list[float] = []
            for tier, tier_bodies in bodies.items():
                times, ok = [], 0
                for body in tier_bodies:
                    started = time.perf_counter()
                    response = client.post(url, json=body)
                    times.append(time.perf_counter() - started)
                    ok += response.status_code == 200
                every += times
                size = sum(len(b["image"]) for b in tier_bodies) * 3 / 4 / len(tier_bodies) / 1024
                print(f"| {tier} | {len(times)} | {ok} | {percentile(times, 50) * 1000:.0f} | "
                      f"{percentile(times, 95) * 1000:.0f} | {percentile(times, 99) * 1000:.0f} | {size:.0f} |")
            print(f"| all | {len(every)} | | {percentile(every, 50) * 1000:.0f} | {percentile(every, 95) * 1000:.0f} | "
                  f"{percentile(every, 99) * 1000:.0f} | |")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
