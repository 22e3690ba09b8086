"""How the process allocates: glibc's malloc arenas, capped before the engine loads.

glibc gives threads up to 8 malloc arenas per core, and each keeps the memory it has freed for its own later use.
The recogniser's outputs (a batch's softmax over 18,710 classes: tens of MB) are allocated and freed by whichever
request thread runs it, so every arena grows to that peak. Measured with benchmarks/soak.py (400 requests at
concurrency 8, one worker, 2 cores) at the same throughput: the peak RSS was 622 MB with glibc's default, 540 MB
with this cap set at start-up, and 522 MB with MALLOC_ARENA_MAX=2 in the environment (which also covers the
threads started before the application).
"""

from __future__ import annotations

import ctypes
import ctypes.util

# mallopt's parameter number for the arena cap, from glibc's <malloc.h>.
M_ARENA_MAX = -8


def limit_malloc_arenas(count: int) -> bool:
    """Caps glibc's malloc arenas at `count` (0 leaves glibc's default). Must run before the threads that allocate
    start, since glibc fixes the cap when it first adds an arena. False where the C library has no mallopt (musl,
    macOS) or refuses the value."""
    if count <= 0:
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(M_ARENA_MAX, count))
