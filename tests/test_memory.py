"""service/memory.py: the malloc arena cap, applied through glibc's mallopt."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from service.memory import limit_malloc_arenas
from service.settings import Settings


def test_zero_keeps_the_c_librarys_default():
    assert limit_malloc_arenas(0) is False


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's arena cap is glibc's")
def test_glibc_accepts_the_cap_before_threads_start():
    # A fresh process, as a worker is: the cap must be taken before any thread has made an arena.
    code = "from service.memory import limit_malloc_arenas; print(limit_malloc_arenas(2))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"


def test_the_service_caps_arenas_by_default(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("DLOCR_MALLOC_ARENA_MAX", raising=False)
    assert Settings().malloc_arena_max == 2
    monkeypatch.setenv("DLOCR_MALLOC_ARENA_MAX", "0")
    assert Settings().malloc_arena_max == 0
    monkeypatch.setenv("DLOCR_MALLOC_ARENA_MAX", "-1")
    with pytest.raises(ValueError):
        Settings()
