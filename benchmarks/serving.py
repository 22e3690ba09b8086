"""What the HTTP benchmarks share: a real `dlocr serve` on loopback, request bodies, a concurrent load loop."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from samples import benchmark_sample  # noqa: E402

TOKEN = "benchmark-token"
PATH = "/v2/bench/ocr/driver-license"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    base: str
    pid: int


@contextmanager
def running_server(
    workers: int = 1, backend: str = "auto", threads: int = 0, device: str = "cpu", **env: str
) -> Iterator[Server]:
    """A `dlocr serve` subprocess, yielded once /health answers and every worker has warmed up; stopped afterwards."""
    port = free_port()
    environment = {
        **os.environ,
        "DLOCR_AUTH_TOKENS": TOKEN,
        "DLOCR_LOG_LEVEL": "warning",
        "DLOCR_BACKEND": backend,
        "DLOCR_INTRA_OP_THREADS": str(threads),
        "DLOCR_DEVICE": device,
        **env,
    }
    cmd = [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(cmd, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not become healthy")
            time.sleep(0.5)
        wait_until_idle(server_processes(server.pid), deadline)
        yield Server(base, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def server_processes(base_pid: int) -> list[int]:
    """The serving process and its workers (uvicorn spawns children for --workers > 1)."""
    children = Path(f"/proc/{base_pid}/task/{base_pid}/children")
    kids = [int(p) for p in children.read_text().split()] if children.exists() else []
    return [base_pid, *kids]


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory now, or with field="VmHWM" the most the process has held since it started."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pids: list[int], deadline: float, quiet_seconds: int = 2) -> None:
    """Returns once none of `pids` has used more than 5% of a core for `quiet_seconds` running. /health answers as
    soon as one worker has warmed up; with several, the others may still be warming up (about 50 s each on a GPU,
    compiling kernels), and a load or a profile begun then measured their warm-up too."""
    quiet = 0
    previous = {pid: cpu_seconds(pid) for pid in pids}
    while quiet < quiet_seconds:
        if time.monotonic() > deadline:
            raise SystemExit("the server's workers did not settle")
        time.sleep(1)
        now = {pid: cpu_seconds(pid) for pid in pids}
        quiet = quiet + 1 if all(now[pid] - previous[pid] < 0.05 for pid in pids) else 0
        previous = now


def bodies(n: int, tier: str, seed: int) -> list[dict]:
    out = []
    for i in range(n):
        page = ("front", "back")[i % 2]
        sample = benchmark_sample(seed + i, tier, page)
        jpeg = cv2.imencode(".jpg", sample.image, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
        out.append({"image": base64.b64encode(jpeg).decode(), "side": page})
    return out


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    client_cpu: float = 0.0  # CPU seconds the load generator itself spent: on one machine it shares the cores

    @property
    def cards_per_second(self) -> float:
        """Cards read (answered 200) per second: a request refused at once with 503 is no card served."""
        return self.statuses.get(200, 0) / self.elapsed


def load(base: str, payloads: list[dict], total: int, concurrency: int, timeout: float = 120) -> LoadResult:
    """`total` requests from `concurrency` threads, cycling through the payloads; bounded in count and time."""
    result = LoadResult()
    lock = threading.Lock()
    counter = iter(range(total))
    # Encoded once: at tens of cards a second, encoding each body again costs the shared cores a measurable share.
    encoded = [json.dumps(p).encode() for p in payloads]
    headers = {"X-Auth-Token": TOKEN, "Content-Type": "application/json"}

    def worker() -> None:
        with httpx.Client(headers=headers, timeout=timeout) as client:
            for i in counter:
                started = time.perf_counter()
                try:
                    status = client.post(base + PATH, content=encoded[i % len(encoded)]).status_code
                except httpx.HTTPError:
                    status = 0
                with lock:
                    result.latencies.append(time.perf_counter() - started)
                    result.statuses[status] = result.statuses.get(status, 0) + 1

    started, cpu_started = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - started
    result.client_cpu = time.process_time() - cpu_started
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))] if ordered else 0.0
