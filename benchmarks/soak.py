"""A long run at steady concurrency: errors, memory at start and end, and whether p99 drifts.

    python benchmarks/soak.py [--requests 10000] [--concurrency 8] [--backend auto] [--workers 1] [--threads 0]

The load is split into ten rounds; each prints its p50/p99 and the server's RSS, so a leak or a slow-down shows
as a trend. Loopback only; bounded in count.
"""

from __future__ import annotations

import argparse

from serving import bodies, load, percentile, rss_mb, running_server, server_processes

from models.backend import BACKENDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--backend", default="auto", choices=BACKENDS)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads per worker (0 = default)")
    parser.add_argument("--seed", type=int, default=8000)
    args = parser.parse_args()

    payloads = bodies(10, "photo", args.seed) + bodies(6, "flat", args.seed + 100)
    rounds = 10
    per_round = max(1, args.requests // rounds)
    with running_server(args.workers, args.backend, args.threads) as server:
        load(server.base, payloads, 4, 2)
        start_rss = sum(rss_mb(p) for p in server_processes(server.pid))
        print(f"\n## Soak: {per_round * rounds} requests at concurrency {args.concurrency}, backend {args.backend}, "
              f"{args.workers} worker(s), threads per worker {args.threads or 'default'}\n")
        print(f"RSS after warm-up: {start_rss:.0f} MB\n")
        print("| round | requests | errors | cards/s | p50 ms | p99 ms | RSS MB | peak RSS MB |")
        print("|---|---|---|---|---|---|---|")
        errors = 0
        for i in range(rounds):
            result = load(server.base, payloads, per_round, args.concurrency)
            failed = sum(n for status, n in result.statuses.items() if status != 200)
            errors += failed
            pids = server_processes(server.pid)
            rss = sum(rss_mb(p) for p in pids)
            # The high-water mark catches what a reading between rounds misses; with several workers, the largest.
            peak = max(rss_mb(p, "VmHWM") for p in pids)
            print(f"| {i + 1} | {len(result.latencies)} | {failed} | {result.cards_per_second:.2f} | "
                  f"{percentile(result.latencies, 50) * 1000:.0f} | {percentile(result.latencies, 99) * 1000:.0f} | "
                  f"{rss:.0f} | {peak:.0f} |")
        print(f"\nerrors: {errors}; RSS growth over the run: {rss - start_rss:+.0f} MB")


if __name__ == "__main__":
    main()
