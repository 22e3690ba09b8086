"""Cards per second at increasing concurrency, with one and two worker processes; CPU and memory of the server.

    python benchmarks/throughput.py [--requests 24] [--concurrency 1,2,4,8,16] [--workers 1,2] [--backend auto]
                                    [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import os

from serving import bodies, cpu_seconds, load, percentile, rss_mb, running_server, server_processes

from models.backend import BACKENDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=24, help="requests per concurrency level")
    parser.add_argument("--concurrency", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4, 8, 16])
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2])
    parser.add_argument("--backend", default="auto", choices=BACKENDS)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads per worker (0 = default)")
    parser.add_argument("--seed", type=int, default=6000)
    args = parser.parse_args()

    payloads = bodies(12, "photo", args.seed)
    print(f"\n## Throughput, photo tier, {os.cpu_count()} CPUs, backend {args.backend} on {args.device}, "
          f"threads per worker {args.threads or 'default'}\n")
    print("| workers | concurrency | cards/s | p50 ms | p95 ms | non-200 | server CPU % | load generator CPU % "
          "| server RSS MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for workers in args.workers:
        with running_server(workers, args.backend, args.threads, args.device) as server:
            load(server.base, payloads, workers * 2, workers)  # warm every worker's first request
            for concurrency in args.concurrency:
                pids = server_processes(server.pid)
                cpu_before = sum(cpu_seconds(p) for p in pids)
                result = load(server.base, payloads, args.requests, concurrency)
                cpu = (sum(cpu_seconds(p) for p in pids) - cpu_before) / result.elapsed * 100
                rss = sum(rss_mb(p) for p in server_processes(server.pid))
                failed = sum(n for status, n in result.statuses.items() if status != 200)
                print(f"| {workers} | {concurrency} | {result.cards_per_second:.2f} | "
                      f"{percentile(result.latencies, 50) * 1000:.0f} | {percentile(result.latencies, 95) * 1000:.0f} | "
                      f"{failed} | {cpu:.0f} | {result.client_cpu / result.elapsed * 100:.0f} | {rss:.0f} |")


if __name__ == "__main__":
    main()
