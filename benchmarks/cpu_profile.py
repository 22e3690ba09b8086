"""Where a worker's CPU goes under load: py-spy samples every worker of a real `dlocr serve` while clients post photos.

    pip install '.[profile]'
    python benchmarks/cpu_profile.py [--workers 1] [--concurrency 2] [--seconds 20] [--device cpu|cuda] [--top 25]

Prints the frames the busy samples stopped in (Python and native), and the project's own functions by the share of
busy samples they were on the stack for. py-spy reads other processes' memory: it needs root or CAP_SYS_PTRACE.
With native frames py-spy counts a thread blocked on a lock, a condition or a socket as busy; those samples are
left out, so the shares are of CPU time, not of wall time. A profile of one worker and two clients on this
project's 2 cores found the regex that stripped base64's whitespace at about a tenth of the busy samples.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from serving import bodies, load, running_server, server_processes

# A sample whose innermost frame is in the C library under one of these is a thread waiting, not working (the last:
# the thread by which uvicorn's supervisor pings each worker).
WAITS = ("PyThread_acquire_lock_timed", "pthread_cond_", "epoll_wait", "select_epoll", "multiprocessing/connection.py")
OWN_CODE = ("pipelines/", "models/", "service/")


@dataclass(frozen=True)
class Profile:
    busy: int  # samples
    innermost: Counter[str]  # frame -> busy samples that stopped in it
    on_stack: Counter[str]  # frame -> busy samples it was on the stack for


def summarise(raw_lines: Iterable[str]) -> Profile:
    """py-spy's raw output (one `frame;frame;... count` line per distinct stack) added up."""
    innermost: Counter[str] = Counter()
    on_stack: Counter[str] = Counter()
    busy = 0
    for line in raw_lines:
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if frames[-1].endswith("(libc.so.6)") and any(wait in stack for wait in WAITS):
            continue
        frames = [_named(frame) for frame in frames]
        busy += int(count)
        innermost[frames[-1]] += int(count)
        for frame in set(frames):
            on_stack[frame] += int(count)
    return Profile(busy, innermost, on_stack)


def _named(frame: str) -> str:
    """A native frame py-spy could not name (`0x7f... (library)`): the library's, all its unnamed code as one."""
    return f"(unnamed code) {frame.partition(' ')[2]}" if frame.startswith("0x") else frame


def record(py_spy: str, pids: list[int], seconds: int, rate: int, folder: Path) -> list[str]:
    runs = [
        subprocess.Popen(
            [py_spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", str(rate), "--native",
             "--format", "raw", "--output", str(folder / f"{pid}.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        for pid in pids
    ]
    for run in runs:
        _, error = run.communicate()
        if run.returncode:
            raise SystemExit(f"py-spy failed (root or CAP_SYS_PTRACE needed): {error.decode(errors='replace')[-300:]}")
    return [line for pid in pids for line in (folder / f"{pid}.txt").read_text().splitlines()]


def _is_worker(pid: int) -> bool:
    """A worker uvicorn spawned, not multiprocessing's resource tracker beside them."""
    return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rate", type=int, default=200, help="samples per second")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--seed", type=int, default=50000)
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        raise SystemExit("py-spy is not installed: pip install '.[profile]'")

    payloads = bodies(12, "photo", args.seed)
    threads = 1 if args.workers > 1 else 0
    with running_server(args.workers, "auto", threads, args.device) as server, tempfile.TemporaryDirectory() as tmp:
        load(server.base, payloads, args.workers * 2, args.workers)  # every worker past its first request
        workers = [pid for pid in server_processes(server.pid)[1:] if _is_worker(pid)] or [server.pid]
        done = threading.Event()

        def clients() -> None:
            while not done.is_set():
                load(server.base, payloads, args.concurrency * 2, args.concurrency)

        loader = threading.Thread(target=clients)
        loader.start()
        time.sleep(2)  # the clients up to speed
        try:
            profile = summarise(record(py_spy, workers, args.seconds, args.rate, Path(tmp)))
        finally:
            done.set()
            loader.join()

    print(f"\n## Busy samples of {len(workers)} worker(s) on {args.device}, {args.concurrency} clients, "
          f"{args.seconds} s: {profile.busy}\n")
    print("| innermost frame | share |\n|---|---|")
    for frame, count in profile.innermost.most_common(args.top):
        print(f"| {frame[:140]} | {100 * count / profile.busy:.1f}% |")
    print("\n| the project's function (on the stack) | share |\n|---|---|")
    own = [(f, n) for f, n in profile.on_stack.most_common() if f.startswith(OWN_CODE, f.find("(") + 1)]
    for frame, count in own[: args.top]:
        print(f"| {frame[:140]} | {100 * count / profile.busy:.1f}% |")


if __name__ == "__main__":
    main()
