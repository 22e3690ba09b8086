from __future__ import annotations

import pytest

from service.settings import Settings


def test_defaults_are_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DLOCR_HOST", "DLOCR_AUTH_TOKENS", "DLOCR_MAX_BASE64_BYTES", "DLOCR_MAX_BODY_BYTES"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.host == "127.0.0.1"
    assert settings.auth_tokens == []
    assert settings.max_base64_bytes == 10 * 1024 * 1024
    assert settings.max_body_bytes == 12 * 1024 * 1024
    assert settings.recognitions_in_flight() >= 1


def test_engine_options_follow_the_settings() -> None:
    options = Settings(device="cpu", intra_op_threads=3).engine_options()
    assert (options.device, options.intra_op_threads) == ("cpu", 3)


def test_workers_share_the_cpus_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.settings.available_cpus", lambda: 8)
    one = Settings(workers=1)
    assert (one.recognitions_in_flight(), one.engine_options().intra_op_threads) == (8, 0)
    four = Settings(workers=4)
    assert (four.recognitions_in_flight(), four.engine_options().intra_op_threads) == (2, 1)
    assert Settings(workers=16).recognitions_in_flight() == 1
    told = Settings(workers=4, max_concurrency=3, intra_op_threads=2)
    assert (told.recognitions_in_flight(), told.engine_options().intra_op_threads) == (3, 2)


def test_a_worker_on_a_gpu_keeps_twice_its_cpus_cards_in_flight(monkeypatch: pytest.MonkeyPatch) -> None:
    # While one card waits for the GPU, another's steps on the host run (docs/benchmarks.md#on-a-gpu).
    monkeypatch.setattr("service.settings.available_cpus", lambda: 16)
    eight = Settings(workers=8)
    assert (eight.recognitions_in_flight("cuda"), eight.recognitions_in_flight("cpu")) == (4, 2)
    assert Settings(workers=16).recognitions_in_flight("cuda") == 2
    assert Settings(workers=8, max_concurrency=3).recognitions_in_flight("cuda") == 3


def test_gpu_batch_rows_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DLOCR_GPU_BATCH_ROWS", raising=False)
    assert Settings().engine_options().batch_rows == (8, 32)
    monkeypatch.setenv("DLOCR_GPU_BATCH_ROWS", " 4, 16,64 ")
    assert Settings().engine_options().batch_rows == (4, 16, 64)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DLOCR_DEVICE", "tpu"),
        ("DLOCR_WORKERS", "0"),
        ("DLOCR_PORT", "x"),
        ("DLOCR_GPU_BATCH_ROWS", "32,8"),
        ("DLOCR_GPU_BATCH_ROWS", "0,8"),
        ("DLOCR_GPU_BATCH_ROWS", "8,8"),
        ("DLOCR_GPU_BATCH_ROWS", ""),
        ("DLOCR_GPU_BATCH_ROWS", "eight"),
    ],
)
def test_bad_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError):
        Settings()
