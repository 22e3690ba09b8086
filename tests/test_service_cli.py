"""`dlocr serve` refuses to expose an open service; `dlocr read` prints exactly what the API would answer."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pipelines.errors import PoorQuality
from pipelines.types import ReadOptions
from service import cli
from service.app import app_from_env

if TYPE_CHECKING:
    from conftest import FakeReader

REPO = Path(__file__).resolve().parents[1]
SPECIMEN = Path("/work/shared/samples/specimen-front.jpg")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No credentials unless a test sets them; main() configures logging, which is put back afterwards."""
    monkeypatch.delenv("DLOCR_AUTH_TOKENS", raising=False)
    monkeypatch.delenv("DLOCR_HOST", raising=False)
    loggers = [logging.getLogger(name) for name in ("dlocr", "uvicorn")]
    saved = [(logger.handlers[:], logger.propagate, logger.level) for logger in loggers]
    yield
    for logger, (handlers, propagate, level) in zip(loggers, saved):
        logger.handlers[:], logger.propagate = handlers, propagate
        logger.setLevel(level)


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_serve_refuses_a_public_address_without_credentials(
    host: str, uvicorn_calls: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve", "--host", host]) == 2
    error = capsys.readouterr().err
    assert "refusing to serve" in error and "DLOCR_AUTH_TOKENS" in error
    assert uvicorn_calls == []


def test_serve_refusal_exit_code_from_the_command_line() -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("DLOCR_")}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--host", "0.0.0.0", "--port", "1"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    assert "refusing to serve on 0.0.0.0" in done.stderr


def test_serve_a_public_address_with_credentials(
    monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    monkeypatch.setenv("DLOCR_AUTH_TOKENS", "secret-1")
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "9000", "--workers", "3"]) == 0
    [(args, kwargs)] = uvicorn_calls
    assert args == ("service.app:app_from_env",)
    assert kwargs["factory"] is True
    assert (kwargs["host"], kwargs["port"], kwargs["workers"]) == ("0.0.0.0", 9000, 3)
    assert kwargs["access_log"] is False


def test_serve_on_loopback_without_credentials_warns(
    uvicorn_calls: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["serve"]) == 0
    assert uvicorn_calls[0][1]["host"] == "127.0.0.1"
    assert "no credentials configured: serving on loopback only" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("LOCALHOST", True), ("0.0.0.0", False), ("::", False), ("10.0.0.1", False), ("", False), ("my-host", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert cli.is_loopback(host) is loopback


def test_invalid_configuration_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DLOCR_DEVICE", "tpu")
    assert cli.main(["serve"]) == 2
    assert "invalid configuration" in capsys.readouterr().err
    assert uvicorn_calls == []


def test_app_factory_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DLOCR_AUTH_TOKENS", "t1,t2")
    monkeypatch.setenv("DLOCR_MAX_CONCURRENCY", "3")
    settings = app_from_env().state.settings
    assert len(settings.auth_tokens) == 2 and settings.max_concurrency == 3


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch, fake_reader: FakeReader) -> FakeReader:
    monkeypatch.setattr(cli, "load_reader", lambda settings: fake_reader)
    return fake_reader


def test_read_prints_the_api_answer(fake_engine: FakeReader, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "card.jpg"
    image.write_bytes(b"image bytes")
    assert cli.main(["read", str(image), "--side", "back", "--issuing-authority"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out) == {"result": fake_engine.fields}
    assert "谢乐桃" in out  # not \u-escaped
    assert fake_engine.calls == [(b"image bytes", ReadOptions(side="back", return_issuing_authority=True))]


def test_read_defaults_to_the_front_page(fake_engine: FakeReader, tmp_path: Path) -> None:
    image = tmp_path / "card.jpg"
    image.write_bytes(b"image bytes")
    assert cli.main(["read", str(image)]) == 0
    assert fake_engine.calls[0][1] == ReadOptions(side="front", return_issuing_authority=False)


def test_read_failure_prints_the_error_json(
    fake_engine: FakeReader, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_engine.fail_with = PoorQuality()
    image = tmp_path / "card.jpg"
    image.write_bytes(b"image bytes")
    assert cli.main(["read", str(image)]) == 1
    assert json.loads(capsys.readouterr().out) == {"error_code": "AIS.0104", "error_msg": PoorQuality.message}


def test_read_missing_file_is_a_usage_error(
    fake_engine: FakeReader, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["read", str(tmp_path / "missing.jpg")]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert fake_engine.calls == []


def test_read_specimen_with_the_real_engine(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["read", str(SPECIMEN), "--issuing-authority"]) == 0
    result = json.loads(capsys.readouterr().out)["result"]
    assert result["number"] == "150402199902223122"
    assert "issuing_authority" in result
